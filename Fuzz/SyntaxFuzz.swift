// libFuzzer target `syntax`: the lexer, the parser (whole and streamed) and the argument
// binder, on arbitrary bytes as a script. Built by scripts/fuzz.sh against IPCShell compiled
// with -enable-testing; nothing here runs a command, so no input makes a kernel object.
//
// Besides "no crash, no leak, no hang", it checks what the tests promise of these paths:
// - a lexical error anywhere is the error a parse reports (LexerTests/ParserStreamingTests);
// - a script streamed command by command, simple commands through the short scan, gives the
//   same commands, or the same error at the same place, as a whole parse (SimpleCommandTests);
// - every command of a parsed script binds against its spec or fails with a Diagnostic.
// A broken promise traps, which libFuzzer reports as a crash with the input.

@testable import IPCShell
@testable import IPCSyntax
import IPCSys

/// One session for the whole run: handles of every kind (made without a system call: the
/// descriptors are numbers no command ever uses here), variables and script arguments, so that
/// names, `$` substitutions and fields resolve as well as fail.
private final class Fixture {
    let session: Session
    let interpreter: Interpreter

    init() {
        let output = Output(stdoutFD: -1, stderrFD: -1, useColor: false)
        output.captureOnly = true
        session = Session(output: output)
        session.positionalStack = [["fuzz.ipcs", "3306", "10", "--at", "", "pipe1.r"]]
        session.variables = ["x": Array("1".utf8), "msg": Array("hello".utf8), "key": Array("0xcea".utf8),
                             "empty": [], "opt": Array("--at".utf8), "bytes": [0xFF, 0x00, 0x0A]]
        session.register(ShmHandle(name: "", key: 3306, id: 7, size: 1024, mode: 0o600, createdHere: true),
                         requestedName: nil)
        session.register(ShmHandle(name: "", key: 0, id: 8, size: 8, mode: 0o644, createdHere: false),
                         requestedName: "buf")
        session.register(PipeHandle(read: 1000, write: 1001), requestedName: nil)
        session.register(FifoHandle(path: "/tmp/fuzz-fifo", direction: "read", fd: 1002), requestedName: nil)
        session.register(SocketHandle(pair: 1003, 1004), requestedName: nil)
        session.register(SocketHandle(fd: 1005, role: .listener, address: nil), requestedName: "srv")
        session.register(ReceivedDescriptorHandle(fd: 1006), requestedName: nil)
        session.register(ChildHandle(pid: 999_999, role: .actor, program: "", commandFD: nil, stdoutFD: nil, stderrFD: nil),
                         requestedName: "worker")
        interpreter = Interpreter(session: session)
    }
}

nonisolated(unsafe) private let fixture = Fixture()

private let file = "fuzz.ipcs"

/// An unknown command name was met in this input (see `bind`).
nonisolated(unsafe) private var unknownNameSeen = false
/// Commands of this input that failed to bind. A script stops at its first failure (unless
/// --keep-going); binding goes on for a few more, not for every line of a mangled script, whose
/// hints ("did you mean", edit distances to every name) would take most of the time of a run.
nonisolated(unsafe) private var bindFailures = 0
private let maximumBindFailures = 8

/// A broken promise: stops the run with the message (libFuzzer saves the input).
private func broken(_ message: @autoclosure () -> String) -> Never {
    fatalError("syntax fuzz: " + message())
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyntax(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    unknownNameSeen = false
    bindFailures = 0

    // The lexer alone, as tests and tools read it.
    var lexer = Lexer(bytes: bytes, file: file)
    var lexicalError: Diagnostic?
    do { _ = try lexer.tokenize() } catch { lexicalError = error }

    // A whole parse.
    var script: Script?
    var parseError: Diagnostic?
    do { script = try Parser.parse(bytes: bytes, file: file) } catch { parseError = error }
    if let lexicalError {
        guard let parseError, parseError.message == lexicalError.message, parseError.location == lexicalError.location else {
            broken("the lexer reports \(lexicalError) but a parse gives \(parseError.map(String.init(describing:)) ?? "a script")")
        }
    }
    _ = parseError?.render(withLocation: true)
    // Planned without running (what emit-c and diagram read): any script, any depth, no crash.
    if let script { _ = CommandPlan(script, registry: fixture.interpreter.registry).allSteps.count }

    // Streamed, as a script file runs (Interpreter.runTopLevel(streaming:)): simple commands by
    // the short scan, the rest in full, each command handed back to the parser after its turn.
    let expected = script?.commands ?? []
    var count = 0
    var streamError: Diagnostic?
    do {
        var parser = try Parser(streaming: bytes, file: file)
        var simple = SimpleCommand()
        while true {
            if parser.nextSimpleCommand(into: &simple) {
                bindSimple(simple)
                same(simple.command(in: parser.sourceBytes), count, expected, script != nil)
                count += 1
                continue
            }
            guard let command = try parser.nextCommand() else { break }
            same(command, count, expected, script != nil)
            count += 1
            parser.recycle(command)
        }
    } catch {
        streamError = error
    }
    if let script {
        guard streamError == nil else { broken("streaming fails (\(streamError!)) where a whole parse does not") }
        guard count == script.commands.count else {
            broken("streaming gives \(count) commands, a whole parse \(script.commands.count)")
        }
        bind(script.commands)
    } else if let parseError {
        guard let streamError, streamError.message == parseError.message, streamError.location == parseError.location else {
            broken("a whole parse fails (\(parseError)) but streaming gives \(streamError.map(String.init(describing:)) ?? "no error")")
        }
    }
    return 0
}

/// A streamed command is the whole parse's command at the same place (when the parse succeeded).
private func same(_ command: Command, _ index: Int, _ expected: [Command], _ parsed: Bool) {
    guard parsed else { return }
    guard index < expected.count else { broken("streaming gives more commands than a whole parse") }
    guard command == expected[index] else {
        broken("command \(index + 1) streamed is \(command.source.debugDescription) \(command.arguments), "
               + "parsed \(expected[index].source.debugDescription) \(expected[index].arguments)")
    }
}

/// Binds every command, those in blocks too, as `Interpreter.dispatch` would before running it.
private func bind(_ commands: [Command]) {
    for command in commands where bindFailures < maximumBindFailures {
        for case .block(let block) in command.arguments { bind(block.commands) }
        bind(command)
    }
}

private func bind(_ command: Command) {
    let session = fixture.session
    let interpreter = fixture.interpreter
    // Expansion first, as dispatch does: an undefined `$name` fails the command here.
    var words: [(word: Word, bytes: WordBytes)] = []
    var expanded: [WordBytes] = []
    for argument in command.arguments {
        switch argument {
        case .word(let word):
            let bytes: WordBytes
            do { bytes = try interpreter.expandedBytes(word) } catch {
                bindFailures += 1
                _ = error.render(withLocation: true)
                return
            }
            words.append((word, bytes))
            expanded.append(bytes)
        case .block:
            expanded.append(WordBytes())
        }
    }
    guard let first = words.first else { return }
    let name = first.bytes.string
    let registry = fixture.interpreter.registry
    let spec: CommandSpec
    var skip = 1
    if let found = registry.specs[name] {
        spec = found
    } else if let subcommands = registry.groups[name] {
        guard words.count >= 2 else { return }
        guard let found = registry.specs["\(name) \(words[1].bytes.string)"] else {
            _ = CommandRegistry.didYouMean(words[1].bytes.string, among: subcommands)
            return
        }
        spec = found
        skip = 2
    } else {
        // An actor's command, a proc or an unknown name: nothing to bind. A script stops at its
        // first unknown name, so its hint is worded once per input (the edit distances to every
        // command name would otherwise take most of the time of a run).
        if !unknownNameSeen {
            unknownNameSeen = true
            _ = CommandRegistry.didYouMean(name, among: registry.topLevel)
        }
        return
    }
    if let binding = command.binding { _ = try? session.checkBindable(binding) }
    var bound = BoundCommand(spec: spec, location: command.location, binding: command.binding)
    do {
        try ArgumentBinder.bind(spec: spec, arguments: command.arguments, skipWords: skip,
                                expanded: command.wordsAreLiteral ? nil : expanded,
                                scope: interpreter, into: &bound)
    } catch {
        bindFailures += 1
        _ = error.render(withLocation: true)
    }
}

/// A simple command as `Interpreter.execute(_:source:)` binds it when its name is known.
private func bindSimple(_ simple: SimpleCommand) {
    guard simple.count > 0 else { return }
    let registry = fixture.interpreter.registry
    var spec = registry.specs[simple[0].string]
    var skip = 1
    if spec == nil, simple.count > 1, registry.groups[simple[0].string] != nil {
        spec = registry.specs[simple[0].string + " " + simple[1].string]
        skip = 2
    }
    guard let spec else { return }
    var bound = BoundCommand(spec: spec, location: simple.location, binding: nil)
    do {
        _ = try ArgumentBinder.bindInOrder(spec: spec, arguments: simple, skipWords: skip,
                                           scope: fixture.interpreter, into: &bound)
    } catch {
        _ = error.render(withLocation: true)
    }
}
