/// One thing a process of a diagrammed session did, as the session's event log holds it: one
/// line per event, tab-separated fields, written with a single `write(2)` to a file every
/// process of the session appends to (`O_APPEND`), so lines of different processes never mix.
///
/// The log is the structured trace (`TraceEntry`) of the calls that move data or wait, with
/// what the trace alone does not say: which kernel object a descriptor is (a pipe's inode is
/// the same in every process, its descriptor number is not), the session's name for it
/// (`p.w`), when the process began to wait, and the session's names for its processes.
public struct DiagramEvent: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The session names process `pid` `detail` (`ipcsh`, `child1`, `p1`).
        case name
        /// Bytes into a byte stream (pipe, FIFO, stream socket): `count` bytes of `object`.
        case send
        /// Bytes out of a byte stream; `count` 0 is end of file.
        case receive
        /// A message into a queue (System V or POSIX); `detail` is its text, as matched.
        case post
        /// A message out of a queue.
        case take
        /// A semaphore operation (`detail`: `0-1`, `wait`, `post`).
        case semaphore
        /// Bytes written into shared memory (`detail`), at offset `count`.
        case memoryWrite
        /// Bytes read from shared memory.
        case memoryRead
        /// A signal sent (`detail` its name, `peer` the target pid).
        case signal
        /// A signal handled (`signal on`) or taken (`signal wait`): `peer` is the sender.
        case handled
        /// A child forked (`peer` its pid).
        case fork
        /// The process ends (`detail`: its status).
        case exit
        /// Two sockets are the ends of one connection: `object` and `label` (their identities).
        case pair
        /// A connected socket `object` with its local address `label` and peer address `detail`.
        case connection
        /// A call that waited and moved no data (accept, open of a FIFO, waitpid).
        case call
    }

    public var kind: Kind
    public var pid: Int32
    /// When the call returned (CLOCK_MONOTONIC, nanoseconds: the same clock in every process).
    public var time: UInt64
    /// When the process began waiting for it: the start of its command, or the end of its
    /// previous call, whichever is later.
    public var start: UInt64
    /// The kernel object: `ino:1234` (pipe, FIFO, socket, POSIX queue), `msq:5`, `sem:7`, `shm:9`.
    public var object: String
    /// The session's name for it: `p.w`, `locks`, `buf`.
    public var label: String
    /// What moved, shown (escaped, shortened), or the operation.
    public var detail: String
    /// Bytes moved, an offset, a count.
    public var count: Int
    /// Empty when the call succeeded, otherwise its errno symbol (`EAGAIN`).
    public var error: String
    /// The other process: a signal's target or sender, a forked child.
    public var peer: Int32
    /// The call, as the trace names it (`read`, `semtimedop`).
    public var call: String

    public init(_ kind: Kind, pid: Int32, time: UInt64, start: UInt64 = 0, object: String = "", label: String = "",
                detail: String = "", count: Int = 0, error: String = "", peer: Int32 = 0, call: String = "") {
        self.kind = kind
        self.pid = pid
        self.time = time
        self.start = start == 0 ? time : start
        self.object = object
        self.label = label
        self.detail = detail
        self.count = count
        self.error = error
        self.peer = peer
        self.call = call
    }

    /// How long the process waited in the call.
    public var waited: UInt64 { time >= start ? time - start : 0 }

    /// The event as one line of the log (newline included).
    public var line: String {
        let fields = [kind.rawValue, String(pid), String(time), String(start), object, label, detail,
                      String(count), error, String(peer), call]
        return fields.map(Self.escapeField).joined(separator: "\t") + "\n"
    }

    /// Parses one line of the log; nil for a line that is not an event (a torn or foreign line).
    public init?(line: Substring) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { Self.unescapeField($0) }
        guard fields.count == 11, let kind = Kind(rawValue: fields[0]), let pid = Int32(fields[1]),
              let time = UInt64(fields[2]), let start = UInt64(fields[3]), let count = Int(fields[7]),
              let peer = Int32(fields[9]) else { return nil }
        self.init(kind, pid: pid, time: time, start: start, object: fields[4], label: fields[5], detail: fields[6],
                  count: count, error: fields[8], peer: peer, call: fields[10])
    }

    /// Every event of a log's text, in order; lines that do not parse are skipped.
    public static func parse(log text: String) -> [DiagramEvent] {
        text.split(separator: "\n").compactMap { DiagramEvent(line: $0) }
    }

    static func escapeField(_ text: String) -> String {
        guard text.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\\" }) else { return text }
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func unescapeField(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var out = ""
        var escaping = false
        for c in text {
            if escaping {
                switch c {
                case "t": out += "\t"
                case "n": out += "\n"
                default: out.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
