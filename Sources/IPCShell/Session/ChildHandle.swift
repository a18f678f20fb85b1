@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A child process: forked (running a block, or an actor waiting for commands), a spawned
/// ipcsh, or an external program. Its stdout and stderr come back through pipes that the
/// parent relays line by line with a `[NAME PID] ` prefix.
public final class ChildHandle: Handle {
    public enum Role: String, Sendable {
        case fork, actor, spawn, run
    }

    public let kind = HandleKind.child
    public var name = ""
    public let pid: pid_t
    public let role: Role
    /// What it runs: the block's text, the script, the program.
    public let program: String
    /// Commands to an actor (a socket); nil when none or closed.
    public var commandFD: Int32?
    /// Relay pipes (read ends) for its stdout and stderr; nil once at EOF.
    public var stdoutFD: Int32?
    public var stderrFD: Int32?
    /// Bytes of an unfinished line from each stream.
    var pendingStdout: [UInt8] = []
    var pendingStderr: [UInt8] = []
    public var exitStatus: ExitStatus?
    /// Stopped by this signal (SIGSTOP, SIGTSTP) and not continued since.
    public var stoppedBy: Int32?
    /// The shell said it was stopped (the prompt says so once per stop).
    public var stopReported = false
    /// `wait` printed how it ended.
    public var reported = false

    public init(pid: pid_t, role: Role, program: String, commandFD: Int32?, stdoutFD: Int32?, stderrFD: Int32?) {
        self.pid = pid
        self.role = role
        self.program = program
        self.commandFD = commandFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    public var isOpen: Bool { exitStatus == nil }
    public var isActor: Bool { commandFD != nil }
    public var prefix: String { "[\(name) \(pid)] " }

    public var state: String {
        if let exitStatus { return exitStatus.description }
        if let stoppedBy { return "stopped by signal \(Signals.name(stoppedBy))" }
        return "running"
    }

    /// `pid 4243  actor (@reader COMMAND)  running`; a spawned actor is `spawn actor (...)`.
    public var summary: String {
        var what = role.rawValue
        if isActor { what += (role == .actor ? "" : " actor") + " (@\(name) COMMAND)" }
        return "pid \(pid)  \(what)  \(state)"
    }

    public var fields: [(name: String, value: String)] {
        var list: [(String, String)] = [("pid", String(pid)), ("role", role.rawValue), ("program", program),
                                        ("state", state)]
        switch exitStatus {
        case .exited(let code)?: list.append(("status", String(code)))
        case .signaled(let signal)?: list.append(("signal", Signals.name(signal)))
        case nil: break
        }
        return list
    }

    public var jsonFields: [(name: String, value: String)] {
        var status = "-", signal = "-"
        switch exitStatus {
        case .exited(let code)?: status = String(code)
        case .signaled(let number)?: signal = Signals.name(number)
        case nil: break
        }
        return [("pid", String(pid)), ("role", role.rawValue), ("program", program), ("state", state), ("status", status), ("signal", signal)]
    }

    /// Closes every descriptor the parent holds for it.
    func closeDescriptors() {
        for fd in [commandFD, stdoutFD, stderrFD].compactMap({ $0 }) { Plumbing.close(fd) }
        commandFD = nil
        stdoutFD = nil
        stderrFD = nil
    }
}
