import IPCSys
import IPCSyntax

/// What the C forms of the commands share: the handle a bound value names, and a word as a
/// printf format.
extension CProgram {
    /// The handle (and end) an argument names, as written in the script.
    func symbol(_ bound: BoundCommand, _ name: StaticString) -> HandleSymbol? {
        if case .symbol(let s)? = bound.value(name) { return s }
        return nil
    }

    /// A handle the script made before, of the kind the command needs.
    func handle(_ bound: BoundCommand, _ name: StaticString, _ kind: CHandle) throws(CEmitError) -> HandleSymbol {
        guard let s = symbol(bound, name), let known = handles[s.name], known == kind else {
            throw CEmitError("emit-c: \(bound.spec.name) names a handle the script did not make before it", at: bound.location,
                             hint: "emit-c translates a script that makes its handles itself")
        }
        return s
    }

    /// A printf format (and its arguments) for a word's value: literal text, `$i` (a loop's
    /// counter), a variable the script set before, `$1` and `${1:-DEFAULT}` (the program's
    /// arguments, as the script's).
    mutating func format(_ value: ArgumentValue, at location: SourceLocation) throws(CEmitError) -> (String, [String]) {
        switch value {
        case .bytes(let b): return (CProgram.formatText(b.array), [])
        case .integer(let n): return (String(n), [])
        case .unexpanded(let word):
            var format = "", arguments: [String] = []
            for part in word.parts {
                switch part {
                case .literal(let bytes): format += CProgram.formatText(bytes)
                case .variable(name: let name, field: let field?) where variables[name]?.fields[field] != nil:
                    let shown = variables[name]!.fields[field]!
                    format += shown.format
                    arguments.append(shown.arguments)
                case .variable(name: let name, field: let field?) where variables[name]?.structure != nil:
                    let (f, a) = try member(of: name, field, at: location)
                    format += f
                    arguments += a
                case .variable(name: let name, field: nil) where variables[name] != nil && variables[name]?.structure == nil:
                    format += variables[name]!.format
                    arguments.append(variables[name]!.argument)
                case .variable(name: "i", field: nil) where !loopCounters.isEmpty:
                    format += "%d"
                    arguments.append(loopCounters.last!)
                case .positional(let n) where n >= 1:
                    format += "%s"
                    arguments.append(argument(n))
                case .withDefault(.positional(let n), let fallback) where n >= 1:
                    usesArguments = true
                    format += "%s"
                    arguments.append("(argc > \(n) ? argv[\(n)] : \(CProgram.literal(fallback)))")
                default:
                    throw CEmitError("emit-c: \"\(CEmitter.wordText(word))\" has no C form here: literal words, $i (a loop's counter), variables set before, $1 and ${1:-DEFAULT} are translated", at: location)
                }
            }
            return (format, arguments)
        default:
            throw CEmitError("emit-c: this argument has no C form here", at: location)
        }
    }

    /// `$v.cnt` of a struct read whole: a whole number (`%lld`) or a character array (its C
    /// string, at most the array's length), as the shell shows them.
    func member(of name: String, _ path: String, at location: SourceLocation) throws(CEmitError) -> (String, [String]) {
        guard let layout = variables[name]?.structure, let (member, _) = layout.member(at: path) else {
            throw CEmitError("emit-c: $\(name).\(path) names no member of the struct \(name) holds", at: location)
        }
        let expression = "\(name).\(path)"
        guard case .scalar(let scalar) = member.type, !scalar.isFloatingPoint else {
            throw CEmitError("emit-c: $\(name).\(path) (\(member.declaration)) has no C form here: whole numbers and character arrays have", at: location)
        }
        if let count = member.count {
            guard scalar.isCharacter else {
                throw CEmitError("emit-c: $\(name).\(path), an array of \(scalar.rawValue), has no C form here", at: location)
            }
            return ("%.*s", ["(int)strnlen(\(expression), \(count))", expression])
        }
        if scalar.isCharacter {
            throw CEmitError("emit-c: $\(name).\(path), one \(scalar.rawValue), has no C form here", at: location)
        }
        return scalar.isSigned ? ("%lld", ["(long long)\(expression)"]) : ("%llu", ["(unsigned long long)\(expression)"])
    }

    /// `argv[n]`, after the check the shell makes: `$1 is not set: 0 argument(s) were given`.
    mutating func argument(_ n: Int) -> String {
        usesArguments = true
        line("if (argc <= \(n)) { fprintf(stderr, \"$\(n) is not set: %d argument(s) were given\\n\", argc - 1); exit(1); }")
        return "argv[\(n)]"
    }

    /// The C expression of a number argument: a literal, `$i`, a variable holding a number, or
    /// an argument of the program (`strtol`, base 0 as the shell reads 0x numbers); nil when
    /// the argument was not given.
    mutating func integer(_ bound: BoundCommand, _ name: StaticString) throws(CEmitError) -> String? {
        guard let value = bound.value(name) ?? bound.option(name) else { return nil }
        return try integer(value, at: bound.location)
    }

    /// The C expression of a number given as a value (see `integer(_:_:)`).
    mutating func integer(_ value: ArgumentValue, at location: SourceLocation) throws(CEmitError) -> String {
        switch value {
        case .integer(let n): return String(n)
        case .key(let k): return String(k)
        case .bytes(let b):
            let text = b.string
            if let n = Int(text) { return String(n) }
            if text.hasPrefix("0x"), let n = Int(text.dropFirst(2), radix: 16) { return String(n) }
            throw CEmitError("emit-c: '\(Escaping.display(b.array))' is not a whole number", at: location)
        case .unexpanded(let word):
            if word.parts.count == 1, case .variable(let v, nil) = word.parts[0] {
                if let expression = variables[v]?.integer { return expression }
                if v == "i", let counter = loopCounters.last { return counter }
            }
            let (format, arguments) = try self.format(.unexpanded(word), at: location)
            if format == "%s", arguments.count == 1 { return "(int)strtol(\(arguments[0]), NULL, 0)" }
            throw CEmitError("emit-c: \"\(CEmitter.wordText(word))\" is not a number C can know here", at: location)
        default:
            throw CEmitError("emit-c: this argument has no C form here", at: location)
        }
    }

    /// A System V key in C (`IPC_PRIVATE`, `(key_t)3306`, `(key_t)strtol(key, NULL, 0)`) and
    /// how the shell shows it (`private`, `0x00000cea`), as a printf format and its arguments.
    mutating func key(_ bound: BoundCommand, _ name: StaticString) throws(CEmitError) -> (c: String, format: String, arguments: [String]) {
        if case .ftokKey? = bound.value(name) {
            throw CEmitError("emit-c: an ftok key has no C form here (a number, private or a variable has)", at: bound.location)
        }
        if case .key(let key)? = bound.value(name) {
            return key == 0 ? ("IPC_PRIVATE", "private", []) : ("(key_t)\(key)", SyscallTrace.hexKey(key), [])
        }
        guard let expression = try integer(bound, name) else {
            throw CEmitError("emit-c: \(bound.spec.name)'s key has no C form here (a number, private or a variable holding a number has)", at: bound.location)
        }
        // The shell shows key 0 as private: so does the program.
        let shown = temporary("key")
        line("char \(shown)[16];")
        line("if ((key_t)\(expression) == IPC_PRIVATE) snprintf(\(shown), sizeof \(shown), \"private\");")
        line("else snprintf(\(shown), sizeof \(shown), \"0x%08x\", (unsigned)\(expression));")
        return ("(key_t)\(expression)", "%s", [shown])
    }

    /// The C name of a script variable the command sets: the same name, unless C or the
    /// program needs it.
    func variableName(_ name: String, _ bound: BoundCommand) throws(CEmitError) -> String {
        if CProgram.reservedNames.contains(name) || handles[name] != nil || handles.keys.contains(where: { name.hasPrefix($0 + "_") }) {
            throw CEmitError("emit-c: the variable \(name) would clash with a name C or the program uses", at: bound.location,
                             hint: "rename it in the script")
        }
        return name
    }

    /// A C string (`const char *`) of words joined by spaces: a literal, a variable or an
    /// argument as it is, or else a buffer made to the text's length with snprintf, named
    /// `name` (or `textN`).
    mutating func string(_ values: [ArgumentValue], named name: String? = nil, at location: SourceLocation) throws(CEmitError) -> String {
        var literal: [UInt8] = [], isLiteral = true
        var formats: [String] = [], arguments: [String] = []
        for (i, value) in values.enumerated() {
            if case .bytes(let b) = value {
                if i > 0 { literal.append(0x20) }
                literal += b.array
            } else {
                isLiteral = false
            }
            let (f, a) = try format(value, at: location)
            formats.append(f)
            arguments += a
        }
        let format = formats.joined(separator: " ")
        if isLiteral && name == nil { return CProgram.literal(literal) }
        if format == "%s" && arguments.count == 1 && name == nil { return arguments[0] }
        textCounter += 1
        let buffer = name ?? "text\(textCounter)"
        let args = arguments.map { ", " + $0 }.joined()
        line("char \(buffer)[snprintf(NULL, 0, \"\(format)\"\(args)) + 1];")
        line("snprintf(\(buffer), sizeof \(buffer), \"\(format)\"\(args));")
        return buffer
    }

    /// Makes a kernel object as the shell does (`CreateOrOpen`): `variable = create` exclusively,
    /// or else, when `orElse` is given (no --excl), what the key or name already names;
    /// `NAME_created` says which, for the line printed and `cleanup on`. `failed` tests the result.
    mutating func createOrOpen(_ name: String, variable: String, create: String, orElse: String?, failed: String, call: String) {
        include("errno.h")
        global("int", "\(name)_created")
        line("\(name)_created = 1;")
        line("\(variable) = \(create);")
        if let orElse {
            open("if (\(failed) && errno == EEXIST)")
            line("\(name)_created = 0;")
            line("\(variable) = \(orElse);")
            close()
        }
        check(failed, call)
    }

    /// The line the shell prints for a handle `createOrOpen` made: `created` when this program
    /// created the object, `existed` when it opened one (each a printf format and its arguments).
    mutating func sayMade(_ name: String, created: (String, [String]), existed: (String, [String])) {
        open("if (\(name)_created)")
        say(created.0, created.1)
        close()
        open("else")
        say(existed.0, existed.1)
        close()
    }

    /// A command whose value is bound (`x = read p.r`) keeps it in the shell's variables.
    func refuseBinding(_ bound: BoundCommand) throws(CEmitError) {
        if bound.binding != nil {
            throw CEmitError("emit-c: keeping \(bound.spec.name)'s value in a variable has no C form here", at: bound.location)
        }
    }
}
