@preconcurrency import Glibc

/// System V IPC keys, shared by segments, message queues and semaphore sets.
public enum SystemVKey {
    /// `ftok(path, id)`: a key made of the file's inode and device and the low 8 bits of `id`.
    /// Only a key that was made is traced: the shell calls this while reading a command's
    /// arguments and reports a failure as a bad argument, not as a step of the lesson.
    public static func fromPath(_ path: String, id: Int32) throws(SystemCallError) -> Int32 {
        let key = try valueOrErrno("ftok") { Glibc.ftok(path, id) }
        SyscallTrace.record("ftok", [.string(path), .int(Int(id))], .returned(.key(key)))
        return key
    }
}
