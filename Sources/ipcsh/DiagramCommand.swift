import ArgumentParser
@preconcurrency import Glibc
import IPCShell
import IPCSys
import IPCSyntax

/// `ipcsh diagram FILE [ARG...] [-o OUT.svg] [--mermaid]`: runs a script (or recording) as it
/// would run, its output flowing as usual, with every process of the session logging its
/// events; then draws them as a sequence diagram. SVG by default (to OUT.svg, or FILE's name
/// with .svg); Mermaid text with --mermaid (stdout without -o: the script's own output then goes
/// to stderr, so that stdout is the diagram alone).
enum DiagramCommand {
    static let usage = "usage: ipcsh diagram FILE [ARG...] [-o OUT.svg] [--mermaid]"

    static func run(_ arguments: [String]) -> Int32 {
        var rest: [String] = []
        var output: String?
        var mermaid = false
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            do {
                if a == "-o" || a == "--output" {
                    guard i + 1 < arguments.count else { return fail("diagram: -o needs a file\n" + usage, 2) }
                    output = arguments[i + 1]
                    i += 2
                    continue
                }
                if a == "--mermaid" {
                    mermaid = true
                    i += 1
                    continue
                }
                if a == "-h" || a == "--help" {
                    print("""
                        \(usage)
                        Runs the script, its output as usual, then draws what its processes did as a sequence
                        diagram: a lifeline per process, an arrow per message from the write to the read that took
                        it, a bar where a process was blocked. SVG to OUT.svg (default: FILE with .svg); Mermaid
                        text with --mermaid, on stdout unless -o is given (the script's output then goes to stderr).
                        """)
                    return 0
                }
            }
            rest.append(a)
            i += 1
        }
        guard let file = rest.first else { return fail("diagram: missing FILE\n" + usage, 2) }
        if output == nil && !mermaid { output = defaultOutput(file) }

        let fd: Int32
        do { fd = try Descriptors.open(file, flags: O_RDONLY | O_CLOEXEC) } catch {
            return fail("diagram: cannot read \(file): \(error.symbol) (\(error.text))", 1)
        }
        defer { Plumbing.close(fd) }

        // Mermaid on stdout: the script's own output goes to stderr meanwhile.
        let savedStdout = output == nil ? dup(STDOUT_FILENO) : -1
        if savedStdout >= 0 { dup2(STDERR_FILENO, STDOUT_FILENO) }

        Signals.install()
        let session = Session(output: Output())
        let interpreter = Interpreter(session: session)
        session.positionalStack = [[file] + Array(rest.dropFirst())]
        let log: DiagramLog
        do throws(SystemCallError) { log = try DiagramLog(session: session) } catch {
            return fail("diagram: cannot make the event log: \(error)", 1)
        }
        session.diagramLog = log
        let status = IPCShellCLI.runNonInteractive(interpreter) { () throws(ControlFlow) in
            try interpreter.runTopLevel(reading: fd, file: file)
        }
        session.diagramLog = nil
        session.output.flush()
        if savedStdout >= 0 {
            dup2(savedStdout, STDOUT_FILENO)
            Plumbing.close(savedStdout)
        }

        let title = "ipcsh diagram " + (file.split(separator: "/").last.map(String.init) ?? file)
        let text = DiagramOutput.render(title: title, events: log.events(), mermaid: mermaid)
        guard let output else {
            print(text, terminator: "")
            return status
        }
        if let problem = DiagramOutput.write(text, to: output) { return fail("diagram: " + problem, 1) }
        FileHandleShim.writeStderr("diagram: written to \(output)\n")
        return status
    }

    /// `examples/deadlock.ipcs` -> `deadlock.svg` (in the current directory).
    static func defaultOutput(_ file: String) -> String {
        var base = file.split(separator: "/").last.map(String.init) ?? file
        if base.hasSuffix(".ipcs") { base.removeLast(5) }
        return base + ".svg"
    }

    static func fail(_ message: String, _ code: Int32) -> Int32 {
        FileHandleShim.writeStderr(message + "\n")
        return code
    }
}

/// `diagram`'s command line as swift-argument-parser would declare it: `DiagramCommand` parses it
/// by hand (its `-o` and `--mermaid` may come after the script's arguments); this declaration is
/// what the completion scripts and the manual (`ipcsh --generate-manual`) show of it.
struct DiagramArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagram",
        abstract: "Run the script, its output as usual, then draw what its processes did as a sequence diagram.",
        discussion: "A lifeline per process, an arrow per message from the write to the read that took it, a bar where a process was blocked.")

    @Argument(help: ArgumentHelp("The script (or recording) to run and draw.", valueName: "file"), completion: .file(extensions: ["ipcs"]))
    var file: String

    @Argument(help: ArgumentHelp("Arguments for the script: $1, $2, ... and $#.", valueName: "arg"))
    var arguments: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the diagram to this file (default: FILE's name with .svg; with --mermaid, stdout).", valueName: "out.svg"),
            completion: .file())
    var output: String?

    @Flag(help: "Mermaid text instead of SVG (on stdout without -o: the script's own output then goes to stderr).")
    var mermaid = false
}
