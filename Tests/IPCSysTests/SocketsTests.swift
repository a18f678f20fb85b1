@preconcurrency import Glibc
import IPCSys
import XCTest

/// Socket pairs, unix and UDP sockets and descriptor passing, as docs/sockets.md walks them,
/// checked through the trace entries. Every descriptor is closed and every socket file removed.
final class SocketsTests: DescriptorTestCase {
    private func socketPath() throws -> String {
        let dir = try makeTemporaryDirectory()
        directory = dir
        return dir + "/s.sock"
    }

    func testSocketPairCarriesBytesBothWays() throws {
        let (ends, entries) = try recordingTrace { () throws -> (Int32, Int32) in
            let ends = try Sockets.pair()
            _ = keep(ends.0)
            _ = keep(ends.1)
            _ = try Descriptors.write(ends.0, Array("ping".utf8))
            XCTAssertEqual(try Descriptors.read(ends.1, max: 16), Array("ping".utf8))
            _ = try Descriptors.write(ends.1, Array("pong".utf8))
            XCTAssertEqual(try Descriptors.read(ends.0, max: 16), Array("pong".utf8))
            return ends
        }
        XCTAssertEqual(entries.first, TraceEntry("socketpair", [.symbol("AF_UNIX"), .symbol("SOCK_STREAM"), .int(0), .descriptors([ends.0, ends.1])], .returned(.int(0))))
        XCTAssertEqual(entries.first?.description, "socketpair(AF_UNIX, SOCK_STREAM, 0, [\(ends.0), \(ends.1)]) = 0")
        XCTAssertEqual(entries.map(\.call), ["socketpair", "write", "read", "write", "read"])
    }

    func testInternalPairIsNotTraced() throws {
        let (ends, entries) = try recordingTrace { try Sockets.internalPair() }
        _ = keep(ends.0)
        _ = keep(ends.1)
        XCTAssertEqual(entries, [])
        XCTAssertTrue(Sockets.isUnix(ends.0))
    }

    func testUnixListenConnectAcceptEachCallOnItsOwnEntry() throws {
        let path = try socketPath()
        let address = SocketAddress.unix(path: path)
        let (fds, entries) = try recordingTrace { () throws -> [Int32] in
            let listener = keep(try Sockets.listen(address))
            let client = keep(try Sockets.startConnect(address))
            try Sockets.finishConnect(client)
            let server = keep(try Sockets.accept(listener))
            return [listener, client, server]
        }
        XCTAssertEqual(entries.map(\.description), [
            "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = \(fds[0])",
            "bind(\(fds[0]), {AF_UNIX, \"\(path)\"}) = 0",
            "listen(\(fds[0]), 64) = 0",
            "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = \(fds[1])",
            "connect(\(fds[1]), {AF_UNIX, \"\(path)\"}) = 0",
            "accept(\(fds[0]), NULL, NULL) = \(fds[2])",
        ])
        XCTAssertEqual(entries[1].arguments, [.int(Int(fds[0])), .socketAddress(address)])
        XCTAssertEqual(Sockets.name(fds[0], peer: false), path)
        XCTAssertEqual(FileSystem.identity(path)?.isSocket, true)
        XCTAssertEqual(Descriptors.permissions(path), 0o600)
    }

    func testBindFailureNamesBindAndTracesTheSocketBeforeIt() throws {
        let (error, entries) = recordingFailure(try Sockets.listen(.unix(path: "/nonexistent-ipcsys-dir/x.sock")))
        XCTAssertEqual(error, SystemCallError("bind", errno: ENOENT))
        XCTAssertEqual(entries.map(\.call), ["socket", "bind"])
        XCTAssertEqual(entries.last?.errno, ENOENT)
        XCTAssertNotNil(entries.first?.returned)
    }

    func testConnectWithNobodyListeningFails() throws {
        let path = try socketPath()
        let (error, entries) = recordingFailure(try Sockets.startConnect(.unix(path: path)))
        XCTAssertEqual(error, SystemCallError("connect", errno: ENOENT))
        XCTAssertEqual(entries.last?.description, "connect(\(entries.first?.returned?.description ?? "?"), {AF_UNIX, \"\(path)\"}) = -1 ENOENT (No such file or directory)")
    }

    func testAcceptOnASocketThatDoesNotListenFailsWithEINVAL() throws {
        let ends = try Sockets.internalPair()
        _ = keep(ends.0)
        _ = keep(ends.1)
        let (error, entries) = recordingFailure(try Sockets.accept(ends.0))
        XCTAssertEqual(error?.errno, EINVAL)
        XCTAssertEqual(entries, [TraceEntry("accept", [.int(Int(ends.0)), .symbol("NULL"), .symbol("NULL")], .failed(errno: EINVAL))])
        XCTAssertEqual(try? Sockets.acceptNonBlocking(ends.0), nil)
    }

    func testPassingADescriptor() throws {
        let channel = try Sockets.internalPair()
        _ = keep(channel.0)
        _ = keep(channel.1)
        let pipe = try Descriptors.internalPipe()
        _ = keep(pipe.read)
        _ = keep(pipe.write)
        let (received, entries) = try recordingTrace { () throws -> Int32 in
            try Sockets.sendDescriptor(pipe.read, over: channel.0)
            return keep(try Sockets.receiveDescriptor(over: channel.1))
        }
        XCTAssertEqual(entries.map(\.description), [
            "sendmsg(\(channel.0), {SCM_RIGHTS [\(pipe.read)]}, 0) = 1",
            "recvmsg(\(channel.1), {SCM_RIGHTS}, MSG_CMSG_CLOEXEC) = \(received)",
        ])
        // The received number is a new descriptor for the same pipe.
        XCTAssertNotEqual(received, pipe.read)
        _ = try Descriptors.write(pipe.write, Array("through".utf8))
        XCTAssertEqual(try Descriptors.read(received, max: 16), Array("through".utf8))
    }

    func testUDPDatagramShowsItsSender() throws {
        let receiver = keep(try Sockets.listen(.udp(host: "127.0.0.1", port: 0)))
        let sender = keep(try Sockets.listen(.udp(host: "127.0.0.1", port: 0)))
        let receiverName = try XCTUnwrap(Sockets.name(receiver, peer: false))
        let senderName = try XCTUnwrap(Sockets.name(sender, peer: false))
        let port = try XCTUnwrap(Int(receiverName.split(separator: ":").last ?? ""))
        XCTAssertTrue(Sockets.isDatagram(receiver))
        let (got, entries) = try recordingTrace { () throws -> (data: [UInt8], from: String, size: Int) in
            _ = try Sockets.send(sender, Array("ping".utf8), to: "127.0.0.1", port: port)
            return try Sockets.receive(receiver, max: 2)
        }
        XCTAssertEqual(got.data, Array("pi".utf8))
        XCTAssertEqual(got.size, 4, "MSG_TRUNC: the datagram's real size")
        XCTAssertEqual(got.from, senderName)
        XCTAssertEqual(entries.map(\.description), [
            "sendto(\(sender), \"ping\", 4, 127.0.0.1:\(port)) = 4",
            "recvfrom(\(receiver), \"pi\", 2, MSG_TRUNC, \(senderName)) = 4",
        ])
    }

    func testReceiveOnAClosedDescriptorShowsNoBuffer() throws {
        let (error, entries) = recordingFailure(try Sockets.receive(-1, max: 8))
        XCTAssertEqual(error?.errno, EBADF)
        XCTAssertEqual(entries.first?.description, "recvfrom(-1, buf, 8) = -1 EBADF (Bad file descriptor)")
    }
}
