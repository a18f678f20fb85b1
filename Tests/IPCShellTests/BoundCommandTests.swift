import XCTest
@testable import IPCShell
@testable import IPCSyntax

/// A bound command is a value: its options and variadic words live out of line (shared until
/// one copy changes), so a change to a copy must not show in the original.
final class BoundCommandTests: XCTestCase {
    func testCopiesStayApartWhenOptionsOrWordsChange() throws {
        let spec = try XCTUnwrap(CommandRegistry.standard.specs["write"])
        let atIndex = try XCTUnwrap(spec.options.firstIndex { $0.name == "--at" })
        var original = BoundCommand(spec: spec, location: SourceLocation(file: "t.ipcs", line: 1, column: 1), binding: nil)
        XCTAssertFalse(original.anyOptionGiven)
        XCTAssertEqual(original.variadic, [])

        original.setOption(atIndex, .integer(5))
        original.variadic = [Array("a".utf8), Array("b".utf8)]
        var copy = original
        copy.setOption(atIndex, .integer(6))
        copy.variadic = [Array("c".utf8)]

        guard case .integer(5)? = original.option(atIndex) else { return XCTFail("the original's --at changed") }
        guard case .integer(6)? = copy.option(atIndex) else { return XCTFail("the copy's --at did not change") }
        XCTAssertEqual(original.variadic, [Array("a".utf8), Array("b".utf8)])
        XCTAssertEqual(copy.variadic, [Array("c".utf8)])
        XCTAssertEqual(original.optionValueCount, 1)
        XCTAssertEqual(copy.optionValueCount, 2, "the copy counts the value it had and the one set since")
        XCTAssertTrue(original.anyOptionGiven)
    }
}
