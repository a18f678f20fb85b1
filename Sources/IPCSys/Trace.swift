/// Every call in this module can report itself as one C-like line, e.g.
/// `shmget(0x00000cea, 1024, IPC_CREAT|0600) = 32769`. The shell installs a sink
/// for `trace on`; when none is installed the lines are never built.
public enum SyscallTrace {
    /// The sink. Single-threaded program: set and read from the main thread only.
    nonisolated(unsafe) public static var sink: ((String) -> Void)?

    @inline(__always)
    public static var isOn: Bool { sink != nil }

    /// Reports a call: `arguments` is only evaluated when tracing is on.
    @inline(__always)
    public static func report(_ call: String, _ arguments: @autoclosure () -> String, result: @autoclosure () -> String) {
        guard let sink else { return }
        sink("\(call)(\(arguments())) = \(result())")
    }

    /// Reports a call that returned -1 and set errno.
    public static func reportFailure(_ call: String, _ arguments: @autoclosure () -> String, _ error: SystemCallError) {
        guard let sink else { return }
        sink("\(call)(\(arguments())) = -1 \(error.symbol) (\(error.text))")
    }

    /// Formats an IPC key the way `ipcs` does: `0x00000cea`.
    public static func hexKey(_ key: Int32) -> String {
        "0x" + hex(UInt32(bitPattern: key), width: 8)
    }

    public static func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    public static func octalMode(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
    }
}
