@preconcurrency import Glibc
import CIPCShims

/// One measurement's settings, checked before anything is created.
public struct BenchParameters: Sendable, Equatable {
    public var mechanism: BenchMechanism
    public var mode: BenchMode
    /// Bytes per message.
    public var size: Int
    /// Timed rounds (latency) or messages (throughput).
    public var count: Int
    /// Rounds or messages before the clock starts.
    public var warmup: Int
    /// CPUs for the shell and its child (`--cpus A,B`); nil lets the scheduler place them.
    public var cpus: (parent: Int, child: Int)?

    /// The largest count: latency keeps one sample per round.
    public static let maximumCount = 10_000_000

    public static func == (a: BenchParameters, b: BenchParameters) -> Bool {
        a.mechanism == b.mechanism && a.mode == b.mode && a.size == b.size && a.count == b.count
            && a.warmup == b.warmup && a.cpus?.parent == b.cpus?.parent && a.cpus?.child == b.cpus?.child
    }

    /// The reference C benchmark's defaults: 10,000 rounds; a stream of 512 MiB in at most
    /// 100,000 messages and at least 100; a tenth as warm-up, at least 10.
    public init(mechanism: BenchMechanism, mode: BenchMode = .latency, size: Int = 64, count: Int? = nil,
                warmup: Int? = nil, cpus: (parent: Int, child: Int)? = nil) {
        self.mechanism = mechanism
        self.mode = mode
        self.size = size
        let defaultCount = mode == .latency ? 10_000 : max(100, min(100_000, (512 << 20) / max(1, size)))
        self.count = count ?? defaultCount
        self.warmup = warmup ?? max(10, self.count / 10)
        self.cpus = cpus
    }

    /// Every check that can be made before a process or object exists.
    public func validate() throws(BenchError) {
        let name = mechanism.rawValue
        if size <= 0 { throw BenchError("\(name): size must be at least 1 byte") }
        let limit = mechanism.sizeLimit()
        if size > limit.bytes {
            throw BenchError("\(name): size \(size) is above \(limit.name) (\(limit.bytes))")
        }
        if count <= 0 { throw BenchError("\(name): count must be at least 1") }
        if count > Self.maximumCount || warmup > Self.maximumCount {
            throw BenchError("\(name): count is above \(Self.maximumCount)")
        }
        if let cpus {
            for cpu in [cpus.parent, cpus.child] {
                try Placement.check(cpu)
            }
        }
    }
}

/// Which CPUs exist and may be used, and pinning a process to one.
public enum Placement {
    /// Bytes of a mask: 1024 CPUs, as glibc's cpu_set_t.
    static let maskBytes = 128

    /// The CPUs this process may run on (its affinity mask).
    public static func allowed() -> [Int] {
        let mask = save()
        return (0..<(maskBytes * 8)).filter { mask[$0 / 8] & (1 << ($0 % 8)) != 0 }
    }

    /// CPUs configured on the machine.
    public static var configured: Int { sysconf(Int32(_SC_NPROCESSORS_CONF)) }

    static func check(_ cpu: Int) throws(BenchError) {
        let allowed = allowed()
        if cpu < 0 || cpu >= configured {
            throw BenchError("--cpus: CPU \(cpu) does not exist (this machine has \(configured): 0 to \(configured - 1))")
        }
        if !allowed.contains(cpu) {
            throw BenchError("--cpus: CPU \(cpu) is not one this process may use (allowed: \(allowed.map(String.init).joined(separator: ",")))")
        }
    }

    /// The calling process's mask, to restore after pinning.
    static func save() -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        _ = ipcsh_affinity_get(&mask, maskBytes)
        return mask
    }

    static func restore(_ mask: [UInt8]) {
        _ = ipcsh_affinity_set(mask, maskBytes)
    }

    /// Pins the calling process to one CPU.
    static func pin(_ cpu: Int) throws(BenchError) {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        mask[cpu / 8] |= UInt8(1 << (cpu % 8))
        if ipcsh_affinity_set(mask, maskBytes) != 0 { throw BenchError.call("sched_setaffinity") }
    }

    /// The CPU the calling process runs on now.
    static var current: Int32 { ipcsh_current_cpu() }
}
