import XCTest

/// `shm dump` prints like xxd, one line at a time, with runs of zero lines shown once then `*`.
final class ShmDumpTests: IPCTestCase {
    func testDumpSqueezesZeroRunsAndShowsTheData() throws {
        let r = try Harness.runCommands(
            "b = shm create private 100; shm attach b; write b hello --at 70; shm dump b; shm rm b")
        XCTAssertEqual(r.status, 0, r.stderr)
        let dump = r.stdout.split(separator: "\n").filter { $0.hasPrefix("000000") || $0 == "*" }
        XCTAssertEqual(dump, [
            "00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................",
            "*",
            "00000040: 0000 0000 0000 6865 6c6c 6f00 0000 0000  ......hello.....",
            "00000050: 0000 0000 0000 0000 0000 0000 0000 0000  ................",
            "00000060: 0000 0000                                ....",
        ])
    }
}
