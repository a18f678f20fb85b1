@preconcurrency import Glibc
import IPCBench
import IPCSys
import IPCSyntax

/// Tab completion driven by the command specs: the argument kind at the cursor says what
/// to offer (commands, subcommands, handles of the right kind, keywords, options, paths).
public enum Completion {
    /// What to offer for a word, and whether the candidates are file names (the line
    /// editor then lets a directory end in '/' without a space after it).
    public struct Result: Equatable {
        public var candidates: [String]
        public var areFilenames: Bool

        public init(_ candidates: [String], areFilenames: Bool = false) {
            self.candidates = candidates
            self.areFilenames = areFilenames
        }
    }

    /// Candidates for the word from `start` to `end` (byte offsets) of `line`.
    public static func candidates(line: String, start: Int, end: Int, session: Session,
                                  registry: CommandRegistry) -> [String] {
        complete(line: line, start: start, end: end, session: session, registry: registry).candidates
    }

    /// Candidates for the word from `start` to `end` (byte offsets) of `line`, with their kind.
    public static func complete(line: String, start: Int, end: Int, session: Session,
                                registry: CommandRegistry) -> Result {
        let bytes = Array(line.utf8)
        let clampedStart = min(max(0, start), bytes.count)
        let clampedEnd = min(max(clampedStart, end), bytes.count)
        let prefix = String(decoding: bytes[clampedStart..<clampedEnd], as: UTF8.self)
        // Words of the current command before the cursor word: after the last ; { or }.
        var before = String(decoding: bytes[0..<clampedStart], as: UTF8.self)
        if let cut = before.lastIndex(where: { $0 == ";" || $0 == "{" || $0 == "}" }) {
            before = String(before[before.index(after: cut)...])
        }
        var words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        // NAME = COMMAND: complete the command after '='.
        if words.count >= 2, words[1] == "=" { words.removeFirst(2) }
        if let first = words.first, first.hasPrefix("@") { words.removeFirst() }

        if words.isEmpty {
            // `@NAME COMMAND`: the actors.
            if prefix.hasPrefix("@") { return Result(filter(actors(in: session).map { "@" + $0 }, prefix)) }
            return Result(filter(registry.topLevel, prefix))
        }
        var specName = words[0]
        var argumentWords = Array(words.dropFirst())
        if let subs = registry.groups[words[0]] {
            if words.count == 1 { return Result(filter(subs, prefix)) }
            specName = "\(words[0]) \(words[1])"
            argumentWords = Array(words.dropFirst(2))
        }
        guard let spec = registry.specs[specName] else { return Result([]) }
        // Options not given yet (`--readonly` once, not once per Tab).
        let given = Set(argumentWords.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        let options = spec.options.map(\.name).filter { !given.contains($0) }
        if prefix.hasPrefix("-") {
            return Result(filter(options, prefix))
        }
        // The value of an option just typed?
        if let last = argumentWords.last, let option = spec.options.first(where: { $0.name == last }),
           let kind = option.value {
            return result(for: kind, prefix: prefix, session: session, registry: registry)
        }
        // Count positional words so far, skipping options and their values.
        var position = 0
        var i = 0
        while i < argumentWords.count {
            let word = argumentWords[i]
            if word.hasPrefix("--"), let option = spec.options.first(where: { $0.name == word }) {
                i += option.value == nil ? 1 : 2
                continue
            }
            position += 1
            i += 1
        }
        let positional = spec.arguments.filter { $0.kind != .block }
        guard !positional.isEmpty else { return Result([]) }
        let argument: ArgumentSpec
        if position < positional.count {
            argument = positional[position]
        } else if let last = positional.last, last.isVariadic {
            argument = last
        } else {
            return Result(filter(options, prefix))
        }
        // Members of the struct named before: `offsetof shmseg <Tab>`, `write buf --as shmseg <Tab>`.
        if argument.kind == .structMember || argument.kind == .dataOrMembers {
            let structName: String?
            if argument.kind == .structMember {
                structName = argumentWords.last
            } else {
                structName = argumentWords.firstIndex(of: "--as").flatMap { $0 + 1 < argumentWords.count ? argumentWords[$0 + 1] : nil }
            }
            guard let name = structName, let layout = session.structs[name] else { return Result([]) }
            let suffix = argument.kind == .dataOrMembers ? "=" : ""
            return Result(filter(layout.memberPaths.map { $0 + suffix }, prefix))
        }
        if argument.kind == .commandName {
            if position == 0 { return Result(filter(registry.topLevel, prefix)) }
            if let subs = registry.groups[argumentWords[0]], position == 1 { return Result(filter(subs, prefix)) }
            return Result([])
        }
        return result(for: argument.kind, prefix: prefix, session: session, registry: registry)
    }

    static func result(for kind: ArgumentKind, prefix: String, session: Session,
                       registry: CommandRegistry) -> Result {
        Result(candidates(for: kind, prefix: prefix, session: session, registry: registry),
               areFilenames: kind == .path)
    }

    static func candidates(for kind: ArgumentKind, prefix: String, session: Session,
                           registry: CommandRegistry) -> [String] {
        switch kind {
        case .handle(let kinds), .handleOrKey(let kinds), .handleOrAll(let kinds):
            var names = session.allHandles.filter { $0.isOpen && (kinds.isEmpty || kinds.contains($0.kind)) }.map(\.name)
            if case .handleOrAll = kind { names.append("all") }
            return filter(names, prefix)
        case .keyword(let words):
            return filter(words, prefix)
        case .descriptor, .descriptorOrOwner, .dataTarget:
            var names: [String] = []
            for handle in session.allHandles where handle.isOpen {
                if kind == .dataTarget && handle.asMemoryRegion != nil { names.append(handle.name); continue }
                guard let owner = handle as? any DescriptorOwner else { continue }
                if owner.endNames.isEmpty || kind == .descriptorOrOwner { names.append(owner.name) }
                names += owner.openDescriptors.map(\.label).filter { $0 != owner.name }
            }
            return filter(names, prefix)
        case .key:
            if prefix.hasPrefix("ftok:") { return paths(after: "ftok:", in: prefix) }
            return filter(["private", "ftok:"], prefix)
        case .address(let schemes):
            if schemes.contains("unix") && prefix.hasPrefix("unix:") { return paths(after: "unix:", in: prefix) }
            return filter(schemes.map { $0 + ":" }, prefix)
        case .unixSocket:
            var names: [String] = []
            for case let socket as SocketHandle in session.allHandles where socket.isOpen {
                names += socket.openDescriptors.filter { Sockets.isUnix($0.fd) }.map(\.label)
            }
            return filter(names, prefix)
        case .method:
            return filter(session.procs.keys.sorted(), prefix)
        case .structName:
            return filter(session.structs.keys.sorted(), prefix)
        case .posixName(let kind, let orHandle):
            var names = posixNames(kind)
            if orHandle { names += session.handles(of: kind).filter(\.isOpen).map(\.name) }
            return filter(names, prefix)
        case .path:
            return paths(prefix)
        case .commandName:
            return filter(registry.topLevel, prefix)
        case .cpuPair:
            let cpus = Placement.allowed().prefix(8)
            return filter(cpus.flatMap { a in cpus.map { "\(a),\($0)" } }, prefix)
        case .signal:
            let names = Signals.byName.keys.sorted()
            return filter(prefix.hasPrefix("SIG") ? names.map { "SIG" + $0 } : names, prefix)
        default:
            return []
        }
    }

    /// Paths after a fixed start (`unix:`, `ftok:`), each with that start: `unix:/tmp/`. A file
    /// after `ftok:` comes with the `:` before its ID (`ftok:/etc/passwd:`); an `ftok:` path
    /// already followed by `:ID` has nothing left to complete.
    static func paths(after start: String, in prefix: String) -> [String] {
        let path = String(prefix.dropFirst(start.count))
        if start == "ftok:" && path.contains(":") { return [] }
        return paths(path).map { start + $0 + (start == "ftok:" && !$0.hasSuffix("/") ? ":" : "") }
    }

    /// The POSIX IPC names on the system: queues in /dev/mqueue, semaphores (`sem.NAME`) and
    /// shared memory objects in /dev/shm.
    static func posixNames(_ kind: HandleKind) -> [String] {
        switch kind {
        case .pmq:
            return ((try? FileSystem.directoryEntries("/dev/mqueue")) ?? []).sorted().map { "/" + $0 }
        case .psem:
            return ((try? FileSystem.directoryEntries("/dev/shm")) ?? []).filter { $0.hasPrefix("sem.") }.sorted().map { "/" + $0.dropFirst(4) }
        default:
            return ((try? FileSystem.directoryEntries("/dev/shm")) ?? []).filter { !$0.hasPrefix("sem.") }.sorted().map { "/" + $0 }
        }
    }

    /// The names of the open actors (children that `@NAME` drives).
    static func actors(in session: Session) -> [String] {
        session.allHandles.compactMap { handle in
            guard let child = handle as? ChildHandle, child.isOpen, child.isActor else { return nil }
            return child.name
        }
    }

    static func filter(_ words: [String], _ prefix: String) -> [String] {
        var seen = Set<String>()
        return words.filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
    }

    /// Files and directories (with a trailing /) that start with `prefix`.
    public static func paths(_ prefix: String) -> [String] {
        let directory: String
        let namePrefix: String
        if let slash = prefix.lastIndex(of: "/") {
            directory = String(prefix[...slash])
            namePrefix = String(prefix[prefix.index(after: slash)...])
        } else {
            directory = ""
            namePrefix = prefix
        }
        guard let names = try? FileSystem.directoryEntries(directory.isEmpty ? "." : directory) else { return [] }
        var results: [String] = []
        for name in names {
            if name.hasPrefix(".") && !namePrefix.hasPrefix(".") { continue }
            guard name.hasPrefix(namePrefix) else { continue }
            let full = directory + name
            results.append(FileSystem.isDirectory(full) ? full + "/" : full)
        }
        return results.sorted()
    }
}
