/// Shows bytes as text: printable ASCII and valid UTF-8 as they are (but the C1 controls,
/// U+0080...U+009F), everything else as `\xHH`.
public enum Escaping {
    public static func display(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: escaped(bytes), as: UTF8.self)
    }

    /// Escaped bytes of memory (a segment's C string): printable ASCII is copied in one go.
    public static func escaped(_ bytes: Slice<UnsafeRawBufferPointer>) -> [UInt8] {
        var result: [UInt8] = []
        escape(bytes, into: &result)
        return result
    }

    /// Appends `escaped(bytes)` to `result` (whose storage can then be reused). The room needed
    /// is counted first, so a large region costs its escaped size once, not copies and doublings.
    public static func escape(_ bytes: Slice<UnsafeRawBufferPointer>, into result: inout [UInt8]) {
        let buffer = UnsafeRawBufferPointer(rebasing: bytes)
        if !buffer.contains(where: { $0 < 0x20 || $0 >= 0x7F }) {
            result.append(contentsOf: buffer)
            return
        }
        var needed = 0
        walk(buffer, plain: { needed += $0.count }, special: { needed += $0 == 0x09 || $0 == 0x0A ? 2 : 4 })
        result.reserveCapacity(result.count + needed)
        escape(buffer, into: &result, every: Int.max) { _ in }
    }

    /// Escapes `bytes` into `out`, handing `out` to `flush` (which empties it) whenever it holds
    /// `every` bytes or more: a large region is shown piece by piece in bounded memory.
    public static func escape(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8], every: Int,
                              flush: (inout [UInt8]) -> Void) {
        walk(bytes, plain: { range in
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
            if out.count >= every { flush(&out) }
        }, special: { byte in
            switch byte {
            case 0x09: out.append(contentsOf: [0x5C, 0x74]) // \t
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E]) // \n
            default: out.append(contentsOf: [0x5C, 0x78, hexDigit(byte >> 4), hexDigit(byte & 0xF)])
            }
            if out.count >= every { flush(&out) }
        })
    }

    /// Escaped bytes (for output without a round trip through String).
    /// `escaped` of an array: the same array when it is plain printable ASCII (a `read` of a
    /// line of text makes no second copy of it).
    public static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.withUnsafeBufferPointer({ !$0.contains(where: { $0 < 0x20 || $0 >= 0x7F }) }) { return bytes }
        var out: [UInt8] = []
        bytes.withUnsafeBytes { escape($0[...], into: &out) }
        return out
    }

    /// `escaped` of a word: the same word when it is plain printable ASCII (a short `read`
    /// stays inline, with no array made for it).
    public static func escaped(_ word: WordBytes) -> WordBytes {
        if word.isPrintableASCII { return word }
        var out: [UInt8] = []
        word.withUnsafeBufferPointer { escape(UnsafeRawBufferPointer($0)[...], into: &out) }
        return WordBytes(out)
    }

    public static func escaped(_ bytes: some Collection<UInt8>) -> [UInt8] {
        // Fast path: plain printable ASCII.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return Array(bytes) }
        let array = Array(bytes)
        var out: [UInt8] = []
        array.withUnsafeBytes { escape($0[...], into: &out) }
        return out
    }

    /// Walks `bytes`: runs to copy as they are (printable ASCII, valid UTF-8) go to `plain`, each
    /// byte to escape to `special`.
    private static func walk(_ bytes: UnsafeRawBufferPointer, plain: (Range<Int>) -> Void, special: (UInt8) -> Void) {
        var i = 0
        var runStart = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7F {
                i += 1
                continue
            }
            // U+0080...U+009F (C2 80...C2 9F) are the C1 controls: a terminal may take U+009B as
            // CSI and run what follows as an escape sequence, so they are shown as bytes.
            let isC1 = b == 0xC2 && i + 1 < bytes.count && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9F
            if b >= 0xC2, !isC1, let length = utf8SequenceLength(bytes, at: i) {
                i += length
                continue
            }
            if runStart < i { plain(runStart..<i) }
            special(b)
            i += 1
            runStart = i
        }
        if runStart < i { plain(runStart..<i) }
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    /// Length of a valid multi-byte UTF-8 sequence starting at `i`, or nil.
    private static func utf8SequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int? {
        let b = bytes[i]
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard b <= 0xF4, i + length <= bytes.count else { return nil }
        var decoder = UTF8()
        var iterator = bytes[i..<(i + length)].makeIterator()
        if case .scalarValue = decoder.decode(&iterator) { return length }
        return nil
    }
}
