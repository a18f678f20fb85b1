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
        let links = Self.links(events, peers: Self.streamPeers(allEvents))
        Self.alignCauses(&events, links: links)

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

        var blockEvents: [(DiagramEvent, release: String)] = []
        for (i, e) in events.enumerated() {
            let me = index(e.pid)
            switch e.kind {
            case .receive, .take:
                var release = Self.failure(e)
                if e.error.isEmpty && e.kind == .receive && e.count == 0 {
                    notes.append(Note(participant: me, row: row(e.time), text: "\(e.label): end of file"))
                    release = "end of file: no writer left"
                } else if e.error.isEmpty, let taken = links.byReceive[i] {
                    for link in taken {
                        let sent = events[link.send]
                        var label = Self.dataLabel(sent.detail, count: e.kind == .receive ? sent.count : 0)
                        if e.kind == .receive && link.taken != sent.count {
                            label = Self.dataLabel(sent.detail, count: 0) + " (\(link.taken) of \(sent.count) B)"
                        }
                        if e.kind == .take { label = "\(e.label): " + label }
                        messages.append(Message(from: index(sent.pid), to: me, label: label, style: .data,
                                                sendRow: row(sent.time), receiveRow: max(row(sent.time), row(e.time))))
                    }
                    if let first = taken.first {
                        release = "released by \(name(of: events[first.send].pid))'s " + (e.kind == .receive ? "write" : "message")
                    }
                } else if e.error.isEmpty {
                    notes.append(Note(participant: me, row: row(e.time), text: "\(e.label) gave " + Self.dataLabel(e.detail, count: e.count)))
                }
                blockEvents.append((e, release))
            case .send, .post:
                if e.error.isEmpty && !links.usedSends.contains(i) {
                    let label = (e.kind == .post ? "\(e.label): " : "") + Self.dataLabel(e.detail, count: e.kind == .send ? e.count : 0) + " (unread)"
                    messages.append(Message(from: me, to: nil, label: label, style: .unread, sendRow: row(e.time), receiveRow: row(e.time)))
                }
                blockEvents.append((e, Self.failure(e)))
            case .semaphore:
                let target = objectIndex[e.object] ?? me
                let failed = e.error.isEmpty ? "" : ": " + e.error
                messages.append(Message(from: me, to: target, label: e.detail + failed, style: .semaphore,
                                        sendRow: row(e.time), receiveRow: row(e.time)))
                var release = Self.failure(e)
                if e.error.isEmpty {
                    // The operation by another process that increased the set during the wait, last
                    // before it ended: the kernel does not say who woke a waiter, but only an increase can.
                    let by = events.filter { $0.kind == .semaphore && $0.object == e.object && $0.pid != e.pid
                        && $0.time <= e.time && $0.time >= e.start && $0.error.isEmpty && $0.detail.contains("+") }.max { $0.time < $1.time }
                    release = by.map { "released by \(name(of: $0.pid))'s \($0.detail)" } ?? "returned"
                }
                blockEvents.append((e, release))
            case .memoryWrite:
                messages.append(Message(from: me, to: objectIndex[e.object] ?? me, label: "write " + Self.dataLabel(e.detail, count: 0),
                                        style: .memory, sendRow: row(e.time), receiveRow: row(e.time)))
            case .memoryRead:
                messages.append(Message(from: objectIndex[e.object] ?? me, to: me, label: "read " + Self.dataLabel(e.detail, count: 0),
                                        style: .memory, sendRow: row(e.time), receiveRow: row(e.time)))
            case .signal where e.error.isEmpty && !links.usedSends.contains(i):
                if let target = processIndex[e.peer], target != me {
                    messages.append(Message(from: me, to: target, label: e.detail, style: .signal, sendRow: row(e.time), receiveRow: row(e.time)))
                } else {
                    notes.append(Note(participant: me, row: row(e.time), text: "sent \(e.detail) to " + (e.peer == e.pid ? "itself" : name(of: e.peer))))
                }
            case .handled:
                if let sent = links.byReceive[i]?.first.map({ events[$0.send] }) {
                    messages.append(Message(from: index(sent.pid), to: me, label: e.detail, style: .signal,
                                            sendRow: row(sent.time), receiveRow: max(row(sent.time), row(e.time))))
                } else {
                    notes.append(Note(participant: me, row: row(e.time), text: "caught \(e.detail) from " + name(of: e.peer)))
                }
            case .call:
                blockEvents.append((e, Self.failure(e)))
            default:
                break
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

    /// Which send each receive took: (index of the send, bytes taken), by index into the events.
    struct Links {
        struct Link { var send: Int; var taken: Int }
        var byReceive: [Int: [Link]] = [:]
        var usedSends = Set<Int>()
    }

    /// Matches each receive to what it took. A byte stream's n-th byte read is its n-th byte
    /// written, whatever order the processes logged their calls in (a reader woken by a write
    /// can log its read first); a queue's message is the first one sent with the same text; a
    /// handled signal the first one sent to that process with that name.
    static func links(_ events: [DiagramEvent], peers: [String: String]) -> Links {
        var links = Links()
        var writes: [String: [(index: Int, remaining: Int)]] = [:]
        for (i, e) in events.enumerated() where e.kind == .send && e.error.isEmpty && e.count > 0 {
            writes[peers[e.object] ?? e.object, default: []].append((i, e.count))
        }
        for (i, e) in events.enumerated() where e.kind == .receive && e.error.isEmpty && e.count > 0 {
            var wanted = e.count
            while wanted > 0, var head = writes[e.object]?.first {
                let taken = min(wanted, head.remaining)
                wanted -= taken
                head.remaining -= taken
                links.byReceive[i, default: []].append(Links.Link(send: head.index, taken: taken))
                links.usedSends.insert(head.index)
                if head.remaining == 0 { writes[e.object]?.removeFirst() } else { writes[e.object]?[0] = head }
            }
        }
        var posts: [String: [Int]] = [:]
        for (i, e) in events.enumerated() where e.kind == .post && e.error.isEmpty { posts[e.object, default: []].append(i) }
        for (i, e) in events.enumerated() where e.kind == .take && e.error.isEmpty {
            let waiting = posts[e.object] ?? []
            if let k = waiting.firstIndex(where: { events[$0].detail == e.detail }) ?? waiting.indices.first {
                links.byReceive[i] = [Links.Link(send: waiting[k], taken: 0)]
                links.usedSends.insert(waiting[k])
                posts[e.object]?.remove(at: k)
            }
        }
        var signals = events.indices.filter { events[$0].kind == .signal && events[$0].error.isEmpty }
        for (i, e) in events.enumerated() where e.kind == .handled {
            if let k = signals.firstIndex(where: { events[$0].peer == e.pid && events[$0].detail == e.detail }) {
                links.byReceive[i] = [Links.Link(send: signals[k], taken: 0)]
                links.usedSends.insert(signals[k])
                signals.remove(at: k)
            }
        }
        return links
    }

    /// Each process stamps a call when it sees it return, so a read can be logged before the
    /// write that woke it. A receive that completes before, or just after, what it took is
    /// drawn at the send (a level arrow); a semaphore wait that ended with another process's
    /// operation is drawn just after that operation.
    static func alignCauses(_ events: inout [DiagramEvent], links: Links) {
        let snap: UInt64 = 15_000_000
        for (i, taken) in links.byReceive {
            guard let first = taken.first else { continue }
            let sent = events[first.send].time
            if events[i].time < sent || events[i].time - sent < snap {
                events[i].time = sent
                events[i].start = min(events[i].start, sent)
            }
        }
        for i in events.indices {
            let e = events[i]
            guard e.kind == .semaphore, e.error.isEmpty, isBlock(e) else { continue }
            // Woken by an increase by another process, logged up to `snap` after the wake-up.
            let cause = events.indices.filter { j in
                let o = events[j]
                return o.kind == .semaphore && o.object == e.object && o.pid != e.pid && o.error.isEmpty
                    && o.detail.contains("+") && o.time >= e.start && o.time <= e.time + snap
            }.min { distance(events[$0].time, e.time) < distance(events[$1].time, e.time) }
            if let cause, events[cause].time >= e.time { events[i].time = events[cause].time + 1 }
        }
        // A process logs its own calls in order: what it did after a call that moved is drawn after it.
        var last: [Int32: UInt64] = [:]
        for i in events.indices {
            if let previous = last[events[i].pid], events[i].time <= previous {
                events[i].start = max(events[i].start, previous)
                events[i].time = previous + 1
            }
            last[events[i].pid] = events[i].time
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
