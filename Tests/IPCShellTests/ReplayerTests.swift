@testable import IPCShell
@testable import IPCTeaching
import XCTest
@testable import IPCSyntax

/// Issue 9: the numbers in a recording and on the command line never reach a trapping
/// conversion (`#@ nan` and `--speed 1e-300` were SIGILL).
final class ReplayerTests: XCTestCase {
    func testPausesFromTheFileAreCutBeforeTheSpeedDividesThem() {
        XCTAssertEqual(Replayer.pauseMilliseconds(1.5, speed: 1), 1500)
        XCTAssertEqual(Replayer.pauseMilliseconds(1.5, speed: 2), 750)
        XCTAssertEqual(Replayer.pauseMilliseconds(100, speed: 1), 30_000, "at most 30 s")
        XCTAssertEqual(Replayer.pauseMilliseconds(100, speed: 0.5), 60_000, "cut, then divided")
        for nonsense: Double in [.nan, -Double.nan, -Double.infinity, -1e308, -1, 0, -0.0] {
            XCTAssertEqual(Replayer.pauseMilliseconds(nonsense, speed: 1), 0, "\(nonsense)")
            XCTAssertEqual(Replayer.pauseMilliseconds(nonsense, speed: 1e-300), 0, "\(nonsense)")
        }
        XCTAssertEqual(Replayer.pauseMilliseconds(.infinity, speed: 1), 30_000)
        XCTAssertEqual(Replayer.pauseMilliseconds(1e308, speed: 1e308), 0)
    }

    /// The command line refuses such speeds; the API still never traps on them.
    func testAnySpeedGivesABoundedWait() {
        for speed in [1e-300, 0, -1, -.infinity, .nan, .infinity, Double.leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            let pause = Replayer.pauseMilliseconds(30, speed: speed)
            XCTAssertTrue((0...Replayer.longestWaitMilliseconds).contains(pause), "\(speed): \(pause)")
            let typing = Replayer.typingMicroseconds(speed: speed)
            XCTAssertTrue((0...200_000).contains(typing), "\(speed): \(typing)")
        }
        XCTAssertEqual(Replayer.typingMicroseconds(speed: 1), 25_000)
        XCTAssertEqual(Replayer.typingMicroseconds(speed: 1e-300), 200_000)
        XCTAssertEqual(Replayer.typingMicroseconds(speed: 1e300), 0)
    }
}
