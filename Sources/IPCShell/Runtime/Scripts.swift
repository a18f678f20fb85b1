@preconcurrency import Glibc
import IPCSys
import IPCSyntax

extension Interpreter {
    /// Reads and parses a script file.
    public static func load(_ path: String) throws(Diagnostic) -> Script {
        try Parser.parse(bytes: try loadBytes(path), file: path)
    }

    /// What is read whole (a script being recorded, a recording): at most this size.
    public static let maximumWholeFile = 64 << 20

    /// Reads a script file's bytes, refusing what is clearly not a script.
    public static func loadBytes(_ path: String) throws(Diagnostic) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readBytes(path, maximum: Interpreter.maximumWholeFile, refusingNULIn: 4096)
        } catch {
            switch error.errno {
            case EFBIG: throw Diagnostic("\(path) is larger than \(Interpreter.maximumWholeFile >> 20) MiB: a script being recorded is read whole first")
            case EILSEQ: throw notTextDiagnostic(path)
            default: throw Diagnostic("cannot read \(path): \(error.symbol) (\(error.text))")
            }
        }
        // A program or data file, not a script: say so rather than report its first odd byte.
        if bytes.prefix(4096).contains(0) {
            throw notTextDiagnostic(path)
        }
        return bytes
    }

    /// Runs a script at top level as it is parsed, one command at a time (like sh): a long
    /// script never holds its whole syntax tree. A syntax error stops it where it is.
    public func runTopLevel(streaming bytes: [UInt8], file: String) throws(ControlFlow) {
        _ = try runTopLevel(piece: bytes, file: file, firstLine: 1, isLast: true)
    }

    /// Runs a script or stdin read from `fd` as it arrives, in bounded memory (`ScriptReader`).
    /// Waiting for input is blocking: output is flushed first, children's output relayed.
    /// `refusesBinary`: see `ScriptReader` (stdin passes false).
    public func runTopLevel(reading fd: Int32, file: String, refusesBinary: Bool = true) throws(ControlFlow) {
        var reader = ScriptReader(fd: fd, refusesBinary: refusesBinary)
        while true {
            let piece: (bytes: [UInt8], firstLine: Int)
            do {
                guard let next = try nextPiece(of: &reader, fd: fd, file: file, prefix: "ipcsh: ", location: nil) else { return }
                piece = next
            } catch let flow as ControlFlow {
                throw flow
            } catch {
                report(error as? Diagnostic ?? Diagnostic("\(error)"))
                return
            }
            switch try runTopLevel(piece: piece.bytes, file: file, firstLine: piece.firstLine, isLast: reader.isExhausted) {
            case .done: continue
            case .stopped: return
            case .incomplete(let offset, let line): reader.putBack(piece.bytes[offset...], firstLine: line)
            }
        }
    }

    /// The next piece of a script read from `fd`, waiting as every blocking wait does (output
    /// flushed, children relayed, Ctrl-C); nil at its end. A failure to read it is thrown as a
    /// diagnostic whose message starts with `prefix` (`ipcsh: `, `source: `).
    private func nextPiece(of reader: inout ScriptReader, fd: Int32, file: String, prefix: String,
                           location: SourceLocation?) throws -> (bytes: [UInt8], firstLine: Int)? {
        do {
            return try reader.nextPiece(waitForInput: { () throws(ControlFlow) in
                session.output.flush()
                // Children's output relayed while the shell waits is flushed too (the condition is
                // checked after each relay): a program driving the shell through a pipe may wait for
                // an actor's line before it sends the next command.
                _ = try supervisor.wait(for: fd, timeoutMilliseconds: nil, until: {
                    let output = self.session.output
                    if output.hasPendingOutput { output.flush() }
                    return false
                })
            })
        } catch {
            switch error {
            case .interrupted(let flow):
                throw flow
            case .system(let failure):
                throw Diagnostic(prefix + "cannot read \(file): \(failure.symbol) (\(failure.text))", at: location)
            case .notText:
                var e = Interpreter.notTextDiagnostic(file)
                e.message = prefix + e.message
                e.location = location
                throw e
            case .tooLong(let line):
                let limit = "\(ScriptReader.maximumCommand >> 20) MiB"
                throw Diagnostic(prefix + "\(file): the command at line \(line) is longer than \(limit)", at: location,
                                 hint: location == nil ? "a command (a line, or a block with its lines) holds at most \(limit)" : nil)
            }
        }
    }

    enum PieceOutcome {
        /// Ran to its end.
        case done
        /// A failure (or a syntax error) stopped the script.
        case stopped
        /// Ended inside a command that starts at `offset` (on `line`): more text is needed.
        case incomplete(offset: Int, line: Int)
    }

    /// Runs the commands of `bytes`. Unless `isLast`, text that ends inside a command is not an
    /// error: the caller reads on and calls again from there.
    private func runTopLevel(piece bytes: [UInt8], file: String, firstLine: Int, isLast: Bool) throws(ControlFlow) -> PieceOutcome {
        var parser: Parser
        do { parser = try Parser(streaming: bytes, file: file, firstLine: firstLine) } catch {
            if error.isIncomplete && !isLast { return .incomplete(offset: 0, line: firstLine) }
            report(error)
            return .stopped
        }
        let failuresBefore = failureCount
        let source = parser.sourceBytes
        var simple = SimpleCommand()
        while true {
            // Most commands of a long script are simple: they run without a Command built.
            if runsSimpleCommandsDirectly && recorder == nil && !settlesAfterEachCommand,
               parser.nextSimpleCommand(into: &simple) {
                try runTopLevel(simple, source: source)
                if failureCount > failuresBefore && !keepGoing { return .stopped }
                continue
            }
            let command: Command
            do {
                // Bound straight from the parser's result: no copy of the command.
                guard let next = try parser.nextCommand() else { return .done }
                command = next
            } catch {
                if error.isIncomplete && !isLast { return .incomplete(offset: parser.resumeOffset, line: parser.resumeLine) }
                report(error)
                return .stopped
            }
            try runTopLevel(command)
            parser.recycle(command)
            if failureCount > failuresBefore && !keepGoing { return .stopped }
        }
    }

    package static func notTextDiagnostic(_ path: String) -> Diagnostic {
        Diagnostic("\(path) is not a text script (it holds NUL bytes)",
                   hint: "ipcsh runs .ipcs scripts; run a program with: run PROGRAM")
    }

    /// `source FILE ARG...`: runs a script inside the current command, sharing the session. The
    /// file is read as a stream (`ScriptReader`), as a top-level script is.
    func runFile(_ path: String, arguments: [String], location: SourceLocation) throws {
        guard sourceDepth < 32 else {
            throw Diagnostic("source: too deeply nested (is \(path) sourcing itself?)", at: location)
        }
        let fd: Int32
        do { fd = try Descriptors.openInput(path) } catch {
            throw Diagnostic("source: cannot read \(path): \(error.symbol) (\(error.text))", at: location)
        }
        defer { _ = try? Descriptors.close(fd) }
        sourceDepth += 1
        session.pushArguments([path] + arguments, from: .source(path))
        defer {
            sourceDepth -= 1
            session.popArguments()
        }
        var reader = ScriptReader(fd: fd)
        while true {
            guard let piece = try nextPiece(of: &reader, fd: fd, file: path, prefix: "source: ", location: location) else { return }
            // Text that ends inside a command (not at the end of the file): read on from there.
            var incomplete: (offset: Int, line: Int)?
            do {
                var parser: Parser
                do { parser = try Parser(streaming: piece.bytes, file: path, firstLine: piece.firstLine) } catch {
                    if error.isIncomplete && !reader.isExhausted { incomplete = (0, piece.firstLine) }
                    throw error
                }
                while true {
                    let next: Command?
                    do { next = try parser.nextCommand() } catch {
                        if error.isIncomplete && !reader.isExhausted { incomplete = (parser.resumeOffset, parser.resumeLine) }
                        throw error
                    }
                    guard let command = next else { break }
                    try execute(command)
                    parser.recycle(command)
                }
            } catch {
                guard let incomplete else { throw error }
                reader.putBack(piece.bytes[incomplete.offset...], firstLine: incomplete.line)
            }
        }
    }
}
