@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// Reads a script or stdin as a stream, in pieces of whole lines, so that a script runs as it
/// arrives (`(echo 'echo first'; sleep 3; echo 'echo second') | ipcsh` prints `first` at once,
/// as `sh` does) and memory stays bounded however long the input is (`yes 'echo hi' | ipcsh`).
/// A command that spans pieces (a block, a quote) goes back (`putBack`) and is read on until it
/// is complete, up to `maximumCommand` bytes.
struct ScriptReader {
    /// The longest command (a line, or a block with all its lines) accepted.
    static let maximumCommand = 32 << 20
    /// How much one `read()` asks for at most.
    static let readSize = 1 << 16

    let fd: Int32
    /// Bytes read and not yet handed out; they start at the start of line `line`.
    private var buffer: [UInt8] = []
    private var line = 1
    private var atEnd = false
    /// Bytes handed out so far (the first 4,096 are checked for NUL: a program, not a script).
    private var handedOut = 0 // adjusted by putBack; never read past 4,096
    /// The size of the text that last ended inside a command (0: none). It is tried again once
    /// the text has doubled, or when no more is ready now: a long block is parsed a few times,
    /// not once per read.
    private var incompleteSize = 0
    private var scratch = [UInt8](repeating: 0, count: ScriptReader.readSize)

    /// `refusesBinary`: a file whose first 4,096 bytes hold a NUL is refused (a program, or
    /// /dev/zero); stdin is not checked (its bytes are reported where they are, escaped).
    init(fd: Int32, refusesBinary: Bool = true) {
        self.fd = fd
        if !refusesBinary { handedOut = 4096 }
    }

    /// All input was read and handed out.
    var isExhausted: Bool { atEnd && buffer.isEmpty }

    /// The next piece of whole lines (at the end of input, all that is left) and the line it
    /// starts at; nil at the end. `waitForInput` is called before a read that would block.
    mutating func nextPiece(waitForInput: () throws(ControlFlow) -> Void) throws(ReadFailure) -> (bytes: [UInt8], firstLine: Int)? {
        while true {
            if atEnd {
                guard !buffer.isEmpty else { return nil }
                return try take(buffer.count)
            }
            let ready = Self.isReady(fd)
            if incompleteSize == 0 || buffer.count >= 2 * incompleteSize || !ready, let cut = cutPoint() {
                return try take(cut)
            }
            guard buffer.count <= ScriptReader.maximumCommand else { throw .tooLong(line: line) }
            if !ready {
                do { try waitForInput() } catch { throw .interrupted(error) }
            }
            try read()
            // A program or a data file (/dev/zero) is refused at once, not read on for a newline.
            if handedOut < 4096, buffer.prefix(4096 - handedOut).contains(0) { throw .notText }
        }
    }

    /// Text that ended inside a command: it goes back in front of what comes next.
    mutating func putBack(_ bytes: ArraySlice<UInt8>, firstLine: Int) {
        incompleteSize = bytes.count
        handedOut -= bytes.count
        buffer.insert(contentsOf: bytes, at: 0)
        line = firstLine
        scanned = (0, nil)
    }

    private mutating func take(_ count: Int) throws(ReadFailure) -> (bytes: [UInt8], firstLine: Int) {
        let piece = Array(buffer[..<count])
        buffer.removeFirst(count)
        scanned = (0, nil)
        if handedOut < 4096, piece.prefix(4096 - handedOut).contains(0) { throw .notText }
        handedOut += count
        incompleteSize = 0
        let first = line
        line += piece.withUnsafeBufferPointer { ScriptReader.newlines(in: $0) }
        return (piece, first)
    }

    /// How many newlines `bytes` holds: eight bytes at a time (a loop byte by byte was ~5% of a
    /// long script's time, callgrind).
    static func newlines(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        var count = 0
        var i = 0
        while i + 8 <= bytes.count {
            // A byte of x is zero exactly where the word has a newline; the high bit of each
            // byte of `nonzero` is set where x's byte is not zero (no carry crosses bytes).
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            let nonzero = (((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080
            count += 8 - nonzero.nonzeroBitCount
            i += 8
        }
        while i < bytes.count {
            if bytes[i] == 0x0A { count += 1 }
            i += 1
        }
        return count
    }

    /// After the last newline that does not continue its line (`\`), when that is past the
    /// text that was incomplete (nothing new to try otherwise).
    /// Only the bytes read since the last call are searched (`scanned`): searching a long line
    /// again on each read made a 40 MB line take 37 s.
    private mutating func cutPoint() -> Int? {
        let floor = max(incompleteSize, scanned.bytes)
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            var i = bytes.count - 1
            while i >= floor {
                if bytes[i] == 0x0A && !(i > 0 && bytes[i - 1] == UInt8(ascii: "\\")) { return i + 1 }
                i -= 1
            }
            return nil
        }
        // A newline right after the old end may be escaped by its last byte: look again from there.
        scanned = (max(0, buffer.count - 1), found ?? (scanned.cut.flatMap { $0 > incompleteSize ? $0 : nil }))
        return scanned.cut
    }

    /// How far `cutPoint` has searched, and the cut it found there.
    private var scanned: (bytes: Int, cut: Int?) = (0, nil)

    private mutating func read() throws(ReadFailure) {
        while true {
            let n = scratch.withUnsafeMutableBytes { Plumbing.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: scratch[..<n])
            } else if n == 0 {
                atEnd = true
            } else {
                let code = errno
                if code == EINTR && !Signals.interruptPending { continue }
                if code == EINTR { throw .interrupted(.interrupted) }
                throw .system(SystemCallError("read", errno: code))
            }
            return
        }
    }

    /// Whether a read would return at once (data, or the end of input).
    private static func isReady(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return Plumbing.poll(&pfd, 1, 0) > 0
    }

    enum ReadFailure: Error {
        case system(SystemCallError)
        case tooLong(line: Int)
        case notText
        case interrupted(ControlFlow)
    }
}
