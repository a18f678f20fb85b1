@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// What to try next when a system call fails.
enum Hints {
    static func forSystemCall(_ error: SystemCallError) -> String? {
        switch (error.call, error.errno) {
        case ("shmget", EEXIST):
            return "a segment with this key exists: use shm open KEY, or shm create without --excl"
        case ("shmget", ENOENT):
            return "no segment has this key: create it with shm create KEY SIZE"
        case ("shmget", EINVAL):
            var text = "the size is 0, above the kernel's limit"
            if let max = SharedMemory.maximumSize(), max < Int.max { text += " (kernel.shmmax = \(max))" }
            return text + ", or larger than the existing segment with this key (shm ls shows it)"
        case ("shmget", EACCES), ("shmat", EACCES):
            return "the segment's mode does not allow it: shm ls shows its owner and permissions"
        case ("shmget", ENOMEM):
            return "the kernel cannot give that much memory: SIZE is larger than it allows (kernel.shmall) or can back"
        case ("shmget", ENOSPC):
            return "the kernel's table of segments is full (kernel.shmmni): remove unused segments (shm ls)"
        case ("shmat", EINVAL), ("shmctl", EINVAL), ("shmctl", EIDRM):
            return "the segment is gone: someone removed it (shm ls shows what exists)"
        case ("shmctl", EPERM):
            return "only the segment's owner or creator (or root) can do that"
        case (_, EPIPE):
            return "no process has the other end open for reading"
        case (_, EBADF):
            return "the descriptor is closed"
        default:
            return nil
        }
    }
}
