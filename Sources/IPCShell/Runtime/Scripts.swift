import IPCSys

extension Interpreter {
    /// Reads and parses a script file.
    public static func load(_ path: String) throws(Diagnostic) -> Script {
        try Parser.parse(bytes: try loadBytes(path), file: path)
    }

    /// Reads a script file's bytes, refusing what is clearly not a script.
    public static func loadBytes(_ path: String) throws(Diagnostic) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readBytes(path)
        } catch {
            throw Diagnostic("cannot read \(path): \(error.symbol) (\(error.text))")
        }
        // A program or data file, not a script: say so rather than report its first odd byte.
        if bytes.prefix(4096).contains(0) {
            throw Diagnostic("\(path) is not a text script (it holds NUL bytes)",
                             hint: "ipcsh runs .ipcs scripts; run a program with: run PROGRAM")
        }
        return bytes
    }

    /// Runs a script at top level as it is parsed, one command at a time (like sh): a long
    /// script never holds its whole syntax tree. A syntax error stops it where it is.
    public func runTopLevel(streaming bytes: [UInt8], file: String) throws(ControlFlow) {
        var parser: Parser
        do { parser = try Parser(streaming: bytes, file: file) } catch {
            report(error)
            return
        }
        let failuresBefore = failureCount
        let source = parser.sourceBytes
        var simple = SimpleCommand()
        while true {
            // Most commands of a long script are simple: they run without a Command built.
            if runsSimpleCommandsDirectly && recorder == nil && !settlesAfterEachCommand,
               parser.nextSimpleCommand(into: &simple) {
                try runTopLevel(simple, source: source)
                if failureCount > failuresBefore && !keepGoing { return }
                continue
            }
            let command: Command
            do {
                // Bound straight from the parser's result: no copy of the command.
                guard let next = try parser.nextCommand() else { return }
                command = next
            } catch {
                report(error)
                return
            }
            try runTopLevel(command)
            parser.recycle(command)
            if failureCount > failuresBefore && !keepGoing { return }
        }
    }

    /// `source FILE ARG...`: runs a script inside the current command, sharing the session.
    func runFile(_ path: String, arguments: [String], location: SourceLocation) throws {
        guard sourceDepth < 32 else {
            throw Diagnostic("source: too deeply nested (is \(path) sourcing itself?)", at: location)
        }
        let script: Script
        do { script = try Interpreter.load(path) } catch {
            var e = error
            if e.location == nil { e.location = location; e.message = "source: " + e.message }
            throw e
        }
        sourceDepth += 1
        session.positionalStack.append([path] + arguments)
        defer {
            sourceDepth -= 1
            session.positionalStack.removeLast()
        }
        for command in script.commands { try execute(command) }
    }
}
