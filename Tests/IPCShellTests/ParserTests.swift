@testable import IPCShell
import XCTest
@testable import IPCSyntax

final class ParserTests: XCTestCase {
    private func parse(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Script? {
        do { return try Parser.parse(source, file: "t.ipcs") } catch {
            XCTFail("unexpected diagnostic: \(error)", file: file, line: line)
            return nil
        }
    }

    private func parseError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
        diagnostic({ try Parser.parse(source, file: "t.ipcs") }, file: file, line: line)
    }

    /// A command's arguments as strings: words described, blocks as `{N}` with N commands.
    private func shape(_ command: Command) -> [String] {
        command.arguments.map { argument in
            switch argument {
            case .word(let w): return describe(w)
            case .block(let b): return "{\(b.commands.count)}"
            }
        }
    }

    func testCommandsSplitOnSemicolonsAndNewlines() throws {
        let script = try XCTUnwrap(parse("echo a; echo b\n\n  echo c  # note\n"))
        XCTAssertEqual(script.commands.map(shape), [["echo", "a"], ["echo", "b"], ["echo", "c"]])
        XCTAssertEqual(script.commands.map(\.source), ["echo a", "echo b", "echo c"])
        XCTAssertEqual(script.commands.map(\.location.line), [1, 1, 3])
        XCTAssertEqual(script.commands.map(\.location.column), [1, 9, 3])
    }

    func testEmptyAndCommentOnlyInputHasNoCommands() {
        XCTAssertEqual(parse("")?.commands.count, 0)
        XCTAssertEqual(parse(";;\n;  ; # nothing\n# at all")?.commands.count, 0)
    }

    func testShebangLineIsAComment() {
        XCTAssertEqual(parse("#!/usr/bin/env ipcsh\necho hi")?.commands.map(shape), [["echo", "hi"]])
    }

    // MARK: NAME = COMMAND

    func testBindingTakesTheNameAndTheCommand() throws {
        let command = try XCTUnwrap(parse("buf = shm create 0x7e000001 1KiB")?.commands.first)
        XCTAssertEqual(command.binding, "buf")
        XCTAssertEqual(shape(command), ["shm", "create", "0x7e000001", "1KiB"])
        XCTAssertEqual(command.source, "buf = shm create 0x7e000001 1KiB")
    }

    func testQuotedEqualsIsNotBinding() throws {
        for source in [#"x "=" y"#, "x '=' y", #"x \= y"#] {
            let command = try XCTUnwrap(parse(source)?.commands.first)
            XCTAssertNil(command.binding, source)
            XCTAssertEqual(shape(command), ["x", "=", "y"], source)
        }
    }

    func testEqualsInsideAWordIsNotBinding() throws {
        let command = try XCTUnwrap(parse("a=b echo")?.commands.first)
        XCTAssertNil(command.binding)
        XCTAssertEqual(shape(command), ["a=b", "echo"])
    }

    func testEqualsLaterInTheCommandIsAnArgument() throws {
        let command = try XCTUnwrap(parse("expect a = b")?.commands.first)
        XCTAssertNil(command.binding)
        XCTAssertEqual(shape(command), ["expect", "a", "=", "b"])
    }

    func testBindingNeedsAPlainName() {
        for source in [#""buf" = echo"#, "1x = echo", "$x = echo", "a-b = echo"] {
            let d = parseError(source)
            XCTAssertEqual(d?.message, "the name before = must be a plain name like buf or msg", source)
            XCTAssertEqual(d?.location?.column, 1, source)
        }
    }

    func testBindingNeedsACommand() {
        let d = parseError("echo ok\nbuf  =   # nothing")
        XCTAssertEqual(d?.message, "missing command after 'buf ='")
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 2, column: 6))
        XCTAssertEqual(d?.isIncomplete, false)
    }

    func testBindingInsideABlock() throws {
        let block = try XCTUnwrap(parse("repeat 1 { m = echo hi }")?.commands.first?.arguments.last)
        guard case .block(let b) = block else { return XCTFail("no block") }
        XCTAssertEqual(b.commands.first?.binding, "m")
        XCTAssertEqual(b.commands.first.map(shape), ["echo", "hi"])
    }

    // MARK: Blocks

    func testBlockOnOneLine() throws {
        let command = try XCTUnwrap(parse("repeat 3 { echo $i; echo b }")?.commands.first)
        XCTAssertEqual(shape(command), ["repeat", "3", "{2}"])
        guard case .block(let block) = command.arguments[2] else { return XCTFail() }
        XCTAssertEqual(block.source, " echo $i; echo b ")
        XCTAssertEqual(block.location, SourceLocation(file: "t.ipcs", line: 1, column: 10))
        XCTAssertEqual(block.commands.map(shape), [["echo", "$(i)"], ["echo", "b"]])
        XCTAssertEqual(command.source, "repeat 3 { echo $i; echo b }")
    }

    func testBlockAcrossLinesAndNested() throws {
        let script = try XCTUnwrap(parse("repeat 2 {\n  repeat 2 {\n    echo $i\n  }\n  echo x\n}\necho after"))
        XCTAssertEqual(script.commands.map(shape), [["repeat", "2", "{2}"], ["echo", "after"]])
        guard case .block(let outer) = script.commands[0].arguments[2] else { return XCTFail() }
        XCTAssertEqual(outer.commands.map(shape), [["repeat", "2", "{1}"], ["echo", "x"]])
        XCTAssertEqual(outer.commands.map(\.location.line), [2, 5])
        XCTAssertEqual(script.commands[1].location.line, 7)
    }

    func testEmptyBlock() throws {
        let command = try XCTUnwrap(parse("repeat 2 { }")?.commands.first)
        XCTAssertEqual(shape(command), ["repeat", "2", "{0}"])
    }

    func testUnclosedBlockIsIncompleteAtItsBrace() {
        let d = parseError("echo a\nrepeat 2 {\n  echo b")
        XCTAssertEqual(d?.isIncomplete, true)
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 2, column: 10))
        XCTAssertEqual(d?.message, "unclosed { (opened here)")
    }

    func testUnclosedNestedBlockPointsAtTheInnermostOpenBrace() {
        XCTAssertEqual(parseError("a { b { c")?.location?.column, 7)
        XCTAssertEqual(parseError("a { b { c }")?.location?.column, 3)
    }

    func testUnclosedQuoteInsideABlockIsIncomplete() {
        let d = parseError("repeat 2 { echo \"x }")
        XCTAssertEqual(d?.isIncomplete, true)
        XCTAssertEqual(d?.location?.column, 17)
    }

    func testStrayCloseBraceIsAnErrorNotIncomplete() {
        let d = parseError("echo a\n  }")
        XCTAssertEqual(d?.isIncomplete, false)
        XCTAssertEqual(d?.message, "unexpected }")
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 2, column: 3))
    }

    func testBlockWithoutCommandIsAnError() {
        let d = parseError("{ echo a }")
        XCTAssertEqual(d?.isIncomplete, false)
        XCTAssertEqual(d?.location?.column, 1)
    }

    // MARK: ! shell command

    func testBangCommandIsTwoWords() throws {
        let script = try XCTUnwrap(parse("! ipcs -m | head -3; echo x\necho y"))
        XCTAssertEqual(script.commands.map(shape), [["!", "ipcs -m | head -3; echo x"], ["echo", "y"]])
        XCTAssertEqual(script.commands[0].source, "! ipcs -m | head -3; echo x")
    }

    func testActorCommandIsTwoWordsAndItsSourceIsAsTyped() throws {
        let script = try XCTUnwrap(parse("@a sleep 0.5; echo two\n@b repeat 2 {\n  echo x\n}\necho y"))
        XCTAssertEqual(script.commands.map(shape),
                       [["@a", "sleep 0.5; echo two"], ["@b", "repeat 2 {\\n  echo x\\n}"], ["echo", "y"]])
        XCTAssertEqual(script.commands.map(\.source), ["@a sleep 0.5; echo two", "@b repeat 2 {\n  echo x\n}", "echo y"])
        XCTAssertEqual(parseError("@a repeat 2 {")?.isIncomplete, true)
    }

    func testBindingBeforeRawRestIsNotBinding() throws {
        // `! a = b`: the raw rest is quoted, so it is data for the shell, not NAME = COMMAND.
        let command = try XCTUnwrap(parse("! a = b")?.commands.first)
        XCTAssertNil(command.binding)
        XCTAssertEqual(shape(command), ["!", "a = b"])
    }

    // MARK: Names

    func testIsName() {
        XCTAssertTrue(Parser.isName("buf"))
        XCTAssertTrue(Parser.isName("_x1"))
        XCTAssertFalse(Parser.isName(""))
        XCTAssertFalse(Parser.isName("1x"))
        XCTAssertFalse(Parser.isName("a.b"))
        XCTAssertFalse(Parser.isName("a-b"))
        XCTAssertFalse(Parser.isName("é"))
    }
}
