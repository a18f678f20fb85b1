@preconcurrency import Glibc
@preconcurrency import CReadline

/// GNU readline through its callback interface, in a `poll` loop over stdin and the
/// signal self-pipe, so Ctrl-C clears the line and asynchronous output can be printed
/// above the prompt. Knows nothing about IPC: completion is a closure.
public final class LineEditor {
    public enum Event: Equatable {
        case line(String)
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Ctrl-C: the line was cleared.
        case interrupted
    }

    /// Given the whole line and the start/end of the word under the cursor, the candidates.
    public typealias Completer = (_ line: String, _ start: Int, _ end: Int) -> [String]

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
        rl_catch_signals = 0
        rl_catch_sigwinch = 1
        rl_attempted_completion_function = lineEditorCompletion
        // Handle names contain '.', e.g. pipe1.r: not a word break.
        rl_basic_word_break_characters = UnsafePointer(strdup(" \t\n;{}=\"'"))
        rl_completer_quote_characters = UnsafePointer(strdup("\"'"))
        using_history()
        stifle_history(2000)
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
        EditorState.result = nil
        rl_callback_handler_install(prompt, lineEditorLineHandler)
        defer { rl_callback_handler_remove() }
        while true {
            var fds = [
                pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, wakeDescriptor >= 0 ? 2 : 1, -1)
            if takeInterrupt() {
                rl_free_line_state()
                rl_callback_sigcleanup()
                rl_crlf()
                rl_replace_line("", 0)
                return .interrupted
            }
            if n < 0 { continue }
            if fds[0].revents != 0 {
                rl_callback_read_char()
                if let result = EditorState.result {
                    EditorState.result = nil
                    return result
                }
            }
        }
    }

    /// Adds a line to the history (and appends it to the history file).
    public func remember(_ line: String) {
        guard !line.allSatisfy({ $0 == " " || $0 == "\t" }) else { return }
        add_history(line)
        if let historyPath {
            append_history(1, historyPath)
            history_truncate_file(historyPath, 2000)
        }
    }

    /// Restores the terminal; call on every exit path.
    public func close() {
        rl_callback_handler_remove()
        rl_deprep_terminal()
    }
}

/// State reached from readline's C callbacks (which cannot capture context).
enum EditorState {
    nonisolated(unsafe) static var result: LineEditor.Event?
    nonisolated(unsafe) static var completer: LineEditor.Completer?
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var cursor = 0
}

private let lineEditorLineHandler: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
    guard let line else {
        EditorState.result = .endOfInput
        return
    }
    EditorState.result = .line(String(cString: line))
    free(line)
}

private let lineEditorCompletion: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { _, start, end in
    let line = rl_line_buffer.map { String(cString: $0) } ?? ""
    EditorState.candidates = EditorState.completer?(line, Int(start), Int(end)) ?? []
    // Paths: let readline's filename completion append '/' for directories; no space after a name.
    rl_attempted_completion_over = 1
    if EditorState.candidates.count == 1, EditorState.candidates[0].hasSuffix("/") {
        rl_completion_append_character = 0
    } else {
        rl_completion_append_character = 32
    }
    return rl_completion_matches("", lineEditorGenerator)
}

private let lineEditorGenerator: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    if state == 0 { EditorState.cursor = 0 }
    guard EditorState.cursor < EditorState.candidates.count else { return nil }
    let candidate = EditorState.candidates[EditorState.cursor]
    EditorState.cursor += 1
    return strdup(candidate)
}
