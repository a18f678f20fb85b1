import Foundation
@testable import IPCShell
import IPCSys
import IPCSyntax
import XCTest

/// Issue 10.3: binding is separate from running. `CommandPlan` binds a whole script with no
/// session (handles by name, substitutions as words, control flow as such) and makes no system
/// call, so a back end (emit-c, diagram) can read a script without running it.
final class CommandPlanTests: XCTestCase {
    override func tearDown() {
        SyscallTrace.sink = nil
        super.tearDown()
    }

    private func plan(_ source: String) -> [PlanStep] {
        CommandPlan(source: source, file: "plan.ipcs").steps
    }

    private func bound(_ step: PlanStep, file: StaticString = #filePath, line: UInt = #line) throws -> BoundCommand {
        if case .invalid(let diagnostic) = step { XCTFail("invalid: \(diagnostic)", file: file, line: line) }
        return try XCTUnwrap(step.bound, file: file, line: line)
    }

    func testAScriptIsPlannedWithoutASystemCall() throws {
        var calls: [TraceEntry] = []
        SyscallTrace.sink = { calls.append($0) }
        let steps = plan("""
            seg = shm create ftok:/nonexistent/ipcsh-plan:7 4096 --mode 0640
            shm attach seg
            write seg "hello" --at 16
            pipe
            repeat 3 { write pipe1.w "n-$i" }
            fork { read pipe1.r }
            fork
            @child2 read pipe1.r; status
            proc greet { echo "hello, $1" }
            greet world
            source other.ipcs a b
            """)
        SyscallTrace.sink = nil
        XCTAssertEqual(calls, [], "planning made system calls")
        XCTAssertEqual(steps.count, 11)
        // No handle exists: the key stays as written, handles are symbols.
        let create = try bound(steps[0])
        XCTAssertEqual(create.spec.name, "shm create")
        XCTAssertEqual(create.binding, "seg")
        guard case .ftokKey(let path, let id)? = create.argument(0) else { return XCTFail("KEY: \(String(describing: create.argument(0)))") }
        XCTAssertEqual(path, "/nonexistent/ipcsh-plan")
        XCTAssertEqual(id, 7)
        XCTAssertEqual(create.integer("SIZE"), 4096)
        XCTAssertEqual(create.integer("--mode"), 0o640)
        guard case .symbol(let segment)? = try bound(steps[1]).argument(0) else { return XCTFail("shm attach seg") }
        XCTAssertEqual(segment, HandleSymbol(name: "seg", kinds: [.shm]))
        let write = try bound(steps[2])
        guard case .symbol(let target)? = write.argument(0) else { return XCTFail("write seg") }
        XCTAssertEqual(target.name, "seg")
        XCTAssertEqual(write.restStrings, ["hello"])
        XCTAssertEqual(write.integer("--at"), 16)
        // Control flow is visible: a loop with its body, bound.
        guard case .loop(let loop, let body) = steps[4] else { return XCTFail("repeat: \(steps[4])") }
        XCTAssertEqual(loop.integer("N"), 3)
        XCTAssertEqual(body.count, 1)
        let inLoop = try bound(body[0])
        guard case .symbol(let end)? = inLoop.argument(0) else { return XCTFail("write pipe1.w") }
        XCTAssertEqual(end.name, "pipe1")
        XCTAssertEqual(end.end, "w")
        guard case .unexpanded(let word)? = inLoop.variadicValues.first else { return XCTFail("\"n-$i\" is known when it runs") }
        XCTAssertEqual(word.parts, [.literal(Array("n-".utf8)), .variable(name: "i", field: nil)])
        guard case .fork(_, let forkBody?) = steps[5] else { return XCTFail("fork { }: \(steps[5])") }
        XCTAssertEqual(try bound(forkBody[0]).spec.name, "read")
        guard case .fork(_, nil) = steps[6] else { return XCTFail("fork (an actor): \(steps[6])") }
        // `@NAME` takes the rest of the line: both commands run in the actor.
        guard case .send(let actor, let sent, _) = steps[7] else { return XCTFail("@child2: \(steps[7])") }
        XCTAssertEqual(actor, "child2")
        XCTAssertEqual(try sent.map { try bound($0).spec.name }, ["read", "status"])
        guard case .procedure(let name, _, let procBody) = steps[8] else { return XCTFail("proc: \(steps[8])") }
        XCTAssertEqual(name, "greet")
        XCTAssertEqual(try bound(procBody[0]).spec.name, "echo")
        guard case .call(let proc, let arguments, nil, _) = steps[9] else { return XCTFail("greet world: \(steps[9])") }
        XCTAssertEqual(proc, "greet")
        XCTAssertEqual(arguments.map(\.literalText), ["world"])
        guard case .source(let source) = steps[10] else { return XCTFail("source: \(steps[10])") }
        XCTAssertEqual(source.string("FILE"), "other.ipcs")
        XCTAssertEqual(source.restStrings, ["a", "b"])
    }

    func testACommandThatDoesNotBindIsAnInvalidStepWithTheShellsMessage() {
        let steps = plan("""
            shm create 3306 lots
            shm creat 3306 1
            frobnicate
            greet world
            echo fine
            """)
        let messages: [String?] = steps.map {
            if case .invalid(let d) = $0 { return d.message }
            return nil
        }
        XCTAssertEqual(messages, [
            "shm create: SIZE 'lots' is not a size (bytes, with an optional k, KiB, M or MiB suffix, at most \(Int.max))",
            "shm: unknown subcommand 'creat'",
            "unknown command 'frobnicate'",
            "unknown command 'greet'",
            nil,
        ])
        if case .invalid(let d) = steps[0] { XCTAssertEqual(d.location?.line, 1) }
        if case .invalid(let d) = steps[3] { XCTAssertEqual(d.location?.line, 4) }
    }

    func testOptionsAndFlagsAreReadableByPosition() throws {
        let step = plan("shm attach buf --readonly").first
        let attach = try bound(try XCTUnwrap(step))
        let readonly = try XCTUnwrap(attach.spec.options.firstIndex { $0.name == "--readonly" })
        XCTAssertTrue(attach.flagGiven(readonly))
        XCTAssertTrue(attach.flag("--readonly"))
    }

    /// The shipped examples are what emit-c and diagram will be given first: every command of
    /// each binds.
    func testEveryShippedExamplePlansWithoutAnInvalidStep() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".ipcs") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 10)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let plan = CommandPlan(source: text, file: file)
            XCTAssertFalse(plan.steps.isEmpty, file)
            for step in plan.allSteps {
                if case .invalid(let d) = step { XCTFail("\(file): \(d)") }
            }
        }
    }
}

/// Issue 10.3: commands get a narrow host interface (`CommandHost`), not the interpreter. The
/// compiler holds run functions to it (`ctx.host` is an opaque `some CommandHost`); this holds
/// the command files to it, helpers included.
final class CommandHostTests: XCTestCase {
    func testNoCommandFileNamesTheInterpreter() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/IPCShell/Commands")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 8)
        // Where the one host is named: the protocol's conformance and the contexts that hold it
        // (a bound command's, and a direct form's: `DirectContext`).
        let allowed: Set = ["CommandHost.swift", "CommandContext.swift", "DirectContext.swift"]
        for file in files where !allowed.contains(file) {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            for line in code where line.contains("Interpreter") {
                XCTFail("\(file) names the interpreter: \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
    }
}

/// Issue 10.1: no system call outside IPCSys and the C shims. The session, commands, runtime and
/// teaching features reach the kernel through IPCSys (`Plumbing` for ipcsh's own descriptors,
/// `ReplacementFile` for recordings), so every call can be traced and read by a back end.
final class SystemCallLayerTests: XCTestCase {
    func testTheShellAndTeachingTargetsMakeNoRawSystemCall() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        // Calls with no method of the same name in these targets, and any call spelt Glibc.NAME.
        let raw = try NSRegularExpression(pattern: #"(?<![\w.])(Glibc\.\w+|poll|dup2|setpgid|socketpair|socket|waitpid|shmget|shmat|shmdt|shmctl|mkfifo|rename|mkstemp|ftok|fcntl|opendir|stat|lstat|realpath|unlink|pipe2|accept|connect|bind|listen)\("#)
        let strings = try NSRegularExpression(pattern: #""(?:[^"\\]|\\.)*""#)
        var checked = 0
        for target in ["Sources/IPCShell", "Sources/IPCTeaching"] {
            let folder = root.appendingPathComponent(target)
            guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return XCTFail(target) }
            for case let file as String in walker where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                checked += 1
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    // Code only: string literals (help text names calls) and comments removed.
                    let unquoted = strings.stringByReplacingMatches(in: String(line), range: NSRange(line.startIndex..., in: line),
                                                                    withTemplate: "\"\"")
                    let code = String(unquoted.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    let range = NSRange(code.startIndex..., in: code)
                    for match in raw.matches(in: code, range: range) {
                        let call = (code as NSString).substring(with: match.range(at: 1))
                        XCTFail("\(target)/\(file):\(number + 1): \(call)() outside IPCSys: \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 40)
    }
}

extension CommandPlanTests {
    func testVariadicWordsWithSubstitutionsStayWords() throws {
        let echo = try XCTUnwrap(plan("echo one \"$x two\" three").first?.bound)
        let values = echo.variadicValues
        XCTAssertEqual(values.count, 3)
        guard case .bytes(let one) = values[0], case .unexpanded(let word) = values[1], case .bytes(let three) = values[2] else {
            return XCTFail("\(values)")
        }
        XCTAssertEqual(one.string, "one")
        XCTAssertEqual(word.parts, [.variable(name: "x", field: nil), .literal(Array(" two".utf8))])
        XCTAssertEqual(three.string, "three")
    }
}

extension CommandPlanTests {
    /// Actors' lines within lines, and blocks within blocks, are planned to a bounded depth: no
    /// input overflows the stack (the fuzzer plans every script it parses).
    func testDeepNestingIsRefusedNotOverflowed() throws {
        // The lexer takes a line of 2,000 `@a` without recursing once per `@a` (it overflowed the stack).
        let line = String(repeating: "@a ", count: 2000) + "echo hi"
        let script = try Parser.parse(line, file: "deep.ipcs")
        XCTAssertEqual(script.commands.count, 1)
        XCTAssertEqual(script.commands[0].actorCommandText, String(repeating: "@a ", count: 1999) + "echo hi")
        let steps = CommandPlan(script).allSteps
        XCTAssertTrue(steps.contains {
            if case .invalid(let d) = $0 { return d.message.contains("nested more than") }
            return false
        })
    }
}
