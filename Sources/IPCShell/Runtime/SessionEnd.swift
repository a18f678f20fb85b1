@preconcurrency import Glibc
import IPCSys
import IPCSyntax

extension Session {
    /// Every kernel object this session (or a forked child of it) created and has not removed:
    /// persistent handles in the table, then FIFOs and children's objects.
    public var leftoverCandidates: [any PersistentObject] {
        allHandles.compactMap { $0 as? any PersistentObject }.filter(\.isLeftoverCandidate)
            + createdObjects.filter(\.isLeftoverCandidate)
    }

    /// Ends the session: with cleanup on, removes what it created; otherwise names what remains
    /// and how to remove it. Returns the lines to show (on stderr). Knows no kind of object by
    /// name: each speaks for itself through `PersistentObject`.
    public func finish() -> [String] {
        guard !isChild else { return [] }
        removeOwnSocketFiles()
        collectChildReports()
        let groups = Dictionary(grouping: leftoverCandidates, by: { $0.leftovers.order })
            .sorted { $0.key < $1.key }.map(\.value)
        var lines: [String] = []
        for objects in groups {
            guard let group = objects.first?.leftovers else { continue }
            if cleanupOnExit {
                var removed: [String] = []
                for object in objects {
                    do {
                        if let text = try object.removeForCleanup() { removed.append(text) }
                    } catch {
                        lines.append("cleanup: could not remove \(object.leftoverName): \(error)")
                    }
                }
                lines += group.cleanup(removed)
            } else {
                lines += group.notice(objects.filter { $0.stillExists() }, isInteractive)
            }
        }
        if cleanupOnExit { createdObjects = [] }
        return lines
    }

    /// Unlinks the unix socket files this process's listeners bound: a listener's file goes with
    /// its process, since nobody can connect to it any more (a forked child's too).
    public func removeOwnSocketFiles() {
        for case let socket as SocketHandle in handles(of: .sock) { socket.removeSocketFile() }
    }
}
