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
    /// The child's `fork() = 0` is not traced: the parent's line already tells the story.
    /// SIGTERM and SIGHUP stay blocked in the child until `Signals.defaultTerminationInChild()`,
    /// so a `kill` right after the fork is not caught by the parent's handler and lost.
    public static func fork() throws(SystemCallError) -> pid_t {
        _ = ipcsh_fflush_all()
        let pid: pid_t
        do {
            pid = try valueOrErrno("fork") { ipcsh_fork() }
        } catch {
            SyscallTrace.record("fork", [], .failed(errno: error.errno))
            throw error
        }
        if pid > 0 { SyscallTrace.record("fork", [], .returned(.int(Int(pid)))) }
        return pid
    }

    /// `posix_spawn` (or `posix_spawnp` when `searchPath`): stdio set to the given descriptors
    /// (-1 inherits), default signal dispositions, optionally its own process group.
    /// posix_spawn returns its error rather than setting `errno`; the trace shows it as a
    /// failed call all the same.
    public static func spawn(_ path: String, arguments: [String], searchPath: Bool,
                             stdin: Int32, stdout: Int32, stderr: Int32, newGroup: Bool) throws(SystemCallError) -> pid_t {
        let argv = [path] + arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let call = searchPath ? "posix_spawnp" : "posix_spawn"
        let rc = ipcsh_spawn(path, cArgs, searchPath ? 1 : 0, stdin, stdout, stderr, newGroup ? 1 : 0, &pid)
        SyscallTrace.record(call, [.symbol("&pid"), .string(path), .strings(argv)],
                            rc == 0 ? .returned(.annotated(.int(0), "pid \(pid)")) : .failed(errno: rc))
        if rc != 0 { throw SystemCallError(call, errno: rc) }
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
    /// Not traced, as `poll` is not.
    public static func pollChange(_ pid: pid_t) throws(SystemCallError) -> Change? {
        var status: Int32 = 0
        let r = try valueOrErrno("waitpid", retryOnInterrupt: true) { waitpid(pid, &status, WNOHANG | WUNTRACED | WCONTINUED) }
        guard r == pid else { return nil }
        if ipcsh_wifstopped(status) != 0 { return .stopped(signal: ipcsh_wstopsig(status)) }
        if ipcsh_wifcontinued(status) != 0 { return .continued }
        return .ended(ExitStatus(waitStatus: status))
    }

    /// `waitpid(pid, &status, WNOHANG)`: the status if the child has ended, nil if it runs.
    /// With WNOHANG it never blocks, so an EINTR is simply retried. Not traced: the reaper runs
    /// whenever it gets the chance, so a trace of it would differ from run to run.
    public static func poll(_ pid: pid_t) throws(SystemCallError) -> ExitStatus? {
        var status: Int32 = 0
        let r = try valueOrErrno("waitpid", retryOnInterrupt: true) { waitpid(pid, &status, WNOHANG) }
        return r == pid ? ExitStatus(waitStatus: status) : nil
    }

    /// The trace line of the `waitpid(pid, &status, 0)` a C program makes where a script says
    /// `wait`: `waitpid(4243, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0) = 4243`, as strace
    /// shows it. The shell's reaper collected the status already (`poll`, untraced, whenever
    /// SIGCHLD came); `wait` is where the script takes it, so the trace shows the call there
    /// and a trace reads line by line against the C program's (`emit-c`).
    public static func recordWait(_ pid: pid_t, _ status: ExitStatus) {
        let shown: String
        switch status {
        case .exited(let code): shown = "[{WIFEXITED(s) && WEXITSTATUS(s) == \(code)}]"
        case .signaled(let signal): shown = "[{WIFSIGNALED(s) && WTERMSIG(s) == SIG\(Signals.name(signal))}]"
        }
        SyscallTrace.record("waitpid", [.int(Int(pid)), .symbol(shown), .int(0)], .returned(.int(Int(pid))))
    }

    /// Waits for a foreground child (`!`'s sh) to end, on the signal self-pipe (SIGCHLD and
    /// SIGINT both write to it) rather than in a blocking waitpid: a Ctrl-C landing just before
    /// waitpid would not interrupt it, and the child would run on with nobody to stop it.
    /// Ctrl-C (or TERM/HUP) is passed on once to the child and what it runs, as a terminal's
    /// reaches the whole job, and the wait goes on until the child ends. `afterWakeup` runs
    /// after each wake-up (the shell reaps its other children there).
    /// Returns how the child ended and whether an interrupt was passed on.
    public static func waitInForeground(_ pid: pid_t, afterWakeup: () -> Void) throws(SystemCallError) -> (status: ExitStatus, interrupted: Bool) {
        var forwarded = false
        var lastForward: UInt64 = 0
        while true {
            // Forwarded again every 250 ms until the child ends: a signal that lands while
            // posix_spawn is still setting the child up reaches the shell's handler there (which
            // only records it) rather than the program, which then ran on (CLITests'
            // SIGINT-to-the-shell-alone test hung so, now and then).
            if Signals.interruptPending && (!forwarded || Clock.monotonicNanoseconds() - lastForward >= 250_000_000) {
                signalTree(pid, Signals.terminationSignal ?? SIGINT)
                forwarded = true
                lastForward = Clock.monotonicNanoseconds()
            }
            if let status = try poll(pid) { return (status, forwarded) }
            Signals.awaitWakeup(milliseconds: forwarded ? 250 : 1000)
            afterWakeup()
        }
    }

    /// `kill(pid, signal)`.
    public static func kill(_ pid: pid_t, _ signal: Int32) throws(SystemCallError) {
        _ = try traced("kill", [.int(Int(pid)), .symbol("SIG" + Signals.name(signal))]) { Glibc.kill(pid, signal) }
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
