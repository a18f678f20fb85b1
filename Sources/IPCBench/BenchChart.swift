/// `bench all --plot FILE.svg`: a self-contained SVG bar chart of a suite's results, two
/// panels (latency, throughput), a bar per mechanism and size on a log scale with the value at
/// its end, units on the axes and the machine in the title. Opens in any browser.
public enum BenchChart {
    static let width = 960.0
    static let left = 90.0
    static let right = 110.0
    static let barHeight = 13.0
    static let colors = ["#4e79a7", "#f28e2b"]

    public static func svg(_ results: [BenchResult], machine: Machine) -> String {
        let mechanisms = BenchMechanism.allCases.filter { m in results.contains { $0.parameters.mechanism == m } }
        var body = ""
        var y = 56.0
        let latency = results.filter { $0.latency != nil }
        let throughput = results.filter { $0.throughput != nil }
        if !latency.isEmpty {
            y = panel(&body, top: y, title: "Latency: one-way time, median (µs, log scale; the thin line reaches p99)",
                      axis: "microseconds", mechanisms: mechanisms, results: latency,
                      value: { $0.latency!.median }, whisker: { $0.latency!.p99 },
                      label: { BenchFormat.short($0.latency!.median) + " µs" })
        }
        if !throughput.isEmpty {
            y = panel(&body, top: y + 24, title: "Throughput: megabytes per second (MB/s = 10^6 B/s, log scale)",
                      axis: "MB/s", mechanisms: mechanisms, results: throughput,
                      value: { $0.throughput!.megabytesPerSecond }, whisker: { _ in nil },
                      label: { BenchFormat.short($0.throughput!.megabytesPerSecond) + " MB/s" })
        }
        let height = y + 16
        let placement = results.first.map { r in
            r.parameters.cpus.map { "shell on CPU \($0.parent), child on CPU \($0.child)" } ?? "placement left to the scheduler"
        } ?? ""
        let subtitle = "\(machine.cpuModel ?? "unknown CPU"), \(machine.cores) CPUs, \(machine.kernel); \(placement)"
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
        <title>ipcsh bench all</title>
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#ffffff"/>
        <text x="\(Int(left))" y="22" font-size="16" font-weight="bold">ipcsh bench all: Linux IPC mechanisms compared</text>
        <text x="\(Int(left))" y="40" fill="#555555">\(escape(subtitle))</text>
        \(body)</svg>

        """
    }

    /// One panel: a log axis from a power of ten below the smallest value to one above the
    /// largest, a group of bars per mechanism (one per size), a legend of the sizes.
    static func panel(_ out: inout String, top: Double, title: String, axis: String, mechanisms: [BenchMechanism],
                      results: [BenchResult], value: (BenchResult) -> Double,
                      whisker: (BenchResult) -> Double?, label: (BenchResult) -> String) -> Double {
        let values = results.map(value) + results.compactMap(whisker)
        let positive = values.filter { $0 > 0 }
        var low = floorLog10(positive.min() ?? 1), high = floorLog10(positive.max() ?? 1) + 1
        if high <= low { high = low + 1 }
        if low > high - 1 { low = high - 1 }
        let plotWidth = width - left - right
        func x(_ v: Double) -> Double {
            guard v > 0 else { return left }
            let t = (log10(v) - Double(low)) / Double(high - low)
            return left + max(0, min(1, t)) * plotWidth
        }
        // Sizes in this panel, in order (a mechanism's capped size shares its column's colour).
        let slots = results.first.map { r in
            r.parameters.mode == .latency ? BenchSuite.latencySizes : BenchSuite.throughputSizes
        } ?? []
        func slot(_ r: BenchResult) -> Int {
            // A size capped at the mechanism's limit came from the largest.
            slots.firstIndex(of: r.parameters.size) ?? max(0, slots.count - 1)
        }
        out += "<text x=\"\(Int(left))\" y=\"\(Int(top + 14))\" font-weight=\"bold\">\(escape(title))</text>\n"
        var y = top + 26
        // Legend.
        for (i, size) in slots.enumerated() {
            let lx = left + Double(i) * 150
            out += "<rect x=\"\(Int(lx))\" y=\"\(Int(y))\" width=\"12\" height=\"12\" fill=\"\(colors[i % colors.count])\"/>"
            out += "<text x=\"\(Int(lx + 17))\" y=\"\(Int(y + 10))\">\(BenchFormat.size(size)) messages</text>\n"
        }
        y += 22
        let plotTop = y
        let groupHeight = Double(max(1, slots.count)) * (barHeight + 2) + 8
        let plotHeight = Double(mechanisms.count) * groupHeight
        // Grid and tick labels.
        for power in low...high {
            let gx = x(pow10(power))
            out += "<line x1=\"\(fmt(gx))\" y1=\"\(fmt(plotTop))\" x2=\"\(fmt(gx))\" y2=\"\(fmt(plotTop + plotHeight))\" stroke=\"#dddddd\"/>"
            out += "<text x=\"\(fmt(gx))\" y=\"\(fmt(plotTop + plotHeight + 14))\" text-anchor=\"middle\" fill=\"#333333\">\(tick(power))</text>\n"
        }
        out += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(plotTop + plotHeight + 30))\" text-anchor=\"middle\">\(escape(axis))</text>\n"
        for mechanism in mechanisms {
            let group = results.filter { $0.parameters.mechanism == mechanism }
            out += "<text x=\"\(Int(left - 8))\" y=\"\(fmt(y + groupHeight / 2))\" text-anchor=\"end\" font-weight=\"bold\">\(mechanism.rawValue)</text>\n"
            for r in group {
                let s = slot(r)
                let by = y + Double(s) * (barHeight + 2)
                let end = x(value(r))
                let note = r.parameters.size == slots[s] ? "" : " (\(BenchFormat.size(r.parameters.size)))"
                out += "<rect x=\"\(Int(left))\" y=\"\(fmt(by))\" width=\"\(fmt(max(1, end - left)))\" height=\"\(Int(barHeight))\" fill=\"\(colors[s % colors.count])\">"
                out += "<title>\(mechanism.rawValue) \(BenchFormat.size(r.parameters.size)): \(escape(label(r)))</title></rect>"
                if let w = whisker(r) {
                    let wx = x(w)
                    out += "<line x1=\"\(fmt(end))\" y1=\"\(fmt(by + barHeight / 2))\" x2=\"\(fmt(wx))\" y2=\"\(fmt(by + barHeight / 2))\" stroke=\"#333333\"/>"
                    out += "<line x1=\"\(fmt(wx))\" y1=\"\(fmt(by + 2))\" x2=\"\(fmt(wx))\" y2=\"\(fmt(by + barHeight - 2))\" stroke=\"#333333\"/>"
                }
                let textX = max(end, whisker(r).map(x) ?? end) + 4
                out += "<text x=\"\(fmt(textX))\" y=\"\(fmt(by + barHeight - 2))\" font-size=\"11\">\(escape(label(r) + note))</text>\n"
            }
            y += groupHeight
        }
        out += "<line x1=\"\(Int(left))\" y1=\"\(fmt(plotTop))\" x2=\"\(Int(left))\" y2=\"\(fmt(plotTop + plotHeight))\" stroke=\"#333333\"/>\n"
        return plotTop + plotHeight + 36
    }

    static func floorLog10(_ v: Double) -> Int { Int(log10(v).rounded(.down)) }
    static func pow10(_ n: Int) -> Double {
        var v = 1.0
        if n >= 0 { for _ in 0..<n { v *= 10 } } else { for _ in 0..<(-n) { v /= 10 } }
        return v
    }
    static func tick(_ power: Int) -> String {
        power >= 0 ? String(Int(pow10(power))) : BenchFormat.fixed(pow10(power), -power)
    }
    static func fmt(_ v: Double) -> String { BenchFormat.fixed(v, 1) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

@preconcurrency import Glibc
