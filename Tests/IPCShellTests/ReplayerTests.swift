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

    // MARK: Issue 11.12: a failure the recording shows

    func testRecordedDiagnosticsAreRecognised() throws {
        let scripted = try XCTUnwrap(Transcript.recordedDiagnostic("lesson.ipcs:45:1: error: open: ENOENT (No such file or directory)"))
        XCTAssertFalse(scripted.ofChild)
        XCTAssertEqual(scripted.location, SourceLocation(file: "lesson.ipcs", line: 45, column: 1))
        XCTAssertEqual(scripted.severity, .error)
        XCTAssertEqual(scripted.message, "open: ENOENT (No such file or directory)")
        let typed = try XCTUnwrap(Transcript.recordedDiagnostic("error: read: buf was removed (shm rm)"))
        XCTAssertNil(typed.location)
        XCTAssertEqual(typed.message, "read: buf was removed (shm rm)")
        let child = try XCTUnwrap(Transcript.recordedDiagnostic("[child1 4242] ../dir/l.ipcs:5:10: error: read: no handle named 'x'"))
        XCTAssertTrue(child.ofChild)
        XCTAssertEqual(child.location?.file, "../dir/l.ipcs")
        XCTAssertEqual(Transcript.recordedDiagnostic("warning: interrupted")?.severity, .warning)
        for text in ["hello", "the error: is here", "a b:1:2: error: x", "x:1: error: y", "[child1 4242] fine"] {
            XCTAssertNil(Transcript.recordedDiagnostic(text), text)
        }
    }

    func testACommandTheRecordingShowsFailingIsALessonsFailure() throws {
        let text = """
            echo fine
            #| fine
            shm open 0x7e7e7e01
            #| lesson.ipcs:2:1: error: shmget: ENOENT (No such file or directory)
            #|   no segment has this key: create it with shm create KEY SIZE
            fork { read nothing }
            #| child1: forked pid 4242
            #| [child1 4242] lesson.ipcs:3:8: error: read: no handle named 'nothing'
            read p.r
            #| error: read: no handle named 'p.r'

            """
        let entries = try Transcript.parse(bytes: Array(text.utf8), path: "r.ipcs").entries
        XCTAssertEqual(entries.map(\.showsFailure), [false, true, false, true], "a child's error is the child's")
    }

    /// A diagnostic at a line of the recording is shown where the recording shows it: the
    /// recorded script's place, or none (a prompt); one the recording does not show, at none.
    func testAFailureIsShownAtTheRecordedPlace() {
        let recorded = RecordedDiagnostics(file: "../r.ipcs")
        recorded.current = ["lesson.ipcs:45:1: error: shmget: ENOENT (No such file or directory)", "#  a hint"]
        let here = SourceLocation(file: "../r.ipcs", line: 95, column: 1)
        let failure = Diagnostic("shmget: ENOENT (No such file or directory)", at: here)
        XCTAssertEqual(recorded.relocate(failure).location, SourceLocation(file: "lesson.ipcs", line: 45, column: 1))
        XCTAssertEqual(recorded.relocate(failure).render(withLocation: true), "lesson.ipcs:45:1: error: shmget: ENOENT (No such file or directory)")
        // Another message: not the recorded failure; shown as at a prompt, never at the recording's line.
        let other = Diagnostic("shmget: EACCES (Permission denied)", at: here)
        XCTAssertEqual(recorded.relocate(other).render(withLocation: true), "error: shmget: EACCES (Permission denied)")
        // Values that change from run to run do not matter.
        recorded.current = ["[child1 4242] l.ipcs:3:5: error: waited for pid 4242"]
        XCTAssertEqual(recorded.relocate(Diagnostic("waited for pid 777", at: here)).location, SourceLocation(file: "l.ipcs", line: 3, column: 5))
        // A place in another file (a sourced script) is that file's.
        let sourced = Diagnostic("x", at: SourceLocation(file: "other.ipcs", line: 2, column: 1))
        XCTAssertEqual(recorded.relocate(sourced).location, sourced.location)
    }
}
