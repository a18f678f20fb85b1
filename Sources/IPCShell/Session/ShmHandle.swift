@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A System V shared memory segment that this session created or opened, and its attachment.
public final class ShmHandle: Handle {
    public let kind = HandleKind.shm
    public var name: String
    public let key: Int32
    public let id: Int32
    public let size: Int
    public let mode: Int
    /// This session's `shm create` made it (rather than finding it).
    public let createdHere: Bool
    public private(set) var address: UnsafeMutableRawPointer?
    public private(set) var readOnly = false
    /// `shm rm` marked it for removal.
    public var removed = false

    public init(name: String, key: Int32, id: Int32, size: Int, mode: Int, createdHere: Bool) {
        self.name = name
        self.key = key
        self.id = id
        self.size = size
        self.mode = mode
        self.createdHere = createdHere
    }

    public var isOpen: Bool { !removed || address != nil }
    public var isAttached: Bool { address != nil }

    public func attach(readOnly: Bool) throws(SystemCallError) {
        address = try SharedMemory.attach(id: id, readOnly: readOnly)
        self.readOnly = readOnly
    }

    public func detach() throws(SystemCallError) {
        guard let address else { return }
        try SharedMemory.detach(address)
        self.address = nil
    }


    public var keyText: String { ShmHandle.keyText(key) }
    public static func keyText(_ key: Int32) -> String { key == 0 ? "private" : SyscallTrace.hexKey(key) }

    public var addressText: String {
        guard let address else { return "-" }
        return "0x" + String(UInt(bitPattern: address), radix: 16)
    }

    public var state: String {
        var parts: [String] = [createdHere ? "created" : "opened"]
        if let _ = address { parts.append("attached at \(addressText)" + (readOnly ? " (read-only)" : "")) }
        else { parts.append("not attached") }
        if removed { parts.append("removed") }
        return parts.joined(separator: ", ")
    }

    public var summary: String {
        "key \(keyText)  shmid \(id)  \(size) bytes  mode \(SyscallTrace.octalMode(mode))  \(state)"
    }

    public var fields: [(name: String, value: String)] {
        [
            ("key", keyText),
            ("shmid", String(id)),
            ("size", String(size)),
            ("mode", SyscallTrace.octalMode(mode)),
            ("addr", addressText),
            ("attached", isAttached ? "yes" : "no"),
            ("readonly", readOnly ? "yes" : "no"),
            ("created", createdHere ? "yes" : "no"),
            ("removed", removed ? "yes" : "no"),
            ("state", state),
        ]
    }
}

extension ShmHandle: MemoryRegion {
    public var isReadOnly: Bool { readOnly }

    public func mappedBytes(for command: String) throws(Diagnostic) -> UnsafeMutableRawBufferPointer {
        if removed {
            throw Diagnostic("\(command): \(name) was removed (shm rm)", hint: isAttached ? "shm detach \(name) releases it" : nil)
        }
        guard let address else { throw Diagnostic("\(command): \(name) is not attached", hint: "shm attach \(name)") }
        return UnsafeMutableRawBufferPointer(start: address, count: size)
    }

    public var writableHint: String? { "shm detach \(name); shm attach \(name)" }
}

extension ShmHandle: PersistentObject {
    public var leftovers: LeftoverGroup { SegmentRecord.group }
    public var isLeftoverCandidate: Bool { createdHere && !removed }
    public func stillExists() -> Bool { SharedMemory.exists(id: id) }
    public var leftoverName: String { name }
    public var leftoverLine: String {
        "\(name): key \(keyText), shmid \(id), \(size) bytes — remove with: ipcrm -m \(id)"
    }
    public var removalInShell: String? { "shm rm \(name)" }

    public func removeForCleanup() throws -> String? {
        if isAttached { try? detach() }
        do throws(SystemCallError) {
            try SharedMemory.remove(id: id)
        } catch {
            guard error.errno == EINVAL || error.errno == EIDRM else { throw error }
            removed = true // someone else removed it already
            return nil
        }
        removed = true
        return "\(name) (key \(keyText), shmid \(id))"
    }
}
