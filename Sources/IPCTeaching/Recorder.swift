@preconcurrency import Glibc
import IPCSys
import IPCSyntax
import IPCShell

/// Writes a recording: a valid `.ipcs` script with each command as typed, its output as
/// `#| ` lines and the pause before it as `#@ SECONDS` (docs/teaching.md). Each command's
/// block is written with one `write()` when the command ends, so a killed shell loses at
/// most the command in flight.
///
/// A recording never destroys what FILE held before it is complete: it goes to a temporary
/// file next to FILE (`.NAME.XXXXXX`), renamed over FILE by `close()`. So a script can be
/// recorded onto itself (it is read while FILE is still the script), and a recording that
/// could not be written (a full disk) leaves FILE as it was. A killed shell leaves the
/// temporary file, a valid recording up to the last command that finished. A FILE that
/// exists and is not a regular file (`/dev/full`, a FIFO, a terminal) is written directly:
/// renaming over it would replace the device with a file.
public final class Recorder: SessionRecording {
    public let path: String
    /// The temporary file that replaces `path` when complete (or `path` itself: `ReplacementFile`).
    private let file: ReplacementFile
    /// Where the recording is written until it is complete, or nil when it goes to `path` directly.
    public var temporaryPath: String? { file.temporaryPath }
    /// The errno of the first write that failed; nothing more is written after it.
    public private(set) var writeError: Int32?
    private var isClosed = false
    private var block: [UInt8] = []
    private var inCommand = false
    private var lastEnd: UInt64
    /// Recording a script: its lines, so that its comments and blank lines are kept.
    private var script: (file: String, lines: [Substring])?
    /// The script's next line not yet written (1-based).
    private var nextScriptLine = 1

    public init(path: String) throws(Diagnostic) {
        file = try Recorder.openTarget(path)
        self.path = path
        lastEnd = Clock.monotonicNanoseconds()
        write(Recorder.header())
        // Not even the header could be written (a full disk, /dev/full): say so now, not after the lesson.
        if let error = writeError {
            abandon()
            throw Recorder.cannotWrite(path, error)
        }
    }

    /// Opens the temporary file next to `path` (or `path` itself when it is not a regular file).
    private static func openTarget(_ path: String) throws(Diagnostic) -> ReplacementFile {
        do throws(ReplacementFile.OpenError) {
            return try ReplacementFile.open(path)
        } catch {
            // FILE itself may be writable: say why its directory matters.
            throw Diagnostic("record: cannot create \(path): \(Errno.symbol(error.errno)) (\(Errno.text(error.errno)))",
                             hint: error.temporaryTemplate.map { "a recording is written next to its file first (\($0)), then renamed over it" })
        }
    }

    static func cannotWrite(_ path: String, _ error: Int32) -> Diagnostic {
        Diagnostic("record: cannot write \(path): \(Errno.symbol(error)) (\(Errno.text(error)))")
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

    /// Records a script (`ipcsh --record OUT SCRIPT`): the comments and blank lines between its
    /// commands go into the recording too, so a recorded lesson keeps its explanations. A
    /// `#!` line, the header and the `#|`/`#@` lines of a script that is itself a recording
    /// are left out (they would be doubled).
    public func keepComments(of file: String, source bytes: [UInt8]) {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        script = (file, lines)
        nextScriptLine = 1
        if lines.first?.hasPrefix("#!") == true { nextScriptLine = 2 }
        if lines.first?.hasPrefix("# ipcsh recording") == true {
            let header = ["# ipcsh recording", "# date: ", "# machine: ", "# Replay it with", "# Lines: "]
            while nextScriptLine <= lines.count, header.contains(where: lines[nextScriptLine - 1].hasPrefix) {
                nextScriptLine += 1
            }
        }
    }

    /// The script's comment and blank lines before `line` (or to its end).
    private func scriptLines(before line: Int) -> [UInt8] {
        guard let script, nextScriptLine < line else { return [] }
        var bytes: [UInt8] = []
        for number in nextScriptLine..<min(line, script.lines.count + 1) {
            let text = script.lines[number - 1]
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            guard trimmed.isEmpty || trimmed.hasPrefix("#") else { continue }
            if trimmed.hasPrefix("#|") || trimmed.hasPrefix("#@") { continue }
            bytes += Array(text.utf8) + [0x0A]
        }
        nextScriptLine = line
        return bytes
    }

    /// A command starts: its pause and its text go into the block.
    public func begin(_ command: Command) {
        let pause = Double(Clock.monotonicNanoseconds() &- lastEnd) / 1e9
        var comments: [UInt8] = []
        if let script, command.location.file == script.file {
            comments = scriptLines(before: command.location.line)
            let last = command.location.line + command.source.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            nextScriptLine = max(nextScriptLine, last + 1)
        }
        block = comments + Array("#@ \(Recorder.seconds(pause))\n".utf8) + Array(command.source.utf8) + [0x0A]
        inCommand = true
    }

    /// A line of output (stdout or stderr, uncoloured).
    public func output(_ line: String, stream: Output.Stream = .stdout) {
        // Between commands, an error of the shell's own (not a child's: those carry their
        // [NAME PID] prefix) is about a line that did not parse, which is not in the file:
        // keep it as a comment, or check would expect it from the command before.
        let marker = !inCommand && stream == .stderr && !line.hasPrefix("[") ? "# " : "#| "
        var bytes: [UInt8] = []
        for piece in line.split(separator: "\n", omittingEmptySubsequences: false) {
            bytes += Array(marker.utf8) + Array(piece.utf8) + [0x0A]
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

    /// Ends the recording: the last command's block and the script's last comments are
    /// written, and the temporary file replaces FILE. Throws when any part of the recording
    /// could not be written (FILE is then left as it was, the temporary file removed).
    public func close() throws(Diagnostic) {
        guard !isClosed else { return }
        end()
        if let script { write(scriptLines(before: script.lines.count + 1)) }
        isClosed = true
        if let error = file.close(), writeError == nil { writeError = error }
        if let error = writeError {
            file.discard()
            throw Recorder.cannotWrite(path, error)
        }
        do throws(SystemCallError) {
            try file.replace()
        } catch {
            throw Diagnostic("record: cannot replace \(path): rename: \(Errno.symbol(error.errno)) (\(Errno.text(error.errno)))")
        }
    }

    /// Ends the recording without keeping it (the session never ran): FILE stays as it was.
    public func abandon() {
        guard !isClosed else { return }
        isClosed = true
        _ = file.close()
        file.discard()
    }

    private func write(_ text: String) { write(Array(text.utf8)) }

    /// Every byte or an error: after a failed write nothing more goes to the file, which
    /// `close()` then reports.
    private func write(_ bytes: [UInt8]) {
        guard writeError == nil, !isClosed, !bytes.isEmpty else { return }
        writeError = bytes.withUnsafeBytes { file.write($0) }
    }

    static func seconds(_ value: Double) -> String {
        // A pause comes from the monotonic clock, but no Double reaches a trapping conversion.
        let scaled = (value * 100).rounded()
        let hundredths = scaled.isNaN || scaled <= 0 ? 0 : scaled >= 1e15 ? 1_000_000_000_000_000 : Int(scaled)
        let whole = hundredths / 100, fraction = hundredths % 100
        return "\(whole)." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}

extension Interpreter {
    /// Lets `record start` make recorders (the runtime cannot make one itself: `SessionRecording`).
    public func enableRecording() {
        makeRecorder = { path throws(Diagnostic) in try Recorder(path: path) }
    }
}
