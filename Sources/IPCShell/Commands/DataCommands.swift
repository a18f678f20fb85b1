@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// `write` and `read`: on attached shared memory segments and on descriptors.
enum DataCommands {
    static let all: [CommandSpec] = [write, read]

    /// What to try next when a descriptor's read or write fails.
    static let hints: [SystemCallHint] = [
        SystemCallHint("read", EAGAIN) {
            "nothing to read yet, and this read does not wait (--nonblock, or a FIFO opened with it): write to the other end first (to an eventfd at 0: write NAME N), or read with --timeout D, without --nonblock, to wait for data"
        },
        SystemCallHint("write", EAGAIN) {
            "the pipe or socket is full, and this write does not wait (--nonblock, or a FIFO opened with it): read from the other end first, or write with --timeout D, without --nonblock, to wait for room"
        },
    ]

    /// The largest `--size` of one descriptor write (the padding is built in memory).
    static let maximumWriteSize = 16 << 20

    /// write in C: a segment's C string (memcpy and a NUL), or one write() of a pipe end.
    /// The struct `--as STRUCT` names, declared before in the script.
    static func structC(_ bound: BoundCommand, _ c: CProgram) throws(CEmitError) -> CStruct {
        guard case .bytes(let b)? = bound.option("--as"), let layout = c.structs[b.string] else {
            throw CEmitError("emit-c: --as names no struct the script declared before", at: bound.location)
        }
        return layout
    }

    /// write --as STRUCT MEMBER=VALUE... of a segment in C: a zeroed struct, each member set
    /// (a number, or a character array's text), copied in whole.
    static func writeStructC(_ bound: BoundCommand, _ target: HandleSymbol, _ c: inout CProgram) throws(CEmitError) {
        let layout = try structC(bound, c)
        guard c.handles[target.name] == .segment, target.end == nil else {
            throw CEmitError("emit-c: write --as to \(target.written) has no C form here (to a segment it has)", at: bound.location)
        }
        let offset = try c.integer(bound, "--at") ?? "0"
        c.include("string.h")
        c.open("")
        c.line("struct \(layout.name) value;")
        c.line("memset(&value, 0, sizeof value);")
        for assignment in bound.variadicValues {
            // MEMBER=VALUE: the member is the literal text before the first =.
            var path = "", rest: ArgumentValue
            switch assignment {
            case .bytes(let b):
                let bytes = b.array
                guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { throw CEmitError("emit-c: write --as takes MEMBER=VALUE words", at: bound.location) }
                path = String(decoding: bytes[..<eq], as: UTF8.self)
                rest = .bytes(WordBytes(Array(bytes[(eq + 1)...])))
            case .unexpanded(let word):
                guard case .literal(let first)? = word.parts.first, let eq = first.firstIndex(of: UInt8(ascii: "=")) else {
                    throw CEmitError("emit-c: write --as takes MEMBER=VALUE words", at: bound.location)
                }
                path = String(decoding: first[..<eq], as: UTF8.self)
                let after = Array(first[(eq + 1)...])
                rest = .unexpanded(Word(parts: (after.isEmpty ? [] : [.literal(after)]) + word.parts.dropFirst(), location: word.location, wasQuoted: word.wasQuoted))
            default:
                throw CEmitError("emit-c: write --as takes MEMBER=VALUE words", at: bound.location)
            }
            guard let (member, _) = layout.member(at: path), case .scalar(let scalar) = member.type, !scalar.isFloatingPoint else {
                throw CEmitError("emit-c: write --as \(layout.name) \(path)=... has no C form here (whole-number members and character arrays have)", at: bound.location)
            }
            if let count = member.count {
                guard scalar.isCharacter else {
                    throw CEmitError("emit-c: write --as \(path)=..., an array of \(scalar.rawValue), has no C form here", at: bound.location)
                }
                let (format, arguments) = try c.format(rest, at: bound.location)
                let args = arguments.map { ", " + $0 }.joined()
                c.open("")
                c.line("int len = snprintf(NULL, 0, \"\(format)\"\(args));")
                c.line("if (len > \(count)) { fprintf(stderr, \"write: \(path) holds \(count) bytes; the string given is %d\\n\", len); exit(1); }")
                c.line("char text[len + 1];")
                c.line("snprintf(text, sizeof text, \"\(format)\"\(args));")
                c.line("memcpy(value.\(path), text, (size_t)len);")
                c.close()
            } else {
                c.line("value.\(path) = \(try c.integer(rest, at: bound.location));")
            }
        }
        c.line("if (\(offset) + sizeof value > \(target.name)_ds.shm_segsz) { fprintf(stderr, \"write: struct \(layout.name) does not fit in \(target.name)\\n\"); exit(1); }")
        c.line("memcpy(\(target.name) + \(offset), &value, sizeof value);")
        c.close()
    }

    static let writeC: CForm = { bound, c throws(CEmitError) in
        guard let target = c.symbol(bound, "NAME") else { throw CEmitError("emit-c: write's target has no C form here", at: bound.location) }
        if bound.optionGiven("--as") && !bound.flag("--nonblock") && !bound.optionGiven("--timeout") && !bound.optionGiven("--size") && !bound.flag("--raw") {
            try writeStructC(bound, target, &c)
            return
        }
        if bound.optionGiven("--as") || bound.flag("--nonblock") || bound.optionGiven("--timeout") {
            throw CEmitError("emit-c: write --as, --nonblock and --timeout have no C form here", at: bound.location)
        }
        let values = bound.variadicValues
        guard values.count == 1, let data = values.first else { throw CEmitError("emit-c: write's data has no C form here (one word has)", at: bound.location) }
        let (format, arguments) = try c.format(data, at: bound.location)
        c.include("string.h")
        c.open("")
        let args = arguments.map { ", " + $0 }.joined()
        c.line("int len = snprintf(NULL, 0, \"\(format)\"\(args));")
        c.line("char data[len + 1];")
        c.line("snprintf(data, sizeof data, \"\(format)\"\(args));")
        if c.handles[target.name] == .segment, target.end == nil {
            let offset = bound.integer("--at") ?? 0
            let raw = bound.flag("--raw")
            c.line("memcpy(\(target.name) + \(offset), data, (size_t)len\(raw ? "" : " + 1"));")
        } else if (c.handles[target.name] == .pipe && target.end == "w") || (c.handles[target.name] == .descriptor && target.end == nil) {
            let fd = c.handles[target.name] == .pipe ? "\(target.name)[1]" : target.name
            c.include("unistd.h")
            if let size = bound.integer("--size") {
                c.line("if (len > \(size)) { fprintf(stderr, \"write: DATA is %d bytes, more than --size \(size)\\n\", len); exit(1); }")
                c.line("char message[\(max(1, size))];")
                c.line("memset(message, 0, sizeof message);")
                c.line("memcpy(message, data, (size_t)len);")
                c.check("write(\(fd), message, \(size)) == -1", "write")
            } else {
                c.check("write(\(fd), data, (size_t)len) == -1", "write")
            }
        } else {
            throw CEmitError("emit-c: write to \(target.written) has no C form here (a segment, a pipe's write end or a FIFO has)", at: bound.location)
        }
        c.close()
    }

    static let write = CommandSpec(
        "write", summary: "write data into a segment (with a NUL after it) or to a descriptor (one write())",
        arguments: [ArgumentSpec("NAME", .dataTarget), ArgumentSpec("DATA", .dataOrMembers, optional: true, variadic: true)],
        options: [
            OptionSpec("--at", .size, valueName: "OFFSET", summary: "segment: byte offset (default 0)"),
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "write one C struct (sizeof STRUCT bytes): DATA is MEMBER=VALUE words, members not given are zero"),
            OptionSpec("--raw", summary: "segment: write no terminating NUL"),
            OptionSpec("--size", .size, valueName: "N", summary: "descriptor: pad with NUL bytes to exactly N bytes"),
            OptionSpec("--nonblock", summary: "descriptor: fail with EAGAIN instead of waiting when it is full"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "descriptor: give up after D if it stays full"),
        ],
        example: "write pipe1.w \"apple is red\" --size 512",
        discussion: "On a segment, bounds are checked: nothing is written unless DATA (and its NUL) fits. On a descriptor, it is exactly one write() call; a pipe with no reader gives EPIPE (SIGPIPE is ignored). With --as STRUCT, the words after NAME are members: write buf --as shmseg cnt=5 buf=hello writes sizeof shmseg bytes (no NUL after them), an array as [1, 2, 3], a char array also as a string; a value that does not fit its member is an error."
    ,
        cForm: writeC, direct: writeDirect
    ) { ctx in
        let given: WordBytes
        let isStruct = ctx.anyOptionGiven && ctx.optionGiven("--as")
        if isStruct {
            try rejectOptions(["--raw", "--size"], for: "a struct (--as writes exactly sizeof STRUCT bytes)", ctx)
            given = WordBytes(try encodeStruct(ctx))
        } else if let word = ctx.wordBytes("DATA") {
            given = word
        } else {
            let words = ctx.rest
            guard words.count == 1 else {
                guard let extra = words.dropFirst().first else {
                    throw ctx.failure("write: missing DATA", hint: ctx.usageHint)
                }
                throw ctx.failure("write: unexpected argument '\(Escaping.display(extra))'",
                                  hint: "quote data that has spaces (write NAME \"two words\"), or give a struct's members with --as STRUCT\n  " + ctx.usageHint)
            }
            given = WordBytes(words[0])
        }
        let target: DescriptorRef
        switch ctx.dataTarget("NAME") {
        case .region(let region)?:
            try rejectOptions(["--size", "--nonblock", "--timeout"], for: "a segment", ctx)
            return try writeRegion(region, given, raw: isStruct || ctx.flag("--raw"),
                                   structName: isStruct ? ctx.optionBytes("--as").map { String(decoding: $0, as: UTF8.self) } ?? "STRUCT" : nil,
                                   ctx.dataCall(command: "write"))
        case .descriptor(let named)?: target = named
        case nil: return .none
        }
        if ctx.anyOptionGiven { try rejectOptions(["--at", "--raw"], for: "a descriptor", ctx) }
        // The word as it is (inline when short: no array made), unless a counter's encoding or
        // --size padding changes it.
        var bytes = given
        if let format = target.owner.valueFormat, !isStruct {
            // A counter, not bytes (eventfd): the value as the kernel takes it.
            try rejectOptions(["--size"], for: "\(target.label) (a \(target.owner.kind.displayName))", ctx)
            bytes = WordBytes(try format.encode(given.array))
        }
        if let size = ctx.integer("--size") {
            // One write() of padding is built in memory: keep it to what a descriptor can take.
            guard size <= maximumWriteSize else {
                throw ctx.failure("write: --size \(size) is more than one write can take here (at most 16 MiB)")
            }
            guard given.count <= size else {
                throw ctx.failure("write: DATA is \(given.count) bytes, more than --size \(size)")
            }
            bytes = WordBytes(given.array + [UInt8](repeating: 0, count: size - given.count))
        }
        return try writeDescriptor(target, bytes, ctx.dataCall(command: "write"))
    }

    /// One write() of `bytes` to a descriptor (to a UDP socket with no peer, a datagram to whoever
    /// sent the last one), saying so when fewer bytes went.
    static func writeDescriptor(_ target: DescriptorRef, _ bytes: WordBytes, _ call: DataCall<some CommandHost>) throws -> CommandResult {
        // An unconnected UDP socket answers whoever sent the last datagram.
        var destination: (host: String, port: Int)?
        if target.owner.kind == .sock, let socket = target.owner as? SocketHandle, socket.isDatagram, Sockets.name(target.fd, peer: true) == nil {
            guard let sender = socket.lastSender, let colon = sender.lastIndex(of: ":"),
                  let port = Int(sender[sender.index(after: colon)...]) else {
                throw call.failure("write: \(target.label) is a UDP socket with no peer yet",
                                   hint: "read a datagram first (a write answers its sender), or sock connect udp:HOST:PORT")
            }
            destination = (String(sender[..<colon]), port)
        }
        let written = try bytes.withUnsafeBufferPointer { buffer in
            try withDescriptorMode(target, call, events: Int16(POLLOUT), verb: "writable",
                                   immediately: { destination == nil && target.owner.kind == .pipe ? Descriptors.writeIfReady(target.fd, buffer) : .cannotTell }) { () throws(SystemCallError) in
                if let destination { return try Sockets.send(target.fd, Array(buffer), to: destination.host, port: destination.port) }
                return try Descriptors.write(target.fd, buffer)
            }
        }
        if written < bytes.count {
            call.output.info("\(target.label): wrote \(written) of \(bytes.count) bytes (the rest did not fit)")
        }
        return .none
    }

    /// read in C: a segment's C string, or one read() of a pipe end (trailing NULs dropped,
    /// EOF at end of file).
    static let readC: CForm = { bound, c throws(CEmitError) in
        guard let target = c.symbol(bound, "NAME") else { throw CEmitError("emit-c: read's target has no C form here", at: bound.location) }
        if bound.optionGiven("--as"), !bound.flag("--hex"), !bound.flag("--nonblock"), !bound.optionGiven("--timeout") {
            // v = read seg --as STRUCT: the struct copied out of the segment; $v.cnt, $v.buf.
            let layout = try structC(bound, c)
            guard let binding = bound.binding, c.handles[target.name] == .segment, target.end == nil else {
                throw CEmitError("emit-c: read --as has a C form kept in a variable, from a segment (v = read seg --as STRUCT)", at: bound.location)
            }
            let variable = try c.variableName(binding, bound)
            let offset = try c.integer(bound, "--at") ?? "0"
            c.include("string.h")
            c.line("struct \(layout.name) \(variable);")
            c.line("memcpy(&\(variable), \(target.name) + \(offset), sizeof \(variable));")
            c.declare(variable, CVariable(format: "%s", argument: variable, integer: nil, assignable: false, structure: layout))
            return
        }
        if bound.anyOptionGiven && !(bound.optionGiven("--at") && !bound.optionGiven("--as") && !bound.flag("--hex")) {
            throw CEmitError("emit-c: read's options have no C form here", at: bound.location)
        }
        // Bound (`msg = read buf`): the text goes into a C variable of that name instead of stdout.
        let variable = try bound.binding.map { name throws(CEmitError) in try c.variableName(name, bound) }
        if c.handles[target.name] == .segment, target.end == nil {
            let offset = try c.integer(bound, "--at") ?? "0"
            let start = offset == "0" ? target.name : "\(target.name) + \(offset)"
            guard let variable else {
                c.say("%s", [start])
                return
            }
            c.include("string.h")
            c.line("size_t \(variable)_len = strnlen(\(start), \(target.name)_ds.shm_segsz\(offset == "0" ? "" : " - \(offset)"));")
            c.line("char \(variable)[\(variable)_len + 1];")
            c.line("memcpy(\(variable), \(start), \(variable)_len);")
            c.line("\(variable)[\(variable)_len] = '\\0';")
            c.declare(variable, CVariable(format: "%s", argument: variable, integer: "(int)strtol(\(variable), NULL, 0)", assignable: false))
            return
        }
        let fd: String
        if c.handles[target.name] == .pipe, target.end == "r" {
            fd = "\(target.name)[0]"
        } else if c.handles[target.name] == .descriptor, target.end == nil {
            fd = target.name
        } else {
            throw CEmitError("emit-c: read from \(target.written) has no C form here (a segment, a pipe's read end or a FIFO has)", at: bound.location)
        }
        guard let length = bound.integer("LEN") ?? (bound.value("LEN") == nil ? 4096 : nil) else {
            throw CEmitError("emit-c: read's LEN has no C form here (a literal one has)", at: bound.location)
        }
        c.include("unistd.h")
        if let variable {
            // As the shell binds it: the text without its trailing NULs, or EOF at end of file.
            c.include("string.h")
            c.line("char \(variable)[\(max(length, 3) + 1)];")
            c.line("ssize_t \(variable)_n = read(\(fd), \(variable), \(length));")
            c.check("\(variable)_n == -1", "read")
            c.line("if (\(variable)_n == 0) strcpy(\(variable), \"EOF\");")
            c.open("else")
            c.line("while (\(variable)_n > 0 && \(variable)[\(variable)_n - 1] == 0) \(variable)_n--;")
            c.line("\(variable)[\(variable)_n] = '\\0';")
            c.close()
            c.declare(variable, CVariable(format: "%s", argument: variable, integer: "(int)strtol(\(variable), NULL, 0)", assignable: false))
            return
        }
        c.open("")
        c.line("char buf[\(max(1, length))];")
        c.line("ssize_t n = read(\(fd), buf, sizeof buf);")
        c.check("n == -1", "read")
        c.open("if (n == 0)")
        c.say("EOF")
        c.close()
        c.open("else")
        c.line("while (n > 0 && buf[n - 1] == 0) n--;")
        c.say("%.*s", ["(int)n", "buf"])
        c.close()
        c.close()
    }

    static let read = CommandSpec(
        "read", summary: "read the C string in a segment, or one read() from a descriptor",
        arguments: [ArgumentSpec("NAME", .dataTarget), ArgumentSpec("LEN", .size, optional: true)],
        options: [
            OptionSpec("--at", .size, valueName: "OFFSET", summary: "segment: byte offset (default 0)"),
            OptionSpec("--as", .structName, valueName: "STRUCT", summary: "read sizeof STRUCT bytes and decode them: { cnt = 5, buf = \"hello\" }"),
            OptionSpec("--hex", summary: "show what was read as a hex and ASCII dump (as shm dump)"),
            OptionSpec("--nonblock", summary: "descriptor: fail with EAGAIN instead of waiting for data"),
            OptionSpec("--timeout", .duration, valueName: "D", summary: "descriptor: give up after D without data"),
        ],
        example: "msg = read pipe1.r 512",
        discussion: "A segment is read up to its first NUL, its end, or LEN bytes. A descriptor gets one read() of at most LEN bytes (default 4096), which waits for data as the kernel does (Ctrl-C interrupts); trailing NUL padding is dropped, and end of file prints EOF. Bytes that are not printable show as \\xHH. A printed C string of more than 1 MiB is shown piece by piece, in bounded memory, and leaves $_ empty: bind it (x = read NAME) to keep it. With --as STRUCT, exactly sizeof STRUCT bytes are read (from a descriptor, as many read() calls as that takes; fewer before end of file is an error) and decoded; bound (v = read NAME --as STRUCT), each member is a field: $v.cnt, $v.hdr.len. --hex shows the bytes instead, as shm dump does."
    ,
        cForm: readC, direct: readDirect
    ) { ctx in
        if ctx.anyOptionGiven, ctx.optionGiven("--as") || ctx.flag("--hex") { return try readBinary(ctx) }
        let target: DescriptorRef
        switch ctx.dataTarget("NAME") {
        case .region(let region)?:
            try rejectOptions(["--nonblock", "--timeout"], for: "a segment", ctx)
            return try readRegion(region, length: ctx.integer("LEN"), ctx.dataCall(command: "read"))
        case .descriptor(let named)?: target = named
        case nil: return .none
        }
        if ctx.anyOptionGiven { try rejectOptions(["--at"], for: "a descriptor", ctx) }
        return try readDescriptor(target, length: ctx.integer("LEN"), ctx.dataCall(command: "read"))
    }

    /// One read() of at most `length` bytes (default 4096) from a descriptor, as `read` shows it:
    /// trailing NULs dropped, unprintable bytes escaped, EOF at end of file.
    static func readDescriptor(_ target: DescriptorRef, length: Int?, _ call: DataCall<some CommandHost>) throws -> CommandResult {
        let format = target.owner.valueFormat
        let limit = format?.readSize ?? length ?? 4096
        guard limit > 0, limit <= 16 << 20 else {
            throw call.failure("read: LEN must be 1 byte to 16 MiB")
        }
        let datagramSocket = target.owner.kind != .sock ? nil : (target.owner as? SocketHandle).flatMap { $0.isDatagram ? $0 : nil }
        var sender: String?
        var datagramSize = 0
        let readsAtOnce = datagramSocket == nil && (target.owner.kind == .pipe || target.owner.kind == .sock)
        // The bytes as a word: a short read (most) is kept inline, with no array made or freed.
        var data = WordBytes()
        _ = try withDescriptorMode(target, call, events: Int16(POLLIN), verb: "readable",
                                   immediately: { readsAtOnce ? Descriptors.readIfReady(target.fd, max: limit) { data = WordBytes($0) } : .cannotTell }) { () throws(SystemCallError) in
            if datagramSocket != nil {
                let datagram = try Sockets.receive(target.fd, max: limit)
                sender = datagram.from
                datagramSize = datagram.size
                data = WordBytes(datagram.data)
                return data.count
            }
            return try Descriptors.read(target.fd, max: limit) { data = WordBytes($0) }
        }
        if let datagramSocket, let sender {
            datagramSocket.lastSender = sender
            call.output.info("\(target.label): datagram of \(datagramSize) bytes from \(sender)"
                            + (datagramSize > data.count ? " (only the first \(data.count) kept, the rest is lost: read \(target.label) \(datagramSize) takes a whole one)" : ""))
            if data.isEmpty { return .value([]) }
        }
        if data.isEmpty { return .value(Array("EOF".utf8)) }
        if let format { return .value(format.decode(data.array)) }
        var end = data.count
        while end > 0 && data[end - 1] == 0 { end -= 1 }
        return .word(end == data.count ? Escaping.escaped(data) : WordBytes(Escaping.escaped(data.prefix(end))))
    }

    // MARK: Direct forms (`DirectForm`)

    /// `read NAME` of a segment or a descriptor.
    static let readDirect: DirectForm = { words, ctx in
        guard words.count == ctx.skip + 1, !words[ctx.skip].looksLikeOption else { return nil }
        if let target = ctx.recentDescriptor(words, word: ctx.skip) {
            return try readDescriptor(target, length: nil, ctx.dataCall(words, command: "read"))
        }
        switch ctx.dataTarget(words, word: ctx.skip) {
        case .descriptor(let target)?: return try readDescriptor(target, length: nil, ctx.dataCall(words, command: "read"))
        case .region(let region)?: return try readRegion(region, length: nil, ctx.dataCall(words, command: "read"))
        case nil: return nil
        }
    }

    /// `write NAME DATA` of a segment, or of a descriptor that takes bytes as they are (not a
    /// counter's).
    static let writeDirect: DirectForm = { words, ctx in
        guard words.count == ctx.skip + 2, !words[ctx.skip].looksLikeOption, !words[ctx.skip + 1].looksLikeOption else { return nil }
        if let target = ctx.recentDescriptor(words, word: ctx.skip), target.owner.valueFormat == nil {
            return try writeDescriptor(target, words[ctx.skip + 1], ctx.dataCall(words, command: "write"))
        }
        switch ctx.dataTarget(words, word: ctx.skip) {
        case .descriptor(let target)? where target.owner.valueFormat == nil:
            return try writeDescriptor(target, words[ctx.skip + 1], ctx.dataCall(words, command: "write"))
        case .region(let region)?:
            return try writeRegion(region, words[ctx.skip + 1], raw: false, ctx.dataCall(words, command: "write"))
        default: return nil
        }
    }

    /// A printed `read` of a segment longer than this is streamed (`readSegment`).
    static let streamedReadSize = 1 << 20

    static func rejectOptions(_ names: @autoclosure () -> [StaticString], for what: String, _ ctx: borrowing CommandContext) throws(Diagnostic) {
        guard ctx.anyOptionGiven else { return }
        for name in names() where ctx.optionGiven(name) {
            throw ctx.failure("\(ctx.spec.name): \(name) does not apply to \(what)", hint: ctx.usageHint)
        }
    }

    /// Runs one read/write honouring --nonblock and --timeout; while a child's output may
    /// need relaying, waits in the supervisor's poll loop rather than in the kernel.
    /// `immediately`, when given, makes the call only if it need not wait (see `Descriptors.readIfReady`):
    /// with output waiting in the buffer, one such call replaces a `poll` and the call.
    static func withDescriptorMode<T>(_ target: DescriptorRef, _ call: DataCall<some CommandHost>, events: Int16, verb: String,
                                      immediately: () -> Descriptors.Immediate<T> = { .cannotTell },
                                      _ body: () throws(SystemCallError) -> T) throws -> T {
        if call.nonblock {
            try Descriptors.setNonBlocking(target.fd, true)
            defer { try? Descriptors.setNonBlocking(target.fd, false) }
            return try body()
        }
        let supervisor = call.supervisor
        let timeout = call.timeoutMilliseconds
        if timeout != nil || supervisor.hasChildren {
            call.output.flush()
            let ready = try supervisor.wait(for: target.fd, events: events, timeoutMilliseconds: timeout, until: nil)
            if !ready {
                throw call.failure("\(call.command): \(target.label) did not become \(verb) within \(Durations.describe(timeout ?? 0))")
            }
        } else {
            // Output waiting in the buffer is written before a call that would block, so whoever
            // watches sees it before the shell waits; on a terminal, before every call. A call that
            // goes ahead at once (the data is there) does not wait for a write of the shell's
            // output: a script of write/read pairs spent most of its time flushing (issue 15.5).
            let output = call.output
            if output.hasPendingOutput {
                if output.flushEachCommand {
                    output.flush()
                } else {
                    switch immediately() {
                    case .done(let value): return value
                    case .wouldWait: output.flush()
                    case .cannotTell: if !Plumbing.isReady(target.fd, for: events) { output.flush() }
                    }
                }
            }
            // A Ctrl-C that came during the flush (a write to a slow terminal or pipe) would be lost to
            // a read() that then waits for ever: look once more, just before the call. (Waiting in
            // the supervisor's poll, which watches the self-pipe, closes the window entirely but made
            // a pipe round trip 37% slower: farm-bench.)
            if Signals.interruptPending { throw ControlFlow.interrupted }
        }
        return try body()
    }

    /// `data` into a segment at `call.offset`, with a NUL after it unless `raw`; `structName`
    /// (`--as`) only words the error of a struct that does not fit.
    static func writeRegion(_ region: any MemoryRegion, _ data: WordBytes, raw: Bool, structName: String? = nil,
                            _ call: DataCall<some CommandHost>) throws -> CommandResult {
        let memory = try region.mappedBytes(for: "write")
        if region.isReadOnly {
            throw call.failure("write: \(region.name) is attached read-only", hint: region.writableHint)
        }
        let offset = call.offset
        let needed = data.count + (raw ? 0 : 1)
        guard offset <= memory.count, needed <= memory.count - offset, let base = memory.baseAddress else {
            throw call.failure("write: \(needed) byte(s) at offset \(offset) do not fit in \(region.name) (\(memory.count) bytes)",
                               hint: raw ? structName.map { "a struct is written whole: sizeof \($0) bytes" }
                                         : "the count includes the terminating NUL; --raw writes none")
        }
        data.withUnsafeBufferPointer { src in
            if let from = src.baseAddress { (base + offset).copyMemory(from: from, byteCount: src.count) }
        }
        if !raw { (base + offset + data.count).storeBytes(of: 0, as: UInt8.self) }
        if let log = call.session.diagramLog { data.withUnsafeBufferPointer { log.memory(true, region: region, offset: offset, bytes: $0) } }
        return .none
    }

    /// The C string in a segment at `call.offset` (at most `length` bytes), escaped; a long one
    /// that is printed, not bound, piece by piece.
    static func readRegion(_ region: any MemoryRegion, length: Int?, _ call: DataCall<some CommandHost>) throws -> CommandResult {
        let memory = try region.mappedBytes(for: "read")
        let offset = call.offset
        guard offset < memory.count, let base = memory.baseAddress else {
            throw call.failure("read: offset \(offset) is outside \(region.name) (\(memory.count) bytes: 0 to \(memory.count - 1))")
        }
        let limit = min(length ?? Int.max, memory.count - offset)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: limit)
        let end = bytes.firstIndex(of: 0) ?? limit
        if let log = call.session.diagramLog { log.memory(false, region: region, offset: offset, bytes: bytes[0..<end]) }
        if !call.isBound, end > DataCommands.streamedReadSize, call.output.writesRawPieces {
            // A long C string that is printed is escaped and written piece by piece: a 64 MiB
            // region of control bytes would take 256 MiB as one escaped value. `$_` is then empty.
            var piece: [UInt8] = []
            Escaping.escape(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), into: &piece, every: 1 << 16) { out in
                call.output.writeRaw(out)
                out.removeAll(keepingCapacity: true)
            }
            call.output.writeRaw(piece + [0x0A])
            call.session.lastResult = WordBytes()
            return .none
        }
        if end <= WordBytes.inlineCapacity {
            // A short string (most): a word kept inline, no array.
            let string = UnsafeRawBufferPointer(rebasing: bytes[0..<end]).assumingMemoryBound(to: UInt8.self)
            return .word(Escaping.escaped(WordBytes(string)))
        }
        var value = call.session.takeResultBuffer()
        Escaping.escape(bytes[0..<end], into: &value)
        return .value(value)
    }
}

// MARK: Binary data

/// `write NAME --as STRUCT MEMBER=VALUE...`, `read NAME --as STRUCT` and `read NAME --hex`: binary
/// data on every target `read` and `write` take (a memory region at `--at`, a descriptor or socket).
extension DataCommands {
    /// The struct named by `--as`.
    static func structLayout(_ ctx: borrowing CommandContext) throws(Diagnostic) -> CStruct? {
        guard let name = ctx.optionBytes("--as").map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        guard let layout = ctx.session.structs[name] else {
            var diagnostic = StructCommands.unknownStruct(name, ctx)
            diagnostic.message = "\(ctx.spec.name) --as: no struct named '\(Escaping.display(Array(name.utf8)))'"
            throw diagnostic
        }
        return layout
    }

    /// The bytes of `write --as STRUCT MEMBER=VALUE...`.
    static func encodeStruct(_ ctx: borrowing CommandContext) throws(Diagnostic) -> [UInt8] {
        guard let layout = try structLayout(ctx) else { return [] }
        var assignments: [(path: String, value: String)] = []
        for word in joinedLists(ctx.restStrings) {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw ctx.failure("\(ctx.spec.name) --as \(layout.name): '\(Escaping.display(Array(word.utf8)))' is not MEMBER=VALUE",
                                  hint: "members of \(layout.name): " + layout.memberPaths.joined(separator: ", "))
            }
            assignments.append((String(word[..<equals]), String(word[word.index(after: equals)...])))
        }
        do throws(CStructCodec.Failure) {
            return try CStructCodec.encode(layout, assignments)
        } catch {
            throw ctx.failure("\(ctx.spec.name) --as \(layout.name): \(error.message)", hint: error.hint)
        }
    }

    /// The body of a message (`mq send`, `pmq send`): DATA as one word, or with `--as STRUCT`
    /// the struct's bytes. `quoted` shows the command with quoted data, for the hint.
    static func messageBody(_ ctx: borrowing CommandContext, quoted: String) throws(Diagnostic) -> [UInt8] {
        if ctx.anyOptionGiven && ctx.optionGiven("--as") { return try encodeStruct(ctx) }
        let words = ctx.rest
        guard words.count == 1 else {
            guard let extra = words.dropFirst().first else { throw ctx.failure("\(ctx.spec.name): missing DATA", hint: ctx.usageHint) }
            throw ctx.failure("\(ctx.spec.name): unexpected argument '\(Escaping.display(extra))'",
                              hint: "quote data that has spaces (\(quoted)), or give a struct's members with --as STRUCT")
        }
        return words[0]
    }

    /// A received message (`mq recv`, `pmq recv`): printed as `LABEL: DATA` (or the struct), and
    /// bound with its `field` (`type`, `prio`), `data` and, for a struct, each member.
    static func receivedMessage(_ body: [UInt8], label: String, field: (String, String), layout: CStruct?,
                                trimmingNULs: Bool, _ ctx: borrowing CommandContext, what: String) throws(Diagnostic) -> CommandResult {
        if let layout {
            guard body.count >= layout.size else {
                throw ctx.failure("\(ctx.spec.name): \(what) is \(body.count) bytes; struct \(layout.name) is \(layout.size)")
            }
            let decoded = body.withUnsafeBytes { CStructCodec.decode(layout, $0) }
            return .structure(text: Array("\(label): \(decoded.text)".utf8), fields: [field, ("data", decoded.text)] + decoded.fields)
        }
        var end = body.count
        while trimmingNULs && end > 0 && body[end - 1] == 0 { end -= 1 }
        let data = String(decoding: Escaping.escaped(body[0..<end]), as: UTF8.self)
        return .structure(text: Array("\(label): \(data)".utf8), fields: [field, ("data", data)])
    }

    /// `data=[1,` `2,` `3]` (a list typed with spaces) back into one word.
    static func joinedLists(_ words: [String]) -> [String] {
        var joined: [String] = []
        var open = 0
        for word in words {
            if open > 0, let last = joined.popLast() {
                joined.append(last + " " + word)
            } else {
                joined.append(word)
            }
            open += word.filter { $0 == "[" }.count - word.filter { $0 == "]" }.count
            if open < 0 { open = 0 }
        }
        return joined
    }

    /// `read NAME --as STRUCT` and `read NAME --hex`.
    static func readBinary(_ ctx: borrowing CommandContext) throws -> CommandResult {
        let layout = try structLayout(ctx)
        let hex = ctx.flag("--hex")
        if layout != nil && ctx.has("LEN") {
            throw ctx.failure("read: --as reads sizeof \(layout?.name ?? "STRUCT") bytes: give no LEN", hint: ctx.usageHint)
        }
        let bytes: [UInt8]
        var startOffset = 0
        if let region = ctx.region("NAME") {
            try rejectOptions(["--nonblock", "--timeout"], for: "a segment", ctx)
            let memory = try region.mappedBytes(for: "read")
            let offset = ctx.integer("--at") ?? 0
            guard offset < memory.count, let base = memory.baseAddress else {
                throw ctx.failure("read: offset \(offset) is outside \(region.name) (\(memory.count) bytes: 0 to \(memory.count - 1))")
            }
            let available = UnsafeRawBufferPointer(start: base + offset, count: memory.count - offset)
            let length: Int
            if let layout {
                guard layout.size <= available.count else {
                    throw ctx.failure("read: struct \(layout.name) is \(layout.size) bytes; \(region.name) has \(available.count) from offset \(offset)")
                }
                length = layout.size
            } else if let limit = ctx.integer("LEN") {
                length = min(limit, available.count)
            } else {
                // What read shows: the C string, and its NUL when there is one.
                length = min((available.firstIndex(of: 0) ?? available.count) + 1, available.count)
            }
            bytes = Array(available[0..<length])
            startOffset = offset
            if let log = ctx.session.diagramLog { log.memory(false, region: region, offset: offset, bytes: bytes) }
        } else if let target = ctx.descriptor("NAME") {
            if ctx.anyOptionGiven { try rejectOptions(["--at"], for: "a descriptor", ctx) }
            let wanted = layout?.size ?? ctx.integer("LEN") ?? 4096
            guard wanted > 0, wanted <= 16 << 20 else {
                if let layout {
                    throw ctx.failure("read: struct \(layout.name) is \(layout.size) bytes; from a descriptor, read --as takes at most 16 MiB")
                }
                throw ctx.failure("read: LEN must be 1 byte to 16 MiB")
            }
            let datagram = (target.owner as? SocketHandle)?.isDatagram ?? false
            var data: [UInt8] = []
            let call = ctx.dataCall(command: "read")
            // A struct may come in pieces on a stream: read until it is whole, as a C reader loops.
            repeat {
                let piece: [UInt8]
                do {
                    piece = try withDescriptorMode(target, call, events: Int16(POLLIN), verb: "readable") { () throws(SystemCallError) in
                        if datagram { return try Sockets.receive(target.fd, max: wanted - data.count).data }
                        return try Descriptors.read(target.fd, max: wanted - data.count)
                    }
                } catch {
                    // A timeout, EAGAIN or an error in the middle of a struct: the bytes that came are
                    // consumed, so say how many, never drop them silently.
                    guard let layout, !data.isEmpty, !(error is ControlFlow) else { throw error }
                    let partial = "read: \(target.label) gave \(data.count) of the \(layout.size) bytes of struct \(layout.name), then "
                    if var diagnostic = error as? Diagnostic {
                        diagnostic.message = partial + (diagnostic.message.hasPrefix("read: ") ? String(diagnostic.message.dropFirst(6)) : diagnostic.message)
                        throw diagnostic
                    }
                    throw ctx.failure(partial + String(describing: error))
                }
                if piece.isEmpty { break }
                data += piece
            } while layout != nil && !datagram && data.count < wanted
            if data.isEmpty && !datagram { return .value(Array("EOF".utf8)) }
            if let layout, data.count < layout.size {
                throw ctx.failure("read: \(target.label) gave \(data.count) of the \(layout.size) bytes of struct \(layout.name)"
                                  + (datagram ? " (a datagram of \(data.count) bytes)" : ", then end of file"))
            }
            bytes = data
        } else {
            return .none
        }
        if hex {
            var lines: [String] = []
            bytes.withUnsafeBytes { raw in HexDump.forEachLine(raw, startOffset: startOffset) { lines.append($0) } }
            return .value(Array(lines.joined(separator: "\n").utf8))
        }
        guard let layout else { return .none }
        let decoded = bytes.withUnsafeBytes { CStructCodec.decode(layout, $0) }
        return .structure(text: Array(decoded.text.utf8), fields: decoded.fields)
    }
}

enum Durations {
    /// `500ms`, `2s`, `1.5s`.
    static func describe(_ ms: Int) -> String {
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        if ms < 1000 { return "\(ms)ms" }
        return "\(ms / 1000).\(String(ms % 1000 + 1000).dropFirst())s"
    }
}
