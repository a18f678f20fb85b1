import IPCBench
import IPCSys
import IPCSyntax

/// `bench`: how fast each mechanism hands bytes between this shell and a forked child. The
/// measured loops are compiled (IPCBench), not interpreted, so the figures are the kernel's
/// and agree with the reference C benchmark (scripts/ipcbench.c).
enum BenchCommands {
    static let all: [CommandSpec] = [bench]

    static let mechanisms = BenchMechanism.allCases.map(\.rawValue)

    static let bench = CommandSpec(
        "bench", summary: "measure a mechanism's latency or throughput between the shell and a child (or all of them)",
        arguments: [ArgumentSpec("MECH", .keyword(mechanisms + ["all"]))],
        options: [
            OptionSpec("--mode", .keyword(BenchMode.allCases.map(\.rawValue)), valueName: "MODE",
                       summary: "latency (ping-pong, one-way µs; the default) or throughput (a stream, MB/s)"),
            OptionSpec("--size", .size, valueName: "N", summary: "bytes per message (default 64)"),
            OptionSpec("--count", .count, valueName: "N", summary: "timed rounds or messages (default 10000 rounds; a 512 MiB stream)"),
            OptionSpec("--cpus", .cpuPair, valueName: "A,B", summary: "pin the shell to CPU A and the child to CPU B"),
            OptionSpec("--json", summary: "one JSON document: the reference C benchmark's fields, the machine, the placement"),
            OptionSpec("--plot", .path, valueName: "FILE.svg", summary: "bench all: also draw the results as an SVG bar chart"),
        ],
        example: "bench pipe --cpus 0,1",
        discussion: """
            MECH is one of \(mechanisms.joined(separator: ", ")), or all. Latency sends SIZE bytes to the child and \
            waits for SIZE bytes back, COUNT times after a warm-up of a tenth, and reports half of each round \
            trip: the median, p99, min and max in microseconds. Throughput has the child stream COUNT messages \
            and reports MB/s (10^6 bytes) and messages/s. The loops are compiled, not interpreted, and are \
            not traced. Where the two processes run changes latency tenfold (a hand-off on one CPU is a \
            context switch; across two, a wake-up of an idle CPU): --cpus pins them, and without it the \
            result says how often they shared a CPU. bench all measures every mechanism at 64 B and 4 KiB \
            (latency) and 64 B and 1 MiB (throughput, or the mechanism's largest message), prints a table \
            and, with --plot, draws it. Ctrl-C stops it; nothing it made is left behind.
            """
    ) { ctx in
        let which = ctx.string("MECH") ?? ""
        let cpus = try cpuPair(ctx)
        if which == "all" {
            try DataCommands.rejectOptions(["--mode", "--size", "--count"], for: "bench all (it picks its own sizes and counts)", ctx)
            return try runAll(cpus: cpus, ctx)
        }
        if ctx.optionGiven("--plot") {
            throw ctx.failure("bench: --plot draws bench all's results", hint: "bench all --plot FILE.svg")
        }
        guard let mechanism = BenchMechanism(rawValue: which) else { return .none }
        let mode = ctx.optionBytes("--mode").flatMap { BenchMode(rawValue: String(decoding: $0, as: UTF8.self)) } ?? .latency
        let parameters = BenchParameters(mechanism: mechanism, mode: mode, size: ctx.integer("--size") ?? 64,
                                         count: ctx.integer("--count"), cpus: cpus)
        let result = try measure(parameters, ctx)
        if ctx.flag("--json") {
            return JSON.object([("machine", machineJSON(Machine.current()))] + resultJSON(result)).result
        }
        ctx.output.line(result.summary)
        return .none
    }

    /// `--cpus A,B`, checked at binding for its form; here for CPUs that exist.
    static func cpuPair(_ ctx: borrowing CommandContext) throws(Diagnostic) -> (parent: Int, child: Int)? {
        guard let text = ctx.optionBytes("--cpus").map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        let parts = text.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        return (parts[0], parts[1])
    }

    /// Runs one measurement; Ctrl-C is an interrupted command, anything else a failure.
    static func measure(_ parameters: BenchParameters, _ ctx: borrowing CommandContext) throws -> BenchResult {
        ctx.output.flush()
        do throws(BenchError) {
            return try BenchRunner.run(parameters)
        } catch {
            if error.interrupted { throw ControlFlow.interrupted }
            let message = error.message.hasPrefix("bench") ? error.message : "bench: " + error.message
            var hint: String? = nil
            if error.message.contains("is above") { hint = "bench \(parameters.mechanism.rawValue) takes 1 to \(parameters.mechanism.sizeLimit().bytes) bytes per message" }
            if error.message.hasPrefix("--cpus") { hint = "CPUs this shell may use: \(Placement.allowed().map(String.init).joined(separator: ","))" }
            throw ctx.failure(message, hint: hint)
        }
    }

    /// `bench all`: the suite, a line as each mechanism finishes (on a terminal), the table,
    /// and the chart with --plot.
    static func runAll(cpus: (parent: Int, child: Int)?, _ ctx: borrowing CommandContext) throws -> CommandResult {
        let plot = ctx.optionBytes("--plot").map { String(decoding: $0, as: UTF8.self) }
        var file: ReplacementFile? = nil
        if let plot {
            // Opened first: a path that cannot be written fails before a minute of measuring.
            do throws(ReplacementFile.OpenError) { file = try ReplacementFile.open(plot) } catch {
                throw ctx.failure("bench: cannot create \(plot): \(Errno.symbol(error.errno)) (\(Errno.text(error.errno)))")
            }
        }
        var results: [BenchResult] = []
        do {
            for parameters in BenchSuite.plan(cpus: cpus) {
                results.append(try measure(parameters, ctx))
            }
        } catch {
            if let file { _ = file.close(); file.discard() }
            throw error
        }
        let machine = Machine.current()
        if let file, let plot {
            if let failure = file.finish(with: Array(BenchChart.svg(results, machine: machine).utf8)) {
                throw ctx.failure("bench: cannot write \(plot): \(failure)")
            }
        }
        if ctx.flag("--json") {
            return JSON.object([("machine", machineJSON(machine)), ("results", .array(results.map { .object(resultJSON($0)) }))]).result
        }
        for line in table(results) { ctx.output.line(line) }
        if let plot { ctx.output.info("bench: chart written to \(plot)") }
        return .none
    }

    /// Mechanisms down, the suite's four measurements across.
    static func table(_ results: [BenchResult]) -> [String] {
        func cell(_ mechanism: BenchMechanism, _ mode: BenchMode, _ slot: Int) -> String {
            let sizes = mode == .latency ? BenchSuite.latencySizes : BenchSuite.throughputSizes
            let limit = mechanism.sizeLimit().bytes
            guard let r = results.first(where: { $0.parameters.mechanism == mechanism && $0.parameters.mode == mode
                                                 && $0.parameters.size == min(sizes[slot], limit) }) else { return "-" }
            let mark = r.parameters.size != sizes[slot] ? "*" : ""
            if let l = r.latency { return "\(BenchFormat.short(l.median)) (\(BenchFormat.short(l.p99)))" + mark }
            if let t = r.throughput { return BenchFormat.short(t.megabytesPerSecond) + mark }
            return "-"
        }
        var rows = [["mechanism", "latency 64 B µs (p99)", "latency 4 KiB µs (p99)", "64 B MB/s", "1 MiB MB/s"]]
        for mechanism in BenchMechanism.allCases where results.contains(where: { $0.parameters.mechanism == mechanism }) {
            rows.append([mechanism.rawValue, cell(mechanism, .latency, 0), cell(mechanism, .latency, 1),
                         cell(mechanism, .throughput, 0), cell(mechanism, .throughput, 1)])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { c, text in
                c == 0 ? text + String(repeating: " ", count: widths[c] - text.count)
                       : String(repeating: " ", count: widths[c] - text.count) + text
            }.joined(separator: "  ")
        }
        let capped = BenchMechanism.allCases.filter { m in m.sizeLimit().bytes < (1 << 20) && results.contains { $0.parameters.mechanism == m } }
        if !capped.isEmpty {
            lines.append("* at the mechanism's largest message: " + capped.map { "\($0.rawValue) \(BenchFormat.size($0.sizeLimit().bytes)) (\($0.sizeLimit().name))" }.joined(separator: ", "))
        }
        if let placement = results.first?.parameters.cpus {
            lines.append("shell on CPU \(placement.parent), child on CPU \(placement.child)")
        } else {
            let shared = results.compactMap(\.sameCPU)
            if !shared.isEmpty {
                lines.append("not pinned: shell and child shared a CPU in \(BenchFormat.percent(shared.reduce(0, +) / Double(shared.count))) of rounds on average (--cpus A,B pins them)")
            }
        }
        return lines
    }

    static func machineJSON(_ m: Machine) -> JSON {
        .object([("cpu_model", m.cpuModel.map(JSON.string) ?? .null), ("cores", .integer(m.cores)), ("kernel", .string(m.kernel))])
    }

    /// The reference C benchmark's fields, in its order.
    static func resultJSON(_ r: BenchResult) -> [(String, JSON)] {
        let p = r.parameters
        func number(_ x: Double) -> JSON { .number(BenchFormat.json(x)) }
        var fields: [(String, JSON)] = [
            ("mechanism", .string(p.mechanism.rawValue)), ("mode", .string(p.mode.rawValue)),
            ("size", .integer(p.size)), ("count", .integer(p.count)), ("warmup", .integer(p.warmup)),
        ]
        if let l = r.latency {
            fields += [("median_us", number(l.median)), ("p99_us", number(l.p99)), ("min_us", number(l.min)), ("max_us", number(l.max))]
        }
        if let t = r.throughput {
            fields += [("seconds", number(t.seconds)), ("mb_s", number(t.megabytesPerSecond)), ("msg_s", number(t.messagesPerSecond))]
        }
        fields.append(("cpus", p.cpus.map { .array([.integer($0.parent), .integer($0.child)]) } ?? .null))
        fields.append(("same_cpu", r.sameCPU.map { number($0) } ?? .null))
        return fields
    }
}
