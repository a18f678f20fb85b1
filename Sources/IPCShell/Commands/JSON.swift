@preconcurrency import Glibc
import IPCSyntax
/// A small JSON value with a strict parser and a compact serializer: JSON-RPC 2.0 and every
/// command's `--json`, one implementation for both.
///
/// Why not FoundationEssentials' JSONEncoder/JSONDecoder (issue 17.4, measured): they would
/// cost nothing at start-up (ArgumentParser already links FoundationEssentials into the static
/// binary; +5 KB, start-up ratio 1.01 over 15 runs), but a Codable number is a Double or Decimal,
/// not its text: a server would answer an id of 1.0 with 1, 1E2 with 100, and refuse 1e300, and
/// JSONEncoder writes an object's members in no set order (`bench --json` keeps the C benchmark's).
/// Three RPC tests fail with them; this keeps them.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number as its text, exactly as it came (checked against the JSON grammar): a server
    /// echoes an id like 123456789012345678901234567890 byte for byte, where a Double would send
    /// back 1.2345678901234568e+29. Two numbers are equal when their texts are (1 is not 1.0).
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A number from an integer.
    public static func integer(_ value: Int) -> JSON { .number(String(value)) }

    /// A field shown as text (`status`'s), typed for `--json`: a whole number as a number,
    /// `yes`/`no` as a boolean, `-` (nothing) as null, anything else as a string.
    public static func typed(_ text: String) -> JSON {
        if text == "-" || text.isEmpty { return .null }
        if text == "yes" { return .bool(true) }
        if text == "no" { return .bool(false) }
        if let n = Int(text), String(n) == text { return .integer(n) }
        return .string(text)
    }

    /// The JSON of a handle: its name, kind and every field, typed. A descriptor field (`fd`,
    /// a pipe's `r` and `w`) reads `closed` once closed: null, so the field is a number or null.
    static func handle(_ handle: any Handle) -> JSON {
        .object([("name", .string(handle.name)), ("kind", .string(handle.kind.rawValue))]
                + handle.jsonFields.map { ($0.name, $0.name != "state" && $0.value == "closed" ? .null : typed($0.value)) })
    }

    /// A time from the kernel (seconds since 1970, 0 for never) as ISO 8601 in UTC,
    /// `2025-03-01T14:05:09Z`, or null for never.
    static func time(_ seconds: Int) -> JSON {
        guard seconds > 0 else { return .null }
        var t = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { return .null }
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return .string(String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// A string, or null when there is none.
    static func optional(_ text: String?) -> JSON { text.map(JSON.string) ?? .null }

    /// `--json` output as a command's value (printed, or bound).
    var result: CommandResult { .value(Array(serialized.utf8)) }

    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    public struct ParseError: Error, Equatable {
        public var message: String
        public var offset: Int
    }

    /// Parses one JSON text (surrounding whitespace allowed). Depth is limited to 64.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSON {
        var parser = JSONParser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw ParseError(message: "unexpected data after the value", offset: parser.index) }
        return value
    }

    public static func parse(_ text: String) throws(ParseError) -> JSON { try parse(Array(text.utf8)) }

    /// Compact JSON text.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text): out += text
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.quote(key, into: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    func fail(_ message: String) -> JSON.ParseError { JSON.ParseError(message: message, offset: index) }

    mutating func value(depth: Int) throws(JSON.ParseError) -> JSON {
        guard depth < 64 else { throw fail("nested too deeply") }
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(String, JSON)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [JSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try number()
        }
    }

    mutating func literal(_ word: String, _ value: JSON) throws(JSON.ParseError) -> JSON {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<(index + w.count)]) == w else { throw fail("invalid literal") }
        index += w.count
        return value
    }

    mutating func number() throws(JSON.ParseError) -> JSON {
        // The JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (Double(String) would also take +1, 01, .5, 1.)
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - from
        }
        func at(_ c: Character) -> Bool { index < bytes.count && bytes[index] == UInt8(ascii: c.unicodeScalars.first!) }
        var valid = true
        if at("-") { index += 1 }
        if at("0") { index += 1 } else { valid = digits() > 0 }
        if valid, at(".") { index += 1; valid = digits() > 0 }
        if valid, at("e") || at("E") {
            index += 1
            if at("+") || at("-") { index += 1 }
            valid = digits() > 0
        }
        if valid, index < bytes.count, Array("+-0123456789.eE".utf8).contains(bytes[index]) { valid = false }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // The text is what is kept; a number no Double can hold (1e999) is still refused, as before.
        guard valid, let value = Double(text), value.isFinite else {
            index = start
            throw fail("invalid value")
        }
        return .number(text)
    }

    mutating func string() throws(JSON.ParseError) -> String {
        index += 1 // opening quote
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw fail("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(scalar).utf8))
                default:
                    throw fail("invalid escape")
                }
            default:
                guard c >= 0x20 else { throw fail("control character in string") }
                out.append(c)
            }
        }
    }

    mutating func hex4() throws(JSON.ParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Lexer.hexValue(bytes[index]) else { throw fail("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
