/// A sequence diagram as Mermaid text (`sequenceDiagram`), for docs and slides: a participant
/// per lifeline, `A->>B: label` per message in the order they were taken, a bar
/// (`activate`/`deactivate`) with a note where a process was blocked.
public enum DiagramMermaid {
    public static func render(_ diagram: SequenceDiagram) -> String {
        var lines = ["sequenceDiagram", "    title " + text(diagram.title)]
        for (i, p) in diagram.participants.enumerated() {
            let kind = p.kind == .process ? "" : " (\(p.kind.rawValue))"
            lines.append("    participant \(id(i)) as \(text(p.name + kind))")
        }
        // Statements in row order; within a row, a bar opens before the arrows and closes after them.
        var statements: [(row: Int, order: Int, text: [String])] = []
        for b in diagram.blocks {
            statements.append((b.startRow, 0, ["    activate \(id(b.participant))", "    Note right of \(id(b.participant)): \(text(b.label))"]))
            statements.append((b.endRow, 2, ["    Note right of \(id(b.participant)): \(text(b.release))", "    deactivate \(id(b.participant))"]))
        }
        for m in diagram.messages {
            if let to = m.to {
                let arrow: String
                switch m.style {
                case .data, .memory, .semaphore: arrow = "->>"
                case .signal: arrow = "-)"
                case .fork: arrow = "-->>"
                case .unread: arrow = "-x"
                }
                statements.append((m.receiveRow, 1, ["    \(id(m.from))\(arrow)\(id(to)): \(text(m.label))"]))
            } else {
                statements.append((m.sendRow, 1, ["    Note right of \(id(m.from)): \(text(m.label))"]))
            }
        }
        for note in diagram.notes {
            statements.append((note.row, 1, ["    Note right of \(id(note.participant)): \(text(note.text))"]))
        }
        for (i, p) in diagram.participants.enumerated() {
            if let ending = p.ending { statements.append((p.lastRow, 3, ["    Note over \(id(i)): \(text(ending))"])) }
        }
        let ordered = statements.enumerated().sorted { ($0.element.row, $0.element.order, $0.offset) < ($1.element.row, $1.element.order, $1.offset) }
        for (_, statement) in ordered { lines += statement.text }
        return lines.joined(separator: "\n") + "\n"
    }

    static func id(_ index: Int) -> String { "P\(index)" }

    /// Text Mermaid takes on one line: `#` and `;` (its entity and statement marks), `%` (a
    /// comment's start) and `<`, `>` written as entity codes, control characters dropped.
    public static func text(_ raw: String) -> String {
        var out = ""
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "#": out += "#35;"
            case ";": out += "#59;"
            case "%": out += "#37;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
