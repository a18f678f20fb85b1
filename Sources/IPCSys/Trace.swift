@preconcurrency import Glibc

/// One system call as it happened: its name, its arguments as values, and what it returned or
/// the `errno` it set. Every traced call of this module makes one and hands it to
/// `SyscallTrace.sink`; `description` is the C-like line `trace on` prints
/// (`shmget(0x00000cea, 1024, IPC_CREAT|0600) = 32769`), and tests and other back ends read
/// the fields instead of parsing that line.
public struct TraceEntry: Equatable, Sendable, CustomStringConvertible {
    /// How the call ended.
    public enum Outcome: Equatable, Sendable {
        /// The value it returned: a descriptor, an id, a count, an address.
        case returned(TraceValue)
        /// It returned -1 and set `errno`. A non-blocking `connect` that is under way ends so
        /// too (`EINPROGRESS`): that is what the kernel said, whatever the caller makes of it.
        case failed(errno: Int32)
    }

    /// The C function: `shmget`, `read`, `posix_spawnp`.
    public var call: String
    public var arguments: [TraceValue]
    public var outcome: Outcome

    public init(_ call: String, _ arguments: [TraceValue], _ outcome: Outcome) {
        self.call = call
        self.arguments = arguments
        self.outcome = outcome
    }

    /// The `errno` of a failed call, nil when it returned a value.
    public var errno: Int32? {
        if case .failed(let code) = outcome { return code }
        return nil
    }

    /// What a successful call returned, nil when it failed.
    public var returned: TraceValue? {
        if case .returned(let value) = outcome { return value }
        return nil
    }

    /// `read(5, "hello", 4096) = 5`, `open("./fifo", O_RDONLY) = -1 ENOENT (No such file or directory)`.
    public var description: String {
        let failed = errno != nil
        let shown = arguments.map { $0.formatted(callFailed: failed) }.joined(separator: ", ")
        switch outcome {
        case .returned(let value): return "\(call)(\(shown)) = \(value)"
        case .failed(let code): return "\(call)(\(shown)) = -1 \(Errno.symbol(code)) (\(Errno.text(code)))"
        }
    }
}

/// An argument (or a result) of a traced call, kept as the value it was; `description` is how
/// the C-like trace line shows it.
public indirect enum TraceValue: Equatable, Sendable, CustomStringConvertible {
    /// A descriptor, an id, a size, a count, a pid: `5`.
    case int(Int)
    /// A C string such as a path: `"./fifo"`.
    case string(String)
    /// Data in a buffer, shown as strace does: `"apple is red\0\0"` (at most 32 bytes, then `...`).
    case bytes([UInt8])
    /// Shown as it is: a C constant or flag set (`IPC_CREAT|0600`, `SIGTERM`, `AF_UNIX`), a
    /// placeholder for a pointer (`NULL`, `&buf`), an address the kernel wrote (`127.0.0.1:5555`).
    case symbol(String)
    /// A System V IPC key: `0x00000cea`, or `IPC_PRIVATE`.
    case key(Int32)
    /// Permission bits: `0600`.
    case mode(Int)
    /// An array of descriptors: `[6, 7]`.
    case descriptors([Int32])
    /// An argument vector: `["sh", "-c", "exit 3"]`.
    case strings([String])
    /// A memory address: `0x00007f3a5c000000`.
    case address(UInt)
    /// A socket address: `{AF_UNIX, "/tmp/s.sock"}`, `{AF_INET, 127.0.0.1:8080}`.
    case socketAddress(SocketAddress)
    /// A buffer the kernel fills: shown by its contents when the call succeeded, by its name
    /// (`buf`, `fds`) when it failed and the contents mean nothing.
    case output(name: String, TraceValue)
    /// A value with a remark after it: `0 (pid 4242)`, `5 (completion)`.
    case annotated(TraceValue, String)

    public var description: String { formatted(callFailed: false) }

    public func formatted(callFailed: Bool) -> String {
        switch self {
        case .int(let n): return String(n)
        case .string(let s): return "\"\(s)\""
        case .bytes(let b): return SyscallTrace.quoted(b)
        case .symbol(let s): return s
        case .key(let key): return key == IPC_PRIVATE ? "IPC_PRIVATE" : SyscallTrace.hexKey(key)
        case .mode(let mode): return SyscallTrace.octalMode(mode)
        case .descriptors(let fds): return "[" + fds.map { String($0) }.joined(separator: ", ") + "]"
        case .strings(let list): return "[" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .address(let a): return UnsafeRawPointer(bitPattern: a).map { $0.debugDescription } ?? "NULL"
        case .socketAddress(let address):
            switch address {
            case .unix(let path): return "{AF_UNIX, \"\(path)\"}"
            case .tcp(let host, let port), .udp(let host, let port): return "{AF_INET, \(host):\(port)}"
            }
        case .output(let name, let value): return callFailed ? name : value.formatted(callFailed: false)
        case .annotated(let value, let remark): return "\(value.formatted(callFailed: callFailed)) (\(remark))"
        }
    }
}

/// Where trace entries go. The shell installs a sink for `trace on` (printing each entry's
/// `description`); tests install one that collects them. With no sink, no entry is built:
/// the arguments are autoclosures, evaluated only after the sink is found set.
public enum SyscallTrace {
    /// The sink. Single-threaded program: set and read from the main thread only.
    nonisolated(unsafe) public static var sink: ((TraceEntry) -> Void)?

    @inline(__always)
    public static var isOn: Bool { sink != nil }

    /// Hands one entry to the sink, if there is one; only then are `arguments` and `outcome` built.
    @inline(__always)
    public static func record(_ call: String, _ arguments: @autoclosure () -> [TraceValue],
                              _ outcome: @autoclosure () -> TraceEntry.Outcome) {
        guard let sink else { return }
        sink(TraceEntry(call, arguments(), outcome()))
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

    /// Shows data the way strace does: `"apple is red\0\0"...` (at most 32 bytes).
    public static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for b in bytes.prefix(32) {
            switch b {
            case 0: text += "\\0"
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(b))
            default: text += "\\x" + hex(b, width: 2)
            }
        }
        text += "\""
        if bytes.count > 32 { text += "..." }
        return text
    }
}

/// The one path of a traced call, in the spirit of swift-system's `valueOrErrno`: makes the
/// raw call (again after EINTR only when `retryOnInterrupt`), records a `TraceEntry`, and
/// returns the value or throws `SystemCallError`. `arguments` is evaluated after the call, so
/// it can show what the kernel wrote into a buffer; `result` formats what the call returned.
@inline(__always)
func traced<T: FixedWidthInteger>(
    _ call: String, retryOnInterrupt: Bool = false,
    _ arguments: @autoclosure () -> [TraceValue],
    result: (T) -> TraceValue = { .int(Int($0)) },
    _ body: () -> T
) throws(SystemCallError) -> T {
    while true {
        let value = body()
        if value != -1 {
            SyscallTrace.record(call, arguments(), .returned(result(value)))
            return value
        }
        let code = Errno.current
        if code == EINTR && retryOnInterrupt { continue }
        SyscallTrace.record(call, arguments(), .failed(errno: code))
        throw SystemCallError(call, errno: code)
    }
}
