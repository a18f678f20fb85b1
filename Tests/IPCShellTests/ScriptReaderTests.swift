import XCTest
@testable import IPCShell

/// The script reader counts lines eight bytes at a time: the same count as byte by byte, for
/// every length and alignment, with newlines next to bytes that differ from 0x0A by one bit
/// or by the high bit (0x0B, 0x8A, 0x0E, 0xFF).
final class ScriptReaderTests: XCTestCase {
    func testNewlinesAreCountedAsByteByByte() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0A, 0x0A, 0x0B, 0x8A, 0x0E, 0x2A, 0xFF, 0x00, 0x09, 0x4A]
        for length in 0...70 {
            for _ in 0..<20 {
                let bytes = (0..<(length + 7)).map { _ in alphabet.randomElement(using: &generator)! }
                for offset in 0..<8 where offset + length <= bytes.count {
                    let slice = Array(bytes[offset..<(offset + length)])
                    let expected = slice.filter { $0 == 0x0A }.count
                    bytes.withUnsafeBufferPointer { buffer in
                        let part = UnsafeBufferPointer(rebasing: buffer[offset..<(offset + length)])
                        XCTAssertEqual(ScriptReader.newlines(in: part), expected, "\(slice)")
                    }
                }
            }
        }
        XCTAssertEqual(ScriptReader.newlines(in: UnsafeBufferPointer(start: nil, count: 0)), 0)
        Array(repeating: UInt8(0x0A), count: 64).withUnsafeBufferPointer { XCTAssertEqual(ScriptReader.newlines(in: $0), 64) }
    }
}
