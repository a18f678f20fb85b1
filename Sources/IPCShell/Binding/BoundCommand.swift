import IPCSyntax

/// A command bound to its spec and nothing run: the spec, each argument converted to its typed
/// value, the options and flags given. The interpreter binds against the live session and runs
/// the result (`CommandContext`); `CommandPlan` binds a whole script without a session, handles
/// by name (`HandleSymbol`), for back ends that translate rather than run (emit-c, diagram).
public struct BoundCommand {
    public let spec: CommandSpec
    public let location: SourceLocation
    /// `NAME` in `NAME = COMMAND`.
    public let binding: String?
    /// By position in `spec.arguments`.
    var values = ArgumentSlots()
    /// Bit N: the flag `spec.options[N]` was given.
    var flags: UInt64 = 0
    /// The variadic argument's words (when more than one) and the options given a value: most
    /// commands have neither, so they are kept out of line, nil until set. A command's context
    /// is destroyed after every command, and one nil costs less than two empty arrays
    /// (callgrind). Copied before a change when shared, so a bound command stays a value.
    private var extra: Extra?

    private final class Extra {
        var variadic: [[UInt8]] = []
        var options: [ArgumentValue?] = []
        var optionValueCount = 0

        func copy() -> Extra {
            let copy = Extra()
            copy.variadic = variadic
            copy.options = options
            copy.optionValueCount = optionValueCount
            return copy
        }
    }

    private mutating func changingExtra() -> Extra {
        if extra == nil {
            extra = Extra()
        } else if !isKnownUniquelyReferenced(&extra) {
            extra = extra?.copy()
        }
        return extra!
    }

    var variadic: [[UInt8]] {
        get { extra?.variadic ?? [] }
        set { changingExtra().variadic = newValue }
    }
    /// By position in `spec.options` (options with a value); empty until one is given.
    var options: [ArgumentValue?] { extra?.options ?? [] }
    var optionValueCount: Int { extra?.optionValueCount ?? 0 }

    init(spec: CommandSpec, location: SourceLocation, binding: String?) {
        self.spec = spec
        self.location = location
        self.binding = binding
    }

    /// Sets the value of `spec.options[index]`.
    mutating func setOption(_ index: Int, _ value: ArgumentValue) {
        let extra = changingExtra()
        if extra.options.isEmpty { extra.options = Array(repeating: nil, count: spec.options.count) }
        extra.options[index] = value
        extra.optionValueCount += 1
    }

    // MARK: Reading it without running it (back ends)

    /// The value of `spec.arguments[index]`, or nil when it was not given.
    public func argument(_ index: Int) -> ArgumentValue? {
        index < spec.arguments.count ? values[index] : nil
    }

    /// The value of `spec.options[index]` (an option that takes one), or nil.
    public func option(_ index: Int) -> ArgumentValue? {
        optionValueCount != 0 && index < options.count ? options[index] : nil
    }

    /// Whether the flag `spec.options[index]` was given.
    public func flagGiven(_ index: Int) -> Bool {
        index < 64 && flags & (1 << UInt64(index)) != 0
    }

    /// The words given for the variadic argument, each as its bytes or, when it has
    /// substitutions and was bound without a session, as the word.
    public var variadicValues: [ArgumentValue] {
        // Words bound without being expanded are kept in the variadic argument's own slot
        // (unused otherwise: no field for what only back ends need).
        var unexpanded: [Int: Word] = [:]
        if let slot = spec.arguments.firstIndex(where: \.isVariadic), case .unexpandedVariadic(let words)? = values[slot] {
            unexpanded = words
        }
        let words = rest
        return words.indices.map { i in unexpanded[i].map { .unexpanded($0) } ?? .bytes(WordBytes(words[i])) }
    }
}

/// Argument values by position, the first four inline (no allocation for most commands).
struct ArgumentSlots {
    private var s0: ArgumentValue?
    private var s1: ArgumentValue?
    private var s2: ArgumentValue?
    private var s3: ArgumentValue?
    private var more: [ArgumentValue?] = []

    subscript(index: Int) -> ArgumentValue? {
        @inline(__always) get {
            switch index {
            case 0: return s0
            case 1: return s1
            case 2: return s2
            case 3: return s3
            default: return index - 4 < more.count ? more[index - 4] : nil
            }
        }
        set {
            switch index {
            case 0: s0 = newValue
            case 1: s1 = newValue
            case 2: s2 = newValue
            case 3: s3 = newValue
            default:
                while more.count <= index - 4 { more.append(nil) }
                more[index - 4] = newValue
            }
        }
    }
}
