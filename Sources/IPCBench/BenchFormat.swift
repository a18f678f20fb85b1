/// Numbers and sizes as the bench prints them, without Foundation's formatters.
public enum BenchFormat {
    /// `x` with `digits` decimals: fixed(3.14159, 2) is "3.14".
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { return String(Int64(x.rounded())) }
        let whole = Int64(scaled) / Int64(scale)
        var text = (x < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let fraction = String(Int64(scaled) % Int64(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    /// Three significant figures or more: 0.123, 1.23, 12.3, 123, 12345.
    public static func short(_ x: Double) -> String {
        let a = abs(x)
        if a >= 100 { return fixed(x, 0) }
        if a >= 10 { return fixed(x, 1) }
        if a >= 1 { return fixed(x, 2) }
        return fixed(x, 3)
    }

    /// A JSON number for a measured value: at most four decimals (a tenth of a nanosecond in
    /// microseconds, as the C benchmark prints latency).
    public static func json(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        let rounded = (x * 10_000).rounded() / 10_000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return rounded.description
    }

    /// 64 B, 4 KiB, 1 MiB, 65507 B.
    public static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    /// 37%.
    public static func percent(_ fraction: Double) -> String { fixed(fraction * 100, 0) + "%" }
}

extension BenchResult {
    /// One line: `pipe latency, 64 B: median 9.81 µs, p99 14.2 µs (min 8.02, max 61.3) one way, 10000 rounds; ...`.
    public var summary: String {
        let p = parameters
        var text = "\(p.mechanism.rawValue) \(p.mode.rawValue), \(BenchFormat.size(p.size)): "
        let unit = p.mechanism == .memcpy ? "copies" : (p.mode == .latency ? "rounds" : "messages")
        if let l = latency {
            text += "median \(BenchFormat.short(l.median)) µs, p99 \(BenchFormat.short(l.p99)) µs"
            text += " (min \(BenchFormat.short(l.min)), max \(BenchFormat.short(l.max)))"
            text += p.mechanism == .memcpy ? " per copy" : " one way"
            text += ", \(p.count) \(unit)"
        }
        if let t = throughput {
            text += "\(BenchFormat.short(t.megabytesPerSecond)) MB/s, \(BenchFormat.fixed(t.messagesPerSecond, 0)) msg/s"
            let time = t.seconds < 0.1 ? BenchFormat.short(t.seconds * 1000) + " ms" : BenchFormat.fixed(t.seconds, 3) + " s"
            text += " (\(p.count) \(unit) in \(time))"
        }
        text += "; " + placement
        return text
    }

    /// Where the two processes ran: pinned, or how often they shared a CPU.
    public var placement: String {
        let p = parameters
        if let cpus = p.cpus {
            return p.mechanism.hasPeer ? "shell on CPU \(cpus.parent), child on CPU \(cpus.child)" : "on CPU \(cpus.parent)"
        }
        guard p.mechanism.hasPeer, let sameCPU else { return "one process" }
        return "shell and child on one CPU in \(BenchFormat.percent(sameCPU)) of \(p.mode == .latency ? "rounds" : "messages")"
    }
}
