@preconcurrency import Glibc

/// The calls behind ipcsh's own plumbing, apart from what the user asked for: relaying a child's
/// output, the report and actor channels, the supervisor's poll loop, reading a script, the RPC
/// server's connections. Untraced (`trace` shows the user's calls), and with the C signatures,
/// so the loops that use them read as their C counterparts; kept here so that no system call is
/// made outside IPCSys and the C shims.
public enum Plumbing {
    /// `read(fd, buffer, count)`: bytes read, 0 at end of file, -1 with errno set.
    @inline(__always)
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Glibc.read(fd, buffer, count)
    }

    /// `write(fd, buffer, count)`: bytes written, or -1 with errno set.
    @inline(__always)
    public static func write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        Glibc.write(fd, buffer, count)
    }

    /// `close(fd)` of a descriptor ipcsh made for itself; a failure leaves nothing to do.
    @inline(__always)
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `poll(fds, count, timeout)`: how many are ready, 0 on timeout, -1 with errno set.
    @inline(__always)
    public static func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: Int32) -> Int32 {
        Glibc.poll(fds, count, timeout)
    }

    /// `poll` with a zero timeout: whether a read (POLLIN) or write (POLLOUT) on `fd` would go
    /// ahead without waiting (an error or hang-up counts: the call returns at once too).
    @inline(__always)
    public static func isReady(_ fd: Int32, for events: Int16) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        return Glibc.poll(&p, 1, 0) > 0
    }

    /// `dup2(fd, target)`: `target` becomes a copy of `fd` (a child's stdout onto its relay pipe).
    @inline(__always)
    public static func redirect(_ fd: Int32, to target: Int32) {
        _ = dup2(fd, target)
    }

    /// `open("/dev/null", O_RDONLY|O_CLOEXEC)`: a spawned program's stdin; -1 when it cannot be had.
    public static func openNull() -> Int32 {
        Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    /// `setpgid(pid, group)`: an actor gets its own process group, so Ctrl-C is the shell's.
    @inline(__always)
    public static func setProcessGroup(_ pid: pid_t, _ group: pid_t) {
        _ = setpgid(pid, group)
    }

    /// `signal(sig, SIG_DFL)`: a forked child takes Ctrl-C as a plain program does.
    @inline(__always)
    public static func restoreDefaultAction(_ signal: Int32) {
        _ = Glibc.signal(signal, SIG_DFL)
    }
}
