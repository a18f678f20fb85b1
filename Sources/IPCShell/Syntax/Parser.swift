/// Turns tokens into commands and blocks.
public struct Parser {
    private var tokens: [Token]
    private var position = 0
    private let source: [UInt8]

    /// Parses a whole script or typed line.
    public static func parse(_ text: String, file: String) throws(Diagnostic) -> Script {
        try parse(bytes: Array(text.utf8), file: file)
    }

    public static func parse(bytes: [UInt8], file: String) throws(Diagnostic) -> Script {
        var lexer = Lexer(bytes: bytes, file: file)
        let tokens = try lexer.tokenize()
        var parser = Parser(tokens: tokens, source: bytes)
        let commands = try parser.parseCommands(until: nil)
        return Script(commands: commands)
    }

    private init(tokens: [Token], source: [UInt8]) {
        self.tokens = tokens
        self.source = source
    }

    private var current: Token { tokens[position] }

    private mutating func parseCommands(until opening: Token?) throws(Diagnostic) -> [Command] {
        var commands: [Command] = []
        while true {
            switch current.kind {
            case .separator:
                position += 1
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
        let first = current
        var arguments: [CommandArgument] = []
        var lastEnd = first.end
        loop: while true {
            switch current.kind {
            case .word(let word):
                arguments.append(.word(word))
                lastEnd = current.end
                position += 1
            case .openBrace:
                let opening = current
                position += 1
                let commands = try parseCommands(until: opening)
                let closing = current // a closeBrace
                position += 1
                let text = String(decoding: source[opening.end..<closing.offset], as: UTF8.self)
                arguments.append(.block(Block(commands: commands, location: opening.location, source: text)))
                lastEnd = closing.end
            default:
                break loop
            }
        }
        var binding: String?
        if arguments.count >= 2, case .word(let op) = arguments[1], op.isBindingOperator {
            guard case .word(let nameWord) = arguments[0], !nameWord.wasQuoted,
                  let name = nameWord.literalText, Parser.isName(name) else {
                throw Diagnostic("the name before = must be a plain name like buf or msg", at: first.location)
            }
            guard arguments.count >= 3 else {
                throw Diagnostic("missing command after '\(name) ='", at: op.location,
                                 hint: "write NAME = COMMAND, e.g. buf = shm create 3306 1024; or set NAME VALUE")
            }
            binding = name
            arguments.removeFirst(2)
        }
        let text = String(decoding: source[first.offset..<max(first.offset, lastEnd)], as: UTF8.self)
        return Command(binding: binding, arguments: arguments, location: first.location, source: text)
    }

    /// A plain name: letter or `_`, then letters, digits, `_`.
    public static func isName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, Lexer.isNameStart(first) else { return false }
        return bytes.allSatisfy(Lexer.isNameChar)
    }
}
