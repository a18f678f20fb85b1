/// Splits source text into tokens (docs/language.md, "Lexical rules").
///
/// Works on UTF-8 bytes: words are byte strings, so `"\xff"` is one byte and data
/// never has to be valid UTF-8.
public struct Lexer {
    private let bytes: [UInt8]
    private let fileIndex: Int32
    private var index = 0
    private var line = 1
    private var lineStart = 0
    /// True at the start of a command: `!` and `@NAME` there take the rest of the line raw.
    private var atCommandStart = true

    public init(_ source: String, file: String) {
        self.bytes = Array(source.utf8)
        self.fileIndex = FileNames.index(file)
    }

    /// `firstLine`: the line `bytes` starts at (a script read in pieces).
    public init(bytes: [UInt8], file: String, firstLine: Int = 1) {
        self.bytes = bytes
        self.fileIndex = FileNames.index(file)
        self.line = firstLine
    }

    public var sourceBytes: [UInt8] { bytes }

    private var location: SourceLocation {
        SourceLocation(fileIndex: fileIndex, line: line, column: index - lineStart + 1)
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        let i = index + ahead
        return i < bytes.count ? bytes[i] : nil
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    /// All tokens, ending with `.end`.
    public mutating func tokenize() throws(Diagnostic) -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(bytes.count / 4)
        while true {
            let token = try next()
            tokens.append(token)
            if case .end = token.kind { return tokens }
        }
    }

    /// A token without its word: what the parser reads. A word's `Word` waits in `word` for the
    /// parser to take (moved once, into the command, instead of copied along with every token).
    struct LeanToken {
        var kind: LeanKind
        var location: SourceLocation
        var offset: Int
        var end: Int
    }

    enum LeanKind {
        case word, separator, openBrace, closeBrace, end
    }

    /// The word of the last `.word` lean token, until taken.
    private(set) var word: Word?

    /// Takes the word of the last `.word` lean token.
    mutating func takeWord() -> Word {
        word.take() ?? Word(literal: WordBytes(), location: location, wasQuoted: false)
    }

    /// The next token, its word included (for tests and tools; the parser reads lean tokens).
    public mutating func next() throws(Diagnostic) -> Token {
        let lean = try nextLean()
        return Token(lean, word: lean.kind == .word ? takeWord() : nil)
    }

    private mutating func nextLexed() throws(Diagnostic) -> LeanToken {
        // Blanks, comments, line continuations. (Neither a blank nor a comment holds a newline,
        // so only a continuation needs advance()'s line bookkeeping.)
        let count = bytes.count
        while index < count {
            let c = bytes[index]
            if c == 0x20 || c == 0x09 || c == 0x0D {
                index += 1
            } else if c == UInt8(ascii: "\\") && index + 1 < count && bytes[index + 1] == UInt8(ascii: "\n") {
                advance(); advance()
            } else if c == UInt8(ascii: "#") {
                while index < count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            } else {
                break
            }
        }
        let start = location
        let startIndex = index
        guard let c = peek() else {
            return LeanToken(kind: .end, location: start, offset: index, end: index)
        }
        switch c {
        case UInt8(ascii: "\n"), UInt8(ascii: ";"):
            advance()
            atCommandStart = true
            return LeanToken(kind: .separator, location: start, offset: startIndex, end: index)
        case UInt8(ascii: "{"):
            advance()
            atCommandStart = true
            return LeanToken(kind: .openBrace, location: start, offset: startIndex, end: index)
        case UInt8(ascii: "}"):
            advance()
            atCommandStart = false
            return LeanToken(kind: .closeBrace, location: start, offset: startIndex, end: index)
        default:
            if atCommandStart && c == UInt8(ascii: "!") && (peek(1) == 0x20 || peek(1) == 0x09) {
                atCommandStart = false
                return rawRestOfLine(start: start, startIndex: startIndex)
            }
            let wasCommandStart = atCommandStart
            atCommandStart = false
            word = try lexWord(start: start, startIndex: startIndex)
            let wordEnd = index
            if wasCommandStart && c == UInt8(ascii: "@") && wordEnd > startIndex + 1 && !capturingActorCommand {
                try captureActorCommand()
            }
            return LeanToken(kind: .word, location: start, offset: startIndex, end: wordEnd)
        }
    }

    /// `@NAME COMMAND`: after the `@NAME` word, the command for the actor as one raw word (as
    /// `!` has its shell command), so that a `;` on the line never splits it. It is the rest of
    /// the line; when a `{` on it is not closed there, the lines up to its `}`; an unmatched `}`
    /// (the end of a block around `@NAME`) ends it. The text is lexed as the actor will lex it,
    /// so quotes, comments and `${...}` hide their braces, and an unclosed `{` or quote at the
    /// end of the text is incomplete (the REPL's `...>`).
    private mutating func captureActorCommand() throws(Diagnostic) {
        capturingActorCommand = true
        defer { capturingActorCommand = false }
        let actorWord = word
        while let c = peek(), c == 0x20 || c == 0x09 { advance() }
        let restStart = location
        let restIndex = index
        var end = index
        var openings: [SourceLocation] = []
        atCommandStart = true
        scan: while true {
            let before = (index: index, line: line, lineStart: lineStart, atCommandStart: atCommandStart)
            let token = try nextLexed()
            // A nested `@NAME` or `!` left its text pending: it is part of this text already.
            pendingRaw = nil
            var stop = false
            switch token.kind {
            case .end:
                if let opening = openings.last {
                    throw Diagnostic("unclosed { (opened here)", at: opening, hint: "end the block with }", isIncomplete: true)
                }
                break scan
            case .separator:
                stop = openings.isEmpty && bytes[token.offset] == UInt8(ascii: "\n")
            case .openBrace:
                openings.append(token.location)
            case .closeBrace:
                if openings.isEmpty { stop = true } else { openings.removeLast() }
            case .word:
                break
            }
            if stop {
                // Not part of the text: read again as the token after it.
                index = before.index
                line = before.line
                lineStart = before.lineStart
                atCommandStart = before.atCommandStart
                break scan
            }
            end = index
        }
        var rest = Array(bytes[restIndex..<end])
        while let last = rest.last, last == 0x20 || last == 0x09 || last == 0x0D { rest.removeLast() }
        pendingRaw = Word(parts: [.literal(rest)], location: restStart, wasQuoted: true)
        pendingRawEnd = end
        word = actorWord
        atCommandStart = false
    }

    /// `! SHELL COMMAND`: the `!` word, then everything up to the newline as one literal word.
    private mutating func rawRestOfLine(start: SourceLocation, startIndex: Int) -> LeanToken {
        advance() // "!"
        while let c = peek(), c == 0x20 || c == 0x09 { advance() }
        let restStart = location
        let restIndex = index
        while let c = peek(), c != UInt8(ascii: "\n") { advance() }
        var rest = Array(bytes[restIndex..<index])
        while let last = rest.last, last == 0x20 || last == 0x09 || last == 0x0D { rest.removeLast() }
        // Emit "!" now and the raw text as a pending word by re-encoding it as a single-quoted word.
        pendingRaw = Word(parts: [.literal(rest)], location: restStart, wasQuoted: true)
        pendingRawEnd = index
        word = Word(parts: [.literal([UInt8(ascii: "!")])], location: start, wasQuoted: false)
        return LeanToken(kind: .word, location: start, offset: startIndex, end: startIndex + 1)
    }

    private var pendingRaw: Word?
    /// Inside `captureActorCommand`: a nested `@NAME` is part of the text being captured, not a
    /// capture of its own (which recursed once per `@NAME` on the line: 2,000 of them overflowed
    /// the stack, and each rescanned the rest of the line).
    private var capturingActorCommand = false
    private var pendingRawEnd = 0

    /// The next token, delivering the raw word that follows `!` first.
    mutating func nextLean() throws(Diagnostic) -> LeanToken {
        if let raw = pendingRaw.take() {
            if raw.parts == [.literal([])] { return try nextLexed() }
            let location = raw.location
            word = raw
            return LeanToken(kind: .word, location: location, offset: pendingRawEnd, end: pendingRawEnd)
        }
        return try nextLexed()
    }

    /// At the start of a command: reads the next command into `simple` if it is simple
    /// (`SimpleCommand`) and returns the token that ends it (a separator, consumed, or the end).
    /// Otherwise nil, with nothing consumed, for `nextLean` to read it in full.
    mutating func nextSimpleCommand(into simple: inout SimpleCommand) -> LeanToken? {
        guard atCommandStart, pendingRaw == nil else { return nil }
        var line = self.line
        var lineStart = self.lineStart
        var end = 0
        let plainBytes = Lexer.plainBytes
        let isSimple = bytes.withUnsafeBufferPointer { buffer -> Bool in
            let count = buffer.count
            var i = index
            // Blanks, comments and separators before the command.
            while i < count {
                let c = buffer[i]
                if c == 0x20 || c == 0x09 || c == 0x0D || c == UInt8(ascii: ";") {
                    i += 1
                } else if c == UInt8(ascii: "\n") {
                    i += 1
                    line += 1
                    lineStart = i
                } else if c == UInt8(ascii: "#") {
                    while i < count && buffer[i] != UInt8(ascii: "\n") { i += 1 }
                } else {
                    break
                }
            }
            // `!` and `@NAME` are special at the start of a command: not a simple one.
            guard i < count, buffer[i] != UInt8(ascii: "!"), buffer[i] != UInt8(ascii: "@") else { return false }
            simple.begin(fileIndex: fileIndex, line: line, lineStart: lineStart)
            while true {
                let start = i
                while i < count, plainBytes[Int(buffer[i])] != 0 { i += 1 }
                // A run of plain bytes that a blank, a separator or the end ends; anything else
                // (a quote, `$`, `\`, a brace) needs the full lexer.
                guard i > start, i == count || Lexer.isBlank(buffer[i]) || Lexer.isSeparator(buffer[i]) else { return false }
                guard simple.count < SimpleCommand.capacity else { return false }
                // `NAME = COMMAND` is a binding.
                if simple.count == 1 && i - start == 1 && buffer[start] == UInt8(ascii: "=") { return false }
                simple.append(WordBytes(buffer, start..<i), offset: start, end: i)
                while i < count, Lexer.isBlank(buffer[i]) { i += 1 }
                if i < count && buffer[i] == UInt8(ascii: "#") {
                    while i < count && buffer[i] != UInt8(ascii: "\n") { i += 1 }
                }
                if i == count || Lexer.isSeparator(buffer[i]) {
                    end = i
                    return true
                }
            }
        }
        guard isSimple else { return nil }
        let location = SourceLocation(fileIndex: fileIndex, line: line, column: end - lineStart + 1)
        self.line = line
        self.lineStart = lineStart
        index = end
        guard end < bytes.count else {
            atCommandStart = false
            return LeanToken(kind: .end, location: location, offset: end, end: end)
        }
        advance() // the separator (its line bookkeeping included)
        atCommandStart = true
        return LeanToken(kind: .separator, location: location, offset: end, end: index)
    }

    private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }

    /// A newline or `;`: the end of a command.
    private static func isSeparator(_ c: UInt8) -> Bool { c == UInt8(ascii: "\n") || c == UInt8(ascii: ";") }

    private static func endsWord(_ c: UInt8) -> Bool {
        isBlank(c) || isSeparator(c) || c == UInt8(ascii: "{") || c == UInt8(ascii: "}")
    }

    /// Neither ends a word nor starts a quote, escape or substitution: one bit test, as this
    /// runs for every byte of every word.
    @inline(__always)
    private static func isPlainWordByte(_ c: UInt8) -> Bool {
        c >= 64 ? c != UInt8(ascii: "\\") && c != UInt8(ascii: "{") && c != UInt8(ascii: "}")
                : (specialBelow64 >> UInt64(c)) & 1 == 0
    }

    /// `isPlainWordByte` of every byte, as a table: one load per byte in the scan of a simple
    /// command, which runs for every byte of a long script (callgrind: about half the
    /// instructions of the comparisons). Made once, then only read; never freed.
    nonisolated(unsafe) static let plainBytes: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for c in 0..<256 { table[c] = isPlainWordByte(UInt8(c)) ? 1 : 0 }
        return UnsafePointer(table)
    }()

    /// Bytes below 64 that end a word or start a quote or substitution: blank, tab, CR, LF,
    /// `;`, `'`, `"`, `$`.
    private static let specialBelow64: UInt64 =
        1 << 0x20 | 1 << 0x09 | 1 << 0x0D | 1 << 0x0A | 1 << 0x3B | 1 << 0x27 | 1 << 0x22 | 1 << 0x24

    static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }

    static func isNameChar(_ c: UInt8) -> Bool { isNameStart(c) || (c >= 0x30 && c <= 0x39) }

    private mutating func lexWord(start: SourceLocation, startIndex: Int) throws(Diagnostic) -> Word {
        // Most words are one run of plain bytes: their bytes come straight from the source
        // (inline when short), with no array or parts built on the way.
        let plain: WordBytes? = bytes.withUnsafeBufferPointer { buffer in
            var end = startIndex
            while end < buffer.count, Lexer.isPlainWordByte(buffer[end]) { end += 1 }
            guard end > startIndex, end == buffer.count || Lexer.endsWord(buffer[end]) else { return nil }
            index = end // no newline in a plain run: the line bookkeeping of advance() has nothing to do
            return WordBytes(buffer, startIndex..<end)
        }
        if let plain { return Word(literal: plain, location: start, wasQuoted: false) }
        return try lexQuotedOrSubstitutedWord(start: start)
    }

    /// Any other word: quotes, escapes, `$` substitutions.
    private mutating func lexQuotedOrSubstitutedWord(start: SourceLocation) throws(Diagnostic) -> Word {
        var parts: [WordPart] = []
        var literal: [UInt8] = []
        var quoted = false

        func flush() {
            if !literal.isEmpty {
                parts.append(.literal(literal))
                literal = []
            }
        }

        while let c = peek(), !Lexer.endsWord(c) {
            switch c {
            case UInt8(ascii: "'"):
                quoted = true
                let quoteStart = location
                advance()
                while true {
                    guard let d = peek() else {
                        throw Diagnostic("unterminated single quote", at: quoteStart, isIncomplete: true)
                    }
                    advance()
                    if d == UInt8(ascii: "'") { break }
                    literal.append(d)
                }
            case UInt8(ascii: "\""):
                quoted = true
                let quoteStart = location
                advance()
                while true {
                    guard let d = peek() else {
                        throw Diagnostic("unterminated double quote", at: quoteStart, isIncomplete: true)
                    }
                    if d == UInt8(ascii: "\"") {
                        advance()
                        break
                    } else if d == UInt8(ascii: "\\") {
                        try lexEscape(into: &literal, quoteStart: quoteStart)
                    } else if d == UInt8(ascii: "$") {
                        if let part = try lexDollar() {
                            flush()
                            parts.append(part)
                        } else {
                            advance() // a literal `$`: step over it, or the loop never ends
                            literal.append(d)
                        }
                    } else {
                        advance()
                        literal.append(d)
                    }
                }
            case UInt8(ascii: "\\"):
                advance()
                if let d = peek() {
                    advance()
                    // Backslash-newline joins the lines, as in sh; any other byte is quoted
                    // (so `\=` is not the binding operator and `\--x` is not an option).
                    if d != UInt8(ascii: "\n") {
                        literal.append(d)
                        quoted = true
                    }
                } else {
                    literal.append(c)
                }
            case UInt8(ascii: "$"):
                if let part = try lexDollar() {
                    flush()
                    parts.append(part)
                } else {
                    advance() // a literal `$`: step over it, or the loop never ends
                    literal.append(c)
                }
            default:
                // A run of plain bytes in one go: most words are nothing else. (No newline can
                // be in it, so the line bookkeeping of advance() has nothing to do.)
                let runStart = index
                index += 1
                while index < bytes.count, Lexer.isPlainWordByte(bytes[index]) { index += 1 }
                if literal.isEmpty {
                    literal = Array(bytes[runStart..<index]) // one exact allocation
                } else {
                    literal.append(contentsOf: bytes[runStart..<index])
                }
            }
        }
        if parts.isEmpty {
            // One literal (most words).
            return Word(literal: literal, location: start, wasQuoted: quoted)
        }
        flush()
        return Word(parts: parts, location: start, wasQuoted: quoted)
    }

    /// `\n \t \r \0 \\ \" \$ \xHH` inside double quotes.
    private mutating func lexEscape(into literal: inout [UInt8], quoteStart: SourceLocation) throws(Diagnostic) {
        let escapeStart = location
        advance() // backslash
        guard let e = peek() else {
            // Like any unterminated quote: point at where it opened.
            throw Diagnostic("unterminated double quote", at: quoteStart, isIncomplete: true)
        }
        advance()
        switch e {
        case UInt8(ascii: "n"): literal.append(0x0A)
        case UInt8(ascii: "t"): literal.append(0x09)
        case UInt8(ascii: "r"): literal.append(0x0D)
        case UInt8(ascii: "0"): literal.append(0x00)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "$"): literal.append(e)
        case UInt8(ascii: "\n"): break // line continuation inside quotes
        case UInt8(ascii: "x"):
            guard let h = peek().flatMap(Lexer.hexValue), let l = peek(1).flatMap(Lexer.hexValue) else {
                throw Diagnostic("\\x must be followed by two hex digits", at: escapeStart,
                                 hint: "write a byte as \\xHH, e.g. \\x41 for A")
            }
            advance(); advance()
            literal.append(h << 4 | l)
        default:
            throw Diagnostic("unknown escape \\\(Escaping.display([e]))", at: escapeStart,
                             hint: "escapes are \\n \\t \\r \\0 \\\\ \\\" \\$ \\xHH; use single quotes for a literal backslash")
        }
    }

    package static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// A `$` substitution, or nil when the `$` is literal (`$` alone, `$ `, `$%`).
    private mutating func lexDollar() throws(Diagnostic) -> WordPart? {
        let dollarStart = location
        guard let c = peek(1) else { return nil }
        switch c {
        case UInt8(ascii: "?"): advance(); advance(); return .lastStatus
        case UInt8(ascii: "_") where !(peek(2).map(Lexer.isNameChar) ?? false):
            advance(); advance(); return .lastResult
        case UInt8(ascii: "#"): advance(); advance(); return .argumentCount
        case UInt8(ascii: "@"): advance(); advance(); return .allArguments
        case 0x30...0x39:
            advance(); advance()
            return .positional(Int(c - 0x30))
        case UInt8(ascii: "{"):
            advance(); advance()
            var name: [UInt8] = []
            while let d = peek(), d != UInt8(ascii: "}") {
                if d == UInt8(ascii: "\n") || d == UInt8(ascii: "\"") { break }
                name.append(d)
                advance()
            }
            guard peek() == UInt8(ascii: "}") else {
                throw Diagnostic("unterminated ${", at: dollarStart, hint: "write ${NAME}")
            }
            advance()
            return try Lexer.braced(name, at: dollarStart)
        default:
            guard Lexer.isNameStart(c) else { return nil }
            advance()
            var name: [UInt8] = []
            while let d = peek(), Lexer.isNameChar(d) {
                name.append(d)
                advance()
            }
            var field: String?
            // `.FIELD`, or a path of them for a struct's nested members: `$v.hdr.len`.
            var fieldBytes: [UInt8] = []
            while peek() == UInt8(ascii: "."), let f = peek(1), Lexer.isNameStart(f) {
                if !fieldBytes.isEmpty { fieldBytes.append(UInt8(ascii: ".")) }
                advance()
                while let d = peek(), Lexer.isNameChar(d) {
                    fieldBytes.append(d)
                    advance()
                }
            }
            if !fieldBytes.isEmpty { field = String(decoding: fieldBytes, as: UTF8.self) }
            return .variable(name: String(decoding: name, as: UTF8.self), field: field)
        }
    }

    private static func braced(_ name: [UInt8], at location: SourceLocation) throws(Diagnostic) -> WordPart {
        // ${NAME:-DEFAULT}: the default is literal text.
        if let colon = name.firstIndex(of: UInt8(ascii: ":")), colon + 1 < name.count, name[colon + 1] == UInt8(ascii: "-") {
            let inner = try braced(Array(name[..<colon]), at: location)
            return .withDefault(inner, Array(name[(colon + 2)...]))
        }
        if !name.isEmpty, name.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard name.count <= 6, let n = Int(String(decoding: name, as: UTF8.self)) else {
                throw Diagnostic("positional argument number too large", at: location)
            }
            return .positional(n)
        }
        let text = String(decoding: name, as: UTF8.self)
        let pieces = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let base = Array(pieces[0].utf8)
        guard let first = base.first, isNameStart(first), base.allSatisfy(isNameChar) else {
            throw Diagnostic("bad variable name '\(text)' in ${...}", at: location,
                             hint: "names start with a letter or _ and hold letters, digits and _")
        }
        if pieces.count == 2 {
            let names = pieces[1].split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
            guard names.allSatisfy({ name in name.first.map(isNameStart) == true && name.allSatisfy(isNameChar) }) else {
                throw Diagnostic("bad field name in ${\(text)}", at: location)
            }
            return .variable(name: String(pieces[0]), field: String(pieces[1]))
        }
        return .variable(name: text, field: nil)
    }
}
