import IPCSys
import IPCSyntax

/// echo, sleep, set, repeat, expect, source, help, exit.
enum BuiltinCommands {
    static let all: [CommandSpec] = [echo, sleep, set, repeatBlock, expect, source, proc, help, exit]

    static let proc = CommandSpec(
        "proc", summary: "define a procedure: NAME ARG... runs BLOCK with $1 ... $#, $@; what it prints is its result",
        arguments: [ArgumentSpec("NAME", .name), ArgumentSpec("BLOCK", .block)],
        example: "proc greet { echo \"hello, $1\" }",
        discussion: "Call it like a command: greet world prints its lines as they come (and leaves them in $_), msg = greet world keeps them in msg instead. rpc serve makes every proc a JSON-RPC method, its printed lines the result.",
        flow: .procedure
    ) { ctx in
        let name = ctx.string("NAME") ?? ""
        guard Parser.isName(name) else {
            throw ctx.failure("proc: '\(name)' is not a valid name", hint: "names start with a letter or _ and hold letters, digits and _")
        }
        let registry = ctx.host.registry
        if registry.specs[name] != nil || registry.groups[name] != nil {
            throw ctx.failure("proc: \(name) is a command; pick another name")
        }
        guard let block = ctx.block("BLOCK") else { return .none }
        ctx.session.procs[name] = block
        return .none
    }

    /// echo in C: one printf of the words.
    static let echoC: CForm = { bound, c throws(CEmitError) in
        try c.refuseBinding(bound)
        var format: [String] = [], arguments: [String] = []
        for value in bound.variadicValues {
            let (f, a) = try c.format(value, at: bound.location)
            format.append(f)
            arguments += a
        }
        c.say(format.joined(separator: " "), arguments)
    }

    static let echo = CommandSpec(
        "echo", summary: "print the words, separated by spaces",
        arguments: [ArgumentSpec("WORD", .text, optional: true, variadic: true)],
        example: "echo \"key is\" $buf.key",
        discussion: "The printed text is also the command's value: `x = echo hi` sets x."
    ,
        cForm: echoC
    ) { ctx in
        var out: [UInt8] = []
        for (i, word) in ctx.rest.enumerated() {
            if i > 0 { out.append(0x20) }
            out += word
        }
        return .value(out)
    }

    /// sleep in C: nanosleep.
    static let sleepC: CForm = { bound, c throws(CEmitError) in
        guard let ms = bound.integer("DURATION") else {
            throw CEmitError("emit-c: sleep's duration has no C form here (a literal one has: sleep 500ms)", at: bound.location)
        }
        c.include("time.h")
        c.line("nanosleep(&(struct timespec){ .tv_sec = \(ms / 1000), .tv_nsec = \(ms % 1000 * 1_000_000) }, NULL);")
    }

    static let sleep = CommandSpec(
        "sleep", summary: "wait for a while (Ctrl-C interrupts)",
        arguments: [ArgumentSpec("DURATION", .duration)],
        example: "sleep 500ms",
        discussion: "A signal with a signal on block wakes it: the block runs, then the sleep goes on to its end."
    ,
        cForm: sleepC
    ) { ctx in
        ctx.output.flush()
        let milliseconds = ctx.integer("DURATION") ?? 0
        let deadline = Clock.monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
        while true {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { break }
            let left = Int((deadline - now + 999_999) / 1_000_000)
            guard try ctx.host.supervisor.wait(for: nil, timeoutMilliseconds: left, until: { UserSignals.caughtPending }) else { break }
            // A `signal on` block's signal came: run it now, as C's handler would, and sleep on.
            try ctx.host.runSignalHandlers()
            ctx.output.flush()
        }
        return .none
    }

    /// set in C: `int rounds = 10;` for a number, `const char *path = ...;` (or a buffer made
    /// to the text's length) for text.
    static let setC: CForm = { bound, c throws(CEmitError) in
        guard let name = bound.string("NAME") else {
            throw CEmitError("emit-c: set without NAME (the list of variables) has no C form here", at: bound.location)
        }
        let cName = try c.variableName(name, bound)
        let values = bound.variadicValues
        let existing = c.variables[cName]
        if existing != nil && existing?.assignable != true {
            throw CEmitError("emit-c: \(name) is set again here; in C it is a buffer made to its first text's length", at: bound.location,
                             hint: "use another name for the new text")
        }
        if values.count == 1, case .bytes(let b) = values[0], let n = Int32(b.string), String(n) == b.string {
            if let existing, existing.format != "%d" {
                throw CEmitError("emit-c: \(name) held text and is set to a number here; in C a variable keeps its type", at: bound.location)
            }
            c.line(existing == nil ? "int \(cName) = \(n);" : "\(cName) = \(n);")
            c.declare(cName, CVariable(format: "%d", argument: cName, integer: cName, assignable: true))
            return
        }
        if let existing, existing.format == "%d" {
            throw CEmitError("emit-c: \(name) held a number and is set to text here; in C a variable keeps its type", at: bound.location)
        }
        var isPointer = false
        if values.count == 1 {
            switch values[0] {
            case .bytes: isPointer = true
            case .unexpanded(let word) where word.parts.count == 1:
                switch word.parts[0] {
                case .positional, .withDefault(.positional, _): isPointer = true
                case .variable(let v, nil): isPointer = c.variables[v]?.format == "%s"
                default: break
                }
            default: break
            }
        }
        if isPointer {
            let value = try c.string(values, at: bound.location)
            c.line(existing == nil ? "const char *\(cName) = \(value);" : "\(cName) = \(value);")
        } else if values.isEmpty {
            c.line(existing == nil ? "const char *\(cName) = \"\";" : "\(cName) = \"\";")
        } else {
            _ = try c.string(values, named: cName, at: bound.location)
        }
        c.declare(cName, CVariable(format: "%s", argument: cName, integer: "(int)strtol(\(cName), NULL, 0)", assignable: isPointer || values.isEmpty))
    }

    static let set = CommandSpec(
        "set", summary: "set a variable, or list them all",
        arguments: [ArgumentSpec("NAME", .name, optional: true), ArgumentSpec("VALUE", .text, optional: true, variadic: true)],
        example: "set greeting \"hello, world\"",
        discussion: "Several VALUE words are joined with spaces; without VALUE the variable is set to the empty text. Read it back as $NAME or ${NAME}. set alone lists every variable as the command that sets it (set greeting \"hello, world\"), as sh's set does.",
        cForm: setC
    ) { ctx in
        guard let name = ctx.string("NAME") else {
            let variables = ctx.session.variables.sorted { $0.key < $1.key }
            if variables.isEmpty { ctx.output.info("no variables yet (set NAME VALUE makes one)") }
            for (name, value) in variables { ctx.output.line("set \(name) " + quoted(value)) }
            return .none
        }
        guard Parser.isName(name) else {
            throw ctx.failure("set: '\(name)' is not a valid name",
                              hint: "names start with a letter or _ and hold letters, digits and _")
        }
        if let handle = ctx.session.handle(named: name), handle.isOpen {
            throw ctx.failure("set: \(name) is the name of an open \(handle.kind.displayName)")
        }
        var value: [UInt8] = []
        for (i, word) in ctx.rest.enumerated() {
            if i > 0 { value.append(0x20) }
            value += word
        }
        ctx.session.variables[name] = value
        return .none
    }

    /// `"VALUE"` as a double-quoted word that gives VALUE back: `\\ \" \$` escaped, and bytes that
    /// are not printable as `\xHH` (`\n`, `\t`), as `read` shows them.
    static func quoted(_ value: [UInt8]) -> String {
        var bytes: [UInt8] = []
        for byte in value {
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "$") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
        return "\"" + Escaping.display(bytes) + "\""
    }

    static let repeatBlock = CommandSpec(
        "repeat", summary: "run a block N times, with $i = 0 ... N-1",
        arguments: [ArgumentSpec("N", .count), ArgumentSpec("BLOCK", .block)],
        example: "repeat 3 { echo \"round $i\" }",
        discussion: "The first failing command stops the loop and fails repeat. Ctrl-C stops it too.",
        flow: .loop
    ) { ctx in
        let count = ctx.integer("N") ?? 0
        guard let block = ctx.block("BLOCK") else { return .none }
        let saved = ctx.session.variables["i"]
        defer { ctx.session.variables["i"] = saved }
        for i in 0..<count {
            ctx.session.variables["i"] = Array(String(i).utf8)
            try ctx.host.runBlock(block)
            if ctx.session.output.flushEachCommand { ctx.session.output.flush() }
        }
        return .none
    }

    /// expect in C: the check, and exit 1 with both sides when it fails.
    static let expectC: CForm = { bound, c throws(CEmitError) in
        let values = bound.variadicValues
        guard values.count == 3, case .bytes(let op)? = Optional(values[1]), ["==", "!=", "contains"].contains(op.string) else {
            throw CEmitError("emit-c: expect's words have no C form here (A == B, A != B or A contains B has)", at: bound.location)
        }
        c.include("string.h")
        c.open("")
        let a = try c.string([values[0]], at: bound.location)
        let b = try c.string([values[2]], at: bound.location)
        let (test, shown) = switch op.string {
        case "==": ("strcmp(\(a), \(b)) != 0", "!=")
        case "!=": ("strcmp(\(a), \(b)) == 0", "==")
        default: ("strstr(\(a), \(b)) == NULL", "does not contain")
        }
        c.line("if (\(test)) { fprintf(stderr, \"expect failed: \\\"%s\\\" \(shown) \\\"%s\\\"\\n\", \(a), \(b)); exit(1); }")
        c.close()
    }

    static let expect = CommandSpec(
        "expect", summary: "fail unless A == B, A != B, or A contains B",
        arguments: [ArgumentSpec("A OP B", .text, variadic: true, about: "two words and an operator: ==, != or contains")],
        example: "expect $msg == \"hello\"",
        discussion: "Fails the command (and stops a script) when false, showing both sides. Use it to make scripts and lessons check themselves.",
        cForm: expectC
    ) { ctx in
        let words = ctx.rest
        let ops = ["==", "!=", "contains"]
        guard words.count == 3, let op = ops.first(where: { Array($0.utf8) == words[1] }) else {
            throw ctx.failure("expect: write expect A == B, expect A != B or expect A contains B (got \(words.count) word(s))",
                              hint: "quote a side that has spaces or is empty: expect \"$msg\" == \"\"")
        }
        let (a, b) = (words[0], words[2])
        let holds: Bool
        switch op {
        case "==": holds = a == b
        case "!=": holds = a != b
        default: holds = b.isEmpty || contains(a, b)
        }
        if !holds {
            let shownA = "\"\(Escaping.display(a))\"", shownB = "\"\(Escaping.display(b))\""
            let negated = op == "==" ? "!=" : op == "!=" ? "==" : "does not contain"
            throw ctx.failure("expect failed: \(shownA) \(negated) \(shownB)",
                              hint: "left:  \(shownA)\n  right: \(shownB)")
        }
        return .none
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    static let source = CommandSpec(
        "source", summary: "run a script file in this session",
        arguments: [ArgumentSpec("FILE", .path),
                    ArgumentSpec("ARG", .text, optional: true, variadic: true, about: "an argument for FILE: its $1, $2, ...")],
        example: "source examples/shm-writer.ipcs 3306 5",
        discussion: "The script sees ARG... as $1, $2, ... and shares this session's handles and variables.",
        flow: .source
    ) { ctx in
        let path = ctx.string("FILE") ?? ""
        try ctx.host.runFile(path, arguments: ctx.restStrings, location: ctx.location)
        return .none
    }

    static let help = CommandSpec(
        "help", summary: "list commands, or show one command's usage and an example",
        arguments: [ArgumentSpec("COMMAND", .commandName, optional: true, variadic: true)],
        example: "help shm create"
    ) { ctx in
        let registry = ctx.host.registry
        let text = try HelpText.render(topic: ctx.restStrings, registry: registry, at: ctx.location)
        for line in text { ctx.output.line(line) }
        return .none
    }

    static let exit = CommandSpec(
        "exit", summary: "leave the shell (Ctrl-D does too); says which kernel objects remain",
        arguments: [ArgumentSpec("CODE", .wholeNumber(0...255), optional: true)],
        example: "exit 0"
    ) { ctx in
        let code = ctx.integer("CODE").map { Int32(clamping: $0) } ?? ctx.session.lastStatus
        throw ControlFlow.exit(code)
    }
}
