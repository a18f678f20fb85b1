@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `sock pair|listen|accept|connect|sendfd|recvfd`.
enum SocketCommands {
    static let all: [CommandSpec] = [pair, listen, accept, connect, sendfd, recvfd]

    static func address(_ ctx: CommandContext, _ name: StaticString = "ADDR") throws(Diagnostic) -> SocketAddress {
        let text = ctx.string(name) ?? ""
        do {
            return try SocketAddress.parse(text)
        } catch {
            switch error {
            case .message(let message, let hint): throw ctx.failure("\(ctx.spec.name): \(message)", hint: hint)
            }
        }
    }

    static let pair = CommandSpec(
        "sock pair", summary: "socketpair(AF_UNIX, SOCK_STREAM): two connected ends NAME.a and NAME.b",
        example: "s = sock pair",
        discussion: "Like a pipe, but both ways, and it can carry descriptors (sock sendfd). A forked child inherits both ends."
    ) { ctx in
        let (a, b) = try Sockets.pair()
        let handle = SocketHandle(pair: a, b)
        return ctx.made(handle) { name in "\(name).a = fd \(a), \(name).b = fd \(b)" }
    }

    static let listen = CommandSpec(
        "sock listen", summary: "socket + bind + listen on unix:/path, tcp:HOST:PORT or udp:HOST:PORT",
        arguments: [ArgumentSpec("ADDR", .address(["unix", "tcp", "udp"]))],
        options: [OptionSpec("--public", summary: "allow a non-loopback address (the default is 127.0.0.1 only)")],
        example: "srv = sock listen unix:/tmp/echo.sock",
        discussion: "tcp: and udp: without a host listen on 127.0.0.1; port 0 picks a free port ($NAME.port tells which). A unix socket file is created 0600 and removed when the listener is closed. udp: gives a datagram socket: read receives one datagram and says who sent it, write answers the last sender."
    ) { ctx in
        let address = try address(ctx)
        if !address.isLoopback && !ctx.flag("--public") {
            throw ctx.failure("sock listen: \(address) is not a loopback address",
                              hint: "listening beyond this machine needs --public")
        }
        let fd: Int32
        do throws(SystemCallError) {
            fd = try Sockets.listen(address)
        } catch {
            throw Diagnostic(error.description, at: ctx.location, hint: listenHint(error, address))
        }
        let handle = SocketHandle(fd: fd, role: address.isDatagram ? .datagram : .listener, address: address)
        return ctx.made(handle) { _ in "\(address.isDatagram ? "bound" : "listening") on \(handle.local) (fd \(fd))" }
    }

    static let accept = CommandSpec(
        "sock accept", summary: "accept one connection on a listener (waits for a client)",
        arguments: [ArgumentSpec("NAME", .handle([.sock]))],
        options: [OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D")],
        example: "c = sock accept srv --timeout 5s"
    ) { ctx in
        guard let listener = ctx.handle("NAME", as: SocketHandle.self) else { return .none }
        guard listener.role == .listener, let fd = listener.descriptor(end: nil) else {
            throw ctx.failure("sock accept: \(listener.name) is not an open listening socket", hint: "sock listen ADDR makes one")
        }
        ctx.output.flush()
        let timeout = ctx.integer("--timeout")
        guard try ctx.host.supervisor.wait(for: fd, timeoutMilliseconds: timeout, until: nil) else {
            throw ctx.failure("sock accept: no client connected within \(Durations.describe(timeout ?? 0))")
        }
        let client = try Sockets.accept(fd)
        let handle = SocketHandle(fd: client, role: .connection, address: nil)
        return ctx.made(handle) { _ in "accepted \(handle.peer) (fd \(client))" }
    }

    static let connect = CommandSpec(
        "sock connect", summary: "socket + connect to unix:/path, tcp:HOST:PORT or udp:HOST:PORT",
        arguments: [ArgumentSpec("ADDR", .address(["unix", "tcp", "udp"]))],
        options: [OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D (default 10s)")],
        example: "c = sock connect unix:/tmp/echo.sock"
    ) { ctx in
        let address = try address(ctx)
        let fd: Int32
        do throws(SystemCallError) {
            fd = try Sockets.startConnect(address)
        } catch {
            throw Diagnostic(error.description, at: ctx.location, hint: connectHint(error, address))
        }
        let timeout = ctx.integer("--timeout") ?? 10_000
        do {
            guard try ctx.host.supervisor.wait(for: fd, events: Int16(POLLOUT), timeoutMilliseconds: timeout, until: nil) else {
                Plumbing.close(fd)
                throw ctx.failure("sock connect: \(address) did not answer within \(Durations.describe(timeout))")
            }
            try Sockets.finishConnect(fd)
        } catch let error as SystemCallError {
            Plumbing.close(fd)
            throw Diagnostic(error.description, at: ctx.location, hint: connectHint(error, address))
        } catch {
            Plumbing.close(fd)
            throw error
        }
        let handle = SocketHandle(fd: fd, role: address.isDatagram ? .datagram : .connection, address: address)
        return ctx.made(handle) { _ in "connected to \(address) from \(handle.local) (fd \(fd))" }
    }

    /// Why a bind failed, for sock listen and rpc serve.
    static func listenHint(_ error: SystemCallError, _ address: SocketAddress) -> String? {
        switch error.errno {
        case EADDRINUSE:
            if case .unix(let path) = address { return "\(path) exists: remove it if no server uses it" }
            return "another socket uses that port: pick another, or port 0 for any free one"
        case EACCES: return "ports below 1024 need privileges; the directory must be writable for unix:"
        default: return nil
        }
    }

    static func connectHint(_ error: SystemCallError, _ address: SocketAddress) -> String? {
        switch error.errno {
        case ECONNREFUSED: return "nothing is listening on \(address)"
        case ENOENT: return "no socket file: is the server running?"
        case EAGAIN: return "\(address) has a full backlog: its server is not accepting connections"
        default: return nil
        }
    }

    static let sendfd = CommandSpec(
        "sock sendfd", summary: "pass a descriptor over a unix socket (sendmsg with SCM_RIGHTS)",
        arguments: [ArgumentSpec("SOCK", .unixSocket), ArgumentSpec("FD", .descriptor)],
        example: "sock sendfd s.a p.w",
        discussion: "The receiver gets its own descriptor for the same open file (a pipe end, a FIFO, a socket): the kernel copies it across, whatever the process relation."
    ) { ctx in
        guard let socket = ctx.descriptor("SOCK"), let passed = ctx.descriptor("FD") else { return .none }
        guard socket.owner is SocketHandle else {
            throw ctx.failure("sock sendfd: \(socket.label) is not a socket", hint: "descriptors travel over unix sockets: sock pair or unix:")
        }
        guard Sockets.isUnix(socket.fd) else {
            throw ctx.failure("sock sendfd: \(socket.label) is not a unix socket", hint: "descriptors travel over unix sockets only: sock pair or unix:")
        }
        try Sockets.sendDescriptor(passed.fd, over: socket.fd)
        ctx.output.info("sent \(passed.label) (fd \(passed.fd)) over \(socket.label)")
        return .none
    }

    static let recvfd = CommandSpec(
        "sock recvfd", summary: "receive a descriptor from a unix socket (recvmsg with SCM_RIGHTS)",
        arguments: [ArgumentSpec("SOCK", .unixSocket)],
        options: [OptionSpec("--timeout", .duration, valueName: "D", summary: "give up after D")],
        example: "w = sock recvfd s.b",
        discussion: "The descriptor becomes a handle (fd1, ...) that read, write and close take."
    ) { ctx in
        guard let socket = ctx.descriptor("SOCK") else { return .none }
        guard socket.owner is SocketHandle else { throw ctx.failure("sock recvfd: \(socket.label) is not a socket") }
        guard Sockets.isUnix(socket.fd) else {
            throw ctx.failure("sock recvfd: \(socket.label) is not a unix socket", hint: "descriptors travel over unix sockets only: sock pair or unix:")
        }
        let timeout = ctx.integer("--timeout")
        ctx.output.flush()
        guard try ctx.host.supervisor.wait(for: socket.fd, timeoutMilliseconds: timeout, until: nil) else {
            throw ctx.failure("sock recvfd: nothing arrived on \(socket.label) within \(Durations.describe(timeout ?? 0))")
        }
        let fd: Int32
        do throws(SystemCallError) {
            fd = try Sockets.receiveDescriptor(over: socket.fd)
        } catch {
            throw Diagnostic(error.description, at: ctx.location,
                             hint: error.errno == EBADMSG ? "the message carried no descriptor: the peer wrote data, not sock sendfd" : nil)
        }
        let handle = ReceivedDescriptorHandle(fd: fd)
        return ctx.made(handle) { _ in "received fd \(fd) (\(handle.target))" }
    }
}
