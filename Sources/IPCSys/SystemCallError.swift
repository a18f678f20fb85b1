@preconcurrency import Glibc
import CIPCShims

/// A failed system call: the C function's name and the `errno` it set.
///
/// Its description is the form the shell prints: `shmget: EEXIST (File exists)`.
public struct SystemCallError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `EEXIST`, or `E<number>` for an errno glibc has no name for.
    public var symbol: String { Errno.symbol(errno) }
    /// `File exists`.
    public var text: String { Errno.text(errno) }
    public var description: String { "\(call): \(symbol) (\(text))" }
    public var wasInterrupted: Bool { errno == EINTR }
}

public enum Errno {
    public static func symbol(_ code: Int32) -> String {
        if let name = ipcsh_errno_name(code) { return String(cString: name) }
        return "E\(code)"
    }

    public static func text(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// The calling thread's current `errno`.
    public static var current: Int32 { Glibc.errno }
}

/// Runs a raw call that returns -1 on failure, turning that into a `SystemCallError`.
///
/// `retryOnInterrupt` is for calls that cannot block for long (`close`, `shmdt`):
/// blocking IPC calls pass `false` so that Ctrl-C gets back to the prompt.
@inline(__always)
public func valueOrErrno<T: FixedWidthInteger>(
    _ call: String, retryOnInterrupt: Bool = false, _ body: () -> T
) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR && retryOnInterrupt { continue }
        throw SystemCallError(call, errno: code)
    }
}
