@testable import IPCShell
import XCTest

/// What `ipcsh check` hides: values that change from run to run, and nothing else.
final class VolatileMaskTests: XCTestCase {
    func testDescriptorNumbersInStatusFieldsAreMasked() {
        // `status p` of a pipe, in the parent and relayed from an actor.
        XCTAssertEqual(VolatileMask.apply("  r      6"), VolatileMask.apply("  r      5"))
        XCTAssertEqual(VolatileMask.apply("[reader 8007]   w      7"), VolatileMask.apply("[reader 9001]   w      6"))
        XCTAssertEqual(VolatileMask.apply("  fd      12"), VolatileMask.apply("  fd      9"))
        XCTAssertEqual(VolatileMask.apply("  b      11"), VolatileMask.apply("  b      9"))
    }

    func testPortsAreMasked() {
        XCTAssertEqual(VolatileMask.apply("  port     32849"), VolatileMask.apply("  port     36633"))
        XCTAssertEqual(VolatileMask.apply("c: connected to tcp:127.0.0.1:32849 from 127.0.0.1:52922 (fd 7)"),
                       VolatileMask.apply("c: connected to tcp:127.0.0.1:36633 from 127.0.0.1:46250 (fd 6)"))
    }

    func testDataIsNotMasked() {
        // A value that only looks like a field: the lesson's data must still be compared.
        XCTAssertNotEqual(VolatileMask.apply("count 6"), VolatileMask.apply("count 7"))
        XCTAssertNotEqual(VolatileMask.apply("  size      4096"), VolatileMask.apply("  size      1024"))
        XCTAssertNotEqual(VolatileMask.apply("  r      6 extra"), VolatileMask.apply("  r      7 extra"))
        XCTAssertNotEqual(VolatileMask.apply("apple is red"), VolatileMask.apply("apple is blue"))
    }

    func testIdsPidsAddressesAndTimesAreMasked() {
        XCTAssertEqual(VolatileMask.apply("buf: created segment key private, shmid 688180, 4096 bytes, mode 0600"),
                       VolatileMask.apply("buf: created segment key private, shmid 17, 4096 bytes, mode 0600"))
        XCTAssertEqual(VolatileMask.apply("buf: attached at 0x7fb047f98000"), VolatileMask.apply("buf: attached at 0x7f0000001000"))
        XCTAssertEqual(VolatileMask.apply("[child1 8002] apple is red"), VolatileMask.apply("[child1 12] apple is red"))
        XCTAssertEqual(VolatileMask.apply("attached: 2026-11-25 15:07:00"), VolatileMask.apply("attached: 2027-01-01 00:00:59"))
        XCTAssertEqual(VolatileMask.apply("cpid:     7681 (created it)"), VolatileMask.apply("cpid:     9 (created it)"))
    }

    /// A recorded script's error says where it was in the script; check runs it from the
    /// recording, where the same command sits on another line of another file.
    func testErrorLocationIsMasked() {
        XCTAssertEqual(VolatileMask.apply("lesson-pipe-trace.ipcs:45:1: error: open: ENOENT (No such file or directory)"),
                       VolatileMask.apply("examples/recordings/lesson-pipe-trace.ipcs:92:1: error: open: ENOENT (No such file or directory)"))
        XCTAssertEqual(VolatileMask.apply("lesson.ipcs:3:1: error: open: ENOENT (No such file or directory)"),
                       VolatileMask.apply("error: open: ENOENT (No such file or directory)"))
        XCTAssertEqual(VolatileMask.apply("[x 10345] @actor:1:1: error: unknown command 'nosuch'"),
                       VolatileMask.apply("[x 2] error: unknown command 'nosuch'"))
        // The message itself still counts.
        XCTAssertNotEqual(VolatileMask.apply("a.ipcs:1:1: error: open: ENOENT (No such file or directory)"),
                          VolatileMask.apply("a.ipcs:1:1: error: open: EACCES (Permission denied)"))
    }
}
