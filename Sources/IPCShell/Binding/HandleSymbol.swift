/// A handle as a command names it, bound without a session to look it up in: `shm1`, `pipe1.r`.
/// A back end that does not run the script (emit-c, diagram) follows handles by these names.
public struct HandleSymbol: Sendable, Equatable {
    /// The handle's name (`pipe1` in `pipe1.r`).
    public var name: String
    /// The end named after the dot (`r` in `pipe1.r`), if any.
    public var end: String?
    /// The kinds of handle the argument takes (any kind when empty).
    public var kinds: [HandleKind]

    public init(name: String, end: String? = nil, kinds: [HandleKind]) {
        self.name = name
        self.end = end
        self.kinds = kinds
    }

    /// `pipe1.r`.
    public var written: String { end.map { "\(name).\($0)" } ?? name }
}
