import Foundation
import FoundationXML
import XCTest

/// Issue 17.3: `ipcsh diagram FILE` runs a script and draws what its processes did: the SVG
/// parses, names every process and every message of the run, and renders in a browser; the
/// Mermaid text is a `sequenceDiagram` that a strict grammar accepts.
final class DiagramTests: IPCTestCase {
    struct Expected {
        var script: String
        var processes: [String]
        var messages: [String]
        var other: [String] = []
    }

    static let examples: [Expected] = [
        Expected(script: "unnamed-pipe.ipcs", processes: ["ipcsh", "child1"],
                 messages: ["\"apple is red\" (512 B)", "\"banana is yellow\" (512 B)", "\"cherry is red\" (512 B)"],
                 other: ["fork()", "exit 0"]),
        Expected(script: "actor-pipe.ipcs", processes: ["ipcsh", "reader"], messages: ["\"hello from the parent\""],
                 other: ["blocked in read(p.r)", "p.r: end of file"]),
        Expected(script: "deadlock.ipcs", processes: ["ipcsh", "p1", "p2", "locks"],
                 messages: ["0-1", "1-1", "1-1: EAGAIN", "0+1", "0+1 1+1"],
                 other: ["blocked in semtimedop(locks)"]),
    ]

    func diagram(_ arguments: [String], stdin: String? = nil) throws -> Harness.Result {
        try Harness.run(["diagram"] + arguments, stdin: stdin, timeout: 60)
    }

    func testExampleDiagramsHoldEveryProcessAndMessageAndRender() throws {
        let dir = try makeDirectory()
        let semaphoresBefore = Harness.sysvIDs("/proc/sysvipc/sem")
        for example in Self.examples {
            let path = ExamplesTests.path(example.script)
            let svg = dir.appendingPathComponent(example.script + ".svg")
            let r = try diagram([path, "-o", svg.path])
            XCTAssertEqual(r.status, 0, "\(example.script): \(r.stderr)")
            // The script's own output flows as it would without diagram.
            XCTAssertFalse(r.stdout.isEmpty, example.script)
            XCTAssertTrue(r.stderr.contains("diagram: written to \(svg.path)"), r.stderr)

            let texts = try SVGTexts.collect(Data(contentsOf: svg))
            for name in example.processes + example.messages + example.other {
                XCTAssertTrue(texts.contains(name), "\(example.script): \(name) is not in the picture: \(texts.sorted())")
            }

            let m = try diagram([path, "--mermaid"])
            XCTAssertEqual(m.status, 0, m.stderr)
            XCTAssertEqual(MermaidGrammar.errors(m.stdout), [], m.stdout)
            for name in example.processes { XCTAssertTrue(m.stdout.contains(" as \(name)"), "\(name): \(m.stdout)") }
            let arrows = m.stdout.split(separator: "\n").filter { $0.contains("->>") && !$0.contains("fork()") }
            for message in example.messages {
                XCTAssertTrue(arrows.contains { $0.hasSuffix(": " + message) }, "\(message) has no arrow: \(m.stdout)")
            }
            // The script's output went to stderr: stdout is the diagram alone.
            XCTAssertTrue(m.stdout.hasPrefix("sequenceDiagram\n"), m.stdout)
        }
        XCTAssertEqual(Harness.sysvIDs("/proc/sysvipc/sem"), semaphoresBefore, "a semaphore set was left behind")

        let ink = try SVGTexts.renderedInk(dir.appendingPathComponent("deadlock.ipcs.svg"), in: dir, window: "900,700")
        XCTAssertGreaterThan(ink, 0.01, "the rendered diagram is (nearly) blank")
    }

    func testMessagesOverSocketsQueuesSharedMemoryAndSignalsAreDrawn() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("mix.ipcs")
        try """
        buf = shm create private 64
        shm attach buf
        s = sock pair
        q = mq create private
        signal on USR1 { echo "got $signal" }
        kid = fork
        @kid write s.b "ping"
        read s.a
        write s.a "pong"
        @kid read s.b
        mq send q 7 "queued"
        @kid mq recv q
        sleep 200ms
        write buf "hello shm"
        @kid read buf
        signal send kid USR1
        sleep 200ms
        @kid echo after
        sleep 300ms
        shm rm buf
        mq rm q
        @kid exit
        wait kid
        """.write(to: script, atomically: true, encoding: .utf8)
        let m = try diagram([script.path, "--mermaid"])
        XCTAssertEqual(MermaidGrammar.errors(m.stdout), [], m.stdout)
        XCTAssertTrue(m.stdout.contains("P1->>P0: \"ping\""), m.stdout)
        XCTAssertTrue(m.stdout.contains("P0->>P1: \"pong\""), m.stdout)
        XCTAssertTrue(m.stdout.contains("P0->>P1: q: \"type 7: queued\""), m.stdout)
        XCTAssertTrue(m.stdout.contains("participant P2 as buf (shared memory)"), m.stdout)
        XCTAssertTrue(m.stdout.contains("P0->>P2: write \"hello shm\""), m.stdout)
        XCTAssertTrue(m.stdout.contains("P2->>P1: read \"hello shm\""), m.stdout)
        XCTAssertTrue(m.stdout.contains("P0-)P1: SIGUSR1"), m.stdout)
    }

    func testTheInteractiveShellDrawsTheSessionSoFar() throws {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
        let dir = try makeDirectory()
        let shell = try TmuxSession(testCase: self, historyPath: dir.appendingPathComponent("history").path, directory: dir.path)
        try shell.enter("p = pipe")
        try shell.enter("r = fork")
        try shell.enter("@r read p.r")
        try shell.enter("sleep 300ms")
        try shell.enter("write p.w hi-there")
        _ = try shell.waitForScreen("the actor's read") { $0.contains("] hi-there") }
        try shell.enter("diagram -o now.svg")
        _ = try shell.waitForScreen("the picture") { $0.contains("diagram: written to now.svg") }
        let texts = try SVGTexts.collect(Data(contentsOf: dir.appendingPathComponent("now.svg")))
        for text in ["ipcsh", "r", "\"hi-there\"", "blocked in read(p.r)"] {
            XCTAssertTrue(texts.contains(text), "\(text): \(texts.sorted())")
        }
        try shell.enter("exit")
        _ = try shell.waitForScreen("the end") { _ in (try? shell.exitStatus()) != nil }
    }

    func testBadUseIsRefusedClearly() throws {
        let missing = try diagram([])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("diagram: missing FILE"), missing.stderr)
        let unreadable = try diagram(["/nonexistent/x.ipcs", "-o", "/tmp/never.svg"])
        XCTAssertEqual(unreadable.status, 1)
        XCTAssertTrue(unreadable.stderr.contains("cannot read /nonexistent/x.ipcs: ENOENT"), unreadable.stderr)
        let dir = try makeDirectory()
        let unwritable = try diagram([ExamplesTests.path("unnamed-pipe.ipcs"), "-o", dir.appendingPathComponent("no/such/dir.svg").path])
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertTrue(unwritable.stderr.contains("diagram: cannot create"), unwritable.stderr)
        // In a script that is not diagrammed, the command says how to get a picture.
        let inScript = try Harness.runCommands("diagram -o \(dir.appendingPathComponent("x.svg").path)")
        XCTAssertEqual(inScript.status, 1)
        XCTAssertTrue(inScript.stderr.contains("ipcsh diagram SCRIPT"), inScript.stderr)
        let noTarget = try Harness.runCommands("diagram")
        XCTAssertEqual(noTarget.status, 1)
        XCTAssertTrue(noTarget.stderr.contains("say where the picture goes"), noTarget.stderr)
    }
}

/// A strict check of the Mermaid `sequenceDiagram` subset ipcsh writes (no Mermaid parser is
/// available offline): the header, then only participant, message, note, activate/deactivate
/// and title lines; participants declared before use; bars balanced; text free of what Mermaid
/// reads as syntax (`;`, `#` outside an entity code, `%%`).
enum MermaidGrammar {
    static func errors(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.first == "sequenceDiagram" else { return ["first line is not sequenceDiagram"] }
        var errors: [String] = []
        var declared = Set<String>()
        var active: [String: Int] = [:]
        let id = "[A-Za-z][A-Za-z0-9_]*"
        let participant = try! NSRegularExpression(pattern: "^    participant (\(id))( as .+)?$")
        let message = try! NSRegularExpression(pattern: "^    (\(id))(->>|-->>|-x|--x|-\\)|--\\)|->|-->)(\(id)): (.*)$")
        let note = try! NSRegularExpression(pattern: "^    Note (over|left of|right of) (\(id))(,(\(id)))?: (.+)$")
        let bar = try! NSRegularExpression(pattern: "^    (activate|deactivate) (\(id))$")
        let title = try! NSRegularExpression(pattern: "^    title .+$")
        func groups(_ re: NSRegularExpression, _ line: String) -> [String]? {
            let range = NSRange(line.startIndex..., in: line)
            guard let m = re.firstMatch(in: line, range: range) else { return nil }
            return (0..<m.numberOfRanges).map { i in Range(m.range(at: i), in: line).map { String(line[$0]) } ?? "" }
        }
        func checkText(_ t: String, _ line: String) {
            let withoutEntities = t.replacingOccurrences(of: "#[0-9]+;|#[a-z]+;", with: "", options: .regularExpression)
            if withoutEntities.contains(";") || withoutEntities.contains("#") || t.contains("%%") {
                errors.append("text Mermaid would parse: \(line)")
            }
        }
        func use(_ name: String, _ line: String) { if !declared.contains(name) { errors.append("undeclared \(name): \(line)") } }
        for line in lines.dropFirst() {
            if let g = groups(participant, line) {
                if declared.contains(g[1]) { errors.append("declared twice: \(line)") }
                declared.insert(g[1])
                checkText(g[2], line)
            } else if let g = groups(message, line) {
                use(g[1], line); use(g[3], line); checkText(g[4], line)
            } else if let g = groups(note, line) {
                use(g[2], line)
                if !g[4].isEmpty { use(g[4], line) }
                checkText(g[5], line)
            } else if let g = groups(bar, line) {
                use(g[2], line)
                active[g[2], default: 0] += g[1] == "activate" ? 1 : -1
                if active[g[2], default: 0] < 0 { errors.append("deactivate before activate: \(line)") }
            } else if groups(title, line) == nil {
                errors.append("not a sequenceDiagram statement: \(line)")
            }
        }
        for (name, count) in active where count != 0 { errors.append("\(name) left active") }
        return errors
    }
}
