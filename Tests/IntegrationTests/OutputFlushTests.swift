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
}
