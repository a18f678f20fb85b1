@preconcurrency import Glibc
import CIPCShims

/// System V message queues: `msgget`, `msgsnd`, `msgrcv`, `msgctl`.
public enum MessageQueues {
    /// What `msgctl(IPC_STAT)` says about a queue.
    public struct Status: Sendable, Equatable {
        public var key: Int32
        public var id: Int32
        public var mode: Int
        public var ownerUID: UInt32
        public var ownerGID: UInt32
        public var creatorUID: UInt32
        /// Messages on the queue, and the most bytes it may hold.
        public var messages: Int
        public var maximumBytes: Int
        /// The last process to send, and to receive (0: none yet).
        public var lastSender: Int32
        public var lastReceiver: Int32
        public var sendTime: Int
        public var receiveTime: Int
        public var changeTime: Int
    }

    /// `MSG_EXCEPT` (GNU): `msgrcv` takes the first message of any type but TYPE.
    public static var except: Int32 { ipcsh_msg_except() }
    /// `MSG_NOERROR`: a message longer than the buffer is truncated instead of failing (E2BIG).
    public static var noError: Int32 { ipcsh_msg_noerror() }

    /// `msgget(key, flags)`.
    public static func get(key: Int32, flags: Int32) throws(SystemCallError) -> Int32 {
        try traced("msgget", [.key(key), .symbol(SharedMemory.ipcFlags(flags))]) { msgget(key, flags) }
    }

    /// `msgsnd(id, {type, body}, size, flags)`: the message buffer is a `long` type, then the body.
    public static func send(id: Int32, type: Int, body: [UInt8], flags: Int32) throws(SystemCallError) {
        var buffer = [UInt8](repeating: 0, count: MemoryLayout<CLong>.size + body.count)
        buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: CLong(type), as: CLong.self)
            if !body.isEmpty { (raw.baseAddress! + MemoryLayout<CLong>.size).copyMemory(from: body, byteCount: body.count) }
        }
        _ = try traced("msgsnd", [.int(Int(id)), .symbol("{\(type), \(SyscallTrace.quoted(body))}"), .int(body.count),
                                  .symbol(messageFlags(flags))]) {
            buffer.withUnsafeBytes { msgsnd(id, $0.baseAddress, body.count, flags) }
        }
    }

    /// `msgrcv(id, buf, size, type, flags)`: the message's type and body.
    public static func receive(id: Int32, maximumSize: Int, type: Int, flags: Int32) throws(SystemCallError) -> (type: Int, body: [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: MemoryLayout<CLong>.size + max(0, maximumSize))
        var received: (type: Int, body: [UInt8]) = (0, [])
        _ = try traced("msgrcv", [.int(Int(id)), .output(name: "buf", .symbol("{\(received.type), \(SyscallTrace.quoted(received.body))}")),
                                  .int(maximumSize), .int(type), .symbol(messageFlags(flags))]) {
            let n = buffer.withUnsafeMutableBytes { msgrcv(id, $0.baseAddress, maximumSize, type, flags) }
            if n >= 0 {
                received.type = buffer.withUnsafeBytes { Int($0.load(as: CLong.self)) }
                received.body = Array(buffer[MemoryLayout<CLong>.size..<(MemoryLayout<CLong>.size + n)])
            }
            return n
        }
        return received
    }

    /// `IPC_NOWAIT|MSG_EXCEPT|MSG_NOERROR`, or `0`.
    public static func messageFlags(_ flags: Int32) -> String {
        var parts: [String] = []
        if flags & IPC_NOWAIT != 0 { parts.append("IPC_NOWAIT") }
        if flags & except != 0 { parts.append("MSG_EXCEPT") }
        if flags & noError != 0 { parts.append("MSG_NOERROR") }
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }

    /// `msgctl(id, IPC_STAT, &buf)`.
    public static func status(id: Int32) throws(SystemCallError) -> Status {
        var s = ipcsh_msg_status()
        _ = try traced("msgctl", [.int(Int(id)), .symbol("IPC_STAT"), .symbol("&buf")]) { ipcsh_msgctl_stat(id, &s) }
        return Status(key: s.key, id: id, mode: Int(s.mode & 0o777), ownerUID: s.uid, ownerGID: s.gid, creatorUID: s.cuid,
                      messages: Int(s.qnum), maximumBytes: Int(s.qbytes), lastSender: s.lspid, lastReceiver: s.lrpid,
                      sendTime: s.stime, receiveTime: s.rtime, changeTime: s.ctime)
    }

    /// Whether a queue id still exists with this key (untraced: for ipcsh's own exit notice).
    public static func exists(id: Int32, key: Int32) -> Bool {
        var s = ipcsh_msg_status()
        return ipcsh_msgctl_stat(id, &s) == 0 && s.key == key
    }

    /// `msgctl(id, IPC_RMID, NULL)`.
    public static func remove(id: Int32) throws(SystemCallError) {
        _ = try traced("msgctl", [.int(Int(id)), .symbol("IPC_RMID"), .symbol("NULL")]) { msgctl(id, IPC_RMID, nil) }
    }

    /// One row of `/proc/sysvipc/msg`.
    public struct ListEntry: Sendable, Equatable {
        public var key: Int32
        public var id: Int32
        public var mode: Int
        public var bytes: Int
        public var messages: Int
        public var lastSender: Int32
        public var lastReceiver: Int32
        public var ownerUID: UInt32
    }

    /// Every queue on the system, as `ipcs -q` shows them (read from `/proc/sysvipc/msg`).
    public static func list() throws(SystemCallError) -> [ListEntry] {
        var entries: [ListEntry] = []
        // key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
        for f in try FileSystem.systemVTable("msg") {
            guard f.count >= 8, let key = Int64(f[0]), let id = Int32(f[1]), let perms = Int(f[2], radix: 8),
                  let bytes = Int(f[3]), let count = Int(f[4]), let lspid = Int32(f[5]), let lrpid = Int32(f[6]),
                  let uid = UInt32(f[7]) else { continue }
            entries.append(ListEntry(key: Int32(truncatingIfNeeded: key), id: id, mode: perms & 0o777, bytes: bytes,
                                     messages: count, lastSender: lspid, lastReceiver: lrpid, ownerUID: uid))
        }
        return entries
    }

    /// The largest message body (`/proc/sys/kernel/msgmax`), if readable.
    public static func maximumMessageSize() -> Int? {
        guard let text = try? FileSystem.readWholeFile("/proc/sys/kernel/msgmax") else { return nil }
        return Int(text.split(separator: "\n").first ?? "")
    }
}
