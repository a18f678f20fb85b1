@preconcurrency import Glibc
import CIPCShims
import IPCSys

/// One process's end of a mechanism: it sends its message and receives the peer's, whole.
/// Each channel owns its buffers (allocated once, the outgoing one filled once), so the loop
/// measures the hand-off and nothing else, as the reference C benchmark does.
protocol BenchChannel {
    mutating func send() throws(BenchError)
    mutating func receive() throws(BenchError)
    /// Closes descriptors and unmaps what this end mapped; never throws.
    func close()
}

/// The loops' view of the other process, for telling a signal's EINTR apart.
enum Peer {
    /// The child's pid in the parent; 0 in the child (whose parent's death kills it:
    /// PR_SET_PDEATHSIG).
    nonisolated(unsafe) static var pid: pid_t = 0

    /// Whether the child has ended, without reaping it (waitid WNOWAIT).
    static var ended: Bool {
        guard pid > 0 else { return false }
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == SIGCHLD
    }

    /// Set once the child is seen to have ended: a blocking call is then tried once more
    /// without blocking (what the child sent last may still be waiting), and then fails.
    nonisolated(unsafe) static var gone = false

    static let goneMessage = "the child ended before the bench did"

    /// A failed call: EINTR from Ctrl-C ends the bench; any other EINTR (SIGCHLD, when the
    /// child ends) returns for the call to be made again, with `gone` set if the child ended.
    /// The kernel can report EINTR for a read whose data is already there (the child wrote its
    /// last reply and exited), so ending the child is not itself an error.
    static func failed(_ name: String) throws(BenchError) {
        let code = errno
        if code == EINTR {
            if Signals.interruptPending { throw BenchError("interrupted", interrupted: true) }
            if ended { gone = true }
            return
        }
        throw BenchError.call(name, code)
    }
}

/// A buffer of `size` bytes, outgoing ones filled with a pattern.
struct MessageBuffer {
    let base: UnsafeMutableRawPointer
    let size: Int

    init(size: Int, pattern: Bool) {
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, size), alignment: 64)
        self.size = size
        // Filled once (which also faults the pages in), as the reference benchmark does.
        for i in 0..<size { base.storeBytes(of: UInt8(truncatingIfNeeded: i), toByteOffset: i, as: UInt8.self) }
    }

    func free() { base.deallocate() }
}

/// Pipes, FIFOs, unix and TCP sockets: a message is `size` bytes, however many calls it takes.
struct StreamChannel: BenchChannel {
    let readFD: Int32
    let writeFD: Int32
    let outgoing: MessageBuffer
    let incoming: MessageBuffer

    init(read: Int32, write: Int32, size: Int) {
        readFD = read
        writeFD = write
        outgoing = MessageBuffer(size: size, pattern: true)
        incoming = MessageBuffer(size: size, pattern: false)
    }

    func send() throws(BenchError) {
        var done = 0
        while done < outgoing.size {
            let n = Glibc.write(writeFD, outgoing.base + done, outgoing.size - done)
            if n > 0 { done += n } else { try Peer.failed("write") }
        }
    }

    func receive() throws(BenchError) {
        var done = 0
        while done < incoming.size {
            let n = Glibc.read(readFD, incoming.base + done, incoming.size - done)
            if n > 0 { done += n }
            else if n == 0 { throw BenchError("read: " + Peer.goneMessage) }
            else { try Peer.failed("read") }
        }
    }

    func close() {
        if readFD >= 0 { _ = Glibc.close(readFD) }
        if writeFD >= 0 && writeFD != readFD { _ = Glibc.close(writeFD) }
        outgoing.free()
        incoming.free()
    }
}

/// UDP: a message is one datagram. A stream (throughput) waits for a one-byte ack after every
/// `window` datagrams and after the last, so a fast sender cannot overrun the receiver's
/// socket buffer (the reference benchmark's windows: they run across the warm-up's end).
struct DatagramChannel: BenchChannel {
    let fd: Int32
    let outgoing: MessageBuffer
    let incoming: MessageBuffer
    /// Datagrams per ack; 0 for ping-pong.
    let window: Int
    /// Datagrams in the whole stream (warm-up included): the last window may be short.
    let total: Int
    var sent = 0
    var received = 0

    init(fd: Int32, size: Int, window: Int, total: Int) {
        self.fd = fd
        outgoing = MessageBuffer(size: size, pattern: true)
        incoming = MessageBuffer(size: size, pattern: false)
        self.window = window
        self.total = total
    }

    /// The reference benchmark's window: up to 32 datagrams, at most 64 KiB of them.
    static func window(size: Int) -> Int { max(1, min(32, 65_536 / size)) }

    private func windowEnds(after count: Int) -> Bool {
        window > 0 && (count % window == 0 || count == total)
    }

    mutating func send() throws(BenchError) {
        while Glibc.send(fd, outgoing.base, outgoing.size, 0) < 0 { try Peer.failed("send") }
        sent += 1
        if windowEnds(after: sent) {
            var ack: UInt8 = 0
            while recv(fd, &ack, 1, 0) < 0 { try lostOrFailed() }
        }
    }

    mutating func receive() throws(BenchError) {
        while true {
            let n = recv(fd, incoming.base, incoming.size, 0)
            if n >= 0 {
                if n != incoming.size { throw BenchError("recv: a datagram of \(n) bytes, not \(incoming.size)") }
                break
            }
            try lostOrFailed()
        }
        received += 1
        if windowEnds(after: received) {
            var ack: UInt8 = 1
            while Glibc.send(fd, &ack, 1, 0) < 0 { try Peer.failed("send") }
        }
    }

    private func lostOrFailed() throws(BenchError) {
        if errno == EAGAIN || errno == EWOULDBLOCK {
            if Peer.gone || Peer.ended { throw BenchError("recv: " + Peer.goneMessage) }
            throw BenchError("udp: nothing arrived for 2 s: a datagram was lost")
        }
        try Peer.failed("recv")
    }

    func close() {
        _ = Glibc.close(fd)
        outgoing.free()
        incoming.free()
    }
}

/// A System V message queue: one queue, a message type per direction.
struct SystemVQueueChannel: BenchChannel {
    let id: Int32
    let sendType: Int
    let receiveType: Int
    let size: Int
    /// `struct msgbuf`: a long type, then the text.
    let outgoing: MessageBuffer
    let incoming: MessageBuffer

    init(id: Int32, sendType: Int, receiveType: Int, size: Int) {
        self.id = id
        self.sendType = sendType
        self.receiveType = receiveType
        self.size = size
        outgoing = MessageBuffer(size: MemoryLayout<Int>.size + size, pattern: true)
        outgoing.base.storeBytes(of: sendType, as: Int.self)
        incoming = MessageBuffer(size: MemoryLayout<Int>.size + size, pattern: false)
    }

    func send() throws(BenchError) {
        while msgsnd(id, outgoing.base, size, 0) < 0 { try Peer.failed("msgsnd") }
    }

    func receive() throws(BenchError) {
        while true {
            let n = msgrcv(id, incoming.base, size, receiveType, Peer.gone ? IPC_NOWAIT : 0)
            if n >= 0 {
                if n != size { throw BenchError("msgrcv: a message of \(n) bytes, not \(size)") }
                return
            }
            if Peer.gone && errno == ENOMSG { throw BenchError("msgrcv: " + Peer.goneMessage) }
            try Peer.failed("msgrcv")
        }
    }

    func close() {
        outgoing.free()
        incoming.free()
    }
}

/// POSIX message queues: one queue per direction (the same one twice for a stream's ends).
struct PosixQueueChannel: BenchChannel {
    let sendQueue: Int32
    let receiveQueue: Int32
    let outgoing: MessageBuffer
    let incoming: MessageBuffer

    init(send: Int32, receive: Int32, size: Int) {
        sendQueue = send
        receiveQueue = receive
        outgoing = MessageBuffer(size: size, pattern: true)
        incoming = MessageBuffer(size: size, pattern: false)
    }

    func send() throws(BenchError) {
        while ipcsh_mq_send(sendQueue, outgoing.base, outgoing.size, 0, -1) < 0 { try Peer.failed("mq_send") }
    }

    func receive() throws(BenchError) {
        while true {
            let n = ipcsh_mq_receive(receiveQueue, incoming.base, incoming.size, nil, Peer.gone ? 0 : -1)
            if n >= 0 {
                if n != incoming.size { throw BenchError("mq_receive: a message of \(n) bytes, not \(incoming.size)") }
                return
            }
            if Peer.gone && errno == ETIMEDOUT { throw BenchError("mq_receive: " + Peer.goneMessage) }
            try Peer.failed("mq_receive")
        }
    }

    func close() {
        if sendQueue >= 0 { _ = ipcsh_mq_close(sendQueue) }
        if receiveQueue >= 0 && receiveQueue != sendQueue { _ = ipcsh_mq_close(receiveQueue) }
        outgoing.free()
        incoming.free()
    }
}

/// Slots in a shared segment handed over with process-shared POSIX semaphores (futexes: no
/// system call unless someone waits). `full` counts slots with a message; `free`, when there
/// is one (a stream's ring), counts empty slots.
struct SharedRing {
    let slots: UnsafeMutableRawPointer
    let slotCount: Int
    let size: Int
    let full: UnsafeMutablePointer<sem_t>
    let free: UnsafeMutablePointer<sem_t>?
    var index = 0

    mutating func put(_ message: MessageBuffer) throws(BenchError) {
        if let free { while sem_wait(free) != 0 { try Peer.failed("sem_wait") } }
        (slots + index * size).copyMemory(from: message.base, byteCount: size)
        index = (index + 1) % slotCount
        sem_post(full)
    }

    mutating func take(_ message: MessageBuffer) throws(BenchError) {
        while sem_wait(full) != 0 {
            try Peer.failed("sem_wait")
            if Peer.gone {
                if sem_trywait(full) == 0 { break }
                throw BenchError("sem_wait: " + Peer.goneMessage)
            }
        }
        message.base.copyMemory(from: slots + index * size, byteCount: size)
        index = (index + 1) % slotCount
        if let free { sem_post(free) }
    }
}

struct SharedMemoryChannel: BenchChannel {
    var outgoingRing: SharedRing?
    var incomingRing: SharedRing?
    let outgoing: MessageBuffer
    let incoming: MessageBuffer
    /// The segment's address, detached at close.
    let segment: UnsafeMutableRawPointer

    init(segment: UnsafeMutableRawPointer, sending: SharedRing?, receiving: SharedRing?, size: Int) {
        self.segment = segment
        outgoingRing = sending
        incomingRing = receiving
        outgoing = MessageBuffer(size: size, pattern: true)
        incoming = MessageBuffer(size: size, pattern: false)
    }

    mutating func send() throws(BenchError) { try outgoingRing?.put(outgoing) }
    mutating func receive() throws(BenchError) { try incomingRing?.take(incoming) }

    func close() {
        _ = shmdt(segment)
        outgoing.free()
        incoming.free()
    }
}
