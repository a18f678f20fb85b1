import IPCSyntax

/// `emit-c`: a script's plan lowered to one C program. Each command's C comes from its spec
/// (`CommandSpec.cForm`); control flow is lowered here: `repeat` to `for`, `fork { }` to
/// `if (fork() == 0) { ...; _exit(0); }`. A command without a C form is refused with its place
/// and a reason, never dropped or approximated.
public enum CEmitter {
    /// `origin`: what made the program, for its first comment (`ipcsh emit-c lesson.ipcs`).
    public static func emit(_ plan: CommandPlan, origin: String) throws(CEmitError) -> String {
        var program = CProgram()
        try lower(plan.steps, into: &program)
        if program.cleanupOnExit { endSession(&program) }
        return program.render(origin: origin)
    }

    static func lower(_ steps: [PlanStep], into program: inout CProgram) throws(CEmitError) {
        for step in steps {
            switch step {
            case .command(let bound):
                guard let form = bound.spec.cForm else {
                    throw CEmitError("emit-c: \(bound.spec.name) has no C form here", at: bound.location,
                                     hint: "emit-c translates: " + CommandRegistry.standard.specs.values.filter { $0.cForm != nil }.map(\.name).sorted().joined(separator: ", ") + ", repeat and fork { }")
                }
                try checkBinding(bound.binding, program, at: bound.location)
                program.comment(bound.spec.name + sourceText(bound))
                let namesBefore = program.namesMade
                try form(bound, &program)
                // The shell names each turn's handle anew (shm1, shm2, ...): one C variable cannot be them all.
                if !program.loopCounters.isEmpty && program.namesMade != namesBefore {
                    throw CEmitError("emit-c: \(bound.spec.name) inside repeat has no C form here (each turn makes another handle)",
                                     at: bound.location, hint: "make the handle before the loop, and use it inside")
                }
                if program.inFunction && program.namesMade != namesBefore {
                    throw CEmitError("emit-c: \(bound.spec.name) inside a proc has no C form here (each call makes another handle)",
                                     at: bound.location, hint: "make the handle before the proc is called, and use it inside")
                }
            case .loop(let bound, let body):
                guard let count = try program.integer(bound, "N") else {
                    throw CEmitError("emit-c: repeat needs a count here", at: bound.location)
                }
                let counter = program.loopCounters.isEmpty ? "i" : "i\(program.loopCounters.count)"
                program.comment("repeat\(sourceText(bound))")
                program.open("for (int \(counter) = 0; \(counter) < \(count); \(counter)++)")
                program.loopCounters.append(counter)
                try lower(body, into: &program)
                program.loopCounters.removeLast()
                program.close()
            case .fork(let bound, let body):
                guard !program.inChild && !program.inFunction else {
                    throw CEmitError("emit-c: a fork inside a fork, an actor or a proc has no C form here", at: bound.location)
                }
                if bound.anyOptionGiven { throw CEmitError("emit-c: fork's options have no C form here", at: bound.location) }
                try checkBinding(bound.binding, program, at: bound.location)
                // Each turn of a loop forks another child (child1, child2, ...): one pid_t cannot hold them.
                guard program.loopCounters.isEmpty else {
                    throw CEmitError("emit-c: a fork inside repeat has no C form here (each turn makes another child)", at: bound.location,
                                     hint: "fork once, and loop inside the fork's block")
                }
                let name = program.name("child", binding: bound.binding)
                program.handles[name] = .child
                program.children.append(name)
                program.include("unistd.h", "sys/types.h")
                if body == nil {
                    program.comment("\(name) = fork: an actor, which runs each command the parent sends it (@\(name) ...)")
                    program.global("int", "\(name)_ctl[2]")
                    program.check("pipe(\(name)_ctl) == -1", "pipe")
                } else {
                    program.comment("fork { ... }")
                }
                program.line("fflush(stdout);")
                program.global("pid_t", name)
                program.line("\(name) = fork();")
                program.check("\(name) == -1", "fork")
                program.open("if (\(name) == 0)")
                program.line("snprintf(prefix, sizeof prefix, \"[\(name) %d] \", (int)getpid());")
                // The parent's ends of the actors' control pipes: an actor sees the end of its
                // commands only when no other process holds them.
                for actor in program.openActors { program.line("close(\(actor)_ctl[1]);") }
                program.inChild = true
                if let body {
                    try lower(body, into: &program)
                } else {
                    program.line("close(\(name)_ctl[1]);")
                    program.actorLoop(name)
                }
                program.inChild = false
                program.line("fflush(stdout);")
                program.line("_exit(0);")
                program.close()
                if body == nil {
                    program.line("close(\(name)_ctl[0]);")
                    program.say("\(name): actor pid %d waiting for commands: @\(name) COMMAND", ["(int)\(name)"])
                } else {
                    program.say("\(name): forked pid %d", ["(int)\(name)"])
                }
            case .procedure(let name, let bound, let body):
                _ = try program.variableName(name, bound)
                if program.procBodies[name] != nil || program.functionNames.contains(name) {
                    throw CEmitError("emit-c: proc \(name) is defined again here; a C function is defined once", at: bound.location)
                }
                // Lowered at its first call, when the handles it names exist.
                program.procBodies[name] = body
            case .source(let bound):
                throw CEmitError("emit-c: \(bound.spec.name) has no C form here", at: bound.location)
            case .call(let proc, let words, let binding, let location):
                if binding != nil {
                    throw CEmitError("emit-c: keeping what \(proc) prints in a variable has no C form here", at: location)
                }
                if let body = program.procBodies.removeValue(forKey: proc) {
                    try program.function(proc, comment: "proc \(proc) { ... }") { (function: inout CProgram) throws(CEmitError) in
                        try lower(body, into: &function)
                    }
                }
                guard program.functionNames.contains(proc) else {
                    throw CEmitError("emit-c: \(proc) is called inside its own body before C knows it", at: location)
                }
                var arguments = [CProgram.literal(Array(proc.utf8))]
                for word in words {
                    let value: ArgumentValue = word.singleLiteral.map { .bytes($0) } ?? .unexpanded(word)
                    arguments.append(try program.string([value], at: location))
                }
                program.comment(([proc] + words.map(wordText)).joined(separator: " "))
                program.line("\(proc)(\(words.count + 1), (const char *[]){ \(arguments.joined(separator: ", ")), NULL });")
            case .send(let actor, let body, let location):
                guard !program.inChild && !program.inFunction else {
                    throw CEmitError("emit-c: @\(actor) inside a fork, an actor or a proc has no C form here", at: location)
                }
                program.comment("@\(actor) ...: the actor runs its next case")
                try program.send(to: actor, at: location) { (actorProgram: inout CProgram) throws(CEmitError) in
                    try lower(body, into: &actorProgram)
                }
            case .invalid(let diagnostic):
                throw CEmitError(diagnostic)
            }
        }
    }

    /// A name the shell refuses to bind (`all`, `private`, a kind of handle) is refused here too:
    /// the program would run where the script stops.
    static func checkBinding(_ binding: String?, _ program: CProgram, at location: SourceLocation) throws(CEmitError) {
        guard let binding else { return }
        if HandleKind.allCases.contains(where: { $0.rawValue == binding }) || Session.reservedWords.contains(binding) {
            throw CEmitError("emit-c: '\(binding)' is a command name and cannot name a handle (the shell refuses it too)", at: location)
        }
        if program.isOpen(binding) {
            throw CEmitError("emit-c: the name \(binding) is already taken by an open handle (the shell refuses it too)", at: location,
                             hint: "pick another name, or close/remove \(binding) first")
        }
    }

    /// `cleanup on`: at the end, what this program made and did not remove goes, as the shell
    /// removes it when the session ends (its notes on stderr).
    static func endSession(_ program: inout CProgram) {
        let left = program.createdSegments + program.createdSemaphoreSets + program.createdQueues + program.createdFIFOs
            + program.createdPosixQueues.map(\.name)
        guard !left.isEmpty else { return }
        program.comment("cleanup on: the end of the session removes what it made")
        // The System V objects: one IPC_RMID each, by the id the program got.
        let systemV: [(names: [String], remove: String, call: String, id: String)] = [
            (program.createdSegments, "shmctl(%@_id, IPC_RMID, NULL)", "shmctl", "shmid"),
            (program.createdSemaphoreSets, "semctl(%@_id, 0, IPC_RMID)", "semctl", "semid"),
            (program.createdQueues, "msgctl(%@_id, IPC_RMID, NULL)", "msgctl", "msqid"),
        ]
        for kind in systemV {
            for name in kind.names {
                program.open("if (\(name)_created)")
                program.check(kind.remove.replacing("%@", with: name) + " == -1", kind.call)
                program.line("fprintf(stderr, \"cleanup: removed \(name) (\(kind.id) %d)\\n\", \(name)_id);")
                program.close()
            }
        }
        for queue in program.createdPosixQueues {
            program.open("if (\(queue.name)_created)")
            program.check("mq_unlink(\(queue.path)) == -1", "mq_unlink")
            program.line("fprintf(stderr, \"cleanup: removed %s\\n\", \(queue.path));")
            program.close()
        }
        for path in program.createdFIFOs {
            program.include("unistd.h")
            program.check("unlink(\(path)) == -1", "unlink")
            program.line("fprintf(stderr, \"cleanup: removed FIFO %s\\n\", \(path));")
        }
    }

    /// ` 3306 1024` for the comment: the command's words after its name, as bound.
    static func sourceText(_ bound: BoundCommand) -> String {
        var parts: [String] = []
        for (i, argument) in bound.spec.arguments.enumerated() where !argument.isVariadic {
            guard let value = bound.argument(i) else { continue }
            parts.append(argument.kind == .block ? "{ ... }" : describe(value))
        }
        parts += bound.variadicValues.map(describe)
        for (i, option) in bound.spec.options.enumerated() {
            if option.value == nil { if bound.flagGiven(i) { parts.append(option.name) } }
            else if let value = bound.option(i) { parts.append(option.name + " " + describe(value)) }
        }
        return parts.isEmpty ? "" : " " + parts.joined(separator: " ")
    }

    static func describe(_ value: ArgumentValue) -> String {
        switch value {
        case .bytes(let b):
            let text = Escaping.display(b.array)
            return text.isEmpty || text.contains(" ") ? "\"" + text + "\"" : text
        case .integer(let n): return String(n)
        case .key(let k): return k == 0 ? "private" : String(k)
        case .symbol(let s): return s.written
        case .unexpanded(let word): return wordText(word)
        default: return "..."
        }
    }

    /// A word as written: `hello-$i`.
    static func wordText(_ word: Word) -> String {
        word.parts.map(partText).joined()
    }

    /// A substitution as written: `$key`, `$v.cnt`, `$1`, `${1:-3306}`, `$#`.
    static func partText(_ part: WordPart) -> String {
        switch part {
        case .literal(let bytes): return Escaping.display(bytes)
        case .variable(let name, let field): return "$" + name + (field.map { "." + $0 } ?? "")
        case .positional(let n): return "$\(n)"
        case .argumentCount: return "$#"
        case .allArguments: return "$@"
        case .lastStatus: return "$?"
        case .lastResult: return "$_"
        case .withDefault(let inner, let fallback):
            return "${" + partText(inner).dropFirst() + ":-" + Escaping.display(fallback) + "}"
        }
    }
}
