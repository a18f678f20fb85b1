import IPCSyntax
/// Every command, by name. One registry drives argument checking, `help`, completion,
/// "did you mean" and the generated language reference.
public struct CommandRegistry: Sendable {
    public private(set) var specs: [String: CommandSpec] = [:]
    /// Nouns with subcommands (`shm` → create, open, ...), in declaration order.
    public private(set) var groups: [String: [String]] = [:]
    /// Top-level names in declaration order (nouns and plain commands).
    public private(set) var topLevel: [String] = []
    public private(set) var groupSummaries: [String: String] = [:]
    /// What to try next when a call fails (`SystemCallHint`), as the mechanisms declare them.
    public private(set) var hints: [SystemCallHint] = []

    public init() {}

    public mutating func add(_ spec: CommandSpec) {
        let words = spec.name.split(separator: " ").map(String.init)
        if words.count == 2 {
            if groups[words[0]] == nil {
                groups[words[0]] = []
                topLevel.append(words[0])
            }
            groups[words[0]]?.append(words[1])
        } else if specs[spec.name] == nil {
            topLevel.append(spec.name)
        }
        specs[spec.name] = spec
    }

    public mutating func describeGroup(_ noun: String, _ summary: String) {
        groupSummaries[noun] = summary
    }

    public mutating func add(_ list: [CommandSpec]) { list.forEach { add($0) } }

    public mutating func add(hints list: [SystemCallHint]) { hints += list }

    /// The standard command set.
    public static let standard: CommandRegistry = {
        var registry = CommandRegistry()
        registry.add(BuiltinCommands.all)
        registry.describeGroup("record", "record this session as a replayable, checkable script")
        registry.add(SessionCommands.all)
        registry.describeGroup("shm", "System V shared memory: shmget, shmat, shmdt, shmctl")
        registry.add(SharedMemoryCommands.all)
        registry.add(hints: SharedMemoryCommands.hints)
        registry.describeGroup("mq", "System V message queues: msgget, msgsnd, msgrcv, msgctl")
        registry.add(MessageQueueCommands.all)
        registry.add(hints: MessageQueueCommands.hints)
        registry.describeGroup("sem", "System V semaphore sets: semget, semop, semctl")
        registry.add(SemaphoreCommands.all)
        registry.add(hints: SemaphoreCommands.hints)
        registry.add(SystemVListing.all)
        registry.describeGroup("pmq", "POSIX message queues: mq_open, mq_send, mq_receive, mq_unlink")
        registry.add(PosixQueueCommands.all)
        registry.add(hints: PosixQueueCommands.hints)
        registry.describeGroup("psem", "POSIX named semaphores: sem_open, sem_wait, sem_post, sem_unlink")
        registry.add(PosixSemaphoreCommands.all)
        registry.add(hints: PosixSemaphoreCommands.hints)
        registry.describeGroup("pshm", "POSIX shared memory: shm_open, ftruncate, mmap, shm_unlink")
        registry.add(MappingCommands.all)
        registry.add(hints: MappingCommands.hints)
        registry.describeGroup("signal", "signals: kill, sigqueue, sigaction, sigtimedwait, sigprocmask")
        registry.add(SignalCommands.all)
        registry.add(hints: SignalCommands.hints)
        registry.add(SeeingCommands.all)
        registry.add(DiagramCommands.all)
        registry.add(EmitCCommands.all)
        registry.add(BenchCommands.all)
        registry.add(DataCommands.all)
        registry.add(hints: DataCommands.hints)
        registry.add(StructCommands.all)
        registry.add(DescriptorCommands.all)
        registry.describeGroup("fifo", "named pipes: mkfifo, open, unlink")
        registry.add(FifoCommands.all)
        registry.add(hints: FifoCommands.hints)
        registry.add(ProcessCommands.all)
        registry.describeGroup("sock", "sockets: socketpair, unix/tcp/udp, descriptor passing")
        registry.add(SocketCommands.all)
        registry.describeGroup("rpc", "JSON-RPC 2.0: procs as methods over unix or tcp sockets")
        registry.add(RPCCommands.all)
        registry.add(hints: SystemCallHint.general)
        return registry
    }()

    /// The spec a command's first words name: `echo` (one word) or `shm create` (two). Nil when
    /// `name` is neither a command nor a noun (a proc, or unknown); an error for a noun with a
    /// missing or unknown subcommand. The interpreter and `CommandPlan` both look names up here.
    public func spec(named name: String, at location: SourceLocation,
                     subcommand: (name: [UInt8], location: SourceLocation)?) throws(Diagnostic) -> (spec: CommandSpec, words: Int)? {
        if let found = specs[name] { return (found, 1) }
        guard let subcommands = groups[name] else { return nil }
        guard let (subBytes, subLocation) = subcommand else {
            throw Diagnostic("\(name): missing subcommand", at: location,
                             hint: "\(name) takes one of: \(subcommands.joined(separator: ", ")) (help \(name))")
        }
        let sub = String(decoding: subBytes, as: UTF8.self)
        guard let found = specs["\(name) \(sub)"] else {
            var hint = "\(name) takes one of: \(subcommands.joined(separator: ", "))"
            if let guess = CommandRegistry.didYouMean(sub, among: subcommands) { hint = guess + " " + hint }
            throw Diagnostic("\(name): unknown subcommand '\(Escaping.display(subBytes))'", at: subLocation, hint: hint)
        }
        return (found, 2)
    }

    /// Names close to `word` (edit distance ≤ 2, or a prefix), best first.
    public static func suggestions(for word: String, among candidates: [String]) -> [String] {
        let limit = max(1, min(2, word.count / 2))
        let scored = candidates.compactMap { candidate -> (String, Int)? in
            if candidate.hasPrefix(word) && !word.isEmpty { return (candidate, 0) }
            // Lengths further apart than the limit are as far apart in edit distance: a long word
            // is not compared byte by byte with every name (an unknown 2 MB command name took
            // 12 s; Fuzz/Regressions/syntax/unknown-command-2MB).
            guard abs(word.utf8.count - candidate.utf8.count) <= limit else { return nil }
            let d = editDistance(word, candidate)
            return d <= limit ? (candidate, d) : nil
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
    }

    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `did you mean 'shm'?`
    public static func didYouMean(_ word: String, among candidates: [String]) -> String? {
        let found = suggestions(for: word, among: candidates).prefix(3)
        guard !found.isEmpty else { return nil }
        return "did you mean " + found.map { "'\($0)'" }.joined(separator: " or ") + "?"
    }
}
