@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// How data read from the kernel is shown: printable text as is, everything else as `\xHH`.
final class EscapingTests: XCTestCase {
    func testPrintableASCIIIsUnchanged() {
        XCTAssertEqual(Escaping.display(Array("hello, world ~!".utf8)), "hello, world ~!")
        XCTAssertEqual(Escaping.display([UInt8]()), "")
    }

    func testControlAndHighBytesAreHex() {
        XCTAssertEqual(Escaping.display([0x00]), "\\x00")
        XCTAssertEqual(Escaping.display([0x41, 0xFF, 0x42]), "A\\xffB")
        XCTAssertEqual(Escaping.display([0x0D, 0x1B, 0x7F]), "\\x0d\\x1b\\x7f")
        XCTAssertEqual(Escaping.display([0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFE]), "\\x80\\xbf\\xc0\\xc1\\xf5\\xfe")
    }

    func testTabAndNewlineAreBackslashLetters() {
        XCTAssertEqual(Escaping.display(Array("a\tb\nc".utf8)), "a\\tb\\nc")
    }

    func testValidUTF8IsShownAsText() {
        XCTAssertEqual(Escaping.display(Array("héllo → 🙂".utf8)), "héllo → 🙂")
    }

    /// U+0080...U+009F are valid UTF-8 but C1 controls (U+009B is CSI to some terminals): shown
    /// as bytes, so data read from a peer cannot drive the terminal. U+00A0 and above stay text.
    func testC1ControlsAreHexThoughValidUTF8() {
        XCTAssertEqual(Escaping.display([0xC2, 0x9B, 0x33, 0x31, 0x6D]), "\\xc2\\x9b31m")
        XCTAssertEqual(Escaping.display([0x41, 0xC2, 0x80, 0xC2, 0x9F, 0x42]), "A\\xc2\\x80\\xc2\\x9fB")
        XCTAssertEqual(Escaping.display([0xC2, 0xA0, 0xC2, 0xA9]), "\u{A0}©")
        // The memory path (a segment's C string) escapes them the same way.
        let bytes: [UInt8] = [0x78, 0xC2, 0x9B, 0x79]
        let shown = bytes.withUnsafeBytes { Escaping.escaped($0[...]) }
        XCTAssertEqual(String(decoding: shown, as: UTF8.self), "x\\xc2\\x9by")
    }

    func testInvalidUTF8IsHex() {
        // A lead byte without its continuation, an overlong NUL, a UTF-16 surrogate, a truncated sequence.
        XCTAssertEqual(Escaping.display([0xC3, 0x41]), "\\xc3A")
        XCTAssertEqual(Escaping.display([0xC0, 0x80]), "\\xc0\\x80")
        XCTAssertEqual(Escaping.display([0xED, 0xA0, 0x80]), "\\xed\\xa0\\x80")
        XCTAssertEqual(Escaping.display([0x41, 0xE2, 0x82]), "A\\xe2\\x82")
        XCTAssertEqual(Escaping.display([0xF4, 0x90, 0x80, 0x80]), "\\xf4\\x90\\x80\\x80")
    }

    func testTrailingNULPaddingIsShownNotDropped() {
        // Escaping itself drops nothing: callers decide where data ends.
        XCTAssertEqual(Escaping.display([0x68, 0x69, 0x00, 0x00]), "hi\\x00\\x00")
    }

    func testEscapedMatchesDisplay() {
        let samples: [[UInt8]] = [[], [0x41], [0x00, 0xFF], Array("é\n".utf8), [0xE2, 0x82, 0xAC, 0x01]]
        for bytes in samples {
            XCTAssertEqual(Escaping.escaped(bytes), Array(Escaping.display(bytes).utf8))
        }
    }

    func testEveryByteIsShownAsPrintableASCIIOrValidUTF8() {
        for b in 0...255 {
            let shown = Escaping.display([UInt8(b)])
            XCTAssertTrue(shown.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "byte \(b) shown as \(shown)")
        }
    }

    func testShownHexEscapesLexBackToTheSameBytes() throws {
        // What `read` prints can be pasted back into a double-quoted word.
        let original: [UInt8] = [0x00, 0x01, 0x41, 0x7F, 0x80, 0xFF, 0x09, 0x0A]
        let shown = Escaping.display(original)
        var lexer = Lexer("\"" + shown + "\"", file: "x")
        let tokens = try lexer.tokenize()
        guard case .word(let word) = tokens[0].kind else { return XCTFail() }
        XCTAssertEqual(word.parts, [.literal(original)])
    }
}
