@preconcurrency import Glibc
import CIPCShims

/// The shell's signal handling: SIGINT sets a flag and wakes a self-pipe; SIGPIPE is ignored.
public enum Signals {
    /// Installs the handlers (sigaction, no SA_RESTART). Idempotent.
    public static func install() {
        _ = ipcsh_signals_install()
        _ = ipcsh_sigchld_install()
    }

    /// In a forked child: a self-pipe of its own (the parent's stays the parent's).
    public static func reinitializeInChild() {
        _ = ipcsh_signals_reinit_in_child()
    }

    /// Arms (ms > 0) or disarms (0) a one-shot timer whose SIGALRM interrupts a blocking call.
    public static func armAlarm(milliseconds: Int) {
        _ = ipcsh_alarm_ms(milliseconds)
    }

    /// Whether the alarm fired since the last call.
    public static func takeAlarm() -> Bool { ipcsh_take_alarm() != 0 }

    /// Runs a blocking call that no `poll` can watch (`open` of a FIFO) so that Ctrl-C and the
    /// timeout always end it. A signal only interrupts a call already blocked: one that lands
    /// just before the call starts would be lost and the call would block for good. So a
    /// SIGALRM comes at the deadline and then every `retryMilliseconds`; after each EINTR the
    /// call is made again unless Ctrl-C came (the EINTR error is thrown) or the deadline passed
    /// (nil is returned).
    ///
    /// The trace shows the wait as one call, as strace does: the `= -1 EINTR` of an attempt that
    /// the timer interrupted only to be made again is left out; the one that Ctrl-C or the
    /// deadline ended is shown.
    public static func blockingCall<T>(timeoutMilliseconds: Int?, retryMilliseconds: Int = 500,
                                       _ call: () throws(SystemCallError) -> T) throws(SystemCallError) -> T? {
        let deadline = timeoutMilliseconds.map { Clock.monotonicNanoseconds() + UInt64(max(1, $0)) * 1_000_000 }
        let sink = SyscallTrace.sink
        var held: [TraceEntry] = []
        if sink != nil { SyscallTrace.sink = { held.append($0) } }
        func release(droppingRetried: Bool) {
            guard let sink else { return }
            if droppingRetried, held.last?.errno == EINTR { held.removeLast() }
            for entry in held { sink(entry) }
            held = []
        }
        defer {
            SyscallTrace.sink = sink
            armAlarm(milliseconds: 0)
            _ = takeAlarm()
        }
        while true {
            var first = retryMilliseconds
            if let deadline {
                let now = Clock.monotonicNanoseconds()
                if now >= deadline { return nil }
                first = min(first, Int((deadline - now + 999_999) / 1_000_000))
            }
            if interruptPending { throw SystemCallError("interrupted", errno: EINTR) }
            _ = ipcsh_alarm_repeating_ms(first, retryMilliseconds)
            do {
                let value = try call()
                release(droppingRetried: false)
                return value
            } catch {
                // The timer's EINTR: made again, or nil at the top once the deadline passed.
                let again = error.errno == EINTR && !interruptPending
                let timedOut = deadline.map { Clock.monotonicNanoseconds() >= $0 } ?? false
                release(droppingRetried: again && !timedOut)
                if !again { throw error }
            }
        }
    }

    /// Waits up to `milliseconds` for a handled signal to wake the self-pipe (poll, which the
    /// kernel never restarts: a signal ends the wait at once), then drains it.
    public static func awaitWakeup(milliseconds: Int32) {
        var wake = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&wake, wake.fd >= 0 ? 1 : 0, milliseconds)
        if wake.revents != 0 { drainWakeups() }
    }

    /// Drains the self-pipe without touching the Ctrl-C flag.
    public static func drainWakeups() { ipcsh_signal_pipe_drain() }

    /// The read end of the self-pipe: readable after any handled signal.
    public static var wakeDescriptor: Int32 { ipcsh_signal_pipe_fd() }

    /// SIGTERM or SIGHUP arrived: the session is to end as with Ctrl-D (children ended after
    /// the grace period, `--cleanup` honoured), then exit 128 + the signal. Until it is taken it
    /// reads as a pending interrupt, so a blocking call or a running script stops at once.
    public static var terminationSignal: Int32? {
        let signal = ipcsh_terminate_signal()
        return signal == 0 ? nil : signal
    }

    /// Ends the session as if `signal` had come (it is not sent): SIGPIPE when stdout's reader
    /// is gone (`ipcsh script | head -1`), as sh dies of it, but with the session's clean-up.
    public static func requestTermination(_ signal: Int32) { ipcsh_request_terminate(signal) }

    /// Takes the termination request (and any Ctrl-C), so the clean-up's own waits can run.
    @discardableResult
    public static func takeTermination() -> Int32? {
        let signal = ipcsh_take_terminate()
        return signal == 0 ? nil : signal
    }

    /// In a forked child: SIGTERM and SIGHUP end it as they end any process (and one that
    /// came since `Processes.fork()`, which left them blocked, does so now).
    public static func defaultTerminationInChild() { ipcsh_terminate_default_in_child() }

    /// True once Ctrl-C was pressed and not yet taken. Inlinable, as the C check is: one load,
    /// read before every command.
    @inlinable
    public static var interruptPending: Bool { ipcsh_sigint_pending() != 0 }

    /// Takes (and clears) a pending Ctrl-C.
    @discardableResult
    public static func takeInterrupt() -> Bool {
        ipcsh_signal_pipe_drain()
        return ipcsh_take_sigint() != 0
    }

    public static func resetToDefaults() { ipcsh_signals_reset_defaults() }

    /// Signal numbers by name, for `kill NAME SIGNAL`.
    public static let byName: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL, "USR1": SIGUSR1,
        "USR2": SIGUSR2, "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "CHLD": SIGCHLD,
        "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP,
    ]

    public static func name(_ signal: Int32) -> String {
        byName.first { $0.value == signal }?.key ?? String(signal)
    }
}

/// Time without Foundation.
public enum Clock {
    public static func monotonicNanoseconds() -> UInt64 { ipcsh_monotonic_ns() }

    /// Sleeps `milliseconds` unless Ctrl-C comes first; returns false when interrupted.
    public static func sleep(milliseconds: Int) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(max(0, milliseconds)) * 1_000_000
        while true {
            if Signals.interruptPending { return false }
            let now = monotonicNanoseconds()
            if now >= deadline { return true }
            var pfd = pollfd(fd: Signals.wakeDescriptor, events: Int16(POLLIN), revents: 0)
            let remainingMs = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            _ = poll(&pfd, pfd.fd >= 0 ? 1 : 0, remainingMs)
        }
    }
}
