@testable import IPCShell
import XCTest

/// `write --as` encoding edge cases that the integration tests reach only through the binary.
final class CStructCodecTests: XCTestCase {
    private func layout(_ members: [(String, CMemberType, Int?)]) -> CStruct {
        var offset = 0
        var alignment = 1
        var laid: [CMember] = []
        for (name, type, count) in members {
            offset = (offset + type.alignment - 1) / type.alignment * type.alignment
            let member = CMember(name: name, type: type, count: count, offset: offset)
            laid.append(member)
            offset += member.size
            alignment = max(alignment, type.alignment)
        }
        return CStruct(name: "s", members: laid, size: (offset + alignment - 1) / alignment * alignment, alignment: alignment)
    }

    private func failure(_ layout: CStruct, _ assignments: [(path: String, value: String)]) -> CStructCodec.Failure? {
        do throws(CStructCodec.Failure) {
            _ = try CStructCodec.encode(layout, assignments)
            return nil
        } catch {
            return error
        }
    }

    /// FLT_MAX prints as 3.4028235e+38 (shortest form that rounds back to it): that text must be
    /// accepted for a float, as C takes 3.4028235e38f; a value that rounds to infinity is refused.
    func testFloatTakesFLTMAXAsItPrintsAndRefusesWhatRoundsToInfinity() throws {
        let s = layout([("f", .scalar(.float), nil)])
        for text in [String(describing: Float.greatestFiniteMagnitude), String(describing: -Float.greatestFiniteMagnitude)] {
            let bytes = try CStructCodec.encode(s, [("f", text)])
            let value = bytes.withUnsafeBytes { $0.loadUnaligned(as: Float.self) }
            XCTAssertEqual(abs(value), Float.greatestFiniteMagnitude, text)
            let decoded = bytes.withUnsafeBytes { CStructCodec.decode(s, $0) }
            XCTAssertEqual(decoded.fields.first?.1, text, "what read prints is what write takes")
        }
        for text in ["3.5e38", "-3.5e38", "1e39"] {
            XCTAssertEqual(failure(s, [("f", text)])?.message, "f = \(text) does not fit a float (at most 3.4028235e+38)")
        }
    }

    /// `c='A'` reaches the codec as `A` (the shell removes the quotes): the hint says how to keep them.
    func testACharacterWhoseQuotesTheShellRemovedGetsAHintThatKeepsThem() throws {
        let s = layout([("c", .scalar(.char), nil)])
        let error = try XCTUnwrap(failure(s, [("c", "A")]))
        XCTAssertEqual(error.message, "c is a char: 'A' is not a whole number")
        XCTAssertEqual(error.hint, "for the code of the character A, keep its quotes from the shell: c=\"'A'\"")
        XCTAssertEqual(try CStructCodec.encode(s, [("c", "'A'")]), [65])
    }

    /// An array of structs has no path to its elements: the error says so, and does not suggest
    /// `hs.s`, which is no member either.
    func testAnArrayOfStructsIsRefusedWithoutSuggestingAPathThatDoesNotExist() throws {
        let inner = layout([("len", .scalar(.uint16), nil)])
        let s = layout([("hs", .structure(inner), 2)])
        let error = try XCTUnwrap(failure(s, [("hs", "1")]))
        XCTAssertEqual(error.message, "hs is an array of 2 struct s: write --as cannot set its elements (they are written as zero)")
        XCTAssertFalse(error.hint?.contains("hs.len=") ?? true, error.hint ?? "")
        XCTAssertNotNil(failure(s, [("hs.len", "1")]), "hs.len is no member path")
    }
}
