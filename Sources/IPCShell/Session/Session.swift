import IPCSys
import IPCSyntax

/// The session: the handle table, variables and positional arguments.
///
/// It never knows about the terminal: it is driven by the interpreter and writes through `output`.
public final class Session {
    public let output: Output
    /// Handles by name, and their names in the order they were made (for `status`).
    public private(set) var handles: [String: any Handle] = [:] {
        didSet {
            lastLookupHandle = nil
            recentDescriptors = (nil, nil)
        }
    }
    /// The descriptor words named lately and what they named (`p.w`, then `p.r`, in turn): a
    /// script names the same ends command after command, and taking the answer again costs
    /// less than splitting the word and looking up the handle and its end (callgrind). Forgotten
    /// whenever the handle table changes; each is used only while its end is still open, as
    /// the same descriptor. Words and descriptors are kept apart: a word is compared where it
    /// is, and only the descriptor that answers is copied.
    private var recentWords: (latest: WordBytes, before: WordBytes) = (WordBytes(), WordBytes())
    private var recentDescriptors: (latest: DescriptorRef?, before: DescriptorRef?) = (nil, nil)

    @inline(__always)
    func recentDescriptor(named word: WordBytes) -> DescriptorRef? {
        if recentWords.latest == word, let latest = recentDescriptors.latest { return latest.isStillOpen ? latest : nil }
        if recentWords.before == word, let before = recentDescriptors.before { return before.isStillOpen ? before : nil }
        return nil
    }

    func noteDescriptor(_ descriptor: DescriptorRef, named word: WordBytes) {
        recentWords = (word, recentWords.latest)
        recentDescriptors = (descriptor, recentDescriptors.latest)
    }

    /// The last handle found by name: scripts name the same handle command after command, and
    /// comparing a short name's inline bytes costs less than making a String to hash.
    /// (The name apart from the handle: compared where it is, with no copy of the handle.)
    private var lastLookupName = WordBytes()
    private var lastLookupHandle: (any Handle)?
    public private(set) var handleOrder: [String] = []
    private var counters: [HandleKind: Int] = [:]
    public var variables: [String: [UInt8]] = [:]
    /// `$0 $1 ...` of the running script, `source` or proc; the last is current.
    public var positionalStack: [[String]] = [[]]
    /// Where the first entry of `positionalStack` came from (set with it by the command line).
    public var argumentsOrigin = ArgumentsOrigin.script
    /// Where each later entry came from (`pushArguments`).
    var nestedArgumentsOrigins: [ArgumentsOrigin] = []
    public var lastStatus: Int32 = 0
    /// `$_`: a word, so a short value (most reads) is kept inline, with no array made or freed.
    public var lastResult = WordBytes()

    /// An empty array for a command to build its value in: the storage of `$_`, which the new
    /// value replaces anyway, when nothing else holds it (no allocation per `read`). Take it only
    /// once nothing can fail any more: `$_` is empty until the value is returned.
    public func takeResultBuffer() -> [UInt8] {
        var buffer = lastResult.heldArray ?? []
        lastResult = WordBytes()
        buffer.removeAll(keepingCapacity: true)
        return buffer
    }
    /// `--cleanup` / `cleanup on`: remove what this session created when it ends.
    public var cleanupOnExit = false
    /// Interactive: errors print without file:line:col.
    public var isInteractive = false
    /// A forked child: it owns nothing it inherited, cleans nothing up and reports nothing at exit.
    public var isChild = false
    /// `proc NAME { ... }` definitions.
    public var procs: [String: Block] = [:]
    /// `signal on SIG { BLOCK }`: the block each caught signal runs, between commands.
    public var signalHandlers: [Int32: Block] = [:]
    /// C structs declared with `struct NAME { ... }`, by name.
    public var structs: [String: CStruct] = [:]
    /// The members of variables bound to a decoded struct (`v = read shm1 --as shmseg`): the value
    /// the variable was bound with, and each member path's text (`$v.cnt`, `$v.hdr.len`). A
    /// variable set to anything else since has no fields.
    var variableFields: [String: (value: [UInt8], fields: [String: String])] = [:]

    /// The fields of variable `name`, when it still holds the struct it was bound to.
    func fields(ofVariable name: String) -> [String: String]? {
        guard let entry = variableFields[name], let value = variables[name], entry.value == value else { return nil }
        return entry.fields
    }
    /// Kernel objects this session created that are not handles: FIFOs (`fifo make`), and what
    /// forked children reported. With the persistent handles, the exit notice and --cleanup cover them.
    public var createdObjects: [any PersistentObject] = []
    /// Where forked children report the objects they create (`ChildReports.swift`).
    public let childReports = ChildReportChannel()

    public init(output: Output) {
        self.output = output
    }

    public var positional: [String] { positionalStack.last ?? [] }

    /// `trace on|off`: every system call of the IPCSys layer prints a line on stderr.
    public func setTracing(_ on: Bool) {
        isTracing = on
        installTraceSink()
    }

    /// `trace on`.
    public private(set) var isTracing = false

    /// The event log `diagram` draws from (`ipcsh diagram`, the interactive shell), nil when
    /// this session is not logged. Forked children inherit it and log to it.
    /// The interactive session's commands as typed, those that ran without failing (`emit-c`
    /// inside the shell translates them); nil where they are not kept (a script: `ipcsh emit-c
    /// SCRIPT` translates the file).
    public var typedCommands: [String]?

    public var diagramLog: DiagramLog? {
        didSet { installTraceSink() }
    }

    /// One sink for both readers of the structured trace: `trace on` and the diagram's log.
    private func installTraceSink() {
        let output = self.output
        switch (isTracing, diagramLog) {
        case (false, nil): SyscallTrace.sink = nil
        case (true, nil): SyscallTrace.sink = { entry in output.trace(entry.description) }
        case (false, let log?): SyscallTrace.sink = { entry in log.record(entry) }
        case (true, let log?): SyscallTrace.sink = { entry in log.record(entry); output.trace(entry.description) }
        }
    }

    public func handle(named name: String) -> (any Handle)? {
        handle(named: WordBytes(name))
    }

    /// The handle named by these bytes (a word of a command, as typed). The last name looked up
    /// is answered inline (a script names the same segment command after command).
    @inline(__always)
    public func handle(named name: WordBytes) -> (any Handle)? {
        if lastLookupName == name, let handle = lastLookupHandle { return handle }
        return lookUp(name)
    }

    @inline(never)
    private func lookUp(_ name: WordBytes) -> (any Handle)? {
        guard let handle = handles[name.string] else { return nil }
        lastLookupName = name
        lastLookupHandle = handle
        return handle
    }

    /// All handles of a kind, in creation order.
    public func handles(of kind: HandleKind) -> [any Handle] {
        handleOrder.compactMap { handles[$0] }.filter { $0.kind == kind }
    }

    public var allHandles: [any Handle] { handleOrder.compactMap { handles[$0] } }

    /// Drops a handle from the table (a forked child forgets its parent's children).
    public func forget(_ name: String) {
        handles[name] = nil
        handleOrder.removeAll { $0 == name }
    }

    /// Every open descriptor owned by a handle, with its label (`pipe1.r`).
    public var ownedDescriptors: [Int32: String] {
        var map: [Int32: String] = [:]
        for case let owner as any DescriptorOwner in allHandles {
            for (fd, label) in owner.openDescriptors { map[fd] = label }
        }
        return map
    }

    /// Checks that `requested` (from `NAME = ...`) can be bound before the command runs.
    public func checkBindable(_ requested: String) throws(Diagnostic) {
        if let existing = handles[requested], existing.isOpen {
            throw Diagnostic("the name \(requested) is already taken by an open \(existing.kind.displayName)",
                             hint: "pick another name, or close/remove \(requested) first")
        }
        if HandleKind.allCases.contains(where: { requested == $0.rawValue }) || Self.reservedWords.contains(requested) {
            throw Diagnostic("'\(requested)' is a command name and cannot name a handle")
        }
    }

    static let reservedWords: Set<String> = ["all", "private"]

    /// Enters a handle in the table under `requested` or the next free auto-name (`shm1`, `shm2`, ...).
    @discardableResult
    public func register(_ handle: any Handle, requestedName: String?) -> String {
        let name: String
        if let requestedName {
            name = requestedName
        } else {
            var n = counters[handle.kind, default: 0]
            var candidate: String
            repeat {
                n += 1
                candidate = "\(handle.kind.rawValue)\(n)"
            } while handles[candidate]?.isOpen == true
            counters[handle.kind] = n
            name = candidate
        }
        if handles[name] != nil { handleOrder.removeAll { $0 == name } }
        handle.name = name
        handles[name] = handle
        handleOrder.append(name)
        return name
    }
}
