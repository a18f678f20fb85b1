@preconcurrency import Glibc
import CIPCShims

/// System V shared memory: `shmget`, `shmat`, `shmdt`, `shmctl`.
public enum SharedMemory {
    /// What `shmctl(IPC_STAT)` says about a segment.
    public struct Status: Sendable, Equatable {
        public var key: Int32
        public var id: Int32
        public var size: Int
        public var mode: Int
        public var ownerUID: UInt32
        public var ownerGID: UInt32
        public var creatorUID: UInt32
        public var creatorPID: Int32
        public var lastPID: Int32
        public var attachCount: Int
        public var attachTime: Int
        public var detachTime: Int
        public var changeTime: Int
        /// The kernel marked it for removal (`SHM_DEST`): it goes when the last process detaches.
        public var markedForRemoval: Bool
    }

    /// `shmget(key, size, flags)`. `flags` holds `IPC_CREAT`/`IPC_EXCL` and the mode bits.
    public static func get(key: Int32, size: Int, flags: Int32) throws(SystemCallError) -> Int32 {
        try traced("shmget", [.key(key), .int(size), .symbol(ipcFlags(flags))]) { shmget(key, size, flags) }
    }

    /// `IPC_CREAT|IPC_EXCL|0600`.
    public static func ipcFlags(_ flags: Int32) -> String {
        var parts: [String] = []
        if flags & IPC_CREAT != 0 { parts.append("IPC_CREAT") }
        if flags & IPC_EXCL != 0 { parts.append("IPC_EXCL") }
        let mode = Int(flags & 0o777)
        if mode != 0 || parts.isEmpty { parts.append(SyscallTrace.octalMode(mode)) }
        return parts.joined(separator: "|")
    }

    /// `shmat(id, NULL, readOnly ? SHM_RDONLY : 0)`. The shim turns shmat's `(void *)-1` into
    /// NULL, so the address goes through the -1 check as an integer.
    public static func attach(id: Int32, readOnly: Bool) throws(SystemCallError) -> UnsafeMutableRawPointer {
        let address = try traced("shmat", [.int(Int(id)), .symbol("NULL"), .symbol(readOnly ? "SHM_RDONLY" : "0")],
                                 result: { .address(UInt(bitPattern: $0)) }) {
            ipcsh_shmat(id, readOnly ? 1 : 0).map { Int(bitPattern: $0) } ?? -1
        }
        // Never nil: the shim gives NULL only on failure, which threw above.
        guard let pointer = UnsafeMutableRawPointer(bitPattern: address) else { throw SystemCallError("shmat", errno: EFAULT) }
        return pointer
    }

    /// `shmdt(address)`.
    public static func detach(_ address: UnsafeMutableRawPointer) throws(SystemCallError) {
        _ = try traced("shmdt", [.address(UInt(bitPattern: address))]) { shmdt(address) }
    }

    /// `shmctl(id, IPC_STAT, &buf)`.
    public static func status(id: Int32) throws(SystemCallError) -> Status {
        var ds = shmid_ds()
        _ = try traced("shmctl", [.int(Int(id)), .symbol("IPC_STAT"), .symbol("&buf")]) { shmctl(id, IPC_STAT, &ds) }
        return Status(
            key: ds.shm_perm.__key, id: id, size: Int(ds.shm_segsz),
            mode: Int(ds.shm_perm.mode & 0o777),
            ownerUID: ds.shm_perm.uid, ownerGID: ds.shm_perm.gid, creatorUID: ds.shm_perm.cuid,
            creatorPID: ds.shm_cpid, lastPID: ds.shm_lpid, attachCount: Int(ds.shm_nattch),
            attachTime: Int(ds.shm_atime), detachTime: Int(ds.shm_dtime), changeTime: Int(ds.shm_ctime),
            markedForRemoval: Int32(ds.shm_perm.mode) & Int32(SHM_DEST) != 0)
    }

    /// Whether a segment id still exists (untraced: for ipcsh's own exit notice).
    public static func exists(id: Int32) -> Bool {
        var ds = shmid_ds()
        return shmctl(id, IPC_STAT, &ds) == 0
    }

    /// `shmctl(id, IPC_RMID, NULL)`.
    public static func remove(id: Int32) throws(SystemCallError) {
        _ = try traced("shmctl", [.int(Int(id)), .symbol("IPC_RMID"), .symbol("NULL")]) { shmctl(id, IPC_RMID, nil) }
    }

    /// One row of `/proc/sysvipc/shm`.
    public struct ListEntry: Sendable, Equatable {
        public var key: Int32
        public var id: Int32
        public var mode: Int
        public var size: Int
        public var creatorPID: Int32
        public var lastPID: Int32
        public var attachCount: Int
        public var ownerUID: UInt32
        /// Removed (`SHM_DEST`): it goes at the last detach; `ipcs -m` shows `dest`.
        public var markedForRemoval = false
        /// Locked in memory (`SHM_LOCK`): `ipcs -m` shows `locked`.
        public var locked = false
    }

    /// Every segment on the system, as `ipcs -m` shows them (read from `/proc/sysvipc/shm`).
    public static func list() throws(SystemCallError) -> [ListEntry] {
        var entries: [ListEntry] = []
        for f in try FileSystem.systemVTable("shm") {
            guard f.count >= 10,
                  let key = Int64(f[0]), let id = Int32(f[1]), let perms = Int(f[2], radix: 8),
                  let size = Int(f[3]), let cpid = Int32(f[4]), let lpid = Int32(f[5]),
                  let nattch = Int(f[6]), let uid = UInt32(f[7])
            else { continue }
            // The perms field holds the kernel's state bits above the mode, as shm_perm.mode does.
            entries.append(ListEntry(
                key: Int32(truncatingIfNeeded: key), id: id, mode: perms & 0o777, size: size,
                creatorPID: cpid, lastPID: lpid, attachCount: nattch, ownerUID: uid,
                markedForRemoval: Int32(perms) & Int32(SHM_DEST) != 0, locked: Int32(perms) & Int32(SHM_LOCKED) != 0))
        }
        return entries
    }

    /// The kernel's largest segment size (`/proc/sys/kernel/shmmax`), if readable.
    /// The default is ULONG_MAX - 2^24, above Int.max: that means "no limit a size can reach".
    public static func maximumSize() -> Int? {
        guard let text = try? FileSystem.readWholeFile("/proc/sys/kernel/shmmax"),
              let value = UInt64(text.split(separator: "\n").first ?? "") else { return nil }
        return Int(clamping: value)
    }
}
