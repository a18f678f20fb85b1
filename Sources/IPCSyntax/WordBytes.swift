/// The bytes of a word, as the lexer found them or as an expansion made them.
///
/// Like a small `String`, up to 15 bytes are kept inline: almost every word of a script
/// (command names, handle names, numbers, sizes, short data) costs no allocation, and copying
/// one costs no reference counting. Longer words are kept in an array. Unlike `String`, the
/// bytes need not be UTF-8 (`"\xff"` is one byte).
///
/// The form is canonical (15 bytes or fewer are always inline), so equal bytes are equal values.
public struct WordBytes: Sendable, Hashable, RandomAccessCollection, CustomDebugStringConvertible {
    @usableFromInline
    enum Storage: Sendable, Hashable {
        /// Bytes 0-7 in `low`, bytes 8-14 in the low seven bytes of `high` (least significant
        /// first), the count in the top byte of `high`.
        case inline(low: UInt64, high: UInt64)
        case array([UInt8])
    }

    @usableFromInline var storage: Storage

    /// The most bytes kept inline.
    public static let inlineCapacity = 15

    public init() { storage = .inline(low: 0, high: 0) }

    public init(_ array: [UInt8]) {
        if array.count <= WordBytes.inlineCapacity {
            storage = array.withUnsafeBufferPointer { WordBytes.pack($0) }
        } else {
            storage = .array(array)
        }
    }

    public init(_ slice: ArraySlice<UInt8>) {
        if slice.count <= WordBytes.inlineCapacity {
            storage = slice.withUnsafeBufferPointer { WordBytes.pack($0) }
        } else {
            storage = .array(Array(slice))
        }
    }

    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { buffer in
            buffer.count <= WordBytes.inlineCapacity ? WordBytes(packed: WordBytes.pack(buffer)) : WordBytes(Array(buffer))
        }
    }

    /// The bytes at `buffer`, copied (inline when short).
    public init(_ buffer: UnsafeBufferPointer<UInt8>) {
        storage = buffer.count <= WordBytes.inlineCapacity ? WordBytes.pack(buffer) : .array(Array(buffer))
    }

    init(packed: Storage) { storage = packed }

    /// The array that holds long bytes (nil for inline ones): a caller that replaces this value
    /// can reuse its storage once nothing else holds it.
    public var heldArray: [UInt8]? {
        if case .array(let array) = storage { return array }
        return nil
    }

    /// The bytes at `buffer[range]` (the lexer's words: no slice, so no reference counting).
    /// Inlined into the lexer's scan: a call for every word was ~50 instructions (callgrind).
    @inline(__always)
    init(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "WordBytes range out of bounds")
        let count = range.count
        guard count <= WordBytes.inlineCapacity else {
            storage = .array(Array(UnsafeBufferPointer(rebasing: buffer[range])))
            return
        }
        guard range.lowerBound + 16 <= buffer.count, let base = buffer.baseAddress else {
            storage = WordBytes.pack(UnsafeBufferPointer(rebasing: buffer[range]))
            return
        }
        // Sixteen bytes are there to read (a word inside a script): two loads and masks, rather
        // than a copy byte by byte that the loads after it then wait for.
        let start = UnsafeRawPointer(base + range.lowerBound)
        let low = UInt64(littleEndian: start.loadUnaligned(as: UInt64.self))
        let high = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        storage = count <= 8
            ? .inline(low: low & WordBytes.lowBytesMask(count), high: UInt64(count) << 56)
            : .inline(low: low, high: high & WordBytes.lowBytesMask(count - 8) | UInt64(count) << 56)
    }

    /// The low `count` bytes of a 64-bit word set (0 to 8).
    @inline(__always)
    static func lowBytesMask(_ count: Int) -> UInt64 {
        count >= 8 ? ~0 : (1 << UInt64(8 * count)) &- 1
    }

    static func pack(_ buffer: UnsafeBufferPointer<UInt8>) -> Storage {
        var words: (UInt64, UInt64) = (0, 0)
        if let base = buffer.baseAddress {
            withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: buffer.count) }
        }
        return .inline(low: UInt64(littleEndian: words.0),
                       high: UInt64(littleEndian: words.1) | UInt64(buffer.count) << 56)
    }

    // MARK: Collection

    // Inlinable, as the bytes are read one at a time from other modules (binding, a read's
    // trailing NULs): a call for each was most of the cost of reading one.
    @inlinable public var startIndex: Int { 0 }

    @inlinable public var endIndex: Int { count }

    @inlinable public var count: Int {
        switch storage {
        case .inline(_, let high): return Int(truncatingIfNeeded: high >> 56)
        case .array(let array): return array.count
        }
    }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        switch storage {
        case .inline(let low, let high):
            precondition(position >= 0 && position < Int(truncatingIfNeeded: high >> 56), "WordBytes index out of range")
            return position < 8 ? UInt8(truncatingIfNeeded: low >> UInt64(8 * position))
                                : UInt8(truncatingIfNeeded: high >> UInt64(8 * (position - 8)))
        case .array(let array):
            return array[position]
        }
    }

    /// More than two bytes starting `--`: an option, when the word was not quoted (`--at`; `--`
    /// alone is data). One call rather than three subscripts from another module.
    public var looksLikeOption: Bool {
        switch storage {
        case .inline(let low, let high):
            return high >> 56 > 2 && low & 0xFFFF == 0x2D2D
        case .array(let array):
            return array.count > 2 && array[0] == 0x2D && array[1] == 0x2D
        }
    }

    /// `NAME.E`: a dot before the last byte, as in a descriptor's end (`p.r`, `s.a`).
    public var namesAnEnd: Bool {
        switch storage {
        case .inline(let low, let high):
            let count = Int(truncatingIfNeeded: high >> 56)
            guard count >= 2 else { return false }
            let position = count - 2
            let byte = position < 8 ? UInt8(truncatingIfNeeded: low >> UInt64(8 * position))
                                    : UInt8(truncatingIfNeeded: high >> UInt64(8 * (position - 8)))
            return byte == UInt8(ascii: ".")
        case .array(let array):
            return array.count >= 2 && array[array.count - 2] == UInt8(ascii: ".")
        }
    }

    /// Every byte printable ASCII (0x20 to 0x7E), what `Escaping` shows as it is. Inline bytes
    /// are tested eight at a time (a byte-by-byte scan was ~100 instructions per `read`).
    public var isPrintableASCII: Bool {
        switch storage {
        case .inline(let low, let high):
            let count = Int(truncatingIfNeeded: high >> 56)
            // Bytes past the end (and the count) read as 'A', which passes.
            let filler: UInt64 = 0x4141_4141_4141_4141
            let lowValid = WordBytes.lowBytesMask(Swift.min(count, 8))
            let highValid = count > 8 ? WordBytes.lowBytesMask(count - 8) : 0
            return WordBytes.allPrintable(low & lowValid | filler & ~lowValid)
                && WordBytes.allPrintable(high & highValid | filler & ~highValid)
        case .array(let array):
            return array.withUnsafeBufferPointer { !$0.contains { $0 < 0x20 || $0 >= 0x7F } }
        }
    }

    /// Whether each of the eight bytes of `x` is 0x20 to 0x7E. No borrow or carry crosses a
    /// byte: the top bits are set before the subtraction and cleared before the addition.
    @inline(__always)
    static func allPrintable(_ x: UInt64) -> Bool {
        let top: UInt64 = 0x8080_8080_8080_8080
        let nonASCII = x & top
        let below20 = ~((x | top) &- 0x2020_2020_2020_2020) & top
        let is7F = ((x & ~top) &+ 0x0101_0101_0101_0101) & top
        return nonASCII | below20 | is7F == 0
    }

    public func contains(_ byte: UInt8) -> Bool {
        withUnsafeBufferPointer { $0.contains(byte) }
    }

    public func firstIndex(of byte: UInt8) -> Int? {
        withUnsafeBufferPointer { $0.firstIndex(of: byte) }
    }

    /// The bytes before and after the last `byte` (`pipe1.r` at `.`: `pipe1` and `r`), or nil
    /// when there is none. No allocation when the word is inline.
    public func split(atLast byte: UInt8) -> (before: WordBytes, after: WordBytes)? {
        if case .inline(let low, let high) = storage {
            // In registers: the bytes as one 120-bit number, cut by masks and a shift (a copy
            // to memory and back cost two memcpy calls for every `pipe1.r` named: callgrind).
            let count = Int(truncatingIfNeeded: high >> 56)
            let value = UInt128(high & WordBytes.lowBytesMask(7)) << 64 | UInt128(low)
            var i = count - 1
            while i >= 0 && UInt8(truncatingIfNeeded: value >> UInt128(8 * i)) != byte { i -= 1 }
            guard i >= 0 else { return nil }
            let before = value & ((1 << UInt128(8 * i)) &- 1)
            let after = value >> UInt128(8 * (i + 1))
            return (WordBytes(packed: .inline(low: UInt64(truncatingIfNeeded: before),
                                              high: UInt64(truncatingIfNeeded: before >> 64) | UInt64(i) << 56)),
                    WordBytes(packed: .inline(low: UInt64(truncatingIfNeeded: after),
                                              high: UInt64(truncatingIfNeeded: after >> 64) | UInt64(count - i - 1) << 56)))
        }
        return withUnsafeBufferPointer { buffer in
            guard let i = buffer.lastIndex(of: byte) else { return nil }
            let before = UnsafeBufferPointer(rebasing: buffer[..<i]), after = UnsafeBufferPointer(rebasing: buffer[(i + 1)...])
            return (before.count <= WordBytes.inlineCapacity ? WordBytes(packed: WordBytes.pack(before)) : WordBytes(Array(before)),
                    after.count <= WordBytes.inlineCapacity ? WordBytes(packed: WordBytes.pack(after)) : WordBytes(Array(after)))
        }
    }

    // MARK: Views

    /// The bytes, contiguous, for the duration of `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch storage {
        case .inline(let low, let high):
            var words = (low.littleEndian, high.littleEndian)
            let count = Int(truncatingIfNeeded: high >> 56)
            return try withUnsafeBytes(of: &words) { raw in
                try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
            }
        case .array(let array):
            return try array.withUnsafeBufferPointer(body)
        }
    }

    /// The bytes as an array (allocates for inline bytes).
    public var array: [UInt8] {
        switch storage {
        case .inline: return withUnsafeBufferPointer { Array($0) }
        case .array(let array): return array
        }
    }

    /// The bytes decoded as UTF-8 (invalid sequences repaired). No allocation for inline bytes.
    public var string: String {
        withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }

    public var debugDescription: String { "WordBytes(\(array))" }
}
