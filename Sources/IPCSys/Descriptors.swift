@preconcurrency import Glibc
import CIPCShims

/// Descriptor calls: `pipe`, `open`, `read`, `write`, `close`, `mkfifo`, `unlink`, `poll`.
/// Blocking calls do not retry on EINTR, so Ctrl-C gets back to the prompt.
public enum Descriptors {
    /// `pipe2(fds, O_CLOEXEC)`: (read end, write end). Close-on-exec so that spawned
    /// programs inherit nothing but stdio; `fork` children still inherit both ends.
    public static func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try traced("pipe", [.output(name: "fds", .descriptors(fds))]) { ipcsh_pipe2(&fds, O_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// A close-on-exec pipe for ipcsh's own plumbing (relaying a child's output): not traced,
    /// because it is not part of what the user asked for.
    public static func internalPipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try valueOrErrno("pipe") { ipcsh_pipe2(&fds, O_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// `open(path, flags, mode)`. Blocks as the kernel does (a FIFO waits for its other side).
    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws(SystemCallError) -> Int32 {
        try traced("open", [.string(path), .symbol(openFlags(flags))] + (flags & O_CREAT != 0 ? [.mode(Int(mode))] : [])) {
            Glibc.open(path, flags | O_CLOEXEC, mode)
        }
    }

    /// `open(path, flags)` of a script ipcsh reads (the file it runs, `source FILE`): not
    /// traced, because reading its own input is not part of what the script asks the kernel for
    /// (a trace then reads line by line against the C program `emit-c` makes of the script).
    public static func openInput(_ path: String) throws(SystemCallError) -> Int32 {
        try valueOrErrno("open") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
    }

    public static func openFlags(_ flags: Int32) -> String {
        var parts: [String]
        switch flags & O_ACCMODE {
        case O_WRONLY: parts = ["O_WRONLY"]
        case O_RDWR: parts = ["O_RDWR"]
        default: parts = ["O_RDONLY"]
        }
        if flags & O_NONBLOCK != 0 { parts.append("O_NONBLOCK") }
        if flags & O_CREAT != 0 { parts.append("O_CREAT") }
        if flags & O_EXCL != 0 { parts.append("O_EXCL") }
        return parts.joined(separator: "|")
    }

    /// One `read(fd, buf, max)`. An empty result means end of file.
    public static func read(_ fd: Int32, max: Int) throws(SystemCallError) -> [UInt8] {
        var bytes: [UInt8] = []
        _ = try read(fd, max: max) { bytes = Array($0) }
        return bytes
    }

    /// One `read(fd, buf, max)` whose bytes `body` gets where they landed (none at end of file),
    /// for a caller that keeps them in a form of its own (a short read kept inline makes no
    /// array: callgrind). Returns the count read.
    public static func read(_ fd: Int32, max: Int, into body: (UnsafeBufferPointer<UInt8>) -> Void) throws(SystemCallError) -> Int {
        try Scratch.with(max) { buffer throws(SystemCallError) in
            var got = 0
            _ = try traced("read", [.int(Int(fd)), .output(name: "buf", .bytes(Array(buffer.prefix(Swift.max(0, got))))), .int(max)]) {
                got = Glibc.read(fd, buffer.baseAddress, max)
                return got
            }
            body(UnsafeBufferPointer(rebasing: buffer.prefix(got)))
            return got
        }
    }

    /// One buffer for the reads that fit it (`read`, `readIfReady`): the shell is one thread,
    /// and each read hands over what it got before it returns.
    enum Scratch {
        static let size = 64 << 10
        nonisolated(unsafe) static let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: size)

        /// Runs `body` with room for a read of `max` bytes: the scratch buffer, or for a larger
        /// read a buffer of its own, freed after `body` (which has taken errno by then). Nothing
        /// is cleared or allocated for a read that fits: an array of `max` bytes cost a large
        /// allocation (4 KiB by default) for a 7-byte message (callgrind: ~500 instructions a read).
        @inline(__always)
        static func with<R, E: Error>(_ max: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
            if max <= size { return try body(UnsafeMutableBufferPointer(start: bytes, count: max)) }
            let own = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max)
            defer { own.deallocate() }
            return try body(own)
        }
    }

    /// What a call that may not wait did.
    public enum Immediate<Value> {
        case done(Value)
        /// It would have waited (EAGAIN): nothing happened.
        case wouldWait
        /// The file cannot say (a FIFO or a terminal: EOPNOTSUPP), or the call failed: nothing
        /// happened, and the ordinary call will report the failure as it always does.
        case cannotTell
    }

    /// `read(fd, buf, max)` made only if it need not wait: `preadv2(fd, ..., -1, RWF_NOWAIT)`,
    /// one call where a zero-timeout `poll` and the `read` were two. Traced as the `read` it is
    /// when it happens; a call that did not happen is not traced.
    public static func readIfReady(_ fd: Int32, max: Int) -> Immediate<[UInt8]> {
        var bytes: [UInt8] = []
        switch readIfReady(fd, max: max, into: { bytes = Array($0) }) {
        case .done: return .done(bytes)
        case .wouldWait: return .wouldWait
        case .cannotTell: return .cannotTell
        }
    }

    /// `readIfReady` whose bytes `body` gets where they landed (`read(_:max:into:)`): `.done`
    /// with the count read.
    public static func readIfReady(_ fd: Int32, max: Int, into body: (UnsafeBufferPointer<UInt8>) -> Void) -> Immediate<Int> {
        Scratch.with(max) { buffer in
            let n = ipcsh_read_nowait(fd, buffer.baseAddress, UInt(max))
            guard n >= 0 else { return Errno.current == EAGAIN ? .wouldWait : .cannotTell }
            SyscallTrace.record("read", [.int(Int(fd)), .output(name: "buf", .bytes(Array(buffer.prefix(n)))), .int(max)], .returned(.int(n)))
            body(UnsafeBufferPointer(rebasing: buffer.prefix(n)))
            return .done(n)
        }
    }

    /// `write(fd, bytes, count)` made only if it need not wait (`pwritev2(..., RWF_NOWAIT)`),
    /// for a pipe and at most `PIPE_BUF` bytes, which the kernel writes whole or not at all (a
    /// longer write, or one to a socket, could be cut short where the ordinary call would wait
    /// and write it all). Traced as the `write` it is when it happens.
    public static func writeIfReady(_ fd: Int32, _ bytes: [UInt8]) -> Immediate<Int> {
        bytes.withUnsafeBufferPointer { writeIfReady(fd, $0) }
    }

    /// `writeIfReady` of bytes held elsewhere (a short word kept inline: no array made).
    public static func writeIfReady(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Immediate<Int> {
        guard bytes.count <= Int(PIPE_BUF) else { return .cannotTell }
        let n = ipcsh_write_nowait(fd, bytes.baseAddress, UInt(bytes.count))
        guard n >= 0 else { return Errno.current == EAGAIN ? .wouldWait : .cannotTell }
        SyscallTrace.record("write", [.int(Int(fd)), .bytes(Array(bytes)), .int(bytes.count)], .returned(.int(n)))
        return .done(n)
    }

    /// One `write(fd, bytes, count)`; returns how many bytes the kernel took.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) throws(SystemCallError) -> Int {
        try bytes.withUnsafeBufferPointer { buffer throws(SystemCallError) in try write(fd, buffer) }
    }

    /// `write` of bytes held elsewhere.
    public static func write(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) throws(SystemCallError) -> Int {
        try traced("write", [.int(Int(fd)), .bytes(Array(bytes)), .int(bytes.count)]) {
            Glibc.write(fd, bytes.baseAddress, bytes.count)
        }
    }

    /// `close(fd)`. Linux always releases the descriptor, even when close fails with EINTR:
    /// that failure is traced but not thrown, and the call is not made again (the number may
    /// already belong to another open).
    public static func close(_ fd: Int32) throws(SystemCallError) {
        do {
            _ = try traced("close", [.int(Int(fd))]) { Glibc.close(fd) }
        } catch let error where error.errno == EINTR {}
    }

    /// `mkfifo(path, mode)`.
    public static func makeFIFO(_ path: String, mode: mode_t) throws(SystemCallError) {
        _ = try traced("mkfifo", [.string(path), .mode(Int(mode))]) { mkfifo(path, mode) }
    }

    /// `chmod(path, mode)`.
    public static func changeMode(_ path: String, _ mode: mode_t) throws(SystemCallError) {
        _ = try traced("chmod", [.string(path), .mode(Int(mode))]) { Glibc.chmod(path, mode) }
    }

    /// The permission bits of the file at `path`, or nil.
    public static func permissions(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    /// `unlink(path)`.
    public static func unlink(_ path: String) throws(SystemCallError) {
        _ = try traced("unlink", [.string(path)]) { Glibc.unlink(path) }
    }

    /// Sets or clears `O_NONBLOCK` (untraced: how ipcsh itself waits, not a step of the lesson).
    public static func setNonBlocking(_ fd: Int32, _ on: Bool) throws(SystemCallError) {
        let flags = try valueOrErrno("fcntl") { fcntl(fd, F_GETFL) }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags { _ = try valueOrErrno("fcntl") { fcntl(fd, F_SETFL, wanted) } }
    }

    /// `fcntl(fd, F_SETFL, flags | O_APPEND)`: every write goes to the end, whoever shares the
    /// descriptor (the diagram's log, written by every process of a session). Untraced plumbing.
    public static func setAppendOnly(_ fd: Int32) throws(SystemCallError) {
        let flags = try valueOrErrno("fcntl") { fcntl(fd, F_GETFL) }
        _ = try valueOrErrno("fcntl") { fcntl(fd, F_SETFL, flags | O_APPEND) }
    }

    /// Whether `path` is a FIFO.
    public static func isFIFO(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
    }

    /// What `/proc/self/fd/N` points at: `pipe:[1234]`, `/tmp/fifo`, `socket:[99]`, `/dev/pts/0`.
    public static func target(of fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Where a symbolic link points (`/proc/self/exe`).
    public static func target(ofPath path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every open descriptor of this process, in order.
    public static func openDescriptors() -> [Int32] {
        // The directory's own descriptor is closed again by the time the list is returned.
        let listed = (try? FileSystem.directoryEntries("/proc/self/fd")) ?? []
        return listed.compactMap { Int32($0) }.filter { fcntl($0, F_GETFD) != -1 }.sorted()
    }

    /// Shows data the way strace does: `"apple is red\0\0"...` (at most 32 bytes).
    public static func quoted(_ bytes: [UInt8]) -> String { SyscallTrace.quoted(bytes) }
}
