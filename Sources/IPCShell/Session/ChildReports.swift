@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A kernel object that a forked child (a `fork { }` block or an actor, at any depth) created.
/// The child reports it to the top shell over a pipe, so that the shell's exit notice and
/// `--cleanup` cover it as they cover its own (issue 9: in fuzzing, children left segments and
/// FIFOs that nothing named or removed).
public struct ChildCreatedObject: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case segment(id: Int32, key: Int32, size: Int)
        case fifo(path: String)
        case queue(id: Int32, key: Int32)
        case semaphores(id: Int32, key: Int32, count: Int)
    }

    public var kind: Kind
    /// The child that made it, and the name it had there.
    public var creator: pid_t
    public var name: String

    /// One line on the report pipe: fields separated by blanks, the path in hex (it may hold
    /// any byte). Short enough to be written atomically (PIPE_BUF) by children writing at once.
    var encoded: [UInt8] {
        let hexName = Self.hex(Array(name.utf8))
        switch kind {
        case .segment(let id, let key, let size):
            return Array("shm \(creator) \(hexName) \(id) \(key) \(size)\n".utf8)
        case .fifo(let path):
            return Array("fifo \(creator) \(hexName) \(Self.hex(Array(path.utf8)))\n".utf8)
        case .queue(let id, let key):
            return Array("mq \(creator) \(hexName) \(id) \(key)\n".utf8)
        case .semaphores(let id, let key, let count):
            return Array("sem \(creator) \(hexName) \(id) \(key) \(count)\n".utf8)
        }
    }

    init(kind: Kind, creator: pid_t, name: String) {
        self.kind = kind
        self.creator = creator
        self.name = name
    }

    /// Decodes one line (without its newline); nil for anything malformed.
    init?(line: ArraySlice<UInt8>) {
        let fields = line.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count >= 4, let creator = pid_t(fields[1]), let name = Self.unhex(fields[2]) else { return nil }
        self.creator = creator
        self.name = String(decoding: name, as: UTF8.self)
        switch fields[0] {
        case "shm":
            guard fields.count == 6, let id = Int32(fields[3]), let key = Int32(fields[4]), let size = Int(fields[5]) else { return nil }
            kind = .segment(id: id, key: key, size: size)
        case "fifo":
            guard fields.count == 4, let path = Self.unhex(fields[3]) else { return nil }
            kind = .fifo(path: String(decoding: path, as: UTF8.self))
        case "mq":
            guard fields.count == 5, let id = Int32(fields[3]), let key = Int32(fields[4]) else { return nil }
            kind = .queue(id: id, key: key)
        case "sem":
            guard fields.count == 6, let id = Int32(fields[3]), let key = Int32(fields[4]), let count = Int(fields[5]) else { return nil }
            kind = .semaphores(id: id, key: key, count: count)
        default:
            return nil
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.isEmpty ? "-" : bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    private static func unhex(_ text: String) -> [UInt8]? {
        if text == "-" { return [] }
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var i = 0
        while i < digits.count {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            i += 2
        }
        return bytes
    }
}

/// The pipe children report created objects on: the top shell reads it, every forked
/// descendant writes to it (the write end is inherited across fork, closed on exec).
public final class ChildReportChannel {
    /// The read end: only in the shell that made the channel.
    public private(set) var readFD: Int32?
    /// The write end (non-blocking: a child never waits on a full pipe; a report that does not
    /// fit is lost rather than the child stuck).
    public private(set) var writeFD: Int32?
    private var pending: [UInt8] = []

    init() {}

    /// Makes the pipe before the first fork (a child then inherits its write end).
    func open() throws(SystemCallError) {
        guard writeFD == nil else { return }
        let ends = try Descriptors.internalPipe()
        _ = try? Descriptors.setNonBlocking(ends.write, true)
        _ = try? Descriptors.setNonBlocking(ends.read, true)
        readFD = ends.read
        writeFD = ends.write
    }

    /// In a forked child: it writes reports, and reads none.
    func becomeChild() {
        if let readFD { Plumbing.close(readFD) }
        readFD = nil
        pending = []
    }

    /// Writes one report (in a child).
    func send(_ object: ChildCreatedObject) {
        guard let writeFD else { return }
        let line = object.encoded
        _ = line.withUnsafeBytes { Plumbing.write(writeFD, $0.baseAddress, $0.count) }
    }

    /// Reads the reports that arrived (in the top shell), without blocking.
    func receive() -> [ChildCreatedObject] {
        guard let readFD else { return [] }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Plumbing.read(readFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            pending += chunk[0..<n]
        }
        var objects: [ChildCreatedObject] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            if let object = ChildCreatedObject(line: pending[start..<newline]) { objects.append(object) }
            start = newline + 1
        }
        pending.removeFirst(start)
        return objects
    }
}

extension Session {
    /// A kernel object this process created: in a forked child, reported to the top shell (the
    /// parent owns what its children make). In the shell itself the handle or `createdObjects`
    /// already keeps it.
    public func noteCreated(_ kind: ChildCreatedObject.Kind, name: String) {
        guard isChild else { return }
        childReports.send(ChildCreatedObject(kind: kind, creator: getpid(), name: name))
    }

    /// Takes in what children reported since the last look.
    public func collectChildReports() {
        for object in childReports.receive() {
            switch object.kind {
            case .segment(let id, let key, let size):
                createdObjects.removeAll { ($0 as? SegmentRecord).map { $0.id == id } ?? false }
                createdObjects.append(SegmentRecord(id: id, key: key, size: size, name: object.name, creator: object.creator))
            case .fifo(let path):
                guard !createdObjects.contains(where: { ($0 as? FIFORecord)?.path == path }) else { continue }
                createdObjects.append(FIFORecord(path: path, creator: object.creator))
            case .queue(let id, let key):
                createdObjects.append(SystemVRecord(kind: .queue, id: id, key: key, name: object.name, creator: object.creator))
            case .semaphores(let id, let key, let count):
                createdObjects.append(SystemVRecord(kind: .semaphores(count: count), id: id, key: key, name: object.name, creator: object.creator))
            }
        }
    }
}
