import Foundation
import XCTest

/// POSIX message queues, named semaphores and shared memory, file and anonymous mappings,
/// memfd and eventfd (LANGUAGE.md §4), on real kernel objects: ipcsh against itself, a forked
/// child, and Python's `posix_ipc`. Every name is unique to the test (`/ipcsh-test-PID-RANDOM`)
/// and unlinked in teardown, so nothing is left in /dev/shm or /dev/mqueue.
final class PosixIPCTests: IPCTestCase {
    private var names: [String] = []

    /// A fresh POSIX IPC name, unlinked (as queue, semaphore and shared memory) in teardown.
    private func makeName() -> String {
        let name = "/ipcsh-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        names.append(name)
        return name
    }

    override func tearDown() {
        for name in names {
            let base = String(name.dropFirst())
            unlink("/dev/mqueue/\(base)")
            unlink("/dev/shm/sem.\(base)")
            unlink("/dev/shm/\(base)")
        }
        names = []
        super.tearDown()
    }

    private func queueExists(_ name: String) -> Bool { access("/dev/mqueue\(name)", F_OK) == 0 }
    private func semaphoreExists(_ name: String) -> Bool { access("/dev/shm/sem.\(name.dropFirst())", F_OK) == 0 }
    private func sharedMemoryExists(_ name: String) -> Bool { access("/dev/shm\(name)", F_OK) == 0 }

    /// Runs `python3 -c BODY ARGS...` with posix_ipc, mmap, socket, struct and sys imported.
    private func python(_ body: String, _ arguments: [String]) throws -> Harness.Result {
        let script = "import posix_ipc, mmap, socket, struct, sys, os\n" + body
        return try Harness.runProgram("/usr/bin/env", ["python3", "-c", script] + arguments, timeout: 30)
    }

    /// Writes a Python peer script (same imports as `python`) for `run python3 PATH`.
    private func pythonFile(_ body: String) throws -> String {
        let url = try makeDirectory().appendingPathComponent("peer.py")
        try ("import posix_ipc, mmap, socket, struct, sys, os\n" + body).write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    // MARK: message queues

    func testQueueDeliversHighestPriorityFirstAndInOrderWithinAPriority() throws {
        let n = makeName()
        let r = try Harness.runCommands("""
            q = pmq create \(n)
            pmq send q low --prio 1; pmq send q first9 --prio 9; pmq send q mid --prio 5; pmq send q second9 --prio 9
            m = pmq recv q
            echo "got $m.prio/$m.data"
            pmq recv q; pmq recv q; pmq recv q
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = lines(r.stdout).filter { $0.hasPrefix("got ") || $0.hasPrefix("prio ") }
        XCTAssertEqual(out, ["got 9/first9", "prio 9: second9", "prio 5: mid", "prio 1: low"], r.stdout)
        XCTAssertFalse(queueExists(n), "--cleanup left \(n) in /dev/mqueue")
    }

    func testQueueStatCountsWaitingMessagesAndLsMarksTheSessionsQueue() throws {
        let n = makeName()
        let r = try Harness.runCommands("q = pmq create \(n) --maxmsg 4 --msgsize 128; pmq send q a; pmq send q b; pmq stat q; pmq ls",
                                        extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("maxmsg:   4"), r.stdout)
        XCTAssertTrue(r.stdout.contains("msgsize:  128"), r.stdout)
        XCTAssertTrue(r.stdout.contains("curmsgs:  2"), r.stdout)
        let listed = try XCTUnwrap(lines(r.stdout).first { $0.contains(n) && !$0.contains("created") && !$0.hasPrefix("name:") }, r.stdout)
        XCTAssertTrue(listed.hasPrefix("*"), listed)
        XCTAssertTrue(listed.hasSuffix(" q"), listed)
    }

    func testNonblockingReceiveOnAnEmptyQueueFailsWithEAGAIN() throws {
        let n = makeName()
        let r = try Harness.runCommands("q = pmq create \(n); pmq recv q --nonblock; echo not-reached", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("mq_receive: EAGAIN"), r.stderr)
        XCTAssertTrue(r.stderr.contains("empty"), r.stderr)
        XCTAssertFalse(r.stdout.contains("not-reached"), r.stdout)
        XCTAssertFalse(queueExists(n))
    }

    func testTimedReceiveGivesUpWithAClearError() throws {
        let n = makeName()
        let start = Date()
        let r = try Harness.runCommands("q = pmq create \(n); pmq recv q --timeout 300ms; echo not-reached", extra: ["--cleanup"])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no message came to q within 300ms"), r.stderr)
        XCTAssertFalse(r.stdout.contains("not-reached"), r.stdout)
        XCTAssertLessThan(elapsed, 20, "a 300ms timeout took \(elapsed)s")
        // A message that is there is received at once, timeout or not.
        let m = makeName()
        let ok = try Harness.runCommands("q = pmq create \(m); pmq send q here --prio 2; pmq recv q --timeout 5s", extra: ["--cleanup"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("prio 2: here"), ok.stdout)
    }

    func testSendingToAFullQueueAndAnOversizedMessageFailClearly() throws {
        let n = makeName()
        var r = try Harness.runCommands("q = pmq create \(n) --maxmsg 1; pmq send q a; pmq send q b --nonblock", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("mq_send: EAGAIN"), r.stderr)
        XCTAssertTrue(r.stderr.contains("the queue is full"), r.stderr)
        r = try Harness.runCommands("q = pmq create \(n) --maxmsg 1; pmq send q a; pmq send q b --timeout 200ms", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("q stayed full for 200ms"), r.stderr)
        r = try Harness.runCommands("q = pmq create \(n) --msgsize 4; pmq send q abcd; pmq send q abcde", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("mq_send: EMSGSIZE"), r.stderr)
        XCTAssertFalse(queueExists(n))
    }

    func testAStructTravelsAsAMessageBody() throws {
        let n = makeName()
        let r = try Harness.runCommands("""
            struct order { int id; short qty; char item[6]; }
            q = pmq create \(n)
            pmq send q --as order id=77 qty=-3 item=nuts --prio 4
            v = pmq recv q --as order
            expect $v.id == 77; expect $v.qty == -3; expect "$v.item" == nuts
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        // Python, reading the same layout, sees one 12-byte message.
        let send = try Harness.runCommands("struct order { int id; short qty; char item[6]; }; q = pmq open \(n); pmq send q --as order id=5 qty=2 item=bolt")
        XCTAssertEqual(send.status, 0, send.stderr)
        let py = try python("""
            data, prio = posix_ipc.MessageQueue(sys.argv[1]).receive(5)
            i, q, item = struct.unpack("ih6s", data); print(len(data), i, q, item.rstrip(b"\\0").decode())
            """, [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.stdout, "12 5 2 bolt\n")
    }

    func testPythonReceivesWhatIpcshSentByPriority() throws {
        let n = makeName()
        let r = try Harness.runCommands("q = pmq create \(n); pmq send q b1 --prio 2; pmq send q a --prio 7; pmq send q b2 --prio 2; pmq send q c")
        XCTAssertEqual(r.status, 0, r.stderr)
        let py = try python("""
            q = posix_ipc.MessageQueue(sys.argv[1])
            for _ in range(4):
                data, prio = q.receive(5)
                print(prio, data.decode())
            """, [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.stdout, "7 a\n2 b1\n2 b2\n0 c\n")
    }

    func testIpcshReceivesWhatPythonSentByPriority() throws {
        let n = makeName()
        let py = try python("""
            q = posix_ipc.MessageQueue(sys.argv[1], posix_ipc.O_CREX, max_messages=8, max_message_size=64)
            q.send(b"routine", priority=1); q.send(b"urgent", priority=30); q.send(b"normal", priority=10)
            """, [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        let r = try Harness.runCommands("""
            q = pmq open \(n); pmq stat q
            a = pmq recv q; b = pmq recv q; c = pmq recv q
            expect "$a.prio $a.data" == "30 urgent"; expect "$b.prio $b.data" == "10 normal"; expect "$c.prio $c.data" == "1 routine"
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("maxmsg:   8"), r.stdout)
        XCTAssertTrue(r.stdout.contains("curmsgs:  3"), r.stdout)
        // Opened, not created: the exit notice does not claim it.
        XCTAssertFalse(r.stderr.contains("created by this session"), r.stderr)
        XCTAssertTrue(queueExists(n))
    }

    func testOpeningARemovedQueueFailsClearly() throws {
        let n = makeName()
        let r = try Harness.runCommands("q = pmq create \(n); pmq rm \(n); echo removed-ok; q2 = pmq open \(n); echo not-reached")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("removed-ok"), r.stdout)
        XCTAssertFalse(r.stdout.contains("not-reached"), r.stdout)
        XCTAssertTrue(r.stderr.contains("mq_open: ENOENT"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no queue has that name"), r.stderr)
        XCTAssertFalse(queueExists(n))
        // Removed by the session: nothing to mention at exit.
        XCTAssertFalse(r.stderr.contains("remains"), r.stderr)
    }

    // MARK: named semaphores

    func testSemaphoreWaitPostAndValue() throws {
        let n = makeName()
        let r = try Harness.runCommands("""
            s = psem create \(n) 2
            psem wait s; a = psem value s
            psem post s; psem post s; psem post s; b = psem value s
            psem wait s --nonblock; psem wait s --timeout 1s; c = psem value s
            echo "values $a $b $c"
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("values 1 4 2"), r.stdout)
        XCTAssertFalse(semaphoreExists(n))
    }

    func testSemaphoreAtZeroNonblockAndTimeoutFail() throws {
        let n = makeName()
        var r = try Harness.runCommands("s = psem create \(n) 0; psem wait s --nonblock; echo not-reached", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("sem_trywait: EAGAIN"), r.stderr)
        XCTAssertFalse(r.stdout.contains("not-reached"))
        let start = Date()
        r = try Harness.runCommands("s = psem create \(n) 0; psem wait s --timeout 250ms; echo not-reached", extra: ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("s stayed at 0 for 250ms"), r.stderr)
        XCTAssertFalse(r.stdout.contains("not-reached"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        XCTAssertFalse(semaphoreExists(n))
    }

    func testAForkedChildsPostWakesTheWaitingParent() throws {
        let n = makeName()
        let r = try Harness.runCommands("""
            s = psem create \(n) 0
            fork { sleep 200ms; psem post s }
            psem wait s --timeout 20s
            echo woke
            wait all
            v = psem value s; expect $v == 0
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("woke"), r.stdout)
        XCTAssertTrue(r.stdout.contains("exited with status 0"), r.stdout)
    }

    func testSemaphoreInteropWithPython() throws {
        let n = makeName()
        // A Python peer started by ipcsh posts; ipcsh, waiting at 0, wakes.
        let poster = try pythonFile("""
            import time
            s = posix_ipc.Semaphore(sys.argv[1]); time.sleep(0.2); s.release(); print("posted")
            """)
        let r = try Harness.runCommands("""
            s = psem create \(n) 0
            run python3 \(poster) \(n)
            psem wait s --timeout 20s
            echo woke
            wait all
            psem post s; psem post s; psem post s
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("woke"), r.stdout)
        XCTAssertTrue(r.stdout.contains("posted"), r.stdout)
        // Python sees the three posts ipcsh made, and takes them.
        let py = try python("""
            s = posix_ipc.Semaphore(sys.argv[1]); print(s.value)
            for _ in range(3): s.acquire(0)
            try:
                s.acquire(0); print("fourth acquired?!")
            except posix_ipc.BusyError:
                print("busy")
            """, [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.stdout, "3\nbusy\n")
    }

    // MARK: shared memory

    func testPythonWritesSharedMemoryAndIpcshReadsIt() throws {
        let n = makeName()
        let py = try python("""
            m = posix_ipc.SharedMemory(sys.argv[1], posix_ipc.O_CREX, size=4096)
            mm = mmap.mmap(m.fd, m.size); m.close_fd()
            mm[0:16] = b"hello from py\\0\\0\\0"
            mm[64:72] = struct.pack("ii", 42, -7)
            mm.close()
            """, [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        let r = try Harness.runCommands("""
            struct pair { int a; int b; }
            f = pshm open \(n)
            t = read f; expect "$t" == "hello from py"
            v = read f --as pair --at 64; expect $v.a == 42; expect $v.b == -7
            dump f 0 16
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("4096 bytes"), r.stdout)
        XCTAssertTrue(r.stdout.contains("00000000: 6865 6c6c 6f20 6672 6f6d 2070 7900 0000  hello from py..."), r.stdout)
        XCTAssertTrue(sharedMemoryExists(n), "opened, not created: it stays")
    }

    func testIpcshWritesSharedMemoryAndPythonReadsIt() throws {
        let n = makeName()
        let r = try Harness.runCommands("""
            struct rec { int cnt; char tag[8]; double x; }
            f = pshm create \(n) 256
            write f "made by ipcsh"
            write f --as rec cnt=5 tag=abc x=2.5 --at 32
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let py = try python("""
            m = posix_ipc.SharedMemory(sys.argv[1])
            size = m.size  # fstat of the descriptor: before close_fd
            mm = mmap.mmap(m.fd, size); m.close_fd()
            print(size, mm[:mm.find(b"\\0")].decode())
            cnt, tag, x = struct.unpack("i8sd", mm[32:56])
            print(cnt, tag.rstrip(b"\\0").decode(), x)
            """, [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertEqual(py.stdout, "256 made by ipcsh\n5 abc 2.5\n")
    }

    func testAForkedChildsWritesToSharedMemoryAreSeenByTheParent() throws {
        let n = makeName()
        let r = try Harness.runCommands("""
            f = pshm create \(n) 64
            write f before
            fork { write f "from the child" }
            wait all
            t = read f; expect "$t" == "from the child"
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertFalse(sharedMemoryExists(n))
    }

    func testOpeningMissingSharedMemoryFailsClearly() throws {
        let n = makeName()
        let r = try Harness.runCommands("f = pshm open \(n); echo not-reached")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("shm_open: ENOENT"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no POSIX shared memory object has that name"), r.stderr)
        XCTAssertFalse(r.stdout.contains("not-reached"))
        XCTAssertFalse(sharedMemoryExists(n), "pshm open must not create")
    }

    func testAnUnsizedObjectCannotBeMappedAndAnUnlinkedOneStaysUsable() throws {
        let n = makeName()
        let py = try python("posix_ipc.SharedMemory(sys.argv[1], posix_ipc.O_CREX)", [n])
        XCTAssertEqual(py.status, 0, py.stderr)
        let r = try Harness.runCommands("f = pshm open \(n)")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has size 0: nothing to map"), r.stderr)
        // Unlinking removes the name, not the objects a session holds open.
        let m = makeName()
        let held = try Harness.runCommands("""
            f = pshm create \(m) 32; s = psem create \(m) 0; q = pmq create \(m)
            pshm rm \(m); psem rm \(m); pmq rm \(m)
            write f still-here; t = read f; expect "$t" == still-here
            psem post s; v = psem value s; expect $v == 1
            pmq send q kept; x = pmq recv q; expect "$x.data" == kept
            """)
        XCTAssertEqual(held.status, 0, held.stderr + held.stdout)
        XCTAssertFalse(queueExists(m) || semaphoreExists(m) || sharedMemoryExists(m))
        XCTAssertFalse(held.stderr.contains("remains"), "removed objects are not in the exit notice: \(held.stderr)")
    }

    // MARK: Ctrl-C

    /// A receive on an empty queue and a wait on a semaphore at 0 block forever; SIGINT ends
    /// each (exit 130 in a non-interactive run), and --cleanup still unlinks what was created.
    func testCtrlCInterruptsABlockedReceiveAndWait() throws {
        for (make, block) in [("q = pmq create", "pmq recv q"), ("s = psem create", "psem wait s")] {
            let n = makeName()
            let shell = try BackgroundProgram(Harness.ipcshPath, ["--cleanup", "-c", "\(make) \(n); echo started; \(block); echo not-reached"])
            defer { shell.stop() }
            var line = shell.readLine()
            while let l = line, l != "started" { line = shell.readLine() }
            XCTAssertEqual(line, "started", block)
            XCTAssertTrue(queueExists(n) || semaphoreExists(n))
            usleep(200_000) // let it enter the call
            kill(shell.pid, SIGINT)
            XCTAssertEqual(shell.wait(timeout: 10), 130, block)
            var rest: [String] = []
            while let l = shell.readLine(timeout: 1) { rest.append(l) }
            XCTAssertFalse(rest.contains("not-reached"), "\(block): \(rest)")
            XCTAssertFalse(queueExists(n) || semaphoreExists(n), "\(block): --cleanup after Ctrl-C")
        }
    }

    // MARK: exit notice and --cleanup

    func testExitNoticeNamesCreatedObjectsAndCleanupRemovesThem() throws {
        let (q, s, f) = (makeName(), makeName(), makeName())
        let script = "q = pmq create \(q); s = psem create \(s) 1; f = pshm create \(f) 128"
        let kept = try Harness.runCommands(script)
        XCTAssertEqual(kept.status, 0, kept.stderr)
        XCTAssertTrue(queueExists(q) && semaphoreExists(s) && sharedMemoryExists(f))
        XCTAssertTrue(kept.stderr.contains("rm /dev/mqueue/\(q.dropFirst())"), kept.stderr)
        XCTAssertTrue(kept.stderr.contains("rm /dev/shm/sem.\(s.dropFirst())"), kept.stderr)
        XCTAssertTrue(kept.stderr.contains("rm /dev/shm/\(f.dropFirst())"), kept.stderr)
        // Opening them again is not creating them: no notice.
        let reopened = try Harness.runCommands("q = pmq open \(q); s = psem open \(s); f = pshm open \(f)")
        XCTAssertEqual(reopened.status, 0, reopened.stderr)
        XCTAssertFalse(reopened.stderr.contains("remains"), reopened.stderr)
        // With --cleanup, the same objects made afresh are gone at exit.
        for name in [q] { unlink("/dev/mqueue/\(name.dropFirst())") }
        unlink("/dev/shm/sem.\(s.dropFirst())"); unlink("/dev/shm/\(f.dropFirst())")
        let cleaned = try Harness.runCommands(script, extra: ["--cleanup"])
        XCTAssertEqual(cleaned.status, 0, cleaned.stderr)
        XCTAssertFalse(queueExists(q) || semaphoreExists(s) || sharedMemoryExists(f), cleaned.stdout + cleaned.stderr)
        let all = cleaned.stdout + cleaned.stderr
        for (handle, name) in [("q", q), ("s", s), ("f", f)] {
            XCTAssertTrue(all.contains("cleanup: removed \(handle) (\(name))"), all)
        }
    }

    // MARK: file mappings

    func testSharedFileMappingWritesReachTheFileFromParentAndChild() throws {
        let path = try makeDirectory().appendingPathComponent("shared.bin").path
        let r = try Harness.runCommands("""
            m = mmap \(path) 64 --shared
            write m parent
            fork { write m child-was-here --at 16 }
            wait all
            t = read m --at 16; expect "$t" == "child-was-here"
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(data.count, 64, "created and sized")
        XCTAssertEqual(String(decoding: data[0..<6], as: UTF8.self), "parent")
        XCTAssertEqual(data[6], 0)
        XCTAssertEqual(String(decoding: data[16..<30], as: UTF8.self), "child-was-here")
    }

    func testPrivateFileMappingIsCopyOnWrite() throws {
        let path = try makeDirectory().appendingPathComponent("private.bin").path
        var original = Data("original".utf8)
        original.append(Data(count: 56))
        try original.write(to: URL(fileURLWithPath: path))
        let r = try Harness.runCommands("""
            p = mmap \(path) 64 --private
            t = read p; expect "$t" == "original"
            fork { write p kid; read p }
            wait all
            t = read p; expect "$t" == "original"
            write p parent
            t = read p; expect "$t" == "parent"
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("] kid"), "the child reads its own write: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("MAP_PRIVATE"), r.stdout)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(data, original, "neither the child's nor the parent's private write reaches the file")
    }

    // MARK: memfd

    func testMemfdRegionIsListedByFds() throws {
        let r = try Harness.runCommands("""
            mf = memfd frame 4096
            write mf "in memory"
            t = read mf; expect "$t" == "in memory"
            fork { write mf "child wrote" --at 100 }
            wait all
            t = read mf --at 100; expect "$t" == "child wrote"
            fds
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let row = try XCTUnwrap(lines(r.stdout).first { $0.contains("/memfd:frame") }, r.stdout)
        XCTAssertTrue(row.hasSuffix("mf"), row)
    }

    func testMemfdPassedOverAUnixSocketToAPythonPeer() throws {
        let dir = try makeDirectory()
        let socketPath = dir.appendingPathComponent("s").path
        // The peer connects, receives the descriptor, reads what ipcsh wrote, and writes back.
        let peer = try pythonFile("""
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(20)
            c.connect(sys.argv[1])
            msg, fds, flags, addr = socket.recv_fds(c, 16, 1)
            fd = fds[0]
            mm = mmap.mmap(fd, os.fstat(fd).st_size)
            print("peer read:", mm[:mm.find(b"\\0")].decode(), "size", os.fstat(fd).st_size, "link", os.readlink(f"/proc/self/fd/{fd}"))
            mm[512:524] = b"peer reply\\0\\0"
            mm.close(); os.close(fd); c.close()
            """)
        let r = try Harness.runCommands("""
            mf = memfd frame 4096
            write mf "passed by fd"
            u = sock listen unix:\(socketPath)
            run python3 \(peer) \(socketPath)
            c = sock accept u
            sock sendfd c mf
            wait all --timeout 20s
            t = read mf --at 512; expect "$t" == "peer reply"
            """)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("peer read: passed by fd size 4096 link /memfd:frame"), r.stdout)
    }

    // MARK: eventfd

    func testEventfdAddsWritesAndReadTakesTheWholeCount() throws {
        let r = try Harness.runCommands("e = eventfd; write e 3; write e 4; v = read e; echo \"count $v\"; read e --nonblock")
        XCTAssertEqual(r.status, 1, "the second read finds 0 and does not wait")
        XCTAssertTrue(r.stdout.contains("count 7"), r.stdout)
        XCTAssertTrue(r.stderr.contains("read: EAGAIN"), r.stderr)
        XCTAssertTrue(r.stderr.contains("an eventfd at 0"), "the hint fits an eventfd too: \(r.stderr)")
        let initial = try Harness.runCommands("e = eventfd 5; write e 1; read e")
        XCTAssertEqual(initial.status, 0, initial.stderr)
        XCTAssertEqual(lines(initial.stdout).last, "6")
    }

    func testSemaphoreEventfdReadsOneAtATime() throws {
        let r = try Harness.runCommands("""
            e = eventfd 2 --semaphore; write e 1
            a = read e; b = read e; c = read e
            echo "reads $a $b $c"
            read e --nonblock
            """)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("EFD_SEMAPHORE"), r.stdout)
        XCTAssertTrue(r.stdout.contains("reads 1 1 1"), r.stdout)
        XCTAssertTrue(r.stderr.contains("EAGAIN"), r.stderr)
    }

    func testEventfdRejectsBadValues() throws {
        for value in ["0", "-1", "abc", "18446744073709551615"] {
            let r = try Harness.runCommands("e = eventfd; write e \(value); echo not-reached")
            XCTAssertEqual(r.status, 1, "write e \(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("an eventfd takes a count from 1 to"), r.stderr)
            XCTAssertTrue(r.stderr.contains("'\(value)'"), r.stderr)
            XCTAssertFalse(r.stdout.contains("not-reached"))
        }
        for value in ["-1", "abc"] {
            let r = try Harness.runCommands("e = eventfd \(value)")
            XCTAssertEqual(r.status, 1, "eventfd \(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("eventfd: VALUE '\(value)' is not a whole number"), r.stderr)
        }
    }

    // MARK: bad input

    func testBadNamesSizesAndTimeoutsAreClearErrors() throws {
        let n = makeName()
        let cases: [(String, String)] = [
            ("pmq create orders", "'orders' is not a POSIX IPC name"),
            ("psem create /a/b", "/a/b has a / after the first"),
            ("pshm create / 64", "'/' is not a POSIX IPC name"),
            ("pshm create \(n) 0", "SIZE must be at least 1 byte"),
            ("pshm create \(n) -4", "sizes cannot be negative"),
            ("memfd x 0", "SIZE must be at least 1 byte"),
            ("mmap /tmp/ipcsh-never-made 0", "SIZE must be at least 1 byte"),
            ("pmq create \(n) --maxmsg 0", "--maxmsg and --msgsize must be at least 1"),
            ("q = pmq create \(n); pmq recv q --timeout -1s", "is not a duration"),
            ("s = psem create \(n); psem wait s --timeout -1s", "is not a duration"),
        ]
        for (command, message) in cases {
            let r = try Harness.runCommands(command, extra: ["--cleanup"])
            XCTAssertEqual(r.status, 1, "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(command): \(r.stderr)")
        }
        XCTAssertFalse(queueExists(n) || semaphoreExists(n) || sharedMemoryExists(n))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/ipcsh-never-made"))
    }

    // MARK: trace

    func testTraceShowsThePOSIXCallsInCSyntax() throws {
        let n = makeName()
        let path = try makeDirectory().appendingPathComponent("t.bin").path
        let r = try Harness.runCommands("""
            trace on
            q = pmq create \(n); pmq send q hi --prio 3; pmq recv q
            s = psem create \(n) 1; psem wait s; psem post s
            f = pshm create \(n) 64
            m = mmap \(path) 32 --private
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let trace = r.stderr
        for expected in [
            "mq_open(\"\(n)\", O_RDWR|O_CREAT|O_EXCL, 0600, NULL) = ",
            "mq_send(", ", \"hi\", 2, 3) = 0",
            "mq_receive(", ", \"hi\", 8192, [3]) = 2",
            "sem_open(\"\(n)\", O_CREAT|O_EXCL, 0600, 1) = 0x",
            "sem_wait(0x", "sem_post(0x",
            "shm_open(\"\(n)\", O_RDWR|O_CREAT|O_EXCL, 0600) = ",
            "ftruncate(", ", 64) = 0",
            "mmap(NULL, 64, PROT_READ|PROT_WRITE, MAP_SHARED, ",
            "mmap(NULL, 32, PROT_READ|PROT_WRITE, MAP_PRIVATE, ",
            "mq_unlink(\"\(n)\") = 0", "sem_unlink(\"\(n)\") = 0", "shm_unlink(\"\(n)\") = 0",
        ] {
            XCTAssertTrue(trace.contains(expected), "missing \(expected) in:\n\(trace)")
        }
    }
}
