@preconcurrency import Glibc
import CIPCShims
import IPCSys

/// Runs one measurement: the shell (parent) and a forked child hand each other messages in
/// compiled loops (no interpreter, no trace), as the reference C benchmark (scripts/ipcbench.c)
/// does, so the figure is the mechanism's and not the shell's.
public enum BenchRunner {
    /// Measures; nothing the bench made outlives it, also when it fails or Ctrl-C ends it.
    public static func run(_ p: BenchParameters) throws(BenchError) -> BenchResult {
        try p.validate()
        switch p.mechanism {
        case .pipe: return try measure(p, try .pipes(p))
        case .fifo: return try measure(p, try .fifos(p))
        case .unix: return try measure(p, try .socketPair(p))
        case .tcp: return try measure(p, try .tcp(p))
        case .udp: return try measure(p, try .udp(p))
        case .shm: return try measure(p, try .sharedMemory(p))
        case .mq: return try measure(p, try .systemVQueue(p))
        case .pmq: return try measure(p, try .posixQueues(p))
        case .memcpy: return try copies(p)
        }
    }

    /// The two processes' loops. Without `--cpus`, each records the CPU it ran each round on
    /// (the child into a shared mapping), to say how often they shared one.
    static func measure<Channel: BenchChannel>(_ p: BenchParameters, _ endpoints: Endpoints<Channel>) throws(BenchError) -> BenchResult {
        defer { endpoints.cleanup() }
        let rounds = p.warmup + p.count
        let placement = p.cpus
        var childCPUs: UnsafeMutablePointer<Int32>? = nil
        let mappedBytes = rounds * MemoryLayout<Int32>.size
        if placement == nil {
            let mapped = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
            guard let mapped, mapped != MAP_FAILED else { throw BenchError.call("mmap") }
            childCPUs = mapped.bindMemory(to: Int32.self, capacity: rounds)
        }
        defer { if let childCPUs { _ = munmap(childCPUs, mappedBytes) } }
        let saved = Placement.save()
        defer { Placement.restore(saved) }
        let parentPid = getpid()

        let child = Glibc.fork()
        if child < 0 { throw BenchError.call("fork") }
        if child == 0 {
            // The child: dies with the shell, runs its loop, and leaves by _exit (no Swift or
            // stdio clean-up of the shell's state).
            _ = ipcsh_die_with_parent()
            if getppid() != parentPid { _exit(1) }
            Peer.pid = 0
            do throws(BenchError) {
                if let placement { try Placement.pin(placement.child) }
                var channel = try endpoints.child()
                if p.mode == .latency {
                    for i in 0..<rounds {
                        try channel.receive()
                        if let childCPUs { childCPUs[i] = Placement.current }
                        try channel.send()
                    }
                } else {
                    for i in 0..<rounds {
                        try channel.send()
                        if let childCPUs { childCPUs[i] = Placement.current }
                    }
                }
                // A stream's last messages may still be in flight: the parent closes first.
                channel.close()
                _exit(0)
            } catch {
                if !error.interrupted {
                    let text = Array("bench: child: \(error.message)\n".utf8)
                    _ = text.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
                }
                _exit(error.interrupted ? 130 : 1)
            }
        }

        Peer.pid = child
        Peer.gone = false
        defer { Peer.pid = 0; Peer.gone = false }
        var parentCPUs = placement == nil ? [Int32](repeating: -1, count: rounds) : []
        var result = BenchResult(parameters: p)
        do throws(BenchError) {
            if let placement { try Placement.pin(placement.parent) }
            var channel = try endpoints.parent()
            defer { channel.close() }
            if p.mode == .latency {
                var samples = [UInt64](repeating: 0, count: p.count)
                for i in 0..<rounds {
                    if Signals.interruptPending { throw BenchError("interrupted", interrupted: true) }
                    let start = Clock.monotonicNanoseconds()
                    try channel.send()
                    try channel.receive()
                    let end = Clock.monotonicNanoseconds()
                    if i >= p.warmup { samples[i - p.warmup] = end - start }
                    if placement == nil { parentCPUs[i] = Placement.current }
                }
                result.latency = BenchResult.latency(nanoseconds: &samples, divisor: 2)
            } else {
                var start: UInt64 = 0
                for i in 0..<rounds {
                    if Signals.interruptPending { throw BenchError("interrupted", interrupted: true) }
                    if i == p.warmup { start = Clock.monotonicNanoseconds() }
                    try channel.receive()
                    if placement == nil { parentCPUs[i] = Placement.current }
                }
                let end = Clock.monotonicNanoseconds()
                result.throughput = BenchResult.throughput(bytes: p.count * p.size, messages: p.count, nanoseconds: end - start)
            }
        } catch {
            _ = kill(child, SIGKILL)
            let status = reap(child)
            if error.message.hasSuffix(Peer.goneMessage) {
                throw BenchError(error.message + " (" + describe(status) + ")")
            }
            throw error
        }
        let status = reap(child)
        if status != 0 {
            throw BenchError("bench: the child ended with status \(status) before the bench was complete")
        }
        if let childCPUs {
            var same = 0
            for i in p.warmup..<rounds where parentCPUs[i] == childCPUs[i] { same += 1 }
            result.sameCPU = Double(same) / Double(p.count)
        }
        return result
    }

    /// memcpy between two buffers in this process: per copy (latency) or in all (throughput).
    /// memcpy is called through a pointer the C shims hand over, which the optimizer cannot see
    /// through, so a copy whose result nobody reads is still made (the C benchmark calls it
    /// through a volatile pointer for the same reason).
    static func copies(_ p: BenchParameters) throws(BenchError) -> BenchResult {
        let source = MessageBuffer(size: p.size, pattern: true)
        let target = MessageBuffer(size: p.size, pattern: false)
        defer { source.free(); target.free() }
        guard let copy = ipcsh_memcpy_function() else { throw BenchError("memcpy: no function") }
        var result = BenchResult(parameters: p)
        let saved = Placement.save()
        defer { Placement.restore(saved) }
        if let placement = p.cpus { try Placement.pin(placement.parent) }
        if p.mode == .latency {
            // A sample times a batch of copies (up to 100, at most 64 KiB in all) and is divided
            // by it: reading the clock costs about as much as copying 64 bytes.
            let batch = max(1, min(100, 65_536 / p.size))
            var samples = [UInt64](repeating: 0, count: p.count)
            for i in 0..<(p.warmup + p.count) {
                if Signals.interruptPending { throw BenchError("interrupted", interrupted: true) }
                let start = Clock.monotonicNanoseconds()
                for _ in 0..<batch { _ = copy(target.base, source.base, p.size) }
                let end = Clock.monotonicNanoseconds()
                if i >= p.warmup { samples[i - p.warmup] = end - start }
            }
            result.latency = BenchResult.latency(nanoseconds: &samples, divisor: batch)
        } else {
            for _ in 0..<p.warmup { _ = copy(target.base, source.base, p.size) }
            let start = Clock.monotonicNanoseconds()
            for _ in 0..<p.count {
                if Signals.interruptPending { throw BenchError("interrupted", interrupted: true) }
                _ = copy(target.base, source.base, p.size)
            }
            let end = Clock.monotonicNanoseconds()
            result.throughput = BenchResult.throughput(bytes: p.count * p.size, messages: p.count, nanoseconds: end - start)
        }
        return result
    }

    /// `exit status 1`, `killed by signal 9`.
    static func describe(_ status: Int32) -> String {
        status > 128 ? "killed by signal \(status - 128)" : "exit status \(status)"
    }

    /// waitpid, through EINTR; the child's exit status (128 + signal when killed).
    @discardableResult
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
