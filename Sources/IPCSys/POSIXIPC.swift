@preconcurrency import Glibc
import CIPCShims

/// POSIX message queues: `mq_open`, `mq_send`/`mq_timedsend`, `mq_receive`/`mq_timedreceive`,
/// `mq_getattr`, `mq_close`, `mq_unlink`. An `mqd_t` is a descriptor on Linux.
public enum POSIXMessageQueues {
    public struct Attributes: Sendable, Equatable {
        public var maximumMessages: Int
        public var messageSize: Int
        public var currentMessages: Int
        public var nonBlocking: Bool
    }

    /// `mq_open(name, flags, mode, &attr)`.
    public static func open(_ name: String, flags: Int32, mode: Int, maximumMessages: Int?, messageSize: Int?) throws(SystemCallError) -> Int32 {
        var arguments: [TraceValue] = [.string(name), .symbol(Descriptors.openFlags(flags))]
        if flags & O_CREAT != 0 {
            arguments.append(.mode(mode))
            arguments.append(maximumMessages == nil && messageSize == nil ? .symbol("NULL")
                             : .symbol("{mq_maxmsg=\(maximumMessages ?? 10), mq_msgsize=\(messageSize ?? 8192)}"))
        }
        return try traced("mq_open", arguments) {
            ipcsh_mq_open(name, flags, UInt32(mode), maximumMessages ?? 0, messageSize ?? 0)
        }
    }

    /// `mq_send(mqd, body, len, prio)`, or `mq_timedsend` with a timeout (ETIMEDOUT when it passes).
    public static func send(_ mqd: Int32, _ body: [UInt8], priority: UInt32, timeoutMilliseconds: Int?) throws(SystemCallError) {
        let timeout = timeoutMilliseconds.map { max(0, $0) }
        _ = try traced(timeout == nil ? "mq_send" : "mq_timedsend",
                       [.int(Int(mqd)), .bytes(body), .int(body.count), .int(Int(priority))] + (timeout.map { [.symbol("+\($0)ms")] } ?? [])) {
            body.withUnsafeBytes { ipcsh_mq_send(mqd, $0.baseAddress, body.count, priority, timeout ?? -1) }
        }
    }

    /// `mq_receive(mqd, buf, size, &prio)` (highest priority first), or `mq_timedreceive`.
    public static func receive(_ mqd: Int32, maximumSize: Int, timeoutMilliseconds: Int?) throws(SystemCallError) -> (priority: UInt32, body: [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: max(1, maximumSize))
        var priority: UInt32 = 0
        let timeout = timeoutMilliseconds.map { max(0, $0) }
        let n = try traced(timeout == nil ? "mq_receive" : "mq_timedreceive",
                           [.int(Int(mqd)), .output(name: "buf", .bytes(buffer)), .int(maximumSize),
                            .output(name: "&prio", .symbol("[\(priority)]"))] + (timeout.map { [.symbol("+\($0)ms")] } ?? [])) {
            let n = buffer.withUnsafeMutableBytes { ipcsh_mq_receive(mqd, $0.baseAddress, maximumSize, &priority, timeout ?? -1) }
            if n >= 0 { buffer.removeSubrange(n...) }
            return n
        }
        _ = n
        return (priority, buffer)
    }

    /// `mq_getattr(mqd, &attr)`.
    public static func attributes(_ mqd: Int32) throws(SystemCallError) -> Attributes {
        var flags = 0, maxmsg = 0, msgsize = 0, current = 0
        _ = try traced("mq_getattr", [.int(Int(mqd)), .symbol("&attr")]) { ipcsh_mq_getattr(mqd, &flags, &maxmsg, &msgsize, &current) }
        return Attributes(maximumMessages: maxmsg, messageSize: msgsize, currentMessages: current, nonBlocking: flags & Int(O_NONBLOCK) != 0)
    }

    /// `mq_close(mqd)`.
    public static func close(_ mqd: Int32) throws(SystemCallError) {
        _ = try traced("mq_close", [.int(Int(mqd))]) { ipcsh_mq_close(mqd) }
    }

    /// `mq_unlink(name)`.
    public static func unlink(_ name: String) throws(SystemCallError) {
        _ = try traced("mq_unlink", [.string(name)]) { ipcsh_mq_unlink(name) }
    }

    /// The system's limits (`/proc/sys/fs/mqueue`): the most messages and the largest message a
    /// queue may be created with by an unprivileged process.
    public static func limits() -> (maximumMessages: Int?, messageSize: Int?) {
        func read(_ file: String) -> Int? {
            (try? FileSystem.readWholeFile("/proc/sys/fs/mqueue/" + file)).flatMap { Int($0.split(separator: "\n").first ?? "") }
        }
        return (read("msg_max"), read("msgsize_max"))
    }
}

/// POSIX named semaphores: `sem_open`, `sem_wait`/`sem_trywait`/`sem_timedwait`, `sem_post`,
/// `sem_getvalue`, `sem_close`, `sem_unlink`.
public enum POSIXSemaphores {
    /// `sem_open(name, flags, mode, value)`: the `sem_t *`.
    public static func open(_ name: String, flags: Int32, mode: Int, value: Int) throws(SystemCallError) -> UnsafeMutableRawPointer {
        // sem_open takes only O_CREAT and O_EXCL (no access mode): trace what C would pass.
        let flagText = [(O_CREAT, "O_CREAT"), (O_EXCL, "O_EXCL")].filter { flags & $0.0 != 0 }.map(\.1).joined(separator: "|")
        var arguments: [TraceValue] = [.string(name), .symbol(flagText.isEmpty ? "0" : flagText)]
        if flags & O_CREAT != 0 { arguments += [.mode(mode), .int(value)] }
        let address = try traced("sem_open", arguments, result: { .address(UInt(bitPattern: $0)) }) {
            ipcsh_sem_open(name, flags, UInt32(mode), UInt32(clamping: value)).map { Int(bitPattern: $0) } ?? -1
        }
        guard let pointer = UnsafeMutableRawPointer(bitPattern: address) else { throw SystemCallError("sem_open", errno: EFAULT) }
        return pointer
    }

    public enum Wait: Sendable {
        case wait
        case tryWait
        case timed(milliseconds: Int)
    }

    /// `sem_wait`, `sem_trywait` (EAGAIN), or `sem_timedwait` (ETIMEDOUT).
    public static func wait(_ sem: UnsafeMutableRawPointer, _ how: Wait) throws(SystemCallError) {
        let address = TraceValue.address(UInt(bitPattern: sem))
        switch how {
        case .wait: _ = try traced("sem_wait", [address]) { ipcsh_sem_wait(sem, 0, 0) }
        case .tryWait: _ = try traced("sem_trywait", [address]) { ipcsh_sem_wait(sem, 1, 0) }
        case .timed(let ms): _ = try traced("sem_timedwait", [address, .symbol("+\(ms)ms")]) { ipcsh_sem_wait(sem, 2, max(0, ms)) }
        }
    }

    /// `sem_post(sem)`.
    public static func post(_ sem: UnsafeMutableRawPointer) throws(SystemCallError) {
        _ = try traced("sem_post", [.address(UInt(bitPattern: sem))]) { ipcsh_sem_post(sem) }
    }

    /// `sem_getvalue(sem, &value)`.
    public static func value(_ sem: UnsafeMutableRawPointer) throws(SystemCallError) -> Int {
        var value: Int32 = 0
        _ = try traced("sem_getvalue", [.address(UInt(bitPattern: sem)), .output(name: "&value", .symbol("[\(value)]"))]) {
            ipcsh_sem_getvalue(sem, &value)
        }
        return Int(value)
    }

    /// `sem_close(sem)`.
    public static func close(_ sem: UnsafeMutableRawPointer) throws(SystemCallError) {
        _ = try traced("sem_close", [.address(UInt(bitPattern: sem))]) { ipcsh_sem_close(sem) }
    }

    /// `sem_unlink(name)`.
    public static func unlink(_ name: String) throws(SystemCallError) {
        _ = try traced("sem_unlink", [.string(name)]) { ipcsh_sem_unlink(name) }
    }
}

/// Memory mappings and the descriptors behind them: `shm_open`, `shm_unlink`, `memfd_create`,
/// `ftruncate`, `fstat`, `mmap`, `munmap`; and `eventfd`.
public enum Mappings {
    /// `shm_open(name, flags, mode)`.
    public static func sharedMemoryOpen(_ name: String, flags: Int32, mode: Int) throws(SystemCallError) -> Int32 {
        try traced("shm_open", [.string(name), .symbol(Descriptors.openFlags(flags))] + (flags & O_CREAT != 0 ? [.mode(mode)] : [])) {
            ipcsh_shm_open(name, flags, UInt32(mode))
        }
    }

    /// `shm_unlink(name)`.
    public static func sharedMemoryUnlink(_ name: String) throws(SystemCallError) {
        _ = try traced("shm_unlink", [.string(name)]) { ipcsh_shm_unlink(name) }
    }

    /// `memfd_create(name, MFD_CLOEXEC)`.
    public static func memoryFile(_ name: String) throws(SystemCallError) -> Int32 {
        try traced("memfd_create", [.string(name), .symbol("MFD_CLOEXEC")]) { ipcsh_memfd_create(name) }
    }

    /// `ftruncate(fd, size)`.
    public static func truncate(_ fd: Int32, size: Int) throws(SystemCallError) {
        _ = try traced("ftruncate", [.int(Int(fd)), .int(size)]) { ftruncate(fd, off_t(size)) }
    }

    /// The size of the file behind a descriptor (`fstat`).
    public static func size(_ fd: Int32) throws(SystemCallError) -> Int {
        var st = stat()
        _ = try traced("fstat", [.int(Int(fd)), .symbol("&st")]) { fstat(fd, &st) }
        return Int(st.st_size)
    }

    /// `mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED or MAP_PRIVATE, fd, 0)`.
    public static func map(_ fd: Int32, size: Int, shared: Bool) throws(SystemCallError) -> UnsafeMutableRawPointer {
        let address = try traced("mmap", [.symbol("NULL"), .int(size), .symbol("PROT_READ|PROT_WRITE"),
                                          .symbol(shared ? "MAP_SHARED" : "MAP_PRIVATE"), .int(Int(fd)), .int(0)],
                                 result: { .address(UInt(bitPattern: $0)) }) {
            ipcsh_mmap(size, fd, shared ? 1 : 0).map { Int(bitPattern: $0) } ?? -1
        }
        guard let pointer = UnsafeMutableRawPointer(bitPattern: address) else { throw SystemCallError("mmap", errno: EFAULT) }
        return pointer
    }

    /// `munmap(address, size)`.
    public static func unmap(_ address: UnsafeMutableRawPointer, size: Int) throws(SystemCallError) {
        _ = try traced("munmap", [.address(UInt(bitPattern: address)), .int(size)]) { munmap(address, size) }
    }

    /// `eventfd(value, EFD_CLOEXEC [| EFD_SEMAPHORE])`.
    public static func eventCounter(initial value: Int, semaphore: Bool) throws(SystemCallError) -> Int32 {
        try traced("eventfd", [.int(value), .symbol(semaphore ? "EFD_CLOEXEC|EFD_SEMAPHORE" : "EFD_CLOEXEC")]) {
            ipcsh_eventfd(UInt32(clamping: value), semaphore ? 1 : 0)
        }
    }
}
