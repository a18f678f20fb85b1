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

    /// A printf format (and its arguments) for a word's value.
    func format(_ value: ArgumentValue, at location: SourceLocation) throws(CEmitError) -> (String, [String]) {
        switch value {
        case .bytes(let b): return (CProgram.formatText(b.array), [])
        case .integer(let n): return (String(n), [])
        case .unexpanded(let word):
            var format = "", arguments: [String] = []
            for part in word.parts {
                switch part {
                case .literal(let bytes): format += CProgram.formatText(bytes)
                case .variable(name: "i", field: nil) where !loopCounters.isEmpty:
                    format += "%d"
                    arguments.append(loopCounters.last!)
                default:
                    throw CEmitError("emit-c: \(CEmitter.wordText(word)) has no C form here: only literal words and $i (a loop's counter) are translated", at: location)
                }
            }
            return (format, arguments)
        default:
            throw CEmitError("emit-c: this argument has no C form here", at: location)
        }
    }

    /// A command whose value is bound (`x = read p.r`) keeps it in the shell's variables.
    func refuseBinding(_ bound: BoundCommand) throws(CEmitError) {
        if bound.binding != nil {
            throw CEmitError("emit-c: keeping \(bound.spec.name)'s value in a variable has no C form here", at: bound.location)
        }
    }
}
