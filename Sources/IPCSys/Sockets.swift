@preconcurrency import Glibc
import CIPCShims

/// A socket address as the language writes it: `unix:/path`, `tcp:127.0.0.1:8080`, `udp:127.0.0.1:9000`.
public enum SocketAddress: Equatable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)
    case udp(host: String, port: Int)

    public enum ParseError: Error, Equatable {
        case message(String, hint: String)
    }

    /// Parses an address; a missing host means 127.0.0.1, `localhost` is 127.0.0.1.
    public static func parse(_ text: String) throws(ParseError) -> SocketAddress {
        let forms = "addresses are unix:/path, tcp:HOST:PORT or udp:HOST:PORT (HOST defaults to 127.0.0.1)"
        guard let colon = text.firstIndex(of: ":") else {
            throw .message("'\(text)' is not a socket address", hint: forms)
        }
        let scheme = text[..<colon]
        let rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "unix":
            guard !rest.isEmpty else { throw .message("'\(text)' has no path", hint: "write unix:/tmp/NAME.sock") }
            let limit = Int(ipcsh_sun_path_max()) - 1
            guard rest.utf8.count <= limit else {
                throw .message("the path in '\(text)' is \(rest.utf8.count) bytes; a unix socket path holds at most \(limit)",
                               hint: "use a shorter path, e.g. under /tmp")
            }
            guard !rest.utf8.contains(0) else { throw .message("the path holds a NUL byte", hint: forms) }
            return .unix(path: rest)
        case "tcp", "udp":
            var host = "127.0.0.1"
            var portText = rest
            if let last = rest.lastIndex(of: ":") {
                let h = String(rest[..<last])
                if !h.isEmpty { host = h }
                portText = String(rest[rest.index(after: last)...])
            }
            if host == "localhost" { host = "127.0.0.1" }
            guard isIPv4(host) else {
                throw .message("'\(host)' is not an IPv4 address", hint: "use 127.0.0.1 (or localhost); names are not looked up")
            }
            guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText),
                  (0...65535).contains(port) else {
                throw .message("port '\(portText)' in '\(text)' is not 0 to 65535", hint: forms)
            }
            return scheme == "tcp" ? .tcp(host: host, port: port) : .udp(host: host, port: port)
        default:
            throw .message("unknown address kind '\(scheme)' in '\(text)'", hint: forms)
        }
    }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber } && (Int(p) ?? 256) <= 255
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .unix: return true
        case .tcp(let host, _), .udp(let host, _): return host.hasPrefix("127.")
        }
    }

    public var isDatagram: Bool { if case .udp = self { return true }; return false }

    public var description: String {
        switch self {
        case .unix(let path): return "unix:\(path)"
        case .tcp(let host, let port): return "tcp:\(host):\(port)"
        case .udp(let host, let port): return "udp:\(host):\(port)"
        }
    }

    var socketType: Int32 { isDatagram ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue) }
    var family: String {
        switch self {
        case .unix: return "AF_UNIX"
        default: return "AF_INET"
        }
    }
    var typeName: String { isDatagram ? "SOCK_DGRAM" : "SOCK_STREAM" }
}

/// `socket`, `bind`, `listen`, `accept`, `connect`, `socketpair`, `sendmsg`/`recvmsg` with SCM_RIGHTS.
public enum Sockets {
    /// `socketpair(AF_UNIX, SOCK_STREAM, 0, fds)`.
    public static func pair() throws(SystemCallError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try traced("socketpair", [.symbol("AF_UNIX"), .symbol("SOCK_STREAM"), .int(0), .descriptors(fds)]) {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (fds[0], fds[1])
    }

    /// A close-on-exec socketpair for ipcsh's own plumbing (an actor's command channel): not
    /// traced, because it is not part of what the user asked for.
    public static func internalPair() throws(SystemCallError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try valueOrErrno("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (fds[0], fds[1])
    }

    /// `socket` + `bind` (+ `listen` for a stream). A unix socket file is created 0600.
    public static func listen(_ address: SocketAddress, backlog: Int32 = 64) throws(SystemCallError) -> Int32 {
        let result: Int32
        switch address {
        case .unix(let path): result = ipcsh_unix_listen(path, address.socketType, backlog)
        case .tcp(let host, let port), .udp(let host, let port):
            result = ipcsh_inet_listen(host, Int32(port), address.socketType, backlog)
        }
        return try traceSequence(address, second: "bind", listenBacklog: address.isDatagram ? nil : backlog,
                                 nonBlocking: false, result: result)
    }

    /// Starts a non-blocking `connect`; finish it with `finishConnect` once writable.
    public static func startConnect(_ address: SocketAddress) throws(SystemCallError) -> Int32 {
        let result: Int32
        switch address {
        case .unix(let path): result = ipcsh_unix_connect_start(path, address.socketType)
        case .tcp(let host, let port), .udp(let host, let port):
            result = ipcsh_inet_connect_start(host, Int32(port), address.socketType)
        }
        return try traceSequence(address, second: "connect", listenBacklog: nil, nonBlocking: true, result: result)
    }

    /// The C helpers make two or three calls (socket, bind or connect, listen): trace each on
    /// its own line, and name the call that failed in the error.
    private static func traceSequence(_ address: SocketAddress, second: String, listenBacklog: Int32?,
                                      nonBlocking: Bool, result: Int32) throws(SystemCallError) -> Int32 {
        let code = Errno.current
        let stage = ipcsh_socket_stage()
        let fd = ipcsh_socket_fd()
        let socketArguments = { () -> [TraceValue] in
            [.symbol(address.family), .symbol(address.typeName + "|SOCK_CLOEXEC" + (nonBlocking ? "|SOCK_NONBLOCK" : "")), .int(0)]
        }
        if result < 0 {
            let calls = ["socket", second, "listen"]
            let call = calls[Int(max(0, min(2, stage)))]
            if stage >= 1 { SyscallTrace.record("socket", socketArguments(), .returned(.int(Int(fd)))) }
            SyscallTrace.record(call, stage == 0 ? socketArguments()
                                    : stage == 1 ? [.int(Int(fd)), .socketAddress(address)]
                                    : [.int(Int(fd)), .int(Int(listenBacklog ?? 0))],
                                .failed(errno: code))
            throw SystemCallError(call, errno: code)
        }
        SyscallTrace.record("socket", socketArguments(), .returned(.int(Int(result))))
        SyscallTrace.record(second, [.int(Int(result)), .socketAddress(address)],
                            stage == 3 ? .failed(errno: EINPROGRESS) : .returned(.int(0)))
        if let listenBacklog { SyscallTrace.record("listen", [.int(Int(result)), .int(Int(listenBacklog))], .returned(.int(0))) }
        return result
    }

    /// The outcome of a non-blocking connect; on success the descriptor is made blocking again.
    public static func finishConnect(_ fd: Int32) throws(SystemCallError) {
        let err = ipcsh_socket_error(fd)
        if err != 0 {
            SyscallTrace.record("connect", [.annotated(.int(Int(fd)), "completion")], .failed(errno: err))
            throw SystemCallError("connect", errno: err)
        }
        try Descriptors.setNonBlocking(fd, false)
    }

    /// `accept(fd, NULL, NULL)`.
    public static func accept(_ fd: Int32) throws(SystemCallError) -> Int32 {
        try traced("accept", [.int(Int(fd)), .symbol("NULL"), .symbol("NULL")]) { ipcsh_accept(fd) }
    }

    /// `accept4(fd, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK)` for `rpc serve`'s own loop: not
    /// traced, as the rest of that loop's calls are not.
    public static func acceptNonBlocking(_ fd: Int32) throws(SystemCallError) -> Int32 {
        try valueOrErrno("accept") { ipcsh_accept_nonblocking(fd) }
    }

    /// `getsockname` (or `getpeername`) as text.
    public static func name(_ fd: Int32, peer: Bool) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard ipcsh_socket_name(fd, peer ? 1 : 0, &buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func isDatagram(_ fd: Int32) -> Bool { ipcsh_socket_type(fd) == Int32(SOCK_DGRAM.rawValue) }

    /// An AF_UNIX socket: the only kind that carries SCM_RIGHTS (TCP silently drops it).
    public static func isUnix(_ fd: Int32) -> Bool {
        var domain: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 && domain == AF_UNIX
    }

    /// One `recvfrom` (with MSG_TRUNC): the datagram (at most `max` bytes of it), who sent it, and its real size.
    public static func receive(_ fd: Int32, max: Int) throws(SystemCallError) -> (data: [UInt8], from: String, size: Int) {
        var buffer = [UInt8](repeating: 0, count: Swift.max(1, max))
        var from = [CChar](repeating: 0, count: 256)
        var sender = ""
        var n = -1
        _ = try traced("recvfrom", n < 0 ? [.int(Int(fd)), .symbol("buf"), .int(max)]
                                         : [.int(Int(fd)), .bytes(buffer), .int(max), .symbol("MSG_TRUNC"), .symbol(sender)]) {
            n = buffer.withUnsafeMutableBytes { ipcsh_recvfrom(fd, $0.baseAddress, max, &from, from.count) }
            if n >= 0 {
                sender = String(decoding: from.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                buffer.removeSubrange(Swift.min(n, buffer.count)...)
            }
            return n
        }
        return (buffer, sender, n)
    }

    /// One `sendto` an IPv4 `host:port`.
    public static func send(_ fd: Int32, _ bytes: [UInt8], to host: String, port: Int) throws(SystemCallError) -> Int {
        try traced("sendto", [.int(Int(fd)), .bytes(bytes), .int(bytes.count), .symbol("\(host):\(port)")]) {
            bytes.withUnsafeBytes { ipcsh_sendto_inet(fd, $0.baseAddress, $0.count, host, Int32(port)) }
        }
    }

    /// `sendmsg` with one descriptor in an SCM_RIGHTS control message (and one byte of data,
    /// so it returns 1).
    public static func sendDescriptor(_ fd: Int32, over socket: Int32) throws(SystemCallError) {
        _ = try traced("sendmsg", [.int(Int(socket)), .symbol("{SCM_RIGHTS [\(fd)]}"), .int(0)]) {
            ipcsh_send_fd(socket, fd) == 0 ? Int32(1) : -1
        }
    }

    /// `recvmsg` of one descriptor (SCM_RIGHTS).
    public static func receiveDescriptor(over socket: Int32) throws(SystemCallError) -> Int32 {
        try traced("recvmsg", [.int(Int(socket)), .symbol("{SCM_RIGHTS}"), .symbol("MSG_CMSG_CLOEXEC")]) { ipcsh_recv_fd(socket) }
    }
}
