@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A socket: a `sock pair` (ends `.a`, `.b`), a listener, a connection, or a UDP socket.
public final class SocketHandle: DescriptorOwner {
    public enum Role: String, Sendable { case pair, listener, connection, datagram }

    public let kind = HandleKind.sock
    public var name = ""
    public let role: Role
    public let address: SocketAddress?
    private var ends: [String: Int32]
    private let order: [String]
    /// A unix listener's socket file: removed when it is closed.
    public private(set) var socketFile: String?
    /// The socket file this listener bound (device and inode): only that file is removed, never
    /// whatever another program put at the same path since (a regular file, another server's socket).
    private var socketFileIdentity: FileIdentity?
    /// The process that bound it: a forked child closing its inherited copy leaves the file alone.
    private let creator = getpid()
    /// UDP: who sent the last datagram (a reply goes there).
    public var lastSender: String?

    public init(pair a: Int32, _ b: Int32) {
        role = .pair
        address = nil
        ends = ["a": a, "b": b]
        order = ["a", "b"]
    }

    public init(fd: Int32, role: Role, address: SocketAddress?) {
        self.role = role
        self.address = address
        ends = ["": fd]
        order = [""]
        if role == .listener, case .unix(let path)? = address {
            socketFile = path
            socketFileIdentity = FileSystem.identity(path).flatMap { $0.isSocket ? $0 : nil }
        }
    }

    public var endNames: [String] { role == .pair ? order : [] }
    public var isOpen: Bool { !ends.isEmpty }
    public var isDatagram: Bool { role == .datagram }

    public func descriptor(end: String?) -> Int32? { ends[end ?? ""] }

    public func close(end: String?) throws(SystemCallError) {
        let keys = end.map { [$0] } ?? order
        for key in keys {
            guard let fd = ends.removeValue(forKey: key) else { continue }
            try Descriptors.close(fd)
        }
        if ends.isEmpty { removeSocketFile() }
    }

    /// Unlinks a unix listener's socket file (on close, and at exit).
    public func removeSocketFile() {
        guard let path = socketFile else { return }
        socketFile = nil
        guard getpid() == creator, let bound = socketFileIdentity, FileSystem.identity(path) == bound else { return }
        _ = try? Descriptors.unlink(path)
    }

    public var openDescriptors: [(fd: Int32, label: String)] {
        order.compactMap { key in ends[key].map { ($0, key.isEmpty ? name : "\(name).\(key)") } }
    }

    private var anyFD: Int32? { order.lazy.compactMap { self.ends[$0] }.first }

    public var local: String { anyFD.flatMap { Sockets.name($0, peer: false) } ?? "-" }
    public var peer: String {
        if role == .datagram, let lastSender { return lastSender }
        return anyFD.flatMap { Sockets.name($0, peer: true) } ?? "-"
    }

    public var summary: String {
        guard isOpen else { return "\(role.rawValue)  closed" }
        switch role {
        case .pair: return "pair  " + order.map { "\($0): " + (ends[$0].map { "fd \($0)" } ?? "closed") }.joined(separator: "  ")
        case .listener: return "listening on \(address?.description ?? local)  fd \(anyFD ?? -1)"
        case .connection: return "connected  local \(local)  peer \(peer)  fd \(anyFD ?? -1)"
        case .datagram: return "datagram  local \(local)  peer \(peer)  fd \(anyFD ?? -1)"
        }
    }

    public var fields: [(name: String, value: String)] {
        var list: [(String, String)] = [("role", role.rawValue)]
        if let address { list.append(("address", address.description)) }
        if role == .pair {
            for key in order { list.append((key, ends[key].map(String.init) ?? "closed")) }
        } else {
            list.append(("fd", anyFD.map(String.init) ?? "closed"))
        }
        list.append(("local", local))
        list.append(("peer", peer))
        if role != .pair, local.contains(":"), let port = local.split(separator: ":").last { list.append(("port", String(port))) }
        list.append(("state", isOpen ? "open" : "closed"))
        return list
    }

    public var jsonFields: [(name: String, value: String)] {
        func fd(_ key: String) -> String { ends[key].map(String.init) ?? (order.contains(key) ? "closed" : "-") }
        func named(_ text: String) -> String { text == "(unnamed)" ? "-" : text }
        let port = role != .pair && !local.hasPrefix("/") && local.contains(":") ? local.split(separator: ":").last.map(String.init) ?? "-" : "-"
        return [("role", role.rawValue), ("address", address?.description ?? "-"), ("a", fd("a")), ("b", fd("b")), ("fd", fd("")),
                ("local", named(local)), ("peer", named(peer)), ("port", port), ("state", isOpen ? "open" : "closed")]
    }
}

/// A descriptor that arrived by `sock recvfd`: whatever it is (pipe end, file, socket).
public final class ReceivedDescriptorHandle: SingleDescriptorOwner {
    public let kind = HandleKind.fd
    public var name = ""
    public var fd: Int32?
    public let target: String

    public init(fd: Int32) {
        self.fd = fd
        target = Descriptors.target(of: fd) ?? "?"
    }

    public var summary: String { "\(target)  " + (fd.map { "fd \($0)" } ?? "closed") }
    public var fields: [(name: String, value: String)] {
        [("fd", fd.map(String.init) ?? "closed"), ("target", target), ("state", isOpen ? "open" : "closed")]
    }
}
