@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `watch` and `ps`: seeing a region change, and who is blocked on what.
enum SeeingCommands {
    static let all: [CommandSpec] = [watch, ps]

    static let watch = CommandSpec(
        "watch", summary: "print a region's content, a semaphore set's values or a queue's count each time it changes",
        arguments: [ArgumentSpec("NAME", .handle([.shm, .pshm, .mmap, .memfd, .sem, .mq, .pmq, .psem]))],
        options: [
            OptionSpec("--interval", .duration, valueName: "D", summary: "how often to look (default 100ms)"),
            OptionSpec("--count", .count, valueName: "N", summary: "stop after N changes"),
            OptionSpec("--hex", summary: "a region's bytes as a hex dump"),
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "a region's first bytes as a C struct"),
        ],
        example: "watch buf --count 5",
        discussion: "The first line is the state when watch starts; each later line, with the time, is a change. Ctrl-C ends it (or N changes). A region shows its C string (or --hex, or --as STRUCT); a System V set its values; a queue how many messages wait; a POSIX semaphore its value."
    ) { ctx in
        guard let handle = ctx.anyHandle("NAME") else { return .none }
        let interval = max(1, ctx.integer("--interval") ?? 100)
        let limit = ctx.integer("--count")
        let layout = try DataCommands.structLayout(ctx)
        let hex = ctx.flag("--hex")
        func state() throws -> String {
            if let region = handle.asMemoryRegion {
                let memory = try region.mappedBytes(for: "watch")
                if let layout {
                    guard layout.size <= memory.count else {
                        throw ctx.failure("watch: struct \(layout.name) is \(layout.size) bytes; \(region.name) has \(memory.count)")
                    }
                    return CStructCodec.decode(layout, UnsafeRawBufferPointer(rebasing: memory[0..<layout.size])).text
                }
                if hex {
                    var lines: [String] = []
                    HexDump.forEachLine(UnsafeRawBufferPointer(memory), startOffset: 0) { lines.append($0) }
                    return "\n" + lines.joined(separator: "\n")
                }
                let end = memory.firstIndex(of: 0) ?? memory.count
                return String(decoding: Escaping.escaped(UnsafeRawBufferPointer(rebasing: memory[0..<end])[...]), as: UTF8.self)
            }
            switch handle {
            case let set as SemaphoreSetHandle:
                return "values " + (try SemaphoreSets.values(id: set.id, count: set.count)).map(String.init).joined(separator: " ")
            case let queue as MessageQueueHandle:
                let n = try MessageQueues.status(id: queue.id).messages
                return "\(n) message\(n == 1 ? "" : "s")"
            case let queue as PosixQueueHandle:
                guard let mqd = queue.mqd else { throw ctx.failure("watch: \(queue.name) is closed") }
                let n = try POSIXMessageQueues.attributes(mqd).currentMessages
                return "\(n) message\(n == 1 ? "" : "s")"
            case let semaphore as PosixSemaphoreHandle:
                guard let sem = semaphore.semaphore else { throw ctx.failure("watch: \(semaphore.name) is closed") }
                return "value \(try POSIXSemaphores.value(sem))"
            default:
                throw ctx.failure("watch: \(handle.name) is a \(handle.kind.displayName): nothing to watch")
            }
        }
        // Looking quietly: `trace on` shows the commands' calls, not a poll every 100 ms.
        let sink = SyscallTrace.sink
        SyscallTrace.sink = nil
        defer { SyscallTrace.sink = sink }
        func show(_ state: String) { ctx.output.line("\(timestamp()) \(handle.name):" + (state.isEmpty || state.hasPrefix("\n") ? "" : " ") + state) }
        var last = try state()
        show(last)
        var changes = 0
        while limit.map({ changes < $0 }) ?? true {
            ctx.output.flush()
            try ctx.host.supervisor.sleep(milliseconds: interval)
            let now = try state()
            if now != last {
                changes += 1
                last = now
                show(now)
            }
        }
        return .none
    }

    /// `12:34:56.789`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var t = now.tv_sec
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = Int(now.tv_nsec / 1_000_000)
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)"
    }

    static let ps = CommandSpec(
        "ps", summary: "the shell, its actors and children: state, and the call and handle each is blocked in",
        options: [OptionSpec("--json", summary: "one JSON document: each process's name, pid and state, and the deadlock (or null)")],
        example: "ps",
        discussion: "Read from /proc: a process sleeping in a system call shows it with the handle it waits on (child1 4243 blocked in read(p.r), a 4250 blocked in semop(s: 0-1)). Processes that wait on each other's semaphores in a cycle are named as a deadlock, as far as the kernel tells: a semaphore's holder is the last process that took it (sempid)."
    ) { ctx in
        let session = ctx.session
        let labels = descriptorLabels(session)
        var blockedOn: [(name: String, pid: pid_t, set: SemaphoreSetHandle, number: Int)] = []
        var rows: [(name: String, pid: pid_t, state: String)] = [("ipcsh", getpid(), "running (this shell)")]
        for child in ctx.host.supervisor.children {
            if let status = child.exitStatus {
                rows.append((child.name, child.pid, status.description))
                continue
            }
            // A process that waits under the shell's retry timer (semop, msgrcv: Signals.blockingCall)
            // runs for an instant every 500 ms: look a few times before calling it running.
            var sample = ProcessInspection.snapshot(child.pid)
            for _ in 0..<10 where sample?.state == "R" {
                _ = Clock.sleep(milliseconds: 20)
                sample = ProcessInspection.snapshot(child.pid)
            }
            guard let snapshot = sample else {
                rows.append((child.name, child.pid, "gone"))
                continue
            }
            let what = describe(snapshot, pid: child.pid, session: session, labels: labels, isActor: child.isActor)
            rows.append((child.name, child.pid, what.text))
            if let (set, number) = what.semaphore { blockedOn.append((child.name, child.pid, set, number)) }
        }
        let cycle = deadlock(blockedOn, names: Dictionary(ctx.host.supervisor.children.map { ($0.pid, $0.name) }, uniquingKeysWith: { a, _ in a }))
        if ctx.flag("--json") {
            return JSON.object([
                ("processes", .array(rows.map { .object([("name", .string($0.name)), ("pid", .integer(Int($0.pid))), ("state", .string($0.state))]) })),
                ("deadlock", cycle.map(JSON.string) ?? .null),
            ]).result
        }
        for row in rows { ctx.output.line("\(row.name) \(row.pid) \(row.state)") }
        if let cycle { ctx.output.line("deadlock: " + cycle) }
        return .none
    }

    /// What each of the shell's descriptors is (`pipe:[1234]`), named by its handle (`p.r`).
    static func descriptorLabels(_ session: Session) -> [String: String] {
        var labels: [String: String] = [:]
        for handle in session.allHandles where handle.isOpen {
            if let owner = handle as? any DescriptorOwner {
                for (fd, label) in owner.openDescriptors {
                    if let target = Descriptors.target(of: fd) { labels[target] = labels[target] ?? label }
                }
            }
            if let queue = handle as? PosixQueueHandle { labels[queue.path] = queue.name }
            if let fifo = handle as? FifoHandle { labels[fifo.path] = fifo.name }
        }
        return labels
    }

    static func describe(_ s: ProcessInspection.Snapshot, pid: pid_t, session: Session, labels: [String: String],
                         isActor: Bool) -> (text: String, semaphore: (SemaphoreSetHandle, Int)?) {
        let state: String
        switch s.state {
        case "R": return ("running", nil)
        case "T", "t": return ("stopped", nil)
        case "Z": return ("ended, not yet reaped", nil)
        default: state = "sleeping"
        }
        guard let call = s.systemCall else { return (state, nil) }
        let a = s.arguments
        func descriptor(_ index: Int) -> String {
            guard index < a.count else { return "?" }
            let fd = Int32(truncatingIfNeeded: a[index])
            if let target = ProcessInspection.descriptors(pid)[fd], let label = labels[target] { return label }
            return "fd \(fd)"
        }
        switch call {
        case "read", "write", "recvfrom", "sendto", "recvmsg", "sendmsg", "accept", "accept4", "connect":
            return ("blocked in \(call)(\(descriptor(0)))", nil)
        case "mq_timedreceive", "mq_timedsend":
            return ("blocked in \(call == "mq_timedreceive" ? "mq_receive" : "mq_send")(\(descriptor(0)))", nil)
        case "msgrcv", "msgsnd":
            let id = a.first.map { Int32(truncatingIfNeeded: $0) } ?? -1
            let name = session.handles(of: .mq).first { ($0 as? MessageQueueHandle)?.id == id }?.name ?? "msqid \(id)"
            return ("blocked in \(call)(\(name))", nil)
        case "semop", "semtimedop":
            let id = a.first.map { Int32(truncatingIfNeeded: $0) } ?? -1
            let set = session.handles(of: .sem).first { ($0 as? SemaphoreSetHandle)?.id == id } as? SemaphoreSetHandle
            var ops = ""
            var first: Int?
            if a.count >= 3, let bytes = ProcessInspection.readMemory(pid, address: a[1], count: Int(min(a[2], 64)) * 6) {
                var parts: [String] = []
                for i in stride(from: 0, to: bytes.count - 5, by: 6) {
                    let number = Int(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)
                    let change = Int(Int16(bitPattern: UInt16(bytes[i + 2]) | UInt16(bytes[i + 3]) << 8))
                    if first == nil && change < 0 { first = number }
                    parts.append(change == 0 ? "\(number)=0" : change < 0 ? "\(number)\(change)" : "\(number)+\(change)")
                }
                ops = ": " + parts.joined(separator: " ")
            }
            return ("blocked in semop(\(set?.name ?? "semid \(id)")\(ops))", set.flatMap { s in first.map { (s, $0) } })
        case "open", "openat":
            let index = call == "open" ? 0 : 1
            let path = index < a.count ? ProcessInspection.readString(pid, address: a[index]) : nil
            // The direction says which side it waits for (a FIFO's read waits for a writer), in fifo open's words.
            let modes = ["read", "write", "rdwr"] // O_RDONLY, O_WRONLY, O_RDWR
            let access = index + 1 < a.count ? Int(a[index + 1] & UInt64(O_ACCMODE)) : modes.count
            let mode = access < modes.count ? ", " + modes[access] : ""
            return ("blocked in open(\(path.map { "\"\($0)\"" } ?? "?")\(mode))", nil)
        case "wait4": return ("waiting for a child (wait4)", nil)
        case "nanosleep", "clock_nanosleep": return ("sleeping (\(call))", nil)
        case "rt_sigtimedwait": return ("blocked in sigtimedwait (signal wait)", nil)
        case "futex": return ("blocked in futex (a POSIX semaphore or a lock)", nil)
        case "poll", "ppoll", "select", "pselect6", "epoll_wait":
            return (isActor ? "idle, waiting for commands (@NAME)" : "waiting in \(call)", nil)
        default: return ("blocked in \(call)", nil)
        }
    }

    /// A cycle of processes each waiting for a semaphore last taken by the next (sempid).
    static func deadlock(_ waits: [(name: String, pid: pid_t, set: SemaphoreSetHandle, number: Int)], names: [pid_t: String]) -> String? {
        var holder: [pid_t: (pid: pid_t, what: String)] = [:]
        for w in waits {
            guard let semaphores = try? SemaphoreSets.semaphores(id: w.set.id, count: w.set.count), w.number < semaphores.count else { continue }
            let last = semaphores[w.number].lastPID
            guard last != w.pid, names[last] != nil, semaphores[w.number].value == 0 else { continue }
            holder[w.pid] = (last, "\(w.set.name)[\(w.number)]")
        }
        for start in holder.keys.sorted() {
            var path: [pid_t] = [start]
            var current = start
            while let next = holder[current]?.pid {
                if next == start {
                    return path.map { pid in
                        let h = holder[pid]!
                        return "\(names[pid] ?? String(pid)) waits for \(h.what) (held by \(names[h.pid] ?? String(h.pid)))"
                    }.joined(separator: ", ")
                }
                if path.contains(next) { break }
                path.append(next)
                current = next
            }
        }
        return nil
    }
}
