import Foundation
import XCTest

/// Issue 15.5: the shell's output reaches a pipe or file before a read that waits, and not
/// before every read: a read whose data is already there does not pay for a write().
final class OutputFlushTests: IPCTestCase {
    /// Output printed before a read that blocks is visible while the shell waits.
    func testOutputIsWrittenBeforeAReadThatWaits() throws {
        let dir = try makeDirectory()
        let fifo = dir.appendingPathComponent("f").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "fifo open \(fifo) read\necho before\nread fifo1\necho after"])
        defer { shell.stop() }
        let writer = open(fifo, O_WRONLY)
        XCTAssertGreaterThanOrEqual(writer, 0)
        defer { close(writer) }
        // Nothing is written to the FIFO yet: the read waits, and "before" must already be out
        // (after the line of `fifo open`).
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasPrefix("fifo1: "), true)
        XCTAssertEqual(shell.readLine(timeout: 10), "before")
        XCTAssertEqual(write(writer, "data", 4), 4)
        XCTAssertEqual(shell.readLine(timeout: 10), "data")
        XCTAssertEqual(shell.readLine(timeout: 10), "after")
        XCTAssertEqual(shell.wait(timeout: 10), 0)
    }

    /// A shell driven through a pipe, waiting for its next command, writes an actor's line as it
    /// relays it: the driver may be waiting for that line before it sends more.
    func testAnActorsLineIsWrittenWhileTheShellWaitsForInput() throws {
        let shell = try BackgroundProgram(Harness.ipcshPath, [])
        defer { shell.stop() }
        shell.send("a = fork")
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasPrefix("a: actor pid "), true)
        // The actor prints well after the shell has gone back to waiting for input.
        shell.send("@a sleep 300ms; echo late")
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasSuffix("] late"), true)
        shell.send("wait a")
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasPrefix("a (pid "), true)
    }

    /// 200 write/read pairs whose data is always there print 200 lines to a file in one or two
    /// write() calls, not one per read (counted with strace).
    func testReadsThatDoNotWaitDoNotFlush() throws {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("strace is not installed (scripts/install-deps.sh installs it)")
        }
        let dir = try makeDirectory()
        let log = dir.appendingPathComponent("strace.txt").path
        let out = dir.appendingPathComponent("out.txt").path
        let r = try Harness.runProgram("/bin/sh", ["-c", "exec \"$0\" -f -e trace=write -o \"$1\" \"$2\" -c 'pipe\nrepeat 200 { write pipe1.w hello-$i; read pipe1.r }' > \"$3\"",
                                                   strace, log, Harness.ipcshPath, out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(lines.count, 200)
        XCTAssertEqual(lines.first, "hello-0")
        XCTAssertEqual(lines.last, "hello-199")
        let writesToStdout = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("write(1,") }
        XCTAssertLessThanOrEqual(writesToStdout.count, 2, writesToStdout.joined(separator: "\n"))
    }

    /// With output waiting in the buffer, a pipe read or write whose data (or room) is there is
    /// one call: `preadv2`/`pwritev2` with RWF_NOWAIT, no `poll` first (issue 15.5). A FIFO,
    /// which cannot take RWF_NOWAIT,
    /// still works (poll, then the call), and a read that has to wait still flushes first
    /// (`testOutputReachesAWatcherBeforeABlockingRead`).
    func testReadsAndWritesThatDoNotWaitAreOneCall() throws {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("strace is not installed (scripts/install-deps.sh installs it)")
        }
        let dir = try makeDirectory()
        let log = dir.appendingPathComponent("strace.txt").path
        let out = dir.appendingPathComponent("out.txt").path
        let fifo = dir.appendingPathComponent("f").path
        let script = """
        pipe
        repeat 50 { write pipe1.w hello-$i; read pipe1.r }
        fifo make \(fifo)
        fw = fifo open \(fifo) rdwr
        repeat 3 { write fw fifo-$i; read fw }
        close fw
        fifo rm \(fifo)
        """
        let r = try Harness.runProgram("/bin/sh", ["-c", "exec \"$0\" -e trace=poll,ppoll,read,write,preadv2,pwritev2 -o \"$1\" \"$2\" -c \"$3\" > \"$4\"",
                                                   strace, log, Harness.ipcshPath, script, out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("hello-") || $0.hasPrefix("fifo-") }
        XCTAssertEqual(lines, (0..<50).map { "hello-\($0)" }[...] + (0..<3).map { "fifo-\($0)" })
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let pipeCalls = calls.filter { $0.contains("hello-") }
        XCTAssertEqual(pipeCalls.filter { $0.hasPrefix("pwritev2(") }.count, 50, pipeCalls.joined(separator: "\n"))
        XCTAssertEqual(pipeCalls.filter { $0.hasPrefix("preadv2(") }.count, 50, pipeCalls.joined(separator: "\n"))
        // No poll of the pipe's descriptors between the first pipe call and the FIFO's.
        guard let first = calls.firstIndex(where: { $0.contains("hello-0") }),
              let last = calls.lastIndex(where: { $0.contains("hello-49") }) else { return XCTFail(calls.joined(separator: "\n")) }
        let polls = calls[first...last].filter { $0.hasPrefix("poll(") || $0.hasPrefix("ppoll(") }
        XCTAssertTrue(polls.isEmpty, polls.joined(separator: "\n"))
    }

    /// While the shell waits (`wait`), a child's lines reach a pipe as they come, not when the
    /// wait ends: here the first one is read while the child still sleeps.
    func testChildrensLinesGoOutWhileTheShellWaits() throws {
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "fork { echo early; sleep 3s; echo late }\nwait"])
        defer { shell.stop() }
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasPrefix("child1: forked pid"), true)
        let start = Date()
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasSuffix("] early"), true)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5, "the line came only when the wait ended")
        XCTAssertEqual(shell.readLine(timeout: 10)?.hasSuffix("] late"), true)
        XCTAssertEqual(shell.wait(timeout: 10), 0)
    }

    /// `ipcsh script | head -1`: once nobody reads stdout, the session ends as sh ends of SIGPIPE
    /// (status 141, no more commands) but with its clean-up: the segment `cleanup on` covers is
    /// removed, and no "terminated" message is printed.
    func testAClosedStdoutEndsTheSessionWithItsCleanUp() throws {
        let dir = try makeDirectory()
        let marker = dir.appendingPathComponent("marker").path
        let key = Harness.uniqueKey()
        let script = dir.appendingPathComponent("head.ipcs")
        try """
            cleanup on
            b = shm create \(key) 64
            repeat 40 { echo line $i; sleep 100ms }
            fifo make \(marker)
            """.write(to: script, atomically: true, encoding: .utf8)
        let r = try Harness.runProgram("/bin/bash", ["-c", "\"$0\" \"$1\" | head -1; exit ${PIPESTATUS[0]}", Harness.ipcshPath, script.path])
        XCTAssertEqual(r.status, 141, r.stderr)
        XCTAssertEqual(r.stdout, "cleanup on exit: on\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the script went on after its reader left")
        XCTAssertTrue(r.stderr.contains("cleanup: removed b"), r.stderr)
        XCTAssertFalse(r.stderr.contains("terminated"), r.stderr)
        XCTAssertEqual(shmget(key, 0, 0), -1, "the segment is gone")
    }

    /// A proc called without keeping its output prints each line as it comes (here while it
    /// still sleeps), and what it printed is still `$_`; kept (`x = slow`), nothing is shown.
    func testAProcsLinesGoOutAsTheyCome() throws {
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", """
            proc slow { echo one; sleep 3s; echo two }
            slow
            echo "last: $_"
            x = slow
            echo "x: $x"
            """])
        defer { shell.stop() }
        let start = Date()
        XCTAssertEqual(shell.readLine(timeout: 10), "one")
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5, "the proc's first line came only when it ended")
        XCTAssertEqual(shell.readLine(timeout: 10), "two")
        XCTAssertEqual(shell.readLine(timeout: 10), "last: one")
        XCTAssertEqual(shell.readLine(timeout: 10), "two")
        XCTAssertEqual(shell.readLine(timeout: 10), "x: one")
        XCTAssertEqual(shell.readLine(timeout: 10), "two")
        XCTAssertEqual(shell.wait(timeout: 10), 0)
    }

    /// A child forked inside a proc whose output is kept: its lines, relayed to the shell while
    /// the proc waits, are part of the value (they were lost: the child inherited the capture).
    func testAChildForkedInAKeptProcIsPartOfItsValue() throws {
        let r = try Harness.runCommands("""
            proc p { fork { echo from-child }; wait }
            x = p
            echo "x=[$x]"
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.range(of: #"x=\[\[child1 \d+\] from-child\n"#, options: .regularExpression) != nil, r.stdout)
    }
}
