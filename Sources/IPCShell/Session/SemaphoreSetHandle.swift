@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A System V semaphore set that this session created or opened.
public final class SemaphoreSetHandle: Handle {
    public let kind = HandleKind.sem
    public var name: String
    public let key: Int32
    public let id: Int32
    public let count: Int
    public let mode: Int
    /// This session's `sem create` made it (rather than finding it).
    public let createdHere: Bool
    /// `sem rm` removed it.
    public var removed = false

    public init(name: String, key: Int32, id: Int32, count: Int, mode: Int, createdHere: Bool) {
        self.name = name
        self.key = key
        self.id = id
        self.count = count
        self.mode = mode
        self.createdHere = createdHere
    }

    public var isOpen: Bool { !removed }
    public var keyText: String { ShmHandle.keyText(key) }
    var state: String { (createdHere ? "created" : "opened") + (removed ? ", removed" : "") }

    public var summary: String {
        "key \(keyText)  semid \(id)  \(count) semaphore\(count == 1 ? "" : "s")  mode \(SyscallTrace.octalMode(mode))  \(state)"
    }

    public var fields: [(name: String, value: String)] {
        [("key", keyText), ("semid", String(id)), ("id", String(id)), ("nsems", String(count)),
         ("mode", SyscallTrace.octalMode(mode)), ("created", createdHere ? "yes" : "no"),
         ("removed", removed ? "yes" : "no"), ("state", state)]
    }
}

extension SemaphoreSetHandle: PersistentObject {
    static let group = LeftoverGroup.kernelObjects(order: 3, noun: "semaphore set", plural: "semaphore sets")
    public var leftovers: LeftoverGroup { SemaphoreSetHandle.group }
    public var isLeftoverCandidate: Bool { createdHere && !removed }
    public func stillExists() -> Bool { SemaphoreSets.exists(id: id, key: key) }
    public var leftoverName: String { name }
    public var leftoverLine: String { "\(name): key \(keyText), semid \(id), \(count) semaphore\(count == 1 ? "" : "s") — remove with: ipcrm -s \(id)" }
    public var removalInShell: String? { "sem rm \(name)" }

    public func removeForCleanup() throws -> String? {
        guard stillExists() else { return nil }
        let wasThere = try removed(ifGoneBy: systemVGone) { () throws(SystemCallError) in try SemaphoreSets.remove(id: id) }
        removed = true
        return wasThere ? "\(name) (key \(keyText), semid \(id))" : nil
    }
}
