import Foundation
import IPCSys
import XCTest

/// Base class of the message queue and semaphore suites: besides the keys `makeKey` hands out
/// (removed in teardown, queues and sets included), every `msqid N` and `semid N` that ipcsh
/// printed is removed in teardown if it still exists, so a test that fails half-way leaves
/// nothing in `ipcs` either, private objects included.
class SystemVTestCase: IPCTestCase {
    private var queueIDs: Set<Int32> = []
    private var semaphoreIDs: Set<Int32> = []
    var peers: [BackgroundProgram] = []

    /// Notes the ids that `text` (ipcsh's output) names, for teardown.
    func track(_ text: String) {
        queueIDs.formUnion(Self.ids(after: "msqid", in: text))
        semaphoreIDs.formUnion(Self.ids(after: "semid", in: text))
    }

    /// `Harness.runCommands`, its output tracked.
    @discardableResult
    func ipcsh(_ commands: String, _ extra: [String] = [], timeout: TimeInterval = 30) throws -> Harness.Result {
        let r = try Harness.run(extra + ["-c", commands], timeout: timeout)
        track(r.stdout + r.stderr)
        return r
    }

    /// ipcsh running `commands` in the background (its stderr with its stdout); stopped in teardown.
    func background(_ commands: String, _ extra: [String] = []) throws -> BackgroundProgram {
        let p = try BackgroundProgram(Harness.ipcshPath, extra + ["-c", commands], standardError: true)
        peers.append(p)
        return p
    }

    /// Reads lines from `program` until one satisfies `condition` (tracking each); nil after `timeout`.
    func readLine(from program: BackgroundProgram, timeout: TimeInterval = 20,
                  until condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, let line = program.readLine(timeout: deadline.timeIntervalSinceNow) {
            track(line)
            if condition(line) { return line }
        }
        return nil
    }

    override func tearDown() {
        for peer in peers { peer.stop() }
        peers = []
        for id in queueIDs where Harness.queueExists(id: id) { msgctl(id, IPC_RMID, nil) }
        for id in semaphoreIDs where Harness.semaphoreSetExists(id: id) { try? SemaphoreSets.remove(id: id) }
        queueIDs = []
        semaphoreIDs = []
        super.tearDown()
    }

    /// The numbers after `word` (`msqid 3`, `msqid: 3`, `semid 7,`) in `text`.
    static func ids(after word: String, in text: String) -> [Int32] {
        let pattern = try! NSRegularExpression(pattern: "\\b\(word):?\\s+(\\d+)")
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).flatMap { Int32(text[$0]) }
        }
    }

    /// The first id after `word` in `text`, failing the test when there is none.
    func id(_ word: String, in text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
        try XCTUnwrap(Self.ids(after: word, in: text).first, "no \(word) in:\n\(text)", file: file, line: line)
    }

    /// The lines of `text` (the last one empty when `text` ends with a newline).
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
