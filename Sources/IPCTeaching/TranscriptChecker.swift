import IPCSys
import IPCSyntax
import IPCShell

/// `ipcsh check FILE`: re-runs a recording in a fresh session and compares what it prints
/// now with what it printed then, masking what legitimately changes (`VolatileMask`).
public struct TranscriptChecker {
    public struct Outcome {
        public var path: String
        public var commands: Int
        public var outputLines: Int
        /// A unified diff (empty when the recording still holds).
        public var diff: [String]
        /// What the clean-up at the end removed (`cleanup: removed ...`), or could not.
        public var cleanup: [String] = []
        public var passed: Bool { diff.isEmpty }
    }

    /// One line of a transcript: its text and, for the recording's side, its line number.
    struct Line: Equatable {
        var text: String
        var masked: String
        var fileLine: Int?
        static func == (a: Line, b: Line) -> Bool { a.masked == b.masked }
    }

    public init() {}

    /// Runs the recording's commands; keeps going after a failed command, as a lesson may show one.
    public func check(_ transcript: Transcript) -> Outcome {
        var captured: [String] = []
        let output = Output(stdoutFD: -1, stderrFD: -1, useColor: false)
        output.captureOnly = true
        output.tap = { line, _ in captured.append(contentsOf: line.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)) }
        let session = Session(output: output)
        session.positionalStack = [[transcript.path]]
        let interpreter = Interpreter(session: session)
        interpreter.enableRecording()
        interpreter.keepGoing = true
        interpreter.settlesAfterEachCommand = true

        var expected: [Line] = []
        var actual: [Line] = []
        for entry in transcript.entries {
            for number in entry.lines where number <= transcript.fileLines.count {
                let text = transcript.fileLines[number - 1]
                let line = Line(text: text, masked: VolatileMask.apply(text), fileLine: number)
                expected.append(line)
                actual.append(line)
            }
            for (number, text) in entry.output {
                expected.append(Line(text: "#| " + text, masked: "#| " + VolatileMask.apply(text), fileLine: number))
            }
            captured = []
            var stop = false
            do {
                try interpreter.runTopLevel(entry.command)
            } catch {
                if case .exit = error { stop = true }
            }
            // A slow child (a loaded machine): wait, while children may still print, until this
            // command has printed as many lines as it did when recorded (at most 3 s), so its
            // late lines are not taken for the next command's.
            let deadline = Clock.monotonicNanoseconds() + 3_000_000_000
            while !stop, captured.count < entry.output.count, Clock.monotonicNanoseconds() < deadline,
                  interpreter.supervisor.children.contains(where: { $0.exitStatus == nil || $0.stdoutFD != nil }) {
                if Signals.interruptPending { break }
                _ = try? interpreter.supervisor.wait(for: nil, timeoutMilliseconds: 50, until: nil)
            }
            for text in captured {
                actual.append(Line(text: "#| " + text, masked: "#| " + VolatileMask.apply(text), fileLine: nil))
            }
            if stop { break }
        }
        captured = []
        _ = interpreter.supervisor.shutdown(graceMilliseconds: 500)
        // Remove what the lesson left behind; only now, or `status` would say "cleanup on exit: on".
        session.cleanupOnExit = true
        let cleanup = session.finish()
        let diff = TranscriptChecker.unifiedDiff(expected, actual, path: transcript.path)
        return Outcome(path: transcript.path, commands: transcript.entries.count,
                       outputLines: expected.count { $0.text.hasPrefix("#|") }, diff: diff, cleanup: cleanup)
    }

    /// A unified diff of the recording (`-`, with its line numbers) against this run (`+`).
    /// Linear in memory: a recording that holds is found so in one pass, and a difference is
    /// found with Myers' linear-space diff (`EditScript`), never an n×m table.
    static func unifiedDiff(_ a: [Line], _ b: [Line], path: String) -> [String] {
        if a.count == b.count && a.elementsEqual(b) { return [] }
        let script = EditScript(a.map(\.masked), b.map(\.masked))
        enum Op { case same(Line), removed(Line), added(Line) }
        var ops: [Op] = []
        ops.reserveCapacity(max(a.count, b.count))
        var i = 0, j = 0
        let n = a.count, m = b.count
        // Within a change, the recording's lines before this run's.
        while i < n || j < m {
            if i < n && script.removed[i] {
                ops.append(.removed(a[i])); i += 1
            } else if j < m && script.added[j] {
                ops.append(.added(b[j])); j += 1
            } else if i < n && j < m {
                ops.append(.same(a[i])); i += 1; j += 1
            } else if i < n {
                ops.append(.removed(a[i])); i += 1
            } else {
                ops.append(.added(b[j])); j += 1
            }
        }
        guard ops.contains(where: { if case .same = $0 { return false }; return true }) else { return [] }
        var lines = ["--- \(path) (recorded)", "+++ \(path) (this run)"]
        var index = 0
        while index < ops.count {
            guard case .same = ops[index] else {
                // A hunk: up to 2 lines of context around a run of changes.
                let start = max(0, index - 2)
                var end = index
                while end < ops.count {
                    if case .same = ops[end] {
                        var lookahead = end
                        while lookahead < ops.count, case .same = ops[lookahead], lookahead - end < 4 { lookahead += 1 }
                        if lookahead == ops.count || lookahead - end >= 4 { break }
                        end = lookahead
                    } else {
                        end += 1
                    }
                }
                let stop = min(ops.count, end + 2)
                let firstLine = ops[start...].lazy.compactMap { op -> Int? in
                    switch op { case .same(let l), .removed(let l): return l.fileLine; case .added: return nil }
                }.first ?? 0
                lines.append("@@ line \(firstLine) @@")
                for op in ops[start..<stop] {
                    switch op {
                    case .same(let l): lines.append("  " + l.text)
                    case .removed(let l): lines.append("-" + (l.fileLine.map { "\($0):" } ?? "") + " " + l.text)
                    case .added(let l): lines.append("+ " + l.text)
                    }
                }
                index = stop
                continue
            }
            index += 1
        }
        return lines
    }
}
