import Foundation
import XCTest

/// Issue 5: sockets and descriptor passing, against Python's `socket` module as the other side.
final class SocketTests: IPCTestCase {
    /// Python helpers every peer script starts with: `IPCSH` is the shell under test, `start(cmds)`
    /// runs `ipcsh -c cmds` in the background, `finish(p)` waits for it and returns (status, out, err).
    static let prelude = """
        import json, os, socket, stat, subprocess, sys
        \(PythonPeers.reaper)
        IPCSH = sys.argv[1]
        DIR = sys.argv[2]
        def start(cmds):
            return subprocess.Popen([IPCSH, "-c", cmds], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        def finish(p, expect=0):
            out, err = p.communicate(timeout=20)
            assert p.returncode == expect, (p.returncode, out, err)
            return out, err

        """

    /// Writes `body` (after the prelude) to a file in a fresh directory and runs it with python3.
    func python(_ body: String, in dir: URL? = nil) throws -> Harness.Result {
        let dir = try dir ?? makeDirectory()
        let script = dir.appendingPathComponent("peer-\(UUID().uuidString.prefix(8)).py")
        try (Self.prelude + body).write(to: script, atomically: false, encoding: .utf8)
        return try Harness.runProgram("/usr/bin/env", ["python3", script.path, Harness.ipcshPath, dir.path], timeout: 60)
    }

    // MARK: unix and tcp streams, both directions

    func testPythonClientTalksToIpcshUnixServer() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("echo.sock").path
        let client = dir.appendingPathComponent("client.py")
        try """
            import os, socket, stat, sys
            print("mode", oct(stat.S_IMODE(os.stat(sys.argv[1]).st_mode)), flush=True)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            s.sendall(b"ping from python")
            print("python got", s.recv(100).decode(), flush=True)
            s.close()
            """.write(to: client, atomically: false, encoding: .utf8)
        let r = try Harness.runCommands("""
            srv = sock listen unix:\(path)
            run python3 \(client.path) \(path)
            c = sock accept srv --timeout 10s
            m = read c --timeout 10s
            write c "pong: $m"
            status c
            wait
            close c
            close srv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("mode 0o600"), r.stdout)
        XCTAssertTrue(r.stdout.contains("python got pong: ping from python"), r.stdout)
        // status shows the local address of the accepted connection (the socket file).
        XCTAssertTrue(r.stdout.contains("local  \(path)"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "close should remove the socket file")
    }

    func testIpcshClientTalksToPythonUnixServer() throws {
        let r = try python("""
            path = os.path.join(DIR, "py.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path); srv.listen(1)
            p = start(f'c = sock connect unix:{path}; write c "hello"; m = read c --timeout 10s; echo "ipcsh got [$m]"; close c')
            conn, _ = srv.accept()
            data = conn.recv(100)
            conn.sendall(b"echo:" + data)
            conn.close()
            out, err = finish(p)
            print(out)
            srv.close(); os.unlink(path)
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ipcsh got [echo:hello]"), r.stdout)
    }

    func testPythonClientTalksToIpcshTCPServerOnAPortTheOSPicked() throws {
        let dir = try makeDirectory()
        let client = dir.appendingPathComponent("client.py")
        try """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(b"tcp ping")
            print("python got", s.recv(100).decode(), flush=True)
            """.write(to: client, atomically: false, encoding: .utf8)
        let r = try Harness.runCommands("""
            srv = sock listen tcp::0
            echo "port=$srv.port"
            run python3 \(client.path) $srv.port
            c = sock accept srv --timeout 10s
            m = read c --timeout 10s
            write c "pong: $m"
            fds
            wait
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("python got pong: tcp ping"), r.stdout)
        let port = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("port=") }?.dropFirst(5))
        XCTAssertNotEqual(port, "0")
        XCTAssertTrue(r.stdout.contains("listening on 127.0.0.1:\(port)"), r.stdout)
    }

    func testIpcshClientTalksToPythonTCPServer() throws {
        let r = try python("""
            srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
            port = srv.getsockname()[1]
            p = start(f'c = sock connect tcp:localhost:{port}; write c "over tcp"; m = read c --timeout 10s; echo "ipcsh got [$m]"; echo "peer=$c.peer"')
            conn, addr = srv.accept()
            conn.sendall(b"re:" + conn.recv(100))
            conn.close()
            out, err = finish(p)
            assert f"peer=127.0.0.1:{port}" in out, out
            print(out)
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ipcsh got [re:over tcp]"), r.stdout)
    }

    // MARK: UDP

    func testUDPDatagramsFromPythonSayWhoSentThemAndTheReplyGoesBack() throws {
        let dir = try makeDirectory()
        let client = dir.appendingPathComponent("udp.py")
        try """
            import socket, sys
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", 0))
            print("python port", u.getsockname()[1], flush=True)
            u.sendto(b"one datagram", ("127.0.0.1", int(sys.argv[1])))
            u.settimeout(10)
            data, frm = u.recvfrom(100)
            print("python got", data.decode(), "from", frm[1], flush=True)
            """.write(to: client, atomically: false, encoding: .utf8)
        let r = try Harness.runCommands("""
            u = sock listen udp::0
            run python3 \(client.path) $u.port
            m = read u --timeout 10s
            echo "ipcsh got [$m] from $u.peer"
            write u "answer"
            wait
            echo "mine=$u.port"
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // run relays the peer's lines as [NAME PID] LINE.
        let pythonPort = try XCTUnwrap(lines.first { $0.contains("] python port ") }?.split(separator: " ").last)
        let mine = try XCTUnwrap(lines.first { $0.hasPrefix("mine=") }?.dropFirst(5))
        XCTAssertTrue(lines.contains("ipcsh got [one datagram] from 127.0.0.1:\(pythonPort)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("datagram of 12 bytes from 127.0.0.1:\(pythonPort)"), r.stdout)
        XCTAssertTrue(lines.contains { $0.hasSuffix("] python got answer from \(mine)") }, r.stdout)
    }

    func testUDPDatagramsFromIpcshToAPythonServer() throws {
        let r = try python("""
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            p = start(f'c = sock connect udp:127.0.0.1:{port}; write c "first"; write c "second"; m = read c --timeout 10s; echo "ipcsh got [$m]"')
            u.settimeout(10)
            a, frm = u.recvfrom(100)
            b, frm2 = u.recvfrom(100)
            assert (a, b) == (b"first", b"second"), (a, b)   # two writes, two datagrams
            assert frm == frm2
            u.sendto(b"reply", frm)
            out, err = finish(p)
            assert f"datagram of 5 bytes from 127.0.0.1:{port}" in out, out
            print(out)
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ipcsh got [reply]"), r.stdout)
    }

    func testALongDatagramSaysItsRealSizeWhenReadCutsItShort() throws {
        let dir = try makeDirectory()
        let sender = dir.appendingPathComponent("big.py")
        try """
            import socket, sys
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for size in (10000, 6000):
                u.sendto(b"z" * size, ("127.0.0.1", int(sys.argv[1])))
            """.write(to: sender, atomically: false, encoding: .utf8)
        let r = try Harness.runCommands("u = sock listen udp::0; run python3 \(sender.path) $u.port; wait; a = read u; b = read u 20000")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("datagram of 10000 bytes from 127.0.0.1:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(only the first 4096 kept, the rest is lost: read u 10000 takes a whole one)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("datagram of 6000 bytes from 127.0.0.1:"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "only the first").count, 2, "the second read took it all: \(r.stdout)")
    }

    func testFdsShowsLocalAndPeerAddresses() throws {
        let r = try Harness.runCommands("""
            srv = sock listen tcp::0; c = sock connect tcp::$srv.port; a = sock accept srv
            echo "srv=$srv.port c=$c.port"; fds
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let ports = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("srv=") })
        let server = String(ports.split(separator: " ")[0].dropFirst(4)), client = String(ports.split(separator: " ")[1].dropFirst(2))
        let rows = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(rows.contains { $0.hasSuffix(" srv  local 127.0.0.1:\(server)") }, r.stdout)
        XCTAssertTrue(rows.contains { $0.hasSuffix(" c  local 127.0.0.1:\(client)  peer 127.0.0.1:\(server)") }, r.stdout)
        XCTAssertTrue(rows.contains { $0.hasSuffix(" a  local 127.0.0.1:\(server)  peer 127.0.0.1:\(client)") }, r.stdout)
    }

    // MARK: descriptor passing

    func testDescriptorPassingAcrossFork() throws {
        let r = try Harness.runCommands("""
            s = sock pair
            c = fork {
              w = sock recvfd s.b --timeout 10s
              write w "written through the passed end"
              close w
            }
            p = pipe
            sock sendfd s.a p.w
            close p.w
            m = read p.r --timeout 10s
            echo "parent read [$m]"
            wait c
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("parent read [written through the passed end]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("received fd"), r.stdout)
        XCTAssertTrue(r.stdout.contains("exited with status 0"), r.stdout)
    }

    func testDescriptorPassingToASpawnedActorThatInheritedNothing() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("fd.sock").path
        let r = try Harness.runCommands("""
            srv = sock listen unix:\(path)
            c = spawn
            @c k = sock connect unix:\(path)
            a = sock accept srv --timeout 10s
            p = pipe
            sock sendfd a p.w
            close p.w
            @c w = sock recvfd k --timeout 10s
            @c write w "from the spawned actor"
            @c close w
            m = read p.r --timeout 10s
            echo "parent read [$m]"
            wait c
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("parent read [from the spawned actor]"), r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"\[c \d+\] w: received fd \d+ \(pipe:\["#, options: .regularExpression) != nil, r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testPythonSendsADescriptorAndIpcshWritesThroughIt() throws {
        let r = try python("""
            path = os.path.join(DIR, "fd.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(path); srv.listen(1)
            p = start(f'k = sock connect unix:{path}; w = sock recvfd k --timeout 10s; write w "via SCM_RIGHTS"; close w; s = sock pair; sock sendfd k s.b')
            conn, _ = srv.accept()
            r, w = os.pipe()
            socket.send_fds(conn, [b"x"], [w])
            os.close(w)
            msg, fds, _, _ = socket.recv_fds(conn, 10, 1)   # and one back from ipcsh
            assert len(fds) == 1 and stat.S_ISSOCK(os.fstat(fds[0]).st_mode), fds
            out, err = finish(p)
            print("python read", os.read(r, 100).decode())
            srv.close(); os.unlink(path)
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("python read via SCM_RIGHTS"), r.stdout)
    }

    func testSendfdOverATCPSocketIsRefused() throws {
        // TCP silently drops SCM_RIGHTS: sendmsg "succeeds" and the peer gets a stray byte.
        let r = try Harness.runCommands("""
            t = sock listen tcp::0; c = sock connect tcp::$t.port; a = sock accept t; p = pipe; sock sendfd c p.w
            """)
        XCTAssertNotEqual(r.status, 0, r.stdout)
        XCTAssertTrue(r.stderr.contains("sock sendfd: c is not a unix socket"), r.stderr)
        XCTAssertFalse(r.stdout.contains("sent p.w"), r.stdout)
        let r2 = try Harness.runCommands("t = sock listen tcp::0; c = sock connect tcp::$t.port; a = sock accept t; sock recvfd a --timeout 1s")
        XCTAssertTrue(r2.stderr.contains("sock recvfd: a is not a unix socket"), r2.stderr)
    }

    func testRecvfdOfPlainDataIsAClearError() throws {
        let r = try Harness.runCommands(#"s = sock pair; write s.a "data"; sock recvfd s.b"#)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("the message carried no descriptor"), r.stderr)
    }

    // MARK: safety defaults and bad input

    func testListeningBeyondLoopbackNeedsPublic() throws {
        for command in ["sock listen tcp:0.0.0.0:0", "sock listen udp:0.0.0.0:0", "rpc serve tcp:0.0.0.0:0"] {
            let r = try Harness.runCommands(command)
            XCTAssertNotEqual(r.status, 0, command)
            XCTAssertTrue(r.stderr.contains("is not a loopback address"), "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--public"), r.stderr)
        }
        let ok = try Harness.runCommands("s = sock listen tcp:0.0.0.0:0 --public; echo $s.local")
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("0.0.0.0:"), ok.stdout)
        // Without a host, tcp: listens on 127.0.0.1.
        let local = try Harness.runCommands("s = sock listen tcp::0; echo $s.local")
        XCTAssertTrue(local.stdout.contains("\n127.0.0.1:"), local.stdout)
    }

    func testUnixSocketFileIs0600AndRemovedOnCloseAndOnExit() throws {
        let dir = try makeDirectory()
        let a = dir.appendingPathComponent("a.sock").path
        let b = dir.appendingPathComponent("b.sock").path
        let r = try Harness.runCommands("""
            x = sock listen unix:\(a); y = sock listen unix:\(b); ! stat -c '%a %F' \(a)
            close x; ! test ! -e \(a) || echo still there
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("600 socket"), r.stdout)
        XCTAssertFalse(r.stdout.contains("still there"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: a))
        XCTAssertFalse(FileManager.default.fileExists(atPath: b), "the listener left open is removed at exit")
        // An error exit cleans up too.
        let c = try Harness.runCommands("z = sock listen unix:\(a); expect 1 == 2")
        XCTAssertNotEqual(c.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: a))
    }

    func testAForkedChildClosingItsCopyLeavesTheSocketFile() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("keep.sock").path
        let r = try Harness.runCommands("""
            srv = sock listen unix:\(path)
            c = fork { close srv }
            wait c
            a = fork
            @a close srv
            @a exit 0
            wait a
            k = fork { k = sock connect unix:\(path); write k "still reachable" }
            conn = sock accept srv --timeout 10s
            read conn --timeout 10s
            wait k
            close srv
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\nstill reachable\n"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the parent's close removes it")
    }

    func testBadAddressesAreClearErrors() throws {
        let dir = try makeDirectory()
        let long = "unix:" + dir.path + "/" + String(repeating: "x", count: 120)
        let cases: [(String, String)] = [
            ("sock connect nonsense", "'nonsense' is not a socket address"),
            ("sock connect http:1.2.3.4:80", "unknown address kind 'http'"),
            ("sock listen unix:", "has no path"),
            ("sock listen tcp:127.0.0.1:65536", "port '65536' in 'tcp:127.0.0.1:65536' is not 0 to 65535"),
            ("sock connect tcp:127.0.0.1:-5", "is not 0 to 65535"),
            ("sock connect tcp:127.0.0.1:http", "port 'http'"),
            ("sock connect udp:999.1.1.1:5", "'999.1.1.1' is not an IPv4 address"),
            ("sock listen \(long)", "a unix socket path holds at most 107"),
            ("rpc call \(long) m", "a unix socket path holds at most 107"),
            ("sock connect unix:\(dir.path)/none.sock", "no socket file: is the server running?"),
            ("sock listen unix:\(dir.path)/no/such/dir.sock", "bind: ENOENT"),
        ]
        for (command, expected) in cases {
            let r = try Harness.runCommands(command)
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains(expected), "\(command): \(r.stderr)")
        }
    }

    func testConnectRefusedSaysNothingListens() throws {
        // Take a free port from the kernel, then close it: nothing listens there.
        let r = try Harness.runCommands("s = sock listen tcp::0; port = echo $s.port; close s; sock connect tcp::$port")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("ECONNREFUSED"), r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing is listening on tcp:127.0.0.1:"), r.stderr)
    }

    func testConnectToAUnixServerWithAFullBacklogIsAnError() throws {
        // Non-blocking unix connect gives EAGAIN when the backlog is full: the socket is not
        // connected. It was reported as connected, and the first write failed with ENOTCONN.
        let r = try python("""
            path = os.path.join(DIR, "full.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(path); srv.listen(0)
            queued = []
            while True:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.setblocking(False)
                try:
                    s.connect(path); queued.append(s)
                except BlockingIOError:
                    s.close(); break
            for command in (f"c = sock connect unix:{path}", f"rpc call unix:{path} m"):
                p = start(command)
                out, err = finish(p, expect=1)
                print(err)
            srv.close(); os.unlink(path)
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "EAGAIN").count, 3, r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "has a full backlog: its server is not accepting connections").count, 3, r.stdout)
    }

    func testAcceptTimesOutAndTheAddressInUseHasAHint() throws {
        let r = try Harness.runCommands("s = sock listen tcp::0; sock accept s --timeout 100ms")
        XCTAssertTrue(r.stderr.contains("no client connected within"), r.stderr)
        let r2 = try Harness.runCommands("a = sock listen tcp::0; b = sock listen tcp::$a.port")
        XCTAssertTrue(r2.stderr.contains("EADDRINUSE"), r2.stderr)
        XCTAssertTrue(r2.stderr.contains("port 0 for any free one"), r2.stderr)
    }

    // MARK: examples

    func testUnixEchoExample() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("echo.sock").path
        let r = try Harness.run([ExamplesTests.path("unix-echo.ipcs"), path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        for i in 0..<3 {
            XCTAssertTrue(r.stdout.range(of: #"\[client \d+\] client: sent message \#(i), got back \[echo: message \#(i)\]"#,
                                         options: .regularExpression) != nil, r.stdout)
        }
        XCTAssertTrue(r.stdout.contains("client (pid "), r.stdout)
        XCTAssertTrue(r.stdout.contains("server: done; \(path) is gone"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testFdPassingExample() throws {
        let r = try Harness.run([ExamplesTests.path("fd-passing.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertTrue(r.stdout.contains("parent read: hello through a descriptor I did not inherit"), r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"\[reader \d+\] w: received fd \d+ \(pipe:\["#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stdout.contains("exited with status 0"), r.stdout)
    }
}
