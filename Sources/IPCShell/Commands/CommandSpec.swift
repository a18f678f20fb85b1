import IPCSyntax
/// What an argument is: drives checking, conversion, completion and the docs.
public enum ArgumentKind: Sendable, Equatable {
    /// A handle name of one of these kinds (any kind when empty).
    case handle([HandleKind])
    /// A handle name of these kinds, or an IPC key.
    case handleOrKey([HandleKind])
    /// A handle of one of these kinds, or the word `all` (`wait all`).
    case handleOrAll([HandleKind])
    /// `3306`, `0xcea`, `private`, `ftok:PATH:ID`.
    case key
    /// Bytes, with `k`/`KiB`/`M`/`MiB` suffixes.
    case size
    /// `500ms`, `2s`, `1m`.
    case duration
    /// A non-negative integer.
    case count
    /// Octal permission bits.
    case mode
    case path
    /// Arbitrary data (any bytes).
    case text
    /// One of a fixed set of words.
    case keyword([String])
    /// A command name (for `help`).
    case commandName
    /// A plain name (variables).
    case name
    /// A `{ ... }` block.
    case block
    /// A descriptor: `pipe1.r`, `pipe1.w`, `fifo1`.
    case descriptor
    /// A descriptor, or a whole handle of descriptors (`pipe1` = both ends), for close.
    case descriptorOrOwner
    /// A shared memory segment or a descriptor (for read and write).
    case dataTarget
    /// A signal: TERM, SIGINT, 9.
    case signal
    /// A socket address in one of these schemes (`unix`, `tcp`, `udp`): `unix:/path`, `tcp:HOST:PORT`.
    case address([String])
    /// A unix socket descriptor (`s.a`, a `unix:` connection), to pass descriptors over.
    case unixSocket
    /// A JSON-RPC method: the name of a proc on the server.
    case method
    /// A whole number in a range (`exit`'s code).
    case wholeNumber(ClosedRange<Int>)
    /// The name of a struct declared with `struct NAME { ... }` (or, for `sizeof`, a C type word).
    case structName
    /// A member of the struct named before it (`offsetof shmseg cnt`, `hdr.len`).
    case structMember
    /// Data, or with `--as STRUCT` a struct's members: `MEMBER=VALUE`.
    case dataOrMembers
    /// A POSIX IPC name (`/orders`) of this kind of object (`.pmq`, `.psem`, `.pshm`); with
    /// `orHandle`, also the name of a handle of that kind (for `rm`).
    case posixName(HandleKind, orHandle: Bool)
    /// `--cpus 0,1`: two CPU numbers (the shell's, the child's).
    case cpuPair

    var isBlock: Bool {
        if case .block = self { return true }
        return false
    }

    /// How the docs and usage lines describe it.
    public var describe: String {
        switch self {
        case .handle(let kinds): return kinds.isEmpty ? "a handle name" : "the name of a " + kinds.map(\.displayName).joined(separator: " or ")
        case .handleOrAll(let kinds): return "the name of a " + kinds.map(\.displayName).joined(separator: " or ") + ", or all"
        case .handleOrKey(let kinds): return "the name of a " + kinds.map(\.displayName).joined(separator: " or ") + ", or an IPC key"
        case .key: return "an IPC key: decimal (3306), hex (0xcea), private, or ftok:PATH:ID"
        case .size: return "a size in bytes, with an optional k, K, KiB, M or MiB suffix"
        case .duration: return "a duration: 500ms, 2s, 1m (a bare number is seconds)"
        case .count: return "a whole number, 0 or more"
        case .mode: return "octal permission bits such as 0600"
        case .path: return "a file path"
        case .text: return "data"
        case .keyword(let words): return "one of: " + words.joined(separator: ", ")
        case .commandName: return "a command name"
        case .name: return "a name"
        case .block: return "a { ... } block"
        case .descriptor: return "a descriptor: a pipe end (pipe1.r), an open FIFO (fifo1), a socket (sock1, sock1.a) or a received descriptor (fd1)"
        case .descriptorOrOwner: return "a descriptor (pipe1.r, fifo1, sock1.a), or a pipe or socket pair (all its ends)"
        case .dataTarget: return "an attached segment (shm1) or a descriptor (pipe1.w, fifo1, sock1.a, fd1)"
        case .signal: return "a signal name or number: TERM, INT, KILL, USR1, HUP, 9"
        case .address(let schemes):
            let forms = schemes.map { ArgumentKind.addressForms[$0] ?? "\($0):..." }
            return "a socket address: " + ArgumentKind.list(forms, "or")
        case .unixSocket: return "a unix socket: an end of a socket pair (sock1.a) or a unix: connection (sock2)"
        case .method: return "a method name: a proc the server defines"
        case .wholeNumber(let range): return "a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .structName: return "the name of a struct declared with struct NAME { ... }"
        case .structMember: return "a member of that struct (cnt, or hdr.len for a nested one)"
        case .posixName(let kind, let orHandle):
            let example = kind == .pmq ? "/orders" : kind == .psem ? "/lock" : "/frame"
            return (orHandle ? "a \(kind.displayName) handle, or " : "") + "the \(kind.displayName)'s POSIX name: / and a word (\(example))"
        case .cpuPair: return "two CPU numbers, A,B: the shell's and the child's (0,1 runs them apart, 0,0 on one CPU)"
        case .dataOrMembers: return "data; with --as STRUCT, members as MEMBER=VALUE (cnt=5 buf=hello data=[1,2,3])"
        }
    }

    /// How each socket address scheme is written.
    static let addressForms = ["unix": "unix:/path", "tcp": "tcp:HOST:PORT", "udp": "udp:HOST:PORT"]

    /// `a, b or c`.
    static func list(_ items: [String], _ conjunction: String) -> String {
        guard let last = items.last else { return "" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}

public struct ArgumentSpec: Sendable {
    public let name: String
    /// `name` as written: what `CommandContext` looks arguments up by.
    public let key: StaticString
    public var kind: ArgumentKind {
        didSet { isBlock = kind.isBlock }
    }
    public var isOptional: Bool
    /// Takes every remaining word.
    public var isVariadic: Bool
    /// `kind` is `.block` (asked for every argument of every command: no enum copy for it).
    public private(set) var isBlock: Bool
    /// What this argument is, when its kind alone says too little (`! COMMAND` is text, but a
    /// shell command line).
    public var about: String?

    public init(_ name: StaticString, _ kind: ArgumentKind, optional: Bool = false, variadic: Bool = false,
                about: String? = nil) {
        self.name = name.description
        self.key = name
        self.kind = kind
        self.isBlock = kind.isBlock
        self.isOptional = optional
        self.isVariadic = variadic
        self.about = about
    }

    /// How help, the docs and errors describe it.
    public var describe: String { about ?? kind.describe }
}

public struct OptionSpec: Sendable {
    /// `--mode`.
    public let name: String
    /// `name` as written (see `ArgumentSpec.key`).
    public let key: StaticString
    /// nil for a flag.
    public var value: ArgumentKind?
    public var valueName: String
    public var summary: String

    public init(_ name: StaticString, _ value: ArgumentKind? = nil, valueName: String = "", summary: String) {
        self.name = name.description
        self.key = name
        self.value = value
        self.valueName = valueName
        self.summary = summary
    }
}

/// What a command produces.
public enum CommandResult {
    case none
    /// A value: printed alone on its line, or bound with `NAME =`.
    case value([UInt8])
    /// A value as a word (`read` of a descriptor): the same as `.value`, with no array made for
    /// a short one.
    case word(WordBytes)
    /// A handle, already registered.
    case handle(any Handle)
    /// A decoded C struct: printed as its text (`{ cnt = 5, buf = "hello" }`); bound with
    /// `NAME =`, each member is a field (`$NAME.cnt`).
    case structure(text: [UInt8], fields: [(String, String)])

    /// What a proc printed (called here, or by `rpc call`) as a command's result: printed again,
    /// or bound. A proc that printed nothing prints nothing, not an empty line; `$_` and a
    /// binding get the empty text.
    static func printed(_ bytes: [UInt8], bound: Bool, session: Session) -> CommandResult {
        guard bytes.isEmpty && !bound else { return .value(bytes) }
        session.lastResult = WordBytes()
        return .none
    }
}

/// What a command is to the shape of a script: most commands are plain; the others run blocks
/// or other files, and a back end that translates a script (`CommandPlan`) shows them as such.
public enum CommandFlow: Sendable, Equatable {
    case plain
    /// `repeat N { BODY }`: BODY N times, with `$i`.
    case loop
    /// `fork { BODY }`: BODY in a child; `fork` alone: an actor.
    case fork
    /// `proc NAME { BODY }`: defines a command.
    case procedure
    /// `source FILE ARG...`: another script, in this session.
    case source
}

/// A command run straight from a script's words (`SimpleCommand`: its name is the first
/// `ctx.skip` words), with no bound command or context made for it: binding and a context cost
/// more than the system call of a short read or write (issue 15.5, callgrind). It runs only its
/// simple case, through the same code as `run`, and returns nil having done nothing for any
/// other (an option, a name binding would refuse, a kind it leaves to `run`): the interpreter
/// then binds and runs the words as usual, so every error is binding's or `run`'s own.
public typealias DirectForm = @Sendable (_ words: SimpleCommand, _ ctx: DirectContext) throws -> CommandResult?

/// A command that describes itself: name, usage, summary, example, typed arguments — and runs.
/// A class: every command run holds its spec, and sharing one reference is cheaper than copying
/// seven fields (scripts/bench.sh).
public final class CommandSpec: Sendable {
    /// `shm create`, `echo`.
    public let name: String
    public let summary: String
    public let arguments: [ArgumentSpec]
    /// No block, and a variadic argument only last: given words, in order, are the arguments in
    /// order (a variadic argument given one word keeps it in its own slot: `BoundCommand.rest`).
    let argumentsBindInOrder: Bool
    /// The position of the variadic argument, if any (always the last).
    let variadicIndex: Int?
    public let options: [OptionSpec]
    /// Where each argument's and option's name as written (`key`) is in memory: a command's
    /// body looks its arguments up by the same literals, which the compiler keeps once, so most
    /// look-ups compare one address per argument rather than bytes (callgrind: a look-up by
    /// name cost ~190 instructions, several per command).
    let argumentKeyAddresses: [UInt]
    let optionKeyAddresses: [UInt]
    public let example: String
    /// Longer text for `help NAME` and the docs.
    public let discussion: String
    /// Plain, or the control flow it is (`repeat`, `fork`, `proc`, `source`).
    public let flow: CommandFlow
    /// The command as C, for `emit-c` (nil: it has none, and emit-c refuses it).
    public let cForm: CForm?
    public let run: @Sendable (CommandContext) throws -> CommandResult
    /// The same command run straight from a script's words, for the commands long scripts
    /// repeat most (`DirectForm`); nil for most.
    public let direct: DirectForm?

    public init(_ name: String, summary: String, arguments: [ArgumentSpec] = [], options: [OptionSpec] = [],
                example: String, discussion: String = "", flow: CommandFlow = .plain, cForm: CForm? = nil,
                direct: DirectForm? = nil, run: @escaping @Sendable (CommandContext) throws -> CommandResult) {
        self.name = name
        self.summary = summary
        self.arguments = arguments
        let variadic = arguments.firstIndex { $0.isVariadic }
        self.variadicIndex = variadic
        self.argumentsBindInOrder = !arguments.contains { $0.isBlock } && (variadic == nil || variadic == arguments.count - 1)
        self.options = options
        self.argumentKeyAddresses = arguments.map { $0.key.address }
        self.optionKeyAddresses = options.map { $0.key.address }
        self.example = example
        self.discussion = discussion
        self.flow = flow
        self.cForm = cForm
        self.direct = direct
        self.run = run
    }


    /// `shm create KEY SIZE [--mode MODE] [--excl]`.
    public var usage: String {
        var parts = [name]
        for argument in arguments {
            var text = argument.kind == .block ? "{ \(argument.name) }" : argument.name
            if argument.isVariadic { text += "..." }
            parts.append(argument.isOptional ? "[\(text)]" : text)
        }
        for option in options {
            parts.append(option.value == nil ? "[\(option.name)]" : "[\(option.name) \(option.valueName)]")
        }
        return parts.joined(separator: " ")
    }
}
