@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A System V message queue that this session created or opened.
public final class MessageQueueHandle: Handle {
    public let kind = HandleKind.mq
    public var name: String
    public let key: Int32
    public let id: Int32
    public let mode: Int
    /// This session's `mq create` made it (rather than finding it).
    public let createdHere: Bool
    /// `mq rm` removed it (a queue goes at once, unlike a segment).
    public var removed = false

    public init(name: String, key: Int32, id: Int32, mode: Int, createdHere: Bool) {
        self.name = name
        self.key = key
        self.id = id
        self.mode = mode
        self.createdHere = createdHere
    }

    public var isOpen: Bool { !removed }
    public var keyText: String { ShmHandle.keyText(key) }
    var state: String { (createdHere ? "created" : "opened") + (removed ? ", removed" : "") }

    public var summary: String {
        "key \(keyText)  msqid \(id)  mode \(SyscallTrace.octalMode(mode))  \(state)"
    }

    public var fields: [(name: String, value: String)] {
        [("key", keyText), ("msqid", String(id)), ("id", String(id)), ("mode", SyscallTrace.octalMode(mode)),
         ("created", createdHere ? "yes" : "no"), ("removed", removed ? "yes" : "no"), ("state", state)]
    }
}

extension MessageQueueHandle: PersistentObject {
    static let group = LeftoverGroup.kernelObjects(order: 2, noun: "message queue", plural: "message queues")
    public var leftovers: LeftoverGroup { MessageQueueHandle.group }
    public var isLeftoverCandidate: Bool { createdHere && !removed }
    public func stillExists() -> Bool { MessageQueues.exists(id: id, key: key) }
    public var leftoverName: String { name }
    public var leftoverLine: String { "\(name): key \(keyText), msqid \(id) — remove with: ipcrm -q \(id)" }
    public var removalInShell: String? { "mq rm \(name)" }

    public func removeForCleanup() throws -> String? {
        guard stillExists() else { return nil }
        let wasThere = try removed(ifGoneBy: systemVGone) { () throws(SystemCallError) in try MessageQueues.remove(id: id) }
        removed = true
        return wasThere ? "\(name) (key \(keyText), msqid \(id))" : nil
    }
}
