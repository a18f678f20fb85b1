import XCTest
@testable import IPCShell
@testable import IPCSyntax

/// A `$` that starts no substitution is literal text. The lexer once forgot to step over it
/// and looped forever (eating memory) on `echo $`, `a$ b` or `"$"`.
final class LexerLiteralDollarTests: XCTestCase {
    private func literalWords(_ source: String) throws -> [String] {
        var lexer = Lexer(source, file: "t")
        return try lexer.tokenize().compactMap { token in
            guard case .word(let word) = token.kind else { return nil }
            return word.literalText
        }
    }

    func testLoneDollarAtEndOfInputIsLiteral() throws {
        XCTAssertEqual(try literalWords("echo $"), ["echo", "$"])
    }

    func testDollarBeforeBlankOrPunctuationIsLiteral() throws {
        XCTAssertEqual(try literalWords("echo a$ $% 5$"), ["echo", "a$", "$%", "5$"])
    }

    func testDollarInsideDoubleQuotesIsLiteral() throws {
        XCTAssertEqual(try literalWords(#"echo "$" "a $ b" "$""#), ["echo", "$", "a $ b", "$"])
    }
}
