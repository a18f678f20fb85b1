@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `mq create|open|send|recv|stat|rm|ls`: System V message queues.
enum MessageQueueCommands {
    static let all: [CommandSpec] = [create, open, send, recv, stat, rm, ls]

    /// What to try next when a queue call fails.
    static let hints: [SystemCallHint] = [
        SystemCallHint("msgget", ENOENT) { "no queue has that key: mq create KEY makes one (mq ls shows what exists)" },
        SystemCallHint("msgget", EEXIST) { "a queue with that key exists (--excl refuses it): mq open KEY uses it" },
        SystemCallHint("msgget", ENOSPC) { "the kernel's table of queues is full (kernel.msgmni): remove unused ones (mq ls)" },
        SystemCallHint("msgsnd", EAGAIN) { "the queue is full and this send does not wait (--nonblock): receive from it first, or send without --nonblock to wait for room" },
        SystemCallHint("msgsnd", EINVAL) { "the queue is gone, or the message is larger than the queue may hold (mq stat shows qbytes)" },
        SystemCallHint("msgsnd", EIDRM) { "the queue was removed while this send waited" },
        SystemCallHint("msgrcv", ENOMSG) { "no message of that type is waiting, and this receive does not wait (--nonblock): send one first, or receive without --nonblock to wait" },
        SystemCallHint("msgrcv", E2BIG) { "the message is larger than --size: give a larger --size, or --noerror to take its first bytes (the rest is lost)" },
        SystemCallHint("msgrcv", EIDRM) { "the queue was removed while this receive waited" },
        SystemCallHint("msgrcv", EINVAL) { "the queue is gone: someone removed it (mq ls shows what exists)" },
        SystemCallHint("msgctl", EINVAL) { "the queue is gone: someone removed it (mq ls shows what exists)" },
        SystemCallHint("msgctl", EPERM) { "only the queue's owner or creator (or root) can do that" },
    ]

    // MARK: C forms (emit-c)

    /// The message buffer of msgsnd/msgrcv, as the textbook declares it: the body holds
    /// kernel.msgmax bytes on the machine that made the program.
    static var messageDeclaration: String {
        let size = MessageQueues.maximumMessageSize() ?? 8192
        return "/* A message as msgsnd and msgrcv take it: its type, then its body (kernel.msgmax bytes here). */\nstruct message { long mtype; char mtext[\(size)]; };"
    }

    /// mq create in C: as the shell, msgget(IPC_CREAT | IPC_EXCL), or else the queue the key
    /// names; IPC_STAT for the line it prints.
    static let createC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--mode") { throw CEmitError("emit-c: mq create --mode has no C form here", at: bound.location) }
        let (keyC, keyText, keyArguments) = try c.key(bound, "KEY")
        let name = c.name("mq", binding: bound.binding)
        c.handles[name] = .queue
        c.include("sys/ipc.h", "sys/msg.h", "errno.h")
        c.global("int", "\(name)_id")
        c.global("struct msqid_ds", "\(name)_ds")
        if c.isTopLevel { c.createdQueues.append(name) }
        c.createOrOpen(name, variable: "\(name)_id", create: "msgget(\(keyC), IPC_CREAT | IPC_EXCL | 0600)",
                       orElse: bound.flag("--excl") ? nil : "msgget(\(keyC), 0)", failed: "\(name)_id == -1", call: "msgget")
        c.check("msgctl(\(name)_id, IPC_STAT, &\(name)_ds) == -1", "msgctl")
        c.sayMade(name, created: ("\(name): created queue key \(keyText), msqid %d, mode %04o",
                                  keyArguments + ["\(name)_id", "(unsigned)(\(name)_ds.msg_perm.mode & 0777)"]),
                  existed: ("\(name): key \(keyText) already existed: opened msqid %d (%lu message%s waiting)",
                            keyArguments + ["\(name)_id", "(unsigned long)\(name)_ds.msg_qnum", "\(name)_ds.msg_qnum == 1 ? \"\" : \"s\""]))
    }

    /// mq open in C: msgget without IPC_CREAT, and IPC_STAT.
    static let openC: CForm = { bound, c throws(CEmitError) in
        let (keyC, keyText, keyArguments) = try c.key(bound, "KEY")
        let name = c.name("mq", binding: bound.binding)
        c.handles[name] = .queue
        c.include("sys/ipc.h", "sys/msg.h")
        c.global("int", "\(name)_id")
        c.global("struct msqid_ds", "\(name)_ds")
        c.line("\(name)_id = msgget(\(keyC), 0);")
        c.check("\(name)_id == -1", "msgget")
        c.check("msgctl(\(name)_id, IPC_STAT, &\(name)_ds) == -1", "msgctl")
        c.say("\(name): opened queue key \(keyText), msqid %d (%lu message%s waiting)",
              keyArguments + ["\(name)_id", "(unsigned long)\(name)_ds.msg_qnum", "\(name)_ds.msg_qnum == 1 ? \"\" : \"s\""])
    }

    /// mq send in C: the words (joined by spaces) as the body, no NUL after them, one msgsnd.
    static let sendC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--as") || bound.optionGiven("--timeout") {
            throw CEmitError("emit-c: mq send --as and --timeout have no C form here", at: bound.location)
        }
        let queue = try c.handle(bound, "NAME", .queue)
        guard let type = try c.integer(bound, "TYPE") else { return }
        var formats: [String] = [], arguments: [String] = []
        for value in bound.variadicValues {
            let (f, a) = try c.format(value, at: bound.location)
            formats.append(f)
            arguments += a
        }
        let args = arguments.map { ", " + $0 }.joined()
        let format = formats.joined(separator: " ")
        c.declare(fileScope: messageDeclaration)
        c.include("string.h")
        c.open("")
        c.line("struct message message;")
        c.line("message.mtype = \(type);")
        c.line("int len = snprintf(NULL, 0, \"\(format)\"\(args));")
        c.line("if (len > (int)sizeof message.mtext) { fprintf(stderr, \"mq send: the body is %d bytes; a message holds at most %zu (kernel.msgmax)\\n\", len, sizeof message.mtext); exit(1); }")
        c.line("char text[len + 1];")
        c.line("snprintf(text, sizeof text, \"\(format)\"\(args));")
        c.line("memcpy(message.mtext, text, (size_t)len);")
        c.check("msgsnd(\(queue.name)_id, &message, (size_t)len, \(bound.flag("--nonblock") ? "IPC_NOWAIT" : "0")) == -1", "msgsnd")
        c.close()
    }

    /// mq recv in C: one msgrcv, its trailing NULs dropped, printed as `type 2: DATA` (or
    /// kept: `$m.type`, `$m.data`).
    static let recvC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--as") || bound.optionGiven("--timeout") {
            throw CEmitError("emit-c: mq recv --as and --timeout have no C form here", at: bound.location)
        }
        let queue = try c.handle(bound, "NAME", .queue)
        let type = try c.integer(bound, "TYPE") ?? "0"
        var flags: [String] = []
        if bound.flag("--nonblock") { flags.append("IPC_NOWAIT") }
        if bound.flag("--except") { flags.append("MSG_EXCEPT") }
        if bound.flag("--noerror") { flags.append("MSG_NOERROR") }
        if bound.flag("--except") { c.gnuSource = true }
        c.declare(fileScope: messageDeclaration)
        let variable = try bound.binding.map { name throws(CEmitError) in try c.variableName(name, bound) }
        let message = variable.map { "\($0)_message" } ?? c.temporary("message")
        let length = variable.map { "\($0)_len" } ?? c.temporary("len")
        let size = try c.integer(bound, "--size").map { "(size_t)\($0)" } ?? "sizeof \(message).mtext"
        if bound.optionGiven("--size") {
            c.line("if (\(size) > sizeof \(message).mtext) { fprintf(stderr, \"mq recv: --size is above kernel.msgmax\\n\"); exit(1); }")
        }
        c.line("struct message \(message);")
        c.line("ssize_t \(length) = msgrcv(\(queue.name)_id, &\(message), \(size), \(type), \(flags.isEmpty ? "0" : flags.joined(separator: " | ")));")
        c.check("\(length) == -1", "msgrcv")
        c.line("while (\(length) > 0 && \(message).mtext[\(length) - 1] == 0) \(length)--;")
        guard let variable else {
            c.say("type %ld: %.*s", ["\(message).mtype", "(int)\(length)", "\(message).mtext"])
            return
        }
        c.declare(variable, CVariable(format: "type %ld: %.*s", argument: "\(message).mtype, (int)\(length), \(message).mtext",
                                      integer: nil, assignable: false,
                                      fields: ["type": ("%ld", "\(message).mtype"), "data": ("%.*s", "(int)\(length), \(message).mtext")]))
    }

    /// mq rm in C: msgctl(IPC_RMID).
    static let rmC: CForm = { bound, c throws(CEmitError) in
        let queue = try c.handle(bound, "NAME|KEY", .queue)
        c.check("msgctl(\(queue.name)_id, IPC_RMID, NULL) == -1", "msgctl")
        c.say("\(queue.name): removed")
        c.createdQueues.removeAll { $0 == queue.name }
        c.closed(queue.name)
    }

    static let create = CommandSpec(
        "mq create", summary: "msgget with IPC_CREAT: make a queue, or find the one with this key",
        arguments: [ArgumentSpec("KEY", .key)],
        options: [
            OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)"),
            OptionSpec("--excl", summary: "fail with EEXIST if the key is taken (IPC_EXCL)"),
        ],
        example: "q = mq create 3306",
        discussion: "Says whether the queue was created or already existed. The queue and its messages outlive the shell until mq rm (or ipcrm -q).",
        cForm: createC
    ) { ctx in
        let key = try ctx.key("KEY") ?? IPC_PRIVATE
        let mode = Int32(ctx.integer("--mode") ?? 0o600)
        let (id, created) = try CreateOrOpen.run(exclusive: ctx.flag("--excl"),
            create: { () throws(SystemCallError) in try MessageQueues.get(key: key, flags: IPC_CREAT | IPC_EXCL | mode) },
            open: { () throws(SystemCallError) in try MessageQueues.get(key: key, flags: 0) })
        let status = try MessageQueues.status(id: id)
        let handle = MessageQueueHandle(name: "", key: key, id: id, mode: status.mode, createdHere: created)
        let result = ctx.made(handle) { _ in
            created ? "created queue key \(handle.keyText), msqid \(id), mode \(SyscallTrace.octalMode(status.mode))"
                    : "key \(handle.keyText) already existed: opened msqid \(id) (\(status.messages) message\(status.messages == 1 ? "" : "s") waiting)"
        }
        if created { ctx.session.noteCreated(.queue(id: id, key: key), name: handle.name) }
        return result
    }

    static let open = CommandSpec(
        "mq open", summary: "msgget an existing queue by key",
        arguments: [ArgumentSpec("KEY", .key)],
        example: "q = mq open 3306",
        cForm: openC
    ) { ctx in
        let key = try ctx.key("KEY") ?? IPC_PRIVATE
        guard key != IPC_PRIVATE else {
            throw ctx.failure("mq open: a private queue has no key to open it by", hint: "use mq create private")
        }
        let id = try MessageQueues.get(key: key, flags: 0)
        let status = try MessageQueues.status(id: id)
        let handle = MessageQueueHandle(name: "", key: key, id: id, mode: status.mode, createdHere: false)
        return ctx.made(handle) { _ in
            "opened queue key \(handle.keyText), msqid \(id) (\(status.messages) message\(status.messages == 1 ? "" : "s") waiting)"
        }
    }

    /// The queue an argument names, refused once removed.
    static func queue(_ ctx: borrowing CommandContext) throws(Diagnostic) -> MessageQueueHandle? {
        guard let queue = ctx.handle("NAME", as: MessageQueueHandle.self) else { return nil }
        if queue.removed { throw ctx.failure("\(ctx.spec.name): \(queue.name) was removed (mq rm)") }
        return queue
    }

    /// Runs a blocking queue call so that Ctrl-C and `--timeout` end it (msgsnd and msgrcv cannot
    /// be polled: a timer interrupts them, as it does `fifo open`).
    /// `timedOut` says what happened, given the timeout as text (`300ms`).
    static func blocking<T>(_ ctx: borrowing CommandContext, timedOut: (String) -> String,
                            _ call: () throws(SystemCallError) -> T) throws -> T {
        ctx.output.flush()
        let timeout = ctx.integer("--timeout")
        let value: T?
        do throws(SystemCallError) {
            value = try Signals.blockingCall(timeoutMilliseconds: timeout, call)
        } catch {
            if error.wasInterrupted && Signals.interruptPending { throw ControlFlow.interrupted }
            throw error
        }
        guard let value else {
            throw ctx.failure("\(ctx.spec.name): " + timedOut(Durations.describe(timeout ?? 0)))
        }
        return value
    }

    static let send = CommandSpec(
        "mq send", summary: "msgsnd: put a message of TYPE (1 or more) on the queue",
        arguments: [ArgumentSpec("NAME", .handle([.mq])), ArgumentSpec("TYPE", .wholeNumber(1...Int(Int32.max))),
                    ArgumentSpec("DATA", .dataOrMembers, optional: true, variadic: true)],
        options: [
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "the body is one C struct: DATA is MEMBER=VALUE words"),
            OptionSpec("--nonblock", summary: "IPC_NOWAIT: fail with EAGAIN instead of waiting when the queue is full"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D if the queue stays full"),
        ],
        example: "mq send q 20 \"hello\"",
        discussion: "The body is DATA's bytes, with no NUL after them (a C receiver gets exactly the bytes sent). A full queue makes msgsnd wait, as in C; Ctrl-C or --timeout ends the wait.",
        cForm: sendC
    ) { ctx in
        guard let queue = try queue(ctx) else { return .none }
        let type = ctx.integer("TYPE") ?? 1
        let body = try DataCommands.messageBody(ctx, quoted: "mq send NAME TYPE \"two words\"")
        if let maximum = MessageQueues.maximumMessageSize(), body.count > maximum {
            throw ctx.failure("mq send: the body is \(body.count) bytes; a message holds at most \(maximum) (kernel.msgmax)")
        }
        let flags: Int32 = ctx.flag("--nonblock") ? Int32(IPC_NOWAIT) : 0
        try blocking(ctx, timedOut: { "\(queue.name) stayed full for \($0)" }) { () throws(SystemCallError) in
            try MessageQueues.send(id: queue.id, type: type, body: body, flags: flags)
        }
        return .none
    }

    static let recv = CommandSpec(
        "mq recv", summary: "msgrcv: take a message off the queue, by the kernel's type rules",
        arguments: [ArgumentSpec("NAME", .handle([.mq])), ArgumentSpec("TYPE", .wholeNumber(-Int(Int32.max)...Int(Int32.max)), optional: true)],
        options: [
            OptionSpec("--except", summary: "MSG_EXCEPT: the first message of any type but TYPE"),
            OptionSpec("--noerror", summary: "MSG_NOERROR: a message longer than --size is cut to it (the rest is lost)"),
            OptionSpec("--size", .size, valueName: "N", summary: "the largest body to take (default kernel.msgmax, 8192)"),
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "decode the body as one C struct"),
            OptionSpec("--nonblock", summary: "IPC_NOWAIT: fail with ENOMSG instead of waiting for a message"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D without a message"),
        ],
        example: "m = mq recv q 20",
        discussion: "TYPE 0 (the default) takes the first message; TYPE > 0 the first of that type (with --except, the first of any other type); TYPE < 0 the first of the lowest type up to |TYPE|. Prints type 20: DATA; bound (m = mq recv q), $m.type and $m.data. An empty queue makes msgrcv wait, as in C; Ctrl-C or --timeout ends the wait.",
        cForm: recvC
    ) { ctx in
        guard let queue = try queue(ctx) else { return .none }
        let type = ctx.integer("TYPE") ?? 0
        var flags: Int32 = 0
        if ctx.flag("--nonblock") { flags |= Int32(IPC_NOWAIT) }
        if ctx.flag("--except") {
            guard type > 0 else { throw ctx.failure("mq recv: --except needs a TYPE above 0 (the type to skip)", hint: ctx.usageHint) }
            flags |= MessageQueues.except
        }
        if ctx.flag("--noerror") { flags |= MessageQueues.noError }
        let layout = try DataCommands.structLayout(ctx)
        let size = ctx.integer("--size") ?? layout?.size ?? MessageQueues.maximumMessageSize() ?? 8192
        guard size <= 16 << 20 else { throw ctx.failure("mq recv: --size is at most 16 MiB") }
        let message = try blocking(ctx, timedOut: { "no message came to \(queue.name) within \($0)" }) { () throws(SystemCallError) in
            try MessageQueues.receive(id: queue.id, maximumSize: size, type: type, flags: flags)
        }
        let typeText = String(message.type)
        return try DataCommands.receivedMessage(message.body, label: "type \(typeText)", field: ("type", typeText), layout: layout,
                                                trimmingNULs: true, ctx, what: "the message (type \(message.type))")
    }

    static let stat = CommandSpec(
        "mq stat", summary: "msgctl(IPC_STAT): key, id, mode, owner, messages, bytes, pids, times",
        arguments: [ArgumentSpec("NAME", .handle([.mq]))],
        options: [OptionSpec("--json", summary: "one JSON document, values typed (times in ISO 8601 UTC, null for never)")],
        example: "mq stat q"
    ) { ctx in
        guard let queue = try queue(ctx) else { return .none }
        let s = try MessageQueues.status(id: queue.id)
        if ctx.flag("--json") {
            let time = JSON.time
            func pid(_ p: Int32) -> JSON { p > 0 ? .integer(Int(p)) : .null }
            return JSON.object([
                ("key", .integer(Int(UInt32(bitPattern: s.key)))), ("msqid", .integer(Int(s.id))), ("mode", .string(SyscallTrace.octalMode(s.mode))),
                ("uid", .integer(Int(s.ownerUID))), ("gid", .integer(Int(s.ownerGID))), ("cuid", .integer(Int(s.creatorUID))),
                ("qnum", .integer(s.messages)), ("qbytes", .integer(s.maximumBytes)), ("lspid", pid(s.lastSender)),
                ("lrpid", pid(s.lastReceiver)), ("stime", time(s.sendTime)), ("rtime", time(s.receiveTime)), ("ctime", time(s.changeTime)),
            ]).result
        }
        let rows: [(String, String)] = [
            ("key", s.key == 0 ? "IPC_PRIVATE" : SyscallTrace.hexKey(s.key)),
            ("msqid", String(s.id)),
            ("mode", SyscallTrace.octalMode(s.mode)),
            ("owner", "uid \(s.ownerUID) gid \(s.ownerGID)"),
            ("creator", "uid \(s.creatorUID)"),
            ("qnum", "\(s.messages) message\(s.messages == 1 ? "" : "s") waiting"),
            ("qbytes", "\(s.maximumBytes) bytes at most"),
            ("lspid", s.lastSender == 0 ? "none yet (last msgsnd)" : "\(s.lastSender) (last msgsnd)"),
            ("lrpid", s.lastReceiver == 0 ? "none yet (last msgrcv)" : "\(s.lastReceiver) (last msgrcv)"),
            ("sent", SharedMemoryCommands.formatTime(s.sendTime)),
            ("received", SharedMemoryCommands.formatTime(s.receiveTime)),
            ("changed", SharedMemoryCommands.formatTime(s.changeTime)),
        ]
        for (name, value) in rows { ctx.output.line(HelpText.pad(name + ":", 10) + value) }
        return .none
    }

    static let rm = CommandSpec(
        "mq rm", summary: "msgctl(IPC_RMID): remove a queue and its messages (at once: waiting processes get EIDRM)",
        arguments: [ArgumentSpec("NAME|KEY", .handleOrKey([.mq]))],
        example: "mq rm q",
        cForm: rmC
    ) { ctx in
        if let queue = ctx.handle("NAME|KEY", as: MessageQueueHandle.self) {
            if queue.removed { throw ctx.failure("mq rm: \(queue.name) was already removed") }
            try MessageQueues.remove(id: queue.id)
            markRemoved(id: queue.id, in: ctx.session)
            ctx.output.info("\(queue.name): removed")
            return .none
        }
        let key = try ctx.key("NAME|KEY") ?? IPC_PRIVATE
        guard key != IPC_PRIVATE else {
            throw ctx.failure("mq rm: a private key names no single queue", hint: "remove it by its handle name")
        }
        let id = try MessageQueues.get(key: key, flags: 0)
        try MessageQueues.remove(id: id)
        markRemoved(id: id, in: ctx.session)
        ctx.output.info("removed queue key \(SyscallTrace.hexKey(key)) (msqid \(id))")
        return .none
    }

    static func markRemoved(id: Int32, in session: Session) {
        for case let queue as MessageQueueHandle in session.handles(of: .mq) where queue.id == id { queue.removed = true }
    }

    static let ls = CommandSpec(
        "mq ls", summary: "every message queue on the system, like ipcs -q; * marks this session's",
        example: "mq ls"
    ) { ctx in
        for line in try SystemVListing.queueLines(session: ctx.session) { ctx.output.line(line) }
        return .none
    }
}
