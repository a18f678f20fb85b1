@preconcurrency import Glibc
import IPCSys
import IPCSyntax
import IPCShell

/// `ipcsh replay FILE`: shows a recording to an audience, running every command for real
/// against this machine's kernel: the lesson's comments, the prompt, the command typed out at
/// the recorded pace, then its real output. Keeps going after a failed command.
public struct Replayer {
    public var speed: Double = 1
    public var step = false
    public var noPause = false
    /// Asked before each command with --step; false means quit.
    public var waitForEnter: () -> Bool = { true }

    public init() {}

    /// The longest recorded pause a replay keeps (docs/teaching.md): a longer one, `#@ inf`
    /// included, is cut to it before `--speed` divides it.
    public static let longestPause = 30.0
    /// The slowest `--speed`: a 30 s pause then lasts 50 minutes.
    public static let slowestSpeed = 0.01
    /// The longest wait a replay makes, whatever the file and the speed say.
    static let longestWaitMilliseconds = Int(longestPause / slowestSpeed * 1000)

    /// The wait before a command: its recorded pause (a file's `#@ nan`, `#@ -inf`, `#@ -1e308`
    /// are no pause) cut to `longestPause`, divided by `speed`. Never traps, whatever the numbers.
    static func pauseMilliseconds(_ pause: Double, speed: Double) -> Int {
        guard pause > 0 else { return 0 } // also NaN
        return milliseconds(min(pause, longestPause), dividedBy: speed)
    }

    /// The time to type one character (25 ms at speed 1), at most 200 ms.
    static func typingMicroseconds(speed: Double) -> Int {
        min(milliseconds(0.025, dividedBy: speed) * 1000, 200_000)
    }

    private static func milliseconds(_ seconds: Double, dividedBy speed: Double) -> Int {
        // The command line refuses other speeds; the API may still be handed one.
        var speed = speed
        if speed.isNaN || speed <= 0 { speed = 1 } else if speed < slowestSpeed { speed = slowestSpeed }
        let value = (seconds / speed * 1000).rounded()
        guard value > 0 else { return 0 }
        return value >= Double(longestWaitMilliseconds) ? longestWaitMilliseconds : Int(value)
    }

    /// The line `--step` shows before the first command.
    public static let stepHint = "Enter: next, q: quit"

    /// Replays the lesson: its comments, then each command at a prompt, run for real. Returns
    /// the exit status: 0 when every command that failed is shown failing in the recording (a
    /// lesson may show a failure on purpose), 1 when one failed that the recording shows
    /// succeeding, 130 when interrupted. Quitting early (`q`) is 0.
    public func replay(_ transcript: Transcript, interpreter: Interpreter) -> Int32 {
        let session = interpreter.session
        let output = session.output
        interpreter.keepGoing = true
        interpreter.settlesAfterEachCommand = true
        output.flushEachCommand = true
        let recorded = RecordedDiagnostics(file: transcript.path)
        output.relocateDiagnostic = { recorded.relocate($0) }
        defer { output.relocateDiagnostic = nil }
        let pid = getpid()
        let prompt = output.useColor ? "\u{1B}[1;36mipcsh[\(pid)]>\u{1B}[0m " : "ipcsh[\(pid)]> "
        var unexpectedFailures = 0
        var status: Int32 { unexpectedFailures > 0 ? 1 : 0 }
        if step { showComments(["(\(Replayer.stepHint))"], useColor: output.useColor) }
        for entry in transcript.entries {
            output.flush()
            showComments(entry.comments, useColor: output.useColor)
            if step {
                write(prompt)
                if !waitForEnter() {
                    write("\n")
                    return Signals.interruptPending ? 130 : status
                }
                type(entry.command.source, perCharacter: 0)
            } else {
                if !noPause {
                    do { try interpreter.supervisor.sleep(milliseconds: Replayer.pauseMilliseconds(entry.pause, speed: speed)) } catch {
                        return 130
                    }
                }
                write(prompt)
                type(entry.command.source, perCharacter: noPause ? 0 : Replayer.typingMicroseconds(speed: speed))
            }
            write("\n")
            recorded.current = entry.output.map(\.text)
            let failuresBefore = interpreter.failureCount
            var flow: ControlFlow?
            do throws(ControlFlow) {
                try interpreter.runTopLevel(entry.command)
            } catch {
                flow = error
            }
            if interpreter.failureCount > failuresBefore && !entry.showsFailure { unexpectedFailures += 1 }
            switch flow {
            case .exit?: return status
            case .interrupted?: return 130
            case nil: break
            }
            output.flush()
        }
        showComments(transcript.trailingComments, useColor: output.useColor)
        return status
    }

    /// The lesson's own comments, dimmed on a terminal.
    private func showComments(_ lines: [String], useColor: Bool) {
        guard !lines.isEmpty else { return }
        var text = ""
        for line in lines {
            text += useColor && !line.isEmpty ? "\u{1B}[2m" + line + "\u{1B}[0m\n" : line + "\n"
        }
        write(text)
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { FileSystem.writeAll(STDOUT_FILENO, $0) }
        bytes.removeAll()
    }

    /// Types text out a character at a time.
    private func type(_ text: String, perCharacter microseconds: Int) {
        guard microseconds > 0 else { return write(text) }
        let pause = useconds_t(clamping: min(microseconds, 200_000))
        for character in text {
            write(String(character))
            usleep(pause)
            if Signals.interruptPending { return }
        }
    }
}

/// What the recording shows of the command being replayed: an error it shows is shown the same
/// way now, at the place the recording names (`lesson.ipcs:45:1: error: ...` for a recorded
/// script, `error: ...` for a recorded prompt), not at the command's line in the recording.
final class RecordedDiagnostics {
    let file: String
    /// The recorded output of the command being replayed.
    var current: [String] = []

    init(file: String) { self.file = file }

    func relocate(_ diagnostic: Diagnostic) -> Diagnostic {
        // Only places in the recording itself (a sourced script's lines are that script's).
        guard let location = diagnostic.location, location.file == file else { return diagnostic }
        var shown = diagnostic
        shown.location = nil
        let message = VolatileMask.apply(diagnostic.message)
        for text in current {
            guard let recorded = Transcript.recordedDiagnostic(text), recorded.severity == diagnostic.severity,
                  VolatileMask.apply(String(recorded.message)) == message else { continue }
            shown.location = recorded.location
            break
        }
        return shown
    }
}
