import Foundation
import XCTest

/// The real `ipcsh` REPL on a real terminal: a private tmux server (its own socket, no
/// user configuration) running one pane of 120x30. Keys go in with `send-keys`, the screen
/// comes back with `capture-pane`. The server is killed by a teardown block registered on
/// creation, so it goes away even when the test fails.
final class TmuxSession {
    let socket: String
    let historyPath: String
    private(set) var pid: pid_t = 0

    static var isAvailable: Bool {
        (try? run(["-V"]).status) == 0
    }

    /// Starts `ipcsh` in `directory` with `environment` added (and `removing` unset), history in
    /// `historyPath`. Waits for the first prompt.
    /// `arguments` go to ipcsh (`--record FILE`, `replay FILE --step`). `startedWhen` tells when it
    /// has started, for a run that shows no prompt (a script, `-c`).
    init(testCase: XCTestCase, historyPath: String, directory: String? = nil,
         environment: [String: String] = ["NO_COLOR": "1"], removing: [String] = [],
         arguments: [String] = [], startedWhen: ((String) -> Bool)? = nil) throws {
        // A socket path of our own (-S): tmux leaves its socket file behind after kill-server.
        socket = "/tmp/ipcsh-tmux-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        self.historyPath = historyPath
        testCase.addTeardownBlock { [socket] in
            _ = try? TmuxSession.run(["-S", socket, "kill-server"])
            unlink(socket)
        }
        var env = ["IPCSH_HISTORY": historyPath]
        for (k, v) in environment { env[k] = v }
        var command = "exec env"
        for name in removing { command += " -u " + name }
        for (k, v) in env.sorted(by: { $0.key < $1.key }) { command += " " + Self.quote("\(k)=\(v)") }
        command += " " + Self.quote(Harness.ipcshPath)
        for argument in arguments { command += " " + Self.quote(argument) }
        var arguments = ["new-session", "-d", "-x", "120", "-y", "30"]
        if let directory { arguments += ["-c", directory] }
        arguments += [command, ";", "set-option", "-g", "remain-on-exit", "on"]
        let started = try tmux(arguments)
        guard started.status == 0 else { throw TmuxError.failed("new-session: \(started.stderr)") }
        let pidText = try tmux(["display-message", "-p", "#{pane_pid}"]).stdout
        guard let pid = pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TmuxError.failed("no pane pid in \(pidText)")
        }
        self.pid = pid
        if let startedWhen {
            try waitForScreen("the start", startedWhen)
        } else {
            try waitForScreen("the first prompt") { $0.contains("ipcsh[\(pid)]> ") }
        }
    }

    /// The prompt as the shell prints it (without colors).
    var prompt: String { "ipcsh[\(pid)]> " }

    /// Types `text` literally (no key names).
    func type(_ text: String) throws {
        let result = try tmux(["send-keys", "-l", text])
        guard result.status == 0 else { throw TmuxError.failed("send-keys: \(result.stderr)") }
    }

    /// Types a line and presses Enter.
    func enter(_ line: String) throws {
        try type(line)
        try press("Enter")
    }

    /// Presses keys by tmux name: `Tab`, `Enter`, `Up`, `C-c`, `C-d`, `C-u`.
    func press(_ keys: String...) throws {
        let result = try tmux(["send-keys"] + keys)
        guard result.status == 0 else { throw TmuxError.failed("send-keys: \(result.stderr)") }
    }

    /// The visible screen; with `escapes`, including color and attribute sequences.
    func screen(escapes: Bool = false) throws -> String {
        var arguments = ["capture-pane", "-p", "-N"]
        if escapes { arguments.append("-e") }
        return try tmux(arguments).stdout
    }

    /// Non-empty screen lines, trailing blanks kept (so `shm ` shows its space).
    func lines() throws -> [String] {
        try screen().split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// The last non-empty line: where the cursor sits at a prompt.
    func lastLine() throws -> String { try lines().last ?? "" }

    /// Waits (a generous 10 s: a correct shell answers in milliseconds) until `condition`
    /// holds for the screen; fails with the screen otherwise.
    @discardableResult
    func waitForScreen(_ what: String, timeout: TimeInterval = 10,
                       _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        while Date() < deadline {
            text = try screen()
            if condition(text) { return text }
            usleep(50_000)
        }
        throw TmuxError.timedOut(what, text)
    }

    /// Waits until the last line reads `line` and the cursor stands right after it, so a
    /// trailing space in `line` is checked too (readline may blank a line with spaces, which
    /// the screen alone cannot tell from typed ones).
    @discardableResult
    func waitForLastLine(_ line: String) throws -> String {
        let wanted = line.trimmingTrailingBlanks()
        return try waitForScreen("last line \"\(line)\" with the cursor after it") { screen in
            let lines = screen.split(separator: "\n").map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard let last = lines.last, last.trimmingTrailingBlanks() == wanted else { return false }
            return (try? cursorColumn()) == line.count
        }
    }

    /// The cursor's column (0-based).
    func cursorColumn() throws -> Int? {
        Int(try tmux(["display-message", "-p", "#{cursor_x}"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Number of lines that start with the prompt.
    func promptCount() throws -> Int { try lines().filter { $0.hasPrefix(prompt) }.count }

    /// Whether the pane's process has ended (tmux keeps the pane: remain-on-exit), and how.
    func exitStatus() throws -> Int32? {
        let text = try tmux(["display-message", "-p", "#{pane_dead} #{pane_dead_status}"]).stdout
        let parts = text.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard parts.first == "1" else { return nil }
        if parts.count > 1, let status = Int32(parts[1]) { return status }
        // On a loaded machine tmux can mark the pane dead (its terminal closed) and not reap the
        // shell for a long while: the status is then read from the zombie itself.
        return zombieExitStatus()
    }

    /// The exit status of the shell when it is a zombie: field 52 of /proc/PID/stat holds the
    /// status as waitpid reports it.
    private func zombieExitStatus() -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the command name start at field 3 (state); field 52 is index 49.
        guard fields.first == "Z", fields.count > 49,
              let raw = Int32(fields[49].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
    }

    /// Whether the shell's process is still running: not gone and not a zombie (tmux does
    /// not always reap at once, so the pane can look alive a while after the shell ended).
    var processExists: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> Harness.Result {
        try Self.run(["-f", "/dev/null", "-S", socket] + arguments)
    }

    /// Runs the tmux client. Not with Foundation's `Process`: it learns that a child ended
    /// from a descriptor the child inherits, and the tmux server, forked by the client,
    /// keeps that descriptor open, so `Process` would wait for the server to end. Here the
    /// client gets /dev/null and two files, nothing else, and is reaped with waitpid.
    static func run(_ arguments: [String], timeout: TimeInterval = 20) throws -> Harness.Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ipcsh-tmux-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer { unlink(outPath); unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let inherited = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [])
            .compactMap { Int32($0) }.filter { $0 > 2 }
        for fd in inherited { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = (["tmux"] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        guard spawned == 0 else { throw TmuxError.failed("posix_spawnp: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw TmuxError.failed("waitpid: \(errno)") }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TmuxError.failed("tmux \(arguments) did not finish")
            }
            usleep(2_000)
        }
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Harness.Result(status: code, stdout: out, stderr: err)
    }

    private static func quote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

enum TmuxError: Error, CustomStringConvertible {
    case failed(String)
    case timedOut(String, String)

    var description: String {
        switch self {
        case .failed(let message): return "tmux: \(message)"
        case .timedOut(let what, let screen): return "timed out waiting for \(what); screen:\n\(screen)"
        }
    }
}

extension String {
    func trimmingTrailingBlanks() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
