/// `bench all`: every mechanism at a few sizes, with counts that keep the whole well under a
/// minute: latency at 64 B and 4 KiB, throughput at 64 B and 1 MiB (or the mechanism's
/// largest message, when 1 MiB is above its limit).
public enum BenchSuite {
    public static let latencySizes = [64, 4096]
    public static let throughputSizes = [64, 1 << 20]

    public static func plan(cpus: (parent: Int, child: Int)?) -> [BenchParameters] {
        var plan: [BenchParameters] = []
        for mechanism in BenchMechanism.allCases {
            let limit = mechanism.sizeLimit().bytes
            for size in latencySizes {
                plan.append(BenchParameters(mechanism: mechanism, mode: .latency, size: min(size, limit), count: 2000, cpus: cpus))
            }
            for size in throughputSizes {
                let s = min(size, limit)
                let count = max(100, min(20_000, (256 << 20) / s))
                plan.append(BenchParameters(mechanism: mechanism, mode: .throughput, size: s, count: count, cpus: cpus))
            }
        }
        return plan
    }
}
