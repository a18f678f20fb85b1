@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `fifo make|open|rm`: named pipes.
enum FifoCommands {
    static let all: [CommandSpec] = [make, open, rm]

    /// What to try next when its calls fail.
    static let hints: [SystemCallHint] = [
        SystemCallHint("mkfifo", EEXIST) {
            "the path exists already: open the FIFO there with fifo open PATH read|write, or remove it first (fifo rm PATH, or rm for another kind of file)"
        },
    ]

    /// fifo make in C: mkfifo.
    static let makeC: CForm = { bound, c throws(CEmitError) in
        if bound.anyOptionGiven { throw CEmitError("emit-c: fifo make --mode has no C form here", at: bound.location) }
        guard let pathValue = bound.value("PATH") else { return }
        let path = try c.string([pathValue], at: bound.location)
        c.include("sys/stat.h")
        c.check("mkfifo(\(path), 0600) == -1", "mkfifo")
        c.say("made FIFO %s (mode 0600)", [path])
        if c.isTopLevel { c.createdFIFOs.append(path) }
    }

    /// fifo open in C: open, which waits for the other side as the shell's does.
    static let openC: CForm = { bound, c throws(CEmitError) in
        if bound.anyOptionGiven { throw CEmitError("emit-c: fifo open's options have no C form here", at: bound.location) }
        guard let pathValue = bound.value("PATH"), let direction = bound.string("MODE") else { return }
        let path = try c.string([pathValue], at: bound.location)
        let name = c.name("fifo", binding: bound.binding)
        c.handles[name] = .descriptor
        c.include("fcntl.h")
        let flags = direction == "read" ? "O_RDONLY" : direction == "write" ? "O_WRONLY" : "O_RDWR"
        c.global("int", name)
        c.line("\(name) = open(\(path), \(flags));")
        c.check("\(name) == -1", "open")
        let how = direction == "rdwr" ? "reading and writing" : direction == "read" ? "reading" : "writing"
        c.say("\(name): opened %s for \(how) (fd %d)", [path, name])
    }

    /// fifo rm in C: unlink.
    static let rmC: CForm = { bound, c throws(CEmitError) in
        guard let pathValue = bound.value("PATH") else { return }
        let path = try c.string([pathValue], at: bound.location)
        c.include("unistd.h")
        c.check("unlink(\(path)) == -1", "unlink")
        c.say("removed FIFO %s", [path])
        c.createdFIFOs.removeAll { $0 == path }
    }

    static let make = CommandSpec(
        "fifo make", summary: "mkfifo: create a named pipe at PATH (no descriptor yet)",
        arguments: [ArgumentSpec("PATH", .path)],
        options: [OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)")],
        example: "fifo make ./fifo",
        discussion: "Like a segment, the FIFO file outlives the shell; the exit notice names it, --cleanup removes it. The FIFO gets exactly MODE: where the umask took bits away, a chmod() puts them back.",
        cForm: makeC
    ) { ctx in
        let path = ctx.string("PATH") ?? ""
        let mode = ctx.integer("--mode") ?? 0o600
        try Descriptors.makeFIFO(path, mode: mode_t(mode))
        // mkfifo applies the umask (0666 became 0644): the mode asked for is the one it gets.
        if let made = Descriptors.permissions(path), made != mode_t(mode) {
            try Descriptors.changeMode(path, mode_t(mode))
        }
        if !ctx.session.createdObjects.contains(where: { ($0 as? FIFORecord)?.path == path }) {
            ctx.session.createdObjects.append(FIFORecord(path: path))
        }
        ctx.session.noteCreated(.fifo(path: path), name: path)
        ctx.output.info("made FIFO \(path) (mode \(SyscallTrace.octalMode(mode)))")
        return .none
    }

    static let open = CommandSpec(
        "fifo open", summary: "open() a FIFO: read waits for a writer, write waits for a reader",
        arguments: [ArgumentSpec("PATH", .path), ArgumentSpec("MODE", .keyword(["read", "write", "rdwr"]))],
        options: [
            OptionSpec("--nonblock", summary: "O_NONBLOCK: do not wait for the other side (write then fails with ENXIO)"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "give up waiting for the other side after D"),
        ],
        example: "f = fifo open ./fifo read --timeout 5s",
        discussion: "The open blocks inside the kernel until the other side opens, as in C; Ctrl-C interrupts it. rdwr never waits (Linux).",
        cForm: openC
    ) { ctx in
        let path = ctx.string("PATH") ?? ""
        let direction = ctx.string("MODE") ?? "read"
        if FileSystem.exists(path) && !Descriptors.isFIFO(path) {
            throw ctx.failure("fifo open: \(path) is not a FIFO", hint: "make one with fifo make PATH")
        }
        var flags: Int32 = direction == "read" ? O_RDONLY : direction == "write" ? O_WRONLY : O_RDWR
        if ctx.flag("--nonblock") { flags |= O_NONBLOCK }
        ctx.output.flush()
        let timeout = ctx.integer("--timeout")
        let opened: Int32?
        do throws(SystemCallError) {
            opened = try Signals.blockingCall(timeoutMilliseconds: timeout) { () throws(SystemCallError) in
                try Descriptors.open(path, flags: flags)
            }
        } catch {
            if error.errno == ENOENT {
                throw Diagnostic(error.description, at: ctx.location, hint: "no such file: make the FIFO first with fifo make \(path)")
            }
            if error.errno == ENXIO {
                throw Diagnostic(error.description, at: ctx.location, hint: "no process has \(path) open for reading yet (O_NONBLOCK write)")
            }
            throw error
        }
        guard let fd = opened else {
            let other = direction == "read" ? "writer" : "reader"
            throw ctx.failure("fifo open: no \(other) opened \(path) within \(Durations.describe(timeout ?? 0))")
        }
        let handle = FifoHandle(path: path, direction: direction, fd: fd)
        return ctx.made(handle) { _ in "opened \(path) for \(direction == "rdwr" ? "reading and writing" : direction == "read" ? "reading" : "writing") (fd \(fd))" }
    }

    static let rm = CommandSpec(
        "fifo rm", summary: "unlink a FIFO's path (open descriptors keep working)",
        arguments: [ArgumentSpec("PATH", .path)],
        example: "fifo rm ./fifo",
        cForm: rmC
    ) { ctx in
        let path = ctx.string("PATH") ?? ""
        if FileSystem.exists(path) && !Descriptors.isFIFO(path) {
            throw ctx.failure("fifo rm: \(path) is not a FIFO; ipcsh removes only FIFOs")
        }
        try Descriptors.unlink(path)
        ctx.session.createdObjects.removeAll { ($0 as? FIFORecord)?.path == path }
        ctx.output.info("removed FIFO \(path)")
        return .none
    }
}
