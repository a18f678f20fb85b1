import IPCSyntax

/// The C program `emit-c` writes: includes, one `main`, statements with their indentation, and
/// what the commands before need the ones after to know (the C variable of each handle, which
/// children were forked, whether the code runs in a child, the loop counters).
public struct CProgram {
    private(set) var includes: Set<String> = ["stdio.h", "stdlib.h"]
    private(set) var lines: [String] = []
    private var depth = 1
    /// Actors (`r = fork`), in order: the commands sent to each become the cases of its loop.
    private(set) var actors: [String] = []
    /// Actors whose control pipe is still open in the parent (until `wait`).
    var openActors: [String] = []
    private var actorCases: [String: [String]] = [:]
    private var actorDepth: [String: Int] = [:]
    /// What each actor had when it was forked: its own copy of the handles and variables.
    private var actorHandles: [String: [String: CHandle]] = [:]
    private var actorVariables: [String: [String: CVariable]] = [:]
    /// Cases are numbered across the program.
    private var stepCounter = 0
    /// Procs defined so far, their bodies lowered into a function at their first call.
    var procBodies: [String: [PlanStep]] = [:]
    private(set) var functionNames: [String] = []
    private var functionTexts: [String] = []
    /// Lowering a proc's function (no fork or actor there).
    var inFunction = false
    /// Structs declared so far (`struct shmseg { ... }`), laid out as the shell lays them out.
    var structs: [String: CStruct] = [:]
    /// Handle name (as the session names it) -> what it is in C.
    var handles: [String: CHandle] = [:]
    /// Handles no longer open (closed, removed, waited for): their names may be bound again, as
    /// in the shell. A pipe's ends are counted one by one (`p.r`, `p.w`).
    var closedHandles: Set<String> = []

    /// The handle is closed, removed or waited for.
    mutating func closed(_ name: String) { closedHandles.insert(name) }

    /// Whether the shell would still hold the handle open.
    func isOpen(_ name: String) -> Bool {
        guard let kind = handles[name] else { return false }
        if kind == .pipe { return !(closedHandles.contains(name + ".r") && closedHandles.contains(name + ".w")) }
        return !closedHandles.contains(name)
    }
    /// Children forked so far, in order (for `wait`).
    var children: [String] = []
    /// Per kind, how many handles were named after it (`pipe1`, `child2`), as the session counts.
    private var counters: [String: Int] = [:]
    /// How many handles the program has named so far (a command inside a loop may make none).
    private(set) var namesMade = 0
    /// The loop counters in scope, innermost last: `$i` is the last.
    var loopCounters: [String] = []
    /// Inside a forked child's body.
    var inChild = false
    /// The script's variables in C (`set`, a bound `read`), by name; a block's go at its end.
    var variables: [String: CVariable] = [:]
    private var scopes: [[String]] = [[]]
    /// Buffers made for text (`text1`, `text2`).
    var textCounter = 0
    /// `$1`, `${2:-...}`: main takes argc and argv.
    var usesArguments = false
    /// `cleanup on`: segments made here and not removed are removed at the end, as the shell does.
    var cleanupOnExit = false
    /// Segments this program created and has not removed (for `cleanup on`), in order.
    var createdSegments: [String] = []
    /// The paths (as C expressions) of FIFOs this program made and has not removed.
    var createdFIFOs: [String] = []

    public init() {}

    /// Declarations at file scope, once each, in order (`union semun`, which the caller of semctl defines).
    private(set) var declarations: [String] = []
    /// Semaphore sets this program created and has not removed (for `cleanup on`).
    var createdSemaphoreSets: [String] = []
    /// `MSG_EXCEPT` and the like: `#define _GNU_SOURCE` before the includes.
    var gnuSource = false
    /// Message queues this program created and has not removed (for `cleanup on`).
    var createdQueues: [String] = []
    /// POSIX queues this program created and has not unlinked: handle name and path literal.
    var createdPosixQueues: [(name: String, path: String)] = []
    /// Each POSIX queue handle's name, as a C string literal.
    var posixPaths: [String: String] = [:]

    /// The session's handles as C variables at file scope (`int p[2];`), so that a proc's
    /// function sees them as the shell's procs do; one declaration per name.
    private(set) var globals: [String] = []

    mutating func global(_ type: String, _ declarator: String) {
        let text = "\(type) \(declarator);"
        if !globals.contains(text) { globals.append(text) }
    }

    mutating func declare(fileScope text: String) {
        if !declarations.contains(text) { declarations.append(text) }
    }

    /// A fresh name for a temporary (`values1`, `line2`).
    mutating func temporary(_ stem: String) -> String {
        textCounter += 1
        return "\(stem)\(textCounter)"
    }

    /// An actor's loop, in the child: the cases are filled in as the parent sends it commands.
    mutating func actorLoop(_ name: String) {
        actors.append(name)
        openActors.append(name)
        actorHandles[name] = handles
        actorVariables[name] = variables
        line("int step;")
        open("while (read(\(name)_ctl[0], &step, sizeof step) == (ssize_t)sizeof step)")
        open("switch (step)")
        actorDepth[name] = depth
        line("/*@actor \(name)@*/")
        close()
        close()
    }

    /// `@NAME COMMAND`: the parent sends the next case's number; `body` writes the case, in the
    /// actor's loop, with what the actor has (its handles and variables as at the fork).
    mutating func send(to name: String, at location: SourceLocation,
                       _ body: (inout CProgram) throws(CEmitError) -> Void) throws(CEmitError) {
        guard let caseDepth = actorDepth[name] else {
            throw CEmitError("emit-c: @\(name) names no actor this script forked (NAME = fork) before", at: location)
        }
        guard openActors.contains(name) else {
            throw CEmitError("emit-c: @\(name) after wait \(name): the actor has ended", at: location)
        }
        stepCounter += 1
        let step = stepCounter
        include("unistd.h")
        open("")
        line("int step = \(step);")
        check("write(\(name)_ctl[1], &step, sizeof step) == -1", "write")
        close()
        // The case, written where the actor's loop is.
        let saved = (lines, depth, handles, variables, scopes, loopCounters, inChild)
        lines = actorCases[name] ?? []
        depth = caseDepth
        handles = actorHandles[name] ?? [:]
        variables = actorVariables[name] ?? [:]
        scopes = [[]]
        loopCounters = []
        inChild = true
        open("case \(step):")
        let before = handles.count
        do throws(CEmitError) {
            try body(&self)
        } catch {
            (lines, depth, handles, variables, scopes, loopCounters, inChild) = saved
            throw error
        }
        let madeHandle = handles.count != before
        line("break;")
        close()
        actorCases[name] = lines
        (lines, depth, handles, variables, scopes, loopCounters, inChild) = saved
        if madeHandle {
            throw CEmitError("emit-c: a handle made inside the actor \(name) has no C form here", at: location,
                             hint: "make it before the actor is forked, or in a fork { } block")
        }
    }

    /// A proc as `static void NAME(int argc, const char **argv)`: its `$1` is `argv[1]`, as in
    /// main; it sees the session's handles (file scope), not main's variables.
    mutating func function(_ name: String, comment: String, _ body: (inout CProgram) throws(CEmitError) -> Void) throws(CEmitError) {
        functionNames.append(name)
        let saved = (lines, depth, variables, scopes, loopCounters, usesArguments, inFunction)
        lines = []
        depth = 1
        variables = [:]
        scopes = [[]]
        loopCounters = []
        inFunction = true
        line("(void)argc;")
        line("(void)argv;")
        do throws(CEmitError) { try body(&self) } catch {
            (lines, depth, variables, scopes, loopCounters, usesArguments, inFunction) = saved
            throw error
        }
        var text = "/* \(comment.replacing("*/", with: "* /")) */\nstatic void \(name)(int argc, const char **argv)\n{\n"
        for l in lines { text += l + "\n" }
        text += "}\n"
        functionTexts.append(text)
        (lines, depth, variables, scopes, loopCounters, usesArguments, inFunction) = saved
    }

    /// Not inside a block: what is declared here lives to the end of main.
    var isTopLevel: Bool { depth == 1 }

    mutating func include(_ headers: String...) { for h in headers { includes.insert(h) } }

    /// One statement (or a line of one), at the current indentation.
    mutating func line(_ text: String) { lines.append(String(repeating: "    ", count: depth) + text) }

    /// `/* shm create 3306 1024 */` above a command's C.
    mutating func comment(_ text: String) {
        line("/* " + text.replacing("*/", with: "* /") + " */")
    }

    mutating func open(_ text: String) { line(text.isEmpty ? "{" : text + " {"); depth += 1; scopes.append([]) }
    mutating func close(_ text: String = "}") {
        depth -= 1
        line(text)
        for name in scopes.removeLast() { variables[name] = nil }
    }

    /// A script variable declared at the current block (it goes out of scope with the block).
    mutating func declare(_ name: String, _ variable: CVariable) {
        if variables[name] == nil { scopes[scopes.count - 1].append(name) }
        variables[name] = variable
    }

    /// Words C reserves, and the names the program itself uses.
    static let reservedNames: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
        "true", "false", "main", "argc", "argv", "prefix", "data", "len", "message", "errno",
        "stdin", "stdout", "stderr", "exit", "printf", "read", "write", "close", "pipe", "fork", "i", "k",
    ]

    /// The name the session gives a handle: the binding (`p = pipe`), or KIND plus a counter.
    mutating func name(_ kind: String, binding: String?) -> String {
        namesMade += 1
        if let binding { closedHandles = closedHandles.filter { $0 != binding && !$0.hasPrefix(binding + ".") } }
        counters[kind, default: 0] += 1
        return binding ?? "\(kind)\(counters[kind]!)"
    }

    /// A check after a call, as the textbook writes it.
    mutating func check(_ condition: String, _ call: String) {
        line("if (\(condition)) { perror(\"\(call)\"); exit(1); }")
    }

    /// A `printf` of a line the shell prints, with the child's `[child1 4242] ` prefix in a child.
    mutating func say(_ format: String, _ arguments: [String] = []) {
        let args = ["prefix"] + arguments
        line("printf(\"%s\(format)\\n\", \(args.joined(separator: ", ")));")
    }

    /// The whole file.
    /// `origin`: what made it, for the first comment (`ipcsh emit-c lesson.ipcs`).
    public func render(origin: String) -> String {
        var out = "/* Generated by `\(origin)`: the same system calls as the script, in the\n"
        out += "   same order, printing the same lines (ids, addresses, pids and descriptor numbers aside). */\n"
        if gnuSource { out += "#define _GNU_SOURCE /* MSG_EXCEPT */\n" }
        for header in includes.sorted() { out += "#include <\(header)>\n" }
        for declaration in declarations { out += "\n" + declaration + "\n" }
        if !globals.isEmpty {
            out += "\n/* The session's handles, named as the shell names them. */\n"
            for g in globals { out += g + "\n" }
        }
        out += "\n/* \"[child1 4242] \" in a forked child, as the shell shows a child's lines. */\n"
        out += "static char prefix[64] = \"\";\n\n"
        if !functionNames.isEmpty {
            for name in functionNames { out += "static void \(name)(int argc, const char **argv);\n" }
            for text in functionTexts { out += "\n" + text }
            out += "\n"
        }
        out += usesArguments ? "int main(int argc, char **argv)\n{\n" : "int main(void)\n{\n"
        out += "    setvbuf(stdout, NULL, _IOLBF, 0);\n"
        for l in lines {
            let trimmed = l.drop { $0 == " " }
            if trimmed.hasPrefix("/*@actor "), trimmed.hasSuffix("@*/") {
                let name = String(trimmed.dropFirst("/*@actor ".count).dropLast(3))
                for c in actorCases[name] ?? [] { out += c + "\n" }
                continue
            }
            out += l + "\n"
        }
        out += "    return 0;\n}\n"
        return out
    }

    /// A C string literal of `bytes`.
    static func literal(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = String(b, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - hex.count) + hex
            }
        }
        return out + "\""
    }

    /// A `printf` format's text (a `%` doubled) of literal bytes.
    static func formatText(_ bytes: [UInt8]) -> String {
        let quoted = literal(bytes)
        return String(quoted.dropFirst().dropLast()).replacing("%", with: "%%")
    }
}

/// A script variable in C: how it prints (`%s` of `msg`, `%d` of `rounds`) and, when it holds
/// a number, the C expression of that number (`rounds`, `(int)strtol(key, NULL, 0)`).
struct CVariable {
    var format: String
    var argument: String
    var integer: String?
    /// `int rounds` and `const char *path` can be set again; a buffer made to its text's length cannot.
    var assignable: Bool
    /// A struct read whole (`v = read seg --as shmseg`): its members are `$v.cnt`, `$v.buf`.
    var structure: CStruct? = nil
    /// Named fields (`$m.type`, `$m.data` of a message): each a printf format and its arguments.
    var fields: [String: (format: String, arguments: String)] = [:]
}

/// What a handle is in the C program.
enum CHandle {
    /// `int p[2]`: a pipe's ends.
    case pipe
    /// `int buf_id` and, attached, `char *buf`.
    case segment
    /// `pid_t child1`.
    case child
    /// `int s_id`: a System V semaphore set, and `struct semid_ds s_ds` its status.
    case semaphores
    /// `int q_id`: a System V message queue.
    case queue
    /// `mqd_t q`: a POSIX message queue descriptor.
    case posixQueue
    /// `int f`: one descriptor (a FIFO opened with `fifo open`).
    case descriptor
}

/// Why a command has no C form here: the shell's message with the command's place.
public struct CEmitError: Error {
    public var diagnostic: Diagnostic
    init(_ message: String, at location: SourceLocation, hint: String? = nil) {
        diagnostic = Diagnostic(message, at: location, hint: hint)
    }
    init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }
}

/// How one command becomes C: declared with its spec (`CommandSpec.cForm`), so a new command
/// brings its own translation.
public typealias CForm = @Sendable (BoundCommand, inout CProgram) throws(CEmitError) -> Void
