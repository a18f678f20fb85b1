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
    typealias PerWord<Element> = InlineArray<6, Element>

    /// The most words a simple command has.
    public static let capacity = PerWord<Int>.count

    var words: PerWord<WordBytes>
    /// Byte offset in the source of each word.
    var offsets: PerWord<Int>
    public private(set) var count = 0
    var fileIndex: Int32 = 0
    /// The line, and the offset at which it starts in the source.
    var line = 0
    var lineStart = 0
    /// Where the last word ends in the source.
    var end = 0

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
