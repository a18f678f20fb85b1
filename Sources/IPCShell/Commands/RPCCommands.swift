@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `rpc serve` and `rpc call`: JSON-RPC 2.0, one JSON text per line over a stream socket.
/// The server exposes procs only, never arbitrary commands.
enum RPCCommands {
    static let all: [CommandSpec] = [serve, call]

    /// The longest request line the server takes.
    static let maximumLine = 1 << 20

    /// How long a connection may stay silent before `rpc serve` closes it, unless --idle-timeout says.
    static let defaultIdleTimeout = 60_000

    static let serve = CommandSpec(
        "rpc serve", summary: "serve every proc as a JSON-RPC 2.0 method on unix:/path or tcp:HOST:PORT",
        arguments: [ArgumentSpec("ADDR", .address(["unix", "tcp"]))],
        options: [
            OptionSpec("--count", .count, valueName: "N", summary: "stop after N responses (errors included)"),
            OptionSpec("--idle-timeout", .duration, valueName: "D", summary: "close a connection silent for D (default 60s; 0: never)"),
            OptionSpec("--public", summary: "allow a non-loopback tcp address"),
        ],
        example: "rpc serve unix:/tmp/calc.sock --count 10",
        discussion: "Requests are one JSON object (or a batch array) per line: {\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[\"1\",\"2\"],\"id\":1}. params is an array of strings, passed as $1 ... $#; what the proc prints is the result. Errors: -32700 parse error, -32600 invalid request (also a line over 1 MiB), -32601 method not found, -32602 invalid params, -32000 the proc failed (its message). A client that disconnects or sends garbage never stops the server; Ctrl-C does. A connection that sends nothing and is sent nothing for --idle-timeout (60s by default) is closed, so idle clients cannot hold every descriptor the server may open."
    ) { ctx in
        let address = try SocketCommands.address(ctx)
        guard !address.isDatagram else {
            throw ctx.failure("rpc serve: JSON-RPC here runs over a stream socket: use unix: or tcp:")
        }
        if !address.isLoopback && !ctx.flag("--public") {
            throw ctx.failure("rpc serve: \(address) is not a loopback address", hint: "serving beyond this machine needs --public")
        }
        let listener: Int32
        do throws(SystemCallError) {
            listener = try Sockets.listen(address)
        } catch {
            throw Diagnostic(error.description, at: ctx.location, hint: SocketCommands.listenHint(error, address))
        }
        let idleTimeout = ctx.integer("--idle-timeout") ?? defaultIdleTimeout
        var server = RPCServer(listener: listener, interpreter: ctx.host, limit: ctx.integer("--count"),
                               idleTimeout: idleTimeout > 0 ? idleTimeout : nil)
        defer {
            server.closeAll()
            if case .unix(let path) = address { _ = try? Descriptors.unlink(path) }
        }
        let procs = ctx.session.procs.keys.sorted()
        ctx.output.info("rpc: serving \(procs.isEmpty ? "no procs (define some with proc NAME { ... })" : procs.joined(separator: ", ")) on \(Sockets.name(listener, peer: false) ?? address.description)")
        ctx.output.flush()
        try server.run()
        ctx.output.info("rpc: served \(server.responses) response\(server.responses == 1 ? "" : "s")")
        return .none
    }

    static let call = CommandSpec(
        "rpc call", summary: "call a JSON-RPC 2.0 method and print its result",
        arguments: [ArgumentSpec("ADDR", .address(["unix", "tcp"])), ArgumentSpec("METHOD", .method),
                    ArgumentSpec("ARG", .text, optional: true, variadic: true, about: "a parameter: the proc's $1, $2, ...")],
        options: [OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D (default 10s)")],
        example: "sum = rpc call unix:/tmp/calc.sock add 1 2",
        discussion: "Sends one request with id 1. The result prints as read prints data (bytes that are not printable, a terminal escape or a newline, show as \\x1b, \\n), and bound to a name the value is that same text; a non-string result prints as JSON. An answer whose id is not 1 is an error naming both ids; an error answer with id null (the server could not read the request) is shown as that error."
    ) { ctx in
        let address = try SocketCommands.address(ctx)
        let method = ctx.string("METHOD") ?? ""
        let timeout = ctx.integer("--timeout") ?? 10_000
        let supervisor = ctx.host.supervisor
        let fd: Int32
        do throws(SystemCallError) {
            fd = try Sockets.startConnect(address)
        } catch {
            throw Diagnostic(error.description, at: ctx.location, hint: SocketCommands.connectHint(error, address))
        }
        defer { Plumbing.close(fd) }
        guard try supervisor.wait(for: fd, events: Int16(POLLOUT), timeoutMilliseconds: timeout, until: nil) else {
            throw ctx.failure("rpc call: \(address) did not answer within \(Durations.describe(timeout))")
        }
        do throws(SystemCallError) { try Sockets.finishConnect(fd) } catch {
            throw Diagnostic(error.description, at: ctx.location, hint: SocketCommands.connectHint(error, address))
        }
        let requestID = JSON.integer(1)
        let request = JSON.object([
            ("jsonrpc", .string("2.0")), ("method", .string(method)),
            ("params", .array(ctx.restStrings.map { .string($0) })), ("id", requestID),
        ])
        _ = try Descriptors.write(fd, Array((request.serialized + "\n").utf8))
        var buffer: [UInt8] = []
        while !buffer.contains(0x0A) {
            guard try supervisor.wait(for: fd, timeoutMilliseconds: timeout, until: nil) else {
                throw ctx.failure("rpc call: no answer within \(Durations.describe(timeout))")
            }
            let chunk = try Descriptors.read(fd, max: 65536)
            if chunk.isEmpty { break }
            buffer += chunk
            if buffer.count > maximumLine { throw ctx.failure("rpc call: the answer is over 1 MiB") }
        }
        let line = buffer.prefix { $0 != 0x0A }
        guard !line.isEmpty else { throw ctx.failure("rpc call: the server closed the connection without answering") }
        let response: JSON
        do throws(JSON.ParseError) { response = try JSON.parse(Array(line)) } catch {
            throw ctx.failure("rpc call: the answer is not JSON (\(error.message))")
        }
        // An answer to another request (or one that lost the id's digits) is not this call's answer.
        let error = response["error"]
        switch response["id"] {
        case requestID?: break
        case .null? where error != nil: break // it could not read the request's id (JSON-RPC 2.0, section 5)
        case nil: throw ctx.failure("rpc call: the answer has no id (the request's is \(requestID.serialized))")
        case let other?:
            throw ctx.failure("rpc call: the answer's id \(shown(other)) is not the request's id \(requestID.serialized)")
        }
        // Everything from the server is shown as `read` shows data: a terminal escape in a result
        // or an error message prints as \x1b text, never reaches the terminal as one.
        if let error {
            var code = "?", message = "?", detail = ""
            if let number = error["code"], case .number = number { code = shown(number) }
            if case .string(let m)? = error["message"] { message = Escaping.display(Array(m.utf8)) }
            switch error["data"] {
            case nil: break
            case .string(let d)?: detail = ": " + Escaping.display(Array(d.utf8))
            case let other?: detail = ": " + Escaping.display(Array(other.serialized.utf8))
            }
            throw ctx.failure("rpc call: \(method) failed: \(code) \(message)\(detail)")
        }
        guard let result = response["result"] else { throw ctx.failure("rpc call: the answer has neither result nor error") }
        // As `read` does, the value is what is shown, printed or bound.
        if case .string(let text) = result {
            return .printed(Escaping.escaped(Array(text.utf8)), bound: ctx.binding != nil, session: ctx.session)
        }
        return .value(Escaping.escaped(Array(result.serialized.utf8)))
    }

    /// A JSON value from a server in one short line of a message: escaped, cut after 60 characters.
    static func shown(_ value: JSON) -> String {
        let text = value.serialized
        let cut = text.count > 60
        return Escaping.display(Array((cut ? String(text.prefix(60)) : text).utf8)) + (cut ? "...(\(text.utf8.count) bytes)" : "")
    }
}

/// The server's loop: accepts clients and answers their lines, one poll loop for all.
struct RPCServer<Host: CommandHost> {
    let listener: Int32
    /// The runtime that runs the procs (the shell's, as a command sees it).
    let interpreter: Host
    let limit: Int?
    /// Milliseconds a connection may stay silent before it is closed; nil: never.
    let idleTimeout: Int?

    struct Client {
        /// What came after the last complete line.
        var pending: [UInt8] = []
        /// When it last sent a byte or was sent an answer (Clock.monotonicNanoseconds).
        var lastActive: UInt64
    }

    var clients: [Int32: Client] = [:]
    var responses = 0
    /// Out of descriptors (EMFILE): the listener stays readable, so stop polling it until a client leaves.
    var acceptPaused = false

    init(listener: Int32, interpreter: Host, limit: Int?, idleTimeout: Int?) {
        self.listener = listener
        self.interpreter = interpreter
        self.limit = limit
        self.idleTimeout = idleTimeout
    }

    var done: Bool { limit.map { responses >= $0 } ?? false }

    mutating func run() throws(ControlFlow) {
        try? Descriptors.setNonBlocking(listener, true)
        while !done {
            if Signals.interruptPending { throw ControlFlow.interrupted }
            closeIdleClients()
            var fds = [pollfd(fd: Signals.wakeDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listener, events: acceptPaused ? 0 : Int16(POLLIN), revents: 0)]
            let clientFDs = clients.keys.sorted()
            for fd in clientFDs { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let n = Plumbing.poll(&fds, nfds_t(fds.count), pollTimeout())
            if n < 0 { continue }
            if fds[0].revents != 0 {
                Signals.drainWakeups()
                interpreter.supervisor.reap()
            }
            if Signals.interruptPending { throw ControlFlow.interrupted }
            if fds[1].revents & Int16(POLLIN) != 0 {
                do throws(SystemCallError) {
                    let client = try Sockets.acceptNonBlocking(listener)
                    clients[client] = Client(lastActive: Clock.monotonicNanoseconds())
                } catch {
                    if error.errno == EMFILE || error.errno == ENFILE {
                        acceptPaused = true
                        interpreter.session.output.info("rpc: out of descriptors with \(clients.count) clients: new ones wait until one leaves")
                    }
                }
            }
            for (i, fd) in clientFDs.enumerated() where fds[i + 2].revents != 0 {
                serve(fd)
                if done { break }
            }
            // The log is live, also when stdout is a pipe or a file (a supervisor reads it as it comes).
            interpreter.session.output.flush()
        }
    }

    private mutating func serve(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Plumbing.read(fd, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        guard n > 0 else {
            // End of input: a last request without its newline (printf '{...}' | nc -U) is still answered.
            if let rest = clients[fd]?.pending, !rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }), !done,
               let reply = answer(rest) {
                _ = send(reply, to: fd)
            }
            return drop(fd)
        }
        var buffer = (clients[fd]?.pending ?? []) + chunk[0..<n]
        while let newline = buffer.firstIndex(of: 0x0A), !done {
            let line = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            if let reply = answer(line), !send(reply, to: fd) { return drop(fd) }
        }
        if buffer.count > RPCCommands.maximumLine {
            let error = RPCServer.errorResponse(-32600, "Invalid Request", id: .null, data: "request line over 1 MiB")
            responses += 1
            _ = send(error.serialized, to: fd)
            interpreter.session.output.info("rpc: dropped a client whose request was over 1 MiB")
            return drop(fd)
        }
        // Now, not when the read came: answering may have taken a while (a slow proc).
        clients[fd] = Client(pending: buffer, lastActive: Clock.monotonicNanoseconds())
    }

    /// Milliseconds until the longest-silent client reaches the idle timeout (-1: no limit to wait for).
    private func pollTimeout() -> Int32 {
        guard let idleTimeout, let oldest = clients.values.lazy.map(\.lastActive).min() else { return -1 }
        let deadline = oldest &+ UInt64(idleTimeout) * 1_000_000
        let now = Clock.monotonicNanoseconds()
        guard deadline > now else { return 0 }
        return Int32(clamping: (deadline - now + 999_999) / 1_000_000)
    }

    /// Closes the connections silent for the idle timeout: under a low `ulimit -n`, clients that
    /// connect and say nothing would otherwise hold every descriptor, and nobody else gets in.
    private mutating func closeIdleClients() {
        guard let idleTimeout, !clients.isEmpty else { return }
        let now = Clock.monotonicNanoseconds()
        let limit = UInt64(idleTimeout) * 1_000_000
        var silent = clients.filter { now >= $0.value.lastActive && now - $0.value.lastActive >= limit }.keys
            .map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard !silent.isEmpty else { return }
        // One that spoke while a slow proc held the loop is not idle: its request waits to be read.
        if Plumbing.poll(&silent, nfds_t(silent.count), 0) < 0 { return }
        let idle = silent.filter { $0.revents == 0 }.map(\.fd)
        guard !idle.isEmpty else { return }
        for fd in idle { drop(fd) }
        interpreter.session.output.info("rpc: closed \(idle.count) idle connection\(idle.count == 1 ? "" : "s") (silent for \(Durations.describe(idleTimeout)))")
    }

    private mutating func drop(_ fd: Int32) {
        clients[fd] = nil
        Plumbing.close(fd)
        acceptPaused = false
    }

    func closeAll() {
        for fd in clients.keys { Plumbing.close(fd) }
        Plumbing.close(listener)
    }

    private func send(_ text: String, to fd: Int32) -> Bool {
        let bytes = Array((text + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let w = bytes[offset...].withUnsafeBytes { Plumbing.write(fd, $0.baseAddress, $0.count) }
            if w < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if Plumbing.poll(&p, 1, 5000) <= 0 { return false }
                    continue
                }
                return false
            }
            offset += w
        }
        return true
    }

    /// The reply to one request line (nil for notifications only).
    mutating func answer(_ line: [UInt8]) -> String? {
        let request: JSON
        do throws(JSON.ParseError) { request = try JSON.parse(line) } catch {
            responses += 1
            return reject(-32700, "Parse error", id: .null, data: error.message).serialized
        }
        if case .array(let batch) = request {
            if batch.isEmpty {
                responses += 1
                return reject(-32600, "Invalid Request", id: .null, data: "empty batch").serialized
            }
            let replies = batch.compactMap { handle($0) }
            responses += replies.count
            return replies.isEmpty ? nil : JSON.array(replies).serialized
        }
        guard let reply = handle(request) else { return nil }
        responses += 1
        return reply.serialized
    }

    /// Text from a client as one short log line: quoted, escaped like a JSON string; unquoted,
    /// as `read` shows data (`"` stays `"`); neither with a raw newline or terminal escape. Cut
    /// after `limit` characters with the full size noted (a 1 MiB argument logs ~60 bytes).
    static func loggable(_ text: String, quoted: Bool = true, limit: Int = 40) -> String {
        let cut = text.count > limit
        let shown = cut ? String(text.prefix(limit)) : text
        var out = ""
        if quoted { JSON.quote(shown, into: &out) } else { out = Escaping.display(Array(shown.utf8)) }
        return cut ? out + "...(\(text.utf8.count) bytes)" : out
    }

    /// An error response, logged: every response has its log line, errors included.
    /// `method` names the call when the request got that far.
    func reject(_ code: Int, _ message: String, id: JSON, data: String, method: String? = nil) -> JSON {
        let what = method.map { RPCServer.loggable($0, quoted: false) + ": " } ?? ""
        interpreter.session.output.info("rpc: \(what)\(message.lowercased()): \(RPCServer.loggable(data, quoted: false, limit: 200))")
        return RPCServer.errorResponse(code, message, id: id, data: data)
    }

    static func errorResponse(_ code: Int, _ message: String, id: JSON, data: String? = nil) -> JSON {
        var error: [(String, JSON)] = [("code", .integer(code)), ("message", .string(message))]
        if let data { error.append(("data", .string(data))) }
        return .object([("jsonrpc", .string("2.0")), ("error", .object(error)), ("id", id)])
    }

    /// One request object: its response, or nil for a notification.
    func handle(_ request: JSON) -> JSON? {
        guard case .object = request else {
            return reject(-32600, "Invalid Request", id: .null, data: "a request is a JSON object")
        }
        let rawID = request["id"]
        var id = JSON.null
        switch rawID {
        case nil, .null?: break
        case .string?, .number?: id = rawID ?? .null
        default: return reject(-32600, "Invalid Request", id: .null, data: "id must be a string, a number or null")
        }
        guard request["jsonrpc"] == .string("2.0") else {
            return reject(-32600, "Invalid Request", id: id, data: "jsonrpc must be \"2.0\"")
        }
        guard case .string(let method)? = request["method"] else {
            return reject(-32600, "Invalid Request", id: id, data: "method must be a string")
        }
        var arguments: [String] = []
        switch request["params"] {
        case nil: break
        case .array(let items)?:
            for item in items {
                guard case .string(let s) = item else {
                    return reject(-32602, "Invalid params", id: id, data: "params must be an array of strings", method: method)
                }
                arguments.append(s)
            }
        default:
            return reject(-32602, "Invalid params", id: id, data: "params must be an array of strings", method: method)
        }
        let isNotification = rawID == nil
        let output = interpreter.session.output
        guard let body = interpreter.session.procs[method] else {
            output.info("rpc: \(RPCServer.loggable(method, quoted: false)): method not found")
            return isNotification ? nil : RPCServer.errorResponse(-32601, "Method not found", id: id, data: method)
        }
        do {
            let result = try interpreter.callProc(method, body: body, arguments: arguments,
                                                  at: SourceLocation(file: "rpc", line: 1, column: 1), showing: false)
            output.info("rpc: \(method)(\(arguments.map { RPCServer.loggable($0) }.joined(separator: ", "))) ok")
            return isNotification ? nil : .object([("jsonrpc", .string("2.0")),
                                                   ("result", .string(String(decoding: result, as: UTF8.self))), ("id", id)])
        } catch {
            var message = "\(error)"
            if let failure = error as? CommandFailure { message = failure.diagnostic.message }
            if let diagnostic = error as? Diagnostic { message = diagnostic.message }
            output.info("rpc: \(method) failed: \(RPCServer.loggable(message, quoted: false, limit: 200))")
            return isNotification ? nil : RPCServer.errorResponse(-32000, "Server error", id: id, data: message)
        }
    }
}
