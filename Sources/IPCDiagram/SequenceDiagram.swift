/// What a diagrammed session did, as a sequence diagram: a lifeline per process (and per
/// shared object: a segment, a semaphore set), an arrow per message from the call that sent it
/// to the call that took it, a bar where a process waited and what ended the wait.
///
/// Pure: built from the event log (`DiagramEvent`), drawn by `DiagramSVG` and `DiagramMermaid`.
/// Time runs down in rows: every moment something happened is one row, in time order.
public struct SequenceDiagram: Equatable, Sendable {
    public struct Participant: Equatable, Sendable {
        public enum Kind: String, Sendable { case process, segment = "shared memory", semaphores = "semaphores" }
        public var name: String
        public var kind: Kind
        /// `pid 4242`, `shmid 32769`.
        public var detail: String
        /// The rows its lifeline spans (a child is born at its fork and ends at its exit).
        public var firstRow: Int
        public var lastRow: Int
        /// How it ended (`exit 0`), when it did within the session.
        public var ending: String?
    }

    public struct Message: Equatable, Sendable {
        public enum Style: String, Sendable { case data, signal, memory, semaphore, fork, unread }
        public var from: Int
        /// Nil: nobody in the session took it (`unread`).
        public var to: Int?
        public var label: String
        public var style: Style
        public var sendRow: Int
        public var receiveRow: Int
    }

    public struct Block: Equatable, Sendable {
        public var participant: Int
        public var startRow: Int
        public var endRow: Int
        /// `blocked in read(p.r)`.
        public var label: String
        /// `released by child1's write`, `timed out (EAGAIN) after 2.0 s`.
        public var release: String
    }

    public struct Note: Equatable, Sendable {
        public var participant: Int
        public var row: Int
        public var text: String
    }

    public var title: String
    public var participants: [Participant] = []
    public var messages: [Message] = []
    public var blocks: [Block] = []
    public var notes: [Note] = []
    public var rowCount = 0
    /// Events past the drawing's limit, not drawn.
    public var omitted = 0

    /// A wait shorter than this is not drawn as a bar (a context switch, not a block).
    public static let blockThreshold: UInt64 = 20_000_000
    /// At most this many events are drawn (a picture of a million reads helps nobody).
    public static let maximumEvents = 600

    public init(title: String, participants: [Participant] = [], messages: [Message] = [], blocks: [Block] = [],
                notes: [Note] = [], rowCount: Int = 0) {
        self.title = title
        self.participants = participants
        self.messages = messages
        self.blocks = blocks
        self.notes = notes
        self.rowCount = rowCount
    }

    /// The longest label an arrow gets: data is shortened with `…`.
    public static let labelLimit = 28

    /// `"apple is red"`, `"a long message th…"`, with the size when the data shown is not all of it.
    public static func dataLabel(_ detail: String, count: Int) -> String {
        var shown = detail
        if shown.count > labelLimit - 2 { shown = String(shown.prefix(labelLimit - 3)) + "…" }
        let label = "\"" + shown + "\""
        return count > 0 && count != detail.utf8.count ? label + " (\(count) B)" : label
    }
}

extension SequenceDiagram {
    /// Builds the diagram of a log's events (in log order).
    public init(title: String, events allEvents: [DiagramEvent]) {
        self.title = title
        var events = allEvents.filter { $0.kind != .name && $0.kind != .pair && $0.kind != .connection }
        if events.count > Self.maximumEvents {
            omitted = events.count - Self.maximumEvents
            events = Array(events.prefix(Self.maximumEvents))
        }
        events.sort { $0.time < $1.time }
        Self.alignCauses(&events, peers: Self.streamPeers(allEvents))
        events.sort { $0.time < $1.time }

        // Names: the last name the session gave each pid; a name two pids share gets its pid.
        var names: [Int32: String] = [:]
        for e in allEvents where e.kind == .name { names[e.pid] = e.detail }
        var nameCounts: [String: Int] = [:]
        for name in names.values { nameCounts[name, default: 0] += 1 }
        func name(of pid: Int32) -> String {
            guard let n = names[pid] else { return "pid \(pid)" }
            return nameCounts[n, default: 0] > 1 ? "\(n) (\(pid))" : n
        }

        // Rows: every moment an event ended or a wait began.
        var moments = Set<UInt64>()
        for e in events {
            moments.insert(e.time)
            if Self.isBlock(e) { moments.insert(e.start) }
        }
        let sortedMoments = moments.sorted()
        var rowOf: [UInt64: Int] = [:]
        for (i, t) in sortedMoments.enumerated() { rowOf[t] = i }
        rowCount = sortedMoments.count
        func row(_ t: UInt64) -> Int { rowOf[t] ?? 0 }

        // Participants: processes in order of appearance (the shell first), then shared objects.
        var processIndex: [Int32: Int] = [:]
        var objectIndex: [String: Int] = [:]
        var processOrder: [Int32] = []
        if let shell = allEvents.first(where: { $0.kind == .name }) { processOrder.append(shell.pid) }
        for e in events where !processOrder.contains(e.pid) { processOrder.append(e.pid) }
        for e in events where e.kind == .fork && !processOrder.contains(e.peer) && events.contains(where: { $0.pid == e.peer }) {
            processOrder.append(e.peer)
        }
        for pid in processOrder {
            processIndex[pid] = participants.count
            participants.append(Participant(name: name(of: pid), kind: .process, detail: "pid \(pid)",
                                            firstRow: 0, lastRow: max(0, rowCount - 1), ending: nil))
        }
        for e in events where (e.kind == .memoryWrite || e.kind == .memoryRead || e.kind == .semaphore) && objectIndex[e.object] == nil {
            objectIndex[e.object] = participants.count
            let kind: Participant.Kind = e.kind == .semaphore ? .semaphores : .segment
            participants.append(Participant(name: e.label.isEmpty ? e.object : e.label, kind: kind,
                                            detail: Self.objectDetail(e.object), firstRow: 0, lastRow: max(0, rowCount - 1), ending: nil))
        }
        func index(_ pid: Int32) -> Int { processIndex[pid] ?? 0 }

        // Lifelines: a forked child starts at its fork, a process that exits ends there.
        for e in events where e.kind == .fork {
            if let child = processIndex[e.peer] {
                participants[child].firstRow = row(e.time)
                messages.append(Message(from: index(e.pid), to: child, label: "fork()", style: .fork,
                                        sendRow: row(e.time), receiveRow: row(e.time)))
            }
        }
        for e in events where e.kind == .exit {
            participants[index(e.pid)].lastRow = row(e.time)
            participants[index(e.pid)].ending = e.detail
        }

        let peerOf = Self.streamPeers(allEvents)
        struct Pending { var event: DiagramEvent; var remaining: Int }
        var streams: [String: [Pending]] = [:]
        var queues: [String: [DiagramEvent]] = [:]
        var pendingSignals: [DiagramEvent] = []
        var blockEvents: [(DiagramEvent, release: String)] = []

        for e in events {
            let me = index(e.pid)
            switch e.kind {
            case .send where e.error.isEmpty:
                streams[peerOf[e.object] ?? e.object, default: []].append(Pending(event: e, remaining: e.count))
            case .receive:
                var release = e.error.isEmpty ? "returned" : Self.failure(e)
                if e.error.isEmpty && e.count == 0 {
                    notes.append(Note(participant: me, row: row(e.time), text: "\(e.label): end of file"))
                    release = "end of file: no writer left"
                } else if e.error.isEmpty {
                    var wanted = e.count
                    var writers: [String] = []
                    while wanted > 0, var first = streams[e.object]?.first {
                        let taken = min(wanted, first.remaining)
                        wanted -= taken
                        first.remaining -= taken
                        let whole = taken == first.event.count
                        let label = whole ? Self.dataLabel(first.event.detail, count: first.event.count)
                                          : Self.dataLabel(first.event.detail, count: 0) + " (\(taken) of \(first.event.count) B)"
                        messages.append(Message(from: index(first.event.pid), to: me, label: label, style: .data,
                                                sendRow: row(first.event.time), receiveRow: max(row(first.event.time), row(e.time))))
                        writers.append(name(of: first.event.pid))
                        if first.remaining == 0 { streams[e.object]?.removeFirst() } else { streams[e.object]?[0] = first }
                    }
                    if wanted == e.count {
                        notes.append(Note(participant: me, row: row(e.time), text: "\(e.label) gave " + Self.dataLabel(e.detail, count: e.count)))
                    }
                    if let writer = writers.first { release = "released by \(writer)'s write" }
                }
                blockEvents.append((e, release))
            case .post where e.error.isEmpty:
                queues[e.object, default: []].append(e)
            case .take:
                var release = Self.failure(e)
                if e.error.isEmpty {
                    let waiting = queues[e.object] ?? []
                    if let i = waiting.firstIndex(where: { $0.detail == e.detail }) ?? waiting.indices.first {
                        let sent = waiting[i]
                        queues[e.object]?.remove(at: i)
                        messages.append(Message(from: index(sent.pid), to: me, label: "\(e.label): " + Self.dataLabel(sent.detail, count: 0),
                                                style: .data, sendRow: row(sent.time), receiveRow: max(row(sent.time), row(e.time))))
                        release = "released by \(name(of: sent.pid))'s message"
                    } else {
                        notes.append(Note(participant: me, row: row(e.time), text: "\(e.label) gave " + Self.dataLabel(e.detail, count: 0)))
                        release = "returned"
                    }
                }
                blockEvents.append((e, release))
            case .semaphore:
                let target = objectIndex[e.object] ?? me
                let failed = e.error.isEmpty ? "" : ": " + e.error
                messages.append(Message(from: me, to: target, label: e.detail + failed, style: .semaphore,
                                        sendRow: row(e.time), receiveRow: row(e.time)))
                var release = Self.failure(e)
                if e.error.isEmpty {
                    // The last operation by another process on the set during the wait: the kernel
                    // does not say who woke a waiter, but only an operation can.
                    let by = events.last { $0.kind == .semaphore && $0.object == e.object && $0.pid != e.pid
                        && $0.time <= e.time && $0.time >= e.start && $0.error.isEmpty && $0.detail.contains("+") }
                    release = by.map { "released by \(name(of: $0.pid))'s \($0.detail)" } ?? "returned"
                }
                blockEvents.append((e, release))
            case .memoryWrite:
                messages.append(Message(from: me, to: objectIndex[e.object] ?? me, label: "write " + Self.dataLabel(e.detail, count: 0),
                                        style: .memory, sendRow: row(e.time), receiveRow: row(e.time)))
            case .memoryRead:
                messages.append(Message(from: objectIndex[e.object] ?? me, to: me, label: "read " + Self.dataLabel(e.detail, count: 0),
                                        style: .memory, sendRow: row(e.time), receiveRow: row(e.time)))
            case .signal where e.error.isEmpty:
                pendingSignals.append(e)
            case .handled:
                if let i = pendingSignals.firstIndex(where: { $0.peer == e.pid && $0.detail == e.detail && ($0.pid == e.peer || e.peer == 0) }) {
                    let sent = pendingSignals.remove(at: i)
                    messages.append(Message(from: index(sent.pid), to: me, label: e.detail, style: .signal,
                                            sendRow: row(sent.time), receiveRow: max(row(sent.time), row(e.time))))
                } else {
                    notes.append(Note(participant: me, row: row(e.time), text: "caught \(e.detail) from pid \(e.peer)"))
                }
            case .call:
                blockEvents.append((e, Self.failure(e)))
            default:
                break
            }
        }
        // What nobody in the session took: writes never read, signals never handled.
        for pending in streams.values.joined() {
            messages.append(Message(from: index(pending.event.pid), to: nil, label: Self.dataLabel(pending.event.detail, count: pending.event.count) + " (unread)",
                                    style: .unread, sendRow: row(pending.event.time), receiveRow: row(pending.event.time)))
        }
        for sent in queues.values.joined() {
            messages.append(Message(from: index(sent.pid), to: nil, label: "\(sent.label): " + Self.dataLabel(sent.detail, count: 0) + " (unread)",
                                    style: .unread, sendRow: row(sent.time), receiveRow: row(sent.time)))
        }
        for sent in pendingSignals {
            if let target = processIndex[sent.peer], target != index(sent.pid) {
                messages.append(Message(from: index(sent.pid), to: target, label: sent.detail, style: .signal,
                                        sendRow: row(sent.time), receiveRow: row(sent.time)))
            } else {
                notes.append(Note(participant: index(sent.pid), row: row(sent.time), text: "sent \(sent.detail) to " + (sent.peer == sent.pid ? "itself" : name(of: sent.peer))))
            }
        }
        for (e, release) in blockEvents where Self.isBlock(e) {
            blocks.append(Block(participant: index(e.pid), startRow: row(e.start), endRow: row(e.time),
                                label: "blocked in \(e.call)(\(e.label))", release: release + " after " + Self.duration(e.waited)))
        }
        messages.sort { ($0.receiveRow, $0.sendRow) < ($1.receiveRow, $1.sendRow) }
    }

    /// Byte streams: a socket's writes arrive at its peer (the other end of its pair or
    /// connection); a pipe's and a FIFO's at itself.
    static func streamPeers(_ events: [DiagramEvent]) -> [String: String] {
        var peerOf: [String: String] = [:]
        for e in events where e.kind == .pair {
            peerOf[e.object] = e.label
            peerOf[e.label] = e.object
        }
        var connections: [DiagramEvent] = []
        for e in events where e.kind == .connection {
            if let i = connections.firstIndex(where: { $0.label == e.detail && $0.detail == e.label && $0.object != e.object }) {
                peerOf[e.object] = connections[i].object
                peerOf[connections[i].object] = e.object
                connections.remove(at: i)
            } else {
                connections.append(e)
            }
        }
        return peerOf
    }

    /// Each process stamps a call when it sees it return, so a read can be logged before the
    /// write that woke it. A read that completes before, or just after, the write it took is
    /// drawn at the write (a level arrow); a semaphore wait that ended with another process's
    /// operation is drawn just after that operation.
    static func alignCauses(_ events: inout [DiagramEvent], peers: [String: String]) {
        let snap: UInt64 = 15_000_000
        var streams: [String: [(index: Int, remaining: Int)]] = [:]
        var queues: [String: [Int]] = [:]
        var signals: [Int] = []
        func align(_ i: Int, after cause: Int) {
            let sent = events[cause].time
            if events[i].time < sent || events[i].time - sent < snap {
                events[i].time = sent
                events[i].start = min(events[i].start, sent)
            }
        }
        for i in events.indices {
            let e = events[i]
            switch e.kind {
            case .send where e.error.isEmpty:
                streams[peers[e.object] ?? e.object, default: []].append((i, e.count))
            case .receive where e.error.isEmpty && e.count > 0:
                var wanted = e.count
                var first: Int?
                while wanted > 0, var head = streams[e.object]?.first {
                    first = first ?? head.index
                    let taken = min(wanted, head.remaining)
                    wanted -= taken
                    head.remaining -= taken
                    if head.remaining == 0 { streams[e.object]?.removeFirst() } else { streams[e.object]?[0] = head }
                }
                if let first { align(i, after: first) }
            case .post where e.error.isEmpty:
                queues[e.object, default: []].append(i)
            case .take where e.error.isEmpty:
                let waiting = queues[e.object] ?? []
                if let k = waiting.firstIndex(where: { events[$0].detail == e.detail }) ?? waiting.indices.first {
                    queues[e.object]?.remove(at: k)
                    align(i, after: waiting[k])
                }
            case .signal where e.error.isEmpty:
                signals.append(i)
            case .handled:
                if let k = signals.firstIndex(where: { events[$0].peer == e.pid && events[$0].detail == e.detail }) {
                    align(i, after: signals.remove(at: k))
                }
            case .semaphore where e.error.isEmpty && isBlock(e):
                // Woken by an increment of another process, logged up to `snap` after the wake-up.
                let cause = events.indices.filter { j in
                    let o = events[j]
                    return o.kind == .semaphore && o.object == e.object && o.pid != e.pid && o.error.isEmpty
                        && o.detail.contains("+") && o.time >= e.start && o.time <= e.time + snap
                }.min { Self.distance(events[$0].time, e.time) < Self.distance(events[$1].time, e.time) }
                if let cause, events[cause].time >= e.time { events[i].time = events[cause].time + 1 }
            default:
                break
            }
        }
    }

    static func distance(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }

    /// A call the process waited in long enough to draw.
    static func isBlock(_ e: DiagramEvent) -> Bool {
        switch e.kind {
        case .receive, .take, .semaphore, .call, .send, .post: return e.waited >= blockThreshold
        default: return false
        }
    }

    static func failure(_ e: DiagramEvent) -> String {
        switch e.error {
        case "": return "returned"
        case "EAGAIN", "ETIMEDOUT": return "timed out (\(e.error))"
        case "EINTR": return "interrupted (EINTR)"
        default: return "failed (\(e.error))"
        }
    }

    static func objectDetail(_ object: String) -> String {
        if object.hasPrefix("shm:") { return "shmid " + object.dropFirst(4) }
        if object.hasPrefix("sem:") { return "semid " + object.dropFirst(4) }
        return object
    }

    /// `300 ms`, `2.0 s`.
    public static func duration(_ nanoseconds: UInt64) -> String {
        let ms = nanoseconds / 1_000_000
        if ms < 1000 { return "\(ms) ms" }
        return "\(ms / 1000).\(ms % 1000 / 100) s"
    }
}
