@preconcurrency import Glibc
import IPCSys
import XCTest

/// `ReplacementFile`: what a recording is written through. FILE keeps what it had until the new
/// content is complete; a device is written where it is.
final class ReplacementFileTests: DescriptorTestCase {
    private func contents(_ path: String) throws -> String {
        try FileSystem.readWholeFile(path)
    }

    private func write(_ file: ReplacementFile, _ text: String) -> Int32? {
        Array(text.utf8).withUnsafeBytes { file.write($0) }
    }

    func testAnExistingFileIsReplacedOnlyWhenComplete() throws {
        let dir = try makeTemporaryDirectory()
        directory = dir
        let path = dir + "/lesson.ipcs"
        let fd = open(path, O_WRONLY | O_CREAT, 0o640)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = "old\n".withCString { Glibc.write(fd, $0, 4) }
        Glibc.close(fd)
        chmod(path, 0o640)

        let file = try ReplacementFile.open(path)
        let temporary = try XCTUnwrap(file.temporaryPath)
        XCTAssertTrue(temporary.hasPrefix(dir + "/.lesson.ipcs."), temporary)
        XCTAssertEqual(Descriptors.permissions(temporary), 0o640, "the temporary file gets FILE's mode")
        XCTAssertNil(write(file, "new\n"))
        XCTAssertEqual(try contents(path), "old\n", "FILE is untouched until replace()")
        XCTAssertNil(file.close())
        try file.replace()
        XCTAssertEqual(try contents(path), "new\n")
        XCTAssertFalse(FileSystem.exists(temporary))
    }

    func testDiscardLeavesTheFileAsItWas() throws {
        let dir = try makeTemporaryDirectory()
        directory = dir
        let path = dir + "/keep.txt"
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        _ = "kept".withCString { Glibc.write(fd, $0, 4) }
        Glibc.close(fd)
        let file = try ReplacementFile.open(path)
        XCTAssertNil(write(file, "lost"))
        _ = file.close()
        file.discard()
        XCTAssertEqual(try contents(path), "kept")
        XCTAssertEqual(try FileSystem.directoryEntries(dir), ["keep.txt"])
    }

    func testADeviceIsWrittenDirectlyAndAFullOneReportsENOSPC() throws {
        let file = try ReplacementFile.open("/dev/full")
        XCTAssertNil(file.temporaryPath)
        XCTAssertEqual(write(file, "x"), ENOSPC)
        _ = file.close()
    }

    func testAMissingDirectoryIsTheErrorOfOpen() {
        do {
            _ = try ReplacementFile.open("/nonexistent-ipcsh-dir/file")
            XCTFail("opened a file in a missing directory")
        } catch {
            XCTAssertEqual(error.errno, ENOENT)
        }
    }
}
