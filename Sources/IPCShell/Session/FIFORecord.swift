@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// A FIFO that `fifo make` created: a path, not a descriptor, so not a handle; but like a
/// segment it outlives the shell, and the exit notice and `--cleanup` cover it.
public final class FIFORecord: PersistentObject {
    public let path: String
    /// The forked child that made it, when it was not the shell itself.
    public let creator: pid_t?

    public init(path: String, creator: pid_t? = nil) {
        self.path = path
        self.creator = creator
    }

    public var leftovers: LeftoverGroup { FIFORecord.group }
    public var isLeftoverCandidate: Bool { true }
    public func stillExists() -> Bool { Descriptors.isFIFO(path) }
    public var leftoverName: String { "FIFO \(path)" }
    public var leftoverLine: String { path + (creator.map { " (made by child pid \($0))" } ?? "") }

    public func removeForCleanup() throws -> String? {
        guard stillExists() else { return nil }
        try Descriptors.unlink(path)
        return leftoverLine
    }

    static let group = LeftoverGroup(order: 0, notice: { objects, _ in
        let fifos = objects.compactMap { $0 as? FIFORecord }
        guard !fifos.isEmpty else { return [] }
        let n = fifos.count
        return ["note: \(n) FIFO\(n == 1 ? "" : "s") made by this session remain\(n == 1 ? "s" : ""): "
                + fifos.map(\.leftoverLine).joined(separator: ", ") + " — remove with: rm " + fifos.map(\.path).joined(separator: " ")]
    }, cleanup: { removed in
        removed.map { "cleanup: removed FIFO \($0)" }
    })
}
