@preconcurrency import Glibc
import CIPCShims

/// System V semaphore sets: `semget`, `semop`/`semtimedop`, `semctl`.
public enum SemaphoreSets {
    /// One operation of a `semop`: on semaphore `number`, add `change` (wait while the result
    /// would go below 0), or with `change == 0` wait until the value is 0.
    public struct Operation: Sendable, Equatable, CustomStringConvertible {
        public var number: Int
        public var change: Int
        /// `IPC_NOWAIT`, `SEM_UNDO`.
        public var flags: Int32

        public init(number: Int, change: Int, flags: Int32) {
            self.number = number
            self.change = change
            self.flags = flags
        }

        /// `{0, -1, SEM_UNDO}`, as the trace shows a `struct sembuf`.
        public var description: String {
            var names: [String] = []
            if flags & Int32(IPC_NOWAIT) != 0 { names.append("IPC_NOWAIT") }
            if flags & Int32(SEM_UNDO) != 0 { names.append("SEM_UNDO") }
            return "{\(number), \(change), \(names.isEmpty ? "0" : names.joined(separator: "|"))}"
        }
    }

    /// What `semctl(IPC_STAT)` says about a set.
    public struct Status: Sendable, Equatable {
        public var key: Int32
        public var id: Int32
        public var mode: Int
        public var ownerUID: UInt32
        public var ownerGID: UInt32
        public var creatorUID: UInt32
        public var count: Int
        public var operationTime: Int
        public var changeTime: Int
    }

    /// One semaphore: its value, how many wait for it to grow (`semncnt`) or to be 0
    /// (`semzcnt`), and the last process to operate on it (`sempid`).
    public struct Semaphore: Sendable, Equatable {
        public var value: Int
        public var waitingToDecrease: Int
        public var waitingForZero: Int
        public var lastPID: Int32
    }

    /// The kernel's largest semaphore value (`SEMVMX`, 32767).
    public static var maximumValue: Int { Int(ipcsh_semvmx()) }

    /// `semget(key, nsems, flags)`.
    public static func get(key: Int32, count: Int, flags: Int32) throws(SystemCallError) -> Int32 {
        try traced("semget", [.key(key), .int(count), .symbol(SharedMemory.ipcFlags(flags))]) { semget(key, Int32(clamping: count), flags) }
    }

    /// `semop(id, ops, n)`, or `semtimedop` with a timeout (EAGAIN when it passes).
    public static func operate(id: Int32, _ operations: [Operation], timeoutMilliseconds: Int? = nil) throws(SystemCallError) {
        var raw: [Int16] = []
        for op in operations {
            raw += [Int16(truncatingIfNeeded: op.number), Int16(truncatingIfNeeded: op.change), Int16(truncatingIfNeeded: op.flags)]
        }
        let list = "[" + operations.map(\.description).joined(separator: ", ") + "]"
        let timeout = timeoutMilliseconds.map { max(0, $0) }
        _ = try traced(timeout == nil ? "semop" : "semtimedop",
                       [.int(Int(id)), .symbol(list), .int(operations.count)] + (timeout.map { [.symbol("{\($0 / 1000), \($0 % 1000 * 1_000_000)}")] } ?? [])) {
            ipcsh_semop(id, raw, operations.count, timeout ?? -1)
        }
    }

    /// `semctl(id, 0, SETALL, values)`.
    public static func setAll(id: Int32, _ values: [Int]) throws(SystemCallError) {
        let array = values.map { UInt16(clamping: $0) }
        _ = try traced("semctl", [.int(Int(id)), .int(0), .symbol("SETALL"), .symbol("[" + values.map(String.init).joined(separator: ", ") + "]")]) {
            ipcsh_semctl_setall(id, array)
        }
    }

    /// `semctl(id, n, SETVAL, value)`.
    public static func setValue(id: Int32, number: Int, _ value: Int) throws(SystemCallError) {
        _ = try traced("semctl", [.int(Int(id)), .int(number), .symbol("SETVAL"), .int(value)]) {
            ipcsh_semctl_setval(id, Int32(clamping: number), Int32(clamping: value))
        }
    }

    /// `semctl(id, n, GETVAL)`.
    public static func value(id: Int32, number: Int) throws(SystemCallError) -> Int {
        Int(try traced("semctl", [.int(Int(id)), .int(number), .symbol("GETVAL")]) {
            ipcsh_semctl_get(id, Int32(clamping: number), GETVAL)
        })
    }

    /// `semctl(id, 0, GETALL, values)`.
    public static func values(id: Int32, count: Int) throws(SystemCallError) -> [Int] {
        var array = [UInt16](repeating: 0, count: max(1, count))
        _ = try traced("semctl", [.int(Int(id)), .int(0), .symbol("GETALL"), .output(name: "values", .symbol("[" + array.prefix(count).map { String($0) }.joined(separator: ", ") + "]"))]) {
            ipcsh_semctl_getall(id, &array)
        }
        return array.prefix(count).map(Int.init)
    }

    /// Each semaphore's value, `semncnt`, `semzcnt` and `sempid` (GETVAL, GETNCNT, GETZCNT, GETPID).
    public static func semaphores(id: Int32, count: Int) throws(SystemCallError) -> [Semaphore] {
        var result: [Semaphore] = []
        for n in 0..<count {
            func get(_ command: Int32, _ name: String) throws(SystemCallError) -> Int32 {
                try traced("semctl", [.int(Int(id)), .int(n), .symbol(name)]) { ipcsh_semctl_get(id, Int32(n), command) }
            }
            result.append(Semaphore(value: Int(try get(GETVAL, "GETVAL")), waitingToDecrease: Int(try get(GETNCNT, "GETNCNT")),
                                    waitingForZero: Int(try get(GETZCNT, "GETZCNT")), lastPID: try get(GETPID, "GETPID")))
        }
        return result
    }

    /// `semctl(id, 0, IPC_STAT, &buf)`.
    public static func status(id: Int32) throws(SystemCallError) -> Status {
        var s = ipcsh_sem_status()
        _ = try traced("semctl", [.int(Int(id)), .int(0), .symbol("IPC_STAT"), .symbol("&buf")]) { ipcsh_semctl_stat(id, &s) }
        return Status(key: s.key, id: id, mode: Int(s.mode & 0o777), ownerUID: s.uid, ownerGID: s.gid, creatorUID: s.cuid,
                      count: Int(s.nsems), operationTime: s.otime, changeTime: s.ctime)
    }

    /// Whether a set id still exists with this key (untraced: for ipcsh's own exit notice).
    public static func exists(id: Int32, key: Int32) -> Bool {
        var s = ipcsh_sem_status()
        return ipcsh_semctl_stat(id, &s) == 0 && s.key == key
    }

    /// `semctl(id, 0, IPC_RMID)`.
    public static func remove(id: Int32) throws(SystemCallError) {
        _ = try traced("semctl", [.int(Int(id)), .int(0), .symbol("IPC_RMID")]) { ipcsh_semctl_rmid(id) }
    }

    /// One row of `/proc/sysvipc/sem`.
    public struct ListEntry: Sendable, Equatable {
        public var key: Int32
        public var id: Int32
        public var mode: Int
        public var count: Int
        public var ownerUID: UInt32
    }

    /// Every set on the system, as `ipcs -s` shows them (read from `/proc/sysvipc/sem`).
    public static func list() throws(SystemCallError) -> [ListEntry] {
        var entries: [ListEntry] = []
        // key semid perms nsems uid gid cuid cgid otime ctime
        for f in try FileSystem.systemVTable("sem") {
            guard f.count >= 5, let key = Int64(f[0]), let id = Int32(f[1]), let perms = Int(f[2], radix: 8),
                  let count = Int(f[3]), let uid = UInt32(f[4]) else { continue }
            entries.append(ListEntry(key: Int32(truncatingIfNeeded: key), id: id, mode: perms & 0o777, count: count, ownerUID: uid))
        }
        return entries
    }
}
