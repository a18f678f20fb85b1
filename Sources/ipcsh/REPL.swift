@preconcurrency import Glibc
import IPCShell
import IPCTeaching
import IPCSys
import LineEditor
import IPCSyntax

/// The interactive loop: readline, continuation lines, Ctrl-C, Ctrl-D.
struct REPL {
    let interpreter: Interpreter

    func run() -> Int32 {
        let session = interpreter.session
        session.isInteractive = true
        session.argumentsOrigin = .interactive
        session.typedCommands = []
        let output = session.output
        output.flushEachCommand = true
        let registry = interpreter.registry
        let editor = LineEditor(
            historyPath: REPL.historyPath(),
            wakeDescriptor: Signals.wakeDescriptor,
            takeInterrupt: { Signals.takeInterrupt() },
            completer: { line, start, end in
                let result = Completion.complete(line: line, start: start, end: end, session: session,
                                                 registry: registry)
                return LineEditor.Completions(result.candidates, areFilenames: result.areFilenames)
            })
        defer { editor.close() }

        let pid = getpid()
        let color = output.useColor
        let prompt = color ? "\u{1}\u{1B}[1;36m\u{2}ipcsh[\(pid)]>\u{1}\u{1B}[0m\u{2} " : "ipcsh[\(pid)]> "
        let continuation = color ? "\u{1}\u{1B}[2m\u{2}...>\u{1}\u{1B}[0m\u{2} " : "...> "
        if color {
            // The shell's greeting, not part of the lesson: a recording (--record) does not see it.
            let tap = output.tap
            output.tap = nil
            output.info("ipcsh \(IPCShellVersion.current): type help for commands, Ctrl-D to leave")
            output.tap = tap
        }
        output.flush()

        var pending = ""
        var status: Int32 = 0
        loop: while true {
            // While the prompt is shown, children's output and their ends are printed above it.
            let supervisor = interpreter.supervisor
            supervisor.asyncEmit = { text, stream in
                editor.printAbove(text, descriptor: stream == .stderr ? STDERR_FILENO : STDOUT_FILENO)
            }
            reportEndedChildren(editor)
            let event = editor.readLine(prompt: pending.isEmpty ? prompt : continuation,
                                        watching: { supervisor.relayDescriptors },
                                        onReadable: { fd in
                                            supervisor.relay(fd)
                                            reportEndedChildren(editor)
                                        },
                                        onWake: { reportEndedChildren(editor) })
            supervisor.asyncEmit = nil
            // SIGTERM or SIGHUP (the terminal closed): leave as Ctrl-D does, then exit 143/129.
            if Signals.terminationSignal != nil { break loop }
            switch event {
            case .endOfInput:
                FileHandleShim.writeStderr("\n")
                // Ctrl-D at `...>` drops the unfinished command; only at the prompt does it leave.
                if !pending.isEmpty {
                    output.warning("unfinished command discarded")
                    output.flush()
                    pending = ""
                    continue loop
                }
                status = session.lastStatus
                break loop
            case .interrupted:
                pending = ""
                continue loop
            case .line(let line):
                let text = pending.isEmpty ? line : pending + "\n" + line
                let script: Script
                do {
                    script = try Parser.parse(text, file: "<stdin>")
                } catch where error.isIncomplete {
                    pending = text
                    continue loop
                } catch {
                    editor.remember(text)
                    pending = ""
                    interpreter.report(error)
                    continue loop
                }
                pending = ""
                editor.remember(text)
                do {
                    try interpreter.runTopLevel(script)
                } catch {
                    switch error {
                    case .exit(let code):
                        status = code
                        break loop
                    case .interrupted:
                        if Signals.terminationSignal != nil { break loop }
                        Signals.takeInterrupt()
                        output.flush()
                        // The terminal echoed ^C where the cursor was: start a fresh line.
                        FileHandleShim.writeStderr("\n")
                        output.warning("interrupted")
                        session.lastStatus = 130
                    }
                }
                output.flush()
            }
        }
        output.flush()
        if let signal = Signals.takeTermination() {
            FileHandleShim.writeStderr("\nterminated by SIG\(Signals.name(signal)): ending the session\n")
            status = 128 + signal
        }
        for line in interpreter.supervisor.shutdown() { FileHandleShim.writeStderr("note: " + line + "\n") }
        output.flush()
        for line in session.finish() { FileHandleShim.writeStderr(line + "\n") }
        return status
    }

    /// Says above the prompt how each child that ended since the last time ended
    /// (SIGCHLD wakes the loop; a child's output pipe reaching end of file does too).
    private func reportEndedChildren(_ editor: LineEditor) {
        let supervisor = interpreter.supervisor
        supervisor.reap()
        for child in supervisor.children where child.exitStatus != nil && !child.reported
            && child.stdoutFD == nil && child.stderrFD == nil {
            child.reported = true
            if let status = child.exitStatus {
                editor.printAbove("\(child.name) (pid \(child.pid)) \(status)")
            }
        }
        for child in supervisor.children where child.exitStatus == nil && child.stoppedBy != nil && !child.stopReported {
            child.stopReported = true
            editor.printAbove("\(child.name) (pid \(child.pid)) \(child.state)")
        }
    }

    /// `$IPCSH_HISTORY`, else `~/.ipcsh_history`.
    static func historyPath() -> String? {
        if let custom = getenv("IPCSH_HISTORY") {
            let path = String(cString: custom)
            return path.isEmpty ? nil : path
        }
        guard let home = getenv("HOME") else { return nil }
        return String(cString: home) + "/.ipcsh_history"
    }
}
