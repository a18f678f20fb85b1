import IPCSyntax

/// What binding resolves names and substitutions against. The interpreter binds against the
/// live session (`Interpreter`); `CommandPlan` binds without one (`SymbolicScope`). The binder is
/// generic over it, so the interpreter's binding is specialized and pays nothing for the other.
protocol BindingScope {
    /// The handle named so in the session table, or nil.
    func handle(named name: WordBytes) -> (any Handle)?
    func handle(named name: String) -> (any Handle)?
    /// Every handle, for "did you mean" and the hints of a failed look-up.
    var allHandles: [any Handle] { get }
    /// A word's value; nil when only running can tell (a substitution, bound without a session).
    func expand(_ word: Word) throws(Diagnostic) -> WordBytes?
    /// A name not in the table binds as a `HandleSymbol` instead of failing: handles are made
    /// by commands that bind, not run, before it.
    var bindsSymbolically: Bool { get }
    /// The descriptor this word named lately, when it still stands (`Session.recentDescriptor`).
    func recentDescriptor(named word: WordBytes) -> DescriptorRef?
    /// Notes what a descriptor word named, for `recentDescriptor`.
    func noteDescriptor(_ descriptor: DescriptorRef, named word: WordBytes)
}

extension Interpreter: BindingScope {
    @inline(__always)
    func handle(named name: WordBytes) -> (any Handle)? { session.handle(named: name) }
    @inline(__always)
    func handle(named name: String) -> (any Handle)? { session.handle(named: name) }
    var allHandles: [any Handle] { session.allHandles }
    @inline(__always)
    func expand(_ word: Word) throws(Diagnostic) -> WordBytes? { try expandedBytes(word) }
    var bindsSymbolically: Bool { false }
    @inline(__always)
    func recentDescriptor(named word: WordBytes) -> DescriptorRef? { session.recentDescriptor(named: word) }
    @inline(__always)
    func noteDescriptor(_ descriptor: DescriptorRef, named word: WordBytes) { session.noteDescriptor(descriptor, named: word) }
}

/// Binding with no session: every handle is a symbol, every substitution stays a word.
struct SymbolicScope: BindingScope {
    func handle(named name: WordBytes) -> (any Handle)? { nil }
    func handle(named name: String) -> (any Handle)? { nil }
    var allHandles: [any Handle] { [] }
    func expand(_ word: Word) throws(Diagnostic) -> WordBytes? {
        if let bytes = word.singleLiteral { return bytes }
        var bytes: [UInt8] = []
        for part in word.parts {
            guard case .literal(let literal) = part else { return nil }
            bytes += literal
        }
        return WordBytes(bytes)
    }
    var bindsSymbolically: Bool { true }
    func recentDescriptor(named word: WordBytes) -> DescriptorRef? { nil }
    func noteDescriptor(_ descriptor: DescriptorRef, named word: WordBytes) {}
}
