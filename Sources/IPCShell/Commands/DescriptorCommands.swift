@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `pipe`, `close`, `fds`.
enum DescriptorCommands {
    static let all: [CommandSpec] = [pipe, close, fds]

    /// pipe in C: `int p[2]; pipe(p)`.
    static let pipeC: CForm = { bound, c throws(CEmitError) in
        let name = c.name("pipe", binding: bound.binding)
        c.handles[name] = .pipe
        c.include("unistd.h")
        c.global("int", "\(name)[2]")
        c.check("pipe(\(name)) == -1", "pipe")
        c.say("\(name): read end \(name).r = fd %d, write end \(name).w = fd %d", ["\(name)[0]", "\(name)[1]"])
    }

    static let pipe = CommandSpec(
        "pipe", summary: "pipe(): a one-way byte stream with a read end NAME.r and a write end NAME.w",
        example: "p = pipe",
        discussion: "A forked child inherits both ends. Close the end a process does not use, or the reader never sees EOF."
    ,
        cForm: pipeC
    ) { ctx in
        let (r, w) = try Descriptors.pipe()
        let handle = PipeHandle(read: r, write: w)
        return ctx.made(handle) { name in "read end \(name).r = fd \(r), write end \(name).w = fd \(w)" }
    }

    /// close in C: one end of a pipe (or both).
    static let closeC: CForm = { bound, c throws(CEmitError) in
        if let s = c.symbol(bound, "FD"), c.handles[s.name] == .descriptor {
            c.check("close(\(s.name)) == -1", "close")
            c.closed(s.name)
            return
        }
        let pipe = try c.handle(bound, "FD", .pipe)
        for (end, index) in [("r", 0), ("w", 1)] where pipe.end == nil || pipe.end == end {
            c.check("close(\(pipe.name)[\(index)]) == -1", "close")
            c.closed(pipe.name + "." + end)
        }
    }

    static let close = CommandSpec(
        "close", summary: "close(): a pipe end, a FIFO descriptor, or both ends of a pipe",
        arguments: [ArgumentSpec("FD", .descriptorOrOwner)],
        example: "close pipe1.w"
    ,
        cForm: closeC
    ) { ctx in
        if let ref = ctx.descriptor("FD") {
            try ref.owner.close(end: ref.end)
            return .none
        }
        guard let owner = ctx.anyHandle("FD") as? any DescriptorOwner else { return .none }
        guard owner.isOpen else { throw ctx.failure("close: \(owner.name) is already closed") }
        try owner.close(end: nil)
        return .none
    }

    static let fds = CommandSpec(
        "fds", summary: "this process's open descriptors (from /proc/self/fd) and what each is",
        options: [OptionSpec("--json", summary: "one JSON document: each descriptor's number, kind, target, handle, use and socket names (null when none)")],
        example: "fds"
    ) { ctx in
        let owned = ctx.session.ownedDescriptors
        var relays: [Int32: String] = [:]
        for child in ctx.host.supervisor.children {
            if let fd = child.stdoutFD { relays[fd] = "\(child.name) output relay" }
            if let fd = child.stderrFD { relays[fd] = "\(child.name) error relay" }
            if let fd = child.commandFD { relays[fd] = "\(child.name) command channel" }
        }
        let reports = ctx.session.childReports
        if let fd = reports.readFD { relays[fd] = "ipcsh children's reports (read end)" }
        if let fd = reports.writeFD { relays[fd] = "ipcsh children's reports (write end)" }
        let json = ctx.flag("--json")
        var entries: [JSON] = []
        if !json { ctx.output.line("  fd  kind    target                          handle") }
        for fd in Descriptors.openDescriptors() {
            let target = Descriptors.target(of: fd) ?? "?"
            let kind: String
            // A FIFO's link names its path, an unnamed pipe's reads pipe:[inode].
            if target.hasPrefix("pipe:") { kind = "pipe" }
            else if target.hasPrefix("socket:") { kind = "socket" }
            else if target.hasPrefix("/dev/pts") || target.hasPrefix("/dev/tty") || target == "/dev/console" { kind = "tty" }
            else if target.hasPrefix("anon_inode:") { kind = "anon" }
            else if Descriptors.isFIFO(target) { kind = "fifo" }
            else if target == "/dev/null" { kind = "null" }
            else { kind = "file" }
            var use = relays[fd]
            if use == nil, owned[fd] == nil {
                switch fd {
                case 0: use = "stdin"
                case 1: use = "stdout"
                case 2: use = "stderr"
                default:
                    if fd == Signals.wakeDescriptor || fd == Signals.wakeDescriptor + 1 { use = "ipcsh signal self-pipe" }
                }
            }
            var owner = owned[fd] ?? use ?? ""
            // Where a socket is bound and whom it talks to (a socket pair's ends have no names).
            let localName = kind == "socket" ? Sockets.name(fd, peer: false) : nil
            let peerName = kind == "socket" ? Sockets.name(fd, peer: true) : nil
            let local = localName == "(unnamed)" ? nil : localName
            let peer = peerName == "(unnamed)" ? nil : peerName
            if json {
                entries.append(.object([("fd", .integer(Int(fd))), ("kind", .string(kind)), ("target", .string(target)),
                                        ("handle", .optional(owned[fd])), ("use", .optional(use)),
                                        ("local", .optional(local)), ("peer", .optional(peer))]))
                continue
            }
            if let localName, local != nil || peer != nil {
                owner += (owner.isEmpty ? "" : "  ") + "local \(localName)" + (peerName.map { "  peer \($0)" } ?? "")
            }
            ctx.output.line(HelpText.pad(String(fd), 4).reversedPad(4) + "  " + HelpText.pad(kind, 6) + "  "
                            + HelpText.pad(target, 30) + "  " + owner)
        }
        if json { return JSON.object([("descriptors", .array(entries))]).result }
        return .none
    }
}

extension String {
    /// Right-aligns a padded number column.
    func reversedPad(_ width: Int) -> String {
        let trimmed = self.trimmingCharacters(in: " ")
        return trimmed.count >= width ? trimmed : String(repeating: " ", count: width - trimmed.count) + trimmed
    }

    func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s.removeFirst() }
        while s.last == character { s.removeLast() }
        return String(s)
    }
}
