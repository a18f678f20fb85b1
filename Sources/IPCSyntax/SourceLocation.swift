import Synchronization

/// Where something is in a script or typed line: 1-based line and column.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file's name, interned: a location is copied with every token, word and command, and
    /// an index costs no reference counting where a String longer than 15 bytes (a path) does
    /// (scripts/bench.sh).
    private var fileIndex: Int32
    public var line: Int
    public var column: Int

    public var file: String {
        get { FileNames.name(fileIndex) }
        set { fileIndex = FileNames.index(newValue) }
    }

    public init(file: String, line: Int, column: Int) {
        self.fileIndex = FileNames.index(file)
        self.line = line
        self.column = column
    }

    /// A location in a file already interned (the lexer's, for every token).
    init(fileIndex: Int32, line: Int, column: Int) {
        self.fileIndex = fileIndex
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The file names of source locations, each stored once.
enum FileNames {
    private struct Table {
        var names: [String] = []
        var indexes: [String: Int32] = [:]
    }
    private static let table = Mutex(Table())

    static func index(_ name: String) -> Int32 {
        table.withLock { table in
            if let index = table.indexes[name] { return index }
            let index = Int32(table.names.count)
            table.names.append(name)
            table.indexes[name] = index
            return index
        }
    }

    static func name(_ index: Int32) -> String {
        table.withLock { $0.names[Int(index)] }
    }
}
