@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A POSIX named semaphore this session opened (`sem_open`).
public final class PosixSemaphoreHandle: Handle {
    public let kind = HandleKind.psem
    public var name: String
    /// `/lock`.
    public let path: String
    public private(set) var semaphore: UnsafeMutableRawPointer?
    public let createdHere: Bool
    /// `psem rm` unlinked its name.
    public var unlinked = false

    public init(name: String, path: String, semaphore: UnsafeMutableRawPointer, createdHere: Bool) {
        self.name = name
        self.path = path
        self.semaphore = semaphore
        self.createdHere = createdHere
    }

    public var isOpen: Bool { semaphore != nil }
    var state: String { (createdHere ? "created" : "opened") + (unlinked ? ", name removed" : "") }
    public var summary: String { "\(path)  \(state)" }
    public var fields: [(name: String, value: String)] {
        [("path", path), ("created", createdHere ? "yes" : "no"), ("unlinked", unlinked ? "yes" : "no"), ("state", state)]
    }
}

extension PosixSemaphoreHandle: PersistentObject {
    static let group = LeftoverGroup.kernelObjects(order: 5, noun: "POSIX semaphore", plural: "POSIX semaphores")
    public var leftovers: LeftoverGroup { PosixSemaphoreHandle.group }
    public var isLeftoverCandidate: Bool { createdHere && !unlinked }
    public func stillExists() -> Bool { FileSystem.exists(PosixNames.semaphorePath(path)) }
    public var leftoverName: String { name }
    public var leftoverLine: String { "\(name): \(path) — remove with: rm \(PosixNames.semaphorePath(path))" }
    public var removalInShell: String? { "psem rm \(name)" }
    public func removeForCleanup() throws -> String? {
        let wasThere = try removed(ifGoneBy: posixNameGone) { () throws(SystemCallError) in try POSIXSemaphores.unlink(path) }
        unlinked = true
        return wasThere ? "\(name) (\(path))" : nil
    }
}
