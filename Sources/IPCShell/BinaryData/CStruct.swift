import IPCSyntax

/// A C struct declared in the session (`struct shmseg { int cnt; char buf[1024]; }`), laid out as
/// the C compiler lays it out: each member at the next multiple of its alignment, the struct
/// aligned as its most aligned member and its size rounded up to that (trailing padding).
public final class CStruct: Sendable {
    public let name: String
    public let members: [CMember]
    public let size: Int
    public let alignment: Int

    init(name: String, members: [CMember], size: Int, alignment: Int) {
        self.name = name
        self.members = members
        self.size = size
        self.alignment = alignment
    }

    /// The member at a path: `cnt`, `hdr.len`.
    public func member(at path: String) -> (member: CMember, offset: Int)? {
        var current: CStruct = self
        var offset = 0
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            guard let member = current.members.first(where: { $0.name == part }) else { return nil }
            offset += member.offset
            if index == parts.count - 1 { return (member, offset) }
            guard member.count == nil, case .structure(let inner) = member.type else { return nil }
            current = inner
        }
        return nil
    }

    /// Every member path, nested members included (`hdr`, `hdr.len`): completion and hints.
    public var memberPaths: [String] {
        members.flatMap { member -> [String] in
            guard member.count == nil, case .structure(let inner) = member.type else { return [member.name] }
            return [member.name] + inner.memberPaths.map { "\(member.name).\($0)" }
        }
    }

    /// The declaration as C writes it, one line (also what two declarations are compared by).
    public var declaration: String {
        "struct \(name) { " + members.map { $0.declaration + "; " }.joined() + "}"
    }

    /// `shmseg: 1028 bytes, aligned to 4` and one line per member with its offset and size.
    public var layoutLines: [String] {
        func bytes(_ count: Int) -> String { count == 1 ? "1 byte" : "\(count) bytes" }
        var lines = ["struct \(name): \(bytes(size)), aligned to \(alignment)"]
        var end = 0
        for member in members {
            if member.offset > end { lines.append("  (\(bytes(member.offset - end)) of padding)") }
            lines.append("  \(member.offset): \(member.declaration) (\(bytes(member.size)))")
            end = member.offset + member.size
        }
        if size > end { lines.append("  (\(bytes(size - end)) of padding at the end)") }
        return lines
    }
}

/// A member's type: a scalar or a struct declared before.
public enum CMemberType: Sendable {
    case scalar(CScalar)
    case structure(CStruct)

    var size: Int {
        switch self {
        case .scalar(let s): return s.size
        case .structure(let s): return s.size
        }
    }

    var alignment: Int {
        switch self {
        case .scalar(let s): return s.alignment
        case .structure(let s): return s.alignment
        }
    }

    var spelling: String {
        switch self {
        case .scalar(let s): return s.rawValue
        case .structure(let s): return "struct \(s.name)"
        }
    }
}

public struct CMember: Sendable {
    public let name: String
    public let type: CMemberType
    /// The element count of an array member (`buf[1024]`), nil for a single value.
    public let count: Int?
    public let offset: Int

    public var size: Int { type.size * (count ?? 1) }
    var declaration: String { "\(type.spelling) \(name)" + (count.map { "[\($0)]" } ?? "") }
}

/// Reads a `struct NAME { ... }` block: each of its commands is one C declaration
/// (`int cnt`, `char buf[1024]`, `unsigned long a, b`, `struct hdr h`).
enum CStructDeclaration {
    /// The largest struct the shell declares (a segment or a message is far smaller).
    static let maximumSize = 1 << 30

    static func parse(name: String, block: Block, structs: [String: CStruct]) throws(Diagnostic) -> CStruct {
        var members: [CMember] = []
        var offset = 0
        var alignment = 1
        for command in block.commands {
            var words: [String] = []
            for argument in command.arguments {
                guard case .word(let word) = argument, let text = word.literalText else {
                    throw Diagnostic("struct \(name): a member is written as in C, with no $ or { }", at: command.location,
                                     hint: "for example: int cnt; char buf[1024];")
                }
                words.append(text)
            }
            for declared in try declarations(tokens(words.joined(separator: " ")), structName: name, structs: structs,
                                             at: command.location) {
                guard !members.contains(where: { $0.name == declared.name }) else {
                    throw Diagnostic("struct \(name): member \(declared.name) is declared twice", at: command.location)
                }
                offset = (offset + declared.type.alignment - 1) / declared.type.alignment * declared.type.alignment
                let member = CMember(name: declared.name, type: declared.type, count: declared.count, offset: offset)
                guard member.size <= maximumSize - offset else {
                    throw Diagnostic("struct \(name): too large (more than 1 GiB)", at: command.location)
                }
                offset += member.size
                alignment = max(alignment, declared.type.alignment)
                members.append(member)
            }
        }
        guard !members.isEmpty else {
            throw Diagnostic("struct \(name): no members", at: block.location,
                             hint: "declare them as in C: struct \(name) { int cnt; char buf[1024]; }")
        }
        let size = (offset + alignment - 1) / alignment * alignment
        return CStruct(name: name, members: members, size: size, alignment: alignment)
    }

    /// C tokens: names and numbers, and the punctuation `[ ] , *`.
    private static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber || character == "_" {
                current.append(character)
                continue
            }
            if !current.isEmpty { tokens.append(current); current = "" }
            if !character.isWhitespace { tokens.append(String(character)) }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private static func declarations(_ tokens: [String], structName: String, structs: [String: CStruct],
                                     at location: SourceLocation) throws(Diagnostic) -> [(name: String, type: CMemberType, count: Int?)] {
        func fail(_ message: String, hint: String? = "for example: int cnt; char buf[1024]; struct hdr h;") -> Diagnostic {
            Diagnostic("struct \(structName): \(message)", at: location, hint: hint)
        }
        // Qualifiers change nothing in the layout.
        var rest = ArraySlice(tokens.filter { $0 != "const" && $0 != "volatile" })
        let type: CMemberType
        if rest.first == "struct" {
            rest = rest.dropFirst()
            guard let tag = rest.first else { throw fail("struct needs a name") }
            guard let inner = structs[tag] else {
                if tag == structName { throw fail("struct \(tag) cannot contain itself") }
                let known = structs.keys.sorted()
                throw fail("no struct named \(tag) is declared",
                           hint: known.isEmpty ? "declare it first: struct \(tag) { ... }" : "declared: " + known.joined(separator: ", "))
            }
            type = .structure(inner)
            rest = rest.dropFirst()
        } else if let (scalar, used) = CScalar.parse(rest) {
            type = .scalar(scalar)
            rest = rest.dropFirst(used)
        } else {
            let word = rest.first ?? ""
            var hint = "member types: char, short, int, long, long long (signed or unsigned), int8_t .. uint64_t, float, double, pid_t, size_t, ssize_t, off_t, struct NAME"
            if let guess = CommandRegistry.didYouMean(word, among: CScalar.typeWords) { hint = guess + " " + hint }
            throw fail(word.isEmpty ? "a member needs a type and a name" : "unknown type '\(word)'", hint: hint)
        }
        var declared: [(name: String, type: CMemberType, count: Int?)] = []
        while true {
            guard let name = rest.first else { throw fail("a member of type \(type.spelling) needs a name") }
            if name == "*" {
                throw fail("pointers are not supported: an address means nothing in another process",
                           hint: "send the data itself: an array (char buf[64]) or an offset")
            }
            guard let first = name.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII),
                  name.unicodeScalars.allSatisfy({ $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
                throw fail("'\(name)' is not a member name")
            }
            rest = rest.dropFirst()
            var count: Int?
            if rest.first == "[" {
                rest = rest.dropFirst()
                guard let text = rest.first, let n = Literals.integer(text) else {
                    throw fail("the size of \(name)[...] must be a number", hint: "macros are not known here: write the number (char buf[1024])")
                }
                guard n > 0, n <= maximumSize else { throw fail("\(name)[\(text)]: an array holds 1 or more elements") }
                rest = rest.dropFirst()
                guard rest.first == "]" else { throw fail("\(name)[\(text) needs its ]") }
                rest = rest.dropFirst()
                if rest.first == "[" { throw fail("\(name): arrays of arrays are not supported", hint: "declare one array of all the elements") }
                count = n
            }
            declared.append((name, type, count))
            guard let next = rest.first else { return declared }
            guard next == "," else { throw fail("unexpected '\(next)' after \(name)") }
            rest = rest.dropFirst()
        }
    }
}
