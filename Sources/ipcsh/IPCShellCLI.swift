import ArgumentParser
@preconcurrency import Glibc
import IPCShell
import IPCTeaching
import IPCSys
import IPCSyntax

@main
struct IPCShellCLI: ParsableCommand {
    /// `replay`, `check`, `emit-c` and `diagram` are dispatched by hand in `main()`, before any
    /// argument parsing, so the everyday command lines never build a tree of subcommands. The completion
    /// scripts (`--generate-completion-script`) and the manual (`--generate-manual`) are made
    /// from a configuration that declares them as subcommands, so that they list them too.
    nonisolated(unsafe) static var declaresSubcommands = false

    static var configuration: CommandConfiguration { declaresSubcommands ? documented : plain }

    /// What `ipcsh --generate-completion-script` and `ipcsh --generate-manual` describe.
    static let documented: CommandConfiguration = {
        var configuration = plain
        configuration.subcommands = [ReplayCommand.self, CheckCommand.self, EmitCArguments.self, DiagramArguments.self]
        return configuration
    }()

    static let plain = CommandConfiguration(
        commandName: "ipcsh",
        abstract: "An interactive, scriptable shell for exploring Linux inter-process communication.",
        usage: """
        ipcsh [--keep-going] [--cleanup] [--trace] [--record <file>] [<file> [<arg> ...] | -c <commands> [<arg> ...]]
        ipcsh replay <file> [<option> ...]   (ipcsh replay --help)
        ipcsh check <file> ...
        ipcsh emit-c <file> [<arg> ...] [-o <out.c>]
        ipcsh diagram <file> [<arg> ...] [-o <out.svg>] [--mermaid]
        """,
        discussion: """
        Without FILE or -c, ipcsh is an interactive shell when stdin is a terminal and reads \
        commands from stdin otherwise. Type `help` inside it for the command list.

        Recordings: ipcsh --record FILE records a session; ipcsh replay FILE [--step] [--speed X] [--keep] \
        shows it to a class; ipcsh check FILE... verifies that recordings still hold.

        Exit status: 0 success, 1 a command failed, 2 bad ipcsh arguments, 130 interrupted (Ctrl-C), 141 stdout closed by its reader (after the clean-up).

        -V is short for --version.
        """,
        version: IPCShellVersion.current
    )

    @Option(name: .customShort("c"), help: ArgumentHelp("Run these commands ('CMD; CMD') and exit.", valueName: "commands"))
    var commands: String?

    @Flag(name: .long, help: "In a script, report a failed command and continue (still exits 1).")
    var keepGoing = false

    @Flag(name: .long, help: "On exit, remove the kernel objects this session created.")
    var cleanup = false

    @Flag(name: .long, help: "Print every system call, C-style, on stderr (as the trace on command does).")
    var trace = false

    @Option(name: .long, help: ArgumentHelp("Record the session (commands, output, pauses) to FILE: a script that ipcsh replay and ipcsh check take.", valueName: "file"),
            completion: .file())
    var record: String?

    @Flag(name: .long, help: .hidden)
    var actor = false

    @Argument(help: ArgumentHelp("A script to run; a #!/usr/bin/env ipcsh first line is allowed.", valueName: "file"),
              completion: .file(extensions: ["ipcs"]))
    var script: String?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the script: $1, $2, ... and $#.", valueName: "arg"))
    var scriptArguments: [String] = []


    /// swift-argument-parser exits 64 on a usage error; docs/language.md ("Invocation") says 2.
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if let first = arguments.first, first.hasPrefix("-") {
            // `--generate-completion-script SHELL`, the scripts' own `---completion` calls back,
            // and `--experimental-dump-help`: with the subcommands declared.
            if first.hasPrefix("--generate-completion-script") || first == "---completion"
                || first == "--experimental-dump-help" {
                declaresSubcommands = true
                do throws(CompletionScripts.Mismatch) {
                    if let script = try CompletionScripts.script(Array(arguments)) {
                        print(script, terminator: "")
                        Glibc.exit(0)
                    }
                } catch {
                    FileHandleShim.writeStderr("ipcsh: cannot adapt the completion script: \(error.message)\n")
                    Glibc.exit(1)
                }
            }
            if first == "--generate-manual" { Glibc.exit(printManual(Array(arguments.dropFirst()))) }
        }
        if let first = arguments.first, first == "replay" || first == "check" {
            Glibc.exit(runTeachingCommand(first, Array(arguments.dropFirst())))
        }
        if arguments.first == "emit-c" { Glibc.exit(EmitCCommand.run(Array(arguments.dropFirst()))) }
        if arguments.first == "diagram" { Glibc.exit(DiagramCommand.run(Array(arguments.dropFirst()))) }
        // -V, as python, psql and sqlite3 take it (swift-argument-parser knows only --version).
        if arguments.first == "-V" {
            print(IPCShellVersion.current)
            Glibc.exit(0)
        }
        if let plain = FastArguments.parse(arguments) { Glibc.exit(plain.execute()) }
        let command: IPCShellCLI
        do {
            var parsed = try parseAsRoot()
            // `--help`/`-h` parse as swift-argument-parser's own HelpCommand: run it (prints, exits 0).
            guard let cli = parsed as? IPCShellCLI else { try parsed.run(); Glibc.exit(0) }
            command = cli
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                FileHandleShim.writeStderr(message + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
        Glibc.exit(command.execute())
    }

    /// `ipcsh --generate-manual`: ipcsh(1) in roff on stdout (docs/ipcsh.1 is its output), from the
    /// command specs and the options swift-argument-parser knows of (its tool-info dump).
    static func printManual(_ rest: [String]) -> Int32 {
        guard rest.isEmpty else {
            FileHandleShim.writeStderr("ipcsh: --generate-manual takes no arguments\n")
            return 2
        }
        declaresSubcommands = true
        var dump = ""
        do { _ = try parseAsRoot(["--experimental-dump-help"]) } catch { dump = fullMessage(for: error) }
        let info: JSON
        do throws(JSON.ParseError) { info = try JSON.parse(dump) } catch {
            FileHandleShim.writeStderr("ipcsh: --generate-manual: cannot read the options' description: \(error.message)\n")
            return 1
        }
        print(ManualPage.render(programs: ManualPage.programs(fromToolInfo: info)), terminator: "")
        return 0
    }

    static func runTeachingCommand(_ name: String, _ arguments: [String]) -> Int32 {
        do {
            if name == "replay" {
                let command = try ReplayCommand.parse(arguments)
                return command.execute()
            }
            let command = try CheckCommand.parse(arguments)
            return command.execute()
        } catch {
            let code = name == "replay" ? ReplayCommand.exitCode(for: error) : CheckCommand.exitCode(for: error)
            let message = name == "replay" ? ReplayCommand.fullMessage(for: error) : CheckCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                return 0
            }
            FileHandleShim.writeStderr(message + "\n")
            return code == .validationFailure ? 2 : code.rawValue
        }
    }

    func execute() -> Int32 {
        Signals.install()
        let output = Output()
        let session = Session(output: output)
        session.cleanupOnExit = cleanup
        if trace { session.setTracing(true) }
        let interpreter = Interpreter(session: session)
        interpreter.enableRecording()
        interpreter.keepGoing = keepGoing
        if let record {
            do throws(Diagnostic) { interpreter.recorder = try Recorder(path: record) } catch {
                output.diagnostic(error, withLocation: false)
                return 1
            }
        }
        // A return before the session ran (a script that cannot be read): FILE keeps what it held.
        defer { interpreter.recorder?.abandon() }

        let status: Int32
        if actor {
            // Spawned by `spawn` without a script: framed commands arrive on stdin.
            session.isChild = true
            interpreter.serveActor(commandFD: STDIN_FILENO)
        } else if let commands {
            // With -c, the words after the commands are $1, $2, ... (as sh -c takes them).
            session.positionalStack = [["ipcsh"] + (script.map { [$0] } ?? []) + scriptArguments]
            session.argumentsOrigin = .commandText
            status = Self.runNonInteractive(interpreter) { () throws(ControlFlow) in
                try interpreter.run(source: commands, file: "-c")
            }
        } else if let script, interpreter.recorder == nil {
            // Read as a stream: a script runs as it is read, in bounded memory.
            session.positionalStack = [[script] + scriptArguments]
            let fd: Int32
            do { fd = try Descriptors.openInput(script) } catch {
                output.diagnostic(Diagnostic("ipcsh: cannot read \(script): \(error.symbol) (\(error.text))"), withLocation: true)
                return 1
            }
            status = Self.runNonInteractive(interpreter) { () throws(ControlFlow) in
                try interpreter.runTopLevel(reading: fd, file: script)
            }
            Plumbing.close(fd)
        } else if let script {
            // Recording a script: it is read whole first, so a recording can replace it.
            session.positionalStack = [[script] + scriptArguments]
            let bytes: [UInt8]
            do {
                bytes = try Interpreter.loadBytes(script)
            } catch {
                output.diagnostic(error.location == nil ? Diagnostic("ipcsh: " + error.message, hint: error.hint) : error,
                                  withLocation: true)
                return 1
            }
            (interpreter.recorder as? Recorder)?.keepComments(of: script, source: bytes)
            status = Self.runNonInteractive(interpreter) { () throws(ControlFlow) in
                try interpreter.runTopLevel(streaming: bytes, file: script)
            }
        } else if isatty(STDIN_FILENO) == 1 {
            // The interactive shell logs its events from the start: `diagram -o FILE.svg` draws the session so far.
            session.diagramLog = try? DiagramLog(session: session)
            status = REPL(interpreter: interpreter).run()
        } else {
            // Commands run as they arrive, as sh runs them from a pipe.
            session.positionalStack = [["ipcsh"]]
            session.argumentsOrigin = .standardInput
            status = Self.runNonInteractive(interpreter) { () throws(ControlFlow) in
                try interpreter.runTopLevel(reading: STDIN_FILENO, file: "<stdin>", refusesBinary: false)
            }
        }
        return endRecording(interpreter, status: status)
    }

    /// Saves the recording (`--record`, or a `record start` never stopped). One that could not
    /// be written whole is an error: `error: record: cannot write FILE: ENOSPC (...)`, exit 1.
    private func endRecording(_ interpreter: Interpreter, status: Int32) -> Int32 {
        guard let recorder = interpreter.recorder else { return status }
        interpreter.recorder = nil
        do throws(Diagnostic) { try recorder.close() } catch {
            interpreter.session.output.diagnostic(error, withLocation: false)
            interpreter.session.output.flush()
            return status == 0 ? 1 : status
        }
        return status
    }

    /// Runs a script, `-c` or stdin, ends the session and computes the exit status.
    static func runNonInteractive(_ interpreter: Interpreter, _ body: () throws(ControlFlow) -> Void) -> Int32 {
        var status: Int32
        do {
            try body()
            status = interpreter.failureCount > 0 ? 1 : 0
        } catch {
            switch error {
            case .exit(let code):
                status = code
            case .interrupted:
                interpreter.session.output.flush()
                if let signal = Signals.terminationSignal {
                    // A closed stdout (SIGPIPE) ends the session quietly, as it ends sh.
                    if signal != SIGPIPE { FileHandleShim.writeStderr("terminated by SIG\(Signals.name(signal)): ending the session\n") }
                    status = 128 + signal
                } else {
                    // As at the prompt: on a terminal, the ^C it echoed where the cursor was gets a line of its own.
                    if isatty(STDERR_FILENO) == 1 { FileHandleShim.writeStderr("\n") }
                    interpreter.session.output.warning("interrupted")
                    interpreter.session.output.flush()
                    status = 130
                }
            }
        }
        // SIGTERM/SIGHUP: the same clean-up as the end of input (docs/language.md, "Invocation"), its waits included.
        if let signal = Signals.takeTermination() { status = 128 + signal }
        interpreter.session.output.flush()
        for line in interpreter.supervisor.shutdown() { FileHandleShim.writeStderr("note: " + line + "\n") }
        interpreter.session.output.flush()
        for line in interpreter.session.finish() { FileHandleShim.writeStderr(line + "\n") }
        return status
    }
}

enum FileHandleShim {
    static func writeStderr(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { FileSystem.writeAll(STDERR_FILENO, $0) }
        _ = bytes.popLast()
    }
}
