@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A converted argument value.
public enum ArgumentValue {
    case bytes(WordBytes)
    case integer(Int)
    case key(Int32)
    case handle(any Handle)
    // Boxed: the large payloads would make every value (and every command's context) large.
    indirect case block(Block)
    indirect case descriptor(DescriptorRef)
}

/// Argument values by position, the first four inline (no allocation for most commands).
struct ArgumentSlots {
    private var s0: ArgumentValue?
    private var s1: ArgumentValue?
    private var s2: ArgumentValue?
    private var s3: ArgumentValue?
    private var more: [ArgumentValue?] = []

    subscript(index: Int) -> ArgumentValue? {
        get {
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

/// What a command's run function gets: its checked arguments, the session and the interpreter.
public struct CommandContext {
    public let spec: CommandSpec
    /// The interpreter's session (not stored apart: one reference less to count per command).
    public var session: Session { interpreter.session }
    public let interpreter: Interpreter
    public let location: SourceLocation
    /// `NAME` in `NAME = COMMAND`.
    public let binding: String?
    /// By position in `spec.arguments`.
    var values = ArgumentSlots()
    var variadic: [[UInt8]] = []
    /// By position in `spec.options` (options with a value); empty until one is given.
    private(set) var options: [ArgumentValue?] = []
    private(set) var optionValueCount = 0
    /// Bit N: the flag `spec.options[N]` was given.
    var flags: UInt64 = 0

    init(spec: CommandSpec, session: Session, interpreter: Interpreter, location: SourceLocation, binding: String?) {
        self.spec = spec
        self.interpreter = interpreter
        self.location = location
        self.binding = binding
    }

    public var output: Output { session.output }

    // Names are the literals the command bodies were written with, compared by their bytes:
    // comparing two different Strings takes Swift's general (Unicode) path, and a command
    // looks several names up every time it runs (scripts/bench.sh).

    @inline(__always)
    private func value(_ name: StaticString) -> ArgumentValue? {
        // Options ("--at") are never argument names.
        if name.isOptionName { return nil }
        let arguments = spec.arguments
        for i in arguments.indices where arguments[i].key.sameBytes(as: name) { return values[i] }
        assertDeclared(name)
        return nil
    }

    @inline(__always)
    private func optionIndex(_ name: StaticString) -> Int? {
        let options = spec.options
        for i in options.indices where options[i].key.sameBytes(as: name) { return i }
        assertDeclared(name)
        return nil
    }

    /// A name the spec does not declare is a misspelling that would read as "not given": debug
    /// builds (the tests) stop on it. `ArgumentNameTests` checks every name in the sources too.
    @inline(__always)
    private func assertDeclared(_ name: StaticString) {
        assert(spec.arguments.contains { $0.key.sameBytes(as: name) } || spec.options.contains { $0.key.sameBytes(as: name) },
               "\(spec.name): no argument or option is named \(name)")
    }

    @inline(__always)
    private func option(_ name: StaticString) -> ArgumentValue? {
        guard optionValueCount != 0 else { return nil }
        return optionIndex(name).flatMap { options[$0] }
    }

    /// Sets the value of `spec.options[index]`.
    mutating func setOption(_ index: Int, _ value: ArgumentValue) {
        if options.isEmpty { options = Array(repeating: nil, count: spec.options.count) }
        options[index] = value
        optionValueCount += 1
    }

    @inline(__always)
    public func has(_ name: StaticString) -> Bool { value(name) != nil }

    @inline(__always)
    public func flag(_ name: StaticString) -> Bool {
        guard flags != 0, let i = optionIndex(name), i < 64 else { return false }
        return flags & (1 << UInt64(i)) != 0
    }

    /// Whether any option was given.
    public var anyOptionGiven: Bool { flags != 0 || optionValueCount != 0 }

    /// Whether the option (with a value, or a flag) was given.
    @inline(__always)
    public func optionGiven(_ name: StaticString) -> Bool {
        guard let i = optionIndex(name) else { return false }
        return (optionValueCount != 0 && options[i] != nil) || (i < 64 && flags & (1 << UInt64(i)) != 0)
    }

    @inline(__always)
    public func bytes(_ name: StaticString) -> [UInt8]? {
        wordBytes(name)?.array
    }

    /// `bytes(name)` without making an array (short words are kept inline).
    @inline(__always)
    public func wordBytes(_ name: StaticString) -> WordBytes? {
        if case .bytes(let b)? = value(name) { return b }
        return nil
    }

    @inline(__always)
    public func string(_ name: StaticString) -> String? {
        wordBytes(name)?.string
    }

    @inline(__always)
    public func integer(_ name: StaticString) -> Int? {
        if case .integer(let n)? = value(name) ?? option(name) { return n }
        return nil
    }

    @inline(__always)
    public func key(_ name: StaticString) -> Int32? {
        if case .key(let k)? = value(name) ?? option(name) { return k }
        return nil
    }

    @inline(__always)
    public func block(_ name: StaticString) -> Block? {
        if case .block(let b)? = value(name) { return b }
        return nil
    }

    @inline(__always)
    public func anyHandle(_ name: StaticString) -> (any Handle)? {
        if case .handle(let h)? = value(name) { return h }
        return nil
    }

    @inline(__always)
    public func descriptor(_ name: StaticString) -> DescriptorRef? {
        if case .descriptor(let d)? = value(name) { return d }
        return nil
    }

    @inline(__always)
    public func handle<T: Handle>(_ name: StaticString, as type: T.Type) -> T? {
        // Unwrapped first: a cast from an Optional existential asks the runtime about
        // protocol conformances on every call.
        guard let handle = anyHandle(name) else { return nil }
        return handle as? T
    }

    /// A memory region (`MemoryRegion`: an attached segment, and later mappings).
    @inline(__always)
    public func region(_ name: StaticString) -> (any MemoryRegion)? {
        anyHandle(name)?.asMemoryRegion
    }

    @inline(__always)
    public func optionBytes(_ name: StaticString) -> [UInt8]? {
        if case .bytes(let b)? = option(name) { return b.array }
        return nil
    }

    /// Every word given for the variadic argument.
    public var rest: [[UInt8]] { variadic }
    public var restStrings: [String] { variadic.map { String(decoding: $0, as: UTF8.self) } }

    /// Registers a new handle under the `NAME =` binding or the next auto-name.
    @discardableResult
    public func register(_ handle: any Handle) -> String {
        session.register(handle, requestedName: binding)
    }

    /// A command made `handle`: registers it (under the `NAME =` binding or the next auto-name),
    /// says what it is on an info line that starts with its name, and makes it the result.
    public func made(_ handle: any Handle, _ describe: (_ name: String) -> String) -> CommandResult {
        let name = register(handle)
        output.info("\(name): " + describe(name))
        return .handle(handle)
    }

    /// A failure of this command with a message (and the usage as hint when asked).
    public func failure(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: location, hint: hint)
    }

    public var usageHint: String { "usage: \(spec.usage)" }
}

extension StaticString {
    /// The same bytes (whether or not the two literals share storage).
    @inline(__always)
    func sameBytes(as other: StaticString) -> Bool {
        guard hasPointerRepresentation && other.hasPointerRepresentation else {
            // A one-character literal is kept as a scalar.
            return withUTF8Buffer { a in other.withUTF8Buffer { b in a.elementsEqual(b) } }
        }
        let count = utf8CodeUnitCount
        guard count == other.utf8CodeUnitCount else { return false }
        let a = utf8Start, b = other.utf8Start
        if a == b { return true }
        // Names are a few bytes: a loop here beats a call to memcmp.
        for i in 0..<count where a[i] != b[i] { return false }
        return true
    }

    /// Starts with `-` (an option's name).
    @inline(__always)
    var isOptionName: Bool {
        hasPointerRepresentation ? utf8CodeUnitCount > 0 && utf8Start.pointee == UInt8(ascii: "-")
                                 : unicodeScalar == "-"
    }
}
