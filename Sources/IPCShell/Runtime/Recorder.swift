@preconcurrency import Glibc
import IPCSys

/// Writes a recording: a valid `.ipcs` script with each command as typed, its output as
/// `#| ` lines and the pause before it as `#@ SECONDS` (LANGUAGE.md §7). Each command's
/// block is written with one `write()` when the command ends, so a killed shell loses at
/// most the command in flight.
public final class Recorder {
    public let path: String
    private let fd: Int32
    private var block: [UInt8] = []
    private var inCommand = false
    private var lastEnd: UInt64

    public init(path: String) throws(Diagnostic) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Diagnostic("record: cannot create \(path): \(Errno.symbol(Errno.current)) (\(Errno.text(Errno.current)))")
        }
        self.path = path
        self.fd = fd
        lastEnd = Clock.monotonicNanoseconds()
        write(Recorder.header())
    }

    static func header() -> String {
        var uts = utsname()
        uname(&uts)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        }
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        let date = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return """
            # ipcsh recording, format 1 (ipcsh \(IPCShellVersion.current))
            # date: \(date)
            # machine: \(field(uts.sysname)) \(field(uts.release)) \(field(uts.machine))
            # Replay it with: ipcsh replay FILE   Check it with: ipcsh check FILE
            # Lines: a command as typed, its output as '#| ' lines, the pause before it as '#@ SECONDS'.

            """
    }

    /// A command starts: its pause and its text go into the block.
    public func begin(_ source: String) {
        let pause = Double(Clock.monotonicNanoseconds() &- lastEnd) / 1e9
        block = Array("#@ \(Recorder.seconds(pause))\n".utf8) + Array(source.utf8) + [0x0A]
        inCommand = true
    }

    /// A line of output (stdout or stderr, uncoloured).
    public func output(_ line: String) {
        var bytes: [UInt8] = []
        for piece in line.split(separator: "\n", omittingEmptySubsequences: false) {
            bytes += Array("#| ".utf8) + Array(piece.utf8) + [0x0A]
        }
        if inCommand {
            block += bytes
        } else {
            write(bytes) // output that arrives between commands (an actor's): after the last one
        }
    }

    /// The command ended: its block goes to the file now.
    public func end() {
        guard inCommand else { return }
        inCommand = false
        write(block)
        block = []
        lastEnd = Clock.monotonicNanoseconds()
    }

    /// Drops the command in flight (`record stop` is not part of the lesson).
    public func discardCurrent() {
        inCommand = false
        block = []
    }

    public func close() {
        end()
        Glibc.close(fd)
    }

    private func write(_ text: String) { write(Array(text.utf8)) }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { FileSystem.writeAll(fd, $0) }
    }

    static func seconds(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100, fraction = hundredths % 100
        return "\(whole)." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
