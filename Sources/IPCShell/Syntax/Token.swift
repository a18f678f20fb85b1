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
}
