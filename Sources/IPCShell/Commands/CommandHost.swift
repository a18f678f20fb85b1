import IPCSyntax

/// What a command may ask of the runtime that runs it, and nothing more: the session, the
/// registry (`help`), the supervisor of children (every blocking wait), running a block, a file or
/// a proc, the recorder, and becoming a forked child. Commands reach it as `ctx.host`, an opaque
/// `some CommandHost`: the compiler lets them use only these members, and, the interpreter being
/// the one host, still calls them directly (a protocol existential here cost 6–7% of a script's
/// run time: scripts/bench.sh).
protocol CommandHost: AnyObject {
    var session: Session { get }
    var registry: CommandRegistry { get }
    var supervisor: Supervisor { get }

    /// Runs a block's commands; the first failure fails the block.
    func runBlock(_ block: Block) throws
    /// Runs a script file in this session (`source`).
    func runFile(_ path: String, arguments: [String], location: SourceLocation) throws
    /// Runs a proc with `$1 ... $#` set; what it prints is its result.
    func callProc(_ name: String, body: Block, arguments: [String], at location: SourceLocation, showing: Bool) throws -> [UInt8]

    /// Runs the `signal on` blocks of the signals caught so far (`sleep` does, when one wakes it).
    func runSignalHandlers() throws(ControlFlow)

    /// `record start|stop`: the recording in progress, and how to start one (nil: not available).
    var recorder: (any SessionRecording)? { get set }
    var makeRecorder: ((_ path: String) throws(Diagnostic) -> any SessionRecording)? { get }

    /// `fork`: turns this (just forked) process into a child writing to the relay pipes.
    func becomeChild(stdoutFD: Int32, stderrFD: Int32, ownGroup: Bool, defaultInterrupt: Bool)
    /// Runs a `fork { }` block in the child and exits with its status.
    func runForkedBlock(_ block: Block) -> Never
    /// An actor: runs the commands that arrive on `commandFD` until EOF or `exit`.
    func serveActor(commandFD: Int32) -> Never
}

extension Interpreter: CommandHost {}
