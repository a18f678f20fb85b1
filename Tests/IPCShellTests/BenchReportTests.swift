@testable import IPCBench
import XCTest

/// Issue 15: bench's statistics, numbers, checks and chart, without running a bench.
final class BenchReportTests: XCTestCase {
    func testStatisticsTakeTheReferenceBenchmarksRanks() {
        // Round trips of 2, 4, ..., 200 ns: one way is 1..100 ns.
        var samples = (1...100).map { UInt64($0 * 2) }.shuffled()
        let l = BenchResult.latency(nanoseconds: &samples, divisor: 2)
        XCTAssertEqual(l.median, 0.051)   // element n/2 = 51 ns
        XCTAssertEqual(l.p99, 0.099)      // element ceil(0.99 * 100) - 1 = the 99th
        XCTAssertEqual(l.min, 0.001)
        XCTAssertEqual(l.max, 0.1)
        var one: [UInt64] = [3000]
        let single = BenchResult.latency(nanoseconds: &one, divisor: 1)
        XCTAssertEqual([single.median, single.p99, single.min, single.max], [3, 3, 3, 3])
        let t = BenchResult.throughput(bytes: 2_000_000, messages: 1000, nanoseconds: 500_000_000)
        XCTAssertEqual(t.megabytesPerSecond, 4)
        XCTAssertEqual(t.messagesPerSecond, 2000)
    }

    func testNumbersAndSizesPrintAsTheReportShowsThem() {
        XCTAssertEqual(BenchFormat.fixed(3.14159, 2), "3.14")
        XCTAssertEqual(BenchFormat.fixed(0.0449, 3), "0.045")
        XCTAssertEqual(BenchFormat.fixed(-2.5, 1), "-2.5")
        XCTAssertEqual(BenchFormat.fixed(7, 0), "7")
        XCTAssertEqual(BenchFormat.short(1234.56), "1235")
        XCTAssertEqual(BenchFormat.short(12.345), "12.3")
        XCTAssertEqual(BenchFormat.short(0.0344), "0.034")
        XCTAssertEqual(BenchFormat.json(2.0), "2")
        XCTAssertEqual(BenchFormat.json(2.345678), "2.3457")
        XCTAssertEqual(BenchFormat.size(64), "64 B")
        XCTAssertEqual(BenchFormat.size(4096), "4 KiB")
        XCTAssertEqual(BenchFormat.size(1 << 20), "1 MiB")
        XCTAssertEqual(BenchFormat.size(65_507), "65507 B")
        XCTAssertEqual(BenchFormat.percent(0.371), "37%")
    }

    func testParametersAreCheckedBeforeAnythingIsMade() {
        func message(_ p: BenchParameters) -> String? {
            do { try p.validate(); return nil } catch { return error.message }
        }
        XCTAssertNil(message(BenchParameters(mechanism: .pipe)))
        XCTAssertEqual(message(BenchParameters(mechanism: .pipe, size: 0)), "pipe: size must be at least 1 byte")
        XCTAssertEqual(message(BenchParameters(mechanism: .udp, size: 65_508)), "udp: size 65508 is above the largest UDP payload (65507)")
        XCTAssertEqual(message(BenchParameters(mechanism: .tcp, count: 0)), "tcp: count must be at least 1")
        XCTAssertEqual(message(BenchParameters(mechanism: .tcp, count: 10_000_001)), "tcp: count is above 10000000")
        XCTAssertEqual(message(BenchParameters(mechanism: .pipe, cpus: (0, -1))), "--cpus: CPU -1 does not exist (this machine has \(Placement.configured): 0 to \(Placement.configured - 1))")
        // Defaults: 10,000 rounds; a 512 MiB stream of at most 100,000 messages; a tenth of warm-up.
        XCTAssertEqual(BenchParameters(mechanism: .pipe).count, 10_000)
        XCTAssertEqual(BenchParameters(mechanism: .pipe).warmup, 1000)
        XCTAssertEqual(BenchParameters(mechanism: .pipe, mode: .throughput, size: 1 << 20).count, 512)
        XCTAssertEqual(BenchParameters(mechanism: .pipe, mode: .throughput, size: 64).count, 100_000)
        XCTAssertEqual(BenchParameters(mechanism: .pipe, count: 50).warmup, 10)
    }

    func testTheSuiteCapsSizesAtEachMechanismsLimitAndTheChartLabelsThem() {
        let plan = BenchSuite.plan(cpus: nil)
        XCTAssertEqual(plan.count, BenchMechanism.allCases.count * 4)
        XCTAssertTrue(plan.allSatisfy { (try? $0.validate()) != nil })
        XCTAssertEqual(plan.first { $0.mechanism == .udp && $0.mode == .throughput && $0.size > 64 }?.size, 65_507)

        let results = plan.map { p -> BenchResult in
            var r = BenchResult(parameters: p)
            if p.mode == .latency { r.latency = .init(median: 2, p99: 9, min: 1, max: 20) }
            else { r.throughput = .init(seconds: 1, megabytesPerSecond: Double(p.size), messagesPerSecond: 1) }
            r.sameCPU = 0.5
            return r
        }
        let machine = Machine(cpuModel: "Test <CPU> & co", cores: 2, kernel: "Linux 6.1")
        let svg = BenchChart.svg(results, machine: machine)
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.contains("Test &lt;CPU&gt; &amp; co"))
        for mechanism in BenchMechanism.allCases { XCTAssertTrue(svg.contains(">\(mechanism.rawValue)</text>"), mechanism.rawValue) }
        // udp's 1 MiB bar is at its limit, and says so; its 64 B bar is drawn too.
        XCTAssertTrue(svg.contains("65507 MB/s (65507 B)"), svg)
        XCTAssertTrue(svg.contains("<title>udp 64 B: 64.0 MB/s</title>"), svg)
        XCTAssertEqual(svg.components(separatedBy: "</title></rect>").count - 1, results.count)
    }
}
