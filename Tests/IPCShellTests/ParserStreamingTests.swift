import XCTest
@testable import IPCShell
@testable import IPCSyntax

/// The parser pulls tokens from the lexer one at a time. Errors must come out as when the whole
/// text was tokenized first: the first lexical error anywhere wins over a grammar error (so an
/// unterminated quote after a stray `}` still makes the REPL ask for the next line).
final class ParserStreamingTests: XCTestCase {
    private func parseError(_ source: String) -> Diagnostic? {
        do {
            _ = try Parser.parse(source, file: "t")
            return nil
        } catch {
            return error
        }
    }

    func testALexicalErrorAfterAGrammarErrorWins() {
        let error = parseError("}\necho 'open")
        XCTAssertEqual(error?.message, "unterminated single quote")
        XCTAssertEqual(error?.isIncomplete, true)
        XCTAssertEqual(error?.location?.line, 2)
    }

    func testTheFirstLexicalErrorIsReported() {
        let error = parseError(#"echo "\q"; echo 'open"#)
        XCTAssertEqual(error?.message.hasPrefix("unknown escape"), true, error?.message ?? "no error")
    }

    func testAGrammarErrorAloneIsReported() {
        XCTAssertEqual(parseError("echo a }\necho b")?.message, "unexpected }")
    }

    func testManyCommandsKeepTheirOrderTextAndLocations() throws {
        let source = (0..<1000).map { "write shm1 hello-\($0); read shm1" }.joined(separator: "\n")
        let script = try Parser.parse(source, file: "t")
        XCTAssertEqual(script.commands.count, 2000)
        XCTAssertEqual(script.commands[1998].source, "write shm1 hello-999")
        XCTAssertEqual(script.commands[1999].location.line, 1000)
        XCTAssertEqual(script.commands[1999].location.column, 23)
    }
}
