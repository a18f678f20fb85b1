import Foundation
import XCTest

/// `sem ...` on real System V semaphore sets, with Python's `sysv_ipc` and a C peer
/// (Peers/sem_peer.c): waits that a peer's post ends, SEM_UNDO when a process dies, semncnt
/// while someone waits, atomic multi-operation semop, timeouts and Ctrl-C, bad input, trace
/// lines, the exit notice and `--cleanup`.
final class SemaphoreTests: SystemVTestCase {
    private func semPeer() throws -> String { try Harness.compilePeer("sem_peer") }

    // MARK: waiting for a peer

    func testAWaitBlocksUntilPythonPosts() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let shell = try background("s = sem create \(k) 1; echo ready; sem wait s; echo \"got it\"; sem get s 0")
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "semtimedop"), "ipcsh never blocked in semop")
        // Python sees ipcsh waiting (semncnt), then posts.
        let py = try Harness.runPython("""
            import sys, sysv_ipc
            s = sysv_ipc.Semaphore(int(sys.argv[1], 0))
            print(s.value, s.waiting_for_nonzero)
            s.release()
            """, [k])
        XCTAssertEqual(py.stdout, "0 1\n", py.stderr)
        XCTAssertEqual(readLine(from: shell) { !$0.contains("created") }, "got it")
        XCTAssertEqual(readLine(from: shell) { _ in true }, "0", "ipcsh took what Python gave")
        XCTAssertEqual(shell.wait(), 0)
    }

    func testPythonBlockedInAcquireIsWokenByIpcshsPost() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try ipcsh("sem create \(k) 1").status, 0)
        let py = try BackgroundProgram("/usr/bin/env", ["python3", "-c", """
            import sys, sysv_ipc
            s = sysv_ipc.Semaphore(int(sys.argv[1], 0))
            print('waiting', flush=True)
            s.acquire()
            print('acquired', s.value, flush=True)
            """, k])
        peers.append(py)
        XCTAssertEqual(py.readLine(), "waiting")
        XCTAssertTrue(Harness.waitUntilBlocked(py.pid, in: "semtimedop"))
        let r = try ipcsh("s = sem open \(k); sem stat s; sem post s")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\n0: value 0  ncnt 1  zcnt 0  pid "), r.stdout)
        XCTAssertEqual(py.readLine(), "acquired 0")
        XCTAssertEqual(py.wait(), 0)
    }

    func testACPeerBlockedInSemopIsWokenByIpcshsPostOfItsSemaphore() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try ipcsh("sem create \(k) 3").status, 0)
        let peer = try BackgroundProgram(try semPeer(), ["op", k, "2", "-2"])
        peers.append(peer)
        XCTAssertEqual(peer.readLine(), "waiting")
        XCTAssertTrue(Harness.waitUntilBlocked(peer.pid, in: "semtimedop"))
        // Posts to other semaphores, and one too few to this one, leave it waiting.
        var r = try ipcsh("s = sem open \(k); sem post s 0; sem post s 1; sem post s 2; sem stat s")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\n2: value 1  ncnt 1  zcnt 0  pid "), r.stdout)
        XCTAssertTrue(Harness.waitUntilBlocked(peer.pid, in: "semtimedop"))
        r = try ipcsh("s = sem open \(k); sem op s 2+1; sem get s")
        XCTAssertEqual(peer.readLine(), "done")
        XCTAssertEqual(peer.wait(), 0)
        // The peer's -2 was done as part of the post that woke it.
        XCTAssertEqual(Self.lines(r.stdout).dropLast().last, "1 1 0", r.stdout)
    }

    func testIpcshSeesACPeersWaitForZeroInZcnt() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try ipcsh("sem create \(k) 1 --value 2").status, 0)
        let peer = try BackgroundProgram(try semPeer(), ["op", k, "0", "0"])
        peers.append(peer)
        XCTAssertEqual(peer.readLine(), "waiting")
        XCTAssertTrue(Harness.waitUntilBlocked(peer.pid, in: "semtimedop"))
        let r = try ipcsh("s = sem open \(k); sem stat s; sem op s 0-2")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\n0: value 2  ncnt 0  zcnt 1  pid "), r.stdout)
        XCTAssertEqual(peer.readLine(), "done")
        XCTAssertEqual(peer.wait(), 0)
    }

    func testSemopOfSeveralOperationsIsAllOrNothing() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        // 0 is 1, 1 is 0: "take from 0 and from 1" must wait, and must not take from 0 meanwhile.
        let shell = try background("s = sem create \(k) 2 --value 1; sem set s 1 0; echo ready; sem op s 0-1 1-1; echo both; sem get s")
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "semtimedop"))
        XCTAssertEqual(try Harness.runProgram(try semPeer(), ["get", k, "0"]).stdout, "value 1 ncnt 0 zcnt 0\n",
                       "semaphore 0 is untouched while the whole operation waits")
        XCTAssertEqual(try Harness.runProgram(try semPeer(), ["get", k, "1"]).stdout, "value 0 ncnt 1 zcnt 0\n")
        XCTAssertEqual(try Harness.runProgram(try semPeer(), ["op", k, "1", "1"]).status, 0)
        XCTAssertEqual(readLine(from: shell) { $0 == "both" }, "both")
        XCTAssertEqual(readLine(from: shell) { _ in true }, "0 0")
        XCTAssertEqual(shell.wait(), 0)
    }

    // MARK: SEM_UNDO

    func testUndoGivesBackTheLockOfAChildThatDiesAndWithoutItTheLockStaysTaken() throws {
        let r = try ipcsh("""
            lock = sem create private 1 --value 1
            fork { sem wait lock 0 --undo; v = sem get lock 0; echo "child holds it: $v" }
            wait
            v = sem get lock 0
            echo "after the undo child: $v"
            sem wait lock 0 --nowait
            sem post lock 0
            fork { sem wait lock 0; echo taken }
            wait
            v = sem get lock 0
            echo "after the plain child: $v"
            sem wait lock 0 --timeout 300ms
            echo NOT-REACHED
            """, ["--cleanup"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("after the undo child: 1\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("after the plain child: 0\n"), r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"\[child1 \d+\] child holds it: 0\n"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stderr.contains("-c:12:1: error: sem wait: lock did not allow 0-1 within 300ms"), r.stderr)
        XCTAssertFalse(r.stdout.contains("NOT-REACHED"))
    }

    func testUndoOfACPeerKilledWhileHoldingTheLock() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try ipcsh("sem create \(k) 1 --value 1").status, 0)
        for undo in [true, false] {
            let peer = try BackgroundProgram(try semPeer(), ["op", k, "0", "-1", undo ? "undo" : "", "hold"])
            peers.append(peer)
            XCTAssertEqual(peer.readLine(), "waiting")
            XCTAssertEqual(peer.readLine(), "done")
            var r = try ipcsh("s = sem open \(k); sem get s 0")
            XCTAssertEqual(Self.lines(r.stdout).dropLast().last, "0", "the peer holds the lock")
            kill(peer.pid, SIGKILL)
            peer.wait()
            r = try ipcsh("s = sem open \(k); sem get s 0")
            XCTAssertEqual(Self.lines(r.stdout).dropLast().last, undo ? "1" : "0",
                           undo ? "the kernel undid the killed peer's -1" : "nothing undoes it without SEM_UNDO")
        }
    }

    func testIpcshsUndoIsReversedWhenIpcshExits() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let r = try ipcsh("s = sem create \(k) 2 --value 3; sem op s 0-2 1+4 --undo; sem get s")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Self.lines(r.stdout).dropLast().last, "1 7")
        XCTAssertEqual(try Harness.runProgram(try semPeer(), ["get", k, "0"]).stdout, "value 3 ncnt 0 zcnt 0\n")
        XCTAssertEqual(try Harness.runProgram(try semPeer(), ["get", k, "1"]).stdout, "value 3 ncnt 0 zcnt 0\n")
    }

    // MARK: semncnt with actors

    /// `@a sem wait s 1` in an actor: `sem stat` in the shell shows ncnt 1 on semaphore 1 while
    /// it waits (the kernel's count, read by the C peer too), and 0 once the shell posts.
    func testSemStatShowsAnActorWaitingInNcnt() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let shell = try BackgroundProgram(Harness.ipcshPath, ["--cleanup"], standardError: true)
        peers.append(shell)
        shell.send("s = sem create \(k) 2; a = fork")
        let actor = try XCTUnwrap(readLine(from: shell) { $0.hasPrefix("a: actor pid ") })
        let actorPID = try XCTUnwrap(Int32(actor.dropFirst("a: actor pid ".count).prefix { $0.isNumber }), actor)
        shell.send("@a sem wait s 1")
        XCTAssertTrue(Harness.waitUntilBlocked(actorPID, in: "semtimedop"), "the actor never blocked in semop")
        XCTAssertEqual(try Harness.runProgram(try semPeer(), ["get", k, "1"]).stdout, "value 0 ncnt 1 zcnt 0\n")
        shell.send("sem stat s; echo stat-done")
        var stat: [String] = []
        _ = readLine(from: shell) { line in stat.append(line); return line == "stat-done" }
        XCTAssertTrue(stat.contains("nsems:    2"), "\(stat)")
        XCTAssertTrue(stat.contains { $0.hasPrefix("0: value 0  ncnt 0  zcnt 0  pid ") }, "\(stat)")
        XCTAssertTrue(stat.contains { $0.hasPrefix("1: value 0  ncnt 1  zcnt 0  pid ") }, "\(stat)")
        // The post wakes the actor, which takes it: value 0 again, nobody waiting, and the
        // last process to operate on semaphore 1 is the actor.
        shell.send("sem post s 1; @a echo a-went-on")
        shell.send("wait a")
        XCTAssertNotNil(readLine(from: shell) { $0.hasSuffix("] a-went-on") })
        XCTAssertNotNil(readLine(from: shell) { $0.hasPrefix("a (pid \(actorPID)) exited with status 0") })
        shell.send("sem stat s; echo stat-done")
        stat = []
        _ = readLine(from: shell) { line in stat.append(line); return line == "stat-done" }
        XCTAssertTrue(stat.contains("1: value 0  ncnt 0  zcnt 0  pid \(actorPID)"), "\(stat)")
        shell.stop()
        XCTAssertFalse(Harness.semaphoreSetExists(key: key), "--cleanup removed it")
    }

    // MARK: timeouts and Ctrl-C

    func testTimeoutEndsAWaitWithAClearError() throws {
        let r = try ipcsh("s = sem create private 2 --value 1; sem set s 1 0; sem op s 0-1 1-1 --timeout 300ms; echo NOT-REACHED", ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error: sem op: s did not allow 0-1 1-1 within 300ms"), r.stderr)
        XCTAssertFalse(r.stdout.contains("NOT-REACHED"))
        XCTAssertFalse(Harness.semaphoreSetExists(id: try id("semid", in: r.stdout)))
    }

    func testTimeoutIsSemtimedopInTheTrace() throws {
        let r = try ipcsh("trace on; s = sem create private 1; sem wait s --timeout 200ms", ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        let id = try id("semid", in: r.stdout)
        XCTAssertTrue(r.stderr.range(of: "semtimedop\\(\(id), \\[\\{0, -1, 0\\}\\], 1, \\{0, \\d+\\}\\) = -1 EAGAIN", options: .regularExpression) != nil,
                      r.stderr)
    }

    func testCtrlCEndsABlockedWaitWithStatus130() throws {
        try interruptBlocked("s = sem create private 1; echo ready; sem wait s; echo NOT-REACHED")
    }

    func testCtrlCEndsAnOperationThatHasATimeout() throws {
        try interruptBlocked("s = sem create private 2; echo ready; sem op s 1=0 0-1 --undo --timeout 60s; echo NOT-REACHED")
    }

    func testCtrlCEndsAWaitForZero() throws {
        try interruptBlocked("s = sem create private 1 --value 1; echo ready; sem op s 0=0; echo NOT-REACHED")
    }

    private func interruptBlocked(_ commands: String) throws {
        let shell = try background(commands, ["--cleanup"])
        let created = try XCTUnwrap(readLine(from: shell) { $0.contains("semid") })
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "semtimedop"), "never blocked in semop")
        kill(shell.pid, SIGINT)
        var rest: [String] = []
        while let line = shell.readLine(timeout: 10) { rest.append(line) }
        XCTAssertEqual(shell.wait(), 130, rest.joined(separator: "\n"))
        XCTAssertTrue(rest.contains("warning: interrupted"), "\(rest)")
        XCTAssertFalse(rest.contains("NOT-REACHED"), "\(rest)")
        XCTAssertFalse(Harness.semaphoreSetExists(id: try id("semid", in: created)))
    }

    // MARK: bad input

    func testBadInputIsAClearErrorNeverACrash() throws {
        let cases: [(String, String)] = [
            ("sem wait s 2", "sem wait: s has no semaphore 2 (it has 2: 0 to 1)"),
            ("sem post s 9", "sem post: s has no semaphore 9 (it has 2: 0 to 1)"),
            ("sem op s 0-1 2+1", "sem op: s has no semaphore 2 (it has 2: 0 to 1)"),
            ("sem set s 2 1", "sem set: s has no semaphore 2 (it has 2: 0 to 1)"),
            ("sem get s 5", "sem get: s has no semaphore 5 (it has 2: 0 to 1)"),
            ("sem set s 0 32768", "sem set: 32768 is above the kernel's maximum semaphore value (SEMVMX, 32767)"),
            ("sem op s 0+32768", "sem op: '0+32768': 32768 is above the kernel's maximum semaphore value (SEMVMX, 32767)"),
            ("sem op s 0x1", "sem op: '0x1' is not an operation"),
            ("sem op s a-1", "sem op: 'a-1' is not an operation"),
            ("sem op s 0*1", "sem op: '0*1' is not an operation"),
            ("sem op s 0-", "sem op: '0-' is not an operation"),
            ("sem op s -1", "sem op: '-1' is not an operation"),
            ("sem op s 0=1", "sem op: '0=1': only N=0 (wait until N is 0) exists"),
            ("sem op s 0+0", "sem op: '0+0' changes nothing"),
            ("sem op s", "sem op: missing"),
            ("sem set s 0 -1", "sem set: VALUE '-1' is not a whole number of 0 or more"),
        ]
        for (command, message) in cases {
            let r = try ipcsh("s = sem create private 2; \(command); echo NOT-REACHED", ["--cleanup"])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("error: " + message) && r.stderr.hasPrefix("-c:1:"), "\(command): \(r.stderr)")
            XCTAssertFalse(r.stdout.contains("NOT-REACHED"), command)
            XCTAssertTrue(r.stderr.contains("cleanup: removed s"), "\(command): \(r.stderr)")
        }
        // Refused before any semget: nothing made.
        for (command, message) in [("sem create private 0", "sem create: NSEMS must be at least 1"),
                                   ("sem create private 1 --value 32768", "sem create: --value 32768 is above the kernel's maximum semaphore value (SEMVMX, 32767)")] {
            let r = try ipcsh(command)
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("-c:1:1: error: " + message), "\(command): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", command)
            XCTAssertFalse(r.stderr.contains("remain"), r.stderr)
        }
        // The largest value is accepted; a post above it is the kernel's ERANGE, and the value stays.
        let max = try ipcsh("s = sem create private 1 --value 32767; sem get s 0", ["--cleanup"])
        XCTAssertEqual(max.status, 0, max.stderr)
        XCTAssertTrue(max.stdout.hasSuffix("\n32767\n"), max.stdout)
        let over = try ipcsh("s = sem create private 1 --value 32767; sem post s", ["--cleanup", "--keep-going"])
        XCTAssertEqual(over.status, 1)
        XCTAssertTrue(over.stderr.contains("error: semop: ERANGE (Numerical result out of range)\n  a value would go above the kernel's maximum (SEMVMX, 32767)"),
                      over.stderr)
    }

    func testASetThisSessionRemovedIsRefused() throws {
        for command in ["sem wait s", "sem post s", "sem op s 0+1", "sem get s", "sem set s 0 1", "sem stat s", "sem rm s"] {
            let r = try ipcsh("s = sem create private 1; sem rm s; \(command)")
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("s was removed") || r.stderr.contains("s was already removed"), "\(command): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("ipcrm"), r.stderr)
        }
    }

    func testASetAnotherProcessRemovedIsEINVAL() throws {
        for command in ["sem post s", "sem get s", "sem set s 0 1", "sem stat s"] {
            let r = try ipcsh("s = sem create private 1\nrun ipcrm -s $s.semid\nwait\n\(command)")
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("EINVAL (Invalid argument)\n  the set is gone"), "\(command): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("remain"), r.stderr)
        }
    }

    func testASetRemovedWhileAWaitBlocksIsEIDRM() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let shell = try background("s = sem create \(k) 1; echo ready; sem wait s")
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "semtimedop"))
        let py = try Harness.runPython("import sys, sysv_ipc; sysv_ipc.Semaphore(int(sys.argv[1], 0)).remove()", [k])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertNotNil(readLine(from: shell) { $0.hasSuffix("error: semop: EIDRM (Identifier removed)") })
        XCTAssertEqual(readLine(from: shell) { _ in true }, "  the set was removed while this operation waited")
        XCTAssertEqual(shell.wait(), 1)
    }

    // MARK: trace

    func testTraceShowsSemopInCSyntax() throws {
        let r = try ipcsh("trace on; s = sem create private 2 --value 1; sem wait s 0 --undo; sem op s 1-1 0+2 --nowait; sem get s", ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let id = try id("semid", in: r.stdout)
        let trace = Self.lines(r.stderr)
        XCTAssertTrue(trace.contains("semget(IPC_PRIVATE, 2, IPC_CREAT|IPC_EXCL|0600) = \(id)"), r.stderr)
        XCTAssertTrue(trace.contains("semctl(\(id), 0, SETALL, [1, 1]) = 0"), r.stderr)
        XCTAssertTrue(trace.contains("semop(\(id), [{0, -1, SEM_UNDO}], 1) = 0"), r.stderr)
        XCTAssertTrue(trace.contains("semop(\(id), [{1, -1, IPC_NOWAIT}, {0, 2, IPC_NOWAIT}], 2) = 0"), r.stderr)
        XCTAssertTrue(trace.contains("semctl(\(id), 0, GETALL, [2, 0]) = 0"), r.stderr)
        XCTAssertTrue(trace.contains("semctl(\(id), 0, IPC_RMID) = 0"), r.stderr)
    }

    /// A wait of over a second (ipcsh's timer interrupts the call every 500 ms to look for
    /// Ctrl-C) is one semop in the trace, with the result that ended it.
    func testTraceShowsALongWaitAsOneCall() throws {
        let r = try ipcsh("trace on; s = sem create private 1; fork { sleep 1200ms; sem post s }; sem wait s; wait", ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let id = try id("semid", in: r.stdout)
        XCTAssertEqual(Self.lines(r.stderr).filter { $0.hasPrefix("semop(") }, ["semop(\(id), [{0, -1, 0}], 1) = 0"], r.stderr)
        XCTAssertTrue(r.stderr.range(of: "\\[child1 \\d+\\] semop\\(\(id), \\[\\{0, 1, 0\\}\\], 1\\) = 0", options: .regularExpression) != nil,
                      r.stderr)
    }

    // MARK: the session's sets

    func testExitNoticeNamesSetsIncludingAForkedChildsAndIpcrmRemovesThem() throws {
        let r = try ipcsh("s = sem create private 3; fork { inner = sem create private 1 }; wait")
        XCTAssertEqual(r.status, 0, r.stderr)
        let ids = Self.ids(after: "semid", in: r.stdout)
        XCTAssertEqual(ids.count, 2, r.stdout)
        XCTAssertTrue(r.stderr.contains("note: 2 semaphore sets created by this session remain in the kernel:\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("  s: key private, semid \(ids[0]), 3 semaphores — remove with: ipcrm -s \(ids[0])\n"), r.stderr)
        XCTAssertTrue(r.stderr.range(of: "  inner \\(made by child pid \\d+\\): key private, semid \(ids[1]), 1 semaphore — remove with: ipcrm -s \(ids[1])\n",
                                     options: .regularExpression) != nil, r.stderr)
        for id in ids {
            XCTAssertTrue(Harness.semaphoreSetExists(id: id))
            let rm = try Harness.runProgram("/usr/bin/env", ["ipcrm", "-s", String(id)])
            XCTAssertEqual(rm.status, 0, rm.stderr)
            XCTAssertFalse(Harness.semaphoreSetExists(id: id))
        }
    }

    func testCleanupRemovesCreatedSetsIncludingAForkedChildsButNotOpenedOnes() throws {
        let opened = makeKey()
        XCTAssertEqual(try ipcsh("sem create \(Harness.hex(opened)) 1").status, 0)
        let r = try ipcsh("cleanup on; s = sem create private 1; o = sem open \(Harness.hex(opened)); fork { inner = sem create private 2 }; wait")
        XCTAssertEqual(r.status, 0, r.stderr)
        let ids = Self.ids(after: "semid", in: r.stdout)
        XCTAssertEqual(ids.count, 3, r.stdout)
        XCTAssertTrue(r.stderr.range(of: #"cleanup: removed s \(key private, semid \d+\), inner \(made by child pid \d+, key private, semid \d+\)"#,
                                     options: .regularExpression) != nil, r.stderr)
        XCTAssertFalse(Harness.semaphoreSetExists(id: ids[0]))
        XCTAssertFalse(Harness.semaphoreSetExists(id: ids[2]))
        XCTAssertTrue(Harness.semaphoreSetExists(key: opened))
    }

    func testSemLsAndIpcsMarkThisSessionsSets() throws {
        let mine = makeKey(), theirs = makeKey()
        let py = try Harness.runPython("import sys, sysv_ipc; sysv_ipc.Semaphore(int(sys.argv[1], 0), sysv_ipc.IPC_CREX, 0o640)",
                                       [Harness.hex(theirs)])
        XCTAssertEqual(py.status, 0, py.stderr)
        let r = try ipcsh("locks = sem create \(Harness.hex(mine)) 4; sem ls; ipcs", ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = Self.lines(r.stdout)
        XCTAssertTrue(lines.contains("  key        semid      owner      perms      nsems      handle"), r.stdout)
        let mineHex = Harness.hex(mine), theirsHex = Harness.hex(theirs)
        let marked = lines.filter { $0.hasPrefix("* \(mineHex) ") }
        XCTAssertEqual(marked.count, 1, r.stdout)
        XCTAssertEqual(marked.first?.split(separator: " ").suffix(3), ["600", "4", "locks"], r.stdout)
        let other = try XCTUnwrap(lines.first { $0.hasPrefix("  \(theirsHex) ") }, r.stdout)
        XCTAssertEqual(other.split(separator: " ").suffix(2), ["640", "1"], other)
        // ipcs: the set under "Semaphore Arrays", named; the other not.
        let section = try XCTUnwrap(r.stdout.range(of: "------ Semaphore Arrays --------\n"))
        let ipcsLines = Self.lines(String(r.stdout[section.upperBound...]))
        XCTAssertTrue(ipcsLines.contains { $0.hasPrefix("\(mineHex) ") && $0.hasSuffix(" locks") }, r.stdout)
        XCTAssertTrue(ipcsLines.contains { $0.hasPrefix("\(theirsHex) ") && $0.hasSuffix(" 1") }, r.stdout)
    }
}
