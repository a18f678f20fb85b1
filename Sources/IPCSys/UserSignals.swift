@preconcurrency import Glibc
import CIPCShims

/// Signals the user sends, catches, waits for, ignores and blocks (`signal ...`). The shell's own
/// (SIGINT, SIGCHLD, SIGALRM; SIGTERM and SIGHUP end the session) stay in `Signals`.
public enum UserSignals {
    public static var realTimeMinimum: Int32 { ipcsh_sigrtmin() }
    public static var realTimeMaximum: Int32 { ipcsh_sigrtmax() }

    /// `USR1`, `RTMIN+2`, `RTMAX-1`, or the number.
    public static func name(_ signal: Int32) -> String {
        if signal >= realTimeMinimum && signal <= realTimeMaximum {
            let above = signal - realTimeMinimum
            return above == 0 ? "RTMIN" : "RTMIN+\(above)"
        }
        return Signals.byName.first { $0.value == signal }?.key ?? (commonNames[signal] ?? String(signal))
    }

    /// Names `Signals.byName` lacks (the shell's own table has the ones `kill` needs).
    static let commonNames: [Int32: String] = [SIGABRT: "ABRT", SIGSEGV: "SEGV", SIGWINCH: "WINCH", SIGURG: "URG",
                                               SIGTTIN: "TTIN", SIGTTOU: "TTOU", SIGXCPU: "XCPU", SIGTRAP: "TRAP",
                                               SIGBUS: "BUS", SIGFPE: "FPE", SIGILL: "ILL", SIGPROF: "PROF",
                                               SIGSYS: "SYS", SIGVTALRM: "VTALRM", SIGXFSZ: "XFSZ", SIGIO: "IO"]

    /// `USR1`, `SIGUSR1`, `usr1`, `10`, `RTMIN`, `RTMIN+3`, `SIGRTMAX-1`: the number, or nil.
    public static func number(_ text: String) -> Int32? {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let n = Int32(name), n >= 1, n <= 64 { return n }
        if let n = Signals.byName[name] { return n }
        if let (n, _) = commonNames.first(where: { $0.value == name }) { return n }
        for (base, value) in [("RTMIN", realTimeMinimum), ("RTMAX", realTimeMaximum)] where name.hasPrefix(base) {
            let rest = name.dropFirst(base.count)
            if rest.isEmpty { return value }
            guard let first = rest.first, first == "+" || first == "-", let offset = Int32(rest.dropFirst()), offset <= 64 else { return nil }
            let n = first == "+" ? value + offset : value - offset
            guard n >= realTimeMinimum && n <= realTimeMaximum else { return nil }
            return n
        }
        return nil
    }

    /// `kill(pid, sig)`, or `sigqueue(pid, sig, {value})` with a value.
    public static func send(_ pid: pid_t, _ signal: Int32, value: Int32?) throws(SystemCallError) {
        if let value {
            _ = try traced("sigqueue", [.int(Int(pid)), .symbol("SIG" + name(signal)), .symbol("{sival_int=\(value)}")]) {
                ipcsh_sigqueue(pid, signal, value)
            }
        } else {
            _ = try traced("kill", [.int(Int(pid)), .symbol("SIG" + name(signal))]) { kill(pid, signal) }
        }
    }

    /// `sigaction(sig, {handler that records}, NULL)`.
    public static func catchSignal(_ signal: Int32) throws(SystemCallError) {
        _ = try traced("sigaction", [.symbol("SIG" + name(signal)), .symbol("{SA_SIGINFO, record}"), .symbol("NULL")]) {
            ipcsh_signal_catch(signal)
        }
    }

    /// One caught signal not handled yet: (signal, sender pid, value).
    public static func takeCaught() -> (signal: Int32, sender: Int32, value: Int32)? {
        var signal: Int32 = 0, pid: Int32 = 0, value: Int32 = 0
        guard ipcsh_signal_take(&signal, &pid, &value) != 0 else { return nil }
        return (signal, pid, value)
    }

    /// Whether a caught signal waits for its block (read before and after every command).
    /// Inlinable, as the C check is: two loads.
    @inlinable
    public static var caughtPending: Bool { ipcsh_signal_caught_pending() != 0 }

    /// `sigaction(sig, SIG_IGN or SIG_DFL)`.
    public static func setDisposition(_ signal: Int32, ignore: Bool) throws(SystemCallError) {
        _ = try traced("sigaction", [.symbol("SIG" + name(signal)), .symbol(ignore ? "{SIG_IGN}" : "{SIG_DFL}"), .symbol("NULL")]) {
            ipcsh_signal_disposition(signal, ignore ? 1 : 0)
        }
    }

    /// `sigprocmask(SIG_BLOCK or SIG_UNBLOCK, {sig}, NULL)`.
    public static func setBlocked(_ signal: Int32, _ blocked: Bool) throws(SystemCallError) {
        _ = try traced("sigprocmask", [.symbol(blocked ? "SIG_BLOCK" : "SIG_UNBLOCK"), .symbol("[\(name(signal))]"), .symbol("NULL")]) {
            ipcsh_signal_mask(blocked ? SIG_BLOCK : SIG_UNBLOCK, signal)
        }
    }

    /// `sigpending(&set)`: the signals blocked and waiting.
    public static func pending() throws(SystemCallError) -> [Int32] {
        var flags = [UInt8](repeating: 0, count: 65)
        _ = try traced("sigpending", [.symbol("&set")]) { ipcsh_signal_pending(&flags) }
        return (1...64).filter { flags[$0] != 0 }.map(Int32.init)
    }

    /// `sigtimedwait(set, &info, timeout)` (the signals blocked for the wait): (signal, sender,
    /// value), or nil when the timeout passed.
    public static func wait(for signals: [Int32], timeoutMilliseconds: Int?) throws(SystemCallError) -> (signal: Int32, sender: Int32, value: Int32)? {
        var pid: Int32 = 0, value: Int32 = 0
        let set = "[" + signals.map(name).joined(separator: " ") + "]"
        do {
            let signal = try traced(timeoutMilliseconds == nil ? "sigwaitinfo" : "sigtimedwait",
                                    [.symbol(set), .symbol("&info")] + (timeoutMilliseconds.map { [.symbol("{\($0 / 1000), \($0 % 1000 * 1_000_000)}")] } ?? [])) {
                ipcsh_sigtimedwait(signals, Int32(signals.count), timeoutMilliseconds ?? -1, &pid, &value)
            }
            return (signal, pid, value)
        } catch where error.errno == EAGAIN {
            return nil
        }
    }
}
