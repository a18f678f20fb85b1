@testable import IPCShell
@testable import IPCTeaching
import XCTest
@testable import IPCSyntax

/// Issue 9: the numbers in a recording and on the command line never reach a trapping
/// conversion (`#@ nan` and `--speed 1e-300` were SIGILL).
final class ReplayerTests: XCTestCase {
    func testPausesFromTheFileAreCutBeforeTheSpeedDividesThem() {
        XCTAssertEqual(Replayer.pauseMilliseconds(1.5, speed: 1), 1500)
        XCTAssertEqual(Replayer.pauseMilliseconds(1.5, speed: 2), 750)
        XCTAssertEqual(Replayer.pauseMilliseconds(100, speed: 1), 30_000, "at most 30 s")
        XCTAssertEqual(Replayer.pauseMilliseconds(100, speed: 0.5), 60_000, "cut, then divided")
        for nonsense: Double in [.nan, -Double.nan, -Double.infinity, -1e308, -1, 0, -0.0] {
            XCTAssertEqual(Replayer.pauseMilliseconds(nonsense, speed: 1), 0, "\(nonsense)")
            XCTAssertEqual(Replayer.pauseMilliseconds(nonsense, speed: 1e-300), 0, "\(nonsense)")
        }
        XCTAssertEqual(Replayer.pauseMilliseconds(.infinity, speed: 1), 30_000)
        XCTAssertEqual(Replayer.pauseMilliseconds(1e308, speed: 1e308), 0)
    }

    /// The command line refuses such speeds; the API still never traps on them.
    func testAnySpeedGivesABoundedWait() {
        for speed in [1e-300, 0, -1, -.infinity, .nan, .infinity, Double.leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            let pause = Replayer.pauseMilliseconds(30, speed: speed)
            XCTAssertTrue((0...Replayer.longestWaitMilliseconds).contains(pause), "\(speed): \(pause)")
            let typing = Replayer.typingMicroseconds(speed: speed)
            XCTAssertTrue((0...200_000).contains(typing), "\(speed): \(typing)")
        }
        XCTAssertEqual(Replayer.typingMicroseconds(speed: 1), 25_000)
        XCTAssertEqual(Replayer.typingMicroseconds(speed: 1e-300), 200_000)
        XCTAssertEqual(Replayer.typingMicroseconds(speed: 1e300), 0)
    }

    // MARK: Issue 11.10: the lesson's own comments

    private let lesson = """
        # ipcsh recording, format 1 (ipcsh 0.1.0)
        # date: 2026-11-25 15:12:09 UTC
        # machine: Linux 6.18.44-fc-v782 x86_64
        # Replay it with: ipcsh replay FILE   Check it with: ipcsh check FILE
        # Lines: a command as typed, its output as '#| ' lines, the pause before it as '#@ SECONDS'.
        # lesson.ipcs: what the lesson is about.

        # Part 1. An unnamed pipe.
        #@ 1.50
        p = pipe
        #| p: read end p.r = fd 6, write end p.w = fd 7


        # Part 2. Write, then read.
        #   (indented detail)
        #@ 0.00
        write p.w "x"
        #@ 2.00
        repeat 2 {
            # a comment inside the block is the command's own
            echo $i
        }
        #| 0
        #| 1

        # The end.

        """

    func testTheLessonsCommentsGoWithTheCommandTheyPrecede() throws {
        let transcript = try Transcript.parse(bytes: Array(lesson.utf8), path: "lesson.ipcs")
        XCTAssertEqual(transcript.entries.count, 3)
        // Not the header, nor the #@ and #| lines; blank lines between them kept once.
        XCTAssertEqual(transcript.entries[0].comments, ["# lesson.ipcs: what the lesson is about.", "", "# Part 1. An unnamed pipe."])
        XCTAssertEqual(transcript.entries[1].comments, ["", "# Part 2. Write, then read.", "#   (indented detail)"])
        XCTAssertEqual(transcript.entries[2].comments, [])
        XCTAssertTrue(transcript.entries[2].command.source.contains("# a comment inside the block"), "typed with its block")
        XCTAssertEqual(transcript.trailingComments, ["", "# The end."])
        XCTAssertEqual(transcript.entries[0].pause, 1.5)
    }

    func testAScriptThatIsNoRecordingKeepsItsFirstComments() throws {
        let transcript = try Transcript.parse(bytes: Array("#!/usr/bin/env ipcsh\n# why\necho hi\n".utf8), path: "s.ipcs")
        XCTAssertEqual(transcript.entries.first?.comments, ["# why"])
        XCTAssertEqual(transcript.trailingComments, [])
    }
}
