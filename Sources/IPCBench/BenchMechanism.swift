import IPCSys

/// What `bench` can measure: one way for two processes to hand each other bytes, or `memcpy`,
/// the bandwidth limit they are all measured against.
public enum BenchMechanism: String, CaseIterable, Sendable {
    case pipe, fifo, unix, tcp, udp, shm, mq, pmq, memcpy

    /// The largest message any mechanism takes here: a bench is a measurement, not a memory test.
    public static let sizeCeiling = 64 << 20

    /// One line for `help bench` and docs/benchmarks.md.
    public var measures: String {
        switch self {
        case .pipe: return "an unnamed pipe (pipe): two for ping-pong, one for a stream"
        case .fifo: return "two named pipes (mkfifo) in a fresh directory under /tmp"
        case .unix: return "a unix stream socket pair (socketpair AF_UNIX)"
        case .tcp: return "a TCP connection over loopback (127.0.0.1, TCP_NODELAY)"
        case .udp: return "UDP datagrams over loopback; a stream waits for an ack every few datagrams"
        case .shm: return "a System V segment: slots and process-shared POSIX semaphores (futexes)"
        case .mq: return "a System V message queue (msgsnd, msgrcv)"
        case .pmq: return "POSIX message queues (mq_send, mq_receive)"
        case .memcpy: return "memcpy in one process: the bandwidth every copy is bound by"
        }
    }

    /// Whether a second process takes part (every mechanism but memcpy).
    public var hasPeer: Bool { self != .memcpy }

    /// The largest message this mechanism takes on this machine, and the name of what limits it.
    public func sizeLimit() -> (bytes: Int, name: String) {
        switch self {
        case .udp: return (65_507, "the largest UDP payload")
        case .mq: return (Self.kernelValue("/proc/sys/kernel/msgmax") ?? 8192, "kernel.msgmax")
        case .pmq: return (Self.kernelValue("/proc/sys/fs/mqueue/msgsize_max") ?? 8192, "fs.mqueue.msgsize_max")
        default: return (Self.sizeCeiling, "bench's ceiling of 64 MiB")
        }
    }

    /// A number from a /proc/sys file.
    static func kernelValue(_ path: String) -> Int? {
        guard let text = try? FileSystem.readWholeFile(path) else { return nil }
        return Int(text.split(whereSeparator: { $0 == "\n" || $0 == "\t" || $0 == " " }).first ?? "")
    }
}

/// Ping-pong (how long one hand-off takes) or a stream (how much gets through).
public enum BenchMode: String, CaseIterable, Sendable {
    case latency, throughput
}
