import IPCSys
import IPCSyntax

/// Checks and converts a command's words against its spec: a `BoundCommand`. Nothing runs here:
/// handles are looked up in the scope (or named symbolically), `ftok` keys are only checked.
enum ArgumentBinder {
    /// Binds the words of `arguments` after the first `skipWords` words (the command's name):
    /// options first, then positional arguments in order, then blocks. `expanded` holds each
    /// argument's expansion when some word has substitutions; nil when every word is literal
    /// (their bytes are used as they are, with no array built for the command) or when the
    /// scope expands them (`BindingScope.expand`).
    static func bind<Scope: BindingScope>(spec: CommandSpec, arguments: [CommandArgument], skipWords: Int,
                                          expanded: [WordBytes]?, scope: Scope,
                                          into bound: inout BoundCommand) throws(Diagnostic) {
        let boundInOrder = if let expanded {
            try bindInOrder(spec: spec, arguments: ExpandedWords(arguments: arguments, expanded: expanded),
                            skipWords: skipWords, scope: scope, into: &bound)
        } else {
            try bindInOrder(spec: spec, arguments: arguments, skipWords: skipWords, scope: scope, into: &bound)
        }
        if boundInOrder { return }
        let commandLocation = bound.location
        // Built only when an error needs it: it costs more than binding a simple command.
        var usage: String { "usage: \(spec.usage)" }
        /// The word's bytes; nil when it is known only when it runs (`SymbolicScope`).
        func bytes(_ index: Int, _ word: Word) throws(Diagnostic) -> WordBytes? {
            if let expanded { return expanded[index] }
            return try scope.expand(word)
        }
        // Positional words, by index in `arguments`: a bit mask, or a list for long commands.
        var positionalMask: UInt64 = 0
        var positionalList: [Int] = []
        let useList = arguments.count > 64
        var blockCount = 0
        var wordsSeen = 0
        var index = 0
        while index < arguments.count {
            guard case .word(let word) = arguments[index] else {
                blockCount += 1
                index += 1
                continue
            }
            let wordIndex = index
            index += 1
            wordsSeen += 1
            if wordsSeen <= skipWords { continue }
            let given = try bytes(wordIndex, word)
            // An option is an unquoted literal word starting with "--"; quoted "--x" is data.
            guard !word.wasQuoted, let wordBytes = given, wordBytes.looksLikeOption,
                  word.isLiteral else {
                if useList { positionalList.append(wordIndex) } else { positionalMask |= 1 << UInt64(wordIndex) }
                continue
            }
            var optionName = wordBytes.string
            var inlineValue: WordBytes?
            if let eq = wordBytes.firstIndex(of: UInt8(ascii: "=")) {
                optionName = String(decoding: wordBytes[..<eq], as: UTF8.self)
                inlineValue = WordBytes(Array(wordBytes[(eq + 1)...]))
            }
            guard let optionIndex = spec.options.firstIndex(where: { $0.name == optionName }) else {
                var hint = usage
                if let guess = CommandRegistry.didYouMean(optionName, among: spec.options.map(\.name)) {
                    hint = guess + "\n  " + usage
                }
                throw Diagnostic("\(spec.name): unknown option \(optionName)", at: word.location, hint: hint)
            }
            let option = spec.options[optionIndex]
            guard let kind = option.value else {
                if inlineValue != nil {
                    throw Diagnostic("\(spec.name): \(optionName) takes no value", at: word.location, hint: usage)
                }
                if optionIndex < 64 { bound.flags |= 1 << UInt64(optionIndex) }
                continue
            }
            let valueBytes: WordBytes?
            let valueLocation: SourceLocation
            if let inlineValue {
                valueBytes = inlineValue
                valueLocation = word.location
            } else {
                // The next word (blocks are not words).
                while index < arguments.count, case .block = arguments[index] {
                    blockCount += 1
                    index += 1
                }
                guard index < arguments.count, case .word(let valueWord) = arguments[index] else {
                    throw Diagnostic("\(spec.name): \(optionName) needs a value (\(option.valueName))",
                                     at: word.location, hint: usage)
                }
                valueBytes = try bytes(index, valueWord)
                valueLocation = valueWord.location
                index += 1
                wordsSeen += 1
            }
            guard let valueBytes else {
                if case .word(let valueWord) = arguments[index - 1] { bound.setOption(optionIndex, .unexpanded(valueWord)) }
                continue
            }
            bound.setOption(optionIndex, try convert(valueBytes, kind: kind, what: "\(optionName) \(option.valueName)",
                                                     spec: spec, scope: scope, at: valueLocation))
        }

        // The next positional word at or after `from`, by index in `arguments`. Calls come with
        // `from` increasing, so a long command's list is walked once (a scan from its start each
        // time made 500,000 words take 36 s).
        var listCursor = 0
        func nextPositional(_ from: Int) -> Int? {
            if useList {
                while listCursor < positionalList.count, positionalList[listCursor] < from { listCursor += 1 }
                return listCursor < positionalList.count ? positionalList[listCursor] : nil
            }
            guard from < 64 else { return nil }
            let rest = positionalMask >> UInt64(from)
            return rest == 0 ? nil : from + rest.trailingZeroBitCount
        }
        func word(at i: Int) -> Word {
            guard case .word(let w) = arguments[i] else { preconditionFailure("not a word") }
            return w
        }

        var blocksUsed = 0
        func nextBlock() -> Block? {
            guard blocksUsed < blockCount else { return nil }
            var seen = 0
            for argument in arguments {
                if case .block(let block) = argument {
                    if seen == blocksUsed { blocksUsed += 1; return block }
                    seen += 1
                }
            }
            return nil
        }
        var position = nextPositional(0)
        let specArguments = spec.arguments
        for argumentIndex in specArguments.indices {
            // Fields read in place: copying an ArgumentSpec copies its kind and name.
            var argument: ArgumentSpec { specArguments[argumentIndex] }
            if specArguments[argumentIndex].isBlock {
                guard let block = nextBlock() else {
                    if argument.isOptional { continue }
                    throw Diagnostic("\(spec.name): missing { \(argument.name) }", at: commandLocation, hint: usage)
                }
                bound.values[argumentIndex] = .block(block)
                continue
            }
            if specArguments[argumentIndex].isVariadic {
                var rest: [[UInt8]] = []
                var unexpanded: [Int: Word] = [:]
                while let p = position {
                    let w = word(at: p)
                    if let given = try bytes(p, w) {
                        rest.append(given.array)
                    } else {
                        unexpanded[rest.count] = w
                        rest.append([])
                    }
                    position = nextPositional(p + 1)
                }
                bound.variadic = rest
                if !unexpanded.isEmpty { bound.values[argumentIndex] = .unexpandedVariadic(unexpanded) }
                if rest.isEmpty && !argument.isOptional {
                    throw Diagnostic("\(spec.name): missing \(argument.name)", at: commandLocation, hint: usage)
                }
                continue
            }
            guard let p = position else {
                if argument.isOptional { continue }
                throw Diagnostic("\(spec.name): missing \(argument.name) (\(argument.describe))",
                                 at: commandLocation, hint: usage)
            }
            position = nextPositional(p + 1)
            let w = word(at: p)
            guard let given = try bytes(p, w) else {
                bound.values[argumentIndex] = .unexpanded(w)
                continue
            }
            bound.values[argumentIndex] = try convert(given, kind: specArguments[argumentIndex].kind,
                                                      what: specArguments[argumentIndex].name,
                                                      spec: spec, scope: scope, at: w.location)
        }
        if let p = position {
            let extra = word(at: p)
            let shown = try bytes(p, extra).map { Escaping.display($0.array) } ?? extra.literalText ?? "..."
            throw Diagnostic("\(spec.name): unexpected argument '\(shown)'", at: extra.location, hint: usage)
        }
        if nextBlock() != nil {
            throw Diagnostic("\(spec.name) takes no { block }", at: commandLocation, hint: usage)
        }
    }

    /// The common case, bound directly: literal words, no option, no block, no more words than
    /// the spec has arguments and none missing. False for anything else, which `bind` then
    /// handles in full, wording its errors; a conversion error here is the one `bind` would
    /// report first.
    static func bindInOrder<Words: LiteralWords, Scope: BindingScope>(
        spec: CommandSpec, arguments: Words, skipWords: Int, scope: Scope, into bound: inout BoundCommand
    ) throws(Diagnostic) -> Bool {
        guard spec.argumentsBindInOrder else { return false }
        let specArguments = spec.arguments
        let given = arguments.count - skipWords
        guard given >= 0, given <= specArguments.count else { return false }
        var index = given
        while index < specArguments.count {
            if !specArguments[index].isOptional { return false }
            index += 1
        }
        // Every word first: `bind` reads options before any argument, so with an option
        // anywhere ("--x", unquoted), or a block, its errors come first (`read nosuch --bogus`
        // is an unknown option), and only `bind` words them.
        var position = 0
        while position < given {
            guard let (bytes, quoted) = arguments.literal(at: skipWords + position) else { return false }
            if !quoted && bytes.looksLikeOption { return false }
            position += 1
        }
        position = 0
        while position < given {
            guard let (bytes, _) = arguments.literal(at: skipWords + position) else { return false }
            if position == spec.variadicIndex {
                // One word for the variadic argument: kept in its slot, as is (`BoundCommand.rest`).
                bound.values[position] = .bytes(bytes)
                position += 1
                continue
            }
            bound.values[position] = try convert(bytes, kind: specArguments[position].kind,
                                                 what: specArguments[position].name, spec: spec, scope: scope,
                                                 at: arguments.location(ofWord: skipWords + position))
            position += 1
        }
        return true
    }

    static func convert<Scope: BindingScope>(_ bytes: WordBytes, kind: ArgumentKind, what whatText: @autoclosure () -> String,
                                             spec: CommandSpec, scope: Scope, at location: SourceLocation) throws(Diagnostic) -> ArgumentValue {
        var what: String { whatText() }
        // Decoded (and escaped for messages) only by the kinds and errors that need it:
        // this runs for every argument of every command.
        var text: String { bytes.string }
        var shown: String { Escaping.display(bytes.array) }
        func bad(_ expected: String) -> Diagnostic {
            Diagnostic("\(spec.name): \(what) '\(shown)' is not \(expected)", at: location, hint: "usage: \(spec.usage)")
        }
        switch kind {
        case .text, .name, .commandName, .structName, .structMember, .dataOrMembers, .posixName, .address, .method:
            return .bytes(bytes)
        case .path:
            if bytes.contains(0) { throw bad("a path (it holds a NUL byte)") }
            if bytes.isEmpty { throw bad("a path (it is empty)") }
            return .bytes(bytes)
        case .keyword(let words):
            let text = text
            guard words.contains(text) else {
                var hint = "\(what) is one of: \(words.joined(separator: ", "))"
                if let guess = CommandRegistry.didYouMean(text, among: words) { hint = guess + " " + hint }
                throw Diagnostic("\(spec.name): \(what) '\(shown)' is not one of the choices", at: location, hint: hint)
            }
            return .bytes(bytes)
        case .count:
            guard let n = Literals.integer(text) else { throw bad("a whole number") }
            guard n >= 0 else { throw bad("a whole number of 0 or more") }
            return .integer(n)
        case .wholeNumber(let range):
            guard let n = Literals.integer(text), range.contains(n) else { throw bad(kind.describe) }
            return .integer(n)
        case .size:
            let text = text
            guard let n = Literals.size(text) else {
                if text.hasPrefix("-") { throw bad("a size (sizes cannot be negative)") }
                throw bad("a size (bytes, with an optional k, KiB, M or MiB suffix, at most \(Int.max))")
            }
            return .integer(n)
        case .duration:
            guard let ms = Literals.durationMilliseconds(text) else {
                throw bad("a duration (500ms, 2s, 1m; a bare number is seconds; at most a day)")
            }
            return .integer(ms)
        case .mode:
            guard let mode = Literals.mode(text) else { throw bad("a mode (octal, 0000 to 0777, such as 0600)") }
            return .integer(mode)
        case .key:
            return try IPCKey.parseWritten(text, what: "\(spec.name): \(what)", at: location)
        case .handle(let kinds):
            if let handle = scope.handle(named: bytes), kinds.isEmpty || kinds.contains(handle.kind) { return .handle(handle) }
            if scope.bindsSymbolically { return .symbol(HandleSymbol(name: text, kinds: kinds)) }
            return .handle(try resolveHandle(text, kinds: kinds, what: what, spec: spec, scope: scope, at: location))
        case .handleOrAll(let kinds):
            if bytes == WordBytes(Array("all".utf8)) { return .bytes(bytes) }
            if let handle = scope.handle(named: bytes), kinds.contains(handle.kind) { return .handle(handle) }
            if scope.bindsSymbolically { return .symbol(HandleSymbol(name: text, kinds: kinds)) }
            return .handle(try resolveHandle(text, kinds: kinds, what: what, spec: spec, scope: scope, at: location))
        case .handleOrKey(let kinds):
            let text = text
            if scope.handle(named: text) != nil {
                return .handle(try resolveHandle(text, kinds: kinds, what: what, spec: spec, scope: scope, at: location))
            }
            if let first = text.first, first.isNumber || text == "private" || text.hasPrefix("ftok:") {
                return try IPCKey.parseWritten(text, what: "\(spec.name): \(what)", at: location)
            }
            if scope.bindsSymbolically { return .symbol(HandleSymbol(name: text, kinds: kinds)) }
            return .handle(try resolveHandle(text, kinds: kinds, what: what, spec: spec, scope: scope, at: location))
        case .block:
            throw Diagnostic("\(spec.name): \(what) must be a { block }", at: location)
        case .descriptor, .unixSocket:
            if scope.bindsSymbolically { return .symbol(symbol(text, kinds: [])) }
            return .descriptor(try resolveDescriptor(bytes, spec: spec, scope: scope, at: location))
        case .descriptorOrOwner:
            if !bytes.contains(UInt8(ascii: ".")), let handle = scope.handle(named: bytes), handle.asDescriptorOwner != nil {
                return .handle(handle)
            }
            if scope.bindsSymbolically { return .symbol(symbol(text, kinds: [])) }
            return .descriptor(try resolveDescriptor(bytes, spec: spec, scope: scope, at: location))
        case .dataTarget:
            // `pipe1.r` (the usual word) goes straight to the descriptor's look-up
            // (`recentDataTarget` takes the same way); a name without a dot may be a memory region.
            if !bytes.namesAnEnd, !bytes.contains(UInt8(ascii: ".")), let handle = scope.handle(named: bytes),
               handle.asMemoryRegion != nil {
                return .handle(handle)
            }
            if scope.bindsSymbolically { return .symbol(symbol(text, kinds: [])) }
            return .descriptor(try resolveDescriptor(bytes, spec: spec, scope: scope, at: location))
        case .cpuPair:
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
                throw bad("two CPU numbers as A,B (0,1)")
            }
            return .bytes(bytes)
        case .signal:
            if let number = UserSignals.number(text) { return .integer(Int(number)) }
            if let n = Literals.integer(text), n > 0, n < 65 { return .integer(n) }
            throw Diagnostic("\(spec.name): '\(shown)' is not a signal", at: location,
                             hint: "signals: " + Signals.byName.keys.sorted().joined(separator: " ") + ", RTMIN+N, or a number 1 to 64")
        }
    }

    /// What `convert` makes of a `.dataTarget` word that names an end (`p.r`) when the session
    /// answered it lately (`BindingScope.recentDescriptor`): such a word is never a region, and
    /// the descriptor's look-up answers from the recent words first. Nil: convert it.
    @inline(__always)
    static func recentDataTarget<Scope: BindingScope>(_ bytes: WordBytes, scope: Scope) -> DescriptorRef? {
        bytes.namesAnEnd ? scope.recentDescriptor(named: bytes) : nil
    }

    /// `pipe1.r` as a symbol: the name and the end.
    private static func symbol(_ text: String, kinds: [HandleKind]) -> HandleSymbol {
        guard let dot = text.lastIndex(of: ".") else { return HandleSymbol(name: text, kinds: kinds) }
        return HandleSymbol(name: String(text[..<dot]), end: String(text[text.index(after: dot)...]), kinds: kinds)
    }

    /// `pipe1.r`, `pipe1.w`, `fifo1`: an open descriptor of a handle. The usual case (a handle
    /// that owns descriptors, an end it has, open) is looked up by the word's bytes, without
    /// making a String or casting; anything else takes the way that explains what is wrong.
    @inline(__always)
    static func resolveDescriptor<Scope: BindingScope>(_ bytes: WordBytes, spec: CommandSpec, scope: Scope,
                                                       at location: SourceLocation) throws(Diagnostic) -> DescriptorRef {
        if let recent = scope.recentDescriptor(named: bytes) { return recent }
        if let (base, endBytes) = bytes.split(atLast: UInt8(ascii: ".")) {
            if let owner = scope.handle(named: base)?.asDescriptorOwner, let (end, fd) = owner.openEnd(named: endBytes) {
                let descriptor = DescriptorRef(owner: owner, endIndex: end, fd: fd)
                scope.noteDescriptor(descriptor, named: bytes)
                return descriptor
            }
        } else if let owner = scope.handle(named: bytes)?.asDescriptorOwner, owner.endNames.isEmpty,
                  let fd = owner.descriptor(end: nil) {
            let descriptor = DescriptorRef(owner: owner, end: nil, fd: fd)
            scope.noteDescriptor(descriptor, named: bytes)
            return descriptor
        }
        return try resolveDescriptor(bytes.string, spec: spec, scope: scope, at: location)
    }

    static func resolveDescriptor<Scope: BindingScope>(_ text: String, spec: CommandSpec, scope: Scope,
                                                       at location: SourceLocation) throws(Diagnostic) -> DescriptorRef {
        var base = text
        var end: String?
        if let dot = text.lastIndex(of: ".") {
            base = String(text[..<dot])
            end = String(text[text.index(after: dot)...])
        }
        guard let handle = scope.handle(named: base) else {
            let candidates = scope.allHandles.compactMap { $0 as? any DescriptorOwner }.filter(\.isOpen)
                .flatMap { owner in owner.endNames.isEmpty ? [owner.name] : owner.endNames.map { "\(owner.name).\($0)" } }
            var hint = candidates.isEmpty ? "this session has no descriptors yet: pipe or fifo open PATH read makes one"
                                          : "the session has: " + candidates.joined(separator: ", ")
            if let guess = CommandRegistry.didYouMean(text, among: candidates) { hint = guess }
            throw Diagnostic("\(spec.name): no handle named '\(Escaping.display(Array(text.utf8)))'", at: location, hint: hint)
        }
        guard let owner = handle.asDescriptorOwner else {
            throw Diagnostic("\(spec.name): \(base) is a \(handle.kind.displayName), not a descriptor", at: location,
                             hint: "usage: \(spec.usage)")
        }
        if let end, !owner.endNames.contains(end) {
            let ends = owner.endNames.isEmpty ? "it has no ends: write just \(base)"
                                              : "its ends are " + owner.endNames.map { "\(base).\($0)" }.joined(separator: " and ")
            throw Diagnostic("\(spec.name): \(base) has no end '\(end)'", at: location, hint: ends)
        }
        if end == nil && !owner.endNames.isEmpty {
            throw Diagnostic("\(spec.name): \(base) has \(owner.endNames.count) ends: name one", at: location,
                             hint: "write " + owner.endNames.map { "\(base).\($0)" }.joined(separator: " or "))
        }
        guard let fd = owner.descriptor(end: end) else {
            throw Diagnostic("\(spec.name): \(text) is closed", at: location,
                             hint: "status \(base) shows its state; closed descriptors cannot be used again")
        }
        return DescriptorRef(owner: owner, end: end, fd: fd)
    }

    static func resolveHandle<Scope: BindingScope>(_ text: String, kinds: [HandleKind], what: String, spec: CommandSpec,
                                                   scope: Scope, at location: SourceLocation) throws(Diagnostic) -> any Handle {
        guard let handle = scope.handle(named: text) else {
            // Only handles that can still be used (a removed segment, a closed pipe, an ended child cannot).
            let candidates = scope.allHandles.filter { $0.isOpen && (kinds.isEmpty || kinds.contains($0.kind)) }.map(\.name)
            var hint: String
            if candidates.isEmpty {
                let kindName = kinds.first?.displayName ?? "handle"
                let hadSome = scope.allHandles.contains { kinds.isEmpty || kinds.contains($0.kind) }
                hint = "this session has no " + (hadSome ? "open \(kindName) left" : "\(kindName) yet")
                if kinds.contains(.shm) { hint += ": make one with shm create KEY SIZE or shm open KEY" }
            } else if let guess = CommandRegistry.didYouMean(text, among: candidates) {
                hint = guess
            } else {
                hint = "the session has: " + candidates.joined(separator: ", ")
            }
            throw Diagnostic("\(spec.name): no handle named '\(Escaping.display(Array(text.utf8)))'", at: location, hint: hint)
        }
        if !kinds.isEmpty && !kinds.contains(handle.kind) {
            throw Diagnostic("\(spec.name): \(text) is a \(handle.kind.displayName), not a "
                             + kinds.map(\.displayName).joined(separator: " or "), at: location,
                             hint: "usage: \(spec.usage)")
        }
        return handle
    }
}

/// A command's arguments with the expansion of each word (`write shm1 hello-$i` in a loop), as
/// `bindInOrder` reads them. A word that expands to `--x` is not an option (`bind` takes only a
/// literal one), but `bindInOrder` leaves any such word to `bind` all the same.
private struct ExpandedWords: LiteralWords {
    let arguments: [CommandArgument]
    let expanded: [WordBytes]

    var count: Int { arguments.count }

    func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)? {
        guard case .word(let word) = arguments[index] else { return nil }
        return (expanded[index], word.wasQuoted)
    }

    func location(ofWord index: Int) -> SourceLocation { arguments[index].location }
}
