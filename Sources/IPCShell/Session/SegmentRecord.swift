@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A System V segment that a forked child created (reported on `ChildReportChannel`): the
/// shell has no handle for it, but its exit notice and `--cleanup` cover it as its own.
public final class SegmentRecord: PersistentObject {
    public let id: Int32
    public let key: Int32
    public let size: Int
    /// Its name in the child, and the child.
    public let name: String
    public let creator: pid_t

    public init(id: Int32, key: Int32, size: Int, name: String, creator: pid_t) {
        self.id = id
        self.key = key
        self.size = size
        self.name = name
        self.creator = creator
    }

    public var leftovers: LeftoverGroup { SegmentRecord.group }
    public var isLeftoverCandidate: Bool { true }

    /// The same segment: its id with its key (an id can be reused after a removal).
    public func stillExists() -> Bool {
        guard let status = try? SharedMemory.status(id: id) else { return false }
        return status.key == key
    }

    private var keyText: String { ShmHandle.keyText(key) }

    public var leftoverName: String { name }
    public var leftoverLine: String {
        "\(name) (made by child pid \(creator)): key \(keyText), shmid \(id), \(size) bytes — remove with: ipcrm -m \(id)"
    }

    public func removeForCleanup() throws -> String? {
        guard stillExists() else { return nil }
        guard try removed(ifGoneBy: systemVGone, { () throws(SystemCallError) in try SharedMemory.remove(id: id) }) else { return nil }
        return "\(name) (made by child pid \(creator), key \(keyText), shmid \(id))"
    }

    /// Segments: the notice lists each under one heading; the clean-up names them on one line.
    static let group = LeftoverGroup(order: 1, notice: { objects, interactive in
        guard !objects.isEmpty else { return [] }
        let n = objects.count
        return ["note: \(n) shared memory segment\(n == 1 ? "" : "s") created by this session remain\(n == 1 ? "s" : "") in the kernel:"]
            + objects.map { object in
                "  " + object.leftoverLine + (interactive ? object.removalInShell.map { "  (or \($0) here)" } ?? "" : "")
            }
            + [interactive ? "  (ipcsh --cleanup or the command cleanup on removes them at exit)"
                           : "  (ipcsh --cleanup, or cleanup on in the script, removes them at exit)"]
    }, cleanup: { removed in
        removed.isEmpty ? [] : ["cleanup: removed " + removed.joined(separator: ", ")]
    })
}
