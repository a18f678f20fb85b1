import Foundation
import IPCShell
import IPCTeaching
import XCTest
import IPCSyntax

/// Issue 4: every recording under examples/recordings is a lesson that `ipcsh check` verifies,
/// so the examples and the docs can never drift from what the program prints.
///
/// The examples that wait for a peer in another terminal (shm-writer/shm-reader,
/// struct-writer/struct-reader, fifo-sender/fifo-receiver, rpc-server/rpc-client) have no
/// recording: ExamplesTests, PipesAndProcessesTests and RPCTests run them with their peer,
/// on keys and paths unique to the test run.
final class RecordingsTests: IPCTestCase {
    static var folder: URL { Harness.packageRoot.appendingPathComponent("examples/recordings") }
    static var examples: URL { Harness.packageRoot.appendingPathComponent("examples") }

    /// Examples that need a peer, so they are run with it instead of being recorded.
    static let needPeer: Set<String> = ["shm-writer.ipcs", "shm-reader.ipcs", "fifo-sender.ipcs", "fifo-receiver.ipcs",
                                        "rpc-server.ipcs", "rpc-client.ipcs", "struct-writer.ipcs", "struct-reader.ipcs",
                                        // Listens on /tmp/ipcsh-echo.sock unless given a path, and check passes
                                        // no arguments: two checks at once collided (EADDRINUSE). SocketTests
                                        // runs it on a path of its own.
                                        "unix-echo.ipcs"]
    /// Recordings that are lessons of their own, not of an example.
    static let lessons: Set<String> = ["lesson-pipe-trace.ipcs", "lesson-shm-by-hand.ipcs"]
    /// Typed at the prompt at a teacher's pace: its pauses are real (issue 11.13).
    static let humanPace = "lesson-shm-by-hand.ipcs"

    static func recordings() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".ipcs") }.sorted()
    }

    /// Runs `ipcsh check` on every file of the folder (whatever is there: a recording added
    /// later is checked too), from a scratch directory where a lesson's relative paths land.
    func testEveryRecordingStillHolds() throws {
        let names = try Self.recordings()
        XCTAssertTrue(Set(names).isSuperset(of: ["tour.ipcs", "unnamed-pipe.ipcs", "actor-pipe.ipcs", "lesson-pipe-trace.ipcs",
                                                 Self.humanPace]), "\(names)")
        let directory = try makeDirectory()
        let paths = names.map { Self.folder.appendingPathComponent($0).path }
        let r = try Harness.runProgram("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory.path,
                                                   Harness.ipcshPath, "check"] + paths, timeout: 120)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for path in paths {
            XCTAssertEqual(lines.filter { $0.hasPrefix(path + ": ok (") && $0.hasSuffix(" output lines)") }.count, 1,
                           "no ok line for \(path):\n\(r.stdout)")
        }
        XCTAssertEqual(lines.last, "\(paths.count) of \(paths.count) recordings hold", r.stdout)
        XCTAssertEqual(r.stderr, "", "a checked lesson leaves nothing behind to report")
        // Whatever a lesson made in its working directory (a FIFO) it removed.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    /// A self-contained example without a recording is a test failure: record it with
    /// `ipcsh --record examples/recordings/NAME examples/NAME`.
    func testEverySelfContainedExampleHasARecording() throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".ipcs") }
        let recorded = Set(try Self.recordings())
        for name in examples.sorted() where !Self.needPeer.contains(name) {
            XCTAssertTrue(recorded.contains(name),
                          "examples/\(name) has no recording: ipcsh --record examples/recordings/\(name) examples/\(name)")
        }
        for name in recorded where !Self.lessons.contains(name) {
            XCTAssertTrue(examples.contains(name), "recordings/\(name) records no example (list it in `lessons` if it is one)")
        }
    }

    /// A recording runs the same commands as its example, in the same order: an example
    /// edited without recording it again fails here.
    func testRecordingsRunTheirExamplesCommands() throws {
        for name in try Self.recordings() where !Self.lessons.contains(name) {
            let example = try Transcript.load(Self.examples.appendingPathComponent(name).path)
            let recording = try Transcript.load(Self.folder.appendingPathComponent(name).path)
            XCTAssertEqual(recording.entries.map(\.command.source), example.entries.map(\.command.source),
                           "\(name): the recording is out of date: record it again")
        }
    }

    /// Each recording has the header, holds no colour codes, and its commands each have a pause.
    func testRecordingsAreWellFormed() throws {
        for name in try Self.recordings() {
            let text = try String(contentsOfFile: Self.folder.appendingPathComponent(name).path, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("# ipcsh recording, format 1 (ipcsh "), name)
            XCTAssertTrue(text.contains("\n# date: ") && text.contains("\n# machine: Linux "), name)
            XCTAssertFalse(text.contains("\u{1B}"), "\(name) holds escape sequences")
            let transcript = try Transcript.parse(bytes: Array(text.utf8), path: name)
            XCTAssertFalse(transcript.entries.isEmpty, name)
            for entry in transcript.entries {
                XCTAssertTrue(transcript.fileLines[entry.lines.lowerBound - 2].hasPrefix("#@ "),
                              "\(name):\(entry.lines.lowerBound): no #@ pause before the command")
            }
        }
    }

    /// Issue 11.13: a recording made from a script has `#@ 0.00` everywhere, so `--speed`
    /// shows nothing. At least one shipped lesson keeps a teacher's pauses: seconds before
    /// most commands, a minute or more in all.
    func testALessonIsRecordedAtAHumanPace() throws {
        let transcript = try Transcript.load(Self.folder.appendingPathComponent(Self.humanPace).path)
        let pauses = transcript.entries.map(\.pause)
        XCTAssertGreaterThanOrEqual(pauses.reduce(0, +), 60, "\(pauses)")
        XCTAssertGreaterThanOrEqual(pauses.count { $0 >= 2 }, pauses.count * 3 / 4, "\(pauses)")
        XCTAssertTrue(pauses.allSatisfy { $0 <= Replayer.longestPause }, "\(pauses)")
    }

    /// ... and a replay keeps them, divided by `--speed`: about 73 s of pauses take about
    /// 3.6 s at speed 20, and nothing with --no-pause.
    func testReplayOfTheHumanPaceLessonTakesItsPausesDividedBySpeed() throws {
        let path = Self.folder.appendingPathComponent(Self.humanPace).path
        let transcript = try Transcript.load(path)
        let recorded = transcript.entries.map(\.pause).reduce(0, +)
        let directory = try makeDirectory()
        func replay(_ options: [String]) throws -> (seconds: TimeInterval, result: Harness.Result) {
            let start = Date()
            let r = try Harness.runProgram("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory.path,
                                                       Harness.ipcshPath, "replay", path] + options, timeout: 120)
            return (Date().timeIntervalSince(start), r)
        }
        let fast = try replay(["--speed", "20"])
        XCTAssertEqual(fast.result.status, 0, "its failure is on purpose:\n" + fast.result.stderr)
        XCTAssertGreaterThanOrEqual(fast.seconds, recorded / 20 * 0.9, "the recorded pauses were not kept")
        XCTAssertLessThan(fast.seconds, recorded / 2, "--speed 20 was not applied")
        XCTAssertTrue(fast.result.stdout.contains("hello from the child\n"), fast.result.stdout)
        let none = try replay(["--no-pause"])
        XCTAssertEqual(none.result.status, 0, none.result.stderr)
        XCTAssertLessThan(none.seconds, recorded / 20 * 0.9, "--no-pause paused")
    }
}
