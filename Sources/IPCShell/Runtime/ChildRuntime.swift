@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// What a forked child does: it is not a second parent. It starts with an empty child
/// table, writes to the relay pipes its parent reads, cleans nothing up at exit, and
/// leaves with `_exit`.
extension Interpreter {
    /// Turns this (just forked) process into a child writing to `stdoutFD`/`stderrFD`.
    func becomeChild(stdoutFD: Int32, stderrFD: Int32, ownGroup: Bool, defaultInterrupt: Bool) {
        Plumbing.redirect(stdoutFD, to: STDOUT_FILENO)
        Plumbing.redirect(stderrFD, to: STDERR_FILENO)
        if stdoutFD > 2 { Plumbing.close(stdoutFD) }
        if stderrFD > 2 && stderrFD != stdoutFD { Plumbing.close(stderrFD) }
        Signals.reinitializeInChild()
        Signals.defaultTerminationInChild()
        if defaultInterrupt { Plumbing.restoreDefaultAction(SIGINT) }
        if ownGroup { Plumbing.setProcessGroup(0, 0) }
        for child in supervisor.children { session.forget(child.name) }
        supervisor.forgetAllInChild()
        session.isChild = true
        session.childReports.becomeChild()
        session.cleanupOnExit = false
        recorder = nil
        session.output.becomeChildOutput()
    }

    /// Runs a `fork { }` block in the child and exits with its status.
    func runForkedBlock(_ block: Block) -> Never {
        var status: Int32 = 0
        do {
            try runBlock(block)
        } catch let failure as CommandFailure {
            report(failure.diagnostic)
            status = 1
        } catch ControlFlow.exit(let code) {
            status = code
        } catch ControlFlow.interrupted {
            status = 130
        } catch {
            report(Diagnostic("\(error)"))
            status = 1
        }
        _ = supervisor.shutdown()
        session.removeOwnSocketFiles()
        session.output.flush()
        session.diagramLog?.exiting(status)
        Processes.exitChild(status)
    }

    /// An actor: reads framed commands from `commandFD` and runs each, until EOF or `exit`.
    public func serveActor(commandFD: Int32) -> Never {
        session.isChild = true
        session.output.flushEachCommand = true
        while true {
            session.output.flush()
            guard let text = ActorChannel.receive(commandFD, supervisor: supervisor) else { break }
            do {
                try run(source: text, file: "@actor")
            } catch {
                switch error {
                case .exit(let code):
                    _ = supervisor.shutdown()
                    session.removeOwnSocketFiles()
                    session.output.flush()
                    session.diagramLog?.exiting(code)
                    Processes.exitChild(code)
                case .interrupted:
                    if Signals.terminationSignal != nil { break }
                    Signals.takeInterrupt()
                    session.output.warning("interrupted")
                }
            }
            if Signals.terminationSignal != nil { break }
        }
        let terminated = Signals.takeTermination()
        _ = supervisor.shutdown()
        session.removeOwnSocketFiles()
        session.output.flush()
        let status = terminated.map { 128 + $0 } ?? (session.lastStatus == 0 ? 0 : 1)
        session.diagramLog?.exiting(status)
        Processes.exitChild(status)
    }
}

extension Interpreter {
    /// `@NAME COMMAND`: sends the rest of the line to actor NAME and returns at once.
    func sendToActor(_ name: String, command: Command, wordCount: Int) throws -> CommandResult {
        let interpreter = self
        let session = interpreter.session
        guard let child = session.handle(named: name) as? ChildHandle else {
            let actors = interpreter.supervisor.children.filter { $0.commandFD != nil }.map(\.name)
            throw Diagnostic("@\(name): no actor named \(name)", at: command.location,
                             hint: actors.isEmpty ? "fork (without a block) or spawn (without a script) makes an actor"
                                                  : "actors: " + actors.joined(separator: ", "))
        }
        interpreter.supervisor.reap()
        guard child.exitStatus == nil else {
            throw Diagnostic("@\(name): actor \(name) (pid \(child.pid)) has ended: \(child.exitStatus?.description ?? "")", at: command.location)
        }
        guard let fd = child.commandFD else {
            throw Diagnostic("@\(name): \(name) is not an actor (it runs \(child.program))", at: command.location,
                             hint: "fork without a block, or spawn without a script, makes an actor")
        }
        guard wordCount > 1 || command.arguments.count > 1 else {
            throw Diagnostic("@\(name): missing command", at: command.location, hint: "write @\(name) COMMAND, e.g. @\(name) status")
        }
        if let binding = command.binding {
            throw Diagnostic("\(binding) = @\(name): what an actor prints cannot be bound here: it comes when the actor prints it",
                             at: command.location, hint: "bind it inside the actor: @\(name) \(binding) = COMMAND")
        }
        // The text after "@NAME", as typed: the actor expands it in its own session.
        let text = command.actorCommandText
        do {
            try ActorChannel.send(text, to: fd)
        } catch {
            throw Diagnostic("@\(name): \(error)", at: command.location,
                             hint: error.errno == EPIPE ? "the actor is gone" : nil)
        }
        return .none
    }
}

/// Commands to an actor: a 4-byte little-endian length, then the command text.
public enum ActorChannel {
    public static func send(_ text: String, to fd: Int32) throws(SystemCallError) {
        let body = Array(text.utf8)
        let n = UInt32(body.count)
        var frame = [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        frame += body
        var offset = 0
        while offset < frame.count {
            let w = frame[offset...].withUnsafeBytes { Plumbing.write(fd, $0.baseAddress, $0.count) }
            if w < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("write", errno: errno)
            }
            offset += w
        }
    }

    /// The next command, or nil at end of input. Waits in the supervisor's loop so the
    /// actor's own children's output keeps flowing.
    static func receive(_ fd: Int32, supervisor: Supervisor) -> String? {
        guard let header = readExactly(fd, 4, supervisor: supervisor) else { return nil }
        let n = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
        guard n <= 16 << 20, let body = readExactly(fd, n, supervisor: supervisor) else { return nil }
        return String(decoding: body, as: UTF8.self)
    }

    private static func readExactly(_ fd: Int32, _ count: Int, supervisor: Supervisor) -> [UInt8]? {
        var result: [UInt8] = []
        while result.count < count {
            do {
                _ = try supervisor.wait(for: fd, timeoutMilliseconds: nil, until: nil)
            } catch {
                // SIGTERM/SIGHUP (a spawned actor is a whole ipcsh): the conversation ends.
                if Signals.terminationSignal != nil { return nil }
                Signals.takeInterrupt() // Ctrl-C while idle: nothing to interrupt
                continue
            }
            var chunk = [UInt8](repeating: 0, count: count - result.count)
            let r = chunk.withUnsafeMutableBytes { Plumbing.read(fd, $0.baseAddress, $0.count) }
            if r < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return nil
            }
            if r == 0 { return nil }
            result += chunk[0..<r]
        }
        return result
    }
}
