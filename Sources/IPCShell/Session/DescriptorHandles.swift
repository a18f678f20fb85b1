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
    /// The end these bytes name (`r` of `pipe1.r`) and its descriptor, when it is open; looked
    /// up without making a String, since `read` and `write` name an end command after command.
    /// (`end` is its position in `endNames`.)
    func openEnd(named bytes: WordBytes) -> (end: Int, fd: Int32)?
    /// The open descriptor of the end at this position in `endNames` (-1: the single one).
    func descriptor(atEnd index: Int) -> Int32?
}

extension DescriptorOwner {
    public var valueFormat: (any DescriptorValueFormat)? { nil }

    public func descriptor(atEnd index: Int) -> Int32? {
        guard index >= 0 else { return descriptor(end: nil) }
        let names = endNames
        return index < names.count ? descriptor(end: names[index]) : nil
    }

    public func openEnd(named bytes: WordBytes) -> (end: Int, fd: Int32)? {
        let names = endNames
        for position in names.indices where names[position].utf8.count == bytes.count {
            var matches = true
            var index = 0
            for byte in names[position].utf8 {
                if byte != bytes[index] { matches = false; break }
                index += 1
            }
            if matches, let fd = descriptor(end: names[position]) { return (position, fd) }
        }
        return nil
    }
    public var asDescriptorOwner: (any DescriptorOwner)? { self }
}

/// A descriptor whose reads and writes are values rather than bytes (`eventfd`: `write NAME 3`
/// adds 3 to the counter, `read NAME` takes it).
/// A class (one shared instance per format): `read` and `write` ask every owner for its format,
/// and an optional reference costs nothing to copy where a value existential cost a witness call
/// to copy and another to destroy (callgrind: ~300 instructions a `read`).
public protocol DescriptorValueFormat: AnyObject, Sendable {
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
    public let fd: Int32
    /// The end's position in `owner.endNames`, or -1 for the single descriptor: small enough
    /// that an argument holds it inline, with no box to allocate for every `read p.r`.
    private let endIndex: Int8

    public init(owner: any DescriptorOwner, end: String?, fd: Int32) {
        self.owner = owner
        self.fd = fd
        endIndex = end.flatMap { owner.endNames.firstIndex(of: $0) }.map { Int8(truncatingIfNeeded: $0) } ?? -1
    }

    init(owner: any DescriptorOwner, endIndex: Int, fd: Int32) {
        self.owner = owner
        self.fd = fd
        self.endIndex = Int8(truncatingIfNeeded: endIndex)
    }

    /// The end's name (`r`), or nil for the single descriptor.
    public var end: String? {
        guard endIndex >= 0 else { return nil }
        let names = owner.endNames
        return Int(endIndex) < names.count ? names[Int(endIndex)] : nil
    }
    public var label: String { end.map { "\(owner.name).\($0)" } ?? owner.name }

    /// The end is still open, as the same descriptor.
    var isStillOpen: Bool { owner.descriptor(atEnd: Int(endIndex)) == fd }
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

    private static let ends = ["r", "w"]
    public var endNames: [String] { PipeHandle.ends }
    public var isOpen: Bool { readEnd != nil || writeEnd != nil }

    public func descriptor(atEnd index: Int) -> Int32? {
        switch index {
        case 0: return readEnd
        case 1: return writeEnd
        default: return nil
        }
    }

    public func openEnd(named bytes: WordBytes) -> (end: Int, fd: Int32)? {
        guard bytes.count == 1 else { return nil }
        switch bytes[0] {
        case UInt8(ascii: "r"): return readEnd.map { (0, $0) }
        case UInt8(ascii: "w"): return writeEnd.map { (1, $0) }
        default: return nil
        }
    }

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
