@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `pmq create|open|send|recv|stat|rm|ls`: POSIX message queues.
enum PosixQueueCommands {
    static let all: [CommandSpec] = [create, open, send, recv, stat, rm, ls]

    static let hints: [SystemCallHint] = [
        SystemCallHint("mq_open", ENOENT) { "no queue has that name: pmq create /NAME makes one (pmq ls lists them)" },
        SystemCallHint("mq_open", EEXIST) { "a queue with that name exists (--excl refuses it): pmq open /NAME uses it" },
        SystemCallHint("mq_open", EINVAL) { "--maxmsg or --msgsize is above what the system allows (/proc/sys/fs/mqueue/msg_max and msgsize_max; root may go higher)" },
        SystemCallHint("mq_open", EMFILE) { "too many queues open (RLIMIT_MSGQUEUE, /proc/sys/fs/mqueue/queues_max)" },
        SystemCallHint("mq_send", EAGAIN) { "the queue is full and this send does not wait (--nonblock): receive first, or send without --nonblock" },
        SystemCallHint("mq_send", EMSGSIZE) { "the message is larger than the queue's message size (pmq stat shows msgsize)" },
        SystemCallHint("mq_timedsend", EMSGSIZE) { "the message is larger than the queue's message size (pmq stat shows msgsize)" },
        SystemCallHint("mq_receive", EAGAIN) { "the queue is empty and this receive does not wait (--nonblock): send first, or receive without --nonblock" },
        SystemCallHint("mq_unlink", ENOENT) { "no queue has that name (pmq ls lists them)" },
    ]

    // MARK: C forms (emit-c)

    /// The queue's name as a C string literal (a literal name: a variable's could be out of scope
    /// where the queue is used again).
    static func pathC(_ bound: BoundCommand, _ c: CProgram) throws(CEmitError) -> String {
        if case .symbol(let s)? = bound.value("NAME"), let path = c.posixPaths[s.name] { return path }
        guard let name = bound.string("NAME") else {
            throw CEmitError("emit-c: \(bound.spec.name)'s NAME has no C form here (a literal /name has)", at: bound.location)
        }
        // pmq rm takes a handle's name too.
        if let path = c.posixPaths[name], c.handles[name] == .posixQueue { return path }
        return CProgram.literal(Array(name.utf8))
    }

    /// pmq create in C: as the shell, mq_open(O_CREAT | O_EXCL) with the attributes asked for,
    /// or else the queue the name names; mq_getattr for the line it prints.
    static let createC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--mode") { throw CEmitError("emit-c: pmq create --mode has no C form here", at: bound.location) }
        let path = try pathC(bound, c)
        let name = c.name("pmq", binding: bound.binding)
        c.handles[name] = .posixQueue
        c.posixPaths[name] = path
        c.include("mqueue.h", "fcntl.h", "sys/stat.h", "errno.h")
        c.global("mqd_t", name)
        c.global("struct mq_attr", "\(name)_attr")
        if c.isTopLevel { c.createdPosixQueues.append((name, path)) }
        let maxmsg = bound.integer("--maxmsg"), msgsize = bound.integer("--msgsize")
        var attributes = "NULL"
        if maxmsg != nil || msgsize != nil {
            c.line("\(name)_attr = (struct mq_attr){ .mq_maxmsg = \(maxmsg ?? 10), .mq_msgsize = \(msgsize ?? 8192) };")
            attributes = "&\(name)_attr"
        }
        c.createOrOpen(name, variable: name, create: "mq_open(\(path), O_RDWR | O_CREAT | O_EXCL, 0600, \(attributes))",
                       orElse: bound.flag("--excl") ? nil : "mq_open(\(path), O_RDWR)", failed: "\(name) == (mqd_t)-1", call: "mq_open")
        c.check("mq_getattr(\(name), &\(name)_attr) == -1", "mq_getattr")
        let numbers = ["(int)\(name)", "\(name)_attr.mq_maxmsg", "\(name)_attr.mq_msgsize", "\(name)_attr.mq_curmsgs"]
        c.sayMade(name, created: ("\(name): created %s (mqd %d, %ld messages of %ld bytes at most, %ld waiting)", [path] + numbers),
                  existed: ("\(name): %s already existed: opened it (mqd %d, %ld messages of %ld bytes at most, %ld waiting)", [path] + numbers))
    }

    /// pmq send in C: one mq_send of the words (joined by spaces), with its priority.
    static let sendC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--as") || bound.flag("--nonblock") || bound.optionGiven("--timeout") {
            throw CEmitError("emit-c: pmq send --as, --nonblock and --timeout have no C form here", at: bound.location)
        }
        guard case .symbol(let queue)? = bound.value("NAME"), c.handles[queue.name] == .posixQueue else {
            throw CEmitError("emit-c: pmq send names a queue the script did not make before it", at: bound.location)
        }
        let text = try c.string(bound.variadicValues, at: bound.location)
        c.include("string.h")
        c.check("mq_send(\(queue.name), \(text), strlen(\(text)), \(try c.integer(bound, "--prio") ?? "0")) == -1", "mq_send")
    }

    /// pmq recv in C: mq_getattr for the size, one mq_receive, printed as `prio 9: DATA` (or
    /// kept: `$m.prio`, `$m.data`).
    static let recvC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--as") || bound.flag("--nonblock") || bound.optionGiven("--timeout") {
            throw CEmitError("emit-c: pmq recv --as, --nonblock and --timeout have no C form here", at: bound.location)
        }
        guard case .symbol(let queue)? = bound.value("NAME"), c.handles[queue.name] == .posixQueue else {
            throw CEmitError("emit-c: pmq recv names a queue the script did not make before it", at: bound.location)
        }
        let variable = try bound.binding.map { name throws(CEmitError) in try c.variableName(name, bound) }
        let stem = variable ?? c.temporary("message")
        c.line("struct mq_attr \(stem)_attr;")
        c.check("mq_getattr(\(queue.name), &\(stem)_attr) == -1", "mq_getattr")
        c.line("char \(stem)_data[\(stem)_attr.mq_msgsize];")
        c.line("unsigned \(stem)_prio;")
        c.line("ssize_t \(stem)_len = mq_receive(\(queue.name), \(stem)_data, \(stem)_attr.mq_msgsize, &\(stem)_prio);")
        c.check("\(stem)_len == -1", "mq_receive")
        let data = "(int)\(stem)_len, \(stem)_data"
        guard let variable else {
            c.say("prio %u: %.*s", ["\(stem)_prio", data])
            return
        }
        c.declare(variable, CVariable(format: "prio %u: %.*s", argument: "\(stem)_prio, \(data)", integer: nil, assignable: false,
                                      fields: ["prio": ("%u", "\(stem)_prio"), "data": ("%.*s", data)]))
    }

    /// pmq stat in C: mq_getattr, and the four lines the shell prints.
    static let statC: CForm = { bound, c throws(CEmitError) in
        if bound.anyOptionGiven { throw CEmitError("emit-c: pmq stat --json has no C form here", at: bound.location) }
        guard case .symbol(let queue)? = bound.value("NAME"), c.handles[queue.name] == .posixQueue, let path = c.posixPaths[queue.name] else {
            throw CEmitError("emit-c: pmq stat names a queue the script did not make before it", at: bound.location)
        }
        let attributes = c.temporary("attr")
        c.line("struct mq_attr \(attributes);")
        c.check("mq_getattr(\(queue.name), &\(attributes)) == -1", "mq_getattr")
        c.say(HelpText.pad("name:", 10) + "%s", [path])
        c.say(HelpText.pad("maxmsg:", 10) + "%ld", ["\(attributes).mq_maxmsg"])
        c.say(HelpText.pad("msgsize:", 10) + "%ld bytes", ["\(attributes).mq_msgsize"])
        c.say(HelpText.pad("curmsgs:", 10) + "%ld waiting", ["\(attributes).mq_curmsgs"])
    }

    /// pmq rm in C: mq_unlink.
    static let rmC: CForm = { bound, c throws(CEmitError) in
        let path = try pathC(bound, c)
        c.include("mqueue.h")
        c.check("mq_unlink(\(path)) == -1", "mq_unlink")
        c.say("removed %s", [path])
        c.createdPosixQueues.removeAll { $0.path == path }
    }

    static let create = CommandSpec(
        "pmq create", summary: "mq_open with O_CREAT: make a POSIX message queue, or open the one with this name",
        arguments: [ArgumentSpec("NAME", .posixName(.pmq, orHandle: false))],
        options: [
            OptionSpec("--maxmsg", .count, valueName: "N", summary: "the most messages it holds (default: the system's, 10)"),
            OptionSpec("--msgsize", .size, valueName: "N", summary: "the largest message (default: the system's, 8192)"),
            OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)"),
            OptionSpec("--excl", summary: "fail with EEXIST if the name is taken (O_EXCL)"),
        ],
        example: "q = pmq create /orders --maxmsg 5",
        discussion: "The queue outlives the shell until pmq rm (mq_unlink). An unprivileged process may ask for at most /proc/sys/fs/mqueue/msg_max messages of msgsize_max bytes.",
        cForm: createC
    ) { ctx in
        let path = ctx.string("NAME") ?? ""
        try PosixNames.check(path, for: "pmq create")
        let maxmsg = ctx.integer("--maxmsg"), msgsize = ctx.integer("--msgsize")
        let limits = POSIXMessageQueues.limits()
        if getuid() != 0 {
            if let maxmsg, let limit = limits.maximumMessages, maxmsg > limit {
                throw ctx.failure("pmq create: --maxmsg \(maxmsg) is above the system's limit of \(limit) (/proc/sys/fs/mqueue/msg_max)")
            }
            if let msgsize, let limit = limits.messageSize, msgsize > limit {
                throw ctx.failure("pmq create: --msgsize \(msgsize) is above the system's limit of \(limit) (/proc/sys/fs/mqueue/msgsize_max)")
            }
        }
        if maxmsg == 0 || msgsize == 0 { throw ctx.failure("pmq create: --maxmsg and --msgsize must be at least 1") }
        let mode = ctx.integer("--mode") ?? 0o600
        let (mqd, created) = try CreateOrOpen.run(exclusive: ctx.flag("--excl"),
            create: { () throws(SystemCallError) in
                try POSIXMessageQueues.open(path, flags: O_RDWR | O_CREAT | O_EXCL, mode: mode, maximumMessages: maxmsg, messageSize: msgsize)
            },
            open: { () throws(SystemCallError) in try POSIXMessageQueues.open(path, flags: O_RDWR, mode: 0, maximumMessages: nil, messageSize: nil) })
        let attributes = try POSIXMessageQueues.attributes(mqd)
        let handle = PosixQueueHandle(name: "", path: path, mqd: mqd, createdHere: created)
        return ctx.made(handle) { _ in
            (created ? "created \(path)" : "\(path) already existed: opened it")
                + " (mqd \(mqd), \(attributes.maximumMessages) messages of \(attributes.messageSize) bytes at most, \(attributes.currentMessages) waiting)"
        }
    }

    static let open = CommandSpec(
        "pmq open", summary: "mq_open an existing POSIX message queue",
        arguments: [ArgumentSpec("NAME", .posixName(.pmq, orHandle: false))],
        example: "q = pmq open /orders"
    ) { ctx in
        let path = ctx.string("NAME") ?? ""
        try PosixNames.check(path, for: "pmq open")
        let mqd = try POSIXMessageQueues.open(path, flags: O_RDWR, mode: 0, maximumMessages: nil, messageSize: nil)
        let attributes = try POSIXMessageQueues.attributes(mqd)
        let handle = PosixQueueHandle(name: "", path: path, mqd: mqd, createdHere: false)
        return ctx.made(handle) { _ in "opened \(path) (mqd \(mqd), \(attributes.currentMessages) waiting)" }
    }

    static func queue(_ ctx: borrowing CommandContext) throws(Diagnostic) -> (PosixQueueHandle, Int32)? {
        guard let queue = ctx.handle("NAME", as: PosixQueueHandle.self) else { return nil }
        guard let mqd = queue.mqd else { throw ctx.failure("\(ctx.spec.name): \(queue.name) is closed") }
        return (queue, mqd)
    }

    static let send = CommandSpec(
        "pmq send", summary: "mq_send: add a message with a priority (higher ones are received first)",
        arguments: [ArgumentSpec("NAME", .handle([.pmq])), ArgumentSpec("DATA", .dataOrMembers, optional: true, variadic: true)],
        options: [
            OptionSpec("--prio", .count, valueName: "P", summary: "the priority, 0 (default) to 32767"),
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "the body is one C struct: DATA is MEMBER=VALUE words"),
            OptionSpec("--nonblock", summary: "fail with EAGAIN instead of waiting when the queue is full"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "mq_timedsend: give up after D"),
        ],
        example: "pmq send q \"urgent\" --prio 9",
        cForm: sendC
    ) { ctx in
        guard let (queue, mqd) = try queue(ctx) else { return .none }
        let priority = ctx.integer("--prio") ?? 0
        guard priority <= 32767 else { throw ctx.failure("pmq send: --prio \(priority) is above 32767 (MQ_PRIO_MAX - 1)") }
        let body = try DataCommands.messageBody(ctx, quoted: "pmq send NAME \"two words\"")
        let nonblock = ctx.flag("--nonblock")
        if nonblock { try Descriptors.setNonBlocking(mqd, true) }
        defer { if nonblock { try? Descriptors.setNonBlocking(mqd, false) } }
        let timeout = ctx.integer("--timeout")
        try MessageQueueCommands.blocking(ctx, timedOut: { "\(queue.name) stayed full for \($0)" }) { () throws(SystemCallError) in
            do throws(SystemCallError) {
                try POSIXMessageQueues.send(mqd, body, priority: UInt32(priority), timeoutMilliseconds: timeout)
            } catch {
                if error.errno == ETIMEDOUT { return false }
                throw error
            }
            return true
        }.orTimeout(ctx, timeout) { "\(queue.name) stayed full for \($0)" }
        return .none
    }

    static let recv = CommandSpec(
        "pmq recv", summary: "mq_receive: take the oldest message of the highest priority",
        arguments: [ArgumentSpec("NAME", .handle([.pmq]))],
        options: [
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "decode the body as one C struct"),
            OptionSpec("--nonblock", summary: "fail with EAGAIN instead of waiting for a message"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "mq_timedreceive: give up after D"),
        ],
        example: "m = pmq recv q",
        discussion: "Prints prio P: DATA; bound (m = pmq recv q), $m.prio and $m.data. An empty queue makes mq_receive wait; Ctrl-C or --timeout ends the wait.",
        cForm: recvC
    ) { ctx in
        guard let (queue, mqd) = try queue(ctx) else { return .none }
        let layout = try DataCommands.structLayout(ctx)
        let size = try POSIXMessageQueues.attributes(mqd).messageSize
        let nonblock = ctx.flag("--nonblock")
        if nonblock { try Descriptors.setNonBlocking(mqd, true) }
        defer { if nonblock { try? Descriptors.setNonBlocking(mqd, false) } }
        let timeout = ctx.integer("--timeout")
        var message: (priority: UInt32, body: [UInt8])?
        try MessageQueueCommands.blocking(ctx, timedOut: { "no message came to \(queue.name) within \($0)" }) { () throws(SystemCallError) in
            do throws(SystemCallError) {
                message = try POSIXMessageQueues.receive(mqd, maximumSize: size, timeoutMilliseconds: timeout)
            } catch {
                if error.errno == ETIMEDOUT { return false }
                throw error
            }
            return true
        }.orTimeout(ctx, timeout) { "no message came to \(queue.name) within \($0)" }
        guard let message else { return .none }
        let prio = String(message.priority)
        return try DataCommands.receivedMessage(message.body, label: "prio \(prio)", field: ("prio", prio), layout: layout,
                                                trimmingNULs: false, ctx, what: "the message")
    }

    static let stat = CommandSpec(
        "pmq stat", summary: "mq_getattr: the queue's limits and how many messages wait",
        arguments: [ArgumentSpec("NAME", .handle([.pmq]))],
        options: [OptionSpec("--json", summary: "one JSON document: name, maxmsg, msgsize (bytes), curmsgs, nonblock, numbers typed")],
        example: "pmq stat q",
        cForm: statC
    ) { ctx in
        guard let (queue, mqd) = try queue(ctx) else { return .none }
        let a = try POSIXMessageQueues.attributes(mqd)
        if ctx.flag("--json") {
            return JSON.object([("name", .string(queue.path)), ("maxmsg", .integer(a.maximumMessages)), ("msgsize", .integer(a.messageSize)),
                                ("curmsgs", .integer(a.currentMessages)), ("nonblock", .bool(a.nonBlocking))]).result
        }
        for (name, value) in [("name", queue.path), ("maxmsg", String(a.maximumMessages)), ("msgsize", "\(a.messageSize) bytes"),
                              ("curmsgs", "\(a.currentMessages) waiting")] {
            ctx.output.line(HelpText.pad(name + ":", 10) + value)
        }
        return .none
    }

    static let rm = CommandSpec(
        "pmq rm", summary: "mq_unlink: remove a queue's name (it goes when the last descriptor closes)",
        arguments: [ArgumentSpec("NAME", .posixName(.pmq, orHandle: true))],
        example: "pmq rm /orders",
        cForm: rmC
    ) { ctx in
        let given = ctx.string("NAME") ?? ""
        let handle = ctx.session.handle(named: given) as? PosixQueueHandle
        let path = handle?.path ?? given
        try PosixNames.check(path, for: "pmq rm")
        try POSIXMessageQueues.unlink(path)
        for case let queue as PosixQueueHandle in ctx.session.handles(of: .pmq) where queue.path == path { queue.unlinked = true }
        ctx.output.info("removed \(path)")
        return .none
    }

    static let ls = CommandSpec(
        "pmq ls", summary: "the POSIX message queues on the system (/dev/mqueue); * marks this session's",
        example: "pmq ls",
        discussion: "Linux shows the queues as files in an mqueue file system, usually mounted on /dev/mqueue. When it is not, a root shell mounts it; otherwise pmq ls says how."
    ) { ctx in
        if !FileSystem.isMounted("/dev/mqueue", type: "mqueue") {
            guard getuid() == 0 else {
                throw ctx.failure("pmq ls: /dev/mqueue is not mounted, so the queues cannot be listed",
                                  hint: "mount it: sudo mkdir -p /dev/mqueue && sudo mount -t mqueue none /dev/mqueue")
            }
            try FileSystem.mountMessageQueues(at: "/dev/mqueue")
            ctx.output.info("mounted the mqueue file system on /dev/mqueue (to list the queues)")
        }
        let mine = Dictionary(ctx.session.handles(of: .pmq).compactMap { ($0 as? PosixQueueHandle).map { ($0.path, $0.name) } },
                              uniquingKeysWith: { a, b in a + "," + b })
        ctx.output.line("  name                              bytes     handle")
        for entry in try FileSystem.directoryEntries("/dev/mqueue").sorted() {
            let path = "/" + entry
            let info = (try? FileSystem.readWholeFile("/dev/mqueue/" + entry)) ?? ""
            var row = (mine[path] != nil ? "* " : "  ") + HelpText.pad(path, 32) + "  " + HelpText.pad(messages(in: info), 8) + "  " + (mine[path] ?? "")
            while row.hasSuffix(" ") { row.removeLast() }
            ctx.output.line(row)
        }
        return .none
    }

    /// `/dev/mqueue/NAME` reads `QSIZE:5 NOTIFY:0 ...`: QSIZE is the bytes waiting; the count of
    /// messages is not shown there, so the column shows the bytes.
    static func messages(in info: String) -> String {
        for field in info.split(whereSeparator: { $0 == " " || $0 == "\n" }) where field.hasPrefix("QSIZE:") {
            return String(field.dropFirst(6)) + "B"
        }
        return "?"
    }
}

extension Bool {
    /// A blocking call that returned false timed out (`mq_timedsend`'s ETIMEDOUT): say so.
    func orTimeout(_ ctx: borrowing CommandContext, _ timeout: Int?, _ timedOut: (String) -> String) throws(Diagnostic) {
        if !self { throw ctx.failure("\(ctx.spec.name): " + timedOut(Durations.describe(timeout ?? 0))) }
    }
}
