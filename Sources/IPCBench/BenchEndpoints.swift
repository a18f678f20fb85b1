@preconcurrency import Glibc
import CIPCShims

/// A mechanism made ready before the fork: what each process does afterwards to get its end,
/// and what the parent undoes at the end. Objects that can be removed while in use (the
/// segment, the POSIX queues) are removed at once, so not even a killed shell leaves them.
struct Endpoints<Channel: BenchChannel> {
    /// In the parent, after the fork.
    var parent: () throws(BenchError) -> Channel
    /// In the child, after the fork.
    var child: () throws(BenchError) -> Channel
    /// In the parent, after the child has ended (or been ended).
    var cleanup: () -> Void
}

extension Endpoints where Channel == StreamChannel {
    /// Two pipes for ping-pong (one each way), one for a stream (child to parent).
    static func pipes(_ p: BenchParameters) throws(BenchError) -> Self {
        var down: [Int32] = [-1, -1], up: [Int32] = [-1, -1]
        if p.mode == .latency, Glibc.pipe(&down) != 0 { throw BenchError.call("pipe") }
        if Glibc.pipe(&up) != 0 {
            let code = errno
            closeAll(down)
            throw BenchError.call("pipe", code)
        }
        return Endpoints(
            parent: { closeAll([down[0], up[1]]); return StreamChannel(read: up[0], write: down[1], size: p.size) },
            child: { closeAll([down[1], up[0]]); return StreamChannel(read: down[0], write: up[1], size: p.size) },
            cleanup: {})
    }

    /// FIFOs in a fresh directory: "a" parent to child, "b" child to parent (a stream uses "b").
    /// Both open "a" first, so the opens pair up; the directory goes at the end.
    static func fifos(_ p: BenchParameters) throws(BenchError) -> Self {
        var template = Array("/tmp/ipcsh-bench.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError.call("mkdtemp") }
        let directory = String(cString: made)
        let a = directory + "/a", b = directory + "/b"
        func remove() { _ = unlink(a); _ = unlink(b); _ = rmdir(directory) }
        if (p.mode == .latency && mkfifo(a, 0o600) != 0) || mkfifo(b, 0o600) != 0 {
            let code = errno
            remove()
            throw BenchError.call("mkfifo", code)
        }
        func opened(_ path: String, _ flags: Int32) throws(BenchError) -> Int32 {
            while true {
                let fd = open(path, flags | O_CLOEXEC)
                if fd >= 0 { return fd }
                try Peer.failed("open")
                if Peer.gone { throw BenchError("open: " + Peer.goneMessage) }
            }
        }
        let latency = p.mode == .latency
        return Endpoints(
            parent: { () throws(BenchError) -> StreamChannel in
                let w = latency ? try opened(a, O_WRONLY) : -1
                return StreamChannel(read: try opened(b, O_RDONLY), write: w, size: p.size)
            },
            child: { () throws(BenchError) -> StreamChannel in
                let r = latency ? try opened(a, O_RDONLY) : -1
                return StreamChannel(read: r, write: try opened(b, O_WRONLY), size: p.size)
            },
            cleanup: remove)
    }

    /// A unix stream socket pair.
    static func socketPair(_ p: BenchParameters) throws(BenchError) -> Self {
        var fds: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) != 0 { throw BenchError.call("socketpair") }
        return Endpoints(
            parent: { _ = Glibc.close(fds[1]); return StreamChannel(read: fds[0], write: fds[0], size: p.size) },
            child: { _ = Glibc.close(fds[0]); return StreamChannel(read: fds[1], write: fds[1], size: p.size) },
            cleanup: {})
    }

    /// TCP over loopback: the parent listens on a port the kernel picks, the child connects;
    /// TCP_NODELAY on both ends, so a small message leaves at once.
    static func tcp(_ p: BenchParameters) throws(BenchError) -> Self {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw BenchError.call("socket") }
        var address = Loopback.address(port: 0)
        do throws(BenchError) {
            try Loopback.bind(listener, &address)
            if listen(listener, 1) != 0 { throw BenchError.call("listen") }
        } catch {
            _ = Glibc.close(listener)
            throw error
        }
        return Endpoints(
            parent: { () throws(BenchError) -> StreamChannel in
                defer { _ = Glibc.close(listener) }
                while true {
                    let fd = ipcsh_accept(listener)
                    if fd >= 0 { Loopback.noDelay(fd); return StreamChannel(read: fd, write: fd, size: p.size) }
                    try Peer.failed("accept")
                }
            },
            child: { () throws(BenchError) -> StreamChannel in
                _ = Glibc.close(listener)
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw BenchError.call("socket") }
                try Loopback.connect(fd, address)
                Loopback.noDelay(fd)
                return StreamChannel(read: fd, write: fd, size: p.size)
            },
            cleanup: {})
    }
}

extension Endpoints where Channel == DatagramChannel {
    /// Two UDP sockets on loopback, each connected to the other; receives time out after 2 s.
    static func udp(_ p: BenchParameters) throws(BenchError) -> Self {
        var fds: [Int32] = []
        var addresses: [sockaddr_in] = []
        do throws(BenchError) {
            for _ in 0..<2 {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw BenchError.call("socket") }
                fds.append(fd)
                var address = Loopback.address(port: 0)
                try Loopback.bind(fd, &address)
                addresses.append(address)
                var timeout = timeval(tv_sec: 2, tv_usec: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
            try Loopback.connect(fds[0], addresses[1])
            try Loopback.connect(fds[1], addresses[0])
        } catch {
            closeAll(fds)
            throw error
        }
        let window = p.mode == .throughput ? DatagramChannel.window(size: p.size) : 0
        let total = p.warmup + p.count
        return Endpoints(
            parent: { _ = Glibc.close(fds[1]); return DatagramChannel(fd: fds[0], size: p.size, window: window, total: total) },
            child: { _ = Glibc.close(fds[0]); return DatagramChannel(fd: fds[1], size: p.size, window: window, total: total) },
            cleanup: {})
    }
}

extension Endpoints where Channel == SharedMemoryChannel {
    /// A private segment, attached before the fork and removed at once (the attachments keep
    /// it until both detach). Its first 256 bytes hold the semaphores, 64 bytes apart; then
    /// the slots: ping-pong has one each way, a stream a ring of four, child to parent.
    static func sharedMemory(_ p: BenchParameters) throws(BenchError) -> Self {
        let header = 256
        let slotCount = p.mode == .latency ? 2 : 4
        let id = shmget(IPC_PRIVATE, header + slotCount * p.size, IPC_CREAT | 0o600)
        guard id >= 0 else { throw BenchError.call("shmget") }
        let base = shmat(id, nil, 0)
        _ = shmctl(id, IPC_RMID, nil)
        guard let base, base != UnsafeMutableRawPointer(bitPattern: -1) else { throw BenchError.call("shmat") }
        func semaphore(_ n: Int, _ value: UInt32) -> UnsafeMutablePointer<sem_t> {
            let s = (base + n * 64).bindMemory(to: sem_t.self, capacity: 1)
            sem_init(s, 1, value)
            return s
        }
        let slots = base + header
        let parentSide: SharedMemoryChannel, childSide: SharedMemoryChannel
        if p.mode == .latency {
            let down = SharedRing(slots: slots, slotCount: 1, size: p.size, full: semaphore(0, 0), free: nil)
            let up = SharedRing(slots: slots + p.size, slotCount: 1, size: p.size, full: semaphore(1, 0), free: nil)
            parentSide = SharedMemoryChannel(segment: base, sending: down, receiving: up, size: p.size)
            childSide = SharedMemoryChannel(segment: base, sending: up, receiving: down, size: p.size)
        } else {
            let ring = SharedRing(slots: slots, slotCount: 4, size: p.size, full: semaphore(0, 0), free: semaphore(1, 4))
            parentSide = SharedMemoryChannel(segment: base, sending: nil, receiving: ring, size: p.size)
            childSide = SharedMemoryChannel(segment: base, sending: ring, receiving: nil, size: p.size)
        }
        return Endpoints(parent: { parentSide }, child: { childSide }, cleanup: {})
    }
}

extension Endpoints where Channel == SystemVQueueChannel {
    /// A private queue: type 1 parent to child, type 2 child to parent (a stream: type 1, child
    /// to parent). msgsnd blocks while the queue is full: the stream's flow control.
    static func systemVQueue(_ p: BenchParameters) throws(BenchError) -> Self {
        let id = msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
        guard id >= 0 else { throw BenchError.call("msgget") }
        let latency = p.mode == .latency
        return Endpoints(
            parent: { SystemVQueueChannel(id: id, sendType: 1, receiveType: latency ? 2 : 1, size: p.size) },
            child: { SystemVQueueChannel(id: id, sendType: latency ? 2 : 1, receiveType: 1, size: p.size) },
            cleanup: { _ = msgctl(id, IPC_RMID, nil) })
    }
}

extension Endpoints where Channel == PosixQueueChannel {
    /// Two queues ("a" parent to child, "b" child to parent; a stream uses "b"), unlinked as
    /// soon as they are open: the descriptors, inherited by the child, keep them.
    static func posixQueues(_ p: BenchParameters) throws(BenchError) -> Self {
        let depth = min(10, BenchMechanism.kernelValue("/proc/sys/fs/mqueue/msg_max") ?? 10)
        func made(_ suffix: String) throws(BenchError) -> Int32 {
            let name = "/ipcsh-bench-\(getpid())-\(suffix)"
            let q = ipcsh_mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600, depth, p.size)
            let code = errno
            _ = ipcsh_mq_unlink(name)
            if q < 0 { throw BenchError.call("mq_open", code) }
            return q
        }
        let b = try made("b")
        var a: Int32 = -1
        if p.mode == .latency {
            do throws(BenchError) { a = try made("a") } catch { _ = ipcsh_mq_close(b); throw error }
        }
        let latency = p.mode == .latency
        return Endpoints(
            parent: { PosixQueueChannel(send: latency ? a : -1, receive: b, size: p.size) },
            child: { PosixQueueChannel(send: b, receive: latency ? a : -1, size: p.size) },
            cleanup: {})
    }
}

func closeAll(_ fds: [Int32]) {
    for fd in fds where fd >= 0 { _ = Glibc.close(fd) }
}

/// 127.0.0.1 addresses for the TCP and UDP benches.
enum Loopback {
    static func address(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return a
    }

    /// Binds, then reads back the port the kernel chose.
    static func bind(_ fd: Int32, _ address: inout sockaddr_in) throws(BenchError) {
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, size) } }
        guard bound == 0 else { throw BenchError.call("bind") }
        var length = size
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    }

    static func connect(_ fd: Int32, _ address: sockaddr_in) throws(BenchError) {
        var address = address
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        while withUnsafePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) } }) != 0 {
            try Peer.failed("connect")
        }
    }

    static func noDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
