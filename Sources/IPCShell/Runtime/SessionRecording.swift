import IPCSys
import IPCSyntax

/// What records a session (`--record`, `record start`): the runtime tells it each top-level
/// command and each line of output. The recorder itself lives in the teaching layer
/// (IPCTeaching), which this target cannot import: the runtime knows only this protocol, and
/// the command line gives the interpreter a way to make one (`makeRecorder`).
public protocol SessionRecording: AnyObject {
    /// The file the recording goes to.
    var path: String { get }
    /// A top-level command starts.
    func begin(_ command: Command)
    /// A line of output (stdout or stderr, uncoloured).
    func output(_ line: String, stream: Output.Stream)
    /// The command ended.
    func end()
    /// Drops the command in flight (`record stop` is not part of the lesson).
    func discardCurrent()
    /// Completes the recording; an error when it could not be written whole.
    func close() throws(Diagnostic)
    /// Gives the recording up (the session failed before it could be completed).
    func abandon()
}

extension Interpreter {
    /// After a command in replay/check: lets children's output arrive (until 150ms of quiet,
    /// at most 2s), so that it is shown after the command that caused it, as when recorded.
    public func settleChildren() {
        guard supervisor.children.contains(where: { $0.exitStatus == nil || $0.stdoutFD != nil }) else { return }
        let start = Clock.monotonicNanoseconds()
        var lastActivity = start
        var seen = session.output.linesWritten
        while Clock.monotonicNanoseconds() - start < 2_000_000_000 {
            _ = try? supervisor.wait(for: nil, timeoutMilliseconds: 50, until: nil)
            if session.output.linesWritten != seen {
                seen = session.output.linesWritten
                lastActivity = Clock.monotonicNanoseconds()
            } else if Clock.monotonicNanoseconds() - lastActivity > 150_000_000 {
                return
            }
        }
    }
}
