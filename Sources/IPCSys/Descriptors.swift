@preconcurrency import Glibc
import CIPCShims

/// Descriptor calls: `pipe`, `open`, `read`, `write`, `close`, `mkfifo`, `unlink`, `poll`.
/// Blocking calls do not retry on EINTR, so Ctrl-C gets back to the prompt.
public enum Descriptors {
    /// `pipe2(fds, O_CLOEXEC)`: (read end, write end). Close-on-exec so that spawned
    /// programs inherit nothing but stdio; `fork` children still inherit both ends.
    public static func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if ipcsh_pipe2(&fds, O_CLOEXEC) == -1 {
            let error = SystemCallError("pipe", errno: Errno.current)
            SyscallTrace.reportFailure("pipe", "fds", error)
            throw error
        }
        SyscallTrace.report("pipe", "[\(fds[0]), \(fds[1])]", result: "0")
        return (fds[0], fds[1])
    }

    /// A close-on-exec pipe for ipcsh's own plumbing (relaying a child's output): not traced,
    /// because it is not part of what the user asked for.
    public static func internalPipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if ipcsh_pipe2(&fds, O_CLOEXEC) == -1 { throw SystemCallError("pipe", errno: Errno.current) }
        return (fds[0], fds[1])
    }

    /// `open(path, flags, mode)`. Blocks as the kernel does (a FIFO waits for its other side).
    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws(SystemCallError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        let args = { "\"\(path)\", \(openFlags(flags))" + (flags & O_CREAT != 0 ? ", " + SyscallTrace.octalMode(Int(mode)) : "") }
        if fd == -1 {
            let error = SystemCallError("open", errno: Errno.current)
            SyscallTrace.reportFailure("open", args(), error)
            throw error
        }
        SyscallTrace.report("open", args(), result: String(fd))
        return fd
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
        var buffer = [UInt8](repeating: 0, count: Swift.max(1, max))
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, max) }
        if n == -1 {
            let error = SystemCallError("read", errno: Errno.current)
            SyscallTrace.reportFailure("read", "\(fd), buf, \(max)", error)
            throw error
        }
        buffer.removeSubrange(n...)
        SyscallTrace.report("read", "\(fd), \(quoted(buffer)), \(max)", result: String(n))
        return buffer
    }

    /// One `write(fd, bytes, count)`; returns how many bytes the kernel took.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) throws(SystemCallError) -> Int {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n == -1 {
            let error = SystemCallError("write", errno: Errno.current)
            SyscallTrace.reportFailure("write", "\(fd), \(quoted(bytes)), \(bytes.count)", error)
            throw error
        }
        SyscallTrace.report("write", "\(fd), \(quoted(bytes)), \(bytes.count)", result: String(n))
        return n
    }

    /// `close(fd)`.
    public static func close(_ fd: Int32) throws(SystemCallError) {
        if Glibc.close(fd) == -1 {
            let error = SystemCallError("close", errno: Errno.current)
            SyscallTrace.reportFailure("close", String(fd), error)
            // Linux always releases the descriptor, even on EINTR.
            if error.errno != EINTR { throw error }
            return
        }
        SyscallTrace.report("close", String(fd), result: "0")
    }

    /// `mkfifo(path, mode)`.
    public static func makeFIFO(_ path: String, mode: mode_t) throws(SystemCallError) {
        if mkfifo(path, mode) == -1 {
            let error = SystemCallError("mkfifo", errno: Errno.current)
            SyscallTrace.reportFailure("mkfifo", "\"\(path)\", \(SyscallTrace.octalMode(Int(mode)))", error)
            throw error
        }
        SyscallTrace.report("mkfifo", "\"\(path)\", \(SyscallTrace.octalMode(Int(mode)))", result: "0")
    }

    /// `chmod(path, mode)`.
    public static func changeMode(_ path: String, _ mode: mode_t) throws(SystemCallError) {
        if Glibc.chmod(path, mode) == -1 {
            let error = SystemCallError("chmod", errno: Errno.current)
            SyscallTrace.reportFailure("chmod", "\"\(path)\", \(SyscallTrace.octalMode(Int(mode)))", error)
            throw error
        }
        SyscallTrace.report("chmod", "\"\(path)\", \(SyscallTrace.octalMode(Int(mode)))", result: "0")
    }

    /// The permission bits of the file at `path`, or nil.
    public static func permissions(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    /// `unlink(path)`.
    public static func unlink(_ path: String) throws(SystemCallError) {
        if Glibc.unlink(path) == -1 {
            let error = SystemCallError("unlink", errno: Errno.current)
            SyscallTrace.reportFailure("unlink", "\"\(path)\"", error)
            throw error
        }
        SyscallTrace.report("unlink", "\"\(path)\"", result: "0")
    }

    /// Sets or clears `O_NONBLOCK`.
    public static func setNonBlocking(_ fd: Int32, _ on: Bool) throws(SystemCallError) {
        let flags = fcntl(fd, F_GETFL)
        if flags == -1 { throw SystemCallError("fcntl", errno: Errno.current) }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags && fcntl(fd, F_SETFL, wanted) == -1 { throw SystemCallError("fcntl", errno: Errno.current) }
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
    public static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for b in bytes.prefix(32) {
            switch b {
            case 0: text += "\\0"
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(b))
            default: text += "\\x" + SyscallTrace.hex(b, width: 2)
            }
        }
        text += "\""
        if bytes.count > 32 { text += "..." }
        return text
    }
}
