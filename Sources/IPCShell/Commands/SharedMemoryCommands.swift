@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `shm create|open|attach|detach|stat|rm|ls|dump`: System V shared memory.
enum SharedMemoryCommands {
    static let all: [CommandSpec] = [create, open, attach, detach, stat, rm, ls, dump]

    /// What to try next when its calls fail.
    static let hints: [SystemCallHint] = [
        SystemCallHint("shmget", EEXIST) { "a segment with this key exists: use shm open KEY, or shm create without --excl" },
        SystemCallHint("shmget", ENOENT) { "no segment has this key: create it with shm create KEY SIZE" },
        SystemCallHint("shmget", EINVAL) {
            var text = "the size is 0, above the kernel's limit"
            if let max = SharedMemory.maximumSize(), max < Int.max { text += " (kernel.shmmax = \(max))" }
            return text + ", or larger than the existing segment with this key (shm ls shows it)"
        },
        SystemCallHint("shmget", EACCES) { "the segment's mode does not allow it: shm ls shows its owner and permissions" },
        SystemCallHint("shmat", EACCES) { "the segment's mode does not allow it: shm ls shows its owner and permissions" },
        SystemCallHint("shmget", ENOMEM) { "the kernel cannot give that much memory: SIZE is larger than it allows (kernel.shmall) or can back" },
        SystemCallHint("shmget", ENOSPC) { "the kernel's table of segments is full (kernel.shmmni): remove unused segments (shm ls)" },
        SystemCallHint("shmat", EINVAL) { "the segment is gone: someone removed it (shm ls shows what exists)" },
        SystemCallHint("shmctl", EINVAL) { "the segment is gone: someone removed it (shm ls shows what exists)" },
        SystemCallHint("shmctl", EIDRM) { "the segment is gone: someone removed it (shm ls shows what exists)" },
        SystemCallHint("shmctl", EPERM) { "only the segment's owner or creator (or root) can do that" },
    ]

    /// shm create in C: shmget, exclusively first, as the shell does.
    static let createC: CForm = { bound, c throws(CEmitError) in
        guard let size = try c.integer(bound, "SIZE") else {
            throw CEmitError("emit-c: shm create's size has no C form here", at: bound.location)
        }
        if bound.anyOptionGiven { throw CEmitError("emit-c: shm create's options have no C form here", at: bound.location) }
        let (keyC, keyText, keyArguments) = try c.key(bound, "KEY")
        let name = c.name("shm", binding: bound.binding)
        c.handles[name] = .segment
        c.include("sys/ipc.h", "sys/shm.h")
        if c.isTopLevel { c.createdSegments.append(name) }
        // As the shell: create, or else open what the key names, then IPC_STAT for the size.
        c.global("int", "\(name)_id")
        c.global("struct shmid_ds", "\(name)_ds")
        c.global("char", "*\(name)")
        c.createOrOpen(name, variable: "\(name)_id", create: "shmget(\(keyC), \(size), IPC_CREAT | IPC_EXCL | 0600)",
                       orElse: "shmget(\(keyC), \(size), 0)", failed: "\(name)_id == -1", call: "shmget")
        c.check("shmctl(\(name)_id, IPC_STAT, &\(name)_ds) == -1", "shmctl")
        let shown = keyArguments + ["\(name)_id", "(size_t)\(name)_ds.shm_segsz", "(unsigned)(\(name)_ds.shm_perm.mode & 0777)"]
        c.sayMade(name, created: ("\(name): created segment key \(keyText), shmid %d, %zu bytes, mode %04o", shown),
                  existed: ("\(name): key \(keyText) already existed: opened shmid %d, %zu bytes, mode %04o", shown))
    }

    static let create = CommandSpec(
        "shm create", summary: "shmget with IPC_CREAT: make a segment, or find the one with this key",
        arguments: [ArgumentSpec("KEY", .key), ArgumentSpec("SIZE", .size)],
        options: [
            OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)"),
            OptionSpec("--excl", summary: "fail with EEXIST if the key is taken (IPC_EXCL)"),
        ],
        example: "buf = shm create 3306 1024",
        discussion: "Says whether the segment was created or already existed. The segment outlives the shell until shm rm (or ipcrm)."
    ,
        cForm: createC
    ) { ctx in
        let key = try ctx.key("KEY") ?? IPC_PRIVATE
        let size = ctx.integer("SIZE") ?? 0
        let mode = ctx.integer("--mode") ?? 0o600
        guard size > 0 else {
            throw ctx.failure("shm create: SIZE must be at least 1 byte", hint: ctx.usageHint)
        }
        if let max = SharedMemory.maximumSize(), size > max {
            throw ctx.failure("shm create: SIZE \(size) is above the kernel's limit of \(max) bytes (kernel.shmmax)")
        }
        // Create, or else open: two calls, between which another process may remove the segment
        // (ENOENT, or EIDRM/EINVAL for its status). One shmget(IPC_CREAT) never fails so: try again.
        var created = true
        var id: Int32 = -1
        var status: SharedMemory.Status?
        var attempt = 0
        while status == nil {
            attempt += 1
            let retry = attempt < 100
            do {
                id = try SharedMemory.get(key: key, size: size, flags: IPC_CREAT | IPC_EXCL | Int32(mode))
                created = true
            } catch let error as SystemCallError where error.errno == EEXIST && !ctx.flag("--excl") {
                do {
                    id = try SharedMemory.get(key: key, size: size, flags: 0)
                    created = false
                } catch let error as SystemCallError where error.errno == ENOENT && retry {
                    continue
                }
            }
            do {
                status = try SharedMemory.status(id: id)
            } catch let error as SystemCallError where (error.errno == EIDRM || error.errno == EINVAL) && retry {
                continue
            }
        }
        guard let status else { return .none }
        let handle = ShmHandle(name: "", key: key, id: id, size: status.size, mode: status.mode, createdHere: created)
        let shown = SyscallTrace.octalMode(status.mode)
        let result = ctx.made(handle) { _ in
            created ? "created segment key \(handle.keyText), shmid \(id), \(status.size) bytes, mode \(shown)"
                    : "key \(handle.keyText) already existed: opened shmid \(id), \(status.size) bytes, mode \(shown)"
        }
        if created { ctx.session.noteCreated(.segment(id: id, key: key, size: status.size), name: handle.name) }
        return result
    }

    /// shm open in C: shmget without IPC_CREAT, then IPC_STAT for the size.
    static let openC: CForm = { bound, c throws(CEmitError) in
        let (keyC, keyText, keyArguments) = try c.key(bound, "KEY")
        let name = c.name("shm", binding: bound.binding)
        c.handles[name] = .segment
        c.include("sys/ipc.h", "sys/shm.h")
        c.global("int", "\(name)_id")
        c.global("struct shmid_ds", "\(name)_ds")
        c.global("char", "*\(name)")
        c.line("\(name)_id = shmget(\(keyC), 0, 0);")
        c.check("\(name)_id == -1", "shmget")
        c.check("shmctl(\(name)_id, IPC_STAT, &\(name)_ds) == -1", "shmctl")
        c.say("\(name): opened segment key \(keyText), shmid %d, %zu bytes", keyArguments + ["\(name)_id", "(size_t)\(name)_ds.shm_segsz"])
    }

    static let open = CommandSpec(
        "shm open", summary: "shmget an existing segment by key",
        arguments: [ArgumentSpec("KEY", .key)],
        example: "buf = shm open 3306",
        cForm: openC
    ) { ctx in
        let key = try ctx.key("KEY") ?? IPC_PRIVATE
        guard key != IPC_PRIVATE else {
            throw ctx.failure("shm open: a private segment has no key to open it by",
                              hint: "use shm create private SIZE, or open by the number shm ls shows")
        }
        let id = try SharedMemory.get(key: key, size: 0, flags: 0)
        let status = try SharedMemory.status(id: id)
        let handle = ShmHandle(name: "", key: key, id: id, size: status.size, mode: status.mode, createdHere: false)
        return ctx.made(handle) { _ in "opened segment key \(handle.keyText), shmid \(id), \(status.size) bytes" }
    }

    /// shm attach in C: shmat.
    static let attachC: CForm = { bound, c throws(CEmitError) in
        let s = try c.handle(bound, "NAME", .segment)
        let readOnly = bound.flag("--readonly")
        c.line("\(s.name) = shmat(\(s.name)_id, NULL, \(readOnly ? "SHM_RDONLY" : "0"));")
        c.check("\(s.name) == (void *)-1", "shmat")
        c.say("\(s.name): attached at %p" + (readOnly ? " (read-only)" : ""), ["(void *)\(s.name)"])
    }

    static let attach = CommandSpec(
        "shm attach", summary: "shmat: map the segment into this process",
        arguments: [ArgumentSpec("NAME", .handle([.shm]))],
        options: [OptionSpec("--readonly", summary: "attach with SHM_RDONLY: writes are refused")],
        example: "shm attach buf"
    ,
        cForm: attachC
    ) { ctx in
        guard let shm = ctx.handle("NAME", as: ShmHandle.self) else { return .none }
        if shm.removed { throw ctx.failure("shm attach: \(shm.name) was removed (shm rm)") }
        if shm.isAttached {
            throw ctx.failure("shm attach: \(shm.name) is already attached at \(shm.addressText)",
                              hint: "shm detach \(shm.name) first, or open the key again for a second attachment")
        }
        try shm.attach(readOnly: ctx.flag("--readonly"))
        ctx.output.info("\(shm.name): attached at \(shm.addressText)" + (shm.readOnly ? " (read-only)" : ""))
        return .none
    }

    /// shm detach in C: shmdt.
    static let detachC: CForm = { bound, c throws(CEmitError) in
        let s = try c.handle(bound, "NAME", .segment)
        c.check("shmdt(\(s.name)) == -1", "shmdt")
        c.say("\(s.name): detached")
    }

    static let detach = CommandSpec(
        "shm detach", summary: "shmdt: unmap the segment (it stays in the kernel)",
        arguments: [ArgumentSpec("NAME", .handle([.shm]))],
        example: "shm detach buf"
    ,
        cForm: detachC
    ) { ctx in
        guard let shm = ctx.handle("NAME", as: ShmHandle.self) else { return .none }
        guard shm.isAttached else { throw ctx.failure("shm detach: \(shm.name) is not attached") }
        try shm.detach()
        ctx.output.info("\(shm.name): detached")
        return .none
    }

    static let stat = CommandSpec(
        "shm stat", summary: "shmctl(IPC_STAT): key, id, size, mode, owner, pids, attach count, times",
        arguments: [ArgumentSpec("NAME", .handle([.shm]))],
        options: [OptionSpec("--json", summary: "one JSON document, values typed (times in ISO 8601 UTC, null for never)")],
        example: "shm stat buf"
    ) { ctx in
        guard let shm = ctx.handle("NAME", as: ShmHandle.self) else { return .none }
        let s = try SharedMemory.status(id: shm.id)
        if ctx.flag("--json") {
            let time = JSON.time
            return JSON.object([
                ("key", .integer(Int(UInt32(bitPattern: s.key)))), ("shmid", .integer(Int(s.id))), ("size", .integer(s.size)),
                ("mode", .string(SyscallTrace.octalMode(s.mode))), ("uid", .integer(Int(s.ownerUID))), ("gid", .integer(Int(s.ownerGID))),
                ("cuid", .integer(Int(s.creatorUID))), ("cpid", .integer(Int(s.creatorPID))), ("lpid", s.lastPID > 0 ? .integer(Int(s.lastPID)) : .null),
                ("nattch", .integer(s.attachCount)), ("atime", time(s.attachTime)), ("dtime", time(s.detachTime)),
                ("ctime", time(s.changeTime)), ("removed", .bool(s.markedForRemoval)),
            ]).result
        }
        let rows: [(String, String)] = [
            ("key", s.key == 0 ? "IPC_PRIVATE" : SyscallTrace.hexKey(s.key)),
            ("shmid", String(s.id)),
            ("size", "\(s.size) bytes"),
            ("mode", SyscallTrace.octalMode(s.mode) + (s.markedForRemoval ? " (marked for removal)" : "")),
            ("owner", "uid \(s.ownerUID) gid \(s.ownerGID)"),
            ("creator", "uid \(s.creatorUID)"),
            ("cpid", "\(s.creatorPID) (created it)"),
            ("lpid", "\(s.lastPID) (last shmat/shmdt)"),
            ("nattch", String(s.attachCount)),
            ("attached", formatTime(s.attachTime)),
            ("detached", formatTime(s.detachTime)),
            ("changed", formatTime(s.changeTime)),
        ]
        for (name, value) in rows { ctx.output.line(HelpText.pad(name + ":", 10) + value) }
        return .none
    }

    static func formatTime(_ seconds: Int) -> String {
        guard seconds > 0 else { return "never" }
        var t = time_t(seconds)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return String(seconds) }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// shm rm in C: shmctl IPC_RMID.
    static let rmC: CForm = { bound, c throws(CEmitError) in
        let s = try c.handle(bound, "NAME|KEY", .segment)
        c.check("shmctl(\(s.name)_id, IPC_RMID, NULL) == -1", "shmctl")
        c.say("\(s.name): removed")
        c.createdSegments.removeAll { $0 == s.name }
        c.closed(s.name)
    }

    static let rm = CommandSpec(
        "shm rm", summary: "shmctl(IPC_RMID): remove a segment (it goes at the last detach)",
        arguments: [ArgumentSpec("NAME|KEY", .handleOrKey([.shm]))],
        example: "shm rm buf"
    ,
        cForm: rmC
    ) { ctx in
        if let shm = ctx.handle("NAME|KEY", as: ShmHandle.self) {
            if shm.removed { throw ctx.failure("shm rm: \(shm.name) was already removed") }
            try SharedMemory.remove(id: shm.id)
            markRemoved(id: shm.id, in: ctx.session)
            ctx.output.info("\(shm.name): removed" + (shm.isAttached ? " (still attached here: the kernel frees it at the last detach)" : ""))
            return .none
        }
        let key = try ctx.key("NAME|KEY") ?? IPC_PRIVATE
        guard key != IPC_PRIVATE else {
            throw ctx.failure("shm rm: a private key names no single segment", hint: "remove it by its handle name")
        }
        let id = try SharedMemory.get(key: key, size: 0, flags: 0)
        try SharedMemory.remove(id: id)
        markRemoved(id: id, in: ctx.session)
        ctx.output.info("removed segment key \(SyscallTrace.hexKey(key)) (shmid \(id))")
        return .none
    }

    static func markRemoved(id: Int32, in session: Session) {
        for case let shm as ShmHandle in session.handles(of: .shm) where shm.id == id { shm.removed = true }
    }

    static let ls = CommandSpec(
        "shm ls", summary: "every segment on the system, like ipcs -m; * marks this session's",
        example: "shm ls",
        discussion: "status says removed for a segment marked for removal (ipcs -m: dest), which the kernel frees at its last detach, and locked for one locked in memory. A segment this session holds a handle for is marked, whether this session created it, opened it or removed it."
    ) { ctx in
        let entries = try SharedMemory.list()
        // Every handle of this session names its segment, removed or not (the opening session's
        // handle does not know when another removed it; a removed one stays marked alike). A
        // handle this session removed names only a segment marked for removal: never a new one
        // that the kernel gave the same id later.
        var mine: [Int32: String] = [:]
        for case let shm as ShmHandle in ctx.session.handles(of: .shm) {
            mine[shm.id] = mine[shm.id].map { $0 + "," + shm.name } ?? shm.name
        }
        let removedHere = Set(ctx.session.handles(of: .shm).compactMap { ($0 as? ShmHandle).flatMap { $0.removed ? $0.id : nil } })
        ctx.output.line("  key         shmid      owner     perms  bytes        nattch  status   handle")
        for e in entries.sorted(by: { $0.id < $1.id }) {
            let handle = removedHere.contains(e.id) && !e.markedForRemoval ? nil : mine[e.id]
            let status = [e.markedForRemoval ? "removed" : nil, e.locked ? "locked" : nil].compactMap { $0 }.joined(separator: ",")
            var row = (handle != nil ? "*" : " ") + " " + HelpText.pad(SyscallTrace.hexKey(e.key), 10) + "  " + HelpText.pad(String(e.id), 9)
                + "  " + HelpText.pad(userName(e.ownerUID), 8) + "  " + SyscallTrace.octalMode(e.mode) + "   "
                + HelpText.pad(String(e.size), 11) + "  " + HelpText.pad(String(e.attachCount), 6) + "  "
                + HelpText.pad(status, 7) + "  " + (handle ?? "")
            while row.hasSuffix(" ") { row.removeLast() }
            ctx.output.line(row)
        }
        if entries.isEmpty { ctx.output.info("(no shared memory segments on this system)") }
        return .none
    }

    static func userName(_ uid: UInt32) -> String {
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    static let dump = CommandSpec(
        "shm dump", summary: "hex and ASCII dump of the attached memory, like xxd",
        arguments: [ArgumentSpec("NAME", .handle([.shm])), ArgumentSpec("OFFSET", .size, optional: true),
                    ArgumentSpec("LEN", .size, optional: true)],
        example: "shm dump buf 0 64",
        discussion: "Without LEN, dumps to the end of the segment; runs of zero lines are shown once, then *."
    ) { ctx in
        guard let region = ctx.region("NAME") else { return .none }
        let memory = try region.mappedBytes(for: "shm dump")
        let offset = ctx.integer("OFFSET") ?? 0
        guard offset < memory.count, let base = memory.baseAddress else {
            throw ctx.failure("shm dump: OFFSET \(offset) is outside \(region.name) (\(memory.count) bytes: 0 to \(memory.count - 1))")
        }
        let available = memory.count - offset
        let length = min(ctx.integer("LEN") ?? available, available)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        // Line by line: a large segment is never held as text in memory; Ctrl-C stops it.
        try HexDump.forEachLine(bytes, startOffset: offset) { line throws(ControlFlow) in
            if Signals.interruptPending { throw ControlFlow.interrupted }
            ctx.output.line(line)
        }
        return .none
    }
}

/// xxd-style lines: `00000000: 6865 6c6c 6f00 0000 0000 0000 0000 0000  hello...........`
enum HexDump {
    static func forEachLine<E: Error>(_ bytes: UnsafeRawBufferPointer, startOffset: Int,
                                      _ body: (String) throws(E) -> Void) throws(E) {
        var previousWasZero = false
        var squeezed = false
        var position = 0
        while position < bytes.count {
            let end = min(position + 16, bytes.count)
            let chunk = bytes[position..<end]
            let allZero = chunk.count == 16 && chunk.allSatisfy { $0 == 0 }
            if allZero && previousWasZero && end < bytes.count {
                if !squeezed { try body("*"); squeezed = true }
                position = end
                continue
            }
            previousWasZero = allZero
            squeezed = false
            var hex = ""
            for (i, b) in chunk.enumerated() {
                hex += SyscallTrace.hex(b, width: 2)
                if i % 2 == 1 { hex += " " }
            }
            let ascii = String(decoding: chunk.map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            try body(SyscallTrace.hex(startOffset + position, width: 8) + ": " + HelpText.pad(hex, 40) + " " + ascii)
            position = end
        }
    }
}
