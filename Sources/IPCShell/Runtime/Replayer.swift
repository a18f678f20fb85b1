@preconcurrency import Glibc
import IPCSys

/// `ipcsh replay FILE`: shows a recording to an audience, running every command for real
/// against this machine's kernel: the prompt, the command typed out at the recorded pace,
/// then its real output. Keeps going after a failed command.
public struct Replayer {
    public var speed: Double = 1
    public var step = false
    public var noPause = false
    /// Asked before each command with --step; false means quit.
    public var waitForEnter: () -> Bool = { true }

    public init() {}

    public func replay(_ transcript: Transcript, interpreter: Interpreter) -> Int32 {
        let session = interpreter.session
        let output = session.output
        interpreter.keepGoing = true
        interpreter.settlesAfterEachCommand = true
        output.flushEachCommand = true
        let pid = getpid()
        let prompt = output.useColor ? "\u{1B}[1;36mipcsh[\(pid)]>\u{1B}[0m " : "ipcsh[\(pid)]> "
        for entry in transcript.entries {
            output.flush()
            if step {
                write(prompt)
                if !waitForEnter() {
                    write("\n")
                    return Signals.interruptPending ? 130 : 0
                }
                type(entry.command.source, perCharacter: 0)
            } else {
                if !noPause {
                    do { try interpreter.supervisor.sleep(milliseconds: Int(min(entry.pause, 30) / speed * 1000)) } catch {
                        return 130
                    }
                }
                write(prompt)
                type(entry.command.source, perCharacter: noPause ? 0 : Int(25_000 / speed))
            }
            write("\n")
            do {
                try interpreter.runTopLevel(entry.command)
            } catch {
                switch error {
                case .exit: return interpreter.failureCount > 0 ? 1 : 0
                case .interrupted: return 130
                }
            }
            output.flush()
        }
        return interpreter.failureCount > 0 ? 1 : 0
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeBytes { FileSystem.writeAll(STDOUT_FILENO, $0) }
        bytes.removeAll()
    }

    /// Types text out a character at a time.
    private func type(_ text: String, perCharacter microseconds: Int) {
        guard microseconds > 0 else { return write(text) }
        for character in text {
            write(String(character))
            usleep(useconds_t(min(microseconds, 200_000)))
            if Signals.interruptPending { return }
        }
    }
}
