import IPCSys
import IPCSyntax

/// What a command's run function gets: its bound arguments (`BoundArguments`: `ctx.integer("SIZE")`)
/// and the host that runs it (`ctx.host`, `ctx.session`, `ctx.output`).
public struct CommandContext: BoundArguments {
    public let bound: BoundCommand
    /// The one host. Private: commands see it only as `some CommandHost`.
    private let interpreter: Interpreter

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

    /// A failure of this command with a message (and the usage as hint when asked).
    public func failure(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: location, hint: hint)
    }
}
