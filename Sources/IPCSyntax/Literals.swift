/// Numbers, sizes, durations and keys as the language writes them (docs/language.md, "Lexical rules" and the command reference).
/// Every parser returns nil on anything it does not accept, including overflow: callers
/// turn that into a message naming the argument. Nothing here can trap.
public enum Literals {
    /// Decimal, `0x` hex, `0o` or leading-`0` octal; an optional leading `-`.
    public static func integer(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("-") {
            negative = true
            body = body.dropFirst()
        } else if body.hasPrefix("+") {
            body = body.dropFirst()
        }
        guard !body.isEmpty, !body.hasPrefix("-"), !body.hasPrefix("+") else { return nil }
        var radix = 10
        if body.hasPrefix("0x") || body.hasPrefix("0X") {
            radix = 16
            body = body.dropFirst(2)
        } else if body.hasPrefix("0o") || body.hasPrefix("0O") {
            radix = 8
            body = body.dropFirst(2)
        } else if body.count > 1 && body.hasPrefix("0") {
            radix = 8
            body = body.dropFirst()
        }
        guard !body.isEmpty, body.allSatisfy({ $0 != "_" }) else { return nil }
        guard let magnitude = UInt(body, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt(Int.max) + 1 else { return nil }
            return magnitude == UInt(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        return Int(exactly: magnitude)
    }

    /// A byte count: a non-negative integer with an optional `k`/`K`/`KiB` (1024) or
    /// `M`/`MiB` (1024²) or `G`/`GiB` suffix. (`KB` and `MB` are accepted as the same.)
    public static func size(_ text: String) -> Int? {
        let suffixes: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
            ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
            ("k", 1 << 10), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30),
        ]
        var multiplier = 1
        var body = Substring(text)
        for (suffix, value) in suffixes where body.hasSuffix(suffix) {
            multiplier = value
            body = body.dropLast(suffix.count)
            break
        }
        guard let n = integer(String(body)), n >= 0 else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// A duration in milliseconds: `500ms`, `2s`, `1.5s`, `1m`; a bare number is seconds.
    /// At most a day, so that no arithmetic on it can overflow.
    public static func durationMilliseconds(_ text: String) -> Int? {
        var body = Substring(text)
        var scale = 1000.0
        if body.hasSuffix("ms") {
            scale = 1
            body = body.dropLast(2)
        } else if body.hasSuffix("s") {
            body = body.dropLast()
        } else if body.hasSuffix("m") {
            scale = 60_000
            body = body.dropLast()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              body.filter({ $0 == "." }).count <= 1, body != ".",
              let value = Double(body), value.isFinite, value >= 0 else { return nil }
        let ms = value * scale
        guard ms <= 86_400_000 else { return nil }
        return Int(ms.rounded())
    }

    /// A file mode: octal, at most `0777`.
    public static func mode(_ text: String) -> Int? {
        // Modes are octal even without a leading 0 (`600`), as chmod takes them.
        let body = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard !body.isEmpty, let n = Int(body, radix: 8), n >= 0, n <= 0o777 else { return nil }
        return n
    }
}
