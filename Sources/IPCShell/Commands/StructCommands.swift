import IPCSyntax

/// `struct`, `sizeof`, `offsetof`: C structs, laid out as the C compiler does, for `read --as`
/// and `write --as` (`BinaryData/`).
enum StructCommands {
    static let all: [CommandSpec] = [declare, sizeOf, offsetOf]

    /// struct in C: the same declaration, at file scope.
    static let declareC: CForm = { bound, c throws(CEmitError) in
        guard let name = bound.string("NAME"), let block = bound.block("MEMBERS") else {
            throw CEmitError("emit-c: struct without a block (showing a layout) has no C form here", at: bound.location)
        }
        let layout: CStruct
        do throws(Diagnostic) { layout = try CStructDeclaration.parse(name: name, block: block, structs: c.structs) } catch {
            throw CEmitError(error)
        }
        c.structs[name] = layout
        c.include("stdint.h", "sys/types.h", "string.h")
        c.declare(fileScope: layout.declaration + ";")
    }

    /// The C type a `sizeof`/`offsetof` names: `struct shmseg`, `unsigned long`.
    static func cType(_ words: [String], _ c: CProgram, at location: SourceLocation) throws(CEmitError) -> String {
        if let (scalar, used) = CScalar.parse(words[...]), used == words.count { return scalar.rawValue }
        let name = words.first == "struct" && words.count == 2 ? words[1] : words.joined(separator: " ")
        guard c.structs[name] != nil else {
            throw CEmitError("emit-c: no struct named '\(name)' was declared before", at: location)
        }
        return "struct \(name)"
    }

    /// sizeof / offsetof in C: the number, printed or kept in an int.
    static func numberC(_ expression: String, _ bound: BoundCommand, _ c: inout CProgram) throws(CEmitError) {
        guard let binding = bound.binding else {
            c.say("%zu", [expression])
            return
        }
        let name = try c.variableName(binding, bound)
        c.line("int \(name) = (int)\(expression);")
        c.declare(name, CVariable(format: "%d", argument: name, integer: name, assignable: false))
    }

    static let sizeOfC: CForm = { bound, c throws(CEmitError) in
        let words = bound.variadicValues.compactMap { value -> String? in if case .bytes(let b) = value { return b.string }; return nil }
        guard words.count == bound.variadicValues.count else { throw CEmitError("emit-c: sizeof's TYPE must be literal here", at: bound.location) }
        try numberC("sizeof(\(try cType(words, c, at: bound.location)))", bound, &c)
    }

    static let offsetOfC: CForm = { bound, c throws(CEmitError) in
        guard let name = bound.string("STRUCT"), let path = bound.string("MEMBER") else {
            throw CEmitError("emit-c: offsetof's words must be literal here", at: bound.location)
        }
        guard let layout = c.structs[name], layout.member(at: path) != nil else {
            throw CEmitError("emit-c: struct \(name) with a member \(path) was not declared before", at: bound.location)
        }
        c.include("stddef.h")
        try numberC("offsetof(struct \(name), \(path))", bound, &c)
    }

    static let declare = CommandSpec(
        "struct", summary: "declare a C struct, written as in C; without a block, show its layout",
        arguments: [ArgumentSpec("NAME", .structName), ArgumentSpec("MEMBERS", .block, optional: true)],
        example: "struct shmseg { int cnt; char buf[1024]; }",
        discussion: "Members are declared as in C, one per ; or line: char, short, int, long, long long (signed or unsigned), int8_t .. uint64_t, float, double, pid_t, size_t, ssize_t, off_t, arrays (char buf[64]) and structs declared before (struct hdr h). Sizes, alignment and padding are the C compiler's on this machine: sizeof and offsetof give them, and struct NAME alone shows where each member lies. Declaring a struct again the same way is allowed; differently, an error. read NAME --as STRUCT and write NAME --as STRUCT MEMBER=VALUE... use it.",
        cForm: declareC
    ) { ctx in
        let name = ctx.string("NAME") ?? ""
        guard let block = ctx.block("MEMBERS") else {
            guard let layout = ctx.session.structs[name] else { throw unknownStruct(name, ctx) }
            for line in layout.layoutLines { ctx.output.line(line) }
            return .none
        }
        guard Parser.isName(name), CScalar.parse([name][...]) == nil else {
            throw ctx.failure("struct: '\(name)' is not a struct name",
                              hint: "names start with a letter or _ and hold letters, digits and _ (and are not C types)")
        }
        let layout = try CStructDeclaration.parse(name: name, block: block, structs: ctx.session.structs)
        if let existing = ctx.session.structs[name], existing.declaration != layout.declaration {
            throw ctx.failure("struct \(name) is already declared differently: \(existing.declaration)",
                              hint: "a struct keeps its layout for the session: pick another name")
        }
        ctx.session.structs[name] = layout
        return .none
    }

    static let sizeOf = CommandSpec(
        "sizeof", summary: "the size in bytes of a struct or a C type, as C's sizeof",
        arguments: [ArgumentSpec("TYPE", .structName, variadic: true)],
        example: "n = sizeof shmseg",
        discussion: "TYPE is a struct declared with struct NAME { ... } (struct NAME works too) or a C type: sizeof int, sizeof unsigned long, sizeof pid_t.",
        cForm: sizeOfC
    ) { ctx in
        let words = ctx.restStrings
        if let (scalar, used) = CScalar.parse(words[...]), used == words.count {
            return .value(Array(String(scalar.size).utf8))
        }
        let name = words.first == "struct" && words.count == 2 ? words[1] : words.joined(separator: " ")
        guard let layout = ctx.session.structs[name] else { throw unknownStruct(name, ctx, orType: true) }
        return .value(Array(String(layout.size).utf8))
    }

    static let offsetOf = CommandSpec(
        "offsetof", summary: "where a member starts in a struct, in bytes, as C's offsetof",
        arguments: [ArgumentSpec("STRUCT", .structName), ArgumentSpec("MEMBER", .structMember)],
        example: "offsetof shmseg buf",
        discussion: "A nested member is written with dots: offsetof packet hdr.len.",
        cForm: offsetOfC
    ) { ctx in
        let name = ctx.string("STRUCT") ?? ""
        let path = ctx.string("MEMBER") ?? ""
        guard let layout = ctx.session.structs[name] else { throw unknownStruct(name, ctx) }
        guard let (_, offset) = layout.member(at: path) else {
            var hint = "members of \(name): " + layout.memberPaths.joined(separator: ", ")
            if let guess = CommandRegistry.didYouMean(path, among: layout.memberPaths) { hint = guess + " " + hint }
            throw ctx.failure("offsetof: struct \(name) has no member '\(Escaping.display(Array(path.utf8)))'", hint: hint)
        }
        return .value(Array(String(offset).utf8))
    }

    /// No struct of that name: say which there are.
    static func unknownStruct(_ name: String, _ ctx: borrowing CommandContext, orType: Bool = false) -> Diagnostic {
        let known = ctx.session.structs.keys.sorted()
        var hint = known.isEmpty ? "declare it first: struct \(name) { int cnt; char buf[1024]; }"
                                 : "declared structs: " + known.joined(separator: ", ")
        if let guess = CommandRegistry.didYouMean(name, among: known + (orType ? CScalar.allCases.map(\.rawValue) : [])) {
            hint = guess + " " + hint
        }
        return ctx.failure("\(ctx.spec.name): no struct named '\(Escaping.display(Array(name.utf8)))'" + (orType ? " and no C type" : ""),
                           hint: hint)
    }
}
