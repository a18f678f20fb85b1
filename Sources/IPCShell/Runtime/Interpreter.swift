import IPCSys
import IPCSyntax

/// Runs commands against a session: expansion, lookup, argument checking, binding, results.
public final class Interpreter {
    public let session: Session
    public let registry: CommandRegistry
    /// `--keep-going`: report a failed top-level command and continue.
    public var keepGoing = false
    /// How many top-level commands failed.
    public private(set) var failureCount = 0
    /// Depth of `source` nesting, to stop runaway recursion.
    var sourceDepth = 0
    /// `--record` / `record start`: every top-level command and its output go to a recording.
    public var recorder: (any SessionRecording)? {
        didSet {
            if let recorder {
                session.output.tap = { line, stream in recorder.output(line, stream: stream) }
            } else {
                session.output.tap = nil
            }
        }
    }
    /// Makes a recorder for `record start FILE` (set by the command line; nil: not available).
    public var makeRecorder: ((_ path: String) throws(Diagnostic) -> any SessionRecording)?
    /// Replay and check: after each command, wait for children's output to settle.
    public var settlesAfterEachCommand = false
    /// Scripts run their simple commands without building a `Command` (`SimpleCommand`). Off
    /// only in tests, which check that both ways do the same.
    var runsSimpleCommandsDirectly = true
    /// How many commands ran by their spec's direct form (`DirectForm`): for the tests, which
    /// check that a script's reads and writes take it.
    private(set) var commandsRunDirectly = 0
    /// Command names resolved lately (see `dispatch`).
    private struct RecentSpec {
        let first: WordBytes
        let second: WordBytes?
        let spec: CommandSpec
    }
    private var recentSpecs: [RecentSpec] = []
    /// The children: output relay, reaping, and every blocking wait of this process.
    public let supervisor: Supervisor

    public init(session: Session, registry: CommandRegistry = .standard) {
        self.session = session
        self.registry = registry
        self.supervisor = Supervisor(session: session)
    }

    // MARK: Top level

    /// Runs a parsed script at top level. Returns normally when it ran to the end (or stopped at a
    /// failure, reported); throws `ControlFlow` for `exit` and Ctrl-C.
    public func runTopLevel(_ script: Script) throws(ControlFlow) {
        let failuresBefore = failureCount
        let commands = script.commands
        for index in commands.indices {
            try runTopLevel(commands[index])
            if failureCount > failuresBefore && !keepGoing { return }
        }
    }

    /// Runs one top-level command, reporting its failure.
    public func runTopLevel(_ command: Command) throws(ControlFlow) {
        let recording = recorder
        recording?.begin(command)
        defer { if recorder === recording { recording?.end() } }
        let failuresBefore = failureCount
        try reportingFailure(at: command.location) { () throws in try execute(command) }
        if session.typedCommands != nil, failureCount == failuresBefore, !Interpreter.isLeftOutOfEmitC(command) {
            session.typedCommands?.append(command.source)
        }
        // A signal the command itself brought (signal send self USR1) is handled now, not only
        // before a next command that may never come.
        if UserSignals.caughtPending { try runSignalHandlers() }
        // Recording: let children's output arrive before the next command, as check and replay do.
        if recording != nil || settlesAfterEachCommand { settleChildren() } else { supervisor.drainAvailable() }
        if session.output.flushEachCommand { session.output.flush() }
    }

    /// What `emit-c` in the shell leaves out of the session typed so far: asking for help, and
    /// the pictures and programs made of the session (`emit-c`, `diagram`, `record`).
    static func isLeftOutOfEmitC(_ command: Command) -> Bool {
        guard case .word(let first)? = command.arguments.first, let name = first.literalText else { return false }
        return ["help", "emit-c", "diagram", "record"].contains(name)
    }

    /// Runs one simple top-level command of a script (neither recording nor settling after each
    /// command: `runTopLevel(streaming:file:)` checks), reporting its failure.
    func runTopLevel(_ simple: SimpleCommand, source: [UInt8]) throws(ControlFlow) {
        try reportingFailure(at: simple.location) { () throws in try execute(simple, source: source) }
        if UserSignals.caughtPending { try runSignalHandlers() }
        supervisor.drainAvailable()
        if session.output.flushEachCommand { session.output.flush() }
    }

    /// Runs `body`, reporting its failure; `exit` and Ctrl-C go on up.
    @inline(__always)
    private func reportingFailure(at location: SourceLocation, _ body: () throws -> Void) throws(ControlFlow) {
        do {
            try body()
        } catch let failure as CommandFailure {
            report(failure.diagnostic)
        } catch let flow as ControlFlow {
            session.output.flush()
            throw flow
        } catch {
            report(Diagnostic("\(error)", at: location))
        }
    }

    /// Reports a failure to stderr and counts it.
    public func report(_ diagnostic: Diagnostic) {
        failureCount += 1
        session.lastStatus = 1
        session.output.diagnostic(diagnostic, withLocation: !session.isInteractive)
    }

    /// Parses and runs source text (a typed line, `-c`, a script). Parse errors are reported.
    public func run(source: String, file: String) throws(ControlFlow) {
        let script: Script
        do {
            script = try Parser.parse(source, file: file)
        } catch {
            report(error)
            return
        }
        try runTopLevel(script)
    }

    // MARK: Blocks and commands

    /// Runs a block's commands; the first failure fails the block.
    public func runBlock(_ block: Block) throws {
        // Blocks inside procs inside sourced scripts: bound the whole nesting, not only each part.
        guard blockDepth < Interpreter.maximumBlockDepth else {
            throw Diagnostic("commands nested more than \(Interpreter.maximumBlockDepth) deep (blocks, procs and source together)",
                             at: block.location, hint: "does a proc call itself without end?")
        }
        blockDepth += 1
        defer { blockDepth -= 1 }
        for command in block.commands { try execute(command) }
    }

    private var blockDepth = 0
    static let maximumBlockDepth = 400

    /// Runs one command: expands its words, finds its spec, checks its arguments, runs it,
    /// prints or binds its result, and sets `$?` and `$_`.
    public func execute(_ command: Command) throws {
        try performing(binding: command.binding, at: command.location) { () throws in try dispatch(command) }
    }

    /// Runs a simple command (`SimpleCommand`) parsed from `source`: directly when its name was
    /// resolved lately and its words bind in order (most commands of a long script), otherwise
    /// as the `Command` the parser would have made of it.
    func execute(_ simple: SimpleCommand, source: [UInt8]) throws {
        try performing(binding: nil, at: simple.location) { () throws in
            if let (spec, skip) = recentSpec(simple) {
                if let direct = spec.direct, let result = try direct(simple, DirectContext(interpreter: self, spec: spec, skip: skip)) {
                    commandsRunDirectly &+= 1
                    return result
                }
                var context = CommandContext(BoundCommand(spec: spec, location: simple.location, binding: nil), interpreter: self)
                if try ArgumentBinder.bindInOrder(spec: spec, arguments: simple, skipWords: skip, scope: self, into: &context.bound) {
                    return try spec.run(context)
                }
            }
            return try dispatch(simple.command(in: source))
        }
    }

    /// A command's value: `$_`, and the variable it is bound to or a line of output.
    @inline(__always)
    private func deliver(_ value: WordBytes, binding: String?) {
        session.lastResult = value
        if let name = binding {
            session.variables[name] = value.array
        } else {
            session.output.line(word: value)
        }
    }

    /// Runs a command's body (`dispatch`): prints or binds its result, sets `$?` and `$_`, and
    /// turns its errors into a located `CommandFailure`.
    @inline(__always)
    private func performing(binding: String?, at location: SourceLocation,
                            _ body: () throws -> CommandResult) throws {
        if Signals.interruptPending { throw ControlFlow.interrupted }
        if UserSignals.caughtPending { try runSignalHandlers() }
        if let log = session.diagramLog { log.commandStarted() }
        do {
            let result = try body()
            session.lastStatus = 0
            switch result {
            case .none:
                if let name = binding {
                    // It ran, but there is nothing to name: say so rather than leave $name unset.
                    throw Diagnostic("\(name) = ...: the command gives no value or handle to bind", at: location,
                                     hint: "only commands that print a value (read, echo, a proc) or make a handle can be bound")
                }
            case .word(let word):
                deliver(word, binding: binding)
            case .value(let bytes):
                // A long value stays in its array (a word holds it as it is); a short one is inline.
                deliver(WordBytes(bytes), binding: binding)
            case .handle(let handle):
                session.lastResult = WordBytes(handle.name)
                if let log = session.diagramLog, let child = handle as? ChildHandle { log.named(child.pid, child.name) }
            case .structure(let text, let fields):
                session.lastResult = WordBytes(text)
                if let name = binding {
                    session.variables[name] = text
                    session.variableFields[name] = (text, Dictionary(fields, uniquingKeysWith: { first, _ in first }))
                } else {
                    session.output.line(bytes: text)
                }
            }
        } catch let error as CommandFailure {
            session.lastStatus = 1
            throw error
        } catch let error as ControlFlow {
            throw error
        } catch let error as Diagnostic {
            session.lastStatus = 1
            var located = error
            if located.location == nil { located.location = location }
            throw CommandFailure(diagnostic: located)
        } catch let error as SystemCallError {
            session.lastStatus = 1
            if error.wasInterrupted && Signals.interruptPending { throw ControlFlow.interrupted }
            throw CommandFailure(diagnostic: Diagnostic(error.description, at: location,
                                                        hint: registry.hint(for: error)))
        }
    }

    /// The spec that the literal name words of a command resolved to lately, and how many words
    /// name it. A script names the same few commands again and again, and comparing a few bytes
    /// beats building Strings and hashing them (scripts/bench.sh). A name resolves to a spec
    /// before groups and procs, so the answer never changes.
    @inline(__always)
    private func recentSpec<Words: LiteralWords>(_ words: Words) -> (spec: CommandSpec, skipWords: Int)? {
        guard words.count > 0, let (first, _) = words.literal(at: 0) else { return nil }
        for i in recentSpecs.indices where recentSpecs[i].first == first {
            guard let second = recentSpecs[i].second else { return (recentSpecs[i].spec, 1) }
            if words.count > 1, let (bytes, _) = words.literal(at: 1), bytes == second { return (recentSpecs[i].spec, 2) }
        }
        return nil
    }

    private func dispatch(_ command: Command) throws -> CommandResult {
        if let (spec, skip) = recentSpec(command.arguments) {
            var expanded: [WordBytes]?
            if !command.wordsAreLiteral {
                // Some word has substitutions: expand them all first, in order, as below.
                var all: [WordBytes] = []
                all.reserveCapacity(command.arguments.count)
                for argument in command.arguments {
                    if case .word(let word) = argument { all.append(try expandedBytes(word)) } else { all.append(WordBytes()) }
                }
                expanded = all
            }
            return try run(spec, command, skipWords: skip, expanded: expanded)
        }

        // Expand every word; blocks stay as they are.
        var words: [(word: Word, bytes: WordBytes)] = []
        var expanded: [WordBytes] = []
        words.reserveCapacity(command.arguments.count)
        expanded.reserveCapacity(command.arguments.count)
        for argument in command.arguments {
            switch argument {
            case .word(let word):
                let bytes = try expandedBytes(word)
                words.append((word, bytes))
                expanded.append(bytes)
            case .block:
                expanded.append(WordBytes())
            }
        }
        guard let first = words.first else {
            throw Diagnostic("a block needs a command before it", at: command.location)
        }
        let name = first.bytes.string
        if name.hasPrefix("@") && name.count > 1 && !first.word.wasQuoted {
            return try sendToActor(String(name.dropFirst()), command: command, wordCount: words.count)
        }
        let subcommand = words.count >= 2 ? (words[1].bytes.array, words[1].word.location) : nil
        let consumed: Int
        let spec: CommandSpec
        if let (found, named) = try registry.spec(named: name, at: first.word.location, subcommand: subcommand) {
            spec = found
            consumed = named
        } else if let body = session.procs[name] {
            if let binding = command.binding { try session.checkBindable(binding) }
            let arguments = words.dropFirst().map { $0.bytes.string }
            guard command.binding == nil else {
                return .printed(try callProc(name, body: body, arguments: arguments, at: command.location), bound: true, session: session)
            }
            // Not kept: its lines go out as they come (a proc that sleeps between them shows
            // each in its time); what it printed is still `$_`.
            session.lastResult = WordBytes(try callProc(name, body: body, arguments: arguments, at: command.location, showing: true))
            return .none
        } else {
            throw Diagnostic("unknown command '\(Escaping.display(first.bytes.array))'", at: first.word.location, hint: unknownCommandHint(name))
        }
        // Remember the spec when the words naming it are single literals.
        if let firstBytes = words[0].word.singleLiteral {
            let second = consumed == 2 ? words[1].word.singleLiteral : nil
            if consumed == 1 || second != nil {
                if recentSpecs.count >= 8 { recentSpecs.removeLast() }
                recentSpecs.insert(RecentSpec(first: firstBytes, second: second, spec: spec), at: 0)
            }
        }
        return try run(spec, command, skipWords: consumed, expanded: expanded)
    }

    /// Checks the binding, binds the arguments and runs the spec.
    private func run(_ spec: CommandSpec, _ command: Command, skipWords: Int, expanded: [WordBytes]?) throws -> CommandResult {
        if let binding = command.binding {
            do { try session.checkBindable(binding) } catch {
                var e = error
                e.location = command.location
                throw e
            }
        }
        // Bound in place in the context: no copy of the bound command on every command.
        var context = CommandContext(BoundCommand(spec: spec, location: command.location, binding: command.binding),
                                     interpreter: self)
        try ArgumentBinder.bind(spec: spec, arguments: command.arguments, skipWords: skipWords, expanded: expanded,
                                scope: self, into: &context.bound)
        return try spec.run(context)
    }

    /// Runs the `signal on` block of each signal caught since the last command, oldest first,
    /// with `$signal`, `$sender` and `$value` set (and restored after). A failing block is
    /// reported and the script goes on; `exit` and Ctrl-C go on up.
    func runSignalHandlers() throws(ControlFlow) {
        guard !runningSignalHandlers else { return }
        runningSignalHandlers = true
        defer { runningSignalHandlers = false }
        while let caught = UserSignals.takeCaught() {
            guard let block = session.signalHandlers[caught.signal] else { continue }
            session.diagramLog?.handled(signal: caught.signal, sender: caught.sender)
            let names = ["signal", "sender", "value"]
            let saved = names.map { session.variables[$0] }
            session.variables["signal"] = Array(UserSignals.name(caught.signal).utf8)
            session.variables["sender"] = Array(String(caught.sender).utf8)
            session.variables["value"] = Array(String(caught.value).utf8)
            defer { for (name, value) in zip(names, saved) { session.variables[name] = value } }
            try reportingFailure(at: block.location) { () throws in try runBlock(block) }
        }
    }

    private var runningSignalHandlers = false

    /// Runs a proc with `$1 ... $#` set; what it prints is its result.
    /// `showing`: the proc's lines are printed as they come too (a call that does not keep
    /// its output: `greet world`, not `x = greet world` or an RPC call).
    public func callProc(_ name: String, body: Block, arguments: [String], at location: SourceLocation,
                         showing: Bool = false) throws -> [UInt8] {
        guard session.positionalStack.count < 64 else {
            throw Diagnostic("\(name): procs nested too deeply (does it call itself forever?)", at: location)
        }
        session.pushArguments([name] + arguments, from: .proc(name))
        session.output.beginCapture(showing: showing)
        defer { session.popArguments() }
        do {
            try runBlock(body)
        } catch {
            _ = session.output.endCapture()
            throw error
        }
        return session.output.endCapture()
    }

    private func unknownCommandHint(_ name: String) -> String {
        if name.contains("=") {
            return "to set a variable write set NAME VALUE; to name a result write NAME = COMMAND (with spaces)"
        }
        if let outside = HelpText.outsideTheShellHint(name) { return outside }
        let candidates = registry.topLevel + session.procs.keys.sorted()
        if let guess = CommandRegistry.didYouMean(name, among: candidates) { return guess + " (help lists every command)" }
        return "help lists every command"
    }

    // MARK: Expansion

    /// Expands one word to bytes: literal parts as they are, `$` parts substituted.
    public func expand(_ word: Word) throws(Diagnostic) -> [UInt8] {
        try expandedBytes(word).array
    }

    /// `expand`, keeping a literal word's bytes as they are (inline when short: no allocation).
    func expandedBytes(_ word: Word) throws(Diagnostic) -> WordBytes {
        if let bytes = word.singleLiteral { return bytes }
        // Built in a buffer kept from the last expansion: a short result is then copied inline
        // and the buffer kept, so `write shm1 hello-$i` in a loop allocates nothing.
        var result: [UInt8] = []
        swap(&result, &expansionBuffer)
        result.removeAll(keepingCapacity: true)
        for part in word.parts { try expand(part, in: word, into: &result) }
        let bytes = WordBytes(result)
        if result.count <= WordBytes.inlineCapacity { swap(&result, &expansionBuffer) }
        return bytes
    }

    /// See `expandedBytes`.
    private var expansionBuffer: [UInt8] = []

    private func expand(_ part: WordPart, in word: Word, into result: inout [UInt8]) throws(Diagnostic) {
        switch part {
        case .withDefault(let inner, let fallback):
            if isSet(inner) { try expand(inner, in: word, into: &result) } else { result += fallback }
        case .literal(let bytes):
            result += bytes
        case .lastStatus:
            result += String(session.lastStatus).utf8
        case .lastResult:
            session.lastResult.withUnsafeBufferPointer { result.append(contentsOf: $0) }
        case .argumentCount:
            result += String(max(0, session.positional.count - 1)).utf8
        case .allArguments:
            result += session.positional.dropFirst().joined(separator: " ").utf8
        case .positional(let n):
            let args = session.positional
            guard n < args.count else {
                throw Diagnostic("$\(n) is not set: \(max(0, args.count - 1)) argument(s) were given", at: word.location,
                                 hint: n > 0 ? session.currentArgumentsOrigin.missingArgumentHint : nil)
            }
            result += args[n].utf8
        case .variable(let name, let field):
            result += try lookup(name, field: field, at: word.location)
        }
    }

    /// Whether a substitution has a value (for `${NAME:-DEFAULT}`).
    private func isSet(_ part: WordPart) -> Bool {
        switch part {
        case .positional(let n): return n < session.positional.count && !session.positional[n].isEmpty
        case .variable(let name, nil): return session.variables[name] != nil || session.handle(named: name) != nil
        case .variable(let name, let field?):
            return session.handle(named: name)?.field(field) != nil || session.fields(ofVariable: name)?[field] != nil
        default: return true
        }
    }

    private func lookup(_ name: String, field: String?, at location: SourceLocation) throws(Diagnostic) -> [UInt8] {
        if let field {
            guard let handle = session.handle(named: name) else {
                if let fields = session.fields(ofVariable: name) {
                    guard let value = fields[field] else {
                        throw Diagnostic("$\(name) has no member '\(field)'", at: location,
                                         hint: "its members are: " + fields.keys.sorted().joined(separator: ", "))
                    }
                    return Array(value.utf8)
                }
                if session.variables[name] != nil {
                    throw Diagnostic("$\(name) is a variable and has no field '\(field)'", at: location,
                                     hint: "to follow it with text, write ${\(name)}.\(field)")
                }
                throw Diagnostic("undefined handle $\(name) (in $\(name).\(field))", at: location,
                                 hint: nameHint(name))
            }
            guard let value = handle.field(field) else {
                let names = ["name", "kind"] + handle.fields.map(\.name)
                throw Diagnostic("\(name) has no field '\(field)'", at: location,
                                 hint: "its fields are: " + names.joined(separator: ", "))
            }
            return Array(value.utf8)
        }
        if let value = session.variables[name] { return value }
        if let handle = session.handle(named: name) { return Array(handle.name.utf8) }
        if name == "i" {
            throw Diagnostic("undefined variable $i", at: location, hint: "$i is set inside repeat N { ... }")
        }
        throw Diagnostic("undefined variable $\(name)", at: location, hint: nameHint(name))
    }

    private func nameHint(_ name: String) -> String {
        let known = Array(session.variables.keys) + session.handleOrder
        if let guess = CommandRegistry.didYouMean(name, among: known) { return guess }
        return "set it first with set \(name) VALUE or \(name) = COMMAND"
    }
}
