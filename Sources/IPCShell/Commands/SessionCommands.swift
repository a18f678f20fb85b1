import IPCSys
import IPCSyntax

/// status, cleanup.
enum SessionCommands {
    static let all: [CommandSpec] = [status, cleanup, trace, recordStart, recordStop]

    static let recordStart = CommandSpec(
        "record start", summary: "record this session to FILE: commands, their output and pauses",
        arguments: [ArgumentSpec("FILE", .path)],
        example: "record start lesson1.ipcs",
        discussion: "The recording is itself a script: each command as typed, its output as #| lines, the pause before it as #@ SECONDS. ipcsh replay shows it to a class; ipcsh check verifies it still holds. It is written to .FILE.XXXXXX next to FILE and replaces FILE at record stop (or when the shell ends), so FILE may be the script being recorded; a recording that could not be written whole is an error and leaves FILE as it was."
    ) { ctx in
        if let current = ctx.host.recorder {
            throw ctx.failure("record start: already recording to \(current.path)", hint: "record stop first")
        }
        let path = ctx.string("FILE") ?? ""
        guard let makeRecorder = ctx.host.makeRecorder else {
            throw ctx.failure("record start: this shell cannot record (no recorder was given to it)")
        }
        let recorder = try makeRecorder(path)
        // Said before the recorder listens: the line is not part of the lesson.
        ctx.output.info("recording to \(path) (record stop ends it)")
        ctx.host.recorder = recorder
        return .none
    }

    static let recordStop = CommandSpec(
        "record stop", summary: "stop recording",
        example: "record stop"
    ) { ctx in
        guard let recorder = ctx.host.recorder else { throw ctx.failure("record stop: not recording") }
        recorder.discardCurrent()
        ctx.host.recorder = nil
        // Only a recording written whole is "saved" (a full disk, /dev/full: an error, FILE kept as it was).
        try recorder.close()
        ctx.output.info("recording saved to \(recorder.path)")
        return .none
    }

    static let trace = CommandSpec(
        "trace", summary: "print each system call a command makes, C-style, on stderr",
        arguments: [ArgumentSpec("MODE", .keyword(["on", "off"]), optional: true)],
        example: "trace on",
        discussion: "Lines look like shmget(0x00000cea, 1024, IPC_CREAT|0600) = 32769 or open(\"./fifo\", O_RDONLY) = -1 ENOENT (No such file or directory). They come from the system-call layer itself, so none is missed; a child's carry its [NAME PID] prefix. ipcsh --trace starts with it on."
    ) { ctx in
        if let mode = ctx.string("MODE") {
            ctx.session.setTracing(mode == "on")
        }
        ctx.output.info("trace: \(ctx.session.isTracing ? "on" : "off")")
        return .none
    }

    static let status = CommandSpec(
        "status", summary: "list the session's handles, or show every field of one",
        arguments: [ArgumentSpec("NAME", .handle([]), optional: true)],
        options: [OptionSpec("--json", summary: "one JSON document, values typed (numbers as numbers, absent as null)")],
        example: "status shm1"
    ) { ctx in
        if ctx.flag("--json") {
            if let handle = ctx.anyHandle("NAME") { return JSON.handle(handle).result }
            let variables = ctx.session.variables.keys.sorted().filter { $0 != "i" }
                .map { ($0, JSON.string(String(decoding: ctx.session.variables[$0] ?? [], as: UTF8.self))) }
            return JSON.object([("handles", .array(ctx.session.allHandles.map(JSON.handle))),
                                ("variables", .object(variables)),
                                ("cleanup", .bool(ctx.session.cleanupOnExit))]).result
        }
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

    /// cleanup in C: what the session still holds at the end of main is removed there (emit-c).
    static let cleanupC: CForm = { bound, c throws(CEmitError) in
        if let mode = bound.string("MODE") { c.cleanupOnExit = mode == "on" }
        c.say("cleanup on exit: \(c.cleanupOnExit ? "on" : "off")")
    }

    static let cleanup = CommandSpec(
        "cleanup", summary: "remove (on) or keep (off) this session's kernel objects when it ends",
        arguments: [ArgumentSpec("MODE", .keyword(["on", "off"]), optional: true)],
        example: "cleanup on",
        discussion: "Like the kernel, ipcsh leaves segments it created in place when it exits, so another process can use them. cleanup on (or ipcsh --cleanup) removes them instead.",
        cForm: cleanupC
    ) { ctx in
        if let mode = ctx.string("MODE") {
            ctx.session.cleanupOnExit = mode == "on"
        }
        ctx.output.info("cleanup on exit: \(ctx.session.cleanupOnExit ? "on" : "off")")
        return .none
    }
}
