@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `psem create|open|wait|post|value|rm`: POSIX named semaphores.
enum PosixSemaphoreCommands {
    static let all: [CommandSpec] = [create, open, wait, post, value, rm]

    static let hints: [SystemCallHint] = [
        SystemCallHint("sem_open", ENOENT) { "no semaphore has that name: psem create /NAME makes one" },
        SystemCallHint("sem_open", EEXIST) { "a semaphore with that name exists (--excl refuses it): psem open /NAME uses it" },
        SystemCallHint("sem_trywait", EAGAIN) { "the value is 0 and --nonblock does not wait: post first, or wait without --nonblock" },
        SystemCallHint("sem_post", EOVERFLOW) { "the value is at its maximum (SEM_VALUE_MAX)" },
        SystemCallHint("sem_unlink", ENOENT) { "no semaphore has that name" },
    ]

    static let create = CommandSpec(
        "psem create", summary: "sem_open with O_CREAT: make a named semaphore at VALUE, or open the one with this name",
        arguments: [ArgumentSpec("NAME", .posixName(.psem, orHandle: false)), ArgumentSpec("VALUE", .count, optional: true)],
        options: [
            OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)"),
            OptionSpec("--excl", summary: "fail with EEXIST if the name is taken (O_EXCL)"),
        ],
        example: "lock = psem create /lock 1",
        discussion: "VALUE (default 0) applies only when this call creates it. The name outlives the shell until psem rm (sem_unlink)."
    ) { ctx in
        let path = ctx.string("NAME") ?? ""
        try PosixNames.check(path, for: "psem create")
        let value = ctx.integer("VALUE") ?? 0
        guard value <= Int(Int32.max) else { throw ctx.failure("psem create: VALUE \(value) is above SEM_VALUE_MAX (\(Int32.max))") }
        let mode = ctx.integer("--mode") ?? 0o600
        let (semaphore, created) = try CreateOrOpen.run(exclusive: ctx.flag("--excl"),
            create: { () throws(SystemCallError) in try POSIXSemaphores.open(path, flags: O_CREAT | O_EXCL, mode: mode, value: value) },
            open: { () throws(SystemCallError) in try POSIXSemaphores.open(path, flags: 0, mode: 0, value: 0) })
        let handle = PosixSemaphoreHandle(name: "", path: path, semaphore: semaphore, createdHere: created)
        let now = try POSIXSemaphores.value(semaphore)
        return ctx.made(handle) { _ in created ? "created \(path) at \(value)" : "\(path) already existed: opened it (value \(now))" }
    }

    static let open = CommandSpec(
        "psem open", summary: "sem_open an existing named semaphore",
        arguments: [ArgumentSpec("NAME", .posixName(.psem, orHandle: false))],
        example: "lock = psem open /lock"
    ) { ctx in
        let path = ctx.string("NAME") ?? ""
        try PosixNames.check(path, for: "psem open")
        let semaphore = try POSIXSemaphores.open(path, flags: 0, mode: 0, value: 0)
        let handle = PosixSemaphoreHandle(name: "", path: path, semaphore: semaphore, createdHere: false)
        return ctx.made(handle) { _ in "opened \(path) (value \((try? POSIXSemaphores.value(semaphore)) ?? 0))" }
    }

    static func semaphore(_ ctx: borrowing CommandContext) throws(Diagnostic) -> UnsafeMutableRawPointer? {
        guard let handle = ctx.handle("NAME", as: PosixSemaphoreHandle.self) else { return nil }
        guard let semaphore = handle.semaphore else { throw ctx.failure("\(ctx.spec.name): \(handle.name) is closed") }
        return semaphore
    }

    static let wait = CommandSpec(
        "psem wait", summary: "sem_wait: take one, waiting while the value is 0",
        arguments: [ArgumentSpec("NAME", .handle([.psem]))],
        options: [
            OptionSpec("--nonblock", summary: "sem_trywait: fail with EAGAIN instead of waiting"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "sem_timedwait: give up after D"),
        ],
        example: "psem wait lock --timeout 2s"
    ) { ctx in
        guard let semaphore = try semaphore(ctx) else { return .none }
        let name = ctx.handle("NAME", as: PosixSemaphoreHandle.self)?.name ?? "it"
        if ctx.flag("--nonblock") {
            try POSIXSemaphores.wait(semaphore, .tryWait)
            return .none
        }
        let timeout = ctx.integer("--timeout")
        try MessageQueueCommands.blocking(ctx, timedOut: { "\(name) stayed at 0 for \($0)" }) { () throws(SystemCallError) in
            do throws(SystemCallError) {
                try POSIXSemaphores.wait(semaphore, timeout.map { .timed(milliseconds: $0) } ?? .wait)
            } catch {
                if error.errno == ETIMEDOUT { return false }
                throw error
            }
            return true
        }.orTimeout(ctx, timeout) { "\(name) stayed at 0 for \($0)" }
        return .none
    }

    static let post = CommandSpec(
        "psem post", summary: "sem_post: give one back, waking a waiter",
        arguments: [ArgumentSpec("NAME", .handle([.psem]))],
        example: "psem post lock"
    ) { ctx in
        guard let semaphore = try semaphore(ctx) else { return .none }
        try POSIXSemaphores.post(semaphore)
        return .none
    }

    static let value = CommandSpec(
        "psem value", summary: "sem_getvalue: the semaphore's value",
        arguments: [ArgumentSpec("NAME", .handle([.psem]))],
        example: "v = psem value lock"
    ) { ctx in
        guard let semaphore = try semaphore(ctx) else { return .none }
        return .value(Array(String(try POSIXSemaphores.value(semaphore)).utf8))
    }

    static let rm = CommandSpec(
        "psem rm", summary: "sem_unlink: remove a semaphore's name (it goes when no process has it open)",
        arguments: [ArgumentSpec("NAME", .posixName(.psem, orHandle: true))],
        example: "psem rm /lock"
    ) { ctx in
        let given = ctx.string("NAME") ?? ""
        let path = (ctx.session.handle(named: given) as? PosixSemaphoreHandle)?.path ?? given
        try PosixNames.check(path, for: "psem rm")
        try POSIXSemaphores.unlink(path)
        for case let semaphore as PosixSemaphoreHandle in ctx.session.handles(of: .psem) where semaphore.path == path { semaphore.unlinked = true }
        ctx.output.info("removed \(path)")
        return .none
    }
}
