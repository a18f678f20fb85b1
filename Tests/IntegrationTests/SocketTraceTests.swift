import Foundation
import XCTest

/// trace shows each call of a socket sequence on its own line, and names the one that failed.
final class SocketTraceTests: IPCTestCase {
    func testListenAndConnectTraceEachCall() throws {
        let path = try makeDirectory().appendingPathComponent("s.sock").path
        let r = try Harness.runCommands("""
            s = sock listen unix:\(path); c = sock connect unix:\(path); a = sock accept s; close a; close c; close s
            """, extra: ["--trace"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        guard let socketLine = lines.firstIndex(where: { $0.hasPrefix("socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = ") }) else {
            return XCTFail(r.stderr)
        }
        let fd = socketLine < lines.count ? lines[socketLine].split(separator: " ").last.map(String.init) ?? "" : ""
        XCTAssertEqual(lines[socketLine + 1], "bind(\(fd), {AF_UNIX, \"\(path)\"}) = 0", r.stderr)
        XCTAssertEqual(lines[socketLine + 2], "listen(\(fd), 64) = 0", r.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("connect(") && $0.hasSuffix("{AF_UNIX, \"\(path)\"}) = 0") }, r.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("accept(\(fd), NULL, NULL) = ") }, r.stderr)
    }

    func testAFailedBindIsNamedInTraceAndError() throws {
        let r = try Harness.runCommands("sock listen unix:/nonexistent-dir-ipcsh/x.sock", extra: ["--trace"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bind(") && r.stderr.contains("= -1 ENOENT (No such file or directory)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: bind: ENOENT (No such file or directory)"), r.stderr)
    }
}
