import IPCSyntax

/// The words of a command as the fast paths read them (the look-up of a command's name, the
/// binding of its arguments in order): a parsed command's arguments or a simple command's words.
/// Declared here, next to the generic code that reads it, so that code is specialized for each
/// kind of words with the accessors inlined (declared in IPCSyntax, each call went through a
/// protocol witness: ~6% of a script's time, scripts/bench.sh).
protocol LiteralWords {
    /// How many arguments (words and blocks).
    var count: Int { get }
    /// Argument `index` when it is a word whose bytes are known: a literal's bytes (or, in a
    /// view that has them, the expansion of a word with substitutions), and whether some of it
    /// was quoted. Nil for a block or a word with substitutions not expanded.
    func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)?
    func location(ofWord index: Int) -> SourceLocation
}

extension SimpleCommand: LiteralWords {
    @inline(__always)
    func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)? { (self[index], false) }
}

extension Array: LiteralWords where Element == CommandArgument {
    @inline(__always)
    func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)? {
        guard case .word(let word) = self[index], let bytes = word.singleLiteral else { return nil }
        return (bytes, word.wasQuoted)
    }

    func location(ofWord index: Int) -> SourceLocation { self[index].location }
}
