@preconcurrency import Glibc
@preconcurrency import CReadline

/// GNU readline through its callback interface, in a `poll` loop over stdin, the
/// signal self-pipe and any descriptors the caller adds, so Ctrl-C clears the line and
/// asynchronous output can be printed above the prompt. Knows nothing about IPC:
/// completion is a closure.
public final class LineEditor {
    public enum Event: Equatable {
        case line(String)
        /// Ctrl-D on an empty line (or the terminal went away).
        case endOfInput
        /// Ctrl-C: the line was cleared.
        case interrupted
    }

    /// What Tab offers for the word under the cursor.
    public struct Completions: Equatable, ExpressibleByArrayLiteral {
        public var candidates: [String]
        /// File names: readline then appends '/' to a directory (and no space), and lists
        /// several matches by their last component.
        public var areFilenames: Bool

        public init(_ candidates: [String], areFilenames: Bool = false) {
            self.candidates = candidates
            self.areFilenames = areFilenames
        }

        public init(arrayLiteral elements: String...) { self.init(elements) }
    }

    /// Given the whole line and the start/end (byte offsets) of the word under the cursor.
    public typealias Completer = (_ line: String, _ start: Int, _ end: Int) -> Completions

    private let historyPath: String?
    private let wakeDescriptor: Int32
    private let takeInterrupt: () -> Bool

    public init(historyPath: String?, wakeDescriptor: Int32, takeInterrupt: @escaping () -> Bool,
                completer: @escaping Completer) {
        self.historyPath = historyPath
        self.wakeDescriptor = wakeDescriptor
        self.takeInterrupt = takeInterrupt
        EditorState.completer = completer
        rl_readline_name = UnsafePointer(strdup("ipcsh"))
        // We own SIGINT (the self-pipe); readline only follows window-size changes.
        rl_catch_signals = 0
        rl_catch_sigwinch = 1
        // Keep readline's SIGWINCH handler while the prompt waits in poll (not only inside
        // rl_callback_read_char), so a resize is noticed and redrawn at once.
        rl_persistent_signal_handlers = 1
        rl_attempted_completion_function = lineEditorCompletion
        // Handle names contain '.', e.g. pipe1.r: not a word break.
        rl_basic_word_break_characters = UnsafePointer(strdup(" \t\n;{}=\"'"))
        rl_completer_quote_characters = UnsafePointer(strdup("\"'"))
        using_history()
        stifle_history(2000)
        // A block typed over several lines is one entry, in memory and in the file: each
        // entry is written after a `#<time>` line, and when a file starts with one, reading
        // joins the lines up to the next (readline turns on history_multiline_entries itself;
        // setting it here would glue every line of an old file without times into one entry).
        history_comment_char = CChar(UInt8(ascii: "#"))
        history_write_timestamps = 1
        if let historyPath {
            // Create it 0600 before readline touches it: history can hold data.
            let fd = open(historyPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            if fd >= 0 {
                fchmod(fd, 0o600)
                Glibc.close(fd)
            }
            read_history(historyPath)
        }
    }

    /// Reads one line with `prompt`.
    public func readLine(prompt: String) -> Event {
        readLine(prompt: prompt, extraDescriptors: [], onReadable: { _ in })
    }

    /// Reads one line with `prompt`, also watching `extraDescriptors`: when one is readable,
    /// `onReadable` runs (while the prompt is shown; it may call `printAbove`) and reading
    /// goes on. The callback must consume what made the descriptor readable, or it is
    /// called again at once.
    public func readLine(prompt: String, extraDescriptors: [Int32],
                         onReadable: (Int32) -> Void) -> Event {
        readLine(prompt: prompt, watching: { extraDescriptors }, onReadable: onReadable)
    }

    /// Like `readLine(prompt:extraDescriptors:onReadable:)`, but asks `watching` for the
    /// descriptors before every wait, so a callback may close one (a child's output pipe at
    /// end of file) without the loop spinning on it.
    public func readLine(prompt: String, watching: () -> [Int32],
                         onReadable: (Int32) -> Void, onWake: () -> Void = {}) -> Event {
        EditorState.result = nil
        // A line recalled with Up and then abandoned must not leave history half-way.
        using_history()
        rl_callback_handler_install(prompt, lineEditorLineHandler)
        EditorState.handlerInstalled = true
        defer { removeHandler() }
        var fds: [pollfd] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0))
            // A negative fd is ignored by poll, so the indices stay fixed.
            fds.append(pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0))
            for fd in watching() { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            // Raw poll on purpose: the line editor knows nothing of IPC and does not link IPCSys.
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 && errno != EINTR && errno != EAGAIN { return .endOfInput }
            if n < 0 || fds[1].revents != 0 {
                if takeInterrupt() {
                    clearAfterInterrupt()
                    return .interrupted
                }
                // Another signal (SIGCHLD; poll may have returned EINTR for it, and the
                // self-pipe is drained now): the caller may have something to say.
                onWake()
                if n < 0 {
                    rl_check_signals()
                    continue
                }
            }
            let stdinEvents = Int32(fds[0].revents)
            if stdinEvents & Int32(POLLNVAL) != 0 { return .endOfInput }
            if stdinEvents != 0 {
                // POLLHUP without data: read() sees 0 and readline reports end of input.
                rl_callback_read_char()
                if let result = EditorState.result {
                    EditorState.result = nil
                    return result
                }
            }
            for index in fds.indices.dropFirst(2) where fds[index].revents != 0 {
                onReadable(fds[index].fd)
            }
        }
    }

    /// Whether the prompt is on screen (inside `readLine`).
    public var isReading: Bool { EditorState.handlerInstalled }

    /// Prints `text` (a newline is added if missing) above the prompt without disturbing
    /// what the user is typing: the line is cleared, the text printed, and the prompt and
    /// the typed line redrawn with the cursor where it was. Outside `readLine` it just
    /// prints.
    public func printAbove(_ text: String, descriptor: Int32 = STDOUT_FILENO) {
        var bytes = Array(text.utf8)
        if bytes.last != 0x0A { bytes.append(0x0A) }
        guard EditorState.handlerInstalled else {
            fflush(stdout)
            writeAll(descriptor, bytes)
            return
        }
        let savedPoint = rl_point
        let savedLine = rl_copy_text(0, rl_end)
        // An empty prompt and line: redisplay erases what is shown, even across wrapped rows.
        rl_save_prompt()
        rl_replace_line("", 0)
        rl_redisplay()
        fflush(rl_outstream)
        writeAll(descriptor, bytes)
        rl_restore_prompt()
        if let savedLine {
            rl_replace_line(savedLine, 0)
            free(savedLine)
        }
        rl_point = savedPoint
        rl_forced_update_display()
        fflush(rl_outstream)
    }

    /// Adds a line to the history (and appends it to the history file).
    public func remember(_ line: String) {
        guard !line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) else { return }
        add_history(line)
        if let historyPath {
            append_history(1, historyPath)
            history_truncate_file(historyPath, 2000)
        }
    }

    /// Restores the terminal; call on every exit path. Safe to call twice.
    public func close() {
        removeHandler()
        rl_deprep_terminal()
        fflush(stdout)
    }

    private func removeHandler() {
        guard EditorState.handlerInstalled else { return }
        EditorState.handlerInstalled = false
        rl_callback_handler_remove()
    }

    /// Ctrl-C at the prompt: show `^C`, drop the typed line (and any half-done search or
    /// numeric argument), and move to a fresh line for the next prompt.
    private func clearAfterInterrupt() {
        rl_echo_signal_char(SIGINT)
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_replace_line("", 0)
        rl_point = 0
        rl_crlf()
        fflush(rl_outstream)
        removeHandler()
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return
                }
                offset += n
            }
        }
    }
}

/// State reached from readline's C callbacks (which cannot capture context).
enum EditorState {
    nonisolated(unsafe) static var result: LineEditor.Event?
    nonisolated(unsafe) static var handlerInstalled = false
    nonisolated(unsafe) static var completer: LineEditor.Completer?
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var cursor = 0
}

private let lineEditorLineHandler: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
    // Removing the handler here stops readline from redrawing the prompt after the line,
    // which the command's output would then overwrite; `readLine` installs it again.
    EditorState.handlerInstalled = false
    rl_callback_handler_remove()
    guard let line else {
        EditorState.result = .endOfInput
        return
    }
    EditorState.result = .line(String(cString: line))
    free(line)
}

private let lineEditorCompletion: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { _, start, end in
    let line = rl_line_buffer.map { String(cString: $0) } ?? ""
    let completions = EditorState.completer?(line, Int(start), Int(end)) ?? []
    // readline marks directories itself (in the line and in the list of matches).
    EditorState.candidates = completions.areFilenames
        ? completions.candidates.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        : completions.candidates
    // Never fall back to readline's own file-name completion: the specs decide.
    rl_attempted_completion_over = 1
    // For file names readline appends '/' to a directory and no space; a space otherwise.
    rl_filename_completion_desired = completions.areFilenames ? 1 : 0
    rl_completion_append_character = 32
    // A single word that goes on, no space after it either: a directory in a word (`unix:/tmp/`),
    // or a prefix that ends in ':' (`unix:`, `ftok:`, `ftok:/etc/passwd:` before its ID).
    if !completions.areFilenames, completions.candidates.count == 1, let only = completions.candidates.first,
       only.hasSuffix("/") || only.hasSuffix(":") {
        rl_completion_suppress_append = 1
    }
    guard !completions.candidates.isEmpty else { return nil }
    return rl_completion_matches("", lineEditorGenerator)
}

private let lineEditorGenerator: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    if state == 0 { EditorState.cursor = 0 }
    guard EditorState.cursor < EditorState.candidates.count else { return nil }
    let candidate = EditorState.candidates[EditorState.cursor]
    EditorState.cursor += 1
    return strdup(candidate)
}
