@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// The lexical rules of docs/language.md ("Lexical rules"), one rule at a time.
final class LexerTests: XCTestCase {
    private func words(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do { return describe(try tokenize(source)) } catch {
            XCTFail("unexpected diagnostic: \(error)", file: file, line: line)
            return []
        }
    }

    private func lexError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
        diagnostic({ try tokenize(source) }, file: file, line: line)
    }

    // MARK: Commands and separators

    func testWordsAreSeparatedByBlanksAndTabs() {
        XCTAssertEqual(words("echo  a\tb"), ["w:echo", "w:a", "w:b"])
    }

    func testSemicolonAndNewlineSeparateCommands() {
        XCTAssertEqual(words("echo a; echo b\necho c"),
                       ["w:echo", "w:a", ";", "w:echo", "w:b", ";", "w:echo", "w:c"])
        XCTAssertEqual(words("echo a;echo b"), ["w:echo", "w:a", ";", "w:echo", "w:b"])
    }

    func testCarriageReturnIsABlank() {
        XCTAssertEqual(words("echo a\r\necho b\r\n"), ["w:echo", "w:a", ";", "w:echo", "w:b", ";"])
    }

    func testEndTokenIsLast() throws {
        let tokens = try tokenize("echo")
        XCTAssertEqual(tokens.count, 2)
        XCTAssertEqual(tokens.last?.kind, .end)
        XCTAssertEqual(try tokenize("").map(\.kind), [.end])
    }

    // MARK: Comments

    func testHashAtWordStartStartsAComment() {
        XCTAssertEqual(words("echo a # the rest; echo b"), ["w:echo", "w:a"])
        XCTAssertEqual(words("# a whole line\necho x"), [";", "w:echo", "w:x"])
        XCTAssertEqual(words("echo a;# after a separator"), ["w:echo", "w:a", ";"])
        XCTAssertEqual(words("    # indented"), [])
    }

    func testHashInsideAWordIsText() {
        XCTAssertEqual(words("echo a#b c#"), ["w:echo", "w:a#b", "w:c#"])
    }

    func testQuotedHashIsText() {
        XCTAssertEqual(words("echo \"#x\" '#y' \\#z"), ["w:echo", "w:#x", "w:#y", "w:#z"])
    }

    func testDollarHashIsTheArgumentCountNotAComment() {
        XCTAssertEqual(words("echo $# done"), ["w:echo", "w:$#", "w:done"])
        XCTAssertEqual(words("echo \"$# args\""), ["w:echo", "w:$# args"])
    }

    func testBlankLinesAndCommentOnlyLinesGiveNoWords() {
        XCTAssertEqual(words("\n\n   \n# c\n\t\n"), [";", ";", ";", ";", ";"])
    }

    // MARK: Double quotes

    func testDoubleQuoteEscapes() throws {
        let tokens = try tokenize(#"w "\n\t\r\0\\\"\$\x41\xff\x0A""#)
        guard case .word(let word) = tokens[1].kind else { return XCTFail("not a word") }
        XCTAssertEqual(word.parts, [.literal([0x0A, 0x09, 0x0D, 0x00, 0x5C, 0x22, 0x24, 0x41, 0xFF, 0x0A])])
        XCTAssertTrue(word.wasQuoted)
    }

    func testEscapedDollarIsNotASubstitution() {
        XCTAssertEqual(words(#"echo "\$HOME""#), ["w:echo", "w:$HOME"])
    }

    func testUnknownEscapeIsAnErrorAtTheBackslash() {
        let d = lexError(#"echo "ab\qc""#)
        XCTAssertEqual(d?.message, #"unknown escape \q"#)
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 1, column: 9))
        XCTAssertEqual(d?.isIncomplete, false)
        XCTAssertNotNil(d?.hint)
    }

    func testBadHexEscapeIsAnError() {
        for source in [#"echo "\xZZ""#, #"echo "\x4""#, #"echo "\x""#] {
            let d = lexError(source)
            XCTAssertEqual(d?.location?.column, 7, source)
            XCTAssertEqual(d?.message.contains("two hex digits"), true, source)
        }
    }

    func testSubstitutionsInsideDoubleQuotes() {
        XCTAssertEqual(words(#"echo "a $x b ${y}c $buf.shmid $? $_ $1 $@""#),
                       ["w:echo", "w:a $(x) b $(y)c $(buf.shmid) $? $_ $1 $@"])
    }

    func testDoubleQuotesKeepBlanksAndSeparatorsInOneWord() {
        XCTAssertEqual(words(#"echo "a b; { c }""#), ["w:echo", "w:a b; { c }"])
    }

    func testDoubleQuotesSpanLines() {
        XCTAssertEqual(words("echo \"a\nb\""), ["w:echo", "w:a\\nb"])
    }

    // MARK: Single quotes

    func testSingleQuotesAreLiteral() throws {
        let tokens = try tokenize(#"echo 'a\nb $x ${y} "q" # z'"#)
        guard case .word(let word) = tokens[1].kind else { return XCTFail("not a word") }
        XCTAssertEqual(word.parts, [.literal(Array(#"a\nb $x ${y} "q" # z"#.utf8))])
        XCTAssertTrue(word.wasQuoted)
    }

    func testAdjacentQuotedAndPlainPartsMakeOneWord() throws {
        XCTAssertEqual(words(#"echo a"b c"'d e'f"#), ["w:echo", "w:ab cd ef"])
        let tokens = try tokenize(#"'' """#)
        guard case .word(let a) = tokens[0].kind, case .word(let b) = tokens[1].kind else { return XCTFail() }
        XCTAssertEqual(a.literalText, "")
        XCTAssertEqual(b.literalText, "")
        XCTAssertTrue(a.wasQuoted && b.wasQuoted)
    }

    // MARK: Backslash outside quotes

    func testBackslashOutsideQuotesTakesTheNextCharacterLiterally() {
        XCTAssertEqual(words(#"echo a\ b \; \{ \$x"#), ["w:echo", "w:a b", "w:;", "w:{", "w:$x"])
    }

    func testBackslashNewlineContinuesTheCommand() {
        XCTAssertEqual(words("echo a \\\n  b"), ["w:echo", "w:a", "w:b"])
        XCTAssertEqual(words("echo abc\\\ndef"), ["w:echo", "w:abcdef"])
    }

    // MARK: Substitutions

    func testDollarForms() {
        XCTAssertEqual(words("$x ${x} $x.f ${x.f} $? $_ $# $@ $0 $1 ${12}"),
                       ["w:$(x)", "w:$(x)", "w:$(x.f)", "w:$(x.f)", "w:$?", "w:$_", "w:$#", "w:$@", "w:$0", "w:$1", "w:$12"])
    }

    func testNameAndFieldBoundaries() {
        // A field is a path of names (a struct's nested member: $v.hdr.len, issue 12).
        XCTAssertEqual(words("$x-y $x. $x.1 $a.b.c ${a.b.c} $a.b.1 ${x}.f $_x $x_1"),
                       ["w:$(x)-y", "w:$(x).", "w:$(x).1", "w:$(a.b.c)", "w:$(a.b.c)", "w:$(a.b).1", "w:$(x).f", "w:$(_x)", "w:$(x_1)"])
    }

    func testPositionalIsOneDigitUnlessBraced() {
        XCTAssertEqual(words("$12"), ["w:$12"])
        XCTAssertEqual(words("$12").count, 1)
        let tokens = try? tokenize("$12")
        if case .word(let w)? = tokens?.first?.kind {
            XCTAssertEqual(w.parts, [.positional(1), .literal([0x32])])
        } else {
            XCTFail("not a word")
        }
    }

    func testLoneDollarIsText() {
        XCTAssertEqual(words("$ a$ $% \"$\""), ["w:$", "w:a$", "w:$%", "w:$"])
    }

    func testBadBracedSubstitutions() {
        XCTAssertEqual(lexError("echo ${}")?.location?.column, 6)
        XCTAssertEqual(lexError("echo ${1a}")?.message, "bad variable name '1a' in ${...}")
        XCTAssertEqual(lexError("echo ${x.}")?.message, "bad field name in ${x.}")
        XCTAssertEqual(lexError("echo ${x")?.message, "unterminated ${")
        XCTAssertEqual(lexError("echo ${9999999}")?.message, "positional argument number too large")
    }

    // MARK: Blocks

    func testBracesAreTokensAcrossLines() {
        XCTAssertEqual(words("repeat 2 {\n  echo $i\n}"),
                       ["w:repeat", "w:2", "{", ";", "w:echo", "w:$(i)", ";", "}"])
        XCTAssertEqual(words("repeat 2 {echo a}"), ["w:repeat", "w:2", "{", "w:echo", "w:a", "}"])
    }

    // MARK: Unterminated input

    func testUnterminatedDoubleQuoteIsIncompleteAtTheQuote() {
        let d = lexError("echo ok\necho  \"abc\ndef")
        XCTAssertEqual(d?.isIncomplete, true)
        XCTAssertEqual(d?.message, "unterminated double quote")
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 2, column: 7))
        XCTAssertEqual(d?.description.hasPrefix("t.ipcs:2:7: error: unterminated double quote"), true)
    }

    func testUnterminatedSingleQuoteIsIncompleteAtTheQuote() {
        let d = lexError("echo a'bc")
        XCTAssertEqual(d?.isIncomplete, true)
        XCTAssertEqual(d?.message, "unterminated single quote")
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 1, column: 7))
    }

    func testInputEndingInsideAnEscapeIsAnUnterminatedQuoteAtTheQuote() {
        let d = lexError("echo \"abc\\")
        XCTAssertEqual(d?.isIncomplete, true)
        XCTAssertEqual(d?.message, "unterminated double quote")
        XCTAssertEqual(d?.location, SourceLocation(file: "t.ipcs", line: 1, column: 6))
    }

    // MARK: Locations

    func testWordLocationsAreLineAndColumnOfTheFirstCharacter() throws {
        let tokens = try tokenize("echo  abc\n\tx \"q\"", file: "f.ipcs")
        let located = tokens.compactMap { t -> String? in
            guard case .word = t.kind else { return nil }
            return t.location.description
        }
        XCTAssertEqual(located, ["f.ipcs:1:1", "f.ipcs:1:7", "f.ipcs:2:2", "f.ipcs:2:4"])
    }

    func testWordLocationAfterContinuation() throws {
        let tokens = try tokenize("echo \\\n   b")
        XCTAssertEqual(tokens[1].location, SourceLocation(file: "t.ipcs", line: 2, column: 4))
    }

    // MARK: Binding operator

    func testEqualsIsAWordAndOnlyThePlainOneIsTheOperator() throws {
        let tokens = try tokenize(#"= "=" '=' \= a=b"#)
        let wordsOnly = tokens.compactMap { t -> Word? in
            if case .word(let w) = t.kind { return w }
            return nil
        }
        XCTAssertEqual(wordsOnly.map(\.isBindingOperator), [true, false, false, false, false])
        XCTAssertEqual(wordsOnly.map(\.literalText), ["=", "=", "=", "=", "a=b"])
    }

    // MARK: ! shell command

    func testBangTakesTheRestOfTheLineRaw() {
        XCTAssertEqual(words("! ipcs -m | grep \"x\" ; echo $HOME # c\necho b"),
                       ["w:!", "w:ipcs -m | grep \"x\" ; echo $HOME # c", ";", "w:echo", "w:b"])
    }

    func testBangIsRawOnlyAtTheStartOfACommand() {
        XCTAssertEqual(words("echo ! a; ! ls -l"), ["w:echo", "w:!", "w:a", ";", "w:!", "w:ls -l"])
        XCTAssertEqual(words("!ls -l"), ["w:!ls", "w:-l"])
    }

    func testBangRawWordIsQuotedSoItIsNeverAnOption() throws {
        let tokens = try tokenize("!   --help   ")
        guard case .word(let raw) = tokens[1].kind else { return XCTFail("no raw word") }
        XCTAssertEqual(raw.literalText, "--help")
        XCTAssertTrue(raw.wasQuoted)
        XCTAssertEqual(raw.location.column, 5)
    }

    func testBangAloneHasNoRawWord() {
        XCTAssertEqual(words("!  \necho"), ["w:!", ";", "w:echo"])
    }

    // MARK: @NAME actor command

    func testActorCommandTakesTheRestOfTheLineSemicolonsIncluded() {
        XCTAssertEqual(words("@a sleep 0.5; echo two\necho three"),
                       ["w:@a", "w:sleep 0.5; echo two", ";", "w:echo", "w:three"])
        XCTAssertEqual(words("echo one; @a echo \"$x\"; echo 'y' # note\necho b"),
                       ["w:echo", "w:one", ";", "w:@a", "w:echo \"$x\"; echo 'y'", ";", "w:echo", "w:b"])
    }

    func testActorCommandIsOneQuotedWordAtItsColumn() throws {
        let tokens = try tokenize("@worker   --help ; x  ")
        guard case .word(let raw) = tokens[1].kind else { return XCTFail("no raw word") }
        XCTAssertEqual(raw.literalText, "--help ; x")
        XCTAssertTrue(raw.wasQuoted)
        XCTAssertEqual(raw.location.column, 11)
        XCTAssertEqual(tokens[0].end, 7, "the @NAME word ends at its own end")
    }

    func testActorCommandOnlyAtTheStartOfACommandAndWithAName() {
        XCTAssertEqual(words("echo @a; b"), ["w:echo", "w:@a", ";", "w:b"])
        XCTAssertEqual(words("@ a; b"), ["w:@", "w:a", ";", "w:b"])
        XCTAssertEqual(words("'@a' x; b"), ["w:@a", "w:x", ";", "w:b"])
        XCTAssertEqual(words("@a\necho b"), ["w:@a", ";", "w:echo", "w:b"])
    }

    /// A block opened on the line runs to its `}`, over lines; an unmatched `}` closes the
    /// block around `@NAME`; quotes, comments and `${...}` hide braces.
    func testActorCommandAndBlocks() {
        XCTAssertEqual(words("@a repeat 2 { echo x; echo y }; echo z\necho b"),
                       ["w:@a", "w:repeat 2 { echo x; echo y }; echo z", ";", "w:echo", "w:b"])
        XCTAssertEqual(words("@a repeat 2 {\n  echo x\n}\necho after"),
                       ["w:@a", "w:repeat 2 {\\n  echo x\\n}", ";", "w:echo", "w:after"])
        XCTAssertEqual(words("repeat 2 { @a echo hi; echo ho }; echo b"),
                       ["w:repeat", "w:2", "{", "w:@a", "w:echo hi; echo ho", "}", ";", "w:echo", "w:b"])
        XCTAssertEqual(words("@a echo \"}\" '{' ${x} # {\necho b"),
                       ["w:@a", "w:echo \"}\" '{' ${x}", ";", "w:echo", "w:b"])
        XCTAssertEqual(words("@a @b echo x; echo y\necho c"), ["w:@a", "w:@b echo x; echo y", ";", "w:echo", "w:c"])
        XCTAssertEqual(words("@a ! ls; echo }\necho c"), ["w:@a", "w:! ls; echo }", ";", "w:echo", "w:c"])
    }

    func testAnUnclosedBlockAfterAnActorIsIncomplete() {
        let d = lexError("@a repeat 2 {\n  echo x")
        XCTAssertEqual(d?.message, "unclosed { (opened here)")
        XCTAssertEqual(d?.isIncomplete, true)
        XCTAssertEqual(d?.location?.line, 1)
        XCTAssertEqual(d?.location?.column, 13)
        XCTAssertEqual(lexError("@a echo 'open; x")?.isIncomplete, true)
    }

    // MARK: Binary data

    func testBytesThatAreNotUTF8StayBytes() throws {
        var lexer = Lexer(bytes: [0x65, 0x20, 0xFF, 0xFE, 0x0A], file: "b")
        let tokens = try lexer.tokenize()
        guard case .word(let w) = tokens[1].kind else { return XCTFail() }
        XCTAssertEqual(w.parts, [.literal([0xFF, 0xFE])])
    }
}
