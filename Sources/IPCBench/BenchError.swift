/// Why a bench did not run or did not finish; `message` names what was wrong.
public struct BenchError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    /// Ctrl-C ended it (the shell reports that as an interrupted command, not an error).
    public var interrupted: Bool

    public init(_ message: String, interrupted: Bool = false) {
        self.message = message
        self.interrupted = interrupted
    }

    public var description: String { message }

    /// A failed call, as `perror` would say it.
    static func call(_ name: String, _ code: Int32 = errno) -> BenchError {
        BenchError("\(name): \(String(cString: strerror(code)))")
    }
}

@preconcurrency import Glibc
