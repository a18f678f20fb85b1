/// A lexical token. `offset` and `end` are byte offsets into the source, for keeping text as typed.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case word(Word)
        /// `;` or a newline.
        case separator
        case openBrace
        case closeBrace
        case end
    }

    public var kind: Kind
    public var location: SourceLocation
    public var offset: Int
    public var end: Int

    public init(kind: Kind, location: SourceLocation, offset: Int, end: Int) {
        self.kind = kind
        self.location = location
        self.offset = offset
        self.end = end
    }

    init(_ lean: Lexer.LeanToken, word: Word?) {
        let kind: Kind
        switch lean.kind {
        case .word: kind = .word(word ?? Word(literal: WordBytes(), location: lean.location, wasQuoted: false))
        case .separator: kind = .separator
        case .openBrace: kind = .openBrace
        case .closeBrace: kind = .closeBrace
        case .end: kind = .end
        }
        self.init(kind: kind, location: lean.location, offset: lean.offset, end: lean.end)
    }
}
