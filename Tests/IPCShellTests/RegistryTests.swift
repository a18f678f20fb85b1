@testable import IPCShell
import IPCSys
@preconcurrency import Glibc
import XCTest
@testable import IPCSyntax

final class RegistryTests: ShellTestCase {
    private var registry: CommandRegistry { .standard }

    func testEverySpecDescribesItself() {
        XCTAssertFalse(registry.specs.isEmpty)
        for (name, spec) in registry.specs {
            XCTAssertEqual(spec.name, name)
            XCTAssertFalse(spec.summary.isEmpty, "\(name) has no summary")
            XCTAssertFalse(spec.example.isEmpty, "\(name) has no example")
            XCTAssertTrue(spec.usage.hasPrefix(name), "usage of \(name): \(spec.usage)")
            XCTAssertTrue(spec.usage == name || spec.usage.hasPrefix(name + " "), "usage of \(name): \(spec.usage)")
            for option in spec.options {
                XCTAssertTrue(option.name.hasPrefix("--"), "\(name) \(option.name)")
                XCTAssertFalse(option.summary.isEmpty, "\(name) \(option.name)")
                if option.value != nil { XCTAssertFalse(option.valueName.isEmpty, "\(name) \(option.name)") }
            }
            // Only the last argument may take every remaining word.
            for argument in spec.arguments.dropLast() where argument.kind != .block {
                XCTAssertFalse(argument.isVariadic, "\(name) \(argument.name)")
            }
        }
    }

    func testEveryExampleParsesAndRunsItsOwnCommand() throws {
        for (name, spec) in registry.specs {
            let script: Script
            do { script = try Parser.parse(spec.example, file: "example") } catch {
                XCTFail("example of \(name) does not parse: \(error)")
                continue
            }
            let command = try XCTUnwrap(script.commands.first, name)
            let leading = command.arguments.prefix(name.split(separator: " ").count).compactMap { argument -> String? in
                if case .word(let w) = argument { return w.literalText }
                return nil
            }
            XCTAssertEqual(leading.joined(separator: " "), name, "example of \(name): \(spec.example)")
        }
    }

    func testHintsComeFromTheMechanismsThatDeclareThem() {
        XCTAssertEqual(registry.hint(for: SystemCallError("shmget", errno: EEXIST)),
                       "a segment with this key exists: use shm open KEY, or shm create without --excl")
        // A call's own hint first, then one for any call, then none.
        XCTAssertEqual(registry.hint(for: SystemCallError("write", errno: EPIPE)), "no process has the other end open for reading")
        XCTAssertNil(registry.hint(for: SystemCallError("shmget", errno: EPIPE + 1000)))
        for hint in registry.hints {
            XCTAssertFalse(hint.text().isEmpty)
            XCTAssertEqual(registry.hints.filter { $0.call == hint.call && $0.errno == hint.errno }.count, 1,
                           "\(hint.call ?? "any call") errno \(hint.errno) is declared twice")
        }
    }

    func testGroupsAndTopLevelAreConsistent() {
        XCTAssertEqual(Set(registry.topLevel).count, registry.topLevel.count, "duplicate top-level names")
        for (noun, subs) in registry.groups {
            XCTAssertTrue(registry.topLevel.contains(noun))
            XCTAssertNotNil(registry.groupSummaries[noun], noun)
            for sub in subs { XCTAssertNotNil(registry.specs["\(noun) \(sub)"], "\(noun) \(sub)") }
        }
        for name in registry.specs.keys {
            let first = String(name.split(separator: " ")[0])
            XCTAssertTrue(registry.topLevel.contains(first), name)
        }
    }

    func testTheIssueCommandsAreRegistered() {
        for name in ["echo", "sleep", "set", "repeat", "expect", "source", "help", "exit", "status", "write", "read",
                     "shm create", "shm open", "shm attach", "shm detach", "shm stat", "shm rm", "shm ls", "shm dump"] {
            XCTAssertNotNil(registry.specs[name], name)
        }
    }

    // MARK: Did you mean

    func testEditDistance() {
        XCTAssertEqual(CommandRegistry.editDistance("", ""), 0)
        XCTAssertEqual(CommandRegistry.editDistance("", "abc"), 3)
        XCTAssertEqual(CommandRegistry.editDistance("echo", "echo"), 0)
        XCTAssertEqual(CommandRegistry.editDistance("ehco", "echo"), 2)
        XCTAssertEqual(CommandRegistry.editDistance("kitten", "sitting"), 3)
    }

    func testDidYouMean() {
        let names = registry.topLevel
        XCTAssertEqual(CommandRegistry.didYouMean("ehco", among: names), "did you mean 'echo'?")
        XCTAssertEqual(CommandRegistry.didYouMean("shn", among: names), "did you mean 'shm'?")
        XCTAssertEqual(CommandRegistry.suggestions(for: "sl", among: names).first, "sleep")
        XCTAssertNil(CommandRegistry.didYouMean("zzzzzzzz", among: names))
        XCTAssertNil(CommandRegistry.didYouMean("x", among: []))
        XCTAssertEqual(CommandRegistry.suggestions(for: "crate", among: ["create", "open", "rm"]), ["create"])
    }

    func testUnknownCommandShowsASuggestion() throws {
        let r = try shell.run("echo ok\n  ehco hi", file: "r.ipcs")
        XCTAssertEqual(r.stdout, "ok\n")
        XCTAssertTrue(r.stderr.hasPrefix("r.ipcs:2:3: error: unknown command 'ehco'\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'echo'?"), r.stderr)
    }

    func testUnknownSubcommandShowsASuggestion() throws {
        let r = try shell.run("shm craete 1 2", file: "r.ipcs")
        XCTAssertTrue(r.stderr.hasPrefix("r.ipcs:1:5: error: shm: unknown subcommand 'craete'\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'create'?"), r.stderr)
    }

    func testAssignmentWithoutSpacesGetsAHint() throws {
        let r = try shell.run("x=1")
        XCTAssertTrue(r.stderr.contains("unknown command 'x=1'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("set NAME VALUE"), r.stderr)
    }

    func testWrongArgumentShowsTheUsage() throws {
        let r = try shell.run("shm create 0x7e000001 -5", file: "r.ipcs")
        XCTAssertTrue(r.stderr.hasPrefix("r.ipcs:1:23: error: shm create: SIZE '-5' is not a size (sizes cannot be negative)\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("usage: shm create KEY SIZE [--mode MODE] [--excl]"), r.stderr)
    }

    /// A command's name resolved before (the shortcut of most commands in a script) must not
    /// change its errors: options are checked before arguments either way, with literal words
    /// and with words that have substitutions.
    func testErrorsDoNotDependOnTheCommandHavingRunBefore() throws {
        shell.interpreter.keepGoing = true
        for line in ["read nosuch --bogus", "read nosuch$v --bogus", "write nosuch x --bogus", "read nosuch --at"] {
            let r = try shell.runStreaming("set v \"\"\n\(line)\n\(line)\n\(line)")
            let errors = r.stderr.split(separator: "\n").filter { $0.contains("error:") }
                .map { $0.replacingOccurrences(of: #"^t\.ipcs:\d+:"#, with: "", options: .regularExpression) }
            XCTAssertEqual(errors.count, 3, r.stderr)
            XCTAssertEqual(Set(errors).count, 1, "\(line): \(r.stderr)")
            XCTAssertTrue(errors.first?.contains("--") == true, "\(line): the option's error comes first: \(r.stderr)")
        }
    }

    func testUnknownOptionSuggests() throws {
        let r = try shell.run("shm create 0x7e000001 64 --exl")
        XCTAssertTrue(r.stderr.contains("shm create: unknown option --exl"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean '--excl'?"), r.stderr)
    }
}
