@preconcurrency import Glibc
import IPCSys
import IPCSyntax
import IPCShell

/// A recording read back: its commands with the pause before each and the output recorded
/// after each, all with their line numbers in the file.
public struct Transcript {
    public struct Entry {
        public var command: Command
        public var pause: Double
        /// The command's lines in the file (1-based, inclusive).
        public var lines: ClosedRange<Int>
        /// `#| ` lines after it: (line number, text without the marker).
        public var output: [(line: Int, text: String)]
        /// The lesson's own comment lines (and the blank lines between them) before the command,
        /// since the previous one: what `replay` shows. Not the recording's header, a `#!` line,
        /// nor its `#@` and `#|` lines.
        public var comments: [String] = []

        /// The recording shows this command failing (an error line of the shell's own, not of a
        /// child): a lesson showing a failure on purpose.
        public var showsFailure: Bool {
            output.contains { line in
                guard let diagnostic = Transcript.recordedDiagnostic(line.text) else { return false }
                return !diagnostic.ofChild && diagnostic.severity == .error
            }
        }
    }

    public var path: String
    public var entries: [Entry]
    /// Every line of the file.
    public var fileLines: [String]
    /// The lesson's comments after its last command.
    public var trailingComments: [String] = []

    /// The first lines of every recording (`Recorder.header()`), which are not the lesson's.
    static let headerPrefixes = ["# ipcsh recording", "# date: ", "# machine: ", "# Replay it with", "# Lines: "]

    /// How many lines at the top of the file are the recording's header (or a `#!` line).
    static func headerLength(_ lines: [Substring]) -> Int {
        var count = 0
        if lines.first?.hasPrefix("#!") == true { count = 1 }
        guard count < lines.count, lines[count].hasPrefix(headerPrefixes[0]) else { return count }
        while count < lines.count, headerPrefixes.contains(where: lines[count].hasPrefix) { count += 1 }
        return count
    }

    /// The comment and blank lines among `lines` (a blank line once, however many there are);
    /// the `#@` and `#|` lines of the recording are left out.
    static func comments<S: Sequence>(_ lines: S) -> [String] where S.Element == String {
        var kept: [String] = []
        for line in lines {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed == "\r" {
                if kept.last != "" { kept.append("") }
            } else if trimmed.hasPrefix("#") && !trimmed.hasPrefix("#|") && !trimmed.hasPrefix("#@") {
                kept.append(line)
            }
        }
        return kept
    }

    /// A recorded line that is a diagnostic: `FILE:LINE:COL: error: MESSAGE` (a script
    /// recorded), `error: MESSAGE` (the prompt), either after a child's `[NAME PID] `.
    static func recordedDiagnostic(_ text: String)
        -> (ofChild: Bool, location: SourceLocation?, severity: Diagnostic.Severity, message: Substring)? {
        var rest = Substring(text)
        var ofChild = false
        if rest.hasPrefix("["), let close = rest.firstRange(of: "] ") {
            ofChild = true
            rest = rest[close.upperBound...]
        }
        var location: SourceLocation?
        if !(rest.hasPrefix("error: ") || rest.hasPrefix("warning: ")) {
            // FILE:LINE:COL: (FILE without blanks; it may hold colons).
            guard let marker = rest.firstRange(of: ": error: ") ?? rest.firstRange(of: ": warning: ") else { return nil }
            let place = rest[..<marker.lowerBound]
            let parts = place.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]),
                  line > 0, column > 0, !place.contains(" ") else { return nil }
            let file = parts.dropLast(2).joined(separator: ":")
            guard !file.isEmpty else { return nil }
            location = SourceLocation(file: file, line: line, column: column)
            rest = rest[rest.index(after: marker.lowerBound)...].dropFirst()
        }
        let severity: Diagnostic.Severity = rest.hasPrefix("error: ") ? .error : .warning
        return (ofChild, location, severity, rest.drop { $0 != " " }.dropFirst())
    }

    /// A recording is read whole (its lines are compared): up to this size.
    public static let maximumSize = Interpreter.maximumWholeFile

    public static func load(_ path: String) throws(Diagnostic) -> Transcript {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readBytes(path, maximum: maximumSize, refusingNULIn: 4096) } catch {
            switch error.errno {
            case EFBIG: throw Diagnostic("\(path) is larger than \(maximumSize >> 20) MiB: not a recording ipcsh reads")
            case EILSEQ: throw Interpreter.notTextDiagnostic(path)
            default: throw Diagnostic("cannot read \(path): \(error.symbol) (\(error.text))")
            }
        }
        return try parse(bytes: bytes, path: path)
    }

    public static func parse(bytes: [UInt8], path: String) throws(Diagnostic) -> Transcript {
        let script = try Parser.parse(bytes: bytes, file: path)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = headerLength(text.split(separator: "\n", maxSplits: headerPrefixes.count + 1, omittingEmptySubsequences: false))
        var entries: [Entry] = []
        // The line after the previous command (0-based index into `lines`).
        var gapStart = header
        for (index, command) in script.commands.enumerated() {
            let first = command.location.line
            let last = first + command.source.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            var pause = 0.0
            if first >= 2, lines[first - 2].hasPrefix("#@ ") {
                pause = Double(lines[first - 2].dropFirst(3).trimmingSpaces) ?? 0
            }
            let nextFirst = index + 1 < script.commands.count ? script.commands[index + 1].location.line : lines.count + 1
            var output: [(Int, String)] = []
            var lineNumber = last + 1
            while lineNumber < nextFirst && lineNumber <= lines.count {
                let line = lines[lineNumber - 1]
                if line.hasPrefix("#| ") {
                    output.append((lineNumber, String(line.dropFirst(3))))
                } else if line == "#|" {
                    output.append((lineNumber, ""))
                }
                lineNumber += 1
            }
            var entry = Entry(command: command, pause: pause, lines: first...max(first, last), output: output)
            entry.comments = comments(lines[min(gapStart, first - 1)..<(first - 1)])
            if entries.isEmpty { entry.comments = Array(entry.comments.drop { $0.isEmpty }) }
            entries.append(entry)
            gapStart = last
        }
        var transcript = Transcript(path: path, entries: entries, fileLines: lines)
        var trailing = comments(lines[min(gapStart, lines.count)...])
        while trailing.last == "" { trailing.removeLast() }
        if entries.isEmpty { trailing = Array(trailing.drop { $0.isEmpty }) }
        transcript.trailingComments = trailing
        return transcript
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r" { s.removeLast() }
        return s
    }
}

/// Hides what legitimately changes from run to run: ids, addresses, pids, descriptor
/// numbers, times, durations.
public enum VolatileMask {
    nonisolated(unsafe) private static var rules: [(Regex<AnyRegexOutput>, (Regex<AnyRegexOutput>.Match) -> String)] = {
        func rule(_ pattern: String, _ replace: @escaping (Regex<AnyRegexOutput>.Match) -> String)
            -> (Regex<AnyRegexOutput>, (Regex<AnyRegexOutput>.Match) -> String) {
            ((try? Regex(pattern)) ?? (try! Regex("$^")), replace)
        }
        func group(_ m: Regex<AnyRegexOutput>.Match, _ i: Int) -> String {
            m.output[i].substring.map(String.init) ?? ""
        }
        return [
            // A system-call trace line: its ids, descriptors and pids (not its data, sizes, flags, counts).
            rule(#"^(\[[^\]]*\] )?[a-z_0-9]+\(.*\) = .*$"#) { m in
                maskTrace(String(m.output[0].substring ?? ""))
            },
            // An error's FILE:LINE:COL: a script recorded under one name is checked under another,
            // and its commands sit on other lines of the recording than of the script.
            rule(#"^((?:\[[^\]]*\] )?)[^\s:]+:\d+:\d+: (error|warning): "#) { m in "\(group(m, 1))\(group(m, 2)): " },
            rule(#"0x[0-9a-fA-F]{9,}"#) { _ in "0xADDR" },
            rule(#"\[([A-Za-z_][A-Za-z0-9_]*) \d+\]"#) { m in "[\(group(m, 1)) PID]" },
            rule(#"ipcsh\[\d+\]"#) { _ in "ipcsh[PID]" },
            rule(#"\b(pid|cpid|lpid|lspid|lrpid|shmid|msqid|semid|mqd|fd|uid|gid|id)(:?\s*)\d+"#) { m in "\(group(m, 1))\(group(m, 2))N" },
            rule(#"(-[mqs]) \d+"#) { m in "\(group(m, 1)) N" },
            // `status NAME` fields that hold a descriptor number or a port: `  r      6`.
            rule(#"^((?:\[[^\]]*\] )?  (?:r|w|a|b|fd|port)\s+)\d+$"#) { m in "\(group(m, 1))N" },
            // An IPv4 address's port (tcp::0 and every accepted connection get a new one).
            rule(#"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):\d+"#) { m in "\(group(m, 1)):PORT" },
            rule(#"\b(pipe|socket|anon_inode):\[\d+\]"#) { m in "\(group(m, 1)):[N]" },
            rule(#"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"#) { _ in "TIME" },
            rule(#"\b\d+(\.\d+)? ?(ns|us|µs|ms|s|MB/s|MiB/s|msg/s)\b"#) { m in "DURATION\(group(m, 2).hasSuffix("/s") ? "/s" : "")" },
        ]
    }()

    /// Calls whose result is an id, a descriptor or a pid (not a count or 0).
    static let callsReturningIds: Set<Substring> = ["shmget", "open", "fork", "socket", "accept", "msgget", "semget", "dup", "waitpid"]

    /// `write(7, "count 2", 8) = 8` → `write(N, "count 2", 8) = 8`: the first argument when it
    /// is a number (an id, a descriptor, a pid), the descriptors `pipe()` returns, and the result
    /// of a call that returns an id. Addresses are masked by the general rule.
    static func maskTrace(_ line: String) -> String {
        var rest = Substring(line)
        var prefix = Substring("")
        if rest.hasPrefix("["), let close = rest.firstRange(of: "] ") {
            prefix = rest[..<close.upperBound]
            rest = rest[close.upperBound...]
        }
        guard let open = rest.firstIndex(of: "("), let equals = rest.ranges(of: ") = ").last else { return line }
        let call = rest[..<open]
        var arguments = rest[rest.index(after: open)..<equals.lowerBound]
        var result = rest[equals.upperBound...]
        func isNumber(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0 >= "0" && $0 <= "9" } }
        if arguments.hasPrefix("["), let end = arguments.firstIndex(of: "]") {
            let list = arguments[arguments.index(after: arguments.startIndex)..<end]
            let masked = list.split(separator: ", ", omittingEmptySubsequences: false).map { isNumber($0) ? "N" : String($0) }
            arguments = "[" + masked.joined(separator: ", ")[...] + arguments[end...]
        } else {
            let first = arguments.prefix { $0 != "," }
            if isNumber(first) { arguments = "N" + arguments[first.endIndex...] }
        }
        // semctl(GETPID) returns the last process to operate on the semaphore.
        if callsReturningIds.contains(call) || (call == "semctl" && arguments.hasSuffix(", GETPID")), isNumber(result) { result = "N" }
        return String(prefix) + call + "(" + arguments + ") = " + result
    }

    public static func apply(_ line: String) -> String {
        var result = line
        for (regex, replace) in rules {
            result = result.replacing(regex, with: replace)
        }
        return result
    }
}
