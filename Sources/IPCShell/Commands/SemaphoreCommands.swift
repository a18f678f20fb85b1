@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `sem create|open|op|wait|post|set|get|stat|rm|ls`: System V semaphore sets.
enum SemaphoreCommands {
    static let all: [CommandSpec] = [create, open, op, wait, post, set, get, stat, rm, ls]

    /// What to try next when a semaphore call fails.
    static let hints: [SystemCallHint] = [
        SystemCallHint("semget", ENOENT) { "no semaphore set has that key: sem create KEY NSEMS makes one (sem ls shows what exists)" },
        SystemCallHint("semget", EEXIST) { "a set with that key exists (--excl refuses it): sem open KEY uses it" },
        SystemCallHint("semget", EINVAL) { "NSEMS is above the kernel's limit (kernel.sem, SEMMSL), or above the existing set's size" },
        SystemCallHint("semget", ENOSPC) { "the kernel's table of semaphores is full (kernel.sem): remove unused sets (sem ls)" },
        SystemCallHint("semop", EAGAIN) { "the operation would wait, and --nowait asks it not to" },
        SystemCallHint("semop", EIDRM) { "the set was removed while this operation waited" },
        SystemCallHint("semop", ERANGE) { "a value would go above the kernel's maximum (SEMVMX, 32767)" },
        SystemCallHint("semop", EFBIG) { "no semaphore has that number in the set (they count from 0)" },
        SystemCallHint("semop", EINVAL) { "the set is gone: someone removed it (sem ls shows what exists)" },
        SystemCallHint("semtimedop", EIDRM) { "the set was removed while this operation waited" },
        SystemCallHint("semtimedop", ERANGE) { "a value would go above the kernel's maximum (SEMVMX, 32767)" },
        SystemCallHint("semctl", EINVAL) { "the set is gone: someone removed it (sem ls shows what exists)" },
        SystemCallHint("semctl", ERANGE) { "the value is above the kernel's maximum (SEMVMX, 32767)" },
        SystemCallHint("semctl", EPERM) { "only the set's owner or creator (or root) can do that" },
    ]

    // MARK: C forms (emit-c)

    static let semunDeclaration = """
        /* semctl's fourth argument: the caller defines it (man 2 semctl). */
        union semun { int val; struct semid_ds *buf; unsigned short *array; };
        """

    /// sem create in C: as the shell, semget(IPC_CREAT | IPC_EXCL), or else the set the key
    /// names; SETALL for a new set; IPC_STAT for the line it prints.
    static let createC: CForm = { bound, c throws(CEmitError) in
        if bound.optionGiven("--mode") { throw CEmitError("emit-c: sem create --mode has no C form here", at: bound.location) }
        guard let count = bound.integer("NSEMS") else {
            throw CEmitError("emit-c: sem create's NSEMS has no C form here (a literal one has)", at: bound.location)
        }
        let value = bound.integer("--value") ?? 0
        let (keyC, keyText, keyArguments) = try c.key(bound, "KEY")
        let name = c.name("sem", binding: bound.binding)
        c.handles[name] = .semaphores
        c.include("sys/ipc.h", "sys/sem.h", "errno.h")
        c.declare(fileScope: semunDeclaration)
        if c.isTopLevel { c.createdSemaphoreSets.append(name) }
        c.global("int", "\(name)_id")
        c.global("struct semid_ds", "\(name)_ds")
        c.createOrOpen(name, variable: "\(name)_id", create: "semget(\(keyC), \(count), IPC_CREAT | IPC_EXCL | 0600)",
                       orElse: bound.flag("--excl") ? nil : "semget(\(keyC), 0, 0)", failed: "\(name)_id == -1", call: "semget")
        c.open("if (\(name)_created)")
        c.line("unsigned short values[\(count)];")
        c.line("for (int k = 0; k < \(count); k++) values[k] = \(value);")
        c.check("semctl(\(name)_id, 0, SETALL, (union semun){ .array = values }) == -1", "semctl")
        c.close()
        c.check("semctl(\(name)_id, 0, IPC_STAT, (union semun){ .buf = &\(name)_ds }) == -1", "semctl")
        let counted = ["(int)\(name)_ds.sem_nsems", "\(name)_ds.sem_nsems == 1 ? \"\" : \"s\""]
        c.sayMade(name, created: ("\(name): created semaphore set key \(keyText), semid %d, %d semaphore%s at \(value)", keyArguments + ["\(name)_id"] + counted),
                  existed: ("\(name): key \(keyText) already existed: opened semid %d, %d semaphore%s (values kept)", keyArguments + ["\(name)_id"] + counted))
    }

    /// sem wait / sem post in C: one semop of N-1 or N+1.
    static func operationC(_ change: Int) -> CForm {
        { bound, c throws(CEmitError) in
            if bound.optionGiven("--timeout") {
                throw CEmitError("emit-c: \(bound.spec.name) --timeout has no C form here", at: bound.location)
            }
            let set = try c.handle(bound, "NAME", .semaphores)
            let number = try c.integer(bound, "N") ?? "0"
            var flags: [String] = []
            if bound.flag("--undo") { flags.append("SEM_UNDO") }
            if bound.flag("--nowait") { flags.append("IPC_NOWAIT") }
            c.check("semop(\(set.name)_id, &(struct sembuf){ \(number), \(change), \(flags.isEmpty ? "0" : flags.joined(separator: " | ")) }, 1) == -1", "semop")
        }
    }

    /// sem set in C: semctl(SETVAL).
    static let setC: CForm = { bound, c throws(CEmitError) in
        let set = try c.handle(bound, "NAME", .semaphores)
        guard let number = try c.integer(bound, "N"), let value = try c.integer(bound, "VALUE") else { return }
        c.check("semctl(\(set.name)_id, \(number), SETVAL, (union semun){ .val = \(value) }) == -1", "semctl")
    }

    /// sem get in C: semctl(GETVAL) of one, or GETALL printed (or kept) as the shell shows it.
    static let getC: CForm = { bound, c throws(CEmitError) in
        let set = try c.handle(bound, "NAME", .semaphores)
        let variable = try bound.binding.map { name throws(CEmitError) in try c.variableName(name, bound) }
        if let number = try c.integer(bound, "N") {
            let value = variable ?? c.temporary("value")
            c.line("int \(value) = semctl(\(set.name)_id, \(number), GETVAL);")
            c.check("\(value) == -1", "semctl")
            if let variable {
                c.declare(variable, CVariable(format: "%d", argument: variable, integer: variable, assignable: false))
            } else {
                c.say("%d", [value])
            }
            return
        }
        let values = c.temporary("values"), text = variable ?? c.temporary("line")
        c.line("unsigned short \(values)[\(set.name)_ds.sem_nsems];")
        c.check("semctl(\(set.name)_id, 0, GETALL, (union semun){ .array = \(values) }) == -1", "semctl")
        c.line("char \(text)[\(set.name)_ds.sem_nsems * 6 + 1];")
        c.line("\(text)[0] = '\\0';")
        c.line("for (unsigned long k = 0; k < \(set.name)_ds.sem_nsems; k++) sprintf(\(text) + strlen(\(text)), k ? \" %d\" : \"%d\", \(values)[k]);")
        c.include("string.h")
        if let variable {
            c.declare(variable, CVariable(format: "%s", argument: variable, integer: nil, assignable: false))
        } else {
            c.say("%s", [text])
        }
    }

    /// sem rm in C: semctl(IPC_RMID).
    static let rmC: CForm = { bound, c throws(CEmitError) in
        let set = try c.handle(bound, "NAME|KEY", .semaphores)
        c.check("semctl(\(set.name)_id, 0, IPC_RMID) == -1", "semctl")
        c.say("\(set.name): removed")
        c.createdSemaphoreSets.removeAll { $0 == set.name }
        c.closed(set.name)
    }

    static let create = CommandSpec(
        "sem create", summary: "semget with IPC_CREAT: make a set of NSEMS semaphores (SETALL to --value), or find it",
        arguments: [ArgumentSpec("KEY", .key), ArgumentSpec("NSEMS", .count)],
        options: [
            OptionSpec("--value", .count, valueName: "V", summary: "the value every semaphore starts at (default 0)"),
            OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)"),
            OptionSpec("--excl", summary: "fail with EEXIST if the key is taken (IPC_EXCL)"),
        ],
        example: "s = sem create 3306 2 --value 1",
        discussion: "A set this command creates gets its values with semctl(SETALL) right after semget, as C programs do (a new set's values are 0). A set that already existed keeps its values. The set outlives the shell until sem rm (or ipcrm -s).",
        cForm: createC
    ) { ctx in
        let key = try ctx.key("KEY") ?? IPC_PRIVATE
        let count = ctx.integer("NSEMS") ?? 0
        let value = ctx.integer("--value") ?? 0
        let mode = Int32(ctx.integer("--mode") ?? 0o600)
        guard count >= 1 else { throw ctx.failure("sem create: NSEMS must be at least 1", hint: ctx.usageHint) }
        guard count <= 32000 else { throw ctx.failure("sem create: NSEMS \(count) is above the kernel's limit (SEMMSL, 32000 at most)") }
        guard value <= SemaphoreSets.maximumValue else {
            throw ctx.failure("sem create: --value \(value) is above the kernel's maximum semaphore value (SEMVMX, \(SemaphoreSets.maximumValue))")
        }
        let (id, created) = try CreateOrOpen.run(exclusive: ctx.flag("--excl"),
            create: { () throws(SystemCallError) in try SemaphoreSets.get(key: key, count: count, flags: IPC_CREAT | IPC_EXCL | mode) },
            open: { () throws(SystemCallError) in try SemaphoreSets.get(key: key, count: 0, flags: 0) })
        if created {
            do {
                try SemaphoreSets.setAll(id: id, Array(repeating: value, count: count))
            } catch {
                // A set that cannot be given its values is not left behind half made.
                try? SemaphoreSets.remove(id: id)
                throw error
            }
        }
        let status = try SemaphoreSets.status(id: id)
        let handle = SemaphoreSetHandle(name: "", key: key, id: id, count: status.count, mode: status.mode, createdHere: created)
        let result = ctx.made(handle) { _ in
            created ? "created semaphore set key \(handle.keyText), semid \(id), \(status.count) semaphore\(status.count == 1 ? "" : "s") at \(value)"
                    : "key \(handle.keyText) already existed: opened semid \(id), \(status.count) semaphore\(status.count == 1 ? "" : "s") (values kept)"
        }
        if created { ctx.session.noteCreated(.semaphores(id: id, key: key, count: status.count), name: handle.name) }
        return result
    }

    static let open = CommandSpec(
        "sem open", summary: "semget an existing semaphore set by key",
        arguments: [ArgumentSpec("KEY", .key)],
        example: "s = sem open 3306"
    ) { ctx in
        let key = try ctx.key("KEY") ?? IPC_PRIVATE
        guard key != IPC_PRIVATE else {
            throw ctx.failure("sem open: a private set has no key to open it by", hint: "use sem create private NSEMS")
        }
        let id = try SemaphoreSets.get(key: key, count: 0, flags: 0)
        let status = try SemaphoreSets.status(id: id)
        let handle = SemaphoreSetHandle(name: "", key: key, id: id, count: status.count, mode: status.mode, createdHere: false)
        return ctx.made(handle) { _ in
            "opened semaphore set key \(handle.keyText), semid \(id), \(status.count) semaphore\(status.count == 1 ? "" : "s")"
        }
    }

    /// The set an argument names, refused once removed.
    static func semaphores(_ ctx: borrowing CommandContext) throws(Diagnostic) -> SemaphoreSetHandle? {
        guard let set = ctx.handle("NAME", as: SemaphoreSetHandle.self) else { return nil }
        if set.removed { throw ctx.failure("\(ctx.spec.name): \(set.name) was removed (sem rm)") }
        return set
    }

    static let operationOptions = [
        OptionSpec("--nowait", summary: "IPC_NOWAIT: fail with EAGAIN instead of waiting"),
        OptionSpec("--undo", summary: "SEM_UNDO: the kernel undoes this operation when the process exits"),
        OptionSpec("--timeout", .duration, valueName: "D", summary: "semtimedop: give up after D"),
    ]

    /// `N-V`, `N+V`, `N=0` → one operation.
    static func parseOperation(_ text: String, in set: SemaphoreSetHandle, flags: Int32,
                               _ ctx: borrowing CommandContext) throws(Diagnostic) -> SemaphoreSets.Operation {
        let shown = Escaping.display(Array(text.utf8))
        guard let signIndex = text.firstIndex(where: { $0 == "-" || $0 == "+" || $0 == "=" }),
              let number = Literals.integer(String(text[..<signIndex])),
              let amount = Literals.integer(String(text[text.index(after: signIndex)...])), amount >= 0 else {
            throw ctx.failure("\(ctx.spec.name): '\(shown)' is not an operation",
                              hint: "N-V takes V from semaphore N (waiting while it would go below 0), N+V adds V, N=0 waits until N is 0: sem op s 0-1 1+1")
        }
        guard number >= 0, number < set.count else {
            throw ctx.failure("\(ctx.spec.name): \(set.name) has no semaphore \(number) (it has \(set.count): 0 to \(set.count - 1))")
        }
        let sign = text[signIndex]
        if sign == "=" {
            guard amount == 0 else { throw ctx.failure("\(ctx.spec.name): '\(shown)': only N=0 (wait until N is 0) exists") }
            return SemaphoreSets.Operation(number: number, change: 0, flags: flags)
        }
        guard amount <= SemaphoreSets.maximumValue else {
            throw ctx.failure("\(ctx.spec.name): '\(shown)': \(amount) is above the kernel's maximum semaphore value (SEMVMX, \(SemaphoreSets.maximumValue))")
        }
        guard amount > 0 else { throw ctx.failure("\(ctx.spec.name): '\(shown)' changes nothing: write N=0 to wait for zero") }
        return SemaphoreSets.Operation(number: number, change: sign == "-" ? -amount : amount, flags: flags)
    }

    /// Runs one semop of `operations`, honouring --nowait, --undo and --timeout; Ctrl-C ends a wait.
    static func perform(_ set: SemaphoreSetHandle, _ texts: [String], _ ctx: borrowing CommandContext) throws {
        var flags: Int32 = 0
        if ctx.flag("--nowait") { flags |= Int32(IPC_NOWAIT) }
        if ctx.flag("--undo") { flags |= Int32(SEM_UNDO) }
        var operations: [SemaphoreSets.Operation] = []
        for text in texts { operations.append(try parseOperation(text, in: set, flags: flags, ctx)) }
        guard !operations.isEmpty else { throw ctx.failure("\(ctx.spec.name): missing OP", hint: ctx.usageHint) }
        ctx.output.flush()
        let timeout = ctx.integer("--timeout")
        let deadline = timeout.map { Clock.monotonicNanoseconds() + UInt64($0) * 1_000_000 }
        let waited = "\(set.name) did not allow \(texts.joined(separator: " ")) within \(Durations.describe(timeout ?? 0))"
        let done: Void?
        do throws(SystemCallError) {
            // semop cannot be polled: a timer interrupts it so that Ctrl-C is seen (Signals.blockingCall);
            // with --timeout, semtimedop waits at most what is left.
            done = try Signals.blockingCall(timeoutMilliseconds: timeout) { () throws(SystemCallError) in
                let left = deadline.map { d -> Int in
                    let now = Clock.monotonicNanoseconds()
                    return now >= d ? 0 : Int((d - now) / 1_000_000)
                }
                try SemaphoreSets.operate(id: set.id, operations, timeoutMilliseconds: left)
            }
        } catch {
            if error.wasInterrupted && Signals.interruptPending { throw ControlFlow.interrupted }
            if error.errno == EAGAIN && timeout != nil && !ctx.flag("--nowait") { throw ctx.failure("\(ctx.spec.name): \(waited)") }
            throw error
        }
        if done == nil { throw ctx.failure("\(ctx.spec.name): \(waited)") }
    }

    static let op = CommandSpec(
        "sem op", summary: "one atomic semop of every OP: N-V (take V, waiting), N+V (give V), N=0 (wait for zero)",
        arguments: [ArgumentSpec("NAME", .handle([.sem])), ArgumentSpec("OP", .text, variadic: true, about: "an operation: N-V (take V from semaphore N), N+V (give V), N=0 (wait for zero)")],
        options: operationOptions,
        example: "sem op s 0-1 1+1",
        discussion: "All the OPs happen at once or not at all: the kernel waits until every one can be done. A wait is ended by Ctrl-C or --timeout; with --undo the kernel reverses the operation when this process exits (a lock taken by a process that dies comes back)."
    ) { ctx in
        guard let set = try semaphores(ctx) else { return .none }
        try perform(set, ctx.restStrings, ctx)
        return .none
    }

    static let wait = CommandSpec(
        "sem wait", summary: "P: sem op NAME N-1 (take one, waiting while it is 0)",
        arguments: [ArgumentSpec("NAME", .handle([.sem])), ArgumentSpec("N", .count, optional: true)],
        options: operationOptions,
        example: "sem wait s 0 --undo",
        cForm: operationC(-1)
    ) { ctx in
        guard let set = try semaphores(ctx) else { return .none }
        try perform(set, ["\(ctx.integer("N") ?? 0)-1"], ctx)
        return .none
    }

    static let post = CommandSpec(
        "sem post", summary: "V: sem op NAME N+1 (give one back, waking a waiter)",
        arguments: [ArgumentSpec("NAME", .handle([.sem])), ArgumentSpec("N", .count, optional: true)],
        options: operationOptions,
        example: "sem post s 0",
        cForm: operationC(1)
    ) { ctx in
        guard let set = try semaphores(ctx) else { return .none }
        try perform(set, ["\(ctx.integer("N") ?? 0)+1"], ctx)
        return .none
    }

    static let set = CommandSpec(
        "sem set", summary: "semctl(SETVAL): set semaphore N to VALUE",
        arguments: [ArgumentSpec("NAME", .handle([.sem])), ArgumentSpec("N", .count), ArgumentSpec("VALUE", .count)],
        example: "sem set s 0 1",
        cForm: setC
    ) { ctx in
        guard let set = try semaphores(ctx) else { return .none }
        let number = ctx.integer("N") ?? 0
        let value = ctx.integer("VALUE") ?? 0
        guard number < set.count else {
            throw ctx.failure("sem set: \(set.name) has no semaphore \(number) (it has \(set.count): 0 to \(set.count - 1))")
        }
        guard value <= SemaphoreSets.maximumValue else {
            throw ctx.failure("sem set: \(value) is above the kernel's maximum semaphore value (SEMVMX, \(SemaphoreSets.maximumValue))")
        }
        try SemaphoreSets.setValue(id: set.id, number: number, value)
        return .none
    }

    static let get = CommandSpec(
        "sem get", summary: "semctl(GETVAL) of semaphore N, or every value (GETALL)",
        arguments: [ArgumentSpec("NAME", .handle([.sem])), ArgumentSpec("N", .count, optional: true)],
        example: "v = sem get s 0",
        discussion: "Without N, prints every value in order, separated by spaces.",
        cForm: getC
    ) { ctx in
        guard let set = try semaphores(ctx) else { return .none }
        if let number = ctx.integer("N") {
            guard number < set.count else {
                throw ctx.failure("sem get: \(set.name) has no semaphore \(number) (it has \(set.count): 0 to \(set.count - 1))")
            }
            return .value(Array(String(try SemaphoreSets.value(id: set.id, number: number)).utf8))
        }
        let values = try SemaphoreSets.values(id: set.id, count: set.count)
        return .value(Array(values.map(String.init).joined(separator: " ").utf8))
    }

    static let stat = CommandSpec(
        "sem stat", summary: "semctl(IPC_STAT) and each semaphore's value, semncnt, semzcnt and sempid",
        arguments: [ArgumentSpec("NAME", .handle([.sem]))],
        options: [OptionSpec("--json", summary: "one JSON document, values typed (times in ISO 8601 UTC, null for never)")],
        example: "sem stat s",
        discussion: "ncnt counts the processes waiting for the semaphore to grow (blocked in N-V), zcnt those waiting for it to be 0 (N=0); pid is the last process that operated on it."
    ) { ctx in
        guard let set = try semaphores(ctx) else { return .none }
        let s = try SemaphoreSets.status(id: set.id)
        if ctx.flag("--json") {
            let time = JSON.time
            let each = try SemaphoreSets.semaphores(id: set.id, count: s.count).map { sem -> JSON in
                .object([("value", .integer(sem.value)), ("ncnt", .integer(sem.waitingToDecrease)),
                         ("zcnt", .integer(sem.waitingForZero)), ("pid", sem.lastPID > 0 ? .integer(Int(sem.lastPID)) : .null)])
            }
            return JSON.object([
                ("key", .integer(Int(UInt32(bitPattern: s.key)))), ("semid", .integer(Int(s.id))), ("mode", .string(SyscallTrace.octalMode(s.mode))),
                ("uid", .integer(Int(s.ownerUID))), ("gid", .integer(Int(s.ownerGID))), ("cuid", .integer(Int(s.creatorUID))),
                ("nsems", .integer(s.count)), ("otime", time(s.operationTime)), ("ctime", time(s.changeTime)), ("semaphores", .array(each)),
            ]).result
        }
        let rows: [(String, String)] = [
            ("key", s.key == 0 ? "IPC_PRIVATE" : SyscallTrace.hexKey(s.key)),
            ("semid", String(s.id)),
            ("mode", SyscallTrace.octalMode(s.mode)),
            ("owner", "uid \(s.ownerUID) gid \(s.ownerGID)"),
            ("creator", "uid \(s.creatorUID)"),
            ("nsems", String(s.count)),
            ("operated", SharedMemoryCommands.formatTime(s.operationTime)),
            ("changed", SharedMemoryCommands.formatTime(s.changeTime)),
        ]
        for (name, value) in rows { ctx.output.line(HelpText.pad(name + ":", 10) + value) }
        for (number, semaphore) in try SemaphoreSets.semaphores(id: set.id, count: s.count).enumerated() {
            ctx.output.line("\(number): value \(semaphore.value)  ncnt \(semaphore.waitingToDecrease)  zcnt \(semaphore.waitingForZero)  pid \(semaphore.lastPID)")
        }
        return .none
    }

    static let rm = CommandSpec(
        "sem rm", summary: "semctl(IPC_RMID): remove a set (at once: waiting processes get EIDRM)",
        arguments: [ArgumentSpec("NAME|KEY", .handleOrKey([.sem]))],
        example: "sem rm s",
        cForm: rmC
    ) { ctx in
        if let set = ctx.handle("NAME|KEY", as: SemaphoreSetHandle.self) {
            if set.removed { throw ctx.failure("sem rm: \(set.name) was already removed") }
            try SemaphoreSets.remove(id: set.id)
            markRemoved(id: set.id, in: ctx.session)
            ctx.output.info("\(set.name): removed")
            return .none
        }
        let key = try ctx.key("NAME|KEY") ?? IPC_PRIVATE
        guard key != IPC_PRIVATE else {
            throw ctx.failure("sem rm: a private key names no single set", hint: "remove it by its handle name")
        }
        let id = try SemaphoreSets.get(key: key, count: 0, flags: 0)
        try SemaphoreSets.remove(id: id)
        markRemoved(id: id, in: ctx.session)
        ctx.output.info("removed semaphore set key \(SyscallTrace.hexKey(key)) (semid \(id))")
        return .none
    }

    static func markRemoved(id: Int32, in session: Session) {
        for case let set as SemaphoreSetHandle in session.handles(of: .sem) where set.id == id { set.removed = true }
    }

    static let ls = CommandSpec(
        "sem ls", summary: "every semaphore set on the system, like ipcs -s; * marks this session's",
        example: "sem ls"
    ) { ctx in
        for line in try SystemVListing.semaphoreLines(session: ctx.session) { ctx.output.line(line) }
        return .none
    }
}
