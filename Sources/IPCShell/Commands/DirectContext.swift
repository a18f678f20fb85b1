import IPCSyntax

/// What a direct form (`DirectForm`) gets besides the script's words: its spec, how many words
/// name the command, binding's conversion of one word at a time, and the call a read or write
/// makes with the host (`DataCall`). Nothing is bound beforehand and nothing is made for the
/// command but this (two references and a count, not counted).
public struct DirectContext {
    /// The one host, as `CommandContext` holds it: commands see it only as `some CommandHost`
    /// (in a `DataCall`).
    /// Unmanaged, used through guaranteed references: the interpreter and the spec outlive every
    /// command, and counting references cost more than the rest of making this (callgrind; an
    /// unowned(unsafe) reference cost an atomic retain at each use).
    private let interpreterReference: Unmanaged<Interpreter>
    private let specReference: Unmanaged<CommandSpec>
    /// How many of the words name the command (`read`: 1, `shm create`: 2).
    public let skip: Int

    init(interpreter: Interpreter, spec: CommandSpec, skip: Int) {
        self.interpreterReference = .passUnretained(interpreter)
        self.specReference = .passUnretained(spec)
        self.skip = skip
    }

    /// The command the words run.
    public var spec: CommandSpec { specReference.takeUnretainedValue() }

    /// Word `index` of `words` converted as binding converts an argument of `kind`
    /// (`ArgumentBinder.convert`); nil when binding would refuse it (the bound way says why).
    func value(_ words: SimpleCommand, word index: Int, as kind: ArgumentKind, what: StaticString) -> ArgumentValue? {
        interpreterReference._withUnsafeGuaranteedRef { interpreter in
            specReference._withUnsafeGuaranteedRef { spec in
                try? ArgumentBinder.convert(words[index], kind: kind, what: what.description, spec: spec, scope: interpreter,
                                            at: words.location(ofWord: index))
            }
        }
    }

    /// Word `index` of `words` as binding makes a `.dataTarget` argument when it is a `NAME.E`
    /// word the session answered lately (`ArgumentBinder.recentDataTarget`): the usual `p.r`,
    /// found without converting it. Nil: ask `dataTarget`.
    func recentDescriptor(_ words: SimpleCommand, word index: Int) -> DescriptorRef? {
        let word = words[index]
        return interpreterReference._withUnsafeGuaranteedRef { ArgumentBinder.recentDataTarget(word, scope: $0) }
    }

    /// Word `index` of `words` as binding makes a `.dataTarget` argument (`shm1`, `pipe1.r`,
    /// `fifo1`); nil for a word binding refuses.
    func dataTarget(_ words: SimpleCommand, word index: Int) -> DataTarget? {
        switch value(words, word: index, as: .dataTarget, what: "NAME") {
        case .handle(let handle)?: return handle.asMemoryRegion.map { .region($0) }
        case .descriptor(let descriptor)?: return .descriptor(descriptor)
        default: return nil
        }
    }

    /// The call a read or write makes, as a command with no options and no binding does.
    func dataCall(_ words: SimpleCommand, command: StaticString) -> DataCall<some CommandHost> {
        interpreterReference._withUnsafeGuaranteedRef { DataCall(host: $0, command: command, location: words.location) }
    }
}
