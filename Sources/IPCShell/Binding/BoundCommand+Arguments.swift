import IPCSys
import IPCSyntax

/// Typed access to a bound command's arguments by the names its spec declares:
/// `integer("SIZE")`, `region("NAME")`, `flag("--excl")`. A name the spec does not declare stops
/// a debug build when it is looked up (and `ArgumentNameTests` checks every name in the sources),
/// so a misspelling never reads as "not given". A run function reads them through
/// `CommandContext`, which forwards here (a protocol with a `bound` getter copied the whole
/// bound command on every look-up: scripts/bench.sh).
extension BoundCommand {
    // Names are the literals the command bodies were written with, compared by their bytes:
    // comparing two different Strings takes Swift's general (Unicode) path, and a command
    // looks several names up every time it runs (scripts/bench.sh).

    @inline(__always)
    func value(_ name: StaticString) -> ArgumentValue? {
        // The same literal as the spec's, by address (`CommandSpec.argumentKeyAddresses`).
        let address = name.address
        if address != 0 {
            let addresses = spec.argumentKeyAddresses
            for i in addresses.indices where addresses[i] == address { return values[i] }
        }
        // Options ("--at") are never argument names (`integer("--size")` asks here first).
        if name.isOptionName { return nil }
        return valueByBytes(name)
    }

    /// `value(name)` when the literal is kept elsewhere: compared byte by byte.
    @inline(never)
    func valueByBytes(_ name: StaticString) -> ArgumentValue? {
        // Options ("--at") are never argument names.
        if name.isOptionName { return nil }
        let arguments = spec.arguments
        for i in arguments.indices where arguments[i].key.sameBytes(as: name) { return values[i] }
        assertDeclared(name)
        return nil
    }

    @inline(__always)
    func optionIndex(_ name: StaticString) -> Int? {
        let address = name.address
        if address != 0 {
            let addresses = spec.optionKeyAddresses
            for i in addresses.indices where addresses[i] == address { return i }
        }
        return optionIndexByBytes(name)
    }

    @inline(never)
    func optionIndexByBytes(_ name: StaticString) -> Int? {
        let options = spec.options
        for i in options.indices where options[i].key.sameBytes(as: name) { return i }
        assertDeclared(name)
        return nil
    }

    /// A name the spec does not declare is a misspelling that would read as "not given": debug
    /// builds (the tests) stop on it.
    @inline(__always)
    func assertDeclared(_ name: StaticString) {
        assert(spec.arguments.contains { $0.key.sameBytes(as: name) } || spec.options.contains { $0.key.sameBytes(as: name) },
               "\(spec.name): no argument or option is named \(name)")
    }

    @inline(__always)
    func option(_ name: StaticString) -> ArgumentValue? {
        guard optionValueCount != 0 else { return nil }
        return optionIndex(name).flatMap { options[$0] }
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

    /// The key's number. `ftok:PATH:ID` is computed here, when the command runs (binding only
    /// checked how it is written).
    @inline(__always)
    public func key(_ name: StaticString) throws(Diagnostic) -> Int32? {
        switch value(name) ?? option(name) {
        case .key(let k)?: return k
        case .ftokKey(let path, let id)?:
            return try IPCKey.fromFile(path: path, id: id, what: "\(spec.name): \(name)", at: location)
        default: return nil
        }
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

    /// What a `.dataTarget` argument names: a memory region or a descriptor, looked up once
    /// (`read` and `write` asked for each in turn, copying the value twice).
    @inline(__always)
    public func dataTarget(_ name: StaticString) -> DataTarget? {
        switch value(name) {
        case .handle(let h)?: return h.asMemoryRegion.map { .region($0) }
        case .descriptor(let d)?: return .descriptor(d)
        default: return nil
        }
    }

    @inline(__always)
    public func optionBytes(_ name: StaticString) -> [UInt8]? {
        if case .bytes(let b)? = option(name) { return b.array }
        return nil
    }

    /// Every word given for the variadic argument.
    /// Every word given for the variadic argument. (One word bound in order is kept in the
    /// argument's own slot, as an inline word rather than an array: `write shm1 hello`.)
    public var rest: [[UInt8]] {
        if variadic.isEmpty, let slot = spec.variadicIndex, case .bytes(let word)? = values[slot] { return [word.array] }
        return variadic
    }
    public var restStrings: [String] { rest.map { String(decoding: $0, as: UTF8.self) } }

    public var usageHint: String { "usage: \(spec.usage)" }
}

/// A `.dataTarget` argument's value (`BoundCommand.dataTarget`).
public enum DataTarget {
    case region(any MemoryRegion)
    case descriptor(DescriptorRef)
}

extension StaticString {
    /// Where the literal's bytes are (0 for a one-character literal kept as a scalar, which
    /// matches no address).
    @inline(__always)
    var address: UInt {
        hasPointerRepresentation ? UInt(bitPattern: utf8Start) : 0
    }

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

    /// Starts with `--` (an option's name).
    @inline(__always)
    var isOptionName: Bool {
        // Options are "--x"; a positional keyword may be a single-dash word (diagram's "-o").
        hasPointerRepresentation ? utf8CodeUnitCount > 1 && utf8Start.pointee == UInt8(ascii: "-") && utf8Start[1] == UInt8(ascii: "-")
                                 : false
    }
}
