@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A POSIX message queue this session opened (`mq_open`): its name and its descriptor.
public final class PosixQueueHandle: Handle {
    public let kind = HandleKind.pmq
    public var name: String
    /// `/orders`.
    public let path: String
    public private(set) var mqd: Int32?
    public let createdHere: Bool
    /// `pmq rm` unlinked its name (the queue lives on while descriptors are open).
    public var unlinked = false

    public init(name: String, path: String, mqd: Int32, createdHere: Bool) {
        self.name = name
        self.path = path
        self.mqd = mqd
        self.createdHere = createdHere
    }

    public var isOpen: Bool { mqd != nil }

    public func close() throws(SystemCallError) {
        guard let open = mqd else { return }
        mqd = nil
        try POSIXMessageQueues.close(open)
    }

    var state: String { (createdHere ? "created" : "opened") + (unlinked ? ", name removed" : "") + (mqd == nil ? ", closed" : "") }
    public var summary: String { "\(path)  mqd \(mqd.map(String.init) ?? "-")  \(state)" }
    public var fields: [(name: String, value: String)] {
        [("path", path), ("mqd", mqd.map(String.init) ?? "-"), ("created", createdHere ? "yes" : "no"),
         ("unlinked", unlinked ? "yes" : "no"), ("state", state)]
    }
}

extension PosixQueueHandle: PersistentObject {
    static let group = LeftoverGroup.kernelObjects(order: 4, noun: "POSIX message queue", plural: "POSIX message queues")
    public var leftovers: LeftoverGroup { PosixQueueHandle.group }
    public var isLeftoverCandidate: Bool { createdHere && !unlinked }
    public func stillExists() -> Bool {
        // Without /dev/mqueue mounted the name cannot be looked at: assume it is there.
        FileSystem.isDirectory("/dev/mqueue") ? FileSystem.exists(PosixNames.queuePath(path)) : true
    }
    public var leftoverName: String { name }
    public var leftoverLine: String { "\(name): \(path) — remove with: rm \(PosixNames.queuePath(path)) (or mq_unlink)" }
    public var removalInShell: String? { "pmq rm \(name)" }
    public func removeForCleanup() throws -> String? {
        let wasThere = try removed(ifGoneBy: posixNameGone) { () throws(SystemCallError) in try POSIXMessageQueues.unlink(path) }
        unlinked = true
        return wasThere ? "\(name) (\(path))" : nil
    }
}
