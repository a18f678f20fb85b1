@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// An `eventfd`: a 64-bit counter in the kernel behind a descriptor. `write NAME N` adds N;
/// `read NAME` takes the whole count (with `--semaphore`, 1), waiting while it is 0.
public final class EventCounterHandle: SingleDescriptorOwner {
    public let kind = HandleKind.eventfd
    public var name = ""
    public var fd: Int32?
    public let semaphore: Bool

    public init(fd: Int32, semaphore: Bool) {
        self.fd = fd
        self.semaphore = semaphore
    }

    public var summary: String { "eventfd  fd \(fd.map(String.init) ?? "closed")" + (semaphore ? "  EFD_SEMAPHORE" : "") }
    public var fields: [(name: String, value: String)] {
        [("fd", fd.map(String.init) ?? "-"), ("semaphore", semaphore ? "yes" : "no")]
    }
    public var valueFormat: (any DescriptorValueFormat)? { EventCounterFormat.shared }
}

/// An eventfd's reads and writes: one 8-byte unsigned integer, in the machine's byte order.
final class EventCounterFormat: DescriptorValueFormat {
    static let shared = EventCounterFormat()

    func encode(_ text: [UInt8]) throws(Diagnostic) -> [UInt8] {
        let shown = String(decoding: text, as: UTF8.self)
        guard let value = UInt64(shown), value > 0, value < UInt64.max else {
            throw Diagnostic("write: an eventfd takes a count from 1 to 18446744073709551614, not '\(Escaping.display(text))'",
                             hint: "write NAME 3 adds 3 to the counter")
        }
        return withUnsafeBytes(of: value) { Array($0) }
    }

    var readSize: Int { 8 }

    func decode(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count == 8 else { return Escaping.escaped(bytes[...]) }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        return Array(String(value).utf8)
    }
}
