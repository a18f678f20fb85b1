@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `signal send|on|wait|ignore|default|block|unblock|pending`: signals as IPC.
enum SignalCommands {
    static let all: [CommandSpec] = [send, on, wait, ignore, restoreDefault, block, unblock, pending]

    static let hints: [SystemCallHint] = [
        SystemCallHint("kill", ESRCH) { "no process has that pid (it has ended?)" },
        SystemCallHint("sigqueue", ESRCH) { "no process has that pid (it has ended?)" },
        SystemCallHint("kill", EPERM) { "that process belongs to another user" },
        SystemCallHint("sigqueue", EAGAIN) { "the receiver's queue of real-time signals is full (RLIMIT_SIGPENDING)" },
        SystemCallHint("sigaction", EINVAL) { "KILL and STOP cannot be caught, ignored or blocked" },
    ]

    /// The shell's own signals: Ctrl-C, children, timers, and the end of the session.
    static let shellOwned: [Int32: String] = [
        SIGINT: "Ctrl-C interrupts commands", SIGCHLD: "the shell reaps its children with it",
        SIGALRM: "the shell times blocking calls with it", SIGTERM: "it ends the session (after clean-up)",
        SIGHUP: "it ends the session (after clean-up)", SIGPIPE: "the shell ignores it, so a write to a closed pipe is EPIPE",
    ]

    static func signal(_ ctx: borrowing CommandContext, _ argument: StaticString = "SIG") -> Int32 {
        Int32(ctx.integer(argument) ?? 0)
    }

    /// Refuses a signal the shell keeps, or one the kernel never lets a handler have.
    static func refuseShellOwned(_ sig: Int32, _ ctx: borrowing CommandContext) throws(Diagnostic) {
        if let why = shellOwned[sig] {
            throw ctx.failure("\(ctx.spec.name): SIG\(UserSignals.name(sig)) is the shell's own: \(why)",
                              hint: "use USR1, USR2 or a real-time signal (RTMIN+N)")
        }
        if sig == SIGKILL || sig == SIGSTOP {
            throw ctx.failure("\(ctx.spec.name): SIG\(UserSignals.name(sig)) cannot be caught, ignored or blocked (the kernel's rule)")
        }
    }

    static let send = CommandSpec(
        "signal send", summary: "kill, or sigqueue with --value: send SIG to a child, a pid, or self",
        arguments: [ArgumentSpec("TARGET", .text, about: "a child handle (child1), a pid, or self"), ArgumentSpec("SIG", .signal)],
        options: [OptionSpec("--value", .wholeNumber(Int(Int32.min)...Int(Int32.max)), valueName: "N", summary: "sigqueue: a value the receiver gets with the signal")],
        example: "signal send child1 USR1 --value 7",
        discussion: "Standard signals coalesce: sent twice before they are handled, they arrive once. Real-time signals (RTMIN+N) queue, in order, each with its value."
    ) { ctx in
        let target = ctx.string("TARGET") ?? ""
        let pid: pid_t
        if target == "self" {
            pid = getpid()
        } else if let child = ctx.session.handle(named: target) as? ChildHandle {
            guard child.exitStatus == nil else { throw ctx.failure("signal send: \(child.name) (pid \(child.pid)) has ended") }
            pid = child.pid
        } else if let n = Int32(target), n > 0 {
            pid = n
        } else {
            throw ctx.failure("signal send: '\(Escaping.display(Array(target.utf8)))' is not a child, a pid or self",
                              hint: "children: " + ctx.session.handles(of: .child).filter(\.isOpen).map(\.name).joined(separator: ", "))
        }
        let value = ctx.integer("--value").map { Int32($0) }
        // What was printed so far is out before a signal that may end this very process.
        ctx.output.flush()
        try UserSignals.send(pid, signal(ctx), value: value)
        return .none
    }

    static let on = CommandSpec(
        "signal on", summary: "run BLOCK each time SIG arrives (between commands), with $signal, $sender, $value",
        arguments: [ArgumentSpec("SIG", .signal), ArgumentSpec("BLOCK", .block)],
        example: "signal on USR1 { echo \"got $signal from $sender\" }",
        discussion: "The C handler only records the signal; the block runs before the next command (a blocking call it interrupted fails with EINTR, as in C). $signal is the name without SIG (USR1, RTMIN+2), $sender the sending pid, $value what sigqueue sent (0 from kill). INT, CHLD, ALRM, TERM, HUP and PIPE stay the shell's own."
    ) { ctx in
        let sig = signal(ctx)
        try refuseShellOwned(sig, ctx)
        guard let block = ctx.block("BLOCK") else { return .none }
        ctx.session.signalHandlers[sig] = block
        try UserSignals.catchSignal(sig)
        return .none
    }

    static let wait = CommandSpec(
        "signal wait", summary: "sigtimedwait: wait for one of the signals; prints USR1 from pid 4242 value 7",
        arguments: [ArgumentSpec("SIG", .signal, variadic: true)],
        options: [OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D")],
        example: "s = signal wait USR1 RTMIN+1 --timeout 5s",
        discussion: "The signals are blocked while it waits (sigtimedwait needs them so), so one sent just before is not lost. Bound, the fields are $s.signal, $s.sender and $s.value."
    ) { ctx in
        var signals: [Int32] = []
        for word in ctx.restStrings {
            guard let sig = UserSignals.number(word) else {
                throw ctx.failure("signal wait: '\(Escaping.display(Array(word.utf8)))' is not a signal", hint: "USR1, SIGUSR2, RTMIN+1, or a number")
            }
            try refuseShellOwned(sig, ctx)
            signals.append(sig)
        }
        guard !signals.isEmpty else { throw ctx.failure("signal wait: missing SIG", hint: ctx.usageHint) }
        let timeout = ctx.integer("--timeout")
        let deadline = timeout.map { Clock.monotonicNanoseconds() + UInt64($0) * 1_000_000 }
        ctx.output.flush()
        var got: (signal: Int32, sender: Int32, value: Int32)?
        do throws(SystemCallError) {
            _ = try Signals.blockingCall(timeoutMilliseconds: timeout) { () throws(SystemCallError) in
                let left = deadline.map { d -> Int in
                    let now = Clock.monotonicNanoseconds()
                    return now >= d ? 0 : Int((d - now) / 1_000_000)
                }
                got = try UserSignals.wait(for: signals, timeoutMilliseconds: left)
            }
        } catch {
            if error.wasInterrupted && Signals.interruptPending { throw ControlFlow.interrupted }
            throw error
        }
        guard let got else {
            throw ctx.failure("signal wait: no \(signals.map(UserSignals.name).joined(separator: " or ")) within \(Durations.describe(timeout ?? 0))")
        }
        let name = UserSignals.name(got.signal)
        return .structure(text: Array("\(name) from pid \(got.sender) value \(got.value)".utf8),
                          fields: [("signal", name), ("sender", String(got.sender)), ("value", String(got.value))])
    }

    static let ignore = CommandSpec(
        "signal ignore", summary: "sigaction(SIG_IGN): the signal is discarded",
        arguments: [ArgumentSpec("SIG", .signal)],
        example: "signal ignore USR1"
    ) { ctx in
        let sig = signal(ctx)
        try refuseShellOwned(sig, ctx)
        ctx.session.signalHandlers[sig] = nil
        try UserSignals.setDisposition(sig, ignore: true)
        return .none
    }

    static let restoreDefault = CommandSpec(
        "signal default", summary: "sigaction(SIG_DFL): the kernel's default action again (USR1 ends the process)",
        arguments: [ArgumentSpec("SIG", .signal)],
        example: "signal default USR1"
    ) { ctx in
        let sig = signal(ctx)
        try refuseShellOwned(sig, ctx)
        ctx.session.signalHandlers[sig] = nil
        try UserSignals.setDisposition(sig, ignore: false)
        return .none
    }

    static let block = CommandSpec(
        "signal block", summary: "sigprocmask(SIG_BLOCK): the signal waits (pending) until unblocked",
        arguments: [ArgumentSpec("SIG", .signal)],
        example: "signal block USR1"
    ) { ctx in
        let sig = signal(ctx)
        try refuseShellOwned(sig, ctx)
        try UserSignals.setBlocked(sig, true)
        return .none
    }

    static let unblock = CommandSpec(
        "signal unblock", summary: "sigprocmask(SIG_UNBLOCK): a pending one is delivered now",
        arguments: [ArgumentSpec("SIG", .signal)],
        example: "signal unblock USR1"
    ) { ctx in
        let sig = signal(ctx)
        try refuseShellOwned(sig, ctx)
        try UserSignals.setBlocked(sig, false)
        return .none
    }

    static let pending = CommandSpec(
        "signal pending", summary: "sigpending: the blocked signals that arrived and wait",
        example: "signal pending",
        discussion: "Prints the names (USR1 RTMIN+1), or none."
    ) { ctx in
        let names = try UserSignals.pending().map(UserSignals.name)
        return .value(Array((names.isEmpty ? "none" : names.joined(separator: " ")).utf8))
    }
}
