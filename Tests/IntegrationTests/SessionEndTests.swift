import Foundation
import XCTest

/// Issue 9, "processes and files left behind" and "semantics": SIGTERM and SIGHUP end the
/// session as Ctrl-D does; a listener removes only its own socket file; what forked children
/// create is named and cleaned up by the shell; create races, umask and stopped children.
final class SessionEndTests: IPCTestCase {
    /// ipcsh running `-c COMMANDS` in the background, its stderr merged into stdout.
    private func background(_ commands: String, options: [String] = []) throws -> BackgroundProgram {
        try BackgroundProgram("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>&1", Harness.ipcshPath] + options + ["-c", commands])
    }

    /// Reads lines until one has `prefix`; returns every line read.
    private func lines(_ shell: BackgroundProgram, until prefix: String) -> [String] {
        var seen: [String] = []
        while let line = shell.readLine(timeout: 20) {
            seen.append(line)
            if line.hasPrefix(prefix) { break }
        }
        return seen
    }

    private func pid(in lines: [String], after marker: String) -> pid_t? {
        guard let line = lines.first(where: { $0.contains(marker) }), let last = line.split(separator: " ").last else { return nil }
        return pid_t(last)
    }

    private func isAlive(_ pid: pid_t) -> Bool {
        // A zombie is not alive: its parent (the test's shell) is gone, so init reaps it.
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    private func endsWithSignal(_ signal: Int32, status expected: Int32, name: String) throws {
        let key = makeKey()
        let dir = try makeDirectory()
        let fifo = dir.appendingPathComponent("f").path
        let socket = dir.appendingPathComponent("s.sock").path
        let shell = try background("""
            seg = shm create \(Harness.hex(key)) 64; fifo make \(fifo); sock listen unix:\(socket)
            run sleep 60
            fork { sleep 60 }
            echo started; sleep 30; echo not-reached
            """, options: ["--cleanup"])
        defer { shell.stop() }
        let before = lines(shell, until: "started")
        let program = try XCTUnwrap(pid(in: before, after: "started sleep pid"), before.joined(separator: "\n"))
        let forked = try XCTUnwrap(pid(in: before, after: "forked pid"), before.joined(separator: "\n"))
        XCTAssertTrue(Harness.segmentExists(key: key))
        XCTAssertTrue(FileManager.default.fileExists(atPath: socket))
        usleep(100_000)
        kill(shell.pid, signal)
        var after: [String] = []
        while let line = shell.readLine(timeout: 15) { after.append(line) }
        XCTAssertEqual(shell.wait(timeout: 15), expected, after.joined(separator: "\n"))
        XCTAssertTrue(after.contains("terminated by SIG\(name): ending the session"), after.joined(separator: "\n"))
        XCTAssertFalse(after.contains("not-reached"))
        XCTAssertFalse(Harness.segmentExists(key: key), "--cleanup applies after SIG\(name)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fifo), "--cleanup removes the FIFO")
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "the listener's socket file goes with the shell")
        XCTAssertFalse(isAlive(program), "run's program is ended, not orphaned")
        XCTAssertFalse(isAlive(forked), "the forked child is ended, not orphaned")
    }

    func testSigtermEndsTheSessionLikeCtrlDThenExits143() throws {
        try endsWithSignal(SIGTERM, status: 143, name: "TERM")
    }

    func testSighupEndsTheSessionLikeCtrlDThenExits129() throws {
        try endsWithSignal(SIGHUP, status: 129, name: "HUP")
    }

    func testKillingAForkedChildWithTermStillSaysKilledBySignal() throws {
        // The shell's own TERM handler is not inherited as such: a child dies of TERM as before.
        let r = try Harness.runCommands("c = fork { sleep 10 }; sleep 0.2; kill c; wait c")
        XCTAssertTrue(r.stdout.contains("killed by signal TERM"), r.stdout + r.stderr)
    }

    func testClosingAListenerLeavesWhateverIsNowAtItsPath() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("l.sock").path
        // The socket file is replaced by a regular file: neither close nor exit may remove it.
        let r = try Harness.run([], stdin: """
            sock listen unix:\(path)
            ! rm \(path) && echo precious > \(path)
            close sock1
            sock listen unix:\(dir.appendingPathComponent("m.sock").path)
            ! rm \(dir.appendingPathComponent("m.sock").path) && echo kept > \(dir.appendingPathComponent("m.sock").path)

            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "precious\n")
        XCTAssertEqual(try String(contentsOfFile: dir.appendingPathComponent("m.sock").path, encoding: .utf8), "kept\n")
    }

    func testClosingAListenerLeavesAnotherServersLiveSocket() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("shared.sock").path
        // ipcsh listens; its file is removed and a python server binds the same path; ipcsh
        // closes its listener; the python server must still be reachable.
        let peer = """
        import os, socket, subprocess, sys
        path = sys.argv[1]
        sh = subprocess.Popen([os.environ['IPCSH']], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sh.stdin.write(('sock listen unix:%s\\n' % path).encode()); sh.stdin.flush()
        sh.stdout.readline()
        os.unlink(path)
        server = socket.socket(socket.AF_UNIX); server.bind(path); server.listen(1)
        sh.stdin.write(b'close sock1\\necho closed\\n'); sh.stdin.close()
        out = sh.stdout.read().decode(); sh.wait()
        client = socket.socket(socket.AF_UNIX)
        try:
            client.connect(path); print('reachable')
        except OSError as e:
            print('gone:', e)
        print(out.strip().splitlines()[-1])
        server.close(); os.unlink(path)
        """
        let r = try Harness.runProgram("/usr/bin/env", ["python3", "-c", peer, path], environment: ["IPCSH": Harness.ipcshPath])
        XCTAssertEqual(r.stdout, "reachable\nclosed\n", r.stderr)
    }

    func testObjectsAForkedChildCreatesAreNamedAtExit() throws {
        let key = makeKey()
        let dir = try makeDirectory()
        let fifo = dir.appendingPathComponent("child.fifo").path
        let socket = dir.appendingPathComponent("child.sock").path
        let r = try Harness.runCommands("""
            fork { s = shm create \(Harness.hex(key)) 128; fifo make \(fifo); sock listen unix:\(socket) }
            wait
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(Harness.segmentExists(key: key))
        // Named as the session's own are, with the child that made them.
        XCTAssertTrue(r.stderr.contains("note: 1 shared memory segment created by this session remains in the kernel:\n  s (made by child pid "), r.stderr)
        XCTAssertTrue(r.stderr.range(of: #"128 bytes — remove with: ipcrm -m \d+\n"#, options: .regularExpression) != nil, r.stderr)
        XCTAssertTrue(r.stderr.contains("note: 1 FIFO made by this session remains: \(fifo) (made by child pid "), r.stderr)
        XCTAssertTrue(r.stderr.contains(" — remove with: rm \(fifo)\n"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "a child's listener file goes with the child")
    }

    func testCleanupRemovesWhatChildrenAndActorsCreated() throws {
        let keys = (makeKey(), makeKey(), makeKey())
        let dir = try makeDirectory()
        let fifo = dir.appendingPathComponent("actor.fifo").path
        let r = try Harness.runCommands("""
            fork { a = shm create \(Harness.hex(keys.0)) 64; fork { b = shm create \(Harness.hex(keys.1)) 64 }; wait }
            actor = fork
            @actor c = shm create \(Harness.hex(keys.2)) 64
            @actor fifo make \(fifo)
            wait child1
            sleep 0.3
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for key in [keys.0, keys.1, keys.2] {
            XCTAssertFalse(Harness.segmentExists(key: key), "\(Harness.hex(key)): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fifo), r.stderr)
        XCTAssertTrue(r.stderr.contains("cleanup: removed FIFO \(fifo) (made by child pid "), r.stderr)
        // One line for the segments, in the order the children's reports arrived.
        let removed = r.stderr.split(separator: "\n").first { $0.hasPrefix("cleanup: removed ") && $0.contains("shmid") } ?? ""
        for name in ["a", "b", "c"] {
            XCTAssertTrue(removed.contains("\(name) (made by child pid "), r.stderr)
        }
    }

    func testShmCreateSurvivesTheKeyBeingRemovedBetweenItsCalls() throws {
        let key = makeKey()
        // A peer creates and removes the key as fast as it can while ipcsh creates-or-opens it.
        let remover = """
        import ctypes, sys, time
        libc = ctypes.CDLL(None, use_errno=True)
        key = int(sys.argv[1], 16); end = time.time() + float(sys.argv[2])
        while time.time() < end:
            i = libc.shmget(ctypes.c_int(key - (1 << 32) if key >= (1 << 31) else key), 64, 0o1600)
            if i >= 0: libc.shmctl(i, 0, None)
        """
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        peer.arguments = ["python3", "-c", remover, Harness.hex(key), "60"]
        try peer.run()
        defer {
            peer.terminate()
            peer.waitUntilExit()
        }
        usleep(200_000)
        let r = try Harness.runCommands("repeat 3000 { shm create \(Harness.hex(key)) 64 }; echo all-created", timeout: 60)
        XCTAssertEqual(r.status, 0, String(r.stderr.prefix(500)))
        XCTAssertTrue(r.stdout.hasSuffix("all-created\n"))
        XCTAssertFalse(r.stderr.contains("ENOENT"), String(r.stderr.prefix(500)))
    }

    func testFifoMakeGivesTheModeAskedForWhateverTheUmask() throws {
        let path = try makeDirectory().appendingPathComponent("open.fifo").path
        let r = try Harness.runProgram("/bin/sh", ["-c", "umask 022; exec \"$0\" -c 'fifo make \(path) --mode 0666'", Harness.ipcshPath])
        XCTAssertEqual(r.status, 0, r.stderr)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(String(mode, radix: 8), "666")
    }

    func testWaitOnAStoppedChildSaysSoInsteadOfHanging() throws {
        let start = Date()
        let r = try Harness.runCommands("run sleep 30; kill child1 STOP; wait child1; echo not-reached", timeout: 30)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.range(of: #"child1 \(pid \d+\) stopped by signal STOP"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stderr.contains("wait: child1 (pid"), r.stderr)
        XCTAssertTrue(r.stderr.contains("is stopped, not ended"), r.stderr)
        XCTAssertFalse(r.stdout.contains("not-reached"))
    }

    func testStatusShowsAStopAndWaitIgnoreStopsWaitsThroughIt() throws {
        let r = try Harness.runCommands("""
            c = fork { sleep 0.5; echo done }
            kill c STOP
            sleep 0.2
            status c
            run sh -c "sleep 0.5; kill -CONT $c.pid"
            wait c --ignore-stops
            """, timeout: 30)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("state    stopped by signal STOP"), r.stdout)
        XCTAssertTrue(r.stdout.contains("done"), r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"c \(pid \d+\) exited with status 0"#, options: .regularExpression) != nil, r.stdout)
    }
}
