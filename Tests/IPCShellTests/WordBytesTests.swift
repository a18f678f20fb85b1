import XCTest
@testable import IPCShell
@testable import IPCSyntax

final class WordBytesTests: XCTestCase {
    /// Every length round-trips, on both sides of the inline limit, from arrays, slices and text.
    func testRoundTripsAtEveryLengthUpTo40() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }
            let fromArray = WordBytes(bytes)
            let padded: [UInt8] = [0x41] + bytes + [0x42]
            let fromSlice = WordBytes(padded[1..<(1 + length)])
            XCTAssertEqual(fromArray.array, bytes, "length \(length)")
            XCTAssertEqual(fromArray.count, length)
            XCTAssertEqual(Array(fromArray), bytes, "the Collection view, length \(length)")
            XCTAssertEqual(fromArray.withUnsafeBufferPointer { Array($0) }, bytes)
            XCTAssertEqual(fromSlice, fromArray, "a slice equals the array, length \(length)")
        }
    }

    /// A word read out of a buffer (as the lexer reads them: by loads when 16 bytes are there,
    /// byte by byte near the end) equals the word made from an array, at every place and length,
    /// and never holds the bytes around it.
    func testWordsFromABufferAtEveryOffsetAndLength() {
        let buffer = (0..<48).map { UInt8(truncatingIfNeeded: $0 &* 59 &+ 3) }
        buffer.withUnsafeBufferPointer { pointer in
            for start in 0...buffer.count {
                for end in start...min(buffer.count, start + 20) {
                    let word = WordBytes(pointer, start..<end)
                    let expected = WordBytes(Array(buffer[start..<end]))
                    XCTAssertEqual(word, expected, "bytes \(start)..<\(end)")
                    XCTAssertEqual(word.hashValue, expected.hashValue, "bytes \(start)..<\(end)")
                    XCTAssertEqual(word.array, Array(buffer[start..<end]), "bytes \(start)..<\(end)")
                }
            }
        }
    }

    /// Equality and hashing follow the bytes, whichever way the value was made.
    /// `split(atLast:)` cuts a word where a byte-by-byte search of its array does, at every
    /// place of the byte, for inline words (cut in registers) and longer ones; both halves are
    /// canonical (equal to the word made from their bytes), and a word without the byte is nil.
    func testSplitAtLastMatchesTheArrayAtEveryPlaceAndLength() {
        for length in 0...20 {
            for place in -1..<length {
                // 0xFF and 0x2E around: no stray bit of a neighbour may leak into a half.
                var bytes = (0..<length).map { UInt8(truncatingIfNeeded: 0xF0 &+ $0) }
                if place >= 0 { bytes[place] = 0x2E }
                if length > 1, place != 0 { bytes[0] = 0x2E }   // an earlier dot: the last one counts
                let word = WordBytes(bytes)
                guard let last = bytes.lastIndex(of: 0x2E) else {
                    XCTAssertNil(word.split(atLast: 0x2E), "length \(length): no dot")
                    continue
                }
                guard let (before, after) = word.split(atLast: 0x2E) else {
                    XCTFail("length \(length), dot at \(last): not split"); continue
                }
                XCTAssertEqual(before.array, Array(bytes[..<last]), "length \(length), dot at \(last)")
                XCTAssertEqual(after.array, Array(bytes[(last + 1)...]), "length \(length), dot at \(last)")
                XCTAssertEqual(before, WordBytes(Array(bytes[..<last])))
                XCTAssertEqual(after, WordBytes(Array(bytes[(last + 1)...])))
            }
        }
        XCTAssertNil(WordBytes(Array("pipe1".utf8)).split(atLast: 0x2E))
        let (name, end) = WordBytes(Array("pipe1.r".utf8)).split(atLast: 0x2E)!
        XCTAssertEqual(name.string, "pipe1")
        XCTAssertEqual(end.string, "r")
    }

    /// An option is more than two bytes starting `--`, whether the word is inline or an array.
    func testLooksLikeOptionInlineAndLong() {
        let cases: [(String, Bool)] = [("--at", true), ("--x", true), ("--", false), ("-", false), ("", false), ("-x", false),
                                       ("x--", false), ("—at", false), ("--" + String(repeating: "y", count: 30), true),
                                       ("-" + String(repeating: "-", count: 0) + String(repeating: "y", count: 30), false),
                                       (String(repeating: "-", count: 16), true), ("--=1", true)]
        for (text, expected) in cases {
            XCTAssertEqual(WordBytes(Array(text.utf8)).looksLikeOption, expected, text)
        }
    }

    /// `NAME.E`: a dot just before the last byte, inline (at every place of the 15 bytes) or long.
    func testNamesAnEndAtEveryLength() {
        for count in 0...40 {
            for dot in 0..<max(count, 1) where count > 0 {
                var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: count)
                bytes[dot] = UInt8(ascii: ".")
                XCTAssertEqual(WordBytes(bytes).namesAnEnd, count >= 2 && dot == count - 2, "\(count) bytes, dot at \(dot)")
            }
        }
        XCTAssertFalse(WordBytes().namesAnEnd)
        XCTAssertTrue(WordBytes(Array("p.r".utf8)).namesAnEnd)
        XCTAssertFalse(WordBytes(Array("p.rw".utf8)).namesAnEnd)
    }

    /// Printable ASCII tested eight bytes at a time agrees with the byte-by-byte test: every
    /// byte value at every place of words of every length up to 20, in printable company.
    func testPrintableASCIIAgreesWithTheBytes() {
        for count in 1...20 {
            for place in 0..<count {
                for byte in UInt8.min...UInt8.max {
                    var bytes = (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                    bytes[place] = byte
                    let expected = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
                    XCTAssertEqual(WordBytes(bytes).isPrintableASCII, expected, "\(count) bytes, \(byte) at \(place)")
                }
            }
        }
        XCTAssertTrue(WordBytes().isPrintableASCII)
        XCTAssertTrue(WordBytes(Array(" ~".utf8)).isPrintableASCII)
    }

    func testEqualBytesAreEqualValues() {
        let short = WordBytes("shm1")
        XCTAssertEqual(short, WordBytes(Array("shm1".utf8)))
        XCTAssertEqual(short.hashValue, WordBytes(Array("shm1".utf8)[...]).hashValue)
        XCTAssertNotEqual(short, WordBytes("shm2"))
        XCTAssertNotEqual(WordBytes("a"), WordBytes("a\u{0}"), "a trailing NUL is a byte, not padding")
        let long = String(repeating: "x", count: 16)
        XCTAssertEqual(WordBytes(long), WordBytes(Array(long.utf8)))
        XCTAssertNotEqual(WordBytes(long), WordBytes(String(repeating: "x", count: 15)))
    }

    func testStringContainsAndFirstIndex() {
        XCTAssertEqual(WordBytes("pipe1.r").string, "pipe1.r")
        XCTAssertTrue(WordBytes("pipe1.r").contains(UInt8(ascii: ".")))
        XCTAssertFalse(WordBytes("shm1").contains(UInt8(ascii: ".")))
        XCTAssertEqual(WordBytes("--at=4").firstIndex(of: UInt8(ascii: "=")), 4)
        XCTAssertEqual(WordBytes([0xFF, 0x00]).array, [0xFF, 0x00], "not UTF-8, and a NUL: kept as they are")
        XCTAssertEqual(WordBytes(String(repeating: "ab", count: 20)).firstIndex(of: UInt8(ascii: "b")), 1)
    }

    /// The lexer's one-bit test for plain bytes agrees with the language: each byte, between two
    /// letters, either stays in the word or (blank, separator, quote, `$`, brace, backslash) does not.
    func testEveryByteInsideAWord() throws {
        let special: Set<UInt8> = [0x20, 0x09, 0x0D, 0x0A, 0x3B, 0x27, 0x22, 0x24, 0x5C, 0x7B, 0x7D]
        for byte in UInt8.min...UInt8.max where !special.contains(byte) {
            var lexer = Lexer(bytes: [0x61, byte, 0x62], file: "t.ipcs")
            let tokens = try lexer.tokenize()
            XCTAssertEqual(tokens.count, 2, "byte \(byte)")
            guard case .word(let word) = tokens[0].kind else { return XCTFail("byte \(byte): not a word") }
            XCTAssertEqual(word.singleLiteral?.array, [0x61, byte, 0x62], "byte \(byte)")
        }
        for byte in special {
            var lexer = Lexer(bytes: [0x61, byte, 0x62], file: "t.ipcs")
            let words = (try? lexer.tokenize())?.filter { if case .word = $0.kind { return true } else { return false } }
            XCTAssertNotEqual(words?.first.flatMap { if case .word(let w) = $0.kind { return w.singleLiteral?.array } else { return nil } },
                              [0x61, byte, 0x62], "byte \(byte) must not be a plain word byte")
        }
    }
}
