@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `ipcs`, and the tables of `mq ls` and `sem ls`: every System V object on the system, in
/// util-linux `ipcs` columns, this session's marked with its handle name.
enum SystemVListing {
    static let all: [CommandSpec] = [ipcs]

    static let ipcs = CommandSpec(
        "ipcs", summary: "every System V queue, segment and semaphore set on the system, as ipcs shows them",
        options: [OptionSpec("--json", summary: "one JSON document: queues, segments and sets, numbers typed")],
        example: "ipcs",
        discussion: "The columns are util-linux ipcs's; a last column names this session's handle for an object (status for a segment: dest when removed but still attached). The same as running ipcs in a shell, with the session's names added."
    ) { ctx in
        if ctx.flag("--json") { return try json(ctx.session).result }
        var lines: [String] = [""]
        lines.append("------ Message Queues --------")
        lines += try queueRows(session: ctx.session, marker: false)
        lines.append("")
        lines.append("------ Shared Memory Segments --------")
        lines += try segmentRows(session: ctx.session)
        lines.append("")
        lines.append("------ Semaphore Arrays --------")
        lines += try semaphoreRows(session: ctx.session, marker: false)
        lines.append("")
        for line in lines { ctx.output.line(line) }
        return .none
    }

    static func column(_ text: String, _ width: Int = 10) -> String { HelpText.pad(text, width) + " " }

    static func trimmed(_ row: String) -> String {
        var row = row
        while row.hasSuffix(" ") { row.removeLast() }
        return row
    }

    /// Names of this session's handles for each id of a kind (a removed handle names nothing).
    static func names<H: Handle>(_ type: H.Type, _ kind: HandleKind, session: Session, id: (H) -> Int32) -> [Int32: String] {
        var names: [Int32: String] = [:]
        for case let handle as H in session.handles(of: kind) where handle.isOpen {
            names[id(handle)] = names[id(handle)].map { $0 + "," + handle.name } ?? handle.name
        }
        return names
    }

    static func queueRows(session: Session, marker: Bool) throws(SystemCallError) -> [String] {
        let mine = names(MessageQueueHandle.self, .mq, session: session) { $0.id }
        var rows = [trimmed((marker ? "  " : "") + column("key") + column("msqid") + column("owner") + column("perms")
                            + column("used-bytes", 12) + column("messages", 11) + "handle")]
        for e in try MessageQueues.list().sorted(by: { $0.id < $1.id }) {
            rows.append(trimmed((marker ? (mine[e.id] != nil ? "* " : "  ") : "") + column(SyscallTrace.hexKey(e.key)) + column(String(e.id))
                                + column(SharedMemoryCommands.userName(e.ownerUID)) + column(String(e.mode, radix: 8))
                                + column(String(e.bytes), 12) + column(String(e.messages), 11) + (mine[e.id] ?? "")))
        }
        return rows
    }

    static func segmentRows(session: Session) throws(SystemCallError) -> [String] {
        let mine = names(ShmHandle.self, .shm, session: session) { $0.id }
        var rows = [trimmed(column("key") + column("shmid") + column("owner") + column("perms") + column("bytes")
                            + column("nattch") + column("status", 11) + "handle")]
        for e in try SharedMemory.list().sorted(by: { $0.id < $1.id }) {
            let status = [e.markedForRemoval ? "dest" : nil, e.locked ? "locked" : nil].compactMap { $0 }.joined(separator: " ")
            rows.append(trimmed(column(SyscallTrace.hexKey(e.key)) + column(String(e.id)) + column(SharedMemoryCommands.userName(e.ownerUID))
                                + column(String(e.mode, radix: 8)) + column(String(e.size)) + column(String(e.attachCount))
                                + column(status, 11) + (mine[e.id] ?? "")))
        }
        return rows
    }

    static func semaphoreRows(session: Session, marker: Bool) throws(SystemCallError) -> [String] {
        let mine = names(SemaphoreSetHandle.self, .sem, session: session) { $0.id }
        var rows = [trimmed((marker ? "  " : "") + column("key") + column("semid") + column("owner") + column("perms")
                            + column("nsems") + "handle")]
        for e in try SemaphoreSets.list().sorted(by: { $0.id < $1.id }) {
            rows.append(trimmed((marker ? (mine[e.id] != nil ? "* " : "  ") : "") + column(SyscallTrace.hexKey(e.key)) + column(String(e.id))
                                + column(SharedMemoryCommands.userName(e.ownerUID)) + column(String(e.mode, radix: 8))
                                + column(String(e.count)) + (mine[e.id] ?? "")))
        }
        return rows
    }

    /// `ipcs --json`.
    static func json(_ session: Session) throws(SystemCallError) -> JSON {
        let queues = names(MessageQueueHandle.self, .mq, session: session) { $0.id }
        let segments = names(ShmHandle.self, .shm, session: session) { $0.id }
        let sets = names(SemaphoreSetHandle.self, .sem, session: session) { $0.id }
        func key(_ k: Int32) -> JSON { .integer(Int(UInt32(bitPattern: k))) }
        func handle(_ name: String?) -> JSON { name.map(JSON.string) ?? .null }
        return .object([
            ("queues", .array(try MessageQueues.list().sorted { $0.id < $1.id }.map { e in
                .object([("key", key(e.key)), ("msqid", .integer(Int(e.id))), ("owner", .string(SharedMemoryCommands.userName(e.ownerUID))),
                         ("perms", .string(SyscallTrace.octalMode(e.mode))), ("used_bytes", .integer(e.bytes)), ("messages", .integer(e.messages)),
                         ("handle", handle(queues[e.id]))])
            })),
            ("segments", .array(try SharedMemory.list().sorted { $0.id < $1.id }.map { e in
                .object([("key", key(e.key)), ("shmid", .integer(Int(e.id))), ("owner", .string(SharedMemoryCommands.userName(e.ownerUID))),
                         ("perms", .string(SyscallTrace.octalMode(e.mode))), ("bytes", .integer(e.size)), ("nattch", .integer(e.attachCount)),
                         ("dest", .bool(e.markedForRemoval)), ("locked", .bool(e.locked)), ("handle", handle(segments[e.id]))])
            })),
            ("semaphores", .array(try SemaphoreSets.list().sorted { $0.id < $1.id }.map { e in
                .object([("key", key(e.key)), ("semid", .integer(Int(e.id))), ("owner", .string(SharedMemoryCommands.userName(e.ownerUID))),
                         ("perms", .string(SyscallTrace.octalMode(e.mode))), ("nsems", .integer(e.count)), ("handle", handle(sets[e.id]))])
            })),
        ])
    }

    /// `mq ls`: the queues, `*` marking this session's.
    static func queueLines(session: Session) throws(SystemCallError) -> [String] { try queueRows(session: session, marker: true) }
    /// `sem ls`: the sets, `*` marking this session's.
    static func semaphoreLines(session: Session) throws(SystemCallError) -> [String] { try semaphoreRows(session: session, marker: true) }
}
