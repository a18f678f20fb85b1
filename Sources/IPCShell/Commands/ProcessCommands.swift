@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `fork`, `spawn`, `run`, `wait`, `kill`, `!` — and `@NAME COMMAND`.
enum ProcessCommands {
    static let all: [CommandSpec] = [fork, spawn, run, wait, kill, shell]

    /// Relay pipes for a child's stdout and stderr.
    private static func relayPipes() throws(SystemCallError) -> (out: (read: Int32, write: Int32), err: (read: Int32, write: Int32)) {
        let out = try Descriptors.internalPipe()
        do {
            let err = try Descriptors.internalPipe()
            return (out, err)
        } catch {
            Plumbing.close(out.read)
            Plumbing.close(out.write)
            throw error
        }
    }

    static let fork = CommandSpec(
        "fork", summary: "fork(): a child runs BLOCK with a copy of the session; without a block it becomes an actor",
        arguments: [ArgumentSpec("BLOCK", .block, optional: true)],
        example: "fork { read pipe1.r }",
        discussion: "The child inherits the session: attached segments, pipe ends, variables. The parent goes on at once. Its output comes back prefixed with [NAME PID]. Without a block, the child is an actor that waits for commands: @child1 read pipe1.r. wait reports how it ended.",
        flow: .fork
    ) { ctx in
        let block = ctx.block("BLOCK")
        let interpreter = ctx.host
        // The child reports what it creates on this pipe (made once, before the first fork).
        try ctx.session.childReports.open()
        let relay = try relayPipes()
        var channel: [Int32] = [-1, -1]
        if block == nil {
            do {
                let pair = try Sockets.internalPair()
                channel = [pair.0, pair.1]
            } catch {
                for fd in [relay.out.read, relay.out.write, relay.err.read, relay.err.write] { Plumbing.close(fd) }
                throw error
            }
        }
        ctx.output.flush()
        let pid: pid_t
        do {
            pid = try Processes.fork()
        } catch {
            for fd in [relay.out.read, relay.out.write, relay.err.read, relay.err.write, channel[0], channel[1]] where fd >= 0 {
                Plumbing.close(fd)
            }
            throw error
        }
        if pid == 0 {
            Plumbing.close(relay.out.read)
            Plumbing.close(relay.err.read)
            if channel[0] >= 0 { Plumbing.close(channel[0]) }
            interpreter.becomeChild(stdoutFD: relay.out.write, stderrFD: relay.err.write,
                                    ownGroup: block == nil, defaultInterrupt: block != nil)
            if let block { interpreter.runForkedBlock(block) }
            interpreter.serveActor(commandFD: channel[1])
        }
        Plumbing.close(relay.out.write)
        Plumbing.close(relay.err.write)
        if channel[1] >= 0 { Plumbing.close(channel[1]) }
        // Actors live in their own process group: Ctrl-C at the prompt is for the shell.
        if block == nil { Plumbing.setProcessGroup(pid, pid) }
        let child = ChildHandle(pid: pid, role: block == nil ? .actor : .fork,
                                program: block.map { "{\($0.source)}" } ?? "actor",
                                commandFD: block == nil ? channel[0] : nil,
                                stdoutFD: relay.out.read, stderrFD: relay.err.read)
        interpreter.supervisor.adopt(child)
        return ctx.made(child) { name in
            block == nil ? "actor pid \(pid) waiting for commands: @\(name) COMMAND" : "forked pid \(pid)"
        }
    }

    static let spawn = CommandSpec(
        "spawn", summary: "start another ipcsh as an unrelated process: on SCRIPT, or as an actor",
        arguments: [ArgumentSpec("SCRIPT", .path, optional: true),
                    ArgumentSpec("ARG", .text, optional: true, variadic: true, about: "an argument for SCRIPT: its $1, $2, ...")],
        example: "spawn examples/fifo-sender.ipcs ./fifo",
        discussion: "Runs the running binary (/proc/self/exe). It inherits nothing but stdin (/dev/null), stdout and stderr (relayed with a [NAME PID] prefix), in its own process group. Without SCRIPT it is an actor: @NAME COMMAND."
    ) { ctx in
        let exe = selfExecutable()
        let script = ctx.string("SCRIPT")
        var arguments: [String]
        var channel: [Int32] = [-1, -1]
        if let script {
            arguments = [script] + ctx.restStrings
        } else {
            let pair = try Sockets.internalPair()
            channel = [pair.0, pair.1]
            arguments = ["--actor"]
        }
        let child = try startProgram(exe, arguments: arguments, searchPath: false, stdin: channel[1],
                                     role: .spawn, program: script ?? "actor", ctx: ctx)
        if channel[1] >= 0 { Plumbing.close(channel[1]) }
        if channel[0] >= 0 { child.commandFD = channel[0] }
        if script == nil {
            ctx.output.info("\(child.name): spawned ipcsh actor pid \(child.pid): @\(child.name) COMMAND")
        } else {
            ctx.output.info("\(child.name): spawned ipcsh \(script ?? "") pid \(child.pid)")
        }
        return .handle(child)
    }

    static let run = CommandSpec(
        "run", summary: "run an external program in the background (posix_spawn)",
        arguments: [ArgumentSpec("PROGRAM", .path, about: "a program: a path (./reader), or a name looked up in PATH"),
                    ArgumentSpec("ARG", .text, optional: true, variadic: true, about: "an argument for PROGRAM (its argv[1], ...)")],
        example: "run ./reader 3306",
        discussion: "PROGRAM is looked up in PATH. Its output comes back prefixed with [NAME PID]; stdin is /dev/null. wait reports how it ended."
    ) { ctx in
        let program = ctx.string("PROGRAM") ?? ""
        let child = try startProgram(program, arguments: ctx.restStrings, searchPath: true, stdin: -1,
                                     role: .run, program: ([program] + ctx.restStrings).joined(separator: " "), ctx: ctx)
        ctx.output.info("\(child.name): started \(program) pid \(child.pid)")
        return .handle(child)
    }

    static func selfExecutable() -> String { Descriptors.target(ofPath: "/proc/self/exe") ?? "/proc/self/exe" }

    private static func startProgram(_ path: String, arguments: [String], searchPath: Bool, stdin: Int32,
                                     role: ChildHandle.Role, program: String, ctx: CommandContext) throws -> ChildHandle {
        let relay = try relayPipes()
        var input = stdin
        var devNull: Int32 = -1
        if input < 0 {
            devNull = Plumbing.openNull()
            input = devNull
        }
        defer {
            Plumbing.close(relay.out.write)
            Plumbing.close(relay.err.write)
            if devNull >= 0 { Plumbing.close(devNull) }
        }
        let pid: pid_t
        do {
            pid = try Processes.spawn(path, arguments: arguments, searchPath: searchPath, stdin: input,
                                      stdout: relay.out.write, stderr: relay.err.write, newGroup: true)
        } catch {
            Plumbing.close(relay.out.read)
            Plumbing.close(relay.err.read)
            var hint: String? = nil
            if error.errno == ENOENT { hint = "no program \(path) found" + (path.contains("/") ? "" : " in PATH") }
            if error.errno == EACCES {
                hint = path.contains("/") && FileSystem.isDirectory(path) ? "\(path) is a directory, not a program"
                                                                          : "\(path) is not executable (chmod +x?)"
            }
            throw Diagnostic("\(ctx.spec.name): \(error)", at: ctx.location, hint: hint)
        }
        let child = ChildHandle(pid: pid, role: role, program: program, commandFD: nil,
                                stdoutFD: relay.out.read, stderrFD: relay.err.read)
        ctx.register(child)
        ctx.host.supervisor.adopt(child)
        return child
    }

    /// wait in C: waitpid for each child forked before (or the one named), in order.
    static let waitC: CForm = { bound, c throws(CEmitError) in
        if bound.anyOptionGiven { throw CEmitError("emit-c: wait's options have no C form here", at: bound.location) }
        var names = c.children
        if let one = c.symbol(bound, "NAME") { names = [one.name] }
        c.include("sys/wait.h")
        c.open("")
        c.line("int status;")
        for name in names {
            // Waiting for an actor ends its conversation: it runs what it was sent, then exits.
            if c.openActors.contains(name) {
                c.check("close(\(name)_ctl[1]) == -1", "close")
                c.openActors.removeAll { $0 == name }
            }
            c.check("waitpid(\(name), &status, 0) == -1", "waitpid")
            c.open("if (WIFEXITED(status))")
            c.say("\(name) (pid %d) exited with status %d", ["(int)\(name)", "WEXITSTATUS(status)"])
            c.close()
            c.open("else")
            c.say("\(name) (pid %d) killed by signal %d", ["(int)\(name)", "WTERMSIG(status)"])
            c.close()
        }
        c.close()
        c.children.removeAll { names.contains($0) }
        for name in names { c.closed(name) }
    }

    static let wait = CommandSpec(
        "wait", summary: "waitpid: wait for a child (or all) and say how it ended",
        arguments: [ArgumentSpec("NAME", .handleOrAll([.child]), optional: true)],
        options: [
            OptionSpec("--timeout", .duration, valueName: "D", summary: "stop waiting after D (the child keeps running)"),
            OptionSpec("--ignore-stops", summary: "keep waiting when a child is stopped (SIGSTOP, SIGTSTP), as bash's wait -f"),
        ],
        example: "wait child1 --timeout 5s",
        discussion: "Prints `child1 (pid 4242) exited with status 0` or `... killed by signal TERM`. A child that is stopped (kill child1 STOP) is reported as `child1 (pid 4242) stopped by signal STOP` and the wait fails, rather than hang with no word; kill child1 CONT resumes it, and --ignore-stops waits through stops. Waiting for an actor ends its conversation: it runs what it was sent, then exits. Output the children print meanwhile is shown as it comes. Ctrl-C stops waiting."
    ,
        cForm: waitC
    ) { ctx in
        let supervisor = ctx.host.supervisor
        let targets: [ChildHandle]
        if let one = ctx.handle("NAME", as: ChildHandle.self) {
            targets = [one]
        } else {
            targets = supervisor.children.filter { !$0.reported }
            if targets.isEmpty {
                ctx.output.info("no children to wait for")
                return .none
            }
        }
        for child in targets where child.commandFD != nil {
            if let fd = child.commandFD { Plumbing.close(fd) }
            child.commandFD = nil
        }
        ctx.output.flush()
        let ignoreStops = ctx.flag("--ignore-stops")
        let newlyStopped = { targets.filter { $0.exitStatus == nil && $0.stoppedBy != nil } }
        let done = {
            targets.allSatisfy { $0.exitStatus != nil && $0.stdoutFD == nil && $0.stderrFD == nil }
                || (!ignoreStops && !newlyStopped().isEmpty)
        }
        let finished = try supervisor.wait(for: nil, timeoutMilliseconds: ctx.integer("--timeout"), until: done)
        // A child that ended but left its output pipe open to a grandchild: do not hang on it.
        if !finished && targets.allSatisfy({ $0.exitStatus != nil }) {
            _ = try supervisor.wait(for: nil, timeoutMilliseconds: 100, until: done)
        }
        var lastCode: Int32 = 0
        for child in targets {
            if let status = child.exitStatus {
                Processes.recordWait(child.pid, status)
                ctx.output.line("\(child.name) (pid \(child.pid)) \(status)")
                child.reported = true
                lastCode = status.shellStatus
            }
        }
        let stopped = ignoreStops ? [] : newlyStopped()
        for child in stopped {
            ctx.output.line("\(child.name) (pid \(child.pid)) \(child.state)")
            child.stopReported = true
        }
        if !stopped.isEmpty {
            throw ctx.failure("wait: " + stopped.map { "\($0.name) (pid \($0.pid))" }.joined(separator: ", ")
                              + (stopped.count == 1 ? " is" : " are") + " stopped, not ended",
                              hint: "kill \(stopped[0].name) CONT resumes it; wait --ignore-stops waits through stops")
        }
        let running = targets.filter { $0.exitStatus == nil }
        if !running.isEmpty {
            throw ctx.failure("wait: timed out after \(Durations.describe(ctx.integer("--timeout") ?? 0)); still running: "
                              + running.map { "\($0.name) (pid \($0.pid))" }.joined(separator: ", "),
                              hint: "kill NAME sends TERM")
        }
        ctx.session.lastResult = WordBytes(String(lastCode))
        return .none
    }

    static let kill = CommandSpec(
        "kill", summary: "send a signal to a child (default TERM)",
        arguments: [ArgumentSpec("NAME", .handle([.child])), ArgumentSpec("SIGNAL", .signal, optional: true)],
        example: "kill child1 INT"
    ) { ctx in
        guard let child = ctx.handle("NAME", as: ChildHandle.self) else { return .none }
        ctx.host.supervisor.reap()
        if let status = child.exitStatus {
            throw ctx.failure("kill: \(child.name) (pid \(child.pid)) has already ended: \(status)")
        }
        let signal = Int32(ctx.integer("SIGNAL") ?? Int(SIGTERM))
        try Processes.kill(child.pid, signal)
        ctx.output.info("sent \(Signals.name(signal)) to \(child.name) (pid \(child.pid))")
        return .none
    }

    static let shell = CommandSpec(
        "!", summary: "run a /bin/sh command in the foreground",
        arguments: [ArgumentSpec("COMMAND", .text, about: "a /bin/sh command line: the rest of the line, as typed")],
        example: "! ipcs -m",
        discussion: "The rest of the line goes to /bin/sh -c as it is (no ipcsh substitution). Fails if the command exits non-zero."
    ) { ctx in
        let command = ctx.string("COMMAND") ?? ""
        ctx.output.flush()
        let pid = try Processes.spawn("/bin/sh", arguments: ["-c", command], searchPath: false,
                                      stdin: -1, stdout: -1, stderr: -1, newGroup: false)
        // Ctrl-C goes on to sh and what it runs; the command then ends as interrupted.
        let (ended, interrupted) = try Processes.waitInForeground(pid) { ctx.host.supervisor.reap() }
        if interrupted || Signals.interruptPending { throw ControlFlow.interrupted }
        if ended != .exited(0) { throw ctx.failure("!: sh \(ended)") }
        return .none
    }
}
