/// Shows bytes as text: printable ASCII and valid UTF-8 as they are, everything else as `\xHH`.
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

    /// Appends `escaped(bytes)` to `result` (whose storage can then be reused).
    public static func escape(_ bytes: Slice<UnsafeRawBufferPointer>, into result: inout [UInt8]) {
        let buffer = UnsafeRawBufferPointer(rebasing: bytes)
        for b in buffer where b < 0x20 || b >= 0x7F {
            result += escaped(Array(buffer))
            return
        }
        result.append(contentsOf: buffer)
    }

    /// Escaped bytes (for output without a round trip through String).
    public static func escaped(_ bytes: some Collection<UInt8>) -> [UInt8] {
        // Fast path: plain printable ASCII.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        let array = Array(bytes)
        var i = 0
        while i < array.count {
            let b = array[i]
            if b >= 0x20 && b < 0x7F {
                out.append(b)
                i += 1
                continue
            }
            if b == 0x09 { out.append(contentsOf: Array("\\t".utf8)); i += 1; continue }
            if b == 0x0A { out.append(contentsOf: Array("\\n".utf8)); i += 1; continue }
            if b >= 0xC2, let length = utf8SequenceLength(array, at: i) {
                out.append(contentsOf: array[i..<(i + length)])
                i += length
                continue
            }
            out.append(contentsOf: Array("\\x".utf8))
            out.append(hexDigit(b >> 4))
            out.append(hexDigit(b & 0xF))
            i += 1
        }
        return out
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    /// Length of a valid multi-byte UTF-8 sequence starting at `i`, or nil.
    private static func utf8SequenceLength(_ bytes: [UInt8], at i: Int) -> Int? {
        let b = bytes[i]
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard b <= 0xF4, i + length <= bytes.count else { return nil }
        let slice = bytes[i..<(i + length)]
        var decoder = UTF8()
        var iterator = slice.makeIterator()
        if case .scalarValue = decoder.decode(&iterator) { return length }
        return nil
    }
}
