import Foundation
import IPCSys
import XCTest

/// Issue 17: `watch` against peers that are not ipcsh (a C writer, a C and a Python poster, a C
/// queue sender), for every kind of region and for a set and a queue; Ctrl-C ending a watch;
/// `ps` naming the call and handle of actors blocked in `mq recv` and `fifo open`, and the
/// deadlock of examples/deadlock.ipcs.
///
/// The shell runs in the background reading its commands from stdin, so that the test drives
/// the peer one step at a time and waits for each change to be seen before making the next:
/// no step depends on how fast a loaded machine is.
final class SeeingPeerTests: SystemVTestCase {
    private var posixNames: [String] = []

    override func tearDown() {
        for name in posixNames { unlink("/dev/shm/\(name.dropFirst())") }
        posixNames = []
        super.tearDown()
    }

    /// ipcsh reading commands from stdin (stderr with stdout); stopped in teardown.
    private func shell() throws -> BackgroundProgram {
        let p = try BackgroundProgram(Harness.ipcshPath, [], standardError: true)
        peers.append(p)
        return p
    }

    /// A compiled C peer from Tests/IntegrationTests/Peers, running; stopped in teardown.
    private func peer(_ name: String, _ arguments: [String]) throws -> BackgroundProgram {
        let p = try BackgroundProgram(try Harness.compilePeer(name), arguments, standardError: true)
        peers.append(p)
        return p
    }

    /// One line of `watch NAME`: its time (milliseconds since midnight) and what follows `NAME:`.
    private struct WatchLine { var milliseconds: Int; var state: String }

    /// Reads `shell`'s output to the next line of `watch NAME` (`12:34:56.789 NAME: STATE`).
    private func nextWatchLine(_ shell: BackgroundProgram, _ name: String, timeout: TimeInterval = 20,
                               file: StaticString = #filePath, line: UInt = #line) throws -> WatchLine {
        let pattern = try NSRegularExpression(pattern: #"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) "# + name + #":(?: (.*))?$"#)
        var seen: [String] = []
        let found = readLine(from: shell, timeout: timeout) { text in
            seen.append(text)
            return pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        let text = try XCTUnwrap(found, "no watch line for \(name) in:\n" + seen.joined(separator: "\n"), file: file, line: line)
        let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))!
        func group(_ i: Int) -> String? { Range(match.range(at: i), in: text).map { String(text[$0]) } }
        let parts = (1...4).map { Int(group($0)!)! }
        return WatchLine(milliseconds: ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + parts[3], state: group(5) ?? "")
    }

    /// Reads `shell`'s output until the line `text`; fails (with what came) otherwise.
    private func expectLine(_ shell: BackgroundProgram, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        expectLine(shell, "\"\(text)\"", file: file, line: line) { $0 == text }
    }

    /// Reads `shell`'s output until a line for which `condition` holds; fails (with what came) otherwise.
    private func expectLine(_ shell: BackgroundProgram, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                            where condition: (String) -> Bool) {
        var seen: [String] = []
        let found = readLine(from: shell) { seen.append($0); return condition($0) }
        XCTAssertNotNil(found, "no line \(what) in:\n" + seen.joined(separator: "\n"), file: file, line: line)
    }

    /// The time of day now, in milliseconds since midnight, as `watch` stamps it (local time).
    private func millisecondsNow() -> Int {
        let c = Calendar.current.dateComponents([.hour, .minute, .second, .nanosecond], from: Date())
        return ((c.hour! * 60 + c.minute!) * 60 + c.second!) * 1000 + c.nanosecond! / 1_000_000
    }

    /// Time stamps in order, each within a minute of the test's clock (a wrap at midnight allowed).
    private func assertStamped(_ lines: [WatchLine], file: StaticString = #filePath, line: UInt = #line) {
        let now = millisecondsNow()
        let day = 86_400_000
        for (i, l) in lines.enumerated() {
            let apart = abs(now - l.milliseconds)
            XCTAssertLessThan(min(apart, day - apart), 60_000, "time stamp \(l.milliseconds) ms is not now (\(now) ms)", file: file, line: line)
            if i > 0 {
                let step = (l.milliseconds - lines[i - 1].milliseconds + day) % day
                XCTAssertLessThan(step, 60_000, "time stamps out of order: \(lines.map(\.milliseconds))", file: file, line: line)
            }
        }
    }

    /// The end of every watch test: the lines are stamped, the command after the watch ran, the
    /// peer (if any) exited 0, and the shell ends with status 0.
    private func finishWatch(_ sh: BackgroundProgram, _ lines: [WatchLine], writer: BackgroundProgram? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        assertStamped(lines, file: file, line: line)
        expectLine(sh, "watch ended", file: file, line: line)
        if let writer { XCTAssertEqual(writer.wait(), 0, file: file, line: line) }
        sh.stop()
        XCTAssertEqual(sh.process.terminationStatus, 0, file: file, line: line)
    }

    /// Waits until the process `pid` is gone (or a zombie of a parent that no longer exists).
    private func assertGone(_ pid: pid_t, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && kill(pid, 0) == 0 { usleep(20_000) }
        XCTAssertNotEqual(kill(pid, 0), 0, "\(what) (pid \(pid)) is still there", file: file, line: line)
    }

    // MARK: watch

    /// A separate C program writes a System V segment three times: one time-stamped line per
    /// change, in order, and `--count 3` ends the watch (the next command runs).
    func testWatchShowsEachWriteOfACWriterToASegmentInOrder() throws {
        let key = makeKey()
        let sh = try shell()
        sh.send("cleanup on")
        sh.send("buf = shm create \(Harness.hex(key)) 64")
        sh.send("shm attach buf")
        sh.send("watch buf --count 3 --interval 20ms")
        sh.send("echo watch ended")
        var lines = [try nextWatchLine(sh, "buf")]
        XCTAssertEqual(lines[0].state, "", "the segment starts empty")

        let writer = try peer("region_steps", ["shm", Harness.hex(key), "one", "two", "three"])
        for text in ["one", "two", "three"] {
            writer.send("go")
            XCTAssertEqual(writer.readLine(), "wrote \(text)")
            lines.append(try nextWatchLine(sh, "buf"))
        }
        XCTAssertEqual(lines.map(\.state), ["", "one", "two", "three"])
        finishWatch(sh, lines, writer: writer)
        XCTAssertFalse(Harness.segmentExists(key: key), "cleanup on removes the segment")
    }

    /// The set is posted by two peers that are not ipcsh: a C program (semop) and Python's sysv_ipc.
    func testWatchFollowsASemaphoreSetPostedByCAndPythonPeers() throws {
        let key = makeKey()
        let sh = try shell()
        sh.send("cleanup on")
        sh.send("s = sem create \(Harness.hex(key)) 2")
        sh.send("watch s --count 2 --interval 20ms")
        sh.send("echo watch ended")
        var lines = [try nextWatchLine(sh, "s")]

        let poster = try Harness.runProgram(try Harness.compilePeer("sem_peer"), ["op", Harness.hex(key), "1", "1"])
        XCTAssertEqual(poster.status, 0, poster.stderr)
        lines.append(try nextWatchLine(sh, "s"))
        let python = try Harness.runPython("import sys, sysv_ipc\nsysv_ipc.Semaphore(int(sys.argv[1], 0)).release()", [Harness.hex(key)])
        XCTAssertEqual(python.status, 0, python.stderr)
        lines.append(try nextWatchLine(sh, "s"))

        XCTAssertEqual(lines.map(\.state), ["values 0 0", "values 0 1", "values 1 1"])
        finishWatch(sh, lines)
        XCTAssertFalse(Harness.semaphoreSetExists(key: key))
    }

    /// A System V queue's count as a C peer sends two messages and takes one.
    func testWatchCountsTheMessagesOfAQueueThatACPeerUses() throws {
        let key = makeKey()
        let sh = try shell()
        sh.send("cleanup on")
        sh.send("q = mq create \(Harness.hex(key))")
        sh.send("watch q --count 3 --interval 20ms")
        sh.send("echo watch ended")
        var lines = [try nextWatchLine(sh, "q")]
        let msgPeer = try Harness.compilePeer("msg_peer")
        for arguments in [["send", Harness.hex(key), "1", "first"], ["send", Harness.hex(key), "2", "second"],
                          ["recv", Harness.hex(key), "0"]] {
            let r = try Harness.runProgram(msgPeer, arguments)
            XCTAssertEqual(r.status, 0, r.stderr)
            lines.append(try nextWatchLine(sh, "q"))
        }
        XCTAssertEqual(lines.map(\.state), ["0 messages", "1 message", "2 messages", "1 message"])
        finishWatch(sh, lines)
        XCTAssertFalse(Harness.queueExists(key: key))
    }

    /// A POSIX shared memory object written by a C peer, watched as a hex dump: each change is a
    /// time-stamped line, then the region's bytes.
    func testWatchShowsAPosixSharedMemoryObjectAsHex() throws {
        let name = "/ipcsh-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        posixNames.append(name)
        let sh = try shell()
        sh.send("cleanup on")
        sh.send("p = pshm create \(name) 16")
        sh.send("watch p --hex --count 2 --interval 20ms")
        sh.send("echo watch ended")
        var lines = [try nextWatchLine(sh, "p")]
        var dumps = [sh.readLine() ?? ""]
        let writer = try peer("region_steps", ["pshm", name, "AB", "hi!"])
        for text in ["AB", "hi!"] {
            writer.send("go")
            XCTAssertEqual(writer.readLine(), "wrote \(text)")
            lines.append(try nextWatchLine(sh, "p"))
            dumps.append(sh.readLine() ?? "")
        }
        XCTAssertEqual(lines.map(\.state), ["", "", ""], "with --hex the stamped line holds the name only")
        XCTAssertEqual(dumps, [
            "00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................",
            "00000000: 4142 0000 0000 0000 0000 0000 0000 0000  AB..............",
            "00000000: 6869 2100 0000 0000 0000 0000 0000 0000  hi!.............",
        ])
        finishWatch(sh, lines, writer: writer)
        XCTAssertNotEqual(access("/dev/shm\(name)", F_OK), 0, "cleanup on unlinks the object")
    }

    /// A file mapping written by a C peer through its own mapping, watched as a C struct.
    func testWatchShowsAFileMappingAsAStruct() throws {
        let path = try makeDirectory().appendingPathComponent("region").path
        let sh = try shell()
        sh.send("struct point { int x; int y; }")
        sh.send("m = mmap \(path) 64")
        sh.send("watch m --as point --count 2 --interval 20ms")
        sh.send("echo watch ended")
        var lines = [try nextWatchLine(sh, "m")]
        let writer = try peer("region_steps", ["file", path, "int:3,-4", "int:70000,5"])
        for text in ["int:3,-4", "int:70000,5"] {
            writer.send("go")
            XCTAssertEqual(writer.readLine(), "wrote \(text)")
            lines.append(try nextWatchLine(sh, "m"))
        }
        XCTAssertEqual(lines.map(\.state), ["{ x = 0, y = 0 }", "{ x = 3, y = -4 }", "{ x = 70000, y = 5 }"])
        finishWatch(sh, lines, writer: writer)
    }

    // MARK: Ctrl-C

    /// SIGINT while a script (stdin) watches, with an actor alive: the script ends as
    /// interrupted (130), the command after watch does not run, and the session ends cleanly:
    /// its segment removed (cleanup on), its actor gone.
    func testInterruptEndsAWatchInAScriptAndLeavesNothing() throws {
        let key = makeKey()
        let sh = try shell()
        sh.send("cleanup on")
        sh.send("buf = shm create \(Harness.hex(key)) 64")
        sh.send("shm attach buf")
        sh.send("a = fork")
        sh.send("echo $a.pid")
        let actorLine = try XCTUnwrap(readLine(from: sh) { Int32($0) != nil })
        let actor = try XCTUnwrap(pid_t(actorLine))
        sh.send("watch buf --interval 20ms")
        sh.send("echo not reached")
        _ = try nextWatchLine(sh, "buf")
        XCTAssertEqual(kill(sh.pid, SIGINT), 0)
        var rest: [String] = []
        while let line = sh.readLine(timeout: 20) { rest.append(line) }
        XCTAssertEqual(sh.wait(), 130, rest.joined(separator: "\n"))
        XCTAssertTrue(rest.contains { $0.contains("interrupted") }, rest.joined(separator: "\n"))
        XCTAssertFalse(rest.contains("not reached"), rest.joined(separator: "\n"))
        XCTAssertFalse(Harness.segmentExists(key: key), "cleanup on removes the segment")
        assertGone(actor, "the actor")
    }

    /// Ctrl-C (SIGINT to the shell) at the interactive prompt's watch: the watch ends, the shell
    /// goes on with the next command, and leaves nothing when it exits.
    func testInterruptEndsAWatchAtThePromptAndTheShellGoesOn() throws {
        guard TmuxSession.isAvailable else { throw XCTSkip("tmux is not installed") }
        let key = makeKey()
        let directory = try makeDirectory()
        let tmux = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path)
        try tmux.enter("cleanup on")
        try tmux.enter("buf = shm create \(Harness.hex(key)) 64; shm attach buf")
        try tmux.waitForScreen("attached") { $0.contains("buf: attached at") }
        try tmux.enter("watch buf --interval 20ms")
        try tmux.waitForScreen("the first watch line") {
            $0.range(of: #"\d\d:\d\d:\d\d\.\d\d\d buf:"#, options: .regularExpression) != nil
        }
        XCTAssertEqual(kill(tmux.pid, SIGINT), 0)
        try tmux.waitForScreen("interrupted, then the prompt") { $0.contains("interrupted") }
        try tmux.waitForLastLine(tmux.prompt)
        try tmux.enter("write buf after; read buf")
        try tmux.waitForScreen("the shell going on") { $0.contains("\nafter") }
        try tmux.enter("exit")
        let deadline = Date().addingTimeInterval(20)
        while tmux.processExists && Date() < deadline { usleep(50_000) }
        let screen = try tmux.screen()
        XCTAssertFalse(tmux.processExists, screen)
        XCTAssertEqual(try tmux.exitStatus(), 0, screen)
        XCTAssertFalse(Harness.segmentExists(key: key), "cleanup on removes the segment")
    }

    // MARK: ps

    /// Sends `ps` until `done` holds for its lines (at most 20 s: an actor takes a command when
    /// it is scheduled); returns the last lines.
    private func ps(_ shell: BackgroundProgram, until done: ([String]) -> Bool) -> [String] {
        let deadline = Date().addingTimeInterval(20)
        var lines: [String] = []
        repeat {
            shell.send("ps")
            shell.send("echo ps done")
            lines = []
            _ = readLine(from: shell) { line in
                if line == "ps done" { return true }
                lines.append(line)
                return false
            }
            if done(lines) { break }
            usleep(100_000)
        } while Date() < deadline
        return lines
    }

    private static func matches(_ lines: [String], _ pattern: String) -> Bool {
        lines.contains { $0.range(of: pattern, options: .regularExpression) != nil }
    }

    /// Actors blocked in `mq recv` on a System V queue and in `fifo open` of a FIFO nobody has
    /// opened: ps names the call and the queue's handle, and the FIFO's path and direction.
    func testPsNamesAnActorBlockedInMqRecvAndOneBlockedOpeningAFIFO() throws {
        let fifo = try makeDirectory().appendingPathComponent("f").path
        let sh = try shell()
        sh.send("cleanup on")
        sh.send("q = mq create private")
        sh.send("fifo make \(fifo)")
        sh.send("a = fork")
        sh.send("b = fork")
        sh.send("echo $a.pid $b.pid")
        let pidLine = try XCTUnwrap(readLine(from: sh) { $0.range(of: #"^\d+ \d+$"#, options: .regularExpression) != nil })
        let pids = pidLine.split(separator: " ").compactMap { pid_t($0) }
        sh.send("@a mq recv q")
        sh.send("@b fifo open \(fifo) read")
        let receive = #"^a \d+ blocked in msgrcv\(q\)$"#
        let open = #"^b \d+ blocked in open\(""# + NSRegularExpression.escapedPattern(for: fifo) + #"", read\)$"#
        let lines = ps(sh) { Self.matches($0, receive) && Self.matches($0, open) }
        XCTAssertTrue(Self.matches(lines, receive), lines.joined(separator: "\n"))
        XCTAssertTrue(Self.matches(lines, open), lines.joined(separator: "\n"))

        // Unblock both: a message for a, a writer for b.
        sh.send("mq send q 7 hello")
        expectLine(sh, "of a's message") { $0.hasPrefix("[a ") && $0.hasSuffix("type 7: hello") }
        sh.send("w = fifo open \(fifo) write")
        expectLine(sh, "of b's open") { $0.hasPrefix("[b ") && $0.contains("opened \(fifo) for reading") }
        sh.send("close w")
        sh.send("@a exit")
        sh.send("@b exit")
        sh.send("wait all")
        sh.send("echo all done")
        expectLine(sh, "all done")
        sh.stop()
        XCTAssertEqual(sh.process.terminationStatus, 0)
        for pid in pids { assertGone(pid, "an actor") }
        XCTAssertNotEqual(access(fifo, F_OK), 0, "cleanup on removes the FIFO")
    }

    /// examples/deadlock.ipcs as it is, up to where p1 and p2 wait for each other's lock
    /// (their timeouts lengthened, so that a loaded machine cannot end the wait first): ps
    /// names both waits and the cycle.
    func testPsNamesTheDeadlockOfTheExample() throws {
        let example = try String(contentsOf: Harness.packageRoot.appendingPathComponent("examples/deadlock.ipcs"), encoding: .utf8)
        let upToTheWaits = try XCTUnwrap(example.range(of: "sleep 500ms\n"), "the example changed: update this test")
        let prefix = String(example[..<upToTheWaits.lowerBound])
        XCTAssertTrue(prefix.contains("@p1 sem wait locks 1 --timeout 2s") && prefix.contains("@p2 sem wait locks 0 --timeout 5s"),
                      "the example changed: update this test")
        let sh = try shell()
        sh.send(prefix.replacingOccurrences(of: "--timeout 2s", with: "--timeout 30s")
            .replacingOccurrences(of: "--timeout 5s", with: "--timeout 30s"))
        let created = try XCTUnwrap(readLine(from: sh) { $0.hasPrefix("locks: created") })
        let set = try id("semid", in: created)
        let p1 = #"^p1 \d+ blocked in semop\(locks: 1-1\)$"#
        let p2 = #"^p2 \d+ blocked in semop\(locks: 0-1\)$"#
        let cycle = "deadlock: p1 waits for locks[1] (held by p2), p2 waits for locks[0] (held by p1)"
        let lines = ps(sh) { $0.contains(cycle) }
        XCTAssertTrue(Self.matches(lines, p1), lines.joined(separator: "\n"))
        XCTAssertTrue(Self.matches(lines, p2), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains(cycle), lines.joined(separator: "\n"))
        let actors = lines.filter { $0.hasPrefix("p1 ") || $0.hasPrefix("p2 ") }.compactMap { pid_t($0.split(separator: " ")[1]) }
        XCTAssertEqual(actors.count, 2, lines.joined(separator: "\n"))
        // Removing the set ends both waits (EIDRM); waiting for the actors ends them.
        sh.send("sem rm locks")
        sh.send("wait p1")
        sh.send("wait p2")
        sh.send("echo all done")
        expectLine(sh, "all done")
        sh.stop()
        XCTAssertEqual(sh.process.terminationStatus, 0)
        XCTAssertFalse(Harness.semaphoreSetExists(id: set))
        for pid in actors { assertGone(pid, "an actor") }
    }
}
