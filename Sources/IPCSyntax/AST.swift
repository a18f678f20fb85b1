/// One piece of a word before expansion.
public enum WordPart: Sendable, Equatable {
    case literal([UInt8])
    /// `$NAME`, `${NAME}`, `$NAME.FIELD`.
    case variable(name: String, field: String?)
    /// `$1`, `${12}`.
    case positional(Int)
    /// `$#`.
    case argumentCount
    /// `$@`: all positional arguments joined by spaces.
    case allArguments
    /// `$?`.
    case lastStatus
    /// `$_`.
    case lastResult
    /// `${NAME:-TEXT}`, `${1:-TEXT}`: the inner part, or TEXT when it is not set.
    indirect case withDefault(WordPart, [UInt8])
}

/// A word of a command, as typed: literal text and substitutions.
public struct Word: Sendable, Equatable {
    /// A word that is one literal (most words) keeps just its bytes, inline when short: copying
    /// such a word costs no reference counting and making one no allocation (scripts/bench.sh).
    private enum Content: Sendable, Equatable {
        case literal(WordBytes)
        /// Two parts or more, or one substitution.
        case parts([WordPart])
    }
    private var content: Content
    public var location: SourceLocation
    /// Some part was quoted: `"="` is a word, not the binding operator.
    public var wasQuoted: Bool

    public var parts: [WordPart] {
        get {
            switch content {
            case .literal(let bytes): return [.literal(bytes.array)]
            case .parts(let parts): return parts
            }
        }
        set { content = Word.content(newValue) }
    }

    private static func content(_ parts: [WordPart]) -> Content {
        if parts.count == 1, case .literal(let bytes) = parts[0] { return .literal(WordBytes(bytes)) }
        return .parts(parts)
    }

    public init(parts: [WordPart], location: SourceLocation, wasQuoted: Bool) {
        self.content = Word.content(parts)
        self.location = location
        self.wasQuoted = wasQuoted
    }

    /// A word of one literal.
    public init(literal: [UInt8], location: SourceLocation, wasQuoted: Bool) {
        self.init(literal: WordBytes(literal), location: location, wasQuoted: wasQuoted)
    }

    /// A word of one literal.
    public init(literal: WordBytes, location: SourceLocation, wasQuoted: Bool) {
        self.content = .literal(literal)
        self.location = location
        self.wasQuoted = wasQuoted
    }

    /// The text when the word has no substitutions.
    public var literalText: String? {
        switch content {
        case .literal(let bytes):
            return bytes.string
        case .parts(let parts):
            var bytes: [UInt8] = []
            for part in parts {
                guard case .literal(let b) = part else { return nil }
                bytes += b
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The bytes of a word that is one literal (no substitutions), as the lexer makes them.
    public var singleLiteral: WordBytes? {
        if case .literal(let bytes) = content { return bytes }
        return nil
    }

    /// No substitutions: the word is its literal text.
    public var isLiteral: Bool {
        switch content {
        case .literal: return true
        case .parts(let parts):
            for part in parts {
                guard case .literal = part else { return false }
            }
            return true
        }
    }

    /// The exact `=` operator (unquoted).
    public var isBindingOperator: Bool {
        guard !wasQuoted, case .literal(let bytes) = content else { return false }
        return bytes.count == 1 && bytes[0] == UInt8(ascii: "=")
    }
}

/// An argument of a command: a word, or a `{ ... }` block (for `repeat`, `fork`, `proc`).
public enum CommandArgument: Sendable, Equatable {
    case word(Word)
    case block(Block)

    public var location: SourceLocation {
        switch self {
        case .word(let w): return w.location
        case .block(let b): return b.location
        }
    }
}

/// A `{ ... }` block of commands.
public struct Block: Sendable, Equatable {
    public var commands: [Command]
    public var location: SourceLocation
    /// The source text between the braces, as typed (for recordings and actors).
    public var source: String
}

/// One command: `[NAME =] WORD ARG...`.
public struct Command: Sendable, Equatable {
    /// `NAME` in `NAME = COMMAND`.
    public var binding: String?
    public var arguments: [CommandArgument]
    public var location: SourceLocation
    /// The command's text as typed (decoded when asked for: most commands never are).
    public var source: String {
        get {
            switch text {
            case .string(let string): return string
            case .bytes(let buffer, let range): return String(decoding: buffer[range], as: UTF8.self)
            }
        }
        set { text = .string(newValue) }
    }
    private enum Text: Sendable {
        case string(String)
        /// `buffer[range]`: the script's bytes, shared by all its commands.
        case bytes([UInt8], Range<Int>)
    }
    private var text: Text
    /// No word has a substitution (most commands): the words are their bytes as typed.
    public let wordsAreLiteral: Bool

    public init(binding: String?, arguments: [CommandArgument], location: SourceLocation, source: String) {
        self.binding = binding
        self.arguments = arguments
        self.wordsAreLiteral = arguments.allSatisfy {
            if case .word(let word) = $0 { return word.singleLiteral != nil }
            return true
        }
        self.location = location
        self.text = .string(source)
    }

    /// A command whose text is `buffer[range]`.
    @inline(__always)
    init(binding: String?, arguments: [CommandArgument], wordsAreLiteral: Bool, location: SourceLocation,
         buffer: [UInt8], range: Range<Int>) {
        self.binding = binding
        self.arguments = arguments
        self.wordsAreLiteral = wordsAreLiteral
        self.location = location
        self.text = .bytes(buffer, range)
    }

    /// The arguments, moved out (the command is left without any).
    mutating func takeArguments() -> [CommandArgument] {
        var taken: [CommandArgument] = []
        swap(&taken, &arguments)
        return taken
    }

    public static func == (a: Command, b: Command) -> Bool {
        a.binding == b.binding && a.arguments == b.arguments && a.location == b.location && a.source == b.source
    }
}

/// A parsed script or typed line.
public struct Script: Sendable, Equatable {
    public var commands: [Command]
}

extension Command {
    /// For `@NAME COMMAND...`: the text after `@NAME`, as typed, which the actor runs (the lexer
    /// keeps it as one raw word: `Lexer.captureActorCommand`).
    public var actorCommandText: String {
        if arguments.count == 2, case .word(let raw) = arguments[1], raw.wasQuoted, let literal = raw.literalText {
            return literal
        }
        var rest = Substring(source)
        while let c = rest.first, c != " " && c != "\t" { rest.removeFirst() }
        return String(rest.drop { $0 == " " || $0 == "\t" })
    }
}
