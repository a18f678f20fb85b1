@preconcurrency import Glibc

/// What `/proc` says about a process: its state and, when it waits in the kernel, the system
/// call and its first arguments (`/proc/PID/stat`, `/proc/PID/syscall`, `/proc/PID/wchan`).
public enum ProcessInspection {
    public struct Snapshot: Sendable, Equatable {
        /// `R` running, `S` sleeping, `D` disk wait, `T` stopped, `Z` zombie.
        public var state: Character
        /// The system call it is blocked in, by name (nil when running or unknown).
        public var systemCall: String?
        /// The call's first arguments, as the kernel shows them.
        public var arguments: [UInt64]
        /// The kernel function it sleeps in (`pipe_read`, `do_semtimedop`), when readable.
        public var waitChannel: String?
    }

    /// The process's state, or nil when it is gone.
    public static func snapshot(_ pid: pid_t) -> Snapshot? {
        guard let stat = try? FileSystem.readWholeFile("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].drop { $0 == " " }
        let state = rest.first ?? "?"
        var call: String?
        var arguments: [UInt64] = []
        // "NR ARG1 ARG2 ... SP PC", "running", or "-1 SP PC" (not in a call); root may read it.
        if let text = try? FileSystem.readWholeFile("/proc/\(pid)/syscall") {
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if let first = fields.first, let number = Int(first), number >= 0 {
                call = names[number] ?? "syscall \(number)"
                arguments = fields.dropFirst().prefix(6).compactMap { UInt64($0.dropFirst(2), radix: 16) }
            }
        }
        let wchan = (try? FileSystem.readWholeFile("/proc/\(pid)/wchan")).flatMap { $0.isEmpty || $0 == "0" ? nil : $0 }
        return Snapshot(state: state, systemCall: state == "R" ? nil : call, arguments: arguments, waitChannel: wchan)
    }

    /// x86-64 system call numbers of the calls an IPC program blocks in.
    public static let names: [Int: String] = {
        #if arch(x86_64)
        return [0: "read", 1: "write", 2: "open", 7: "poll", 23: "select", 34: "pause", 35: "nanosleep", 42: "connect",
                43: "accept", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 61: "wait4", 64: "semget",
                65: "semop", 69: "msgsnd", 70: "msgrcv", 128: "rt_sigtimedwait", 202: "futex", 220: "semtimedop",
                230: "clock_nanosleep", 232: "epoll_wait", 242: "mq_timedsend", 243: "mq_timedreceive", 257: "openat",
                270: "pselect6", 271: "ppoll", 288: "accept4", 130: "rt_sigsuspend"]
        #elseif arch(arm64)
        return [63: "read", 64: "write", 56: "openat", 73: "ppoll", 101: "nanosleep", 115: "clock_nanosleep", 203: "connect",
                202: "accept", 242: "accept4", 206: "sendto", 207: "recvfrom", 260: "wait4", 193: "semop", 192: "semtimedop",
                189: "msgsnd", 188: "msgrcv", 137: "rt_sigtimedwait", 98: "futex", 182: "mq_timedsend", 183: "mq_timedreceive",
                72: "pselect6"]
        #else
        return [:]
        #endif
    }()

    /// The descriptors of a process, by number, with what each is (`pipe:[1234]`, a path).
    public static func descriptors(_ pid: pid_t) -> [Int32: String] {
        guard let names = try? FileSystem.directoryEntries("/proc/\(pid)/fd") else { return [:] }
        var result: [Int32: String] = [:]
        for name in names {
            guard let fd = Int32(name) else { continue }
            result[fd] = Descriptors.target(ofPath: "/proc/\(pid)/fd/\(name)")
        }
        return result
    }
}

extension ProcessInspection {
    /// Bytes of another process's memory (`/proc/PID/mem`; the owner or root may read it), or nil.
    public static func readMemory(_ pid: pid_t, address: UInt64, count: Int) -> [UInt8]? {
        guard count > 0, count <= 1 << 16, address <= UInt64(Int64.max) else { return nil }
        let fd = Glibc.open("/proc/\(pid)/mem", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(address)) }
        guard n > 0 else { return nil }
        return Array(buffer[0..<n])
    }

    /// A C string in another process's memory (a path a blocked `open` was given).
    public static func readString(_ pid: pid_t, address: UInt64, maximum: Int = 256) -> String? {
        guard let bytes = readMemory(pid, address: address, count: maximum) else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
