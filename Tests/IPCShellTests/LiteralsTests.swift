@preconcurrency import Glibc
@testable import IPCShell
import XCTest
@testable import IPCSyntax

final class LiteralsTests: XCTestCase {
    // MARK: Integers

    func testDecimalHexAndOctal() {
        XCTAssertEqual(Literals.integer("0"), 0)
        XCTAssertEqual(Literals.integer("3306"), 3306)
        XCTAssertEqual(Literals.integer("0xcea"), 3306)
        XCTAssertEqual(Literals.integer("0XCEA"), 3306)
        XCTAssertEqual(Literals.integer("0o600"), 384)
        XCTAssertEqual(Literals.integer("0600"), 384)
        XCTAssertEqual(Literals.integer("00"), 0)
        XCTAssertEqual(Literals.integer("-5"), -5)
        XCTAssertEqual(Literals.integer("+5"), 5)
        XCTAssertEqual(Literals.integer("-0x10"), -16)
    }

    func testLimits() {
        XCTAssertEqual(Literals.integer("9223372036854775807"), Int.max)
        XCTAssertEqual(Literals.integer("-9223372036854775808"), Int.min)
        XCTAssertEqual(Literals.integer("0x7fffffffffffffff"), Int.max)
    }

    func testOverflowIsNil() {
        XCTAssertNil(Literals.integer("9223372036854775808"))
        XCTAssertNil(Literals.integer("-9223372036854775809"))
        XCTAssertNil(Literals.integer("0xffffffffffffffff"))
        XCTAssertNil(Literals.integer("0x10000000000000000"))
        XCTAssertNil(Literals.integer("99999999999999999999999999"))
    }

    func testMalformedIsNil() {
        for text in ["", "-", "+", "--5", "+-5", "0x", "0o", "08", "0o8", "0xg", "1_000", " 1", "1 ", "1.5", "1e3", "abc", "١٢"] {
            XCTAssertNil(Literals.integer(text), text)
        }
    }

    // MARK: Sizes

    func testSizeSuffixes() {
        XCTAssertEqual(Literals.size("0"), 0)
        XCTAssertEqual(Literals.size("1024"), 1024)
        XCTAssertEqual(Literals.size("4k"), 4096)
        XCTAssertEqual(Literals.size("4K"), 4096)
        XCTAssertEqual(Literals.size("4KiB"), 4096)
        XCTAssertEqual(Literals.size("2M"), 2 << 20)
        XCTAssertEqual(Literals.size("2MiB"), 2 << 20)
        XCTAssertEqual(Literals.size("0x10"), 16)
        XCTAssertEqual(Literals.size("0x10K"), 16 << 10)
    }

    func testNegativeSizesAreRejected() {
        XCTAssertNil(Literals.size("-1"))
        XCTAssertNil(Literals.size("-1K"))
        XCTAssertNil(Literals.size("-0x10"))
    }

    func testSizeOverflowIsNil() {
        XCTAssertNil(Literals.size("9223372036854775807K"))
        XCTAssertNil(Literals.size("9007199254740992MiB"))
        XCTAssertNil(Literals.size("99999999999999999999"))
        XCTAssertEqual(Literals.size("9223372036854775807"), Int.max)
    }

    func testMalformedSizesAreNil() {
        for text in ["", "K", "KiB", "1.5K", "4 K", "4kib", "4Ki", "4Kk", "4KiBx", "x4K", "4T"] {
            XCTAssertNil(Literals.size(text), text)
        }
    }

    // MARK: Durations

    func testDurationUnits() {
        XCTAssertEqual(Literals.durationMilliseconds("500ms"), 500)
        XCTAssertEqual(Literals.durationMilliseconds("2s"), 2000)
        XCTAssertEqual(Literals.durationMilliseconds("1m"), 60_000)
        XCTAssertEqual(Literals.durationMilliseconds("0"), 0)
        XCTAssertEqual(Literals.durationMilliseconds("0ms"), 0)
    }

    func testBareNumberIsSeconds() {
        XCTAssertEqual(Literals.durationMilliseconds("3"), 3000)
        XCTAssertEqual(Literals.durationMilliseconds("0.25"), 250)
    }

    func testFractions() {
        XCTAssertEqual(Literals.durationMilliseconds("1.5s"), 1500)
        XCTAssertEqual(Literals.durationMilliseconds("0.5m"), 30_000)
        XCTAssertEqual(Literals.durationMilliseconds(".5"), 500)
        XCTAssertEqual(Literals.durationMilliseconds("2.5ms"), 3)
    }

    func testDurationAtMostADay() {
        XCTAssertEqual(Literals.durationMilliseconds("86400"), 86_400_000)
        XCTAssertEqual(Literals.durationMilliseconds("1440m"), 86_400_000)
        XCTAssertNil(Literals.durationMilliseconds("86401"))
        XCTAssertNil(Literals.durationMilliseconds("1441m"))
        XCTAssertNil(Literals.durationMilliseconds("86400001ms"))
        XCTAssertNil(Literals.durationMilliseconds("99999999999999999999999999999s"))
    }

    func testMalformedDurationsAreNil() {
        for text in ["", "s", "ms", "m", ".", "1.2.3", "-1", "-1s", "+1s", "1h", "1e3", "inf", "nan", "0x10", "1 s", "2S", "1sms"] {
            XCTAssertNil(Literals.durationMilliseconds(text), text)
        }
    }

    // MARK: Modes

    func testModes() {
        XCTAssertEqual(Literals.mode("0600"), 0o600)
        XCTAssertEqual(Literals.mode("600"), 0o600)
        XCTAssertEqual(Literals.mode("0o644"), 0o644)
        XCTAssertEqual(Literals.mode("0777"), 0o777)
        XCTAssertEqual(Literals.mode("0"), 0)
        for text in ["", "01000", "0800", "-600", "0x1ff", "rw", "0o"] {
            XCTAssertNil(Literals.mode(text), text)
        }
    }

    // MARK: Keys

    private func key(_ text: String) throws -> Int32 {
        try IPCKey.parse(text, what: "KEY", at: nil)
    }

    func testKeys() throws {
        XCTAssertEqual(try key("3306"), 3306)
        XCTAssertEqual(try key("0xcea"), 3306)
        XCTAssertEqual(try key("private"), IPC_PRIVATE)
        XCTAssertEqual(try key("IPC_PRIVATE"), IPC_PRIVATE)
        XCTAssertEqual(try key("0xffffffff"), -1)
        XCTAssertEqual(try key("4294967295"), -1)
        XCTAssertEqual(try key("0x7e000001"), 0x7E00_0001)
    }

    func testKeysOutOfRange() {
        for text in ["4294967296", "-1", "0x100000000", "99999999999999999999"] {
            let d = diagnostic({ try key(text) })
            XCTAssertNotNil(d?.hint, text)
        }
        XCTAssertEqual(diagnostic({ try key("-1") })?.message, "KEY -1 is out of range")
    }

    func testNotAKeyShowsTheBytesEscaped() {
        let d = diagnostic({ try IPCKey.parse("ab\u{1}", what: "KEY", at: SourceLocation(file: "f", line: 2, column: 3)) })
        XCTAssertEqual(d?.message, "KEY 'ab\\x01' is not a key")
        XCTAssertEqual(d?.location?.description, "f:2:3")
        XCTAssertEqual(d?.hint, "a key is decimal (3306), hex (0xcea), private, or ftok:PATH:ID")
    }

    func testFtokKeys() throws {
        let expected = ftok("/tmp", 7)
        XCTAssertNotEqual(expected, -1)
        XCTAssertEqual(try key("ftok:/tmp:7"), expected)
        XCTAssertEqual(try key("ftok:/tmp:0x7"), expected)
        XCTAssertNotNil(diagnostic({ try key("ftok:/tmp") }))
        XCTAssertNotNil(diagnostic({ try key("ftok:/tmp:0") }))
        XCTAssertNotNil(diagnostic({ try key("ftok:/tmp:256") }))
        XCTAssertNotNil(diagnostic({ try key("ftok::1") }))
        let missing = diagnostic({ try key("ftok:/nonexistent-ipcsh-path:1") })
        XCTAssertEqual(missing?.message.contains("ftok: ENOENT (No such file or directory)"), true)
    }
}
