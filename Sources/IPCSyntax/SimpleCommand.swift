/// A command of plain words only, on one line: no quote, escape, `$` substitution, block,
/// `NAME =` binding, `!` or line continuation, and at most `capacity` words. Most lines of a
/// long script are simple (`write shm1 hello-7`, `read shm1`).
///
/// The parser hands a simple command over in this form, words inline, with no `Command`,
/// argument array or `Word` built for it; the interpreter runs it directly when its name was
/// resolved before and its words bind in order, and otherwise turns it into the `Command` the
/// parser would have made (`command(in:)`) and runs that. Building and freeing those values
/// was most of the cost of a short command (scripts/bench.sh).
public struct SimpleCommand {
    /// One slot per word: the one place that says how many words a simple command holds.
    private typealias PerWord<Element> = InlineArray<6, Element>

    /// The most words a simple command has.
    public static let capacity = PerWord<Int>.count

    private var words: PerWord<WordBytes>
    /// Byte offset in the source of each word.
    private var offsets: PerWord<Int>
    public private(set) var count = 0
    private var fileIndex: Int32 = 0
    /// The line, and the offset at which it starts in the source.
    private var line = 0
    private var lineStart = 0
    /// Where the last word ends in the source.
    private var end = 0

    /// An empty one, for the parser to fill (`Parser.nextSimpleCommand(into:)`): one value
    /// serves every command of a script, and nothing is copied or freed per command.
    public init() {
        self.words = InlineArray(repeating: WordBytes())
        self.offsets = InlineArray(repeating: 0)
    }

    /// Starts a command on a line.
    mutating func begin(fileIndex: Int32, line: Int, lineStart: Int) {
        self.count = 0
        self.fileIndex = fileIndex
        self.line = line
        self.lineStart = lineStart
    }

    mutating func append(_ word: WordBytes, offset: Int, end: Int) {
        words[count] = word
        offsets[count] = offset
        count += 1
        self.end = end
    }

    /// The bytes of word `index` (0 is the command's name).
    public subscript(index: Int) -> WordBytes {
        precondition(index >= 0 && index < count, "SimpleCommand word index out of range")
        return words[index]
    }

    public func location(ofWord index: Int) -> SourceLocation {
        SourceLocation(fileIndex: fileIndex, line: line, column: offsets[index] - lineStart + 1)
    }

    /// Where the command starts.
    public var location: SourceLocation { location(ofWord: 0) }

    /// The `Command` the parser makes of the same text: `source` is the text parsed.
    public func command(in source: [UInt8]) -> Command {
        var arguments: [CommandArgument] = []
        arguments.reserveCapacity(count)
        for index in 0..<count {
            arguments.append(.word(Word(literal: words[index], location: location(ofWord: index), wasQuoted: false)))
        }
        return Command(binding: nil, arguments: arguments, wordsAreLiteral: true, location: location,
                       buffer: source, range: offsets[0]..<end)
    }
}

/// The words of a command as the fast paths read them (the look-up of a command's name, the
/// binding of its arguments in order): a parsed command's arguments or a simple command's words.
package protocol LiteralWords {
    /// How many arguments (words and blocks).
    var count: Int { get }
    /// Argument `index` when it is a word whose bytes are known: a literal's bytes (or, in a
    /// view that has them, the expansion of a word with substitutions), and whether some of it
    /// was quoted. Nil for a block or a word with substitutions not expanded.
    func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)?
    func location(ofWord index: Int) -> SourceLocation
}

extension SimpleCommand: LiteralWords {
    @inline(__always)
    package func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)? { (self[index], false) }
}

extension Array: LiteralWords where Element == CommandArgument {
    @inline(__always)
    package func literal(at index: Int) -> (bytes: WordBytes, quoted: Bool)? {
        guard case .word(let word) = self[index], let bytes = word.singleLiteral else { return nil }
        return (bytes, word.wasQuoted)
    }

    package func location(ofWord index: Int) -> SourceLocation { self[index].location }
}
