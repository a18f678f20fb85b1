import Foundation
import XCTest

/// `mq ...` on real System V message queues, with Python's `sysv_ipc` and a C peer
/// (Peers/msg_peer.c) on the other end: messages by type both ways, blocked receives woken by
/// a peer, timeouts and Ctrl-C, bad input, trace lines, the exit notice and `--cleanup`.
final class MessageQueueTests: SystemVTestCase {
    private func msgPeer() throws -> String { try Harness.compilePeer("msg_peer") }

    // MARK: by type, both ways

    func testPythonReceivesByTypeWhatIpcshSent() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let r = try ipcsh("q = mq create \(k); mq send q 30 thirty; mq send q 10 ten; mq send q 20 twenty; mq send q 10 \"ten again\"")
        XCTAssertEqual(r.status, 0, r.stderr)
        let py = try Harness.runPython("""
            import sys, sysv_ipc
            q = sysv_ipc.MessageQueue(int(sys.argv[1], 0))
            print(q.current_messages)
            for t in (20, -15, 0, 0):
                data, typ = q.receive(type=t)
                print(typ, data.decode())
            print(q.last_send_pid > 0, q.current_messages)
            q.remove()
            """, [k])
        XCTAssertEqual(py.status, 0, py.stderr)
        // 20: the first of type 20; -15: the lowest type up to 15 (10, the first of them); then in order.
        XCTAssertEqual(py.stdout, "4\n20 twenty\n10 ten\n30 thirty\n10 ten again\nTrue 0\n")
    }

    func testIpcshReceivesByTheKernelsTypeRulesWhatPythonSent() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let py = try Harness.runPython("""
            import sys, sysv_ipc
            q = sysv_ipc.MessageQueue(int(sys.argv[1], 0), sysv_ipc.IPC_CREX, 0o600)
            for typ, text in ((5, 'five'), (3, 'three'), (7, 'seven'), (3, 'three again'), (9, 'nine')):
                q.send(text.encode(), type=typ)
            """, [k])
        XCTAssertEqual(py.status, 0, py.stderr)
        let r = try ipcsh("""
            q = mq open \(k)
            mq recv q 7
            mq recv q 3 --except
            mq recv q -4
            m = mq recv q
            echo "bound: $m.type $m.data"
            mq recv q 0
            mq recv q --nonblock
            """)
        XCTAssertEqual(r.status, 1, "the last receive finds the queue empty")
        XCTAssertEqual(Self.lines(r.stdout), [
            "q: opened queue key \(k), msqid \(msgget(key, 0)) (5 messages waiting)",
            "type 7: seven",                // 7: the first of that type
            "type 5: five",                 // --except 3: the first of any other type
            "type 3: three",                // -4: the lowest type up to 4
            "bound: 3 three again",         // 0: the first on the queue
            "type 9: nine",
            "",
        ])
        XCTAssertTrue(r.stderr.contains("msgrcv: ENOMSG (No message of desired type)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("-c:8:1: error:"), r.stderr)
        // Opened, not created: no exit notice, and the queue is still there.
        XCTAssertFalse(r.stderr.contains("ipcrm"), r.stderr)
        XCTAssertTrue(Harness.queueExists(key: key))
    }

    func testACPeerAndIpcshExchangeMessagesByType() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let peer = try msgPeer()
        var r = try ipcsh("q = mq create \(k); mq send q 2 \"to C, type 2\"; mq send q 1 \"to C, type 1\"")
        XCTAssertEqual(r.status, 0, r.stderr)
        let c = try Harness.runProgram(peer, ["recv", k, "1", "1"])
        XCTAssertEqual(c.stdout, "waiting\ntype 1: to C, type 1\n", c.stderr)
        for (type, text) in [("4", "from C, four"), ("6", "from C, six")] {
            let s = try Harness.runProgram(peer, ["send", k, type, text])
            XCTAssertEqual(s.status, 0, s.stderr)
        }
        r = try ipcsh("q = mq open \(k); mq recv q 6; mq recv q -5; mq recv q; mq rm q")
        XCTAssertEqual(r.status, 0, r.stderr)
        // C's message has no NUL: ipcsh shows exactly its bytes.
        XCTAssertTrue(r.stdout.contains("type 6: from C, six\ntype 2: to C, type 2\ntype 4: from C, four\n"), r.stdout)
        XCTAssertFalse(Harness.queueExists(key: key))
    }

    func testBinaryAndStructBodiesReachPythonByteForByte() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let r = try ipcsh("""
            struct req { int pid; int n; char name[8]; }
            q = mq create \(k)
            mq send q 5 --as req pid=42 n=-7 name=abc
            mq send q 6 "\\x00\\xff\\x01"
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let py = try Harness.runPython("""
            import struct, sys, sysv_ipc
            q = sysv_ipc.MessageQueue(int(sys.argv[1], 0))
            data, typ = q.receive(type=5)
            print(typ, len(data), struct.unpack('ii8s', data))
            data, typ = q.receive(type=6)
            print(typ, data.hex())
            q.send(struct.pack('ii8s', 7, 8, b'xyz'), type=9)
            """, [k])
        XCTAssertEqual(py.stdout, "5 16 (42, -7, b'abc\\x00\\x00\\x00\\x00\\x00')\n6 00ff01\n", py.stderr)
        let back = try ipcsh("struct req { int pid; int n; char name[8]; }; q = mq open \(k); m = mq recv q --as req; echo $m.type $m.pid $m.n $m.name")
        XCTAssertEqual(back.stdout.split(separator: "\n").last, "9 7 8 xyz", back.stdout + back.stderr)
    }

    // MARK: blocking

    func testABlockedReceiveIsWokenByPythonsSendOfItsType() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let shell = try background("q = mq create \(k); echo ready; m = mq recv q 7; echo \"woken by type $m.type: $m.data\"")
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "msgrcv"), "ipcsh never blocked in msgrcv")
        // A message of another type does not wake it ...
        let py = try Harness.runPython("""
            import sys, sysv_ipc
            q = sysv_ipc.MessageQueue(int(sys.argv[1], 0))
            q.send(b'not for you', type=3)
            """, [k])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "msgrcv"), "a type-3 message must not end the wait")
        // ... one of type 7 does.
        let py7 = try Harness.runPython("""
            import sys, sysv_ipc
            q = sysv_ipc.MessageQueue(int(sys.argv[1], 0))
            q.send(b'for you', type=7)
            """, [k])
        XCTAssertEqual(py7.status, 0, py7.stderr)
        XCTAssertEqual(readLine(from: shell) { $0.hasPrefix("woken") }, "woken by type 7: for you")
        XCTAssertEqual(shell.wait(), 0)
        // The type-3 message is still there.
        XCTAssertEqual(try Harness.runProgram(try msgPeer(), ["nowait", k, "0"]).stdout, "type 3: not for you\n")
    }

    func testACPeerBlockedInMsgrcvIsWokenByIpcshsSend() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        XCTAssertEqual(try ipcsh("mq create \(k)").status, 0)
        let peer = try BackgroundProgram(try msgPeer(), ["recv", k, "20", "2"])
        peers.append(peer)
        XCTAssertEqual(peer.readLine(), "waiting")
        XCTAssertTrue(Harness.waitUntilBlocked(peer.pid, in: "msgrcv"))
        let r = try ipcsh("q = mq open \(k); mq send q 10 skipped; mq send q 20 first; mq send q 20 second; mq stat q")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(peer.readLine(), "type 20: first")
        XCTAssertEqual(peer.readLine(), "type 20: second")
        XCTAssertEqual(peer.wait(), 0)
        XCTAssertEqual(try Harness.runProgram(try msgPeer(), ["nowait", k, "0"]).stdout, "type 10: skipped\n")
    }

    func testAReceiveInAForkedChildIsWokenByTheParentsSend() throws {
        let r = try ipcsh("""
            q = mq create private
            fork { m = mq recv q 4; echo "child got $m.data" }
            sleep 200ms
            mq send q 4 "from the parent"
            wait
            """, ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.range(of: #"\[child1 \d+\] child got from the parent\n"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertFalse(Harness.queueExists(id: try id("msqid", in: r.stdout)))
    }

    // MARK: timeouts and Ctrl-C

    func testReceiveTimesOutWithAClearErrorAndTheScriptStops() throws {
        let r = try ipcsh("q = mq create private; mq recv q 3 --timeout 300ms; echo NOT-REACHED", ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("-c:1:24: error: mq recv: no message came to q within 300ms"), r.stderr)
        XCTAssertFalse(r.stdout.contains("NOT-REACHED"))
        XCTAssertFalse(Harness.queueExists(id: try id("msqid", in: r.stdout)))
    }

    /// A queue holds kernel.msgmnb bytes (16384 by default): two 8000-byte structs fill it.
    static let fill = "struct big { char b[8000]; }; q = mq create private; mq send q 1 --as big b=one; mq send q 1 --as big b=two"

    func testSendOnAFullQueueTimesOut() throws {
        let r = try ipcsh(Self.fill + "; mq send q 2 --as big --timeout 300ms; echo NOT-REACHED", ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error: mq send: q stayed full for 300ms"), r.stderr)
        XCTAssertFalse(r.stdout.contains("NOT-REACHED"))
    }

    func testCtrlCEndsABlockedReceiveWithStatus130() throws {
        try interruptBlocked("q = mq create private; echo ready; mq recv q; echo NOT-REACHED", in: "msgrcv")
    }

    func testCtrlCEndsASendBlockedOnAFullQueueWithStatus130() throws {
        try interruptBlocked(Self.fill + "; echo ready; mq send q 2 --as big; echo NOT-REACHED", in: "msgsnd")
    }

    func testCtrlCEndsAReceiveThatHasATimeout() throws {
        try interruptBlocked("q = mq create private; echo ready; mq recv q --timeout 60s; echo NOT-REACHED", in: "msgrcv")
    }

    /// Runs `commands` with --cleanup, waits until it blocks in `call`, sends SIGINT: exit 130,
    /// `warning: interrupted`, the rest not run, and the queue removed on the way out.
    private func interruptBlocked(_ commands: String, in call: String) throws {
        let shell = try background(commands, ["--cleanup"])
        let created = try XCTUnwrap(readLine(from: shell) { $0.contains("msqid") || $0.contains("semid") })
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: call), "never blocked in \(call)")
        kill(shell.pid, SIGINT)
        var rest: [String] = []
        while let line = shell.readLine(timeout: 10) { rest.append(line) }
        XCTAssertEqual(shell.wait(), 130, rest.joined(separator: "\n"))
        XCTAssertTrue(rest.contains("warning: interrupted"), "\(rest)")
        XCTAssertFalse(rest.contains("NOT-REACHED"), "\(rest)")
        XCTAssertTrue(rest.contains { $0.hasPrefix("cleanup: removed ") }, "\(rest)")
        if created.contains("msqid") {
            XCTAssertFalse(Harness.queueExists(id: try id("msqid", in: created)))
        } else {
            XCTAssertFalse(Harness.semaphoreSetExists(id: try id("semid", in: created)))
        }
    }

    // MARK: bad input

    func testSendRefusesATypeBelowOne() throws {
        for type in ["0", "-1", "-20"] {
            let r = try ipcsh("q = mq create private; mq send q \(type) hello", ["--cleanup"])
            XCTAssertEqual(r.status, 1, type)
            XCTAssertTrue(r.stderr.contains("error: mq send: TYPE '\(type)' is not a whole number from 1 to 2147483647"), r.stderr)
            XCTAssertTrue(r.stderr.contains("usage: mq send NAME TYPE"), r.stderr)
        }
    }

    func testAFullQueueWithNonblockFailsWithEAGAIN() throws {
        // Sends of 1000 bytes until one fails: 16 fit in the default 16384 bytes.
        let r = try ipcsh("""
            struct k { char b[1000]; }
            q = mq create private
            repeat 100 { mq send q 1 --as k b=$i --nonblock; echo "sent $i" }
            """, ["--cleanup"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error: msgsnd: EAGAIN (Resource temporarily unavailable)\n  the queue is full and this send does not wait (--nonblock)"), r.stderr)
        let sent = Self.lines(r.stdout).filter { $0.hasPrefix("sent ") }
        let bytes = try XCTUnwrap(Int(try String(contentsOfFile: "/proc/sys/kernel/msgmnb", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(sent.count, bytes / 1000, r.stdout)
    }

    func testReceiveProblemsAreClearErrors() throws {
        let cases: [(String, String)] = [
            ("mq recv q --nonblock", "msgrcv: ENOMSG (No message of desired type)"),
            ("mq recv q --except", "mq recv: --except needs a TYPE above 0"),
            ("mq recv q -3 --except", "mq recv: --except needs a TYPE above 0"),
            ("mq send q 1 0123456789; mq recv q --size 4", "msgrcv: E2BIG"),
            ("mq send q 1 a b", "mq send: unexpected argument 'b'"),
            ("mq send q 1", "mq send: missing DATA"),
            ("mq recv nosuch", "mq recv: no handle named 'nosuch'"),
        ]
        for (command, message) in cases {
            let r = try ipcsh("q = mq create private; \(command)", ["--cleanup"])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains(message), "\(command): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
        // --noerror takes the first bytes instead.
        let cut = try ipcsh("q = mq create private; mq send q 1 0123456789; mq recv q --size 4 --noerror", ["--cleanup"])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stdout.hasSuffix("type 1: 0123\n"), cut.stdout)
    }

    func testAQueueThisSessionRemovedIsRefused() throws {
        for command in ["mq send q 1 x", "mq recv q", "mq stat q", "mq rm q"] {
            let r = try ipcsh("q = mq create private; mq rm q; \(command)")
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("was removed") || r.stderr.contains("already removed"), "\(command): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("ipcrm"), "a removed queue is not a leftover: \(r.stderr)")
        }
    }

    func testAQueueAnotherProcessRemovedIsEINVAL() throws {
        for command in ["mq send q 1 x", "mq recv q --nonblock", "mq stat q"] {
            let r = try ipcsh("q = mq create private\nrun ipcrm -q $q.msqid\nwait\n\(command)")
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("EINVAL (Invalid argument)"), "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("the queue is gone"), "\(command): \(r.stderr)")
            // Gone already: the exit notice does not name it.
            XCTAssertFalse(r.stderr.contains("remain"), r.stderr)
        }
    }

    func testAQueueRemovedWhileAReceiveWaitsIsEIDRM() throws {
        let key = makeKey()
        let k = Harness.hex(key)
        let before = "q = mq create \(k); echo ready; "
        let shell = try background(before + "mq recv q")
        XCTAssertNotNil(readLine(from: shell) { $0 == "ready" })
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: "msgrcv"))
        let py = try Harness.runPython("import sys, sysv_ipc; sysv_ipc.MessageQueue(int(sys.argv[1], 0)).remove()", [k])
        XCTAssertEqual(py.status, 0, py.stderr)
        let error = readLine(from: shell) { $0.contains("error:") }
        XCTAssertEqual(error, "-c:1:\(before.count + 1): error: msgrcv: EIDRM (Identifier removed)")
        XCTAssertEqual(readLine(from: shell) { _ in true }, "  the queue was removed while this receive waited")
        XCTAssertEqual(shell.wait(), 1)
    }

    // MARK: trace

    func testTraceShowsTheCallsInCSyntax() throws {
        let r = try ipcsh("""
            trace on
            q = mq create private
            mq send q 20 "hello, queue"
            mq recv q 20
            mq recv q --nonblock --except 3
            """, ["--cleanup"])
        let id = try id("msqid", in: r.stdout)
        let trace = Self.lines(r.stderr)
        XCTAssertTrue(trace.contains("msgget(IPC_PRIVATE, IPC_CREAT|IPC_EXCL|0600) = \(id)"), r.stderr)
        XCTAssertTrue(trace.contains("msgsnd(\(id), {20, \"hello, queue\"}, 12, 0) = 0"), r.stderr)
        XCTAssertTrue(trace.contains("msgrcv(\(id), {20, \"hello, queue\"}, 8192, 20, 0) = 12"), r.stderr)
        XCTAssertTrue(trace.contains("msgrcv(\(id), buf, 8192, 3, IPC_NOWAIT|MSG_EXCEPT) = -1 ENOMSG (No message of desired type)"), r.stderr)
        XCTAssertTrue(trace.contains("msgctl(\(id), IPC_RMID, NULL) = 0"), r.stderr)
    }

    // MARK: the session's queues

    func testExitNoticeNamesQueuesIncludingAForkedChildsAndIpcrmRemovesThem() throws {
        let r = try ipcsh("q = mq create private; fork { inner = mq create private }; wait")
        XCTAssertEqual(r.status, 0, r.stderr)
        let ids = Self.ids(after: "msqid", in: r.stdout)
        XCTAssertEqual(ids.count, 2, r.stdout)
        XCTAssertTrue(r.stderr.contains("note: 2 message queues created by this session remain in the kernel:\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("  q: key private, msqid \(ids[0]) — remove with: ipcrm -q \(ids[0])\n"), r.stderr)
        XCTAssertTrue(r.stderr.range(of: "  inner \\(made by child pid \\d+\\): key private, msqid \(ids[1]) — remove with: ipcrm -q \(ids[1])\n",
                                     options: .regularExpression) != nil, r.stderr)
        for id in ids {
            XCTAssertTrue(Harness.queueExists(id: id))
            let rm = try Harness.runProgram("/usr/bin/env", ["ipcrm", "-q", String(id)])
            XCTAssertEqual(rm.status, 0, rm.stderr)
            XCTAssertFalse(Harness.queueExists(id: id))
        }
    }

    func testCleanupRemovesCreatedQueuesIncludingAForkedChildsButNotOpenedOnes() throws {
        let opened = makeKey()
        XCTAssertEqual(try ipcsh("mq create \(Harness.hex(opened))").status, 0)
        let r = try ipcsh("q = mq create private; o = mq open \(Harness.hex(opened)); fork { inner = mq create private }; wait", ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ids = Self.ids(after: "msqid", in: r.stdout)
        XCTAssertEqual(ids.count, 3, r.stdout)
        XCTAssertTrue(r.stderr.range(of: #"cleanup: removed q \(key private, msqid \d+\), inner \(made by child pid \d+, key private, msqid \d+\)"#,
                                     options: .regularExpression) != nil, r.stderr)
        XCTAssertFalse(Harness.queueExists(id: ids[0]))
        XCTAssertFalse(Harness.queueExists(id: ids[2]))
        XCTAssertTrue(Harness.queueExists(key: opened), "--cleanup removes only what the session created")
        XCTAssertFalse(r.stderr.contains("ipcrm"), r.stderr)
    }

    func testMqLsAndIpcsMarkThisSessionsQueues() throws {
        let mine = makeKey(), theirs = makeKey()
        let py = try Harness.runPython("import sys, sysv_ipc; sysv_ipc.MessageQueue(int(sys.argv[1], 0), sysv_ipc.IPC_CREX, 0o644)",
                                       [Harness.hex(theirs)])
        XCTAssertEqual(py.status, 0, py.stderr)
        let r = try ipcsh("inbox = mq create \(Harness.hex(mine)); mq send inbox 1 abc; mq ls; ipcs", ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = Self.lines(r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  key        msqid      owner      perms      used-bytes   messages    handle") }, r.stdout)
        let mineInLs = lines.filter { $0.hasPrefix("* ") && $0.contains(Harness.hex(mine).dropFirst(2)) }
        XCTAssertEqual(mineInLs.count, 1, r.stdout)
        XCTAssertTrue(mineInLs[0].hasSuffix(" inbox"), mineInLs[0])
        let words = mineInLs[0].split(separator: " ")
        XCTAssertEqual(words[4], "600", "perms: \(mineInLs[0])")
        XCTAssertEqual(words[5], "3", "used-bytes: \(mineInLs[0])")
        XCTAssertEqual(words[6], "1", "messages: \(mineInLs[0])")
        let theirs8 = String(UInt32(bitPattern: theirs), radix: 16)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  0x\(theirs8) ") && $0.hasSuffix(" 0") && $0.contains(" 644 ") }, r.stdout)
        // ipcs: the util-linux sections, this session's queue named, the other not.
        XCTAssertTrue(r.stdout.contains("------ Message Queues --------\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("------ Semaphore Arrays --------\n"), r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix(Harness.hex(mine).padding(toLength: 10, withPad: " ", startingAt: 0)) && $0.hasSuffix(" inbox") },
                      r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("0x\(theirs8) ") && !$0.hasSuffix("inbox") }, r.stdout)
    }
}
