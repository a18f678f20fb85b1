import IPCSyntax

/// Encodes a struct from `MEMBER=VALUE` words and decodes one from bytes, in the platform's
/// byte order. Errors name the member and say why; nothing is ever truncated silently.
enum CStructCodec {
    /// A failure, worded for the command that reports it (`write: ...`).
    struct Failure: Error {
        var message: String
        var hint: String?
    }

    // MARK: Encoding

    /// The struct's bytes with `assignments` applied (`cnt=5`, `buf=hello`, `hdr.len=3`,
    /// `data=[1,2,3]`); members not given are zero.
    static func encode(_ layout: CStruct, _ assignments: [(path: String, value: String)]) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: layout.size)
        var given: Set<String> = []
        for (path, value) in assignments {
            guard let (member, offset) = layout.member(at: path) else {
                var hint = "members of \(layout.name): " + layout.memberPaths.joined(separator: ", ")
                if let guess = CommandRegistry.didYouMean(path, among: layout.memberPaths) { hint = guess + " " + hint }
                throw Failure(message: "struct \(layout.name) has no member '\(path)'", hint: hint)
            }
            guard given.insert(path).inserted else {
                throw Failure(message: "\(path) is given twice")
            }
            try encode(member, path: path, value, into: &bytes, at: offset)
        }
        return bytes
    }

    private static func encode(_ member: CMember, path: String, _ value: String, into bytes: inout [UInt8], at offset: Int) throws(Failure) {
        guard case .scalar(let scalar) = member.type else {
            let inner = member.type.spelling
            if let count = member.count {
                // No path reaches an element (hs[0].s is not one): say so rather than suggest hs.s.
                throw Failure(message: "\(path) is an array of \(count) \(inner): write --as cannot set its elements (they are written as zero)",
                              hint: "to set them, declare one member per element (\(inner) \(member.name)0, \(member.name)1;)")
            }
            throw Failure(message: "\(path) is a \(inner): give its members one by one",
                          hint: "for example \(path).\(layoutOf(member)?.members.first?.name ?? "member")=VALUE")
        }
        guard let count = member.count else {
            try store(scalar, parse(scalar, value, path: path), into: &bytes, at: offset)
            return
        }
        // An array: [1, 2, 3], or a string for a character array.
        if value.hasPrefix("["), value.hasSuffix("]"), let elements = list(value) {
            guard elements.count <= count else {
                throw Failure(message: "\(path) has \(count) element\(count == 1 ? "" : "s"); \(elements.count) were given")
            }
            for (index, element) in elements.enumerated() {
                try store(scalar, parse(scalar, element, path: "\(path)[\(index)]"), into: &bytes, at: offset + index * scalar.size)
            }
            return
        }
        guard scalar.isCharacter else {
            throw Failure(message: "\(path) is an array of \(scalar.rawValue): give it as [1, 2, 3]",
                          hint: "\(path) holds \(count) element\(count == 1 ? "" : "s")")
        }
        let text = Array(value.utf8)
        guard text.count <= count else {
            throw Failure(message: "\(path) holds \(count) bytes; the string given is \(text.count)",
                          hint: "shorten it (a C string also needs room for its NUL to be read back as one)")
        }
        for (index, byte) in text.enumerated() { bytes[offset + index] = byte }
    }

    private static func layoutOf(_ member: CMember) -> CStruct? {
        if case .structure(let s) = member.type { return s }
        return nil
    }

    /// `[1, 2, 3]` → ["1", "2", "3"]; `[]` → [].
    private static func list(_ text: String) -> [String]? {
        let inner = text.dropFirst().dropLast().trimmingWhitespace
        if inner.isEmpty { return [] }
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace) }
        return parts.contains(where: \.isEmpty) ? nil : parts
    }

    enum Number {
        case integer(Int128)
        case floating(Double)
    }

    private static func parse(_ scalar: CScalar, _ text: String, path: String) throws(Failure) -> Number {
        if scalar.isFloatingPoint {
            guard let value = Double(text), value.isFinite || text.lowercased().contains("inf") || text.lowercased().contains("nan") else {
                throw Failure(message: "\(path) is a \(scalar.rawValue): '\(text)' is not a number")
            }
            // Rounded to the nearest float as C rounds a constant: 3.4028235e38, the way FLT_MAX prints,
            // is FLT_MAX; only a value that rounds to infinity does not fit.
            if scalar == .float, value.isFinite, Float(value).isInfinite {
                throw Failure(message: "\(path) = \(text) does not fit a float (at most \(Float.greatestFiniteMagnitude))")
            }
            return .floating(value)
        }
        guard let value = integer(text) else {
            var hint = "decimal (-12), hex (0x1f) or a character in quotes the shell keeps (\"'A'\")"
            if text.count == 1 {
                // c='A' reaches here as A: the shell took the quotes away.
                hint = "for the code of the character \(text), keep its quotes from the shell: \(path)=\"'\(text)'\""
            }
            throw Failure(message: "\(path) is \(article(scalar)) \(scalar.rawValue): '\(text)' is not a whole number", hint: hint)
        }
        let (low, high) = scalar.range
        guard value >= low, value <= high else {
            throw Failure(message: "\(path) = \(text) does not fit \(article(scalar)) \(scalar.rawValue) (\(low) to \(high))")
        }
        return .integer(value)
    }

    private static func article(_ scalar: CScalar) -> String {
        // uint8_t is said "you-int": a uint8_t, but an unsigned int, an int8_t.
        if scalar.rawValue.hasPrefix("uint") { return "a" }
        let first = scalar.rawValue.first ?? "x"
        return "aeiou".contains(first) ? "an" : "a"
    }

    /// `12`, `-12`, `0x1f`, `-0x1f`, `0o17`, `'A'`, `'\n'`: as wide as any member needs.
    static func integer(_ text: String) -> Int128? {
        let scalars = Array(text.unicodeScalars)
        if scalars.count >= 3, scalars.first == "'", scalars.last == "'" {
            let inside = Array(scalars[1..<(scalars.count - 1)])
            if inside.count == 1, inside[0].isASCII { return Int128(inside[0].value) }
            if inside.count == 2, inside[0] == "\\" {
                switch inside[1] {
                case "n": return 10
                case "t": return 9
                case "r": return 13
                case "0": return 0
                case "\\": return 92
                case "'": return 39
                default: return nil
                }
            }
            return nil
        }
        var rest = Substring(text)
        var negative = false
        if rest.hasPrefix("-") { negative = true; rest = rest.dropFirst() } else if rest.hasPrefix("+") { rest = rest.dropFirst() }
        var radix = 10
        if rest.hasPrefix("0x") || rest.hasPrefix("0X") { radix = 16; rest = rest.dropFirst(2) }
        else if rest.hasPrefix("0o") { radix = 8; rest = rest.dropFirst(2) }
        else if rest.hasPrefix("0b") { radix = 2; rest = rest.dropFirst(2) }
        guard !rest.isEmpty, rest.count <= 40, let magnitude = UInt128(String(rest.filter { $0 != "_" }), radix: radix),
              magnitude <= UInt128(Int128.max) else { return nil }
        return negative ? -Int128(magnitude) : Int128(magnitude)
    }

    private static func store(_ scalar: CScalar, _ number: Number, into bytes: inout [UInt8], at offset: Int) {
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress! + offset
            switch number {
            case .floating(let value):
                if scalar == .float { base.storeBytes(of: Float(value), as: Float.self) } else { base.storeBytes(of: value, as: Double.self) }
            case .integer(let value):
                // Two's complement, low byte first (the platform's order: little-endian here).
                var bits = UInt128(truncatingIfNeeded: value)
                for i in 0..<scalar.size {
                    (base + i).storeBytes(of: UInt8(truncatingIfNeeded: bits), as: UInt8.self)
                    bits >>= 8
                }
            }
        }
    }

    // MARK: Decoding

    /// `{ cnt = 5, buf = "hello" }` and each member as a field: `cnt` → `5`, `buf` → `hello`,
    /// `hdr.len` → `3`, `data` → `[1, 2, 3]`.
    static func decode(_ layout: CStruct, _ bytes: UnsafeRawBufferPointer) -> (text: String, fields: [(String, String)]) {
        var fields: [(String, String)] = []
        let text = decode(layout, bytes, at: 0, prefix: "", fields: &fields)
        return (text, fields)
    }

    private static func decode(_ layout: CStruct, _ bytes: UnsafeRawBufferPointer, at base: Int, prefix: String,
                               fields: inout [(String, String)]) -> String {
        var parts: [String] = []
        for member in layout.members {
            let path = prefix + member.name
            let offset = base + member.offset
            let shown: String, field: String
            switch member.type {
            case .structure(let inner):
                if let count = member.count {
                    var elements: [String] = []
                    for index in 0..<count {
                        var ignored: [(String, String)] = []
                        elements.append(decode(inner, bytes, at: offset + index * inner.size, prefix: "", fields: &ignored))
                    }
                    shown = "[" + elements.joined(separator: ", ") + "]"
                } else {
                    shown = decode(inner, bytes, at: offset, prefix: path + ".", fields: &fields)
                }
                field = shown
            case .scalar(let scalar):
                if let count = member.count {
                    if scalar == .char {
                        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
                        let end = slice.firstIndex(of: 0) ?? count
                        let text = Escaping.escaped(slice[0..<end])
                        shown = "\"" + String(String(decoding: text, as: UTF8.self).flatMap { $0 == "\"" ? ["\\", "\""] : [$0] }) + "\""
                        field = String(decoding: text, as: UTF8.self)
                    } else {
                        shown = "[" + (0..<count).map { load(scalar, bytes, at: offset + $0 * scalar.size) }.joined(separator: ", ") + "]"
                        field = shown
                    }
                } else {
                    shown = load(scalar, bytes, at: offset)
                    field = shown
                }
            }
            parts.append("\(member.name) = \(shown)")
            fields.append((path, field))
        }
        return "{ " + parts.joined(separator: ", ") + " }"
    }

    private static func load(_ scalar: CScalar, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        let base = bytes.baseAddress! + offset
        switch scalar {
        case .float: return String(describing: base.loadUnaligned(as: Float.self))
        case .double: return String(describing: base.loadUnaligned(as: Double.self))
        default:
            var bits: UInt128 = 0
            for i in (0..<scalar.size).reversed() { bits = bits << 8 | UInt128(bytes[offset + i]) }
            let width = scalar.size * 8
            let signed = scalar.isSigned
            if signed, width < 128, bits >> (width - 1) & 1 == 1 {
                return String(Int128(bitPattern: bits | ~((UInt128(1) << width) - 1)))
            }
            return String(bits)
        }
    }
}

extension StringProtocol {
    var trimmingWhitespace: Substring {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
