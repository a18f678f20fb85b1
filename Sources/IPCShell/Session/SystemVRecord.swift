@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A System V message queue or semaphore set that a forked child created (reported on
/// `ChildReportChannel`): the shell has no handle for it, but its exit notice and `--cleanup`
/// cover it as they cover the session's own (as `SegmentRecord` does for segments).
public final class SystemVRecord: PersistentObject {
    public enum Kind: Sendable {
        case queue
        case semaphores(count: Int)
    }

    public let kind: Kind
    public let id: Int32
    public let key: Int32
    /// Its name in the child, and the child.
    public let name: String
    public let creator: pid_t

    public init(kind: Kind, id: Int32, key: Int32, name: String, creator: pid_t) {
        self.kind = kind
        self.id = id
        self.key = key
        self.name = name
        self.creator = creator
    }

    public var leftovers: LeftoverGroup {
        switch kind {
        case .queue: return MessageQueueHandle.group
        case .semaphores: return SemaphoreSetHandle.group
        }
    }

    public var isLeftoverCandidate: Bool { true }

    public func stillExists() -> Bool {
        switch kind {
        case .queue: return MessageQueues.exists(id: id, key: key)
        case .semaphores: return SemaphoreSets.exists(id: id, key: key)
        }
    }

    private var keyText: String { ShmHandle.keyText(key) }

    public var leftoverName: String { name }

    public var leftoverLine: String {
        switch kind {
        case .queue:
            return "\(name) (made by child pid \(creator)): key \(keyText), msqid \(id) — remove with: ipcrm -q \(id)"
        case .semaphores(let count):
            return "\(name) (made by child pid \(creator)): key \(keyText), semid \(id), \(count) semaphore\(count == 1 ? "" : "s") — remove with: ipcrm -s \(id)"
        }
    }

    public func removeForCleanup() throws -> String? {
        guard stillExists() else { return nil }
        let kind = self.kind, id = self.id
        guard try removed(ifGoneBy: systemVGone, { () throws(SystemCallError) in
            switch kind {
            case .queue: try MessageQueues.remove(id: id)
            case .semaphores: try SemaphoreSets.remove(id: id)
            }
        }) else { return nil }
        switch kind {
        case .queue: return "\(name) (made by child pid \(creator), key \(keyText), msqid \(id))"
        case .semaphores: return "\(name) (made by child pid \(creator), key \(keyText), semid \(id))"
        }
    }
}
