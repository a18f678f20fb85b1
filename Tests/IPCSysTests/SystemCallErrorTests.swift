@preconcurrency import Glibc
import IPCSys
import XCTest

final class SystemCallErrorTests: XCTestCase {
    func testDescriptionNamesCallSymbolAndText() {
        XCTAssertEqual(SystemCallError("shmget", errno: EEXIST).description, "shmget: EEXIST (File exists)")
        XCTAssertEqual(SystemCallError("shmat", errno: EINVAL).description, "shmat: EINVAL (Invalid argument)")
        XCTAssertEqual(SystemCallError("open", errno: ENOENT).description, "open: ENOENT (No such file or directory)")
        XCTAssertEqual(SystemCallError("write", errno: EPIPE).description, "write: EPIPE (Broken pipe)")
    }

    func testErrnoSymbols() {
        XCTAssertEqual(Errno.symbol(EACCES), "EACCES")
        XCTAssertEqual(Errno.symbol(EIDRM), "EIDRM")
        XCTAssertEqual(Errno.symbol(EINTR), "EINTR")
        XCTAssertEqual(Errno.symbol(EAGAIN), "EAGAIN")
        XCTAssertEqual(Errno.symbol(ENOSPC), "ENOSPC")
        XCTAssertEqual(Errno.symbol(9999), "E9999")
        XCTAssertEqual(Errno.text(EACCES), "Permission denied")
    }

    func testInterruptedFlag() {
        XCTAssertTrue(SystemCallError("read", errno: EINTR).wasInterrupted)
        XCTAssertFalse(SystemCallError("read", errno: EAGAIN).wasInterrupted)
    }

    func testValueOrErrnoThrowsWithTheCallName() {
        XCTAssertEqual(try valueOrErrno("close") { Int32(3) }, 3)
        do {
            _ = try valueOrErrno("close") { close(-1) }
            XCTFail("close(-1) succeeded")
        } catch {
            XCTAssertEqual(error.description, "close: EBADF (Bad file descriptor)")
        }
    }

    func testReadingAMissingFileNamesOpen() {
        do {
            _ = try FileSystem.readWholeFile("/nonexistent-ipcsh-file")
            XCTFail("read a missing file")
        } catch {
            XCTAssertEqual(error, SystemCallError("open", errno: ENOENT))
        }
        XCTAssertFalse(FileSystem.exists("/nonexistent-ipcsh-file"))
        XCTAssertTrue(FileSystem.isDirectory("/tmp"))
        XCTAssertFalse(FileSystem.isDirectory("/proc/self/status"))
    }

    func testProcFilesAreReadWhole() throws {
        // stat says 0 bytes for /proc files: the reader must not trust it.
        let text = try FileSystem.readWholeFile("/proc/self/status")
        XCTAssertTrue(text.contains("Pid:\t\(getpid())\n"), text)
    }
}
