import Foundation
import IPCTeaching
import XCTest

/// Issue 11, "Teaching in class": what a class sees of `ipcsh replay` (the lesson's comments,
/// a failure shown on purpose), what a replay or a check leaves behind (nothing, and says so),
/// and what an interrupted demo script leaves (nothing either). Real kernel objects, unique
/// keys, a directory of each test's own.
final class ClassroomTests: IPCTestCase {
    /// `ipcsh ARGS` run in `directory` (where a lesson's relative paths land).
    private func run(_ arguments: [String], in directory: URL, stdin: String? = nil, timeout: TimeInterval = 60) throws -> Harness.Result {
        try Harness.runProgram("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory.path, Harness.ipcshPath] + arguments,
                               stdin: stdin, timeout: timeout)
    }

    /// The prompt with its pid as `$ `, so that a replay's output can be compared whole.
    private func withoutPIDs(_ text: String) -> String {
        text.replacingOccurrences(of: #"ipcsh\[\d+\]> "#, with: "$ ", options: .regularExpression)
            .replacingOccurrences(of: #"shmid \d+"#, with: "shmid N", options: .regularExpression)
    }

    private func write(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    private static let header = """
        # ipcsh recording, format 1 (ipcsh 0.1.0)
        # date: 2026-11-25 15:12:09 UTC
        # machine: Linux 6.18.44-fc-v782 x86_64
        # Replay it with: ipcsh replay FILE   Check it with: ipcsh check FILE
        # Lines: a command as typed, its output as '#| ' lines, the pause before it as '#@ SECONDS'.

        """

    // MARK: 10. The lesson's comments

    func testReplayShowsTheLessonsCommentsBeforeTheirCommands() throws {
        let directory = try makeDirectory()
        let path = directory.appendingPathComponent("lesson.ipcs")
        try write(Self.header + """
            # lesson.ipcs: a pipe, in two parts.

            # Part 1. An unnamed pipe: int fd[2]; pipe(fd);
            #@ 0.00
            p = pipe
            #| p: read end p.r = fd 6, write end p.w = fd 7

            # Part 2. write(fd[1], ...), then read(fd[0], ...).
            #@ 0.00
            write p.w "hello"
            #@ 0.00
            read p.r
            #| hello

            # That is all.

            """, to: path)
        let r = try run(["replay", path.path, "--no-pause"], in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), "no terminal: no escapes")
        XCTAssertEqual(withoutPIDs(r.stdout).replacingOccurrences(of: #"fd \d+"#, with: "fd N", options: .regularExpression), """
            # lesson.ipcs: a pipe, in two parts.

            # Part 1. An unnamed pipe: int fd[2]; pipe(fd);
            $ p = pipe
            p: read end p.r = fd N, write end p.w = fd N

            # Part 2. write(fd[1], ...), then read(fd[0], ...).
            $ write p.w "hello"
            $ read p.r
            hello

            # That is all.

            """)
    }

    /// On a terminal: the comments dimmed, `--step` says which keys do what, `q` alone quits
    /// (no Enter), and what the lesson made is removed on the way out.
    func testStepOnATerminalDimsCommentsNamesItsKeysAndQuitsCleanlyOnQ() throws {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
        let directory = try makeDirectory()
        let key = makeKey()
        let path = directory.appendingPathComponent("lesson.ipcs")
        try write(Self.header + """
            # Part 1. A segment of our own.
            #@ 0.00
            buf = shm create \(Harness.hex(key)) 64
            #| buf: created segment key \(Harness.hex(key)), shmid 1, 64 bytes, mode 0600

            # Part 2. Never reached.
            #@ 0.00
            echo "never"

            """, to: path)
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, environment: [:], removing: ["NO_COLOR"],
                                    arguments: ["replay", path.path, "--step"])
        let p = shell.prompt
        try shell.waitForLastLine(p)
        XCTAssertEqual(try shell.lines().map { $0.trimmingTrailingBlanks() },
                       ["(\(Replayer.stepHint))", "# Part 1. A segment of our own.", p.trimmingTrailingBlanks()])
        // tmux repeats no attribute that holds on the next line: the text from "dim" to the next change.
        let escaped = try shell.screen(escapes: true)
        let dimmed = escaped.range(of: "\u{1B}[2m").map { dim in
            escaped[dim.upperBound...].prefix { $0 != "\u{1B}" }
        } ?? ""
        XCTAssertTrue(dimmed.contains("# Part 1. A segment of our own."), "the comment is not dimmed:\n\(escaped.debugDescription)")
        try shell.press("Enter")
        try shell.waitForScreen("the segment") { $0.contains("buf: created segment key \(Harness.hex(key))") }
        try shell.waitForLastLine(p)
        XCTAssertTrue(Harness.segmentExists(key: key))
        XCTAssertTrue(try shell.screen().contains("# Part 2. Never reached."))
        // q, and no Enter: the replay ends, and its segment goes with it.
        try shell.type("q")
        let screen = try shell.waitForScreen("the clean-up line") { $0.contains("cleanup: removed buf (key \(Harness.hex(key)), shmid ") }
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(shell.processExists, "q alone did not end the replay")
        XCTAssertFalse(screen.contains("never\n"), screen)
        XCTAssertFalse(Harness.segmentExists(key: key), "quitting left the lesson's segment behind")
    }

    // MARK: 11. Nothing left behind

    /// A lesson that makes a segment and a FIFO and removes neither.
    private func writeLeakyLesson(in directory: URL, key: Int32) throws -> URL {
        let path = directory.appendingPathComponent("leaky.ipcs")
        try write(Self.header + """
            #@ 0.00
            buf = shm create \(Harness.hex(key)) 64
            #| buf: created segment key \(Harness.hex(key)), shmid 1, 64 bytes, mode 0600
            #@ 0.00
            fifo make leaky.fifo
            #| made FIFO leaky.fifo (mode 0600)

            """, to: path)
        return path
    }

    func testReplayRemovesWhatTheLessonMadeAndSaysSo() throws {
        let directory = try makeDirectory()
        let key = makeKey()
        let path = try writeLeakyLesson(in: directory, key: key)
        let r = try run(["replay", path.path, "--no-pause"], in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(Harness.segmentExists(key: key), "replay left the segment:\n\(r.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("leaky.fifo").path), r.stderr)
        XCTAssertEqual(withoutPIDs(r.stderr), """
            cleanup: removed FIFO leaky.fifo
            cleanup: removed buf (key \(Harness.hex(key)), shmid N)

            """)
    }

    /// `--keep` leaves them, as running the lesson as a script would, and the notice says
    /// how to remove them from the shell the class is in (`ipcrm`, `rm`), not from ipcsh.
    func testReplayKeepLeavesThemAndNamesThem() throws {
        let directory = try makeDirectory()
        let key = makeKey()
        let path = try writeLeakyLesson(in: directory, key: key)
        let r = try run(["replay", path.path, "--no-pause", "--keep"], in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(Harness.segmentExists(key: key), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("leaky.fifo").path), r.stderr)
        let id = shmget(key, 0, 0)
        XCTAssertTrue(r.stderr.contains("  buf: key \(Harness.hex(key)), shmid \(id), 64 bytes — remove with: ipcrm -m \(id)\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("remove with: rm leaky.fifo"), r.stderr)
        XCTAssertFalse(r.stderr.contains("shm rm"), r.stderr)
    }

    /// Quitting at a step (here from a pipe: a line with q) removes them too.
    func testReplayQuitEarlyRemovesWhatTheLessonMade() throws {
        let directory = try makeDirectory()
        let key = makeKey()
        let path = try writeLeakyLesson(in: directory, key: key)
        let r = try run(["replay", path.path, "--step"], in: directory, stdin: "\nq\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("(\(Replayer.stepHint))\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("buf: created segment"), r.stdout)
        XCTAssertFalse(r.stdout.contains("made FIFO"), "q quit before the second command:\n\(r.stdout)")
        XCTAssertFalse(Harness.segmentExists(key: key), r.stderr)
        XCTAssertTrue(r.stderr.contains("cleanup: removed buf (key \(Harness.hex(key))"), r.stderr)
    }

    /// `check` removed them already; now it says so too (on stderr, naming the recording).
    func testCheckSaysWhatItRemoved() throws {
        let directory = try makeDirectory()
        let key = makeKey()
        let path = try writeLeakyLesson(in: directory, key: key)
        let r = try run(["check", path.path], in: directory)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse(Harness.segmentExists(key: key))
        XCTAssertEqual(withoutPIDs(r.stderr), """
            \(path.path): cleanup: removed FIFO leaky.fifo
            \(path.path): cleanup: removed buf (key \(Harness.hex(key)), shmid N)

            """)
    }

    // MARK: 12. A failure shown on purpose

    /// A recorded script's failure replays as recorded (`lesson.ipcs:2:1: error: ...`, a
    /// child's too), not at the recording's own path and line, and is no replay failure.
    func testARecordedFailureReplaysAsRecordedAndIsNoFailure() throws {
        let directory = try makeDirectory()
        let key = makeKey() // removed: nobody has it
        try write("""
            # A key nobody uses: shm open fails, on purpose.
            shm open \(Harness.hex(key))
            echo "after the failure"
            fork {
                read nosuchhandle
            }
            wait

            """, to: directory.appendingPathComponent("lesson.ipcs"))
        let recorded = try run(["--keep-going", "--record", "recording.ipcs", "lesson.ipcs"], in: directory)
        XCTAssertEqual(recorded.status, 1, "the lesson fails on purpose")
        let recording = try String(contentsOf: directory.appendingPathComponent("recording.ipcs"), encoding: .utf8)
        XCTAssertTrue(recording.contains("#| lesson.ipcs:2:1: error: shmget: ENOENT (No such file or directory)\n"), recording)
        XCTAssertTrue(recording.contains("] lesson.ipcs:5:10: error: read: no handle named 'nosuchhandle'\n"), recording)
        // Replayed from elsewhere, by another path.
        let sub = directory.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        let r = try run(["replay", "../recording.ipcs", "--no-pause"], in: sub)
        XCTAssertEqual(r.status, 0, "a failure the recording shows is no replay failure:\n" + r.stderr)
        XCTAssertTrue(r.stdout.contains("after the failure\n"), r.stdout)
        let errors = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(errors.first, "lesson.ipcs:2:1: error: shmget: ENOENT (No such file or directory)", r.stderr)
        XCTAssertTrue(errors.contains { $0.hasPrefix("[child1 ") && $0.hasSuffix("] lesson.ipcs:5:10: error: read: no handle named 'nosuchhandle'") },
                      r.stderr)
        XCTAssertFalse(r.stderr.contains("recording.ipcs:"), r.stderr)
    }

    /// A command that fails now but succeeded when recorded is a real failure: exit 1, and
    /// its error is shown as at a prompt (the recording has no place for it).
    func testAFailureTheRecordingDoesNotShowFailsTheReplay() throws {
        let directory = try makeDirectory()
        let key = makeKey()
        let path = directory.appendingPathComponent("lesson.ipcs")
        try write(Self.header + """
            #@ 0.00
            buf = shm open \(Harness.hex(key))
            #| buf: opened segment key \(Harness.hex(key)), shmid 1, 64 bytes
            #@ 0.00
            echo "still going"
            #| still going

            """, to: path)
        let r = try run(["replay", path.path, "--no-pause"], in: directory)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("still going\n"), "replay keeps going:\n\(r.stdout)")
        XCTAssertTrue(r.stderr.hasPrefix("error: shmget: ENOENT (No such file or directory)\n"), r.stderr)
    }

    // MARK: 14. An interrupted demo leaves nothing, and its notice names no ipcsh command

    func testInterruptedWriterRemovesItsSegment() throws {
        let key = makeKey()
        let writer = try BackgroundProgram(Harness.ipcshPath, [ExamplesTests.path("shm-writer.ipcs"), Harness.hex(key), "60"],
                                           standardError: true)
        defer { writer.stop() }
        var lines: [String] = []
        while let line = writer.readLine(timeout: 20) {
            lines.append(line)
            if line == "Wrote to shared mem: 0" { break }
        }
        XCTAssertEqual(lines.last, "Wrote to shared mem: 0", lines.joined(separator: "\n"))
        XCTAssertTrue(Harness.segmentExists(key: key))
        kill(writer.pid, SIGINT)
        XCTAssertEqual(writer.wait(timeout: 10), 130)
        while let line = writer.readLine(timeout: 5) { lines.append(line) }
        XCTAssertFalse(Harness.segmentExists(key: key), "Ctrl-C left the writer's segment:\n" + lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("cleanup: removed buf (key \(Harness.hex(key)), shmid ") }, lines.joined(separator: "\n"))
        XCTAssertFalse(lines.contains { $0.contains("shm rm") }, lines.joined(separator: "\n"))
    }

    func testInterruptedReceiverRemovesItsFIFO() throws {
        let directory = try makeDirectory()
        let fifo = directory.appendingPathComponent("fifo").path
        let receiver = try BackgroundProgram(Harness.ipcshPath, [ExamplesTests.path("fifo-receiver.ipcs"), fifo], standardError: true)
        defer { receiver.stop() }
        var lines: [String] = []
        while let line = receiver.readLine(timeout: 20) {
            lines.append(line)
            if line.hasPrefix("f: opened") { break }
        }
        XCTAssertTrue(lines.last?.hasPrefix("f: opened") == true, lines.joined(separator: "\n"))
        // Let its `read` start: a SIGINT that lands between the flush that printed this line
        // and the read() itself is lost (a plain blocking read; reported with issue 11).
        usleep(300_000)
        kill(receiver.pid, SIGINT)
        XCTAssertEqual(receiver.wait(timeout: 10), 130)
        while let line = receiver.readLine(timeout: 5) { lines.append(line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fifo), "Ctrl-C left the FIFO:\n" + lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("cleanup: removed FIFO \(fifo)"), lines.joined(separator: "\n"))
    }

    /// A script's exit notice is read once the script has ended: it names `ipcrm`, never an
    /// ipcsh command to type "here".
    func testAScriptsExitNoticeNamesOnlyShellCommands() throws {
        let key = makeKey()
        let r = try Harness.runCommands("buf = shm create \(Harness.hex(key)) 64")
        XCTAssertEqual(r.status, 0, r.stderr)
        let id = shmget(key, 0, 0)
        XCTAssertGreaterThanOrEqual(id, 0)
        XCTAssertEqual(r.stderr, """
            note: 1 shared memory segment created by this session remains in the kernel:
              buf: key \(Harness.hex(key)), shmid \(id), 64 bytes — remove with: ipcrm -m \(id)
              (ipcsh --cleanup, or cleanup on in the script, removes them at exit)

            """)
    }
}
