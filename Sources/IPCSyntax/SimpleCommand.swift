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
    /// The most words a simple command holds.
    public static let capacity = 6

    /// One stored field per word, read through a switch: a subscript of an `InlineArray` here
    /// copied the whole command (232 bytes, with a `memcpy` call) on every word read (callgrind).
    @usableFromInline var word0 = WordBytes(), word1 = WordBytes(), word2 = WordBytes()
    @usableFromInline var word3 = WordBytes(), word4 = WordBytes(), word5 = WordBytes()
    /// Byte offset in the source of each word.
    private var offset0 = 0, offset1 = 0, offset2 = 0, offset3 = 0, offset4 = 0, offset5 = 0
    public private(set) var count = 0
    var fileIndex: Int32 = 0
    /// The line, and the offset at which it starts in the source.
    var line = 0
    var lineStart = 0
    /// Where the last word ends in the source.
    var end = 0

    /// An empty one, for the parser to fill (`Parser.nextSimpleCommand(into:)`): one value
    /// serves every command of a script, and nothing is copied or freed per command.
    public init() {}

    /// Starts a command on a line.
    mutating func begin(fileIndex: Int32, line: Int, lineStart: Int) {
        self.count = 0
        self.fileIndex = fileIndex
        self.line = line
        self.lineStart = lineStart
    }

    @inline(__always) // into the lexer's scan, once per word
    mutating func append(_ word: WordBytes, offset: Int, end: Int) {
        switch count {
        case 0: word0 = word; offset0 = offset
        case 1: word1 = word; offset1 = offset
        case 2: word2 = word; offset2 = offset
        case 3: word3 = word; offset3 = offset
        case 4: word4 = word; offset4 = offset
        default:
            precondition(count == 5, "SimpleCommand holds at most \(SimpleCommand.capacity) words")
            word5 = word; offset5 = offset
        }
        count += 1
        self.end = end
    }

    /// The bytes of word `index` (0 is the command's name). Inlinable: read for every word of
    /// every command, by the interpreter in another module.
    @inlinable
    public subscript(index: Int) -> WordBytes {
        precondition(index >= 0 && index < count, "SimpleCommand word index out of range")
        switch index {
        case 0: return word0
        case 1: return word1
        case 2: return word2
        case 3: return word3
        case 4: return word4
        default: return word5
        }
    }

    /// Byte offset in the source of word `index`.
    private func offset(ofWord index: Int) -> Int {
        switch index {
        case 0: return offset0
        case 1: return offset1
        case 2: return offset2
        case 3: return offset3
        case 4: return offset4
        default: return offset5
        }
    }

    public func location(ofWord index: Int) -> SourceLocation {
        SourceLocation(fileIndex: fileIndex, line: line, column: offset(ofWord: index) - lineStart + 1)
    }

    /// Where the command starts.
    public var location: SourceLocation { location(ofWord: 0) }

    /// The `Command` the parser makes of the same text: `source` is the text parsed.
    public func command(in source: [UInt8]) -> Command {
        var arguments: [CommandArgument] = []
        arguments.reserveCapacity(count)
        for index in 0..<count {
            arguments.append(.word(Word(literal: self[index], location: location(ofWord: index), wasQuoted: false)))
        }
        return Command(binding: nil, arguments: arguments, wordsAreLiteral: true, location: location,
                       buffer: source, range: offset0..<end)
    }
}
