import IPCSyntax

/// What one read or write of a descriptor needs of the command that makes it: where to say what
/// happened, who waits, and how (`--nonblock`, `--timeout`). Made from a bound command's
/// context, or by a direct form (`CommandSpec.direct`) straight from a script's words, so that
/// both run the same code (`DataCommands.readDescriptor`, `writeDescriptor`).
struct DescriptorCall {
    /// The interpreter outlives every command it runs (as `CommandContext`'s reference).
    private unowned(unsafe) let interpreter: Interpreter
    /// The command (`read`, `write`), for messages; its spec outlives the call.
    private unowned(unsafe) let spec: CommandSpec
    let location: SourceLocation
    /// `--nonblock`: fail with EAGAIN rather than wait.
    var nonblock = false
    /// `--timeout D`, in milliseconds.
    var timeoutMilliseconds: Int?

    init(interpreter: Interpreter, spec: CommandSpec, location: SourceLocation) {
        self.interpreter = interpreter
        self.spec = spec
        self.location = location
    }

    /// The command's name, for messages (`read: ...`).
    var command: String { spec.name }
    var output: Output { interpreter.session.output }
    var session: Session { interpreter.session }
    var supervisor: Supervisor { interpreter.supervisor }

    /// A failure of this command, located at it.
    func failure(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: location, hint: hint)
    }
}
