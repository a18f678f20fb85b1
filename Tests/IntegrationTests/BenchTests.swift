import Foundation
import FoundationXML
import XCTest

/// Issue 15: `bench` measures each mechanism between the shell and a forked child, in both
/// modes, reports typed JSON, draws `bench all` as an SVG, refuses bad input clearly, and
/// leaves no child, segment, queue or FIFO behind (Ctrl-C included).
final class BenchTests: IPCTestCase {
    static let mechanisms = ["pipe", "fifo", "unix", "tcp", "udp", "shm", "mq", "pmq", "memcpy"]

    /// What a bench could leave behind: System V objects, POSIX queues, FIFO directories.
    struct Leftovers: Equatable {
        var segments: Set<Int32>, queues: Set<Int32>, posixQueues: Set<String>, directories: Set<String>

        static func now() -> Leftovers {
            func names(_ path: String, _ prefix: String) -> Set<String> {
                Set(((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasPrefix(prefix) })
            }
            return Leftovers(segments: Harness.sysvIDs("/proc/sysvipc/shm"), queues: Harness.sysvIDs("/proc/sysvipc/msg"),
                             posixQueues: names("/dev/mqueue", "ipcsh-bench"), directories: names("/tmp", "ipcsh-bench."))
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        let data = Data(text.utf8)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], text)
    }

    func testEveryMechanismAndModeGivesSaneTypedJSONAndLeavesNothing() throws {
        let before = Leftovers.now()
        for mechanism in Self.mechanisms {
            for mode in ["latency", "throughput"] {
                let size = mode == "latency" ? 64 : 4096
                let r = try Harness.run(["-c", "bench \(mechanism) --mode \(mode) --size \(size) --count 300 --json"], timeout: 60)
                XCTAssertEqual(r.status, 0, "\(mechanism) \(mode): \(r.stderr)")
                let doc = try json(r.stdout)
                XCTAssertEqual(doc["mechanism"] as? String, mechanism)
                XCTAssertEqual(doc["mode"] as? String, mode)
                XCTAssertEqual(doc["size"] as? Int, size)
                XCTAssertEqual(doc["count"] as? Int, 300)
                XCTAssertEqual(doc["warmup"] as? Int, 30)
                XCTAssertTrue(doc["cpus"] is NSNull, "\(doc)")
                let machine = try XCTUnwrap(doc["machine"] as? [String: Any])
                XCTAssertGreaterThan(machine["cores"] as? Int ?? 0, 0)
                XCTAssertTrue((machine["kernel"] as? String)?.hasPrefix("Linux ") == true, "\(machine)")
                if mechanism == "memcpy" {
                    XCTAssertTrue(doc["same_cpu"] is NSNull, "\(doc)")
                } else {
                    let shared = try XCTUnwrap(doc["same_cpu"] as? Double, "\(doc)")
                    XCTAssertTrue((0...1).contains(shared), "\(doc)")
                }
                if mode == "latency" {
                    let median = try XCTUnwrap(doc["median_us"] as? Double), p99 = try XCTUnwrap(doc["p99_us"] as? Double)
                    let low = try XCTUnwrap(doc["min_us"] as? Double), high = try XCTUnwrap(doc["max_us"] as? Double)
                    XCTAssertGreaterThan(median, 0, "\(doc)")
                    XCTAssertTrue(low <= median && median <= p99 && p99 <= high, "\(mechanism): \(doc)")
                    XCTAssertNil(doc["mb_s"])
                } else {
                    let mbs = try XCTUnwrap(doc["mb_s"] as? Double), msgs = try XCTUnwrap(doc["msg_s"] as? Double)
                    XCTAssertGreaterThan(mbs, 0, "\(doc)")
                    // MB/s is messages/s times the size, in 10^6 bytes (both rounded to 3 decimals).
                    XCTAssertEqual(mbs, msgs * Double(size) / 1e6, accuracy: max(0.01, mbs * 1e-3), "\(doc)")
                    XCTAssertNil(doc["median_us"])
                }
            }
        }
        XCTAssertEqual(Leftovers.now(), before)
    }

    func testTextLinesSayWhatWasMeasuredAndWhere() throws {
        let r = try Harness.runCommands("""
            bench pipe --count 200 --cpus 0,0
            bench shm --mode throughput --size 1MiB --count 20
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, r.stdout)
        XCTAssertTrue(lines[0].range(of: #"^pipe latency, 64 B: median [0-9.]+ µs, p99 [0-9.]+ µs \(min [0-9.]+, max [0-9.]+\) one way, 200 rounds; shell on CPU 0, child on CPU 0$"#, options: .regularExpression) != nil, lines[0])
        XCTAssertTrue(lines[1].range(of: #"^shm throughput, 1 MiB: [0-9.]+ MB/s, [0-9]+ msg/s \(20 messages in [0-9.]+ m?s\); shell and child on one CPU in [0-9]+% of messages$"#, options: .regularExpression) != nil, lines[1])
    }

    func testPinnedRunsReportTheirPlacement() throws {
        let r = try Harness.run(["-c", "bench unix --count 200 --cpus 0,0 --json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try json(r.stdout)
        XCTAssertEqual(doc["cpus"] as? [Int], [0, 0])
        XCTAssertTrue(doc["same_cpu"] is NSNull, "\(doc)")
    }

    func testBadInputIsRefusedWithWhatWasWrong() throws {
        let cpus = ProcessInfo.processInfo.processorCount
        let cases: [(String, String)] = [
            ("bench pipes", "bench: MECH 'pipes' is not one of the choices"),
            ("bench pipe --size 0", "bench: pipe: size must be at least 1 byte"),
            ("bench mq --size 9000", "bench: mq: size 9000 is above kernel.msgmax (8192)"),
            ("bench udp --size 70000", "bench: udp: size 70000 is above the largest UDP payload (65507)"),
            ("bench pipe --size 65MiB", "bench: pipe: size 68157440 is above bench's ceiling of 64 MiB (67108864)"),
            ("bench pipe --count 0", "bench: pipe: count must be at least 1"),
            ("bench pipe --cpus 0,\(cpus + 7)", "bench: --cpus: CPU \(cpus + 7) does not exist (this machine has \(cpus): 0 to \(cpus - 1))"),
            ("bench pipe --cpus 0", "bench: --cpus A,B '0' is not two CPU numbers as A,B (0,1)"),
            ("bench pipe --mode fast", "bench: --mode MODE 'fast' is not one of the choices"),
            ("bench pipe --plot /tmp/x.svg", "bench: --plot draws bench all's results"),
            ("bench all --size 64", "bench: --size does not apply to bench all"),
        ]
        let before = Leftovers.now()
        for (command, message) in cases {
            let r = try Harness.run(["-c", command])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains(message), "\(command): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", command)
        }
        XCTAssertEqual(Leftovers.now(), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/x.svg"))
    }

    /// Ctrl-C during a long bench ends it at once: status 130, the child gone, and the queue
    /// (the one object that cannot be removed while in use) removed; FIFOs too.
    func testCtrlCStopsABenchAndLeavesNothing() throws {
        for mechanism in ["mq", "fifo", "shm", "pmq"] {
            let before = Leftovers.now()
            let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "bench \(mechanism) --count 9000000; echo after"], standardError: true)
            defer { shell.stop() }
            var child: Int32 = 0
            let deadline = Date().addingTimeInterval(20)
            while child == 0 && Date() < deadline {
                let children = (try? String(contentsOfFile: "/proc/\(shell.pid)/task/\(shell.pid)/children", encoding: .utf8)) ?? ""
                child = Int32(children.split(separator: " ").first ?? "") ?? 0
                usleep(20_000)
            }
            XCTAssertNotEqual(child, 0, "\(mechanism): no child appeared")
            usleep(200_000)
            kill(shell.pid, SIGINT)
            XCTAssertEqual(shell.wait(timeout: 20), 130, mechanism)
            XCTAssertEqual(kill(child, 0), -1, "\(mechanism): child \(child) still exists")
            XCTAssertEqual(Leftovers.now(), before, mechanism)
        }
    }

    func testBenchAllDrawsAChartThatNamesEveryMechanismAndRenders() throws {
        let dir = try makeDirectory()
        let svg = dir.appendingPathComponent("bench.svg")
        let r = try Harness.run(["-c", "bench all --json --plot \(svg.path)"], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try json(r.stdout)
        let results = try XCTUnwrap(doc["results"] as? [[String: Any]])
        XCTAssertEqual(Set(results.compactMap { $0["mechanism"] as? String }), Set(Self.mechanisms))
        XCTAssertEqual(results.count, Self.mechanisms.count * 4)
        for result in results where result["mode"] as? String == "throughput" {
            XCTAssertGreaterThan(result["mb_s"] as? Double ?? 0, 0, "\(result)")
        }

        // The SVG parses as XML, and its texts name every mechanism and both units.
        let data = try Data(contentsOf: svg)
        let texts = try SVGTexts.collect(data)
        for mechanism in Self.mechanisms { XCTAssertTrue(texts.contains(mechanism), "\(mechanism) is not labelled: \(texts)") }
        XCTAssertTrue(texts.contains("microseconds"), "\(texts)")
        XCTAssertTrue(texts.contains("MB/s"), "\(texts)")

        // A real browser draws it: the screenshot is not blank.
        let ink = try SVGTexts.renderedInk(svg, in: dir, window: "960,1000")
        // Bars, labels and grid cover a few percent of the picture; a blank page has none.
        XCTAssertGreaterThan(ink, 0.02, "the rendered chart is (nearly) blank")
    }
}

/// The text of an SVG's <text> elements, and a Python check of how much of a PNG is not white.
enum SVGTexts {
    final class Collector: NSObject, XMLParserDelegate {
        var texts: [String] = []
        var inText = false
        var current = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "text" { inText = true; current = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { inText = false; texts.append(current) }
        }
    }

    /// Renders an SVG in headless Chromium and returns the fraction of the screenshot that is
    /// not white; skips the test when Chromium is not installed.
    static func renderedInk(_ svg: URL, in dir: URL, window: String) throws -> Double {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("chromium is not installed (scripts/install-deps.sh installs it): the SVG was checked, not rendered")
        }
        let png = dir.appendingPathComponent(svg.deletingPathExtension().lastPathComponent + ".png")
        let shot = try Harness.runProgram(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                    "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
                                                    "--screenshot=\(png.path)", "--window-size=\(window)", svg.absoluteString], timeout: 90)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png.path), shot.stderr)
        let check = try Harness.runPython(inkFraction, [png.path])
        XCTAssertEqual(check.status, 0, check.stderr)
        return Double(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    static func collect(_ data: Data) throws -> Set<String> {
        let parser = XMLParser(data: data)
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
        return Set(collector.texts)
    }

    /// Decodes an 8-bit RGB(A) PNG with zlib and prints the fraction of pixels that are not
    /// near-white.
    static let inkFraction = #"""
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    assert depth == 8 and color in (2, 6), (depth, color)
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    ink = 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            if min(line[x], line[x + 1], line[x + 2]) < 200:
                ink += 1
        prev = line
    print(ink / (width * height))
    """#
}
