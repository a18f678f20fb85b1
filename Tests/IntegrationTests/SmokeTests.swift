import XCTest

final class SmokeTests: IPCTestCase {
    func testWriteThenReadBackThroughASegment() throws {
        let key = makeKey()
        let r = try Harness.runCommands("""
            buf = shm create \(Harness.hex(key)) 64; shm attach buf; write buf "hi there"; read buf; shm rm buf
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\nhi there\n"), r.stdout)
        XCTAssertFalse(Harness.segmentExists(key: key))
    }
}
