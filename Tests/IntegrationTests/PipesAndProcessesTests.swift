import Foundation
import XCTest

/// Issue 3: pipes, FIFOs and processes, against real kernel objects and C peers.
final class PipesAndProcessesTests: IPCTestCase {
    /// The seed's unnamed-pipe demo: three messages, in order, each prefixed by the child.
    func testTextbookUnnamedPipeExample() throws {
        let script = Harness.packageRoot.appendingPathComponent("examples/unnamed-pipe.ipcs").path
        let r = try Harness.run([script])
        XCTAssertEqual(r.status, 0, r.stderr)
        let childLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[child1 ") }
        XCTAssertEqual(childLines.map { String($0.split(separator: "] ", maxSplits: 1)[1]) },
                       ["apple is red", "banana is yellow", "cherry is red"], r.stdout)
        XCTAssertTrue(r.stdout.contains("child1 (pid "), r.stdout)
        XCTAssertTrue(r.stdout.contains(") exited with status 0"), r.stdout)
        // The prefix carries the child's real pid, the same in every line.
        let pids = Set(childLines.map { $0.split(separator: " ")[1].dropLast() })
        XCTAssertEqual(pids.count, 1)
    }

    func testWriteSizePadsAndReadDropsTrailingNULs() throws {
        let r = try Harness.runCommands("""
            p = pipe; write p.w "abc" --size 16; read p.r 4096; write p.w "x\\0y"; read p.r
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("abc"), r.stdout)
        XCTAssertTrue(lines.contains("x\\x00y"), r.stdout)
    }

    func testReadAtEndOfFilePrintsEOF() throws {
        let r = try Harness.runCommands("p = pipe; close p.w; read p.r")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("EOF\n"), r.stdout)
    }

    func testFifoFromCWriterToIpcsh() throws {
        let writer = try Harness.compilePeer("fifo_writer")
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fifo").path
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: writer)
        peer.arguments = [path, "apple is red", "banana is yellow"]
        // ipcsh makes the FIFO and opens it for reading: the open waits for the C writer.
        let script = """
            fifo make \(path); run \(writer) \(path) "apple is red" "banana is yellow"
            f = fifo open \(path) read --timeout 10s; read f 80; read f 80; close f; wait; fifo rm \(path)
            """
        let r = try Harness.runCommands(script)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("apple is red"), r.stdout)
        XCTAssertTrue(lines.contains("banana is yellow"), r.stdout)
        XCTAssertTrue(r.stdout.contains("exited with status 0"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testFifoFromIpcshToCReader() throws {
        let reader = try Harness.compilePeer("fifo_reader")
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fifo").path
        let r = try Harness.runCommands("""
            fifo make \(path); run \(reader) \(path) 2
            f = fifo open \(path) write --timeout 10s
            write f "hello C" --size 80; write f "second" --size 80; close f
            wait; fifo rm \(path)
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("] recv: hello C\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("] recv: second\n"), r.stdout)
    }

    func testFifoReceiverAndSenderExamplesTogether() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fifo").path
        let receiver = Harness.packageRoot.appendingPathComponent("examples/fifo-receiver.ipcs").path
        let sender = Harness.packageRoot.appendingPathComponent("examples/fifo-sender.ipcs").path
        // Two unrelated ipcsh processes, as in two terminals: the receiver first (it makes the FIFO).
        let receiverProcess = Process()
        receiverProcess.executableURL = URL(fileURLWithPath: Harness.ipcshPath)
        receiverProcess.arguments = [receiver, path]
        let out = Pipe()
        receiverProcess.standardOutput = out
        receiverProcess.standardError = FileHandle.nullDevice
        try receiverProcess.run()
        defer { if receiverProcess.isRunning { receiverProcess.terminate() } }
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(10_000) }
        let r = try Harness.run([sender, path, "one", "two", "three"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let received = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        receiverProcess.waitUntilExit()
        XCTAssertEqual(receiverProcess.terminationStatus, 0)
        for word in ["one", "two", "three"] {
            XCTAssertTrue(received.contains("recv: \(word)\n"), received)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the receiver removes its FIFO")
    }

    func testFifoOpenTimesOut() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fifo").path
        let start = Date()
        let r = try Harness.runCommands("fifo make \(path); fifo open \(path) read --timeout 300ms", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no writer opened \(path) within 300ms"), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "--cleanup removes the FIFO")
    }

    /// Regression: a timer (or Ctrl-C) that fires before open() has started used to leave the
    /// open blocked for good. With a 1 ms timeout that is a race run after run; every open must
    /// still end, each with its timeout message.
    func testFifoOpenWithATinyTimeoutAlwaysEnds() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fifo").path
        let attempts = 100
        let opens = Array(repeating: "fifo open \(path) read --timeout 1ms", count: attempts).joined(separator: "\n")
        let r = try Harness.runCommands("fifo make \(path)\n" + opens + "\nfifo rm \(path)", extra: ["--keep-going"], timeout: 60)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "no writer opened \(path) within 1ms").count - 1, attempts, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    /// Ctrl-C sent to the shell alone while `fifo open` waits for a writer: exit 130 promptly.
    func testSigintDuringABlockedFifoOpenExits130() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fifo").path
        let shell = try BackgroundProgram(Harness.ipcshPath, ["--cleanup", "-c", "fifo make \(path); echo ready; fifo open \(path) read"])
        defer { shell.stop() }
        var line = shell.readLine()
        while let l = line, l != "ready" { line = shell.readLine() }
        XCTAssertEqual(line, "ready")
        kill(shell.pid, SIGINT)
        XCTAssertEqual(shell.wait(timeout: 10), 130)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "--cleanup removes the FIFO after Ctrl-C")
    }

    /// The shell is one thread, whatever it has done: fork is only safe in a single-threaded
    /// process, and the release build counts references without atomics (Package.swift).
    func testTheShellStaysSingleThreaded() throws {
        let r = try Harness.runCommands("""
            s = shm create private 64; shm attach s; write s hi; read s
            p = pipe; fork { read p.r 2 }; write p.w ok; wait
            sock pair; a = fork
            @a echo from-actor
            sleep 100ms
            ! grep '^Threads:' /proc/$PPID/status
            shm detach s; shm rm s
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Threads:\t1\n"), r.stdout)
    }

    func testFifoMadeBySessionIsNamedAtExit() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("kept").path
        let r = try Harness.runCommands("fifo make \(path)")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(path), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testInterruptDuringBlockedReadExits130() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.ipcshPath)
        process.arguments = ["-c", "p = pipe; read p.r"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Once its handler is installed (a loaded machine can take a while to start it); the
        // read polls the signal self-pipe, so it does not matter whether it has begun yet.
        let started = Date().addingTimeInterval(10)
        while !Harness.catchesSIGINT(process.processIdentifier) && Date() < started { usleep(1_000) }
        usleep(100_000)
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(1.0)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        let stillRunning = process.isRunning
        if stillRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        XCTAssertFalse(stillRunning, "SIGINT must end a blocked read within a second")
        XCTAssertEqual(process.terminationStatus, 130)
    }

    func testActorReadBlocksUntilParentWrites() throws {
        let r = try Harness.runCommands("""
            p = pipe; a = fork
            @a read p.r
            sleep 200ms; echo "before write"
            write p.w "wake up"; sleep 300ms; echo "after write"; wait a
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        guard let before = lines.firstIndex(of: "before write"),
              let woke = lines.firstIndex(where: { $0.hasPrefix("[a ") && $0.hasSuffix("] wake up") }),
              let after = lines.firstIndex(of: "after write") else {
            return XCTFail(r.stdout)
        }
        XCTAssertLessThan(before, woke, "the child's read must block until the parent writes")
        XCTAssertLessThan(woke, after)
    }

    /// Issue 11.2: `@NAME` takes the rest of the line, `;` included, as `!` does: the actor runs
    /// both commands, one after the other, and the parent neither.
    func testActorCommandTakesTheRestOfTheLine() throws {
        let r = try Harness.runCommands("""
            a = fork
            @a sleep 0.3; echo two; echo three
            echo one
            wait a
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertFalse(lines.contains("two"), "echo two ran in the parent: \(r.stdout)")
        let two = lines.firstIndex { $0.hasPrefix("[a ") && $0.hasSuffix("] two") }
        let three = lines.firstIndex { $0.hasPrefix("[a ") && $0.hasSuffix("] three") }
        let one = lines.firstIndex(of: "one")
        XCTAssertNotNil(two, r.stdout)
        XCTAssertNotNil(one, r.stdout)
        if let one, let two, let three {
            XCTAssertLessThan(one, two, "the parent goes on at once")
            XCTAssertLessThan(two, three)
        }
    }

    /// A block on the `@NAME` line may span lines; a `}` closing a block around `@NAME` is not the actor's.
    func testActorCommandWithABlockOverLinesAndInsideABlock() throws {
        let r = try Harness.runCommands("""
            a = fork
            @a repeat 2 {
              echo "round $i"
            }
            repeat 1 { @a echo inner; echo also-inner }
            echo parent
            wait a
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let actorLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[a ") }
            .map { String($0.split(separator: "]", maxSplits: 1)[1].dropFirst()) }
        XCTAssertEqual(actorLines, ["round 0", "round 1", "inner", "also-inner"], r.stdout)
        XCTAssertTrue(r.stdout.split(separator: "\n").contains("parent"), r.stdout)
    }

    func testSpawnedActorAndScript() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("s.ipcs")
        try "echo \"args: $1 $#\"\nexit 3\n".write(to: script, atomically: false, encoding: .utf8)
        let r = try Harness.runCommands("spawn\n@child1 echo hi from the actor\nspawn \(script.path) x y; wait")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("] hi from the actor\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("] args: x 2\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("exited with status 3"), r.stdout)
    }

    func testSpawnedProcessInheritsOnlyStdio() throws {
        let r = try Harness.runCommands("p = pipe; spawn\n@child1 fds\nwait")
        XCTAssertEqual(r.status, 0, r.stderr)
        let fdLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[child1 ") && !$0.contains(" fd ") }
        // 0, 1, 2 and the actor's own signal self-pipe (two ends): nothing of the parent's pipe.
        let numbers = fdLines.compactMap { Int($0.split(separator: "]", maxSplits: 1)[1].split(separator: " ").first ?? "") }
        XCTAssertEqual(numbers.filter { $0 > 2 }.count, 2, r.stdout)
        XCTAssertFalse(r.stdout.contains("pipe1"), r.stdout)
    }

    func testWaitReportsSignalAndKillOfExitedChildFails() throws {
        let r = try Harness.runCommands("fork { sleep 10 }; kill child1; wait child1; kill child1")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("killed by signal TERM"), r.stdout)
        XCTAssertTrue(r.stderr.contains("has already ended"), r.stderr)
    }

    func testWaitAllWaitsForEveryChild() throws {
        // Issue 11.1: the spec, help wait and docs/processes.md promise `wait all`.
        let r = try Harness.runCommands("fork { echo a }; fork { sleep 0.2; echo b }; wait all; echo after")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.range(of: #"child1 \(pid \d+\) exited with status 0"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"child2 \(pid \d+\) exited with status 0\nafter\n"#, options: .regularExpression) != nil, r.stdout)
        // `all` is not a handle name elsewhere.
        let kill = try Harness.runCommands("kill all")
        XCTAssertEqual(kill.status, 1)
    }

    func testWaitTimeout() throws {
        let r = try Harness.runCommands("fork { sleep 5 }; wait child1 --timeout 200ms")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("wait: timed out after 200ms; still running: child1"), r.stderr)
    }

    func testNoChildLeftBehindAtExit() throws {
        let r = try Harness.runCommands("fork { sleep 30 }; echo $child1.pid")
        XCTAssertEqual(r.status, 0, r.stderr)
        let pid = Int32(r.stdout.split(separator: "\n").last.map(String.init) ?? "") ?? 0
        XCTAssertGreaterThan(pid, 0)
        XCTAssertNotEqual(kill(pid, 0), 0, "the child must be gone when ipcsh exits")
        XCTAssertTrue(r.stderr.contains("sent TERM"), r.stderr)
    }

    func testShellEscape() throws {
        let r = try Harness.runCommands("! echo from sh")
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "from sh\n")
        let failed = try Harness.runCommands("! exit 3")
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("sh exited with status 3"), failed.stderr)
    }

    func testFdsListsPipeEnds() throws {
        let r = try Harness.runCommands("p = pipe; fds")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("p.r"), r.stdout)
        XCTAssertTrue(r.stdout.contains("p.w"), r.stdout)
        XCTAssertTrue(r.stdout.contains("pipe:["), r.stdout)
    }

    func testFdsNamesEveryDescriptorOfTheShellItself() throws {
        // After a fork, the pipe children report created objects on is the shell's own: named so.
        let r = try Harness.runCommands("p = pipe; fork { echo hi }; wait; fds")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").filter { $0.contains("pipe:[") }
        XCTAssertTrue(rows.allSatisfy { $0.contains("  pipe  ") }, r.stdout)
        XCTAssertTrue(rows.contains { $0.hasSuffix("p.r") }, r.stdout)
        XCTAssertTrue(rows.contains { $0.hasSuffix("ipcsh children's reports (read end)") }, r.stdout)
        XCTAssertTrue(rows.contains { $0.hasSuffix("ipcsh children's reports (write end)") }, r.stdout)
    }

    /// Bad input of issue 3: each a clear error, exit 1, no crash.
    func testBadInputs() throws {
        let cases: [(String, String)] = [
            ("p = pipe; close p.r; read p.r", "p.r is closed"),
            ("p = pipe; close p.r; write p.w x", "write: EPIPE (Broken pipe)"),
            ("wait child9", "no handle named 'child9'"),
            ("fork { exit 0 }; wait child1; kill child1", "has already ended"),
            ("a = fork\n@a exit\nwait a\n@a echo hi", "has ended"),
            ("@nobody echo hi", "no actor named nobody"),
            ("a = fork\nx = @a echo hi", "x = @a: what an actor prints cannot be bound here"),
            ("run /no/such/program", "ENOENT"),
            ("p = pipe; read p", "p has 2 ends"),
            ("p = pipe; read p.x", "p has no end 'x'"),
            ("p = pipe; read p.r --timeout 100ms", "did not become readable within 100ms"),
            ("p = pipe; read p.r --nonblock", "EAGAIN"),
            ("fifo open /nonexistent/fifo read", "ENOENT"),
            ("p = pipe; write p.w 123456 --size 3", "more than --size 3"),
            ("p = pipe; write p.w x --size 999999999999", "--size 999999999999 is more than one write can take"),
            ("kill child1", "no handle named 'child1'"),
            ("fork { sleep 1 }; kill child1 NOPE", "'NOPE' is not a signal"),
            ("fork { sleep 2 }; @child1 echo no", "not an actor"),
        ]
        for (script, message) in cases {
            let r = try Harness.runCommands(script)
            XCTAssertEqual(r.status, 1, "\(script): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(script): expected '\(message)' in: \(r.stderr)")
        }
    }
}
