@preconcurrency import Glibc
import IPCSys

/// What to try next when a system call fails with an errno: declared by the mechanism whose
/// commands make the call (next to its specs), collected by the registry, and shown under the
/// error (`error: shmget: EEXIST (File exists)` / `a segment with this key exists: ...`).
public struct SystemCallHint: Sendable {
    /// The C function (`shmget`), or nil for any call.
    public var call: String?
    public var errno: Int32
    /// The hint; computed when shown (it may read the kernel's limits).
    public var text: @Sendable () -> String

    public init(_ call: String?, _ errno: Int32, _ text: @escaping @Sendable () -> String) {
        self.call = call
        self.errno = errno
        self.text = text
    }

    /// Errors any descriptor call can give.
    static let general: [SystemCallHint] = [
        SystemCallHint(nil, EPIPE) { "no process has the other end open for reading" },
        SystemCallHint(nil, EBADF) { "the descriptor is closed" },
    ]
}

extension CommandRegistry {
    /// The hint for a failed call: one declared for that call, else one for any call.
    public func hint(for error: SystemCallError) -> String? {
        (hints.first { $0.call == error.call && $0.errno == error.errno }
            ?? hints.first { $0.call == nil && $0.errno == error.errno })?.text()
    }
}
