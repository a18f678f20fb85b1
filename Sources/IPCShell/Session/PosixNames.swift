import IPCSys
import IPCSyntax

/// POSIX IPC names: `/NAME`, one slash, at most 255 bytes (`mq_open(3)`, `sem_open(3)`,
/// `shm_open(3)`), and where the kernel shows them.
enum PosixNames {
    /// Checks a name as the commands take it; the error names what is wrong.
    static func check(_ name: String, for command: String) throws(Diagnostic) {
        guard name.hasPrefix("/"), name.count > 1 else {
            throw Diagnostic("\(command): '\(Escaping.display(Array(name.utf8)))' is not a POSIX IPC name",
                             hint: "a name starts with / and has no other /: /orders")
        }
        guard !name.dropFirst().contains("/") else {
            throw Diagnostic("\(command): \(name) has a / after the first", hint: "a POSIX IPC name is one / and a word: /orders")
        }
        guard name.utf8.count <= 255, !name.utf8.contains(0) else {
            throw Diagnostic("\(command): \(Escaping.display(Array(name.prefix(40).utf8)))... is too long (at most 255 bytes)")
        }
    }

    /// Where the kernel shows a message queue (`/dev/mqueue/NAME`, when that is mounted).
    static func queuePath(_ name: String) -> String { "/dev/mqueue" + name }
    /// Where glibc keeps a named semaphore (`/dev/shm/sem.NAME`).
    static func semaphorePath(_ name: String) -> String { "/dev/shm/sem." + name.dropFirst() }
    /// Where glibc keeps a POSIX shared memory object (`/dev/shm/NAME`).
    static func sharedMemoryPath(_ name: String) -> String { "/dev/shm" + name }
}
