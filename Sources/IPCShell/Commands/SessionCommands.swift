import IPCSys

/// status, cleanup.
enum SessionCommands {
    static let all: [CommandSpec] = [status, cleanup, trace]

    static let trace = CommandSpec(
        "trace", summary: "print each system call a command makes, C-style, on stderr",
        arguments: [ArgumentSpec("MODE", .keyword(["on", "off"]), optional: true)],
        example: "trace on",
        discussion: "Lines look like shmget(0x00000cea, 1024, IPC_CREAT|0600) = 32769 or open(\"./fifo\", O_RDONLY) = -1 ENOENT (No such file or directory). They come from the system-call layer itself, so none is missed; a child's carry its [NAME PID] prefix. ipcsh --trace starts with it on."
    ) { ctx in
        if let mode = ctx.string("MODE") {
            ctx.session.setTracing(mode == "on")
        }
        ctx.output.info("trace: \(SyscallTrace.isOn ? "on" : "off")")
        return .none
    }

    static let status = CommandSpec(
        "status", summary: "list the session's handles, or show every field of one",
        arguments: [ArgumentSpec("NAME", .handle([]), optional: true)],
        example: "status shm1"
    ) { ctx in
        if let handle = ctx.anyHandle("NAME") {
            ctx.output.line("\(handle.name): \(handle.kind.displayName)")
            let width = handle.fields.map(\.name.count).max() ?? 0
            for (name, value) in handle.fields {
                ctx.output.line("  " + HelpText.pad(name, width) + "  " + value)
            }
            return .none
        }
        let handles = ctx.session.allHandles
        if handles.isEmpty {
            ctx.output.info("no handles yet (shm create KEY SIZE makes one)")
        }
        let width = handles.map(\.name.count).max() ?? 0
        for handle in handles {
            ctx.output.line(HelpText.pad(handle.name, width) + "  " + HelpText.pad(handle.kind.rawValue, 5) + "  " + handle.summary)
        }
        let variables = ctx.session.variables.keys.sorted().filter { $0 != "i" }
        if !variables.isEmpty {
            ctx.output.info("variables: " + variables.joined(separator: " "))
        }
        if ctx.session.cleanupOnExit { ctx.output.info("cleanup on exit: on") }
        return .none
    }

    static let cleanup = CommandSpec(
        "cleanup", summary: "remove (on) or keep (off) this session's kernel objects when it ends",
        arguments: [ArgumentSpec("MODE", .keyword(["on", "off"]), optional: true)],
        example: "cleanup on",
        discussion: "Like the kernel, ipcsh leaves segments it created in place when it exits, so another process can use them. cleanup on (or ipcsh --cleanup) removes them instead."
    ) { ctx in
        if let mode = ctx.string("MODE") {
            ctx.session.cleanupOnExit = mode == "on"
        }
        ctx.output.info("cleanup on exit: \(ctx.session.cleanupOnExit ? "on" : "off")")
        return .none
    }
}
