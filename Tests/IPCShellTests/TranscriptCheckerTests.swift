@testable import IPCShell
import XCTest

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
}
