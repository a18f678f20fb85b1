@testable import IPCShell
@testable import IPCSyntax
import XCTest

/// Issue 12: declarations, layout, encoding and decoding of C structs, without the kernel (the
/// integration tests compare the layouts with the C compiler's and exchange structs with C).
final class CStructTests: XCTestCase {
    private func declare(_ source: String, known: [String: CStruct] = [:]) throws -> CStruct {
        let script = try Parser.parse(source, file: "t")
        let command = try XCTUnwrap(script.commands.first)
        guard case .word(let name) = command.arguments[1], case .block(let block)? = command.arguments.last else {
            throw Diagnostic("not a struct declaration")
        }
        return try CStructDeclaration.parse(name: name.literalText ?? "", block: block, structs: known)
    }

    func testPaddingAndTrailingPaddingFollowTheAlignments() throws {
        let s = try declare("struct s { char c; double d; char e; }")
        XCTAssertEqual(s.members.map(\.offset), [0, 8, 16])
        XCTAssertEqual(s.size, 24)
        XCTAssertEqual(s.alignment, 8)
        let t = try declare("struct t { char c; short s; char d[3]; long l; }")
        XCTAssertEqual(t.members.map(\.offset), [0, 2, 4, 8])
        XCTAssertEqual(t.size, 16)
        let chars = try declare("struct c { char a[3]; unsigned char b; int8_t c[2]; }")
        XCTAssertEqual(chars.size, 6)
        XCTAssertEqual(chars.alignment, 1)
    }

    func testNestedStructsAndSeveralDeclaratorsOnALine() throws {
        let hdr = try declare("struct hdr { unsigned char type; uint16_t len; }")
        let packet = try declare("struct packet { struct hdr h; int a, b[2]; }", known: ["hdr": hdr])
        XCTAssertEqual(packet.memberPaths, ["h", "h.type", "h.len", "a", "b"])
        XCTAssertEqual(packet.member(at: "h.len")?.offset, 2)
        XCTAssertEqual(packet.member(at: "b")?.offset, 8)
        XCTAssertEqual(packet.size, 16)
        XCTAssertNil(packet.member(at: "h.nosuch"))
    }

    func testEveryTypeSpellingHasTheCSize() throws {
        let s = try declare("""
            struct all { unsigned long int a; long long int b; short int c; signed d; unsigned e;
                         pid_t f; size_t g; ssize_t h; off_t i; float j; uint64_t k; const int l; }
            """)
        XCTAssertEqual(s.members.map(\.size), [8, 8, 2, 4, 4, 4, 8, 8, 8, 4, 8, 4])
    }

    func testBadDeclarationsSayWhatIsWrong() {
        func message(_ source: String) -> String? {
            do { _ = try declare(source); return nil } catch { return (error as? Diagnostic)?.message }
        }
        XCTAssertEqual(message("struct s { char *p; }"), "struct s: pointers are not supported: an address means nothing in another process")
        XCTAssertEqual(message("struct s { blah x; }"), "struct s: unknown type 'blah'")
        XCTAssertEqual(message("struct s { int a; int a; }"), "struct s: member a is declared twice")
        XCTAssertEqual(message("struct s { char b[N]; }"), "struct s: the size of b[...] must be a number")
        XCTAssertEqual(message("struct s { char b[0]; }"), "struct s: b[0]: an array holds 1 or more elements")
        XCTAssertEqual(message("struct s { int m[2][3]; }"), "struct s: m: arrays of arrays are not supported")
        XCTAssertEqual(message("struct s { struct nope n; }"), "struct s: no struct named nope is declared")
        XCTAssertEqual(message("struct s { }"), "struct s: no members")
    }

    func testExtremesRoundTripAndOneBeyondIsRefused() throws {
        let s = try declare("struct x { int8_t a; uint8_t b; int16_t c; uint16_t d; int e; unsigned f; long long g; uint64_t h; double i; float j; }")
        let extremes: [(String, String)] = [("a", "-128"), ("b", "255"), ("c", "-32768"), ("d", "65535"), ("e", "-2147483648"),
                                            ("f", "4294967295"), ("g", "-9223372036854775808"), ("h", "18446744073709551615"),
                                            ("i", "-2.5"), ("j", "0.5")]
        let bytes = try CStructCodec.encode(s, extremes)
        let decoded = bytes.withUnsafeBytes { CStructCodec.decode(s, $0) }
        XCTAssertEqual(decoded.fields.map(\.1), extremes.map(\.1))
        for (member, beyond) in [("a", "128"), ("b", "-1"), ("c", "32768"), ("d", "65536"), ("e", "2147483648"),
                                 ("f", "-1"), ("g", "9223372036854775808"), ("h", "18446744073709551616"), ("j", "1e39")] {
            XCTAssertThrowsError(try CStructCodec.encode(s, [(member, beyond)]), "\(member)=\(beyond)")
        }
    }

    func testArraysStringsAndCharacters() throws {
        let s = try declare("struct m { char name[6]; short list[3]; unsigned char raw[2]; char c; }")
        let bytes = try CStructCodec.encode(s, [("name", "hi \"x\""), ("list", "[1, -2]"), ("raw", "[0xff, 'A']"), ("c", "'\\n'")])
        let decoded = bytes.withUnsafeBytes { CStructCodec.decode(s, $0) }
        XCTAssertEqual(decoded.text, "{ name = \"hi \\\"x\\\"\", list = [1, -2, 0], raw = [255, 65], c = 10 }")
        XCTAssertThrowsError(try CStructCodec.encode(s, [("name", "toolong")]))
        XCTAssertThrowsError(try CStructCodec.encode(s, [("list", "[1,2,3,4]")]))
        XCTAssertThrowsError(try CStructCodec.encode(s, [("list", "oops")]))
        XCTAssertThrowsError(try CStructCodec.encode(s, [("nosuch", "1")]))
        XCTAssertThrowsError(try CStructCodec.encode(s, [("c", "1"), ("c", "2")]))
        // A list typed with spaces arrives as several words.
        XCTAssertEqual(DataCommands.joinedLists(["a=[1,", "2,", "3]", "b=x"]), ["a=[1, 2, 3]", "b=x"])
    }
}
