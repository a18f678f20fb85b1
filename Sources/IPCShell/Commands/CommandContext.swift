import IPCSys
import IPCSyntax

/// What a command's run function gets: its bound arguments (`ctx.integer("SIZE")`, read from
/// `bound`) and the host that runs it (`ctx.host`, `ctx.session`, `ctx.output`).
public struct CommandContext {
    /// Bound in place by the interpreter (`ArgumentBinder`), then only read.
    public internal(set) var bound: BoundCommand
    /// The one host. Private: commands see it only as `some CommandHost`. Unowned: the
    /// interpreter outlives every command it runs, and a context is made and destroyed for
    /// each command (a strong reference cost a retain and a release every time).
    private unowned(unsafe) let interpreter: Interpreter

    init(_ bound: BoundCommand, interpreter: Interpreter) {
        self.bound = bound
        self.interpreter = interpreter
    }

    /// The runtime, as far as a command may use it (`CommandHost`).
    var host: some CommandHost { interpreter }
    /// The session (not stored apart: one reference less to count per command).
    public var session: Session { interpreter.session }
    public var output: Output { interpreter.session.output }
    public var spec: CommandSpec { bound.spec }
    public var location: SourceLocation { bound.location }
    /// `NAME` in `NAME = COMMAND`.
    public var binding: String? { bound.binding }

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

    /// The call a read or write of this command makes (`DataCommands.readRegion`,
    /// `readDescriptor`, ...), with its `--at`, `--nonblock` and `--timeout` (read and write
    /// declare all three) and whether its value is bound.
    func dataCall(command: StaticString) -> DataCall<some CommandHost> {
        var call = DataCall(host: interpreter, command: command, location: location)
        call.isBound = binding != nil
        if anyOptionGiven {
            call.nonblock = flag("--nonblock")
            call.timeoutMilliseconds = integer("--timeout")
            call.offset = integer("--at") ?? 0
        }
        return call
    }

    /// A failure of this command with a message (and the usage as hint when asked).
    public func failure(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: location, hint: hint)
    }
}

// The arguments, by name: `BoundCommand`'s accessors, read in place (a call on a stored property
// borrows it; nothing is copied).
extension CommandContext {
    @inline(__always) public func has(_ name: StaticString) -> Bool { bound.has(name) }
    @inline(__always) public func flag(_ name: StaticString) -> Bool { bound.flag(name) }
    public var anyOptionGiven: Bool { bound.anyOptionGiven }
    @inline(__always) public func optionGiven(_ name: StaticString) -> Bool { bound.optionGiven(name) }
    @inline(__always) public func bytes(_ name: StaticString) -> [UInt8]? { bound.bytes(name) }
    @inline(__always) public func wordBytes(_ name: StaticString) -> WordBytes? { bound.wordBytes(name) }
    @inline(__always) public func string(_ name: StaticString) -> String? { bound.string(name) }
    @inline(__always) public func integer(_ name: StaticString) -> Int? { bound.integer(name) }
    @inline(__always) public func key(_ name: StaticString) throws(Diagnostic) -> Int32? { try bound.key(name) }
    @inline(__always) public func block(_ name: StaticString) -> Block? { bound.block(name) }
    @inline(__always) public func anyHandle(_ name: StaticString) -> (any Handle)? { bound.anyHandle(name) }
    @inline(__always) public func descriptor(_ name: StaticString) -> DescriptorRef? { bound.descriptor(name) }
    @inline(__always) public func handle<T: Handle>(_ name: StaticString, as type: T.Type) -> T? { bound.handle(name, as: type) }
    @inline(__always) public func region(_ name: StaticString) -> (any MemoryRegion)? { bound.region(name) }
    @inline(__always) public func dataTarget(_ name: StaticString) -> DataTarget? { bound.dataTarget(name) }
    @inline(__always) public func optionBytes(_ name: StaticString) -> [UInt8]? { bound.optionBytes(name) }
    public var rest: [[UInt8]] { bound.rest }
    public var restStrings: [String] { bound.restStrings }
    public var usageHint: String { bound.usageHint }
}
