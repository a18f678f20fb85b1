import IPCDiagram
import XCTest

/// The diagram's model, from hand-made event logs: what is matched to what, and what is drawn.
final class SequenceDiagramTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func testAnEventSurvivesItsLineWithTabsNewlinesAndBackslashes() {
        let e = DiagramEvent(.send, pid: 42, time: 1000, start: 900, object: "ino:1:2", label: "p.w",
                             detail: "a\tb\nc\\d", count: 7, error: "EPIPE", peer: 3, call: "write")
        let line = e.line
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, line)
        XCTAssertEqual(DiagramEvent.parse(log: line + "torn line\n"), [e])
    }

    func testAReadLoggedBeforeTheWriteThatWokeItIsStillItsMessage() {
        let events = [
            DiagramEvent(.name, pid: 1, time: 0, detail: "ipcsh"),
            DiagramEvent(.name, pid: 2, time: 1, detail: "child1"),
            DiagramEvent(.fork, pid: 1, time: 10 * ms, peer: 2),
            // The child blocks 300 ms and logs its read a moment before the parent logs its write.
            DiagramEvent(.receive, pid: 2, time: 400 * ms, start: 100 * ms, object: "ino:1:9", label: "p.r", detail: "hello", count: 5, call: "read"),
            DiagramEvent(.send, pid: 1, time: 401 * ms, object: "ino:1:9", label: "p.w", detail: "hello", count: 5, call: "write"),
        ]
        let d = SequenceDiagram(title: "t", events: events)
        XCTAssertEqual(d.participants.map(\.name), ["ipcsh", "child1"])
        let data = d.messages.filter { $0.style == .data }
        XCTAssertEqual(data.count, 1)
        XCTAssertEqual(data.first?.label, "\"hello\"")
        XCTAssertEqual(data.first?.from, 0)
        XCTAssertEqual(data.first?.to, 1)
        // Drawn level, where the write was, and the bar ends there, released by the write.
        XCTAssertEqual(data.first?.sendRow, data.first?.receiveRow)
        XCTAssertEqual(d.blocks.count, 1)
        XCTAssertEqual(d.blocks.first?.endRow, data.first?.receiveRow)
        XCTAssertEqual(d.blocks.first?.label, "blocked in read(p.r)")
        XCTAssertTrue(d.blocks.first?.release.hasPrefix("released by ipcsh's write") ?? false, "\(d.blocks)")
    }

    func testBytesAreMatchedInOrderAcrossPartialReadsAndWhatNobodyReadIsShown() {
        let pipe = "ino:1:5"
        let events = [
            DiagramEvent(.name, pid: 1, time: 0, detail: "ipcsh"),
            DiagramEvent(.send, pid: 1, time: 10 * ms, object: pipe, label: "p.w", detail: "abcdef", count: 6),
            DiagramEvent(.receive, pid: 2, time: 20 * ms, object: pipe, label: "p.r", detail: "abc", count: 3),
            DiagramEvent(.send, pid: 1, time: 30 * ms, object: pipe, label: "p.w", detail: "gh", count: 2),
            DiagramEvent(.receive, pid: 2, time: 40 * ms, object: pipe, label: "p.r", detail: "defgh", count: 5),
            DiagramEvent(.send, pid: 1, time: 50 * ms, object: pipe, label: "p.w", detail: "left", count: 4),
        ]
        let d = SequenceDiagram(title: "t", events: events)
        XCTAssertEqual(d.messages.map(\.label), ["\"abcdef\" (3 of 6 B)", "\"abcdef\" (3 of 6 B)", "\"gh\"", "\"left\" (unread)"])
        XCTAssertEqual(d.messages.last?.to, nil)
        XCTAssertEqual(d.messages.last?.style, .unread)
    }

    func testASocketPairsWritesArriveAtItsOtherEnd() {
        let events = [
            DiagramEvent(.name, pid: 1, time: 0, detail: "ipcsh"),
            DiagramEvent(.pair, pid: 1, time: 1, object: "ino:1:10", label: "ino:1:11"),
            DiagramEvent(.send, pid: 1, time: 10 * ms, object: "ino:1:10", label: "s.a", detail: "ping", count: 4),
            // A read of the same end that wrote gets nothing of it.
            DiagramEvent(.receive, pid: 2, time: 20 * ms, object: "ino:1:11", label: "s.b", detail: "ping", count: 4),
        ]
        let d = SequenceDiagram(title: "t", events: events)
        XCTAssertEqual(d.messages.map(\.label), ["\"ping\""])
        XCTAssertEqual(d.messages.first?.to, 1)
    }

    func testMermaidEscapesWhatItWouldReadAsSyntax() {
        let d = SequenceDiagram(title: "a;b", events: [
            DiagramEvent(.name, pid: 1, time: 0, detail: "ipcsh"),
            DiagramEvent(.memoryWrite, pid: 1, time: 5, object: "shm:3", label: "buf", detail: "50% #1; <b>"),
        ])
        let text = DiagramMermaid.render(d)
        XCTAssertTrue(text.hasPrefix("sequenceDiagram\n"), text)
        XCTAssertTrue(text.contains("    P0->>P1: write \"50#37; #35;1#59; #lt;b#gt;\""), text)
        XCTAssertTrue(text.contains("participant P1 as buf (shared memory)"), text)
        let svg = DiagramSVG.render(d)
        XCTAssertTrue(svg.contains("write &quot;50% #1; &lt;b&gt;&quot;"), svg)
    }
}
