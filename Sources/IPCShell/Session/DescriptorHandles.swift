@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A handle that owns descriptors: a pipe (ends `.r`, `.w`), a FIFO descriptor, later sockets.
public protocol DescriptorOwner: Handle {
    /// End names (`["r", "w"]`), or empty when the handle is one descriptor.
    var endNames: [String] { get }
    /// The open descriptor of an end (nil end: the single descriptor).
    func descriptor(end: String?) -> Int32?
    /// Closes one end (or all, for nil).
    func close(end: String?) throws(SystemCallError)
    /// Every open descriptor with its label (`pipe1.r`), for `fds`.
    var openDescriptors: [(fd: Int32, label: String)] { get }
    /// What `read` and `write` exchange on it when it is not bytes (an eventfd's 8-byte counter),
    /// or nil. A requirement with a default, not a cast: `write` asks on every call.
    var valueFormat: (any DescriptorValueFormat)? { get }
}

extension DescriptorOwner {
    public var valueFormat: (any DescriptorValueFormat)? { nil }
    public var asDescriptorOwner: (any DescriptorOwner)? { self }
}

/// A descriptor whose reads and writes are values rather than bytes (`eventfd`: `write NAME 3`
/// adds 3 to the counter, `read NAME` takes it).
public protocol DescriptorValueFormat {
    /// The bytes one `write()` of the value written as `text` sends, or why it cannot.
    func encode(_ text: [UInt8]) throws(Diagnostic) -> [UInt8]
    /// How many bytes one `read()` asks for.
    var readSize: Int { get }
    /// The value `bytes` (what one read returned) shows as.
    func decode(_ bytes: [UInt8]) -> [UInt8]
}

/// A handle that is exactly one descriptor (a FIFO, a received descriptor): no ends, and
/// closing it closes that one descriptor.
public protocol SingleDescriptorOwner: DescriptorOwner {
    var fd: Int32? { get set }
}

extension SingleDescriptorOwner {
    public var endNames: [String] { [] }
    public var isOpen: Bool { fd != nil }
    public func descriptor(end: String?) -> Int32? { end == nil ? fd : nil }

    public func close(end: String?) throws(SystemCallError) {
        guard let open = fd else { return }
        fd = nil
        try Descriptors.close(open)
    }

    public var openDescriptors: [(fd: Int32, label: String)] { fd.map { [($0, name)] } ?? [] }
}

/// A descriptor named in a command: `pipe1.r`, `fifo1`.
public struct DescriptorRef {
    public let owner: any DescriptorOwner
    public let end: String?
    public let fd: Int32
    public var label: String { end.map { "\(owner.name).\($0)" } ?? owner.name }
}

/// `pipe()`: a read end and a write end.
public final class PipeHandle: DescriptorOwner {
    public let kind = HandleKind.pipe
    public var name = ""
    public private(set) var readEnd: Int32?
    public private(set) var writeEnd: Int32?
    private let createdRead: Int32
    private let createdWrite: Int32

    public init(read: Int32, write: Int32) {
        readEnd = read
        writeEnd = write
        createdRead = read
        createdWrite = write
    }

    public var endNames: [String] { ["r", "w"] }
    public var isOpen: Bool { readEnd != nil || writeEnd != nil }

    public func descriptor(end: String?) -> Int32? {
        switch end {
        case "r": return readEnd
        case "w": return writeEnd
        default: return nil
        }
    }

    public func close(end: String?) throws(SystemCallError) {
        if end == nil || end == "r", let fd = readEnd {
            readEnd = nil
            try Descriptors.close(fd)
        }
        if end == nil || end == "w", let fd = writeEnd {
            writeEnd = nil
            try Descriptors.close(fd)
        }
    }

    public var openDescriptors: [(fd: Int32, label: String)] {
        var list: [(Int32, String)] = []
        if let readEnd { list.append((readEnd, "\(name).r")) }
        if let writeEnd { list.append((writeEnd, "\(name).w")) }
        return list
    }

    private func endState(_ fd: Int32?, _ original: Int32) -> String { fd.map { "fd \($0)" } ?? "closed (was fd \(original))" }

    public var summary: String { "r: \(endState(readEnd, createdRead))  w: \(endState(writeEnd, createdWrite))" }

    public var fields: [(name: String, value: String)] {
        [("r", readEnd.map(String.init) ?? "closed"), ("w", writeEnd.map(String.init) ?? "closed"),
         ("state", isOpen ? "open" : "closed")]
    }
}

/// An open FIFO (named pipe) descriptor.
public final class FifoHandle: SingleDescriptorOwner {
    public let kind = HandleKind.fifo
    public var name = ""
    public let path: String
    public let direction: String
    public var fd: Int32?
    private let originalFD: Int32

    public init(path: String, direction: String, fd: Int32) {
        self.path = path
        self.direction = direction
        self.fd = fd
        originalFD = fd
    }

    public var summary: String {
        "\(path) (\(direction))  " + (fd.map { "fd \($0)" } ?? "closed (was fd \(originalFD))")
    }

    public var fields: [(name: String, value: String)] {
        [("path", path), ("mode", direction), ("fd", fd.map(String.init) ?? "closed"), ("state", isOpen ? "open" : "closed")]
    }
}
