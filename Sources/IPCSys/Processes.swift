@preconcurrency import Glibc
import CIPCShims

/// How a child ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus: Int32) {
        if ipcsh_wifsignaled(waitStatus) != 0 {
            self = .signaled(ipcsh_wtermsig(waitStatus))
        } else {
            self = .exited(ipcsh_wexitstatus(waitStatus))
        }
    }

    /// `exited with status 0` / `killed by signal TERM`.
    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "killed by signal \(Signals.name(signal))"
        }
    }

    /// The status a shell would report: the code, or 128 + signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }
}

/// `fork`, `posix_spawn`, `waitpid`, `kill`.
public enum Processes {
    /// `fork()`, after flushing stdio so buffered output is not printed twice.
    /// Only safe while the process has one thread: ipcsh never starts another.
    public static func fork() throws(SystemCallError) -> pid_t {
        _ = ipcsh_fflush_all()
        let pid = Glibc.fork()
        if pid == -1 {
            let error = SystemCallError("fork", errno: Errno.current)
            SyscallTrace.reportFailure("fork", "", error)
            throw error
        }
        if pid > 0 { SyscallTrace.report("fork", "", result: String(pid)) }
        return pid
    }

    /// `posix_spawn` (or `posix_spawnp` when `searchPath`): stdio set to the given descriptors
    /// (-1 inherits), default signal dispositions, optionally its own process group.
    public static func spawn(_ path: String, arguments: [String], searchPath: Bool,
                             stdin: Int32, stdout: Int32, stderr: Int32, newGroup: Bool) throws(SystemCallError) -> pid_t {
        var cArgs: [UnsafeMutablePointer<CChar>?] = ([path.hasPrefix("/") ? path : path] + arguments).map { strdup($0) }
        cArgs[0] = strdup(arguments.isEmpty ? path : path)
        cArgs.append(nil)
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let call = searchPath ? "posix_spawnp" : "posix_spawn"
        let rc = ipcsh_spawn(path, cArgs, searchPath ? 1 : 0, stdin, stdout, stderr, newGroup ? 1 : 0, &pid)
        let shown = { "&pid, \"\(path)\", [" + ([path] + arguments).map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        if rc != 0 {
            let error = SystemCallError(call, errno: rc)
            SyscallTrace.reportFailure(call, shown(), error)
            throw error
        }
        SyscallTrace.report(call, shown(), result: "0 (pid \(pid))")
        return pid
    }

    /// What `waitpid(pid, &status, WNOHANG | WUNTRACED | WCONTINUED)` saw.
    public enum Change: Equatable, Sendable {
        case ended(ExitStatus)
        case stopped(signal: Int32)
        case continued
    }

    /// `waitpid(pid, &status, WNOHANG | WUNTRACED | WCONTINUED)`: whether the child ended, was
    /// stopped (SIGSTOP, SIGTSTP) or continued since the last call; nil if nothing changed.
    public static func pollChange(_ pid: pid_t) throws(SystemCallError) -> Change? {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG | WUNTRACED | WCONTINUED)
            if r == 0 { return nil }
            if r == pid {
                if ipcsh_wifstopped(status) != 0 { return .stopped(signal: ipcsh_wstopsig(status)) }
                if ipcsh_wifcontinued(status) != 0 { return .continued }
                return .ended(ExitStatus(waitStatus: status))
            }
            let code = Errno.current
            if code == EINTR { continue }
            throw SystemCallError("waitpid", errno: code)
        }
    }

    /// `waitpid(pid, &status, WNOHANG)`: the status if the child has ended, nil if it runs.
    public static func poll(_ pid: pid_t) throws(SystemCallError) -> ExitStatus? {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == 0 { return nil }
            if r == pid {
                // Not traced: the reaper runs whenever it gets the chance, so a trace of it
                // would differ from run to run.
                return ExitStatus(waitStatus: status)
            }
            let code = Errno.current
            if code == EINTR { continue }
            throw SystemCallError("waitpid", errno: code)
        }
    }

    /// `kill(pid, signal)`.
    public static func kill(_ pid: pid_t, _ signal: Int32) throws(SystemCallError) {
        if Glibc.kill(pid, signal) == -1 {
            let error = SystemCallError("kill", errno: Errno.current)
            SyscallTrace.reportFailure("kill", "\(pid), SIG\(Signals.name(signal))", error)
            throw error
        }
        SyscallTrace.report("kill", "\(pid), SIG\(Signals.name(signal))", result: "0")
    }

    /// Sends `signal` to `pid` and to every process below it (its children, theirs, ...), as
    /// a terminal's Ctrl-C reaches the whole foreground job: `sh -c 'sleep 30; ...'` waits
    /// for its child and would ignore a SIGINT sent to it alone. Descendants are read from
    /// /proc/PID/task/TID/children; processes that are gone are skipped.
    public static func signalTree(_ pid: pid_t, _ signal: Int32) {
        var pending = [pid]
        var seen = Set<pid_t>()
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, seen.count <= 4096 else { continue }
            _ = Glibc.kill(next, signal)
            guard let tasks = try? FileSystem.directoryEntries("/proc/\(next)/task") else { continue }
            for task in tasks {
                guard let text = try? FileSystem.readWholeFile("/proc/\(next)/task/\(task)/children") else { continue }
                pending += text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
            }
        }
    }

    /// Leaves a forked child at once, flushing stdio but running no exit handlers.
    public static func exitChild(_ status: Int32) -> Never {
        _ = ipcsh_fflush_all()
        _exit(status)
    }
}
