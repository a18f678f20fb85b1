import ArgumentParser
@preconcurrency import Glibc
import IPCShell
import IPCTeaching
import IPCSys
import IPCSyntax

/// `ipcsh replay FILE [--step] [--speed X] [--no-pause] [--keep]`.
struct ReplayCommand: ParsableCommand {
    /// `ipcsh replay` when run (its usage line); `replay` as a subcommand of the completion scripts and the manual.
    static var configuration: CommandConfiguration {
        var configuration = own
        if IPCShellCLI.declaresSubcommands { configuration.commandName = "replay" }
        return configuration
    }

    static let own = CommandConfiguration(
        commandName: "ipcsh replay",
        abstract: "Replay a recording for an audience: each command typed out at the recorded pace, then run for real.",
        discussion: """
            The lesson's own # comments are shown before the commands they explain. A command that \
            fails is shown failing and the replay goes on; the exit status is 1 only when a command \
            fails that the recording shows succeeding. At the end, or when quit, the kernel objects \
            the lesson created are removed, and the replay says so (--keep leaves them).
            """)

    @Argument(help: ArgumentHelp("A recording made with ipcsh --record or record start.", valueName: "file"),
              completion: .file(extensions: ["ipcs"]))
    var file: String

    @Flag(help: "Wait for Enter before each command (q quits).")
    var step = false

    @Option(help: ArgumentHelp("Divide the recorded pauses (and typing) by X (at least \(Replayer.slowestSpeed)).", valueName: "x"))
    var speed: Double = 1

    @Flag(help: "Do not pause or type slowly at all.")
    var noPause = false

    @Flag(help: "Leave the kernel objects the lesson created (as running it as a script would), instead of removing them.")
    var keep = false

    func validate() throws {
        // A tiny speed made pauses too long for any integer (SIGILL at 1e-300).
        guard speed.isFinite, speed >= Replayer.slowestSpeed else {
            throw ValidationError("--speed must be a number of at least \(Replayer.slowestSpeed) (0.5 is half speed, 2 twice as fast)")
        }
    }

    func execute() -> Int32 {
        Signals.install()
        let transcript: Transcript
        do { transcript = try Transcript.load(file) } catch {
            FileHandleShim.writeStderr(error.render(withLocation: true) + "\n")
            return 1
        }
        let session = Session(output: Output())
        session.positionalStack = [[file]]
        let interpreter = Interpreter(session: session)
        interpreter.enableRecording()
        var replayer = Replayer()
        replayer.speed = speed
        replayer.step = step
        replayer.noPause = noPause
        replayer.waitForEnter = { [supervisor = interpreter.supervisor] in ReplayCommand.readEnter(supervisor: supervisor) }
        let status = replayer.replay(transcript, interpreter: interpreter)
        session.output.flush()
        for line in interpreter.supervisor.shutdown() { FileHandleShim.writeStderr("note: " + line + "\n") }
        // Ended, quit or interrupted: what the lesson made goes (LANGUAGE.md §7), unless --keep,
        // which leaves it to the lesson's own `cleanup on|off`, as a script run would.
        if !keep { session.cleanupOnExit = true }
        for line in session.finish() { FileHandleShim.writeStderr(line + "\n") }
        return status
    }

    /// Waits for the next step: Enter (true), or q, end of input or Ctrl-C (false). On a
    /// terminal one key does it (no Enter after q); from a pipe, a line (`q` or `quit` quits).
    static func readEnter(supervisor: Supervisor) -> Bool {
        let tty = open("/dev/tty", O_RDONLY | O_CLOEXEC)
        let fd = tty >= 0 ? tty : STDIN_FILENO
        defer { if tty >= 0 { close(tty) } }
        // No echo while waiting: the Enter would move the cursor off the prompt, and the
        // command must be typed out right after it, as in the recorded session. Keys one at a
        // time (no ICANON); Ctrl-C still interrupts (ISIG).
        var saved = termios()
        let isTerminal = tcgetattr(fd, &saved) == 0
        if isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO | ICANON)
            withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            tcsetattr(fd, TCSANOW, &quiet)
        }
        defer { if isTerminal { tcsetattr(fd, TCSANOW, &saved) } }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            // The supervisor's wait polls the terminal together with the signal self-pipe
            // (a Ctrl-C landing just before a plain read() would leave it blocked for good)
            // and relays children's output meanwhile.
            do {
                guard try supervisor.wait(for: fd, timeoutMilliseconds: nil, until: nil) else { return false }
            } catch { return false }
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR {
                if Signals.interruptPending { return false }
                continue
            }
            if n <= 0 { return false }
            if isTerminal {
                switch byte {
                case 0x0A, 0x0D: return true
                case UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x04: return false // 0x04: Ctrl-D
                default: continue
                }
            }
            if byte == 0x0A { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        return text != "q" && text != "quit"
    }
}

/// `ipcsh check FILE...`.
struct CheckCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        var configuration = own
        if IPCShellCLI.declaresSubcommands { configuration.commandName = "check" }
        return configuration
    }

    static let own = CommandConfiguration(
        commandName: "ipcsh check",
        abstract: "Re-run recordings and verify that they still print what they recorded.",
        discussion: "Values that change from run to run (ids, addresses, pids, descriptor numbers, times, durations) are masked. Prints a diff with the recording's line numbers and exits 1 on any real difference. The kernel objects a lesson leaves behind are removed at its end, and named on stderr.")

    @Argument(help: ArgumentHelp("Recordings to check.", valueName: "file"), completion: .file(extensions: ["ipcs"]))
    var files: [String]

    func execute() -> Int32 {
        Signals.install()
        var failed = 0
        for file in files {
            let transcript: Transcript
            do { transcript = try Transcript.load(file) } catch {
                FileHandleShim.writeStderr(error.render(withLocation: true) + "\n")
                failed += 1
                continue
            }
            let outcome = TranscriptChecker().check(transcript)
            // What the lesson left, removed: said on stderr, as replay says it.
            for line in outcome.cleanup { FileHandleShim.writeStderr("\(file): \(line)\n") }
            if Signals.interruptPending { return 130 }
            if outcome.passed {
                print("\(file): ok (\(outcome.commands) commands, \(outcome.outputLines) output lines)")
            } else {
                failed += 1
                print("\(file): FAILED")
                for line in outcome.diff { print(line) }
            }
        }
        if files.count > 1 { print("\(files.count - failed) of \(files.count) recordings hold") }
        return failed == 0 ? 0 : 1
    }
}
