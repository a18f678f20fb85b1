@testable import IPCShell
@testable import IPCTeaching
import XCTest
@testable import IPCSyntax

/// `ipcsh check` in-process: a recording is re-run in a fresh session and compared.
final class TranscriptCheckerTests: XCTestCase {
    private func check(_ text: String) throws -> TranscriptChecker.Outcome {
        let transcript = try Transcript.parse(bytes: Array(text.utf8), path: "lesson.ipcs")
        return TranscriptChecker().check(transcript)
    }

    /// The checker removes what a lesson leaves behind, but its session must look like the
    /// recorded one: `status` printed an extra "cleanup on exit: on" in check only.
    func testStatusPrintsWhatTheRecordedSessionPrinted() throws {
        let outcome = try check("""
            set colour red
            status
            #| no handles yet (shm create KEY SIZE makes one)
            #| variables: colour

            """)
        XCTAssertTrue(outcome.passed, outcome.diff.joined(separator: "\n"))
    }

    func testChangedStringFails() throws {
        let outcome = try check("""
            echo "apple is red"
            #| apple is blue

            """)
        XCTAssertFalse(outcome.passed)
        XCTAssertTrue(outcome.diff.contains("-2: #| apple is blue"), outcome.diff.joined(separator: "\n"))
        XCTAssertTrue(outcome.diff.contains("+ #| apple is red"), outcome.diff.joined(separator: "\n"))
    }

    // MARK: Issue 9: linear memory

    /// The shortest edit script by the book: n + m - 2·LCS edits, from the n×m table that
    /// unifiedDiff used to build (fine for the small sequences here).
    private func shortestEditCount(_ a: [Int], _ b: [Int]) -> Int {
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        return a.count + b.count - 2 * lcs[0][0]
    }

    /// The lines an edit script keeps are the same on both sides.
    private func assertValid(_ script: EditScript, _ a: [Int], _ b: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let keptA = a.indices.filter { !script.removed[$0] }.map { a[$0] }
        let keptB = b.indices.filter { !script.added[$0] }.map { b[$0] }
        XCTAssertEqual(keptA, keptB, "\(a) → \(b)", file: file, line: line)
    }

    func testEditScriptIsValidAndShortest() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            let alphabet = 1 + round % 5
            let a = (0..<Int.random(in: 0...14, using: &generator)).map { _ in Int.random(in: 0..<alphabet, using: &generator) }
            let b = (0..<Int.random(in: 0...14, using: &generator)).map { _ in Int.random(in: 0..<alphabet, using: &generator) }
            let script = EditScript(a, b)
            assertValid(script, a, b)
            let edits = script.removed.count { $0 } + script.added.count { $0 }
            XCTAssertEqual(edits, shortestEditCount(a, b), "\(a) → \(b)")
        }
    }

    /// Long sequences that differ everywhere: the search gives up on the shortest script in
    /// time (GNU diff's bound) and still returns a correct one.
    func testEditScriptOfLongDifferentSequencesIsValid() {
        var generator = SystemRandomNumberGenerator()
        let a = (0..<7_000).map { _ in Int.random(in: 0..<50, using: &generator) }
        let b = (0..<7_000).map { _ in Int.random(in: 0..<50, using: &generator) }
        let script = EditScript(a, b)
        assertValid(script, a, b)
        XCTAssertLessThan(script.removed.count { $0 }, a.count, "nothing in common found")
    }

    /// The diff of a long recording with one changed line is that line, in the usual format.
    func testDiffOfALongRecordingNamesTheOneChangedLine() {
        func line(_ text: String, _ number: Int?) -> TranscriptChecker.Line {
            TranscriptChecker.Line(text: text, masked: VolatileMask.apply(text), fileLine: number)
        }
        let count = 25_000
        let recorded = (0..<count).map { line("#| line \($0)", $0 + 1) }
        var run = (0..<count).map { line("#| line \($0)", nil) }
        XCTAssertEqual(TranscriptChecker.unifiedDiff(recorded, run, path: "long.ipcs"), [])
        run[20_000] = line("#| line twenty thousand", nil)
        XCTAssertEqual(TranscriptChecker.unifiedDiff(recorded, run, path: "long.ipcs"), [
            "--- long.ipcs (recorded)", "+++ long.ipcs (this run)", "@@ line 19999 @@",
            "  #| line 19998", "  #| line 19999", "-20001: #| line 20000", "+ #| line twenty thousand",
            "  #| line 20001", "  #| line 20002",
        ])
    }
}
