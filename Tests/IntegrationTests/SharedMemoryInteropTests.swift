import Foundation
import XCTest

/// ipcsh and compiled C peers (Peers/shm_reader.c, Peers/shm_writer.c) on the same real
/// System V segments: what one writes the other reads, attach counts agree with the kernel,
/// and the session's bookkeeping (`shm ls` marks, exit notice, `--cleanup`) is right.
final class SharedMemoryInteropTests: IPCTestCase {
    private var peers: [BackgroundProgram] = []

    override func tearDown() {
        for peer in peers { peer.stop() }
        peers = []
        super.tearDown()
    }

    private func reader() throws -> String { try Harness.compilePeer("shm_reader") }
    private func writer() throws -> String { try Harness.compilePeer("shm_writer") }

    /// Starts `shm_writer KEY SIZE TEXT --hold` and waits until it is attached (it stays attached
    /// until `stop()` closes its stdin).
    private func holdingWriter(key: Int32, size: Int = 64, text: String) throws -> BackgroundProgram {
        let peer = try BackgroundProgram(try writer(), [Harness.hex(key), String(size), text, "--hold"])
        peers.append(peer)
        let line = try XCTUnwrap(peer.readLine(), "shm_writer printed nothing")
        XCTAssertTrue(line.hasPrefix("attached"), line)
        return peer
    }

    // MARK: ipcsh <-> C

    func testCReaderSeesWhatIpcshWrote() throws {
        let key = makeKey()
        let r = try Harness.runCommands("""
            buf = shm create \(Harness.hex(key)) 1024; shm attach buf; write buf "Hello from ipcsh 42"; shm detach buf
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let c = try Harness.runProgram(try reader(), [Harness.hex(key)])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertEqual(c.stdout, "Hello from ipcsh 42\n")
    }

    func testWriteEndsTheStringWithANulButRawDoesNot() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        // A shorter write over a longer one: the NUL after it ends the C string, as sprintf's does.
        var r = try Harness.runCommands("b = shm create \(k) 64; shm attach b; write b abcdefgh; write b xy")
        XCTAssertEqual(r.status, 0, r.stderr)
        var c = try Harness.runProgram(try reader(), [k])
        XCTAssertEqual(c.stdout, "xy\n", c.stderr)
        // --raw writes no NUL: the old tail shows through; --at writes at an offset.
        r = try Harness.runCommands("b = shm open \(k); shm attach b; write b abcdefgh; write b XY --raw; write b Z --at 5 --raw")
        XCTAssertEqual(r.status, 0, r.stderr)
        c = try Harness.runProgram(try reader(), [k])
        XCTAssertEqual(c.stdout, "XYcdeZgh\n", c.stderr)
    }

    func testIpcshReadsWhatACWriterWrote() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let w = try Harness.runProgram(try writer(), [k, "1024", "count 7 from C"])
        XCTAssertEqual(w.status, 0, w.stderr)
        let r = try Harness.runCommands("""
            b = shm open \(k); shm attach b; read b; msg = read b; expect "$msg" == "count 7 from C"; read b --at 6; shm detach b
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.contains("count 7 from C"), r.stdout)
        XCTAssertTrue(lines.contains("7 from C"), r.stdout)
        // The session opened the segment, it did not create it: no exit notice about it.
        XCTAssertFalse(r.stdout.contains("created segment"), r.stdout)
        XCTAssertTrue(r.stdout.contains("already") || r.stdout.contains("opened"), r.stdout)
        XCTAssertFalse(r.stderr.contains("ipcrm"), r.stderr)
        XCTAssertTrue(Harness.segmentExists(key: key))
    }

    // MARK: attach counts

    func testStatAndStatusFollowAttachAndDetachWhileACPeerIsAttached() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let peer = try holdingWriter(key: key, text: "peer")
        let r = try Harness.runCommands("""
            b = shm open \(k); shm stat b; status b
            shm attach b; shm stat b; status b
            shm detach b; shm stat b; status b
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        // The C peer holds one attachment the whole time; ipcsh adds and removes its own.
        XCTAssertEqual(Self.fieldValues("nattch:", in: r.stdout), ["1", "2", "1"], r.stdout)
        XCTAssertEqual(Self.fieldValues("attached", in: r.stdout), ["no", "yes", "no"], r.stdout)
        // The C side agrees once ipcsh is gone: only the peer (and the reader itself) remain.
        let c = try Harness.runProgram(try reader(), [k, "--stat"])
        XCTAssertEqual(c.stdout, "peer\nnattch 2\n", c.stderr)
        peer.stop()
        XCTAssertEqual(Self.procNattch(key: key), 0)
    }

    func testKernelSeesTheShellsAttachmentInProcSysvipc() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertNil(Self.procNattch(key: key))
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "b = shm create \(k) 4096; shm attach b; echo ready; sleep 20"])
        peers.append(shell)
        let created = shell.readLine()
        XCTAssertEqual(created, "b: created segment key \(k), shmid \(shmget(key, 0, 0)), 4096 bytes, mode 0600")
        _ = shell.readLine() // b: attached at 0x...
        XCTAssertEqual(shell.readLine(), "ready")
        XCTAssertEqual(Self.procNattch(key: key), 1)
        XCTAssertEqual(Self.procField(key: key, column: 2), "600", "default mode 0600")
        // The C reader sees both attachments.
        let c = try Harness.runProgram(try reader(), [k, "--stat"])
        XCTAssertEqual(c.stdout, "\nnattch 2\n", c.stderr)
        kill(shell.pid, SIGINT)
        XCTAssertEqual(shell.wait(), 130)
        XCTAssertEqual(Self.procNattch(key: key), 0)
        XCTAssertTrue(Harness.segmentExists(key: key), "a segment outlives the shell that created it")
    }

    // MARK: session bookkeeping

    func testShmLsMarksOnlyThisSessionsSegments() throws {
        let mine = makeKey(), theirs = makeKey()
        let w = try Harness.runProgram(try writer(), [Harness.hex(theirs), "100", "not mine"])
        XCTAssertEqual(w.status, 0, w.stderr)
        let r = try Harness.runCommands("buf = shm create \(Harness.hex(mine)) 200; shm ls; shm rm buf")
        XCTAssertEqual(r.status, 0, r.stderr)
        let mineLine = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(Harness.hex(mine)) && !$0.contains("created") })
        let theirLine = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(Harness.hex(theirs)) })
        XCTAssertTrue(mineLine.hasPrefix("*"), String(mineLine))
        XCTAssertTrue(mineLine.contains("buf"), "names the handle: \(mineLine)")
        XCTAssertTrue(mineLine.contains("200"), String(mineLine))
        XCTAssertFalse(theirLine.hasPrefix("*"), String(theirLine))
        XCTAssertTrue(theirLine.contains("100"), String(theirLine))
        XCTAssertFalse(Harness.segmentExists(key: mine))
        XCTAssertTrue(Harness.segmentExists(key: theirs))
    }

    func testCreateOnAnExistingKeySaysItAlreadyExistedAndExclFails() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try Harness.runProgram(try writer(), [k, "64", "x"]).status, 0)
        let id = shmget(key, 0, 0)
        let r = try Harness.runCommands("b = shm create \(k) 64; expect $b.shmid == \(id)")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("already existed"), r.stdout)
        XCTAssertFalse(r.stdout.contains("created segment"), r.stdout)
        XCTAssertFalse(r.stderr.contains("ipcrm"), "not created by the session: \(r.stderr)")

        let e = try Harness.runCommands("shm create \(k) 64 --excl; echo NOT-REACHED")
        XCTAssertEqual(e.status, 1)
        XCTAssertTrue(e.stderr.contains("shmget: EEXIST (File exists)"), e.stderr)
        XCTAssertTrue(e.stderr.hasPrefix("-c:1:"), e.stderr)
        XCTAssertFalse(e.stdout.contains("NOT-REACHED"), e.stdout)
        XCTAssertEqual(shmget(key, 0, 0), id, "the existing segment is untouched")
    }

    func testRemoveByKey() throws {
        let key = makeKey()
        XCTAssertEqual(try Harness.runProgram(try writer(), [Harness.hex(key), "64", "x"]).status, 0)
        XCTAssertTrue(Harness.segmentExists(key: key))
        let r = try Harness.runCommands("shm rm \(Harness.hex(key))")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(Harness.segmentExists(key: key))
        // Decimal keys work too, and a missing key is an error naming the call.
        let again = try Harness.runCommands("shm rm \(UInt32(bitPattern: key))")
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("ENOENT"), again.stderr)
    }

    func testWithoutCleanupTheExitNoticeNamesTheSegmentAndHowToRemoveIt() throws {
        let key = makeKey()
        let r = try Harness.runCommands("seg = shm create \(Harness.hex(key)) 64")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(Harness.segmentExists(key: key))
        let id = shmget(key, 0, 0)
        XCTAssertTrue(r.stderr.contains("seg"), r.stderr)
        XCTAssertTrue(r.stderr.contains("ipcrm -m \(id)"), r.stderr)
        XCTAssertFalse(r.stdout.contains("ipcrm"), "the notice goes to stderr: \(r.stdout)")
        // The command it names really removes the segment.
        let rm = try Harness.runProgram("/usr/bin/env", ["ipcrm", "-m", String(id)])
        XCTAssertEqual(rm.status, 0, rm.stderr)
        XCTAssertFalse(Harness.segmentExists(key: key))
    }

    func testCleanupRemovesCreatedSegmentsAtExitButNotOpenedOnes() throws {
        let created = makeKey(), opened = makeKey()
        XCTAssertEqual(try Harness.runProgram(try writer(), [Harness.hex(opened), "64", "x"]).status, 0)
        let r = try Harness.run(["--cleanup", "-c",
                                 "a = shm create \(Harness.hex(created)) 64; shm attach a; b = shm open \(Harness.hex(opened))"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(Harness.segmentExists(key: created))
        XCTAssertTrue(Harness.segmentExists(key: opened), "--cleanup removes only what the session created")
        XCTAssertFalse(r.stderr.contains("ipcrm"), r.stderr)
    }

    func testCleanupAlsoHappensWhenTheScriptFails() throws {
        let key = makeKey()
        let r = try Harness.run(["--cleanup", "-c", "a = shm create \(Harness.hex(key)) 64; nosuchcommand"])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(Harness.segmentExists(key: key), r.stderr)
    }

    func testReadonlyAttachRefusesWrite() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try Harness.runProgram(try writer(), [k, "64", "original"]).status, 0)
        let r = try Harness.runCommands("b = shm open \(k); shm attach b --readonly; read b; status b; write b changed")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("(read-only)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\noriginal\n"), r.stdout)
        XCTAssertEqual(Self.fieldValues("readonly", in: r.stdout), ["yes"], r.stdout)
        XCTAssertTrue(r.stderr.contains("read-only"), r.stderr)
        XCTAssertTrue(r.stderr.contains("-c:1:"), r.stderr)
        let c = try Harness.runProgram(try reader(), [k])
        XCTAssertEqual(c.stdout, "original\n")
    }

    // MARK: helpers

    /// Values of `NAME VALUE` lines (`nattch: 1` from `shm stat`, `attached  yes` from `status NAME`), in order;
    /// NAME must match the first word exactly, colon included.
    static func fieldValues(_ name: String, in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let trimmed = line.drop { $0 == " " }
            let words = trimmed.split(separator: " ")
            guard words.count >= 2, words[0] == name else { return nil }
            return String(words[1])
        }
    }

    /// A column of `/proc/sysvipc/shm` for `key` (0 key, 1 shmid, 2 perms, 3 size, 4 cpid, 5 lpid, 6 nattch).
    static func procField(key: Int32, column: Int) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > column, Int32(fields[0]) == key { return String(fields[column]) }
        }
        return nil
    }

    static func procNattch(key: Int32) -> Int? { procField(key: key, column: 6).flatMap { Int($0) } }
}

/// A program running in the background with piped stdin/stdout, for peers that must stay alive
/// while ipcsh runs. `stop()` closes its stdin, then terminates it if it does not end.
final class BackgroundProgram {
    let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private var buffer: [UInt8] = []

    var pid: Int32 { process.processIdentifier }

    /// `standardError`: its stderr goes to the same pipe as its stdout (`readLine` reads both).
    init(_ path: String, _ arguments: [String], standardError: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        process.environment = env
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = standardError ? stdoutPipe : FileHandle.nullDevice
        try process.run()
    }

    /// The next line of output (without the newline), or nil at end of output or after `timeout`.
    func readLine(timeout: TimeInterval = 20) -> String? {
        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(min(remaining, 1) * 1000)) <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// Writes `line` and a newline to its stdin (an ipcsh reading commands from stdin runs it).
    func send(_ line: String) {
        stdinPipe.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for the program to end (at most `timeout`, then kills it) and returns its exit status.
    @discardableResult
    func wait(timeout: TimeInterval = 20) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func stop() {
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning {
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning { process.terminate() }
        }
        process.waitUntilExit()
        try? stdoutPipe.fileHandleForReading.close()
    }
}
