@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `pshm create|open|rm`, `mmap`, `memfd`, `dump`, `eventfd`: mapped regions and the counters
/// and objects behind descriptors.
enum MappingCommands {
    static let all: [CommandSpec] = [pshmCreate, pshmOpen, pshmRemove, mmap, memfd, dump, eventfd]

    static let hints: [SystemCallHint] = [
        SystemCallHint("shm_open", ENOENT) { "no POSIX shared memory object has that name: pshm create /NAME SIZE makes one" },
        SystemCallHint("shm_open", EEXIST) { "an object with that name exists (--excl refuses it): pshm open /NAME uses it" },
        SystemCallHint("shm_unlink", ENOENT) { "no POSIX shared memory object has that name (ls /dev/shm)" },
        SystemCallHint("mmap", ENODEV) { "that file cannot be mapped (a FIFO, a socket, a terminal)" },
        SystemCallHint("mmap", EACCES) { "the file is not open for reading and writing" },
    ]

    /// Maps `fd` as a region handle (and closes `fd` unless the handle keeps it).
    static func mapped(kind: HandleKind, source: String, fd: Int32, size: Int, shared: Bool, keepDescriptor: Bool,
                       createdHere: Bool) throws(SystemCallError) -> MappedRegionHandle {
        let address: UnsafeMutableRawPointer
        do {
            address = try Mappings.map(fd, size: size, shared: shared)
        } catch {
            try? Descriptors.close(fd)
            throw error
        }
        if !keepDescriptor { try? Descriptors.close(fd) }
        return MappedRegionHandle(kind: kind, source: source, address: address, size: size, shared: shared,
                                  fd: keepDescriptor ? fd : nil, createdHere: createdHere)
    }

    static let pshmCreate = CommandSpec(
        "pshm create", summary: "shm_open with O_CREAT, ftruncate and mmap(MAP_SHARED): a POSIX shared memory region",
        arguments: [ArgumentSpec("NAME", .posixName(.pshm, orHandle: false)), ArgumentSpec("SIZE", .size)],
        options: [
            OptionSpec("--mode", .mode, valueName: "MODE", summary: "permission bits (default 0600)"),
            OptionSpec("--excl", summary: "fail with EEXIST if the name is taken (O_EXCL)"),
        ],
        example: "frame = pshm create /frame 4096",
        discussion: "The region takes read, write, dump and --as STRUCT, and a forked child shares it. The object outlives the shell (it is /dev/shm/NAME) until pshm rm."
    ) { ctx in
        let path = ctx.string("NAME") ?? ""
        try PosixNames.check(path, for: "pshm create")
        let size = ctx.integer("SIZE") ?? 0
        guard size > 0 else { throw ctx.failure("pshm create: SIZE must be at least 1 byte", hint: ctx.usageHint) }
        let mode = ctx.integer("--mode") ?? 0o600
        let (fd, created) = try CreateOrOpen.run(exclusive: ctx.flag("--excl"),
            create: { () throws(SystemCallError) in try Mappings.sharedMemoryOpen(path, flags: O_RDWR | O_CREAT | O_EXCL, mode: mode) },
            open: { () throws(SystemCallError) in try Mappings.sharedMemoryOpen(path, flags: O_RDWR, mode: 0) })
        var mappedSize = size
        do {
            if created { try Mappings.truncate(fd, size: size) } else { mappedSize = try Mappings.size(fd) }
        } catch {
            try? Descriptors.close(fd)
            if created { try? Mappings.sharedMemoryUnlink(path) }
            throw error
        }
        guard mappedSize > 0 else {
            try? Descriptors.close(fd)
            throw ctx.failure("pshm create: \(path) already exists with size 0: nothing to map")
        }
        let handle = try mapped(kind: .pshm, source: path, fd: fd, size: mappedSize, shared: true, keepDescriptor: false, createdHere: created)
        return ctx.made(handle) { _ in
            (created ? "created \(path), \(mappedSize) bytes" : "\(path) already existed: opened it, \(mappedSize) bytes") + ", mapped at \(handle.addressText)"
        }
    }

    static let pshmOpen = CommandSpec(
        "pshm open", summary: "shm_open an existing POSIX shared memory object and mmap it",
        arguments: [ArgumentSpec("NAME", .posixName(.pshm, orHandle: false))],
        example: "frame = pshm open /frame"
    ) { ctx in
        let path = ctx.string("NAME") ?? ""
        try PosixNames.check(path, for: "pshm open")
        let fd = try Mappings.sharedMemoryOpen(path, flags: O_RDWR, mode: 0)
        let size: Int
        do { size = try Mappings.size(fd) } catch { try? Descriptors.close(fd); throw error }
        guard size > 0 else {
            try? Descriptors.close(fd)
            throw ctx.failure("pshm open: \(path) has size 0: nothing to map", hint: "its creator sizes it (ftruncate); pshm create /NAME SIZE does")
        }
        let handle = try mapped(kind: .pshm, source: path, fd: fd, size: size, shared: true, keepDescriptor: false, createdHere: false)
        return ctx.made(handle) { _ in "opened \(path), \(size) bytes, mapped at \(handle.addressText)" }
    }

    static let pshmRemove = CommandSpec(
        "pshm rm", summary: "shm_unlink: remove the name (mappings keep working until unmapped)",
        arguments: [ArgumentSpec("NAME", .posixName(.pshm, orHandle: true))],
        example: "pshm rm /frame"
    ) { ctx in
        let given = ctx.string("NAME") ?? ""
        let path = (ctx.session.handle(named: given) as? MappedRegionHandle).flatMap { $0.kind == .pshm ? $0.source : nil } ?? given
        try PosixNames.check(path, for: "pshm rm")
        try Mappings.sharedMemoryUnlink(path)
        for case let region as MappedRegionHandle in ctx.session.handles(of: .pshm) where region.source == path { region.unlinked = true }
        ctx.output.info("removed \(path)")
        return .none
    }

    static let mmap = CommandSpec(
        "mmap", summary: "map a file (made and sized when missing): --shared writes reach the file, --private is copy-on-write",
        arguments: [ArgumentSpec("PATH", .path), ArgumentSpec("SIZE", .size)],
        options: [
            OptionSpec("--shared", summary: "MAP_SHARED (the default): writes go to the file and to every process mapping it"),
            OptionSpec("--private", summary: "MAP_PRIVATE: copy-on-write; this process's writes (and a forked child's) stay its own"),
        ],
        example: "m = mmap ./data.bin 4096 --private",
        discussion: "A file shorter than SIZE is extended with zeros (ftruncate); a longer one is mapped in its first SIZE bytes."
    ) { ctx in
        let path = ctx.string("PATH") ?? ""
        let size = ctx.integer("SIZE") ?? 0
        guard size > 0 else { throw ctx.failure("mmap: SIZE must be at least 1 byte", hint: ctx.usageHint) }
        if ctx.flag("--shared") && ctx.flag("--private") { throw ctx.failure("mmap: --shared or --private, not both") }
        if FileSystem.isDirectory(path) { throw ctx.failure("mmap: \(path) is a directory") }
        let existed = FileSystem.exists(path)
        let fd = try Descriptors.open(path, flags: O_RDWR | O_CREAT, mode: 0o644)
        do {
            if try Mappings.size(fd) < size { try Mappings.truncate(fd, size: size) }
        } catch {
            try? Descriptors.close(fd)
            throw error
        }
        let shared = !ctx.flag("--private")
        let handle = try mapped(kind: .mmap, source: path, fd: fd, size: size, shared: shared, keepDescriptor: false, createdHere: !existed)
        return ctx.made(handle) { _ in "mapped \(path) (\(size) bytes, \(shared ? "MAP_SHARED" : "MAP_PRIVATE")) at \(handle.addressText)" }
    }

    static let memfd = CommandSpec(
        "memfd", summary: "memfd_create, ftruncate and mmap: an anonymous shared region with a descriptor",
        arguments: [ArgumentSpec("NAME", .text, about: "a label (shown in /proc/PID/fd as memfd:NAME)"), ArgumentSpec("SIZE", .size)],
        example: "m = memfd frame 4096",
        discussion: "The region has no name in any file system; its descriptor is how another process gets it: a forked child inherits it, and sock sendfd passes it (the receiver maps what it receives)."
    ) { ctx in
        let label = ctx.string("NAME") ?? ""
        let size = ctx.integer("SIZE") ?? 0
        guard size > 0 else { throw ctx.failure("memfd: SIZE must be at least 1 byte", hint: ctx.usageHint) }
        let fd = try Mappings.memoryFile(label)
        do { try Mappings.truncate(fd, size: size) } catch { try? Descriptors.close(fd); throw error }
        let handle = try mapped(kind: .memfd, source: label, fd: fd, size: size, shared: true, keepDescriptor: true, createdHere: true)
        return ctx.made(handle) { _ in "memfd \(label), \(size) bytes, fd \(fd), mapped at \(handle.addressText)" }
    }

    static let dump = CommandSpec(
        "dump", summary: "hex and ASCII dump of any mapped region (a segment, pshm, mmap, memfd), like xxd",
        arguments: [ArgumentSpec("NAME", .handle([.shm, .pshm, .mmap, .memfd])), ArgumentSpec("OFFSET", .size, optional: true),
                    ArgumentSpec("LEN", .size, optional: true)],
        example: "dump frame 0 64",
        discussion: "Without LEN, dumps to the end of the region; runs of zero lines are shown once, then *. shm dump is the same for segments."
    ) { ctx in
        guard let region = ctx.region("NAME") else {
            throw ctx.failure("dump: \(ctx.string("NAME") ?? "it") is not mapped", hint: "attach it first (shm attach)")
        }
        let memory = try region.mappedBytes(for: "dump")
        let offset = ctx.integer("OFFSET") ?? 0
        guard offset < memory.count, let base = memory.baseAddress else {
            throw ctx.failure("dump: OFFSET \(offset) is outside \(region.name) (\(memory.count) bytes: 0 to \(memory.count - 1))")
        }
        let available = memory.count - offset
        let length = min(ctx.integer("LEN") ?? available, available)
        try HexDump.forEachLine(UnsafeRawBufferPointer(start: base + offset, count: length), startOffset: offset) { line throws(ControlFlow) in
            if Signals.interruptPending { throw ControlFlow.interrupted }
            ctx.output.line(line)
        }
        return .none
    }

    static let eventfd = CommandSpec(
        "eventfd", summary: "eventfd: a counter behind a descriptor; write NAME N adds, read NAME takes",
        arguments: [ArgumentSpec("VALUE", .count, optional: true)],
        options: [OptionSpec("--semaphore", summary: "EFD_SEMAPHORE: each read takes 1 instead of the whole count")],
        example: "e = eventfd 0 --semaphore",
        discussion: "read waits while the counter is 0 (Ctrl-C interrupts; --nonblock and --timeout as for any descriptor) and prints what it took. A forked child shares the counter."
    ) { ctx in
        let value = ctx.integer("VALUE") ?? 0
        guard value <= Int(UInt32.max) else { throw ctx.failure("eventfd: VALUE is at most \(UInt32.max)") }
        let semaphore = ctx.flag("--semaphore")
        let fd = try Mappings.eventCounter(initial: value, semaphore: semaphore)
        return ctx.made(EventCounterHandle(fd: fd, semaphore: semaphore)) { _ in
            "eventfd fd \(fd), counter at \(value)" + (semaphore ? " (EFD_SEMAPHORE)" : "")
        }
    }
}
