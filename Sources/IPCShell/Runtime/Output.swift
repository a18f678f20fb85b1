@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// Where commands write. Commands never print directly: values, informational lines and
/// errors go through here, which knows about buffering, colors, prefixes and recording.
public final class Output {
    public enum Stream: Sendable { case stdout, stderr }

    private var buffer: [UInt8] = []
    private var stdoutFD: Int32
    private var stderrFD: Int32
    /// Colors only on a terminal and never with NO_COLOR.
    public var useColor: Bool
    /// Flush after every command (a terminal, or a pipe someone is watching).
    public var flushEachCommand: Bool
    /// `[child1 4242] ` in children: every line starts with it.
    public var linePrefix: String = ""
    /// Sees every line written (recordings).
    public var tap: ((String, Stream) -> Void)?
    /// Only the tap sees output (ipcsh check).
    public var captureOnly = false
    /// `ipcsh replay`: where a diagnostic is shown (the place the recording showed it, not its
    /// line in the recording). Kept in forked children, whose errors the recording shows too.
    public var relocateDiagnostic: ((Diagnostic) -> Diagnostic)?
    /// Lines written so far (to notice activity).
    public private(set) var linesWritten = 0

    public init(stdoutFD: Int32 = 1, stderrFD: Int32 = 2, useColor: Bool? = nil) {
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        let isTTY = isatty(stdoutFD) == 1
        if let useColor {
            self.useColor = useColor
        } else {
            let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
            self.useColor = isTTY && isatty(stderrFD) == 1 && !noColor
        }
        self.flushEachCommand = isTTY
        buffer.reserveCapacity(1 << 16)
    }

    /// A line of output (a value, or a line of a table).
    public func line(_ text: String) {
        emit(text, stream: .stdout, color: nil)
    }

    /// Captured standard output of running procs (innermost last); a capture that `shows` its
    /// lines also lets them through (to the capture outside it, or out), as they come.
    private var captures: [(bytes: [UInt8], shows: Bool)] = []

    /// Starts capturing standard output (a proc's output is its result). `showing`: the lines
    /// are also printed as they come (a proc called without keeping its output).
    public func beginCapture(showing: Bool = false) { captures.append(([], showing)) }

    /// Ends the innermost capture: what was printed, without the final newline.
    public func endCapture() -> [UInt8] {
        var bytes = captures.popLast()?.bytes ?? []
        if bytes.last == 0x0A { bytes.removeLast() }
        return bytes
    }

    /// Whether `writeRaw` goes straight to stdout: no capture, tap or prefix needs whole lines.
    public var writesRawPieces: Bool { captures.isEmpty && tap == nil && linePrefix.isEmpty && !captureOnly }

    /// A piece of a line written as it comes (a long value shown without holding it whole);
    /// only when `writesRawPieces`.
    public func writeRaw(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Raw bytes as one line (data read from the kernel, already escaped).
    public func line(bytes: [UInt8]) {
        if !captures.isEmpty {
            var index = captures.count - 1
            while index >= 0 {
                captures[index].bytes += bytes + [0x0A]
                if !captures[index].shows { return }
                index -= 1
            }
        }
        if tap != nil || !linePrefix.isEmpty {
            line(String(decoding: bytes, as: UTF8.self))
            return
        }
        bytes.withUnsafeBufferPointer(appendLine)
    }

    /// `line(bytes:)` of a word (a short one is inline: no array is made to print it).
    public func line(word: WordBytes) {
        guard captures.isEmpty, tap == nil, linePrefix.isEmpty else {
            line(bytes: word.array)
            return
        }
        word.withUnsafeBufferPointer(appendLine)
    }

    /// The bytes and a newline into the buffer, written out once it holds 64 KiB.
    @inline(__always)
    private func appendLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// An informational line (`shm1: attached at 0x7f...`), dimmed on a terminal. Never part of a
    /// proc's result: `x = mk` inside which `p = pipe` runs gets what mk echoes, not the pipe's notice.
    public func info(_ text: String) {
        emit(text, stream: .stdout, color: "2", capturable: false)
    }

    /// An error or warning on stderr.
    public func diagnostic(_ diagnostic: Diagnostic, withLocation: Bool) {
        let diagnostic = relocateDiagnostic?(diagnostic) ?? diagnostic
        let rendered = diagnostic.render(withLocation: withLocation)
        let color = diagnostic.severity == .error ? "1;31" : "1;33"
        emit(rendered, stream: .stderr, color: color)
    }

    /// A line relayed from a child, already prefixed, to the same stream it used.
    public func relayed(_ text: String, stream: Stream) {
        emit(text, stream: stream, color: nil)
    }

    /// In a forked child: plain lines to its own stdout/stderr (relay pipes), no colors,
    /// no recording, nothing inherited in the buffer.
    public func becomeChildOutput() {
        buffer.removeAll(keepingCapacity: true)
        // A child forked inside a proc writes to its relay pipe; the parent, still in the proc,
        // captures the relayed lines. A capture inherited here would keep them from ever going out.
        captures.removeAll()
        stdoutFD = 1
        stderrFD = 2
        useColor = false
        captureOnly = false
        tap = nil
        flushEachCommand = true
    }

    /// A system-call trace line (stderr, dimmed cyan on a terminal).
    public func trace(_ text: String) {
        emit(text, stream: .stderr, color: "2;36")
    }

    public func warning(_ text: String) {
        emit("warning: " + text, stream: .stderr, color: "1;33")
    }

    private func emit(_ text: String, stream: Stream, color: String?, capturable: Bool = true) {
        if stream == .stdout && capturable && !captures.isEmpty {
            var index = captures.count - 1
            while index >= 0 {
                captures[index].bytes += Array(text.utf8) + [0x0A]
                if !captures[index].shows { return }
                index -= 1
            }
        }
        linesWritten &+= 1
        tap?(text, stream)
        if captureOnly { return }
        var out = text
        if !linePrefix.isEmpty {
            out = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { linePrefix + $0 }.joined(separator: "\n")
        }
        if useColor, let color { out = "\u{1B}[\(color)m" + out + "\u{1B}[0m" }
        switch stream {
        case .stdout:
            buffer.append(contentsOf: out.utf8)
            buffer.append(0x0A)
            if buffer.count >= 1 << 16 { flush() }
        case .stderr:
            flush()
            var bytes = Array(out.utf8)
            bytes.append(0x0A)
            _ = bytes.withUnsafeBytes { FileSystem.writeAll(stderrFD, $0) }
        }
    }

    /// Whether lines are waiting in the buffer (a flush would write something).
    public var hasPendingOutput: Bool { !buffer.isEmpty && !captureOnly }

    public func flush() {
        guard !buffer.isEmpty, !captureOnly else { return }
        let failed = stdoutGone ? nil : buffer.withUnsafeBytes { FileSystem.writeAll(stdoutFD, $0) }
        buffer.removeAll(keepingCapacity: true)
        // Nobody reads stdout any more (`ipcsh script | head -1`): the session ends, as sh ends of
        // SIGPIPE, but with its clean-up (children, `cleanup on`) and status 141.
        if failed == EPIPE {
            stdoutGone = true
            Signals.requestTermination(SIGPIPE)
        }
    }

    /// stdout's reader went away: what is printed from now on is dropped.
    public private(set) var stdoutGone = false

    /// Colors a piece of text when colors are on (for tables).
    public func styled(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
