/// An error or warning with the place it points at, printed `file:line:col: error: message`.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    /// A second line that helps: the usage of the command, or what to type instead.
    public var hint: String?
    /// The input ended inside a quote or block: an interactive shell asks for more.
    public var isIncomplete: Bool

    public init(_ message: String, at location: SourceLocation? = nil, hint: String? = nil,
                severity: Severity = .error, isIncomplete: Bool = false) {
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
        self.isIncomplete = isIncomplete
    }

    public var description: String { render(withLocation: true) }

    /// `file:line:col: error: message` (or `error: message` without location), then the hint.
    public func render(withLocation: Bool) -> String {
        var text = ""
        if withLocation, let location { text += "\(location): " }
        text += "\(severity.rawValue): \(message)"
        if let hint { text += "\n  " + hint }
        return text
    }
}
