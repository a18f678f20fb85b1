@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// The JSON-RPC server's own parser and serializer (Session/JSON.swift).
final class JSONTests: XCTestCase {
    func parse(_ text: String) throws -> JSON { try JSON.parse(text) }

    func assertRejects(_ text: String, _ message: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let value = try JSON.parse(text)
            XCTFail("accepted \(text.debugDescription) as \(value)", file: file, line: line)
        } catch {
            if let message { XCTAssertEqual(error.message, message, text, file: file, line: line) }
        }
    }

    func testScalars() throws {
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse(" true "), .bool(true))
        XCTAssertEqual(try parse("false"), .bool(false))
        XCTAssertEqual(try parse("0"), .number("0"))
        XCTAssertEqual(try parse("-12"), .number("-12"))
        XCTAssertEqual(try parse("1.5e3"), .number("1.5e3"))
        XCTAssertEqual(try parse("2E-2"), .number("2E-2"))
        XCTAssertEqual(try parse("-0.25"), .number("-0.25"))
        XCTAssertEqual(try parse(#""hi""#), .string("hi"))
    }

    func testRequestObjectKeepsMemberOrderAndLooksUpByKey() throws {
        let value = try parse(#"{"jsonrpc":"2.0","method":"add","params":["1","2"],"id":7}"#)
        XCTAssertEqual(value["method"], .string("add"))
        XCTAssertEqual(value["params"], .array([.string("1"), .string("2")]))
        XCTAssertEqual(value["id"], .number("7"))
        XCTAssertNil(value["missing"])
        XCTAssertNil(JSON.array([])["x"])
        // The last of duplicate keys wins, as in Python's json.
        XCTAssertEqual(try parse(#"{"a":1,"a":2}"#)["a"], .integer(2))
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\n\t\r\b\f""#), .string("a\"b\\c/d\n\t\r\u{8}\u{C}"))
        XCTAssertEqual(try parse(#""\u00e9\u4e2d""#), .string("é中"))
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse("\"é raw\""), .string("é raw"))
    }

    func testMalformedInputIsRejectedWithAMessage() {
        assertRejects("", "unexpected end of input")
        assertRejects("{", "expected a member name")
        assertRejects(#"{"a" 1}"#, "expected ':'")
        assertRejects(#"{"a":1"#, "unexpected end of input")
        assertRejects(#"{"a":1 "b":2}"#, "expected ',' or '}'")
        assertRejects("[1 2]", "expected ',' or ']'")
        assertRejects("[1,]")
        assertRejects(#"{"a":1,}"#)
        assertRejects(#""abc"#, "unterminated string")
        assertRejects("\"a\nb\"", "control character in string")
        assertRejects(#""\x""#, "invalid escape")
        assertRejects(#""\u12""#)
        assertRejects(#""\ud800""#, "invalid \\u escape")
        assertRejects("tru", "invalid literal")
        assertRejects("nul")
        assertRejects("{} x", "unexpected data after the value")
        assertRejects("garbage", "invalid value")
        assertRejects("NaN")
        assertRejects("Infinity")
        assertRejects("1e999", "invalid value")
    }

    func testNumbersFollowTheJSONGrammar() {
        // Swift's Double(String) takes all of these; JSON does not.
        for text in ["+1", "01", "-01", ".5", "1.", "-", "1e", "1e+", "--1", "1.2.3", "0x10", "1-2"] {
            assertRejects(text)
            assertRejects("[\(text)]")
        }
    }

    func testNestingIsLimited() throws {
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 60) + String(repeating: "]", count: 60)))
        assertRejects(String(repeating: "[", count: 100_000), "nested too deeply")
    }

    func testSerializerIsCompactAndRoundTrips() throws {
        let value = JSON.object([
            ("jsonrpc", .string("2.0")), ("result", .string("line1\nline2 \"q\" \\ \u{1} é")),
            ("n", .array([.integer(1), .number("-2.5"), .number("1e+20"), .null, .bool(true), .bool(false)])),
            ("id", .integer(42)),
        ])
        let text = value.serialized
        XCTAssertEqual(text, #"{"jsonrpc":"2.0","result":"line1\nline2 \"q\" \\ \u0001 é","n":[1,-2.5,1e+20,null,true,false],"id":42}"#)
        XCTAssertEqual(try parse(text), value)
        XCTAssertEqual(JSON.object([]).serialized, "{}")
        XCTAssertEqual(JSON.array([]).serialized, "[]")
    }

    func testNumbersKeepTheirTextExactly() throws {
        // A request id goes back as it came: a Double would make 1.2345678901234568e+29 of the first.
        for text in ["123456789012345678901234567890", "9007199254740993", "-0", "1.0", "1E2", "0.1000000000000000000001",
                     "-98765432109876543210.5e-3", "1e-400"] {
            let value = try parse(text)
            XCTAssertEqual(value, .number(text))
            XCTAssertEqual(value.serialized, text)
            XCTAssertEqual(try parse(#"{"id":\#(text)}"#).serialized, #"{"id":\#(text)}"#)
        }
        // Numbers are equal when their texts are: an id 1.0 is not the id 1.
        XCTAssertNotEqual(try parse("1.0"), try parse("1"))
        XCTAssertNotEqual(try parse("123456789012345678901234567891"), try parse("123456789012345678901234567890"))
        XCTAssertEqual(JSON.integer(Int.min).serialized, "-9223372036854775808")
        XCTAssertEqual(try parse("[1, 2.50]"), .array([.integer(1), .number("2.50")]))
    }
}
