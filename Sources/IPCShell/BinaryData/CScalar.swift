@preconcurrency import Glibc

/// A C scalar type, laid out as this platform's C compiler lays it out: sizes and alignments
/// come from the C types Swift imports (`CInt`, `CLong`, `pid_t`, ...), which are the C
/// compiler's own.
public enum CScalar: String, Sendable, CaseIterable {
    /// Plain `char`: signed on x86-64, unsigned on arm64 (`CChar`); printed as a string in arrays.
    case char = "char"
    case signedChar = "signed char"
    case unsignedChar = "unsigned char"
    case short = "short"
    case unsignedShort = "unsigned short"
    case int = "int"
    case unsignedInt = "unsigned int"
    case long = "long"
    case unsignedLong = "unsigned long"
    case longLong = "long long"
    case unsignedLongLong = "unsigned long long"
    case int8 = "int8_t", uint8 = "uint8_t", int16 = "int16_t", uint16 = "uint16_t"
    case int32 = "int32_t", uint32 = "uint32_t", int64 = "int64_t", uint64 = "uint64_t"
    case float = "float"
    case double = "double"
    case pid = "pid_t"
    case size = "size_t"
    case signedSize = "ssize_t"
    case offset = "off_t"

    public var size: Int { layout.size }
    public var alignment: Int { layout.alignment }

    private var layout: (size: Int, alignment: Int) {
        func of<T>(_: T.Type) -> (Int, Int) { (MemoryLayout<T>.size, MemoryLayout<T>.alignment) }
        switch self {
        case .char: return of(CChar.self)
        case .signedChar: return of(CSignedChar.self)
        case .unsignedChar: return of(CUnsignedChar.self)
        case .short: return of(CShort.self)
        case .unsignedShort: return of(CUnsignedShort.self)
        case .int: return of(CInt.self)
        case .unsignedInt: return of(CUnsignedInt.self)
        case .long: return of(CLong.self)
        case .unsignedLong: return of(CUnsignedLong.self)
        case .longLong: return of(CLongLong.self)
        case .unsignedLongLong: return of(CUnsignedLongLong.self)
        case .int8: return of(Int8.self)
        case .uint8: return of(UInt8.self)
        case .int16: return of(Int16.self)
        case .uint16: return of(UInt16.self)
        case .int32: return of(Int32.self)
        case .uint32: return of(UInt32.self)
        case .int64: return of(Int64.self)
        case .uint64: return of(UInt64.self)
        case .float: return of(CFloat.self)
        case .double: return of(CDouble.self)
        case .pid: return of(pid_t.self)
        case .size: return of(Int.self)
        case .signedSize: return of(Int.self)
        case .offset: return of(off_t.self)
        }
    }

    public var isFloatingPoint: Bool { self == .float || self == .double }

    public var isSigned: Bool {
        switch self {
        case .char: return CChar.isSigned
        case .unsignedChar, .unsignedShort, .unsignedInt, .unsignedLong, .unsignedLongLong,
             .uint8, .uint16, .uint32, .uint64, .size:
            return false
        default: return true
        }
    }

    /// One byte wide: an array of it also takes a string (`buf=hello`).
    public var isCharacter: Bool {
        switch self {
        case .char, .signedChar, .unsignedChar, .int8, .uint8: return true
        default: return false
        }
    }

    /// The smallest and largest value of an integer type. Plain `char` takes -128 to 255 whatever
    /// its signedness: it holds bytes.
    public var range: (min: Int128, max: Int128) {
        if self == .char { return (-128, 255) }
        let bits = size * 8
        if isSigned { return (-(Int128(1) << (bits - 1)), (Int128(1) << (bits - 1)) - 1) }
        return (0, (Int128(1) << bits) - 1)
    }

    /// The spellings C accepts for each type, as words: `unsigned long int`, `signed`, `short int`.
    static let spellings: [(words: [String], type: CScalar)] = {
        var list: [(String, CScalar)] = [
            ("char", .char), ("signed char", .signedChar), ("unsigned char", .unsignedChar),
            ("short", .short), ("short int", .short), ("signed short", .short), ("signed short int", .short),
            ("unsigned short", .unsignedShort), ("unsigned short int", .unsignedShort),
            ("int", .int), ("signed", .int), ("signed int", .int),
            ("unsigned", .unsignedInt), ("unsigned int", .unsignedInt),
            ("long", .long), ("long int", .long), ("signed long", .long), ("signed long int", .long),
            ("unsigned long", .unsignedLong), ("unsigned long int", .unsignedLong),
            ("long long", .longLong), ("long long int", .longLong), ("signed long long", .longLong),
            ("signed long long int", .longLong),
            ("unsigned long long", .unsignedLongLong), ("unsigned long long int", .unsignedLongLong),
            ("float", .float), ("double", .double),
            ("pid_t", .pid), ("size_t", .size), ("ssize_t", .signedSize), ("off_t", .offset),
        ]
        for type in [CScalar.int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64] {
            list.append((type.rawValue, type))
        }
        // Longest first: `unsigned long long int` before `unsigned long`.
        return list.map { (words: $0.0.split(separator: " ").map(String.init), type: $0.1) }
            .sorted { $0.words.count > $1.words.count }
    }()

    /// The type spelt by the first words of `words`, and how many words it took.
    static func parse(_ words: ArraySlice<String>) -> (type: CScalar, words: Int)? {
        for spelling in spellings where spelling.words.count <= words.count {
            if zip(spelling.words, words).allSatisfy({ $0 == $1 }) { return (spelling.type, spelling.words.count) }
        }
        return nil
    }

    /// Every word that can start a type (for completion and "did you mean").
    static var typeWords: [String] {
        Array(Set(spellings.flatMap(\.words))).sorted()
    }
}
