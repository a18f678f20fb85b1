@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// Memory this session mapped with `mmap`: a POSIX shared memory object (`pshm`), a file
/// (`mmap PATH`), or a memfd (`memfd`, whose descriptor `sock sendfd` can pass). A memory region
/// (`read`, `write`, `dump`, `--as`), inherited by `fork`: a shared mapping is shared with the
/// child, a private one is copy-on-write.
public final class MappedRegionHandle: Handle {
    public let kind: HandleKind
    public var name: String
    /// `/frame` (pshm), the file's path (mmap), the memfd's name.
    public let source: String
    public let size: Int
    public let shared: Bool
    public let createdHere: Bool
    public private(set) var address: UnsafeMutableRawPointer?
    /// The descriptor behind the mapping (kept for a memfd, to pass it).
    public var fd: Int32?
    /// `pshm rm` unlinked its name.
    public var unlinked = false

    public init(kind: HandleKind, source: String, address: UnsafeMutableRawPointer, size: Int, shared: Bool,
                fd: Int32?, createdHere: Bool) {
        self.kind = kind
        self.name = ""
        self.source = source
        self.address = address
        self.size = size
        self.shared = shared
        self.fd = fd
        self.createdHere = createdHere
    }

    public var isOpen: Bool { address != nil }

    public var addressText: String { address.map { "0x" + String(UInt(bitPattern: $0), radix: 16) } ?? "-" }

    var state: String {
        var parts = [createdHere ? "created" : "opened", shared ? "MAP_SHARED" : "MAP_PRIVATE (copy-on-write)",
                     address == nil ? "unmapped" : "at \(addressText)"]
        if unlinked { parts.append("name removed") }
        return parts.joined(separator: ", ")
    }

    public var summary: String { "\(source)  \(size) bytes  \(state)" + (fd.map { "  fd \($0)" } ?? "") }
    public var fields: [(name: String, value: String)] {
        [("source", source), ("size", String(size)), ("addr", addressText), ("shared", shared ? "yes" : "no"),
         ("fd", fd.map(String.init) ?? "-"), ("created", createdHere ? "yes" : "no"), ("state", state)]
    }
}

extension MappedRegionHandle: MemoryRegion {
    public var isReadOnly: Bool { false }
    public func mappedBytes(for command: String) throws(Diagnostic) -> UnsafeMutableRawBufferPointer {
        guard let address else { throw Diagnostic("\(command): \(name) is not mapped") }
        return UnsafeMutableRawBufferPointer(start: address, count: size)
    }
    public var writableHint: String? { nil }
}

/// A memfd's descriptor is a descriptor like any other: `sock sendfd`, `fds`, `close`.
extension MappedRegionHandle: SingleDescriptorOwner {}

extension MappedRegionHandle: PersistentObject {
    static let group = LeftoverGroup.kernelObjects(order: 6, noun: "POSIX shared memory object", plural: "POSIX shared memory objects")
    public var leftovers: LeftoverGroup { MappedRegionHandle.group }
    /// Only a POSIX shared memory object has a name that outlives the shell.
    public var isLeftoverCandidate: Bool { kind == .pshm && createdHere && !unlinked }
    public func stillExists() -> Bool { FileSystem.exists(PosixNames.sharedMemoryPath(source)) }
    public var leftoverName: String { name }
    public var leftoverLine: String { "\(name): \(source), \(size) bytes — remove with: rm \(PosixNames.sharedMemoryPath(source))" }
    public var removalInShell: String? { "pshm rm \(name)" }
    public func removeForCleanup() throws -> String? {
        let wasThere = try removed(ifGoneBy: posixNameGone) { () throws(SystemCallError) in try Mappings.sharedMemoryUnlink(source) }
        unlinked = true
        return wasThere ? "\(name) (\(source))" : nil
    }
}
