import IPCSyntax

/// What a direct form (`DirectForm`) gets besides the script's words: its spec, how many words
/// name the command, the host, and binding's conversion of one word at a time. Nothing is bound
/// beforehand and nothing is made for the command but this (two references and a count, not
/// counted).
public struct DirectContext {
    /// The one host, as `CommandContext` holds it: commands see it only as `some CommandHost`.
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

    var host: some CommandHost { interpreterReference.takeUnretainedValue() }
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

    /// The call a descriptor read or write makes, waiting as a command with no options does.
    func descriptorCall(_ words: SimpleCommand, command: StaticString) -> DescriptorCall<some CommandHost> {
        interpreterReference._withUnsafeGuaranteedRef { DescriptorCall(host: $0, command: command, location: words.location) }
    }
}
