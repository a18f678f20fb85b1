import ArgumentParser
@preconcurrency import Glibc
import IPCShell
import IPCSys

@main
struct IPCShellCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipcsh",
        abstract: "An interactive, scriptable shell for exploring Linux inter-process communication.",
        discussion: """
        Without FILE or -c, ipcsh is an interactive shell when stdin is a terminal and reads \
        commands from stdin otherwise. Type `help` inside it for the command list.

        Exit status: 0 success, 1 a command failed, 2 bad ipcsh arguments, 130 interrupted (Ctrl-C).
        """,
        version: IPCShellVersion.current
    )

    @Option(name: .customShort("c"), help: ArgumentHelp("Run these commands ('CMD; CMD') and exit.", valueName: "commands"))
    var commands: String?

    @Flag(name: .long, help: "In a script, report a failed command and continue (still exits 1).")
    var keepGoing = false

    @Flag(name: .long, help: "On exit, remove the kernel objects this session created.")
    var cleanup = false

    @Argument(help: ArgumentHelp("A script to run; a #!/usr/bin/env ipcsh first line is allowed.", valueName: "file"))
    var script: String?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the script: $1, $2, ... and $#.", valueName: "arg"))
    var scriptArguments: [String] = []

    /// A script that has run, kept until exit (see execute()).
    nonisolated(unsafe) static var finishedScript: Script?

    /// swift-argument-parser exits 64 on a usage error; LANGUAGE.md §1 says 2.
    static func main() {
        if let plain = FastArguments.parse(CommandLine.arguments.dropFirst()) { Glibc.exit(plain.execute()) }
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

    func execute() -> Int32 {
        Signals.install()
        let output = Output()
        let session = Session(output: output)
        session.cleanupOnExit = cleanup
        let interpreter = Interpreter(session: session)
        interpreter.keepGoing = keepGoing

        let status: Int32
        if let commands {
            if script != nil {
                FileHandleShim.writeStderr("ipcsh: give either -c COMMANDS or a script FILE, not both\n")
                return 2
            }
            session.positionalStack = [["ipcsh"] + scriptArguments]
            status = runNonInteractive(interpreter) { () throws(ControlFlow) in
                try interpreter.run(source: commands, file: "-c")
            }
        } else if let script {
            session.positionalStack = [[script] + scriptArguments]
            let parsed: Script
            do {
                parsed = try Interpreter.load(script)
            } catch {
                output.diagnostic(error.location == nil ? Diagnostic("ipcsh: " + error.message) : error, withLocation: true)
                return 1
            }
            status = runNonInteractive(interpreter) { () throws(ControlFlow) in
                try interpreter.runTopLevel(parsed)
            }
            // The process ends next: don't free a long script's syntax tree node by node.
            Self.finishedScript = parsed
        } else if isatty(STDIN_FILENO) == 1 {
            status = REPL(interpreter: interpreter).run()
        } else {
            session.positionalStack = [["ipcsh"]]
            let bytes = (try? FileSystem.readBytes("/dev/stdin")) ?? []
            status = runNonInteractive(interpreter) { () throws(ControlFlow) in
                let text = String(decoding: bytes, as: UTF8.self)
                try interpreter.run(source: text, file: "<stdin>")
            }
        }
        return status
    }

    /// Runs a script, `-c` or stdin, ends the session and computes the exit status.
    private func runNonInteractive(_ interpreter: Interpreter, _ body: () throws(ControlFlow) -> Void) -> Int32 {
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
                FileHandleShim.writeStderr("interrupted\n")
                status = 130
            }
        }
        interpreter.session.output.flush()
        for line in interpreter.session.finish() { FileHandleShim.writeStderr(line + "\n") }
        return status
    }
}

enum FileHandleShim {
    static func writeStderr(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeBytes { FileSystem.writeAll(STDERR_FILENO, $0) }
        _ = bytes.popLast()
    }
}
