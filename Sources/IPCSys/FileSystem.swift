@preconcurrency import Glibc

/// Small file helpers on plain descriptors (no Foundation on the start-up path).
public enum FileSystem {
    /// Reads a whole file (also `/proc` files, whose size `stat` reports as 0).
    public static func readWholeFile(_ path: String) throws(SystemCallError) -> String {
        let bytes = try readBytes(path)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a whole file of at most `maximum` bytes (more: EFBIG, so /dev/zero cannot
    /// exhaust memory), and, with `refusingNULIn`, fails with EILSEQ when that many first bytes
    /// hold a NUL (a program or data file, not text).
    public static func readBytes(_ path: String, maximum: Int = Int.max, refusingNULIn prefix: Int = 0) throws(SystemCallError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemCallError("open", errno: Errno.current) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if Errno.current == EINTR { continue }
                throw SystemCallError("read", errno: Errno.current)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
            if result.count > maximum { throw SystemCallError("read", errno: EFBIG) }
            if prefix > 0, result.count - n < prefix, result.prefix(prefix).contains(0) {
                throw SystemCallError("read", errno: EILSEQ)
            }
        }
        return result
    }

    /// `write()` all of `bytes` to `fd`, retrying short writes and EINTR (used for stdout/stderr);
    /// the errno of a write that failed (EPIPE: the reader is gone), or nil.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if Errno.current == EINTR { continue }
                return Errno.current
            }
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }

    /// The names in a directory (without `.` and `..`).
    public static func directoryEntries(_ path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else { throw SystemCallError("opendir", errno: Errno.current) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// What is at `path` itself (`lstat`: a symlink is not followed): its device, inode and
    /// file type bits, or nil when nothing is there.
    public static func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), type: st.st_mode & S_IFMT)
    }

    /// The identity of the file behind a descriptor (`fstat`): a pipe's is the same in every
    /// process that holds an end, whatever its number there.
    public static func identity(descriptor fd: Int32) -> FileIdentity? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), type: st.st_mode & S_IFMT)
    }

    /// Everything in the file behind `fd`, read from its start with `pread` (the offset shared
    /// with other processes is left alone).
    public static func contents(ofDescriptor fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 && Errno.current == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
            offset += off_t(n)
        }
        return bytes
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

/// A file's identity (device and inode) and type: the same path can later name another file.
public struct FileIdentity: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var type: mode_t
    public var isSocket: Bool { type == S_IFSOCK }
}

extension FileSystem {
    /// Whether a file system of `type` is mounted on `path` (`/proc/self/mounts`).
    public static func isMounted(_ path: String, type: String) -> Bool {
        guard let mounts = try? readWholeFile("/proc/self/mounts") else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count >= 3 && fields[1] == path && fields[2] == type
        }
    }

    /// `mkdir(path, 0755)` if needed, then `mount("none", path, "mqueue", 0, NULL)`: where Linux
    /// shows POSIX message queues as files (root only).
    public static func mountMessageQueues(at path: String) throws(SystemCallError) {
        if !isDirectory(path) {
            _ = try traced("mkdir", [.string(path), .mode(0o755)]) { mkdir(path, 0o755) }
        }
        _ = try traced("mount", [.string("none"), .string(path), .string("mqueue"), .int(0), .symbol("NULL")]) {
            mount("none", path, "mqueue", 0, nil)
        }
    }
}

extension FileSystem {
    /// The rows of a `/proc/sysvipc` table (`shm`, `msg`, `sem`): its header line dropped, each
    /// row split into its blank-separated fields.
    static func systemVTable(_ name: String) throws(SystemCallError) -> [[Substring]] {
        let text = try readWholeFile("/proc/sysvipc/" + name)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true) }
    }
}
