@preconcurrency import Glibc
import IPCSys
import IPCSyntax

/// IPC keys as the language writes them: `3306`, `0xcea`, `private`, `ftok:PATH:ID`.
public enum IPCKey {
    /// The key's number; for `ftok:PATH:ID`, computed from the file now (`ftok`).
    public static func parse(_ text: String, what: String, at location: SourceLocation?) throws(Diagnostic) -> Int32 {
        switch try parseWritten(text, what: what, at: location) {
        case .ftokKey(let path, let id): return try fromFile(path: path, id: id, what: what, at: location)
        case .key(let key): return key
        default: preconditionFailure("parseWritten gives a key")
        }
    }

    /// Checks how a key is written, without a system call: `.key(N)`, or `.ftokKey(PATH, ID)`
    /// whose number `ftok` gives when the command runs (binding never touches the file).
    static func parseWritten(_ text: String, what: String, at location: SourceLocation?) throws(Diagnostic) -> ArgumentValue {
        if text == "private" || text == "IPC_PRIVATE" { return .key(IPC_PRIVATE) }
        if text.hasPrefix("ftok:") {
            let rest = text.dropFirst(5)
            guard let colon = rest.lastIndex(of: ":") else {
                throw Diagnostic("\(what) '\(text)' needs an id: ftok:PATH:ID", at: location)
            }
            let path = String(rest[..<colon])
            guard let id = Literals.integer(String(rest[rest.index(after: colon)...])), (1...255).contains(id) else {
                throw Diagnostic("\(what): the ftok id in '\(text)' must be 1 to 255", at: location)
            }
            guard !path.isEmpty else { throw Diagnostic("\(what): '\(text)' has no path", at: location) }
            return .ftokKey(path: path, id: Int32(id))
        }
        guard let n = Literals.integer(text) else {
            throw Diagnostic("\(what) '\(Escaping.display(Array(text.utf8)))' is not a key",
                             at: location, hint: "a key is decimal (3306), hex (0xcea), private, or ftok:PATH:ID")
        }
        guard n >= 0, n <= Int(UInt32.max) else {
            throw Diagnostic("\(what) \(text) is out of range", at: location,
                             hint: "keys are 32-bit: 0 to 4294967295 (0xffffffff)")
        }
        return .key(Int32(bitPattern: UInt32(n)))
    }

    /// `ftok(PATH, ID)`: the key made of the file's inode and the id.
    static func fromFile(path: String, id: Int32, what: String, at location: SourceLocation?) throws(Diagnostic) -> Int32 {
        do throws(SystemCallError) {
            return try SystemVKey.fromPath(path, id: id)
        } catch {
            throw Diagnostic("\(what): \(error) for \(path)", at: location,
                             hint: "ftok needs an existing file; its inode and the id make the key")
        }
    }
}
