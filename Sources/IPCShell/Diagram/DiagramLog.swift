@preconcurrency import Glibc
import IPCDiagram
import IPCSys
import IPCSyntax

/// The event log of a diagrammed session (`ipcsh diagram`, and the interactive shell, where
/// `diagram -o FILE.svg` draws the session so far). It is an anonymous file (`memfd`) opened
/// `O_APPEND`: a forked child or actor inherits it and the trace sink that writes to it, so
/// every process of the session appends its events there, one line per `write(2)`.
///
/// The sink turns each `TraceEntry` that moves data or waits into a `DiagramEvent`, adding what
/// the entry does not say: the kernel object behind a descriptor (`fstat`: a pipe's inode is
/// the same in every process), the session's name for it, and when the wait began. Its own
/// calls (fstat, write) are plumbing: untraced.
public final class DiagramLog {
    let fd: Int32
    /// Start of the running command in this process: a wait began no earlier.
    var commandStart: UInt64 = 0
    /// End of the last traced call in this process.
    var lastCallEnd: UInt64 = 0
    private(set) var eventCount = 0
    /// Past this many events a process logs no more (a bench or a long loop is not a picture).
    static let maximumEvents = 20_000
    unowned let session: Session

    /// Opens an empty log for `session` and names this process `ipcsh`.
    public init(session: Session) throws(SystemCallError) {
        // Plumbing, not a step of the session: untraced.
        let sink = SyscallTrace.sink
        SyscallTrace.sink = nil
        defer { SyscallTrace.sink = sink }
        let fd = try Mappings.memoryFile("ipcsh-diagram")
        try Descriptors.setAppendOnly(fd)
        self.fd = fd
        self.session = session
        named(getpid(), "ipcsh")
    }

    deinit { Plumbing.close(fd) }

    /// Every event logged so far by every process of the session.
    public func events() -> [DiagramEvent] {
        DiagramEvent.parse(log: String(decoding: FileSystem.contents(ofDescriptor: fd), as: UTF8.self))
    }

    // MARK: What the runtime tells it

    /// The interpreter starts a command in this process.
    func commandStarted() { commandStart = Clock.monotonicNanoseconds() }

    /// The session names a process (the shell, a child it forked).
    func named(_ pid: pid_t, _ name: String) {
        append(DiagramEvent(.name, pid: pid, time: Clock.monotonicNanoseconds(), detail: name), counted: false)
    }

    /// `read`/`write` of a mapped region: no system call, so the command says it.
    func memory(_ write: Bool, region: any MemoryRegion, offset: Int, bytes: some Collection<UInt8>) {
        let object = region.field("shmid").map { "shm:" + $0 } ?? "map:" + region.name
        let shown = bytes.prefix { $0 != 0 }
        append(DiagramEvent(write ? .memoryWrite : .memoryRead, pid: getpid(), time: now(), object: object, label: region.name,
                            detail: Escaping.display(shown.prefix(64)), count: offset))
    }

    /// A `signal on` handler runs for a caught signal.
    func handled(signal: Int32, sender: Int32) {
        append(DiagramEvent(.handled, pid: getpid(), time: now(), detail: "SIG" + UserSignals.name(signal), peer: sender))
    }

    /// This (child) process is about to end.
    func exiting(_ status: Int32) {
        append(DiagramEvent(.exit, pid: getpid(), time: now(), detail: "exit \(status)"), counted: false)
    }

    private func now() -> UInt64 {
        let t = Clock.monotonicNanoseconds()
        lastCallEnd = t
        return t
    }

    private func append(_ event: DiagramEvent, counted: Bool = true) {
        if counted {
            guard eventCount < Self.maximumEvents else { return }
            eventCount += 1
        }
        let bytes = Array(event.line.utf8)
        _ = bytes.withUnsafeBytes { FileSystem.writeAll(fd, $0) }
    }

    // MARK: The trace sink

    /// Makes an event of a traced call, when it is one the diagram draws.
    func record(_ entry: TraceEntry) {
        let end = Clock.monotonicNanoseconds()
        let start = max(commandStart, lastCallEnd)
        lastCallEnd = end
        let args = entry.arguments
        let error = entry.errno.map { Errno.symbol($0) } ?? ""
        let pid = getpid()
        func event(_ kind: DiagramEvent.Kind, object: String, label: String, detail: String = "", count: Int = 0, peer: Int32 = 0) {
            append(DiagramEvent(kind, pid: pid, time: end, start: start, object: object, label: label, detail: detail,
                                count: count, error: error, peer: peer, call: entry.call))
        }
        switch entry.call {
        case "write", "read", "sendto", "recvfrom":
            guard case .int(let fd)? = args.first, let descriptor = Int32(exactly: fd) else { return }
            let object = identity(descriptor)
            let isWrite = entry.call == "write" || entry.call == "sendto"
            var data: [UInt8] = []
            if args.count > 1, let bytes = Self.bytes(args[1]) { data = bytes }
            let count = entry.returned.flatMap { if case .int(let n) = $0 { return n } else { return nil } } ?? 0
            if !isWrite && data.count > count { data = Array(data.prefix(count)) }
            event(isWrite ? .send : .receive, object: object, label: label(descriptor), detail: Self.shown(data), count: count)
        case "msgsnd", "msgrcv":
            guard case .int(let id)? = args.first, args.count > 1 else { return }
            let body: String
            if case .output(_, let inner) = args[1] { body = inner.description } else { body = args[1].description }
            event(entry.call == "msgsnd" ? .post : .take, object: "msq:\(id)", label: label(field: "msqid", value: id),
                  detail: Self.messageText(body))
        case "mq_send", "mq_timedsend", "mq_receive", "mq_timedreceive":
            guard case .int(let mqd)? = args.first, let descriptor = Int32(exactly: mqd), args.count > 1 else { return }
            let isSend = entry.call.hasPrefix("mq_send") || entry.call == "mq_timedsend"
            var data = Self.bytes(args[1]) ?? []
            if !isSend, let n = entry.returned.flatMap({ if case .int(let n) = $0 { return n } else { return nil } }) { data = Array(data.prefix(n)) }
            event(isSend ? .post : .take, object: identity(descriptor), label: label(field: "mqd", value: mqd),
                  detail: Self.shown(data))
        case "semop", "semtimedop":
            guard case .int(let id)? = args.first, args.count > 1 else { return }
            event(.semaphore, object: "sem:\(id)", label: label(field: "semid", value: id), detail: Self.operations(args[1].description))
        case "sem_wait", "sem_trywait", "sem_timedwait", "sem_post":
            guard let address = args.first else { return }
            event(.semaphore, object: "psem:\(address)", label: "psem", detail: entry.call == "sem_post" ? "post" : "wait")
        case "kill", "sigqueue":
            guard case .int(let target)? = args.first, args.count > 1, let to = Int32(exactly: target) else { return }
            event(.signal, object: "", label: "", detail: args[1].description, peer: to)
        case "fork":
            if case .int(let child)? = entry.returned, let peer = Int32(exactly: child) { event(.fork, object: "", label: "", peer: peer) }
        case "socketpair":
            guard args.count > 3, case .descriptors(let fds) = args[3], fds.count == 2, entry.errno == nil else { return }
            append(DiagramEvent(.pair, pid: pid, time: end, object: identity(fds[0]), label: identity(fds[1])), counted: false)
        case "accept", "connect":
            let fd: Int32?
            if entry.call == "accept" {
                fd = entry.returned.flatMap { if case .int(let n) = $0 { return Int32(exactly: n) } else { return nil } }
            } else if case .int(let n)? = args.first {
                fd = Int32(exactly: n)
            } else {
                fd = nil
            }
            if let fd, entry.errno == nil {
                append(DiagramEvent(.connection, pid: pid, time: end, object: identity(fd), label: Self.address(fd, peer: false),
                                    detail: Self.address(fd, peer: true)), counted: false)
            }
            if entry.call == "accept" { event(.call, object: "", label: args.first?.description ?? "", detail: "") }
        case "open":
            guard case .string(let path)? = args.first, Self.isFIFO(path) else { return }
            event(.call, object: "", label: path)
        default:
            return
        }
    }

    /// The kernel object behind a descriptor, the same in every process: `ino:DEV:INODE`.
    func identity(_ fd: Int32) -> String {
        guard let file = FileSystem.identity(descriptor: fd) else { return "fd:\(getpid()):\(fd)" }
        return "ino:\(file.device):\(file.inode)"
    }

    /// The session's name for a descriptor (`p.w`), or `fd 5`.
    func label(_ fd: Int32) -> String {
        session.ownedDescriptors[fd] ?? "fd \(fd)"
    }

    /// The name of the handle whose field `field` is `value` (a queue's msqid, a set's semid).
    func label(field: String, value: Int) -> String {
        let text = String(value)
        return session.allHandles.first { $0.field(field) == text }?.name ?? "\(field) \(value)"
    }

    static func isFIFO(_ path: String) -> Bool { Descriptors.isFIFO(path) }

    static func bytes(_ value: TraceValue) -> [UInt8]? {
        switch value {
        case .bytes(let b): return b
        case .output(_, let inner): return bytes(inner)
        default: return nil
        }
    }

    /// Data as the diagram labels it: trailing NUL padding dropped, at most 64 bytes, escaped.
    static func shown(_ data: [UInt8]) -> String {
        var end = data.count
        while end > 0 && data[end - 1] == 0 { end -= 1 }
        return Escaping.display(data[0..<min(end, 64)])
    }

    /// `{20, "hello"}` (as the trace shows a message buffer) as `type 20: hello`.
    static func messageText(_ body: String) -> String {
        guard body.hasPrefix("{"), body.hasSuffix("}"), let comma = body.firstIndex(of: ",") else { return body }
        let type = body[body.index(after: body.startIndex)..<comma]
        let last = body.index(before: body.endIndex)
        let from = body.index(comma, offsetBy: 2, limitedBy: last) ?? last
        var text = body[from..<last]
        if text.hasPrefix("\"") { text = text.dropFirst() }
        if text.hasSuffix("\"") { text = text.dropLast() }
        return "type \(type): \(text)"
    }

    /// `[{0, -1, 0}, {1, 1, SEM_UNDO}]` (the trace's sembufs) as the shell writes them: `0-1 1+1`.
    static func operations(_ list: String) -> String {
        var ops: [String] = []
        for part in list.split(separator: "}") {
            let fields = part.filter { $0 != "[" && $0 != "{" && $0 != " " }.split(separator: ",").filter { !$0.isEmpty }
            guard fields.count >= 2, let change = Int(fields[1]) else { continue }
            ops.append("\(fields[0])" + (change == 0 ? "=0" : change > 0 ? "+\(change)" : "\(change)"))
        }
        return ops.isEmpty ? list : ops.joined(separator: " ")
    }

    /// A connected socket's own (or its peer's) address: `127.0.0.1:5555`, `/tmp/s.sock`, or empty.
    static func address(_ fd: Int32, peer: Bool) -> String {
        var raw = [UInt8](repeating: 0, count: 128)
        var length = socklen_t(raw.count)
        let r = raw.withUnsafeMutableBytes { buffer -> Int32 in
            let address = buffer.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            return peer ? getpeername(fd, address, &length) : getsockname(fd, address, &length)
        }
        guard r == 0, length >= 2 else { return "" }
        let family = Int32(raw[0]) | Int32(raw[1]) << 8
        if family == AF_INET, length >= 8 {
            let port = Int(raw[2]) << 8 | Int(raw[3])
            return "\(raw[4]).\(raw[5]).\(raw[6]).\(raw[7]):\(port)"
        }
        if family == AF_UNIX {
            let path = raw[2..<min(Int(length), raw.count)].prefix { $0 != 0 }
            return String(decoding: path, as: UTF8.self)
        }
        return ""
    }
}
