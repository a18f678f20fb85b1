import IPCSyntax

/// A script bound without running it: each command's spec and typed values, handles by name
/// (`HandleSymbol`), substitutions as words, and the control flow as such: loops, forks, procs,
/// sourced files, commands sent to actors. What a back end that translates rather than runs
/// (emit-c, diagram) reads. Planning makes no system call: binding never does (`ftok` keys are
/// only checked; the interpreter computes them when the command runs).
public struct CommandPlan {
    public let steps: [PlanStep]

    /// Plans `script` against the commands of `registry`.
    public init(_ script: Script, registry: CommandRegistry = .standard) {
        var planner = Planner(registry: registry)
        self.init(steps: planner.plan(script.commands))
    }

    public init(steps: [PlanStep]) {
        self.steps = steps
    }

    /// Parses and plans source text; a parse error is the one step.
    public init(source: String, file: String, registry: CommandRegistry = .standard) {
        do {
            self.init(try Parser.parse(source, file: file), registry: registry)
        } catch {
            self.init(steps: [.invalid(error)])
        }
    }

    /// The steps in order, each followed by the steps of its body (depth first).
    public var allSteps: [PlanStep] {
        var all: [PlanStep] = []
        func visit(_ steps: [PlanStep]) {
            for step in steps {
                all.append(step)
                visit(step.body)
            }
        }
        visit(steps)
        return all
    }
}

/// One command of a `CommandPlan`.
public indirect enum PlanStep {
    /// A plain command (`CommandFlow.plain`).
    case command(BoundCommand)
    /// `repeat N { BODY }`.
    case loop(BoundCommand, body: [PlanStep])
    /// `fork { BODY }`; `fork` alone (body nil) makes an actor.
    case fork(BoundCommand, body: [PlanStep]?)
    /// `proc NAME { BODY }`.
    case procedure(name: String, BoundCommand, body: [PlanStep])
    /// A call of a proc defined before it: `greet world`.
    case call(proc: String, arguments: [Word], binding: String?, location: SourceLocation)
    /// `source FILE ARG...`: the file is read when it runs.
    case source(BoundCommand)
    /// `@NAME COMMAND...`: the rest of the line runs in the actor NAME.
    case send(actor: String, body: [PlanStep], location: SourceLocation)
    /// A command that does not bind (an unknown name, a wrong argument), and why.
    case invalid(Diagnostic)

    /// The steps this one holds: a loop's, a fork's or a proc's body, the command sent to an actor.
    public var body: [PlanStep] {
        switch self {
        case .loop(_, let body), .procedure(_, _, let body): return body
        case .fork(_, let body): return body ?? []
        case .send(_, let body, _): return body
        case .command, .call, .source, .invalid: return []
        }
    }

    /// The bound command, for the steps that are one.
    public var bound: BoundCommand? {
        switch self {
        case .command(let b), .loop(let b, _), .fork(let b, _), .procedure(_, let b, _), .source(let b): return b
        case .call, .send, .invalid: return nil
        }
    }
}

/// Plans commands in order, knowing the procs defined so far.
private struct Planner {
    let registry: CommandRegistry
    var procs: Set<String> = []
    /// Bodies within bodies (and actors' lines within lines, each parsed anew): bounded, so no
    /// input overflows the stack (a debug build's frames are large: 2,000 nested `@a` did).
    var depth = 0
    static let maximumDepth = 100

    mutating func plan(_ commands: [Command]) -> [PlanStep] {
        guard depth < Planner.maximumDepth else {
            return [.invalid(Diagnostic("commands nested more than \(Planner.maximumDepth) deep",
                                        at: commands.first?.location))]
        }
        depth += 1
        defer { depth -= 1 }
        return commands.map { plan($0) }
    }

    mutating func plan(_ command: Command) -> PlanStep {
        do {
            return try planned(command)
        } catch {
            var located = error
            if located.location == nil { located.location = command.location }
            return .invalid(located)
        }
    }

    private mutating func planned(_ command: Command) throws(Diagnostic) -> PlanStep {
        let scope = SymbolicScope()
        var words: [Word] = []
        for argument in command.arguments {
            if case .word(let word) = argument { words.append(word) }
        }
        guard let first = words.first else {
            throw Diagnostic("a block needs a command before it", at: command.location)
        }
        guard let nameBytes = try scope.expand(first) else {
            throw Diagnostic("the command's name is known only when it runs", at: first.location)
        }
        let name = nameBytes.string
        if name.hasPrefix("@") && name.count > 1 && !first.wasQuoted {
            return try sent(to: String(name.dropFirst()), command)
        }
        let subcommand = try words.count >= 2 ? scope.expand(words[1]).map { ($0.array, words[1].location) } : nil
        guard let (spec, named) = try registry.spec(named: name, at: first.location, subcommand: subcommand) else {
            guard procs.contains(name) else {
                throw Diagnostic("unknown command '\(Escaping.display(nameBytes.array))'", at: first.location)
            }
            return .call(proc: name, arguments: Array(words.dropFirst()), binding: command.binding, location: command.location)
        }
        var bound = BoundCommand(spec: spec, location: command.location, binding: command.binding)
        try ArgumentBinder.bind(spec: spec, arguments: command.arguments, skipWords: named, expanded: nil,
                                scope: scope, into: &bound)
        switch spec.flow {
        case .plain:
            return .command(bound)
        case .loop:
            return .loop(bound, body: plan(block(of: bound)?.commands ?? []))
        case .fork:
            return .fork(bound, body: block(of: bound).map { plan($0.commands) })
        case .procedure:
            let procName = bound.string("NAME") ?? ""
            procs.insert(procName)
            return .procedure(name: procName, bound, body: plan(block(of: bound)?.commands ?? []))
        case .source:
            return .source(bound)
        }
    }

    /// The `{ BLOCK }` argument of a bound command.
    private func block(of bound: BoundCommand) -> Block? {
        for index in bound.spec.arguments.indices where bound.spec.arguments[index].isBlock {
            if case .block(let block)? = bound.argument(index) { return block }
        }
        return nil
    }

    /// `@NAME COMMAND...`: the text after `@NAME`, planned as the actor will run it (in its own
    /// session: its procs are its own).
    private mutating func sent(to actor: String, _ command: Command) throws(Diagnostic) -> PlanStep {
        let text = command.actorCommandText
        guard command.arguments.count > 1, !text.isEmpty else {
            throw Diagnostic("@\(actor): missing command", at: command.location,
                             hint: "write @\(actor) COMMAND, e.g. @\(actor) status")
        }
        var inActor = Planner(registry: registry, depth: depth)
        let script = try Parser.parse(text, file: command.location.file)
        return .send(actor: actor, body: inActor.plan(script.commands), location: command.location)
    }
}
