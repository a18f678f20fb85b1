/// Turns tokens into commands and blocks.
///
/// It pulls tokens from the lexer one at a time rather than tokenizing the whole text first:
/// a long script never holds an array of every token (for a 100,000-command script that array
/// was ~40 MB and a sixth of the parse time, scripts/bench.sh).
public struct Parser {
    private var lexer: Lexer
    private var current: Lexer.LeanToken
    private let source: [UInt8]
    /// The lexer threw: its error is the one to report, and it must not be read further.
    private var lexerFailed = false
    /// How many blocks enclose the current one: bounded, so that no input can exhaust the stack.
    private var depth = 0
    public static let maximumBlockDepth = 100

    /// Parses a whole script or typed line.
    public static func parse(_ text: String, file: String) throws(Diagnostic) -> Script {
        try parse(bytes: Array(text.utf8), file: file)
    }

    public static func parse(bytes: [UInt8], file: String) throws(Diagnostic) -> Script {
        var lexer = Lexer(bytes: bytes, file: file)
        let first = try lexer.nextLean()
        var parser = Parser(lexer: lexer, first: first, source: bytes)
        do {
            let commands = try parser.parseCommands(until: nil, expected: bytes.count / 24)
            return Script(commands: commands)
        } catch {
            // A lexical error anywhere wins over a grammar error, as when the whole text was
            // tokenized before parsing (an unterminated quote makes the REPL ask for more).
            if !parser.lexerFailed { try parser.drainLexer() }
            throw error
        }
    }

    /// A parser that hands out one top-level command at a time (`nextCommand`).
    /// `firstLine`: the line `bytes` start at (a script read in pieces, `ScriptReader`).
    public init(streaming bytes: [UInt8], file: String, firstLine: Int = 1) throws(Diagnostic) {
        var lexer = Lexer(bytes: bytes, file: file, firstLine: firstLine)
        let first = try lexer.nextLean()
        self.init(lexer: lexer, first: first, source: bytes)
        resumeLine = firstLine
    }

    /// Where the text after the last command handed out starts (its offset, and its line): when
    /// the text ends inside a command (`isIncomplete`), parsing resumes there with more text.
    public private(set) var resumeOffset = 0
    public private(set) var resumeLine = 1

    private mutating func markResumePoint() {
        resumeOffset = current.offset
        resumeLine = current.location.line
    }

    /// The next top-level command, or nil at the end: a long script runs as it is read and
    /// never holds its whole syntax tree (for 100,000 commands that tree was ~60 MB).
    public mutating func nextCommand() throws(Diagnostic) -> Command? {
        do throws(Diagnostic) {
            while true {
                switch current.kind {
                case .separator:
                    try advance()
                case .end:
                    return nil
                case .closeBrace:
                    throw Diagnostic("unexpected }", at: current.location, hint: "there is no { to close")
                case .openBrace:
                    throw Diagnostic("a block must follow a command, e.g. repeat 3 { ... }", at: current.location)
                case .word:
                    let command = try parseCommand()
                    markResumePoint()
                    return command
                }
            }
        } catch {
            if !lexerFailed { try drainLexer() }
            throw error
        }
    }

    /// Reads the next top-level command into `simple` when it is simple (`SimpleCommand`), and
    /// returns true; false when it is not, or when the text ends, for `nextCommand` to read.
    /// `simple.command(in: sourceBytes)` is then what `nextCommand` would have returned.
    public mutating func nextSimpleCommand(into simple: inout SimpleCommand) -> Bool {
        // Only right after a separator: the lexer then stands at the start of a command.
        guard current.kind == .separator, !lexerFailed, let next = lexer.nextSimpleCommand(into: &simple) else { return false }
        current = next
        markResumePoint()
        return true
    }

    /// The text being parsed.
    public var sourceBytes: [UInt8] { source }

    private init(lexer: Lexer, first: Lexer.LeanToken, source: [UInt8]) {
        self.lexer = lexer
        self.current = first
        self.source = source
    }

    /// Moves to the next token.
    private mutating func advance() throws(Diagnostic) {
        do {
            current = try lexer.nextLean()
        } catch {
            lexerFailed = true
            throw error
        }
    }

    /// An emptied argument array of a command that has run (`recycle`): the next command's
    /// words go into it, so a long script does not allocate and free one array per command.
    private var spareArguments: [CommandArgument] = []

    /// Hands back a command that has run: its argument array is reused when nothing else holds it.
    public mutating func recycle(_ command: consuming Command) {
        var arguments = command.takeArguments()
        guard arguments.capacity <= 64 else { return }
        arguments.removeAll(keepingCapacity: true)
        spareArguments = arguments
    }

    /// Reads the rest of the text, throwing its first lexical error if it has one.
    private mutating func drainLexer() throws(Diagnostic) {
        while true {
            if current.kind == .end { return }
            try advance()
        }
    }

    private mutating func parseCommands(until opening: Lexer.LeanToken?, expected: Int = 0) throws(Diagnostic) -> [Command] {
        var commands: [Command] = []
        // A long script: most of the growing copies of the array are avoided.
        if expected > 64 { commands.reserveCapacity(expected) }
        while true {
            switch current.kind {
            case .separator:
                try advance()
            case .end:
                if let opening {
                    throw Diagnostic("unclosed { (opened here)", at: opening.location,
                                     hint: "end the block with }", isIncomplete: true)
                }
                return commands
            case .closeBrace:
                guard opening != nil else {
                    throw Diagnostic("unexpected }", at: current.location, hint: "there is no { to close")
                }
                return commands
            case .openBrace:
                throw Diagnostic("a block must follow a command, e.g. repeat 3 { ... }", at: current.location)
            case .word:
                commands.append(try parseCommand())
            }
        }
    }

    private mutating func parseCommand() throws(Diagnostic) -> Command {
        let firstLocation = current.location
        let firstOffset = current.offset
        var arguments: [CommandArgument] = []
        swap(&arguments, &spareArguments)
        if arguments.capacity == 0 { arguments.reserveCapacity(4) }
        var lastEnd = current.end
        var wordsAreLiteral = true
        var secondIsBindingOperator = false
        loop: while true {
            switch current.kind {
            case .word:
                lastEnd = current.end
                // Moved out of the lexer (before it reads on), not copied: a word's copy is not free.
                let word = lexer.takeWord()
                try advance()
                if word.singleLiteral == nil { wordsAreLiteral = false }
                if arguments.count == 1 && word.isBindingOperator { secondIsBindingOperator = true }
                arguments.append(.word(word))
            case .openBrace:
                let opening = current
                try advance()
                guard depth < Parser.maximumBlockDepth else {
                    throw Diagnostic("blocks nested more than \(Parser.maximumBlockDepth) deep", at: opening.location,
                                     hint: "use a proc for deep structure")
                }
                depth += 1
                let commands = try parseCommands(until: opening)
                depth -= 1
                let closing = current // a closeBrace
                try advance()
                let text = String(decoding: source[opening.end..<closing.offset], as: UTF8.self)
                arguments.append(.block(Block(commands: commands, location: opening.location, source: text)))
                lastEnd = closing.end
            default:
                break loop
            }
        }
        let binding = secondIsBindingOperator ? try Parser.takeBinding(from: &arguments, at: firstLocation) : nil
        return Command(binding: binding, arguments: arguments, wordsAreLiteral: wordsAreLiteral, location: firstLocation,
                       buffer: source, range: firstOffset..<max(firstOffset, lastEnd))
    }

    /// `NAME = COMMAND`: checks the name and removes `NAME =` from the words.
    private static func takeBinding(from arguments: inout [CommandArgument], at location: SourceLocation) throws(Diagnostic) -> String {
        guard case .word(let op) = arguments[1], case .word(let nameWord) = arguments[0], !nameWord.wasQuoted,
              let name = nameWord.literalText, Parser.isName(name) else {
            throw Diagnostic("the name before = must be a plain name like buf or msg", at: location)
        }
        guard arguments.count >= 3 else {
            throw Diagnostic("missing command after '\(name) ='", at: op.location,
                             hint: "write NAME = COMMAND, e.g. buf = shm create 3306 1024; or set NAME VALUE")
        }
        arguments.removeFirst(2)
        return name
    }

    /// A plain name: letter or `_`, then letters, digits, `_`.
    public static func isName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, Lexer.isNameStart(first) else { return false }
        return bytes.allSatisfy(Lexer.isNameChar)
    }
}
