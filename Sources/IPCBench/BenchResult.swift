/// What one measurement found, in the reference C benchmark's units.
public struct BenchResult: Sendable {
    public var parameters: BenchParameters

    /// Latency: one-way microseconds (half a round trip; one copy for memcpy).
    public struct Latency: Sendable, Equatable {
        public var median: Double
        public var p99: Double
        public var min: Double
        public var max: Double
    }

    /// Throughput over the timed messages.
    public struct Throughput: Sendable, Equatable {
        public var seconds: Double
        /// 10^6 bytes per second.
        public var megabytesPerSecond: Double
        public var messagesPerSecond: Double
    }

    public var latency: Latency?
    public var throughput: Throughput?
    /// Without `--cpus`: the fraction of timed rounds in which the shell and its child ran on
    /// the same CPU (sched_getcpu on both sides). Nil when pinned, or for memcpy.
    public var sameCPU: Double?

    /// Statistics of samples in nanoseconds, each divided by `divisor` (2: a round trip is two
    /// one-way trips; memcpy: copies per sample): median is
    /// element n/2 of the sorted samples, p99 element ceil(0.99 n) - 1 computed in integers
    /// (nearest rank), as the C benchmark takes them.
    static func latency(nanoseconds samples: inout [UInt64], divisor: Int) -> Latency {
        samples.sort()
        let n = samples.count
        let rank = Swift.max(0, Swift.min(n - 1, (99 * n + 99) / 100 - 1))
        func us(_ ns: UInt64) -> Double { Double(ns) / Double(divisor) / 1000 }
        return Latency(median: us(samples[n / 2]), p99: us(samples[rank]), min: us(samples[0]), max: us(samples[n - 1]))
    }

    static func throughput(bytes: Int, messages: Int, nanoseconds: UInt64) -> Throughput {
        let seconds = Swift.max(Double(nanoseconds), 1) / 1e9
        return Throughput(seconds: seconds, megabytesPerSecond: Double(bytes) / seconds / 1e6,
                          messagesPerSecond: Double(messages) / seconds)
    }
}
