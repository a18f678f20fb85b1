/// `write` and `read`: on shared memory segments (and, later, descriptors).
enum DataCommands {
    static let all: [CommandSpec] = [write, read]

    static let write = CommandSpec(
        "write", summary: "copy data into an attached segment (with a NUL after it, as sprintf does)",
        arguments: [ArgumentSpec("NAME", .handle([.shm])), ArgumentSpec("DATA", .text)],
        options: [
            OptionSpec("--at", .size, valueName: "OFFSET", summary: "byte offset in the segment (default 0)"),
            OptionSpec("--raw", summary: "write no terminating NUL"),
        ],
        example: "write buf \"hello\" --at 16",
        discussion: "Bounds are checked: nothing is written unless DATA (and its NUL) fits inside the segment."
    ) { ctx in
        guard let shm = ctx.handle("NAME", as: ShmHandle.self) else { return .none }
        let base = try attachedBase(shm, command: "write", ctx: ctx)
        if shm.readOnly {
            throw ctx.failure("write: \(shm.name) is attached read-only", hint: "shm detach \(shm.name); shm attach \(shm.name)")
        }
        let data = ctx.bytes("DATA") ?? []
        let offset = ctx.integer("--at") ?? 0
        let raw = ctx.flag("--raw")
        let needed = data.count + (raw ? 0 : 1)
        guard offset <= shm.size, needed <= shm.size - offset else {
            throw ctx.failure("write: \(needed) byte(s) at offset \(offset) do not fit in \(shm.name) (\(shm.size) bytes)",
                              hint: raw ? nil : "the count includes the terminating NUL; --raw writes none")
        }
        data.withUnsafeBytes { src in
            if let from = src.baseAddress { (base + offset).copyMemory(from: from, byteCount: data.count) }
        }
        if !raw { (base + offset + data.count).storeBytes(of: 0, as: UInt8.self) }
        return .none
    }

    static let read = CommandSpec(
        "read", summary: "read the C string at an offset of an attached segment",
        arguments: [ArgumentSpec("NAME", .handle([.shm])), ArgumentSpec("LEN", .size, optional: true)],
        options: [OptionSpec("--at", .size, valueName: "OFFSET", summary: "byte offset in the segment (default 0)")],
        example: "msg = read buf",
        discussion: "Reads up to the first NUL, the end of the segment, or LEN bytes. Bytes that are not printable show as \\xHH."
    ) { ctx in
        guard let shm = ctx.handle("NAME", as: ShmHandle.self) else { return .none }
        let base = try attachedBase(shm, command: "read", ctx: ctx)
        let offset = ctx.integer("--at") ?? 0
        guard offset < shm.size else {
            throw ctx.failure("read: offset \(offset) is outside \(shm.name) (\(shm.size) bytes: 0 to \(shm.size - 1))")
        }
        let limit = min(ctx.integer("LEN") ?? Int.max, shm.size - offset)
        let region = UnsafeRawBufferPointer(start: base + offset, count: limit)
        let end = region.firstIndex(of: 0) ?? limit
        return .value(Escaping.escaped(region[0..<end]))
    }

    /// The mapped address of a segment that is attached and not removed, or a clear error.
    static func attachedBase(_ shm: ShmHandle, command: String, ctx: CommandContext) throws(Diagnostic) -> UnsafeMutableRawPointer {
        if shm.removed {
            throw ctx.failure("\(command): \(shm.name) was removed (shm rm)",
                              hint: shm.isAttached ? "shm detach \(shm.name) releases it" : nil)
        }
        guard let base = shm.address else {
            throw ctx.failure("\(command): \(shm.name) is not attached", hint: "shm attach \(shm.name)")
        }
        return base
    }
}
