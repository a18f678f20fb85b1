import IPCSys

/// A converted argument value.
public enum ArgumentValue {
    case bytes([UInt8])
    case integer(Int)
    case key(Int32)
    case handle(any Handle)
    case block(Block)
    case descriptor(DescriptorRef)
}

/// What a command's run function gets: its checked arguments, the session and the interpreter.
public struct CommandContext {
    public let spec: CommandSpec
    public let session: Session
    public let interpreter: Interpreter
    public let location: SourceLocation
    /// `NAME` in `NAME = COMMAND`.
    public let binding: String?
    var values: [String: ArgumentValue] = [:]
    var variadic: [[UInt8]] = []
    var options: [String: ArgumentValue] = [:]
    var flags: Set<String> = []

    init(spec: CommandSpec, session: Session, interpreter: Interpreter, location: SourceLocation, binding: String?) {
        self.spec = spec
        self.session = session
        self.interpreter = interpreter
        self.location = location
        self.binding = binding
    }

    public var output: Output { session.output }

    public func has(_ name: String) -> Bool { values[name] != nil }
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    public func bytes(_ name: String) -> [UInt8]? {
        if case .bytes(let b)? = values[name] { return b }
        return nil
    }

    public func string(_ name: String) -> String? {
        bytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    public func integer(_ name: String) -> Int? {
        if case .integer(let n)? = values[name] ?? options[name] { return n }
        return nil
    }

    public func key(_ name: String) -> Int32? {
        if case .key(let k)? = values[name] ?? options[name] { return k }
        return nil
    }

    public func block(_ name: String) -> Block? {
        if case .block(let b)? = values[name] { return b }
        return nil
    }

    public func anyHandle(_ name: String) -> (any Handle)? {
        if case .handle(let h)? = values[name] { return h }
        return nil
    }

    public func descriptor(_ name: String) -> DescriptorRef? {
        if case .descriptor(let d)? = values[name] { return d }
        return nil
    }

    public func handle<T: Handle>(_ name: String, as type: T.Type) -> T? {
        anyHandle(name) as? T
    }

    public func optionBytes(_ name: String) -> [UInt8]? {
        if case .bytes(let b)? = options[name] { return b }
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

    /// A failure of this command with a message (and the usage as hint when asked).
    public func failure(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: location, hint: hint)
    }

    public var usageHint: String { "usage: \(spec.usage)" }
}
