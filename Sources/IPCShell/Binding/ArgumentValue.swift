import IPCSyntax

/// A converted argument value.
public enum ArgumentValue {
    case bytes(WordBytes)
    case integer(Int)
    /// A key's number (`3306`, `0xcea`, `private`).
    case key(Int32)
    case handle(any Handle)
    /// Inline (21 bytes): a box cost an allocation and a free for every `read p.r` (callgrind).
    case descriptor(DescriptorRef)
    // Boxed: the large payloads would make every value (and every command's context) large.
    indirect case block(Block)
    /// `ftok:PATH:ID`: binding only checks it; the key is computed (`ftok`) when the command runs.
    indirect case ftokKey(path: String, id: Int32)
    /// A handle named by a command that binds without a session (`CommandPlan`): the name, and
    /// what it must be.
    indirect case symbol(HandleSymbol)
    /// A word with substitutions, bound without a session: its value is known only when it runs.
    indirect case unexpanded(Word)
    /// In a variadic argument's slot, bound without a session: its words that have substitutions,
    /// by position (`BoundCommand.variadicValues`).
    indirect case unexpandedVariadic([Int: Word])
}
