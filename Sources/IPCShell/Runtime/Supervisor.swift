@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// Keeps the session's children: relays their output line by line with a `[NAME PID] `
/// prefix, reaps them, and is the one place where the parent waits. Every blocking wait
/// of the parent goes through `wait(...)`, which polls the signal self-pipe, the
/// children's output and the descriptor waited for, so a chatty child never deadlocks
/// against a parent that is waiting for something else.
public final class Supervisor {
    let session: Session
    public private(set) var children: [ChildHandle] = []
    /// Set while the REPL sits at the prompt: relayed lines are printed above the typed line.
    public var asyncEmit: ((String, Output.Stream) -> Void)?

    init(session: Session) {
        self.session = session
    }

    /// The longest line of a child's output held before it is shown (as a line of its own).
    static let maximumLine = 1 << 20

    func adopt(_ child: ChildHandle) { children.append(child) }

    public var hasChildren: Bool { !children.isEmpty }

    /// Read ends of the relay pipes still open.
    public var relayDescriptors: [Int32] {
        var fds = children.flatMap { [$0.stdoutFD, $0.stderrFD].compactMap { $0 } }
        if let reports = session.childReports.readFD, hasChildren { fds.append(reports) }
        return fds
    }

    /// Relays what is available on `fd` (a relay pipe). Returns false if `fd` is not one.
    @discardableResult
    public func relay(_ fd: Int32) -> Bool {
        if fd == session.childReports.readFD {
            session.collectChildReports()
            return true
        }
        for child in children {
            if child.stdoutFD == fd {
                relay(child, stream: .stdout)
                return true
            }
            if child.stderrFD == fd {
                relay(child, stream: .stderr)
                return true
            }
        }
        return false
    }

    private func relay(_ child: ChildHandle, stream: Output.Stream) {
        guard let fd = stream == .stdout ? child.stdoutFD : child.stderrFD else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { Plumbing.read(fd, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        var pending = stream == .stdout ? child.pendingStdout : child.pendingStderr
        if n <= 0 {
            // End of file: the child (and everything that shared its output) is done writing.
            Plumbing.close(fd)
            if stream == .stdout { child.stdoutFD = nil } else { child.stderrFD = nil }
            if !pending.isEmpty { emit(child.prefix + String(decoding: pending, as: UTF8.self), stream) }
            pending = []
        } else {
            // `pending` holds no newline: only the new bytes are searched (searching it all again
            // on each read made a 50 MB line without a newline take 16 s).
            var searchFrom = pending.count
            pending.append(contentsOf: buffer[0..<n])
            var start = 0
            while let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
                emit(child.prefix + String(decoding: pending[start..<newline], as: UTF8.self), stream)
                start = newline + 1
                searchFrom = start
            }
            if start > 0 { pending.removeFirst(start) }
            // A line that never ends is shown in pieces of `maximumLine` bytes rather than held whole.
            while pending.count >= Supervisor.maximumLine {
                emit(child.prefix + String(decoding: pending[..<Supervisor.maximumLine], as: UTF8.self), stream)
                pending.removeFirst(Supervisor.maximumLine)
            }
        }
        if stream == .stdout { child.pendingStdout = pending } else { child.pendingStderr = pending }
    }

    private func emit(_ text: String, _ stream: Output.Stream) {
        if let asyncEmit {
            asyncEmit(text, stream)
        } else {
            session.output.relayed(text, stream: stream)
        }
    }

    /// Reaps every child that has ended (WNOHANG). Returns those that ended now.
    @discardableResult
    public func reap() -> [ChildHandle] {
        var ended: [ChildHandle] = []
        for child in children where child.exitStatus == nil {
            // Stops and continues are noted too: `wait` reports a stop rather than hang on it.
            while let change = (try? Processes.pollChange(child.pid)) ?? nil {
                switch change {
                case .stopped(let signal):
                    child.stoppedBy = signal
                    child.stopReported = false
                    continue
                case .continued:
                    child.stoppedBy = nil
                    continue
                case .ended(let status):
                    child.stoppedBy = nil
                    child.exitStatus = status
                    if let fd = child.commandFD {
                        Plumbing.close(fd)
                        child.commandFD = nil
                    }
                    ended.append(child)
                }
                break
            }
        }
        return ended
    }

    /// Relays whatever output is ready and reaps, without blocking.
    public func drainAvailable() {
        guard hasChildren else { return }
        _ = try? wait(for: nil, timeoutMilliseconds: 0, until: nil)
    }

    /// Waits until `fd` is ready for `events`, or `condition` holds, or the timeout passes
    /// (false). Relays children's output and reaps them meanwhile. Ctrl-C throws.
    public func wait(for fd: Int32?, events: Int16 = Int16(POLLIN), timeoutMilliseconds: Int?,
                     until condition: (() -> Bool)?) throws(ControlFlow) -> Bool {
        let deadline = timeoutMilliseconds.map { Clock.monotonicNanoseconds() + UInt64(max(0, $0)) * 1_000_000 }
        while true {
            if Signals.interruptPending { throw ControlFlow.interrupted }
            reap()
            if let condition, condition() { return true }
            var fds: [pollfd] = [pollfd(fd: Signals.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            let relays = relayDescriptors
            for r in relays { fds.append(pollfd(fd: r, events: Int16(POLLIN), revents: 0)) }
            if let fd { fds.append(pollfd(fd: fd, events: events, revents: 0)) }
            var timeout: Int32 = -1
            if let deadline {
                let now = Clock.monotonicNanoseconds()
                timeout = now >= deadline ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            }
            // The single wait of every blocking command, watching relays, the self-pipe and a
            // descriptor: plumbing, not a step of the lesson (untraced).
            let n = Plumbing.poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if fds[0].revents != 0 { Signals.drainWakeups() }
            var relayed = false
            for (i, r) in relays.enumerated() where fds[i + 1].revents != 0 {
                relay(r)
                relayed = true
            }
            // While the shell waits, children's lines go out as they come (`ipcsh script | tee`
            // shows them then, not when the wait ends); a reader that went away is seen here.
            if relayed && timeout != 0 { session.output.flush() }
            if Signals.interruptPending { throw ControlFlow.interrupted }
            if fd != nil, let last = fds.last, last.revents != 0 { return true }
            if n == 0 && timeout == 0 {
                reap()
                if let condition, condition() { return true }
                return false
            }
            if let deadline, Clock.monotonicNanoseconds() >= deadline, fd != nil || condition != nil {
                reap()
                return condition?() ?? false
            }
        }
    }

    /// Sleeps, relaying children's output meanwhile. Ctrl-C throws.
    public func sleep(milliseconds: Int) throws(ControlFlow) {
        if !hasChildren {
            guard Clock.sleep(milliseconds: milliseconds) else { throw ControlFlow.interrupted }
            return
        }
        _ = try wait(for: nil, timeoutMilliseconds: milliseconds, until: nil)
    }

    /// In a forked child: the parent's children are not ours. Close what we inherited.
    func forgetAllInChild() {
        for child in children { child.closeDescriptors() }
        children = []
    }

    /// At exit: ends actors' conversations, waits up to `graceMilliseconds` for children,
    /// then sends TERM, waits, then KILL. Returns notes for stderr.
    public func shutdown(graceMilliseconds: Int = 2000) -> [String] {
        guard hasChildren else { return [] }
        var notes: [String] = []
        for child in children {
            if let fd = child.commandFD {
                Plumbing.close(fd)
                child.commandFD = nil
            }
        }
        let allDone = { self.children.allSatisfy { $0.exitStatus != nil && $0.stdoutFD == nil && $0.stderrFD == nil } }
        let ended = { self.children.allSatisfy { $0.exitStatus != nil } }
        _ = try? wait(for: nil, timeoutMilliseconds: graceMilliseconds, until: allDone)
        for signal in [SIGTERM, SIGKILL] where !ended() {
            for child in children where child.exitStatus == nil {
                notes.append("\(child.name) (pid \(child.pid)) still running after the grace period: sent \(Signals.name(signal))")
                _ = try? Processes.kill(child.pid, signal)
                // A stopped child keeps a TERM pending until it runs again.
                if child.stoppedBy != nil { _ = try? Processes.kill(child.pid, SIGCONT) }
            }
            _ = try? wait(for: nil, timeoutMilliseconds: 1000, until: ended)
        }
        _ = try? wait(for: nil, timeoutMilliseconds: 200, until: allDone)
        for child in children { child.closeDescriptors() }
        return notes
    }
}
