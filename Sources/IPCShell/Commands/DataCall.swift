import IPCSyntax

/// What one read or write of a segment or a descriptor needs of the command that makes it: the
/// host, where to say what happened, the options that apply (`--at`, `--nonblock`,
/// `--timeout`) and whether the value is bound. Made from a bound command's context
/// (`CommandContext.dataCall`), or by a direct form straight from a script's words
/// (`DirectContext.dataCall`), so that both run the same code (`DataCommands.readRegion`,
/// `writeRegion`, `readDescriptor`, `writeDescriptor`).
struct DataCall<Host: CommandHost> {
    /// Unmanaged, used through guaranteed references: the host outlives every command, and
    /// counting references cost more than the rest of a call's set-up (callgrind; an
    /// unowned(unsafe) reference cost an atomic retain at each use).
    private let hostReference: Unmanaged<Host>
    /// The command, for messages (`read: ...`).
    let command: StaticString
    let location: SourceLocation
    /// `--nonblock`: fail with EAGAIN rather than wait.
    var nonblock = false
    /// `--timeout D`, in milliseconds.
    var timeoutMilliseconds: Int?
    /// `--at OFFSET` in a segment.
    var offset = 0
    /// `NAME = read ...`: the value goes to a variable, not to the output.
    var isBound = false

    init(host: Host, command: StaticString, location: SourceLocation) {
        self.hostReference = .passUnretained(host)
        self.command = command
        self.location = location
    }

    var session: Session { hostReference._withUnsafeGuaranteedRef { $0.session } }
    var output: Output { hostReference._withUnsafeGuaranteedRef { $0.session.output } }
    var supervisor: Supervisor { hostReference._withUnsafeGuaranteedRef { $0.supervisor } }

    /// A failure of this command, located at it.
    func failure(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: location, hint: hint)
    }
}
