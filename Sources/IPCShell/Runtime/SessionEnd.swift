@preconcurrency import Glibc
import IPCSys

extension Session {
    /// Kernel objects this session created that still exist.
    public var remainingCreatedObjects: [ShmHandle] {
        handles(of: .shm).compactMap { $0 as? ShmHandle }.filter { $0.createdHere && !$0.removed }
    }

    /// Objects forked children created that still exist (a segment with the same id and key; a
    /// FIFO at the path), less those the shell's own table already names.
    var remainingObjectsFromChildren: [ChildCreatedObject] {
        var seen: [ChildCreatedObject.Kind] = []
        return objectsFromChildren.filter { object in
            guard !seen.contains(object.kind) else { return false }
            seen.append(object.kind)
            switch object.kind {
            case .fifo(let path):
                return !createdFIFOs.contains(path) && Descriptors.isFIFO(path)
            case .segment(let id, let key, _):
                guard let status = try? SharedMemory.status(id: id) else { return false }
                return status.key == key && !remainingCreatedObjects.contains { $0.id == id }
            }
        }
    }

    /// Unlinks the unix socket files this process's listeners bound: a listener's file goes with
    /// its process, since nobody can connect to it any more (a forked child's too).
    public func removeOwnSocketFiles() {
        for case let socket as SocketHandle in handles(of: .sock) { socket.removeSocketFile() }
    }

    /// Ends the session: with cleanup on, detaches and removes what it created; otherwise names
    /// what remains and how to remove it. Returns the lines to show (on stderr).
    public func finish() -> [String] {
        guard !isChild else { return [] }
        var lines: [String] = []
        removeOwnSocketFiles()
        collectChildReports()
        let fromChildren = remainingObjectsFromChildren
        let remaining = remainingCreatedObjects
        let fifos = createdFIFOs.filter { Descriptors.isFIFO($0) }
        if cleanupOnExit {
            for path in fifos {
                do {
                    try Descriptors.unlink(path)
                    lines.append("cleanup: removed FIFO \(path)")
                } catch {
                    lines.append("cleanup: could not remove FIFO \(path): \(error)")
                }
            }
            createdFIFOs = []
            for object in fromChildren {
                let who = "\(object.name) (made by pid \(object.creator))"
                switch object.kind {
                case .fifo(let path):
                    do {
                        try Descriptors.unlink(path)
                        lines.append("cleanup: removed FIFO \(path) " + "(made by pid \(object.creator))")
                    } catch {
                        lines.append("cleanup: could not remove FIFO \(path): \(error)")
                    }
                case .segment(let id, let key, _):
                    do {
                        try SharedMemory.remove(id: id)
                        lines.append("cleanup: removed \(who), key \(ShmHandle.keyText(key)), shmid \(id)")
                    } catch where error.errno == EINVAL || error.errno == EIDRM {
                        // removed already
                    } catch {
                        lines.append("cleanup: could not remove \(who): \(error)")
                    }
                }
            }
            objectsFromChildren = []
            for shm in handles(of: .shm).compactMap({ $0 as? ShmHandle }) where shm.isAttached {
                try? shm.detach()
            }
            var removed: [String] = []
            for shm in remaining {
                do {
                    try SharedMemory.remove(id: shm.id)
                    shm.removed = true
                    removed.append("\(shm.name) (key \(shm.keyText), shmid \(shm.id))")
                } catch where error.errno == EINVAL || error.errno == EIDRM {
                    shm.removed = true // someone else removed it already
                } catch {
                    lines.append("cleanup: could not remove \(shm.name): \(error)")
                }
            }
            if !removed.isEmpty { lines.append("cleanup: removed " + removed.joined(separator: ", ")) }
            return lines
        }
        for object in fromChildren {
            switch object.kind {
            case .fifo(let path):
                lines.append("note: FIFO \(path), made by child pid \(object.creator), remains — remove with: rm \(path)")
            case .segment(let id, let key, let size):
                lines.append("note: shared memory segment \(object.name), created by child pid \(object.creator), remains: key \(ShmHandle.keyText(key)), shmid \(id), \(size) bytes — remove with: ipcrm -m \(id)")
            }
        }
        if !fifos.isEmpty {
            lines.append("note: \(fifos.count) FIFO\(fifos.count == 1 ? "" : "s") made by this session remain\(fifos.count == 1 ? "s" : ""): "
                         + fifos.joined(separator: ", ") + " — remove with: rm " + fifos.joined(separator: " "))
        }
        guard !remaining.isEmpty else { return lines }
        let alive = remaining.filter { SharedMemory.exists(id: $0.id) }
        guard !alive.isEmpty else { return lines }
        lines.append("note: \(alive.count) shared memory segment\(alive.count == 1 ? "" : "s") created by this session remain\(alive.count == 1 ? "s" : "") in the kernel:")
        for shm in alive {
            lines.append("  \(shm.name): key \(shm.keyText), shmid \(shm.id), \(shm.size) bytes — remove with: ipcrm -m \(shm.id)  (or shm rm \(shm.name) here)")
        }
        lines.append("  (ipcsh --cleanup or the command cleanup on removes them at exit)")
        return lines
    }
}
