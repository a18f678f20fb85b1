/// A sequence diagram as a self-contained SVG (no fonts, scripts or images from elsewhere):
/// a title, a box per participant over its lifeline, time running down, an arrow with its
/// label per message, a red bar where a process was blocked with what released it, and a legend.
public enum DiagramSVG {
    static let rowHeight = 30.0
    static let top = 96.0
    static let margin = 24.0
    static let boxHeight = 40.0

    static let colors: [SequenceDiagram.Message.Style: String] = [
        .data: "#1f4e99", .signal: "#c0392b", .memory: "#1e8449", .semaphore: "#7d3c98", .fork: "#777777", .unread: "#1f4e99",
    ]

    /// An estimate of a text's width at 12px in a sans-serif font.
    static func textWidth(_ text: String, size: Double = 12) -> Double { Double(text.count) * size * 0.6 }

    public static func render(_ diagram: SequenceDiagram) -> String {
        let n = max(1, diagram.participants.count)
        // Columns wide enough for the widest label between two neighbours (and for the names).
        var gaps = [Double](repeating: 150, count: max(1, n))
        for m in diagram.messages {
            guard let to = m.to ?? (m.from + 1 < n ? m.from + 1 : nil) else { continue }
            let span = Double(max(1, abs(to - m.from)))
            let gap = min(m.from, to)
            let needed = (textWidth(m.label) + 24) / span
            if gap < gaps.count { gaps[gap] = max(gaps[gap], needed) }
        }
        for (i, p) in diagram.participants.enumerated() {
            let needed = max(textWidth(p.name, size: 13), textWidth(p.detail, size: 11)) + 30
            if i > 0 { gaps[i - 1] = max(gaps[i - 1], needed) }
        }
        var x: [Double] = []
        var position = margin + max(70, (diagram.participants.first.map { textWidth($0.name, size: 13) } ?? 0) / 2 + 16)
        for i in 0..<n {
            x.append(position)
            position += gaps[i]
        }
        // Bars' notes sit right of their lifeline: leave room after the last one.
        let notesWidth = diagram.blocks.map { textWidth($0.release, size: 11) }.max() ?? 0
        let legendWidth = legend.reduce(margin) { $0 + 36 + textWidth($1.0) + 22 } + margin
        let width = max(legendWidth, (x.last ?? 0) + max(120, notesWidth + 30))
        let bodyTop = top + boxHeight + 24
        func y(_ row: Int) -> Double { bodyTop + Double(row) * rowHeight }
        let bodyBottom = y(max(0, diagram.rowCount - 1)) + rowHeight
        let legendTop = bodyBottom + 24
        let height = legendTop + 64

        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
        <title>\(escape(diagram.title))</title>
        <defs>

        """
        for (style, color) in colors.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out += "<marker id=\"head-\(style.rawValue)\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
            out += style == .signal ? "<path d=\"M0,0 L10,5 L0,10\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"/>"
                                    : "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(color)\"/>"
            out += "</marker>\n"
        }
        out += "</defs>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        let processes = diagram.participants.filter { $0.kind == .process }.count
        let drawn = diagram.messages.filter { $0.style != .fork }.count
        out += text(margin, 28, diagram.title, attributes: "font-size=\"16\" font-weight=\"bold\"")
        var subtitle = "\(processes) process\(processes == 1 ? "" : "es"), \(drawn) message\(drawn == 1 ? "" : "s"); time runs down"
        if diagram.omitted > 0 { subtitle += "; \(diagram.omitted) later events not drawn" }
        out += text(margin, 48, subtitle, attributes: "fill=\"#555555\"")

        // Participants and lifelines.
        for (i, p) in diagram.participants.enumerated() {
            let boxWidth = max(textWidth(p.name, size: 13), textWidth(p.detail, size: 11)) + 20
            let fill = p.kind == .process ? "#eaf1fb" : (p.kind == .segment ? "#e8f6ee" : "#f3eaf7")
            let stroke = p.kind == .process ? "#1f4e99" : (p.kind == .segment ? "#1e8449" : "#7d3c98")
            let start = p.kind == .process && p.firstRow > 0 ? y(p.firstRow) : top + boxHeight
            let end = p.ending != nil ? y(p.lastRow) : bodyBottom
            out += "<line x1=\"\(f(x[i]))\" y1=\"\(f(start))\" x2=\"\(f(x[i]))\" y2=\"\(f(end))\" stroke=\"\(stroke)\" stroke-width=\"1\" stroke-dasharray=\"5,4\"/>\n"
            out += "<rect x=\"\(f(x[i] - boxWidth / 2))\" y=\"\(f(top))\" width=\"\(f(boxWidth))\" height=\"\(f(boxHeight))\" rx=\"\(p.kind == .process ? 6 : 0)\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>\n"
            out += text(x[i], top + 17, p.name, attributes: "text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\"")
            out += text(x[i], top + 32, p.detail, attributes: "text-anchor=\"middle\" font-size=\"11\" fill=\"#555555\"")
            if let ending = p.ending {
                let ey = y(p.lastRow)
                out += "<path d=\"M\(f(x[i] - 6)),\(f(ey - 6)) L\(f(x[i] + 6)),\(f(ey + 6)) M\(f(x[i] + 6)),\(f(ey - 6)) L\(f(x[i] - 6)),\(f(ey + 6))\" stroke=\"#333333\" stroke-width=\"2\"/>\n"
                out += text(x[i] + 10, ey + 4, ending, attributes: "font-size=\"11\" fill=\"#333333\"")
            }
        }
        // Shapes first (bars, then arrows), every label after them: no bar or arrow drawn later
        // covers a label (a bar on one lifeline used to hide the text of an arrow crossing it).
        var labels = ""
        for b in diagram.blocks {
            let top = y(b.startRow), bottom = max(y(b.endRow), y(b.startRow) + 8)
            let bx = x[b.participant]
            out += "<rect x=\"\(f(bx - 5))\" y=\"\(f(top))\" width=\"10\" height=\"\(f(bottom - top))\" fill=\"#f5b7b1\" stroke=\"#c0392b\"/>\n"
            labels += text(bx + 9, top + 4, b.label, attributes: "font-size=\"11\" fill=\"#c0392b\"", halo: true)
            labels += text(bx + 9, bottom + 12, b.release, attributes: "font-size=\"11\" fill=\"#c0392b\" font-style=\"italic\"", halo: true)
        }
        // Messages.
        for m in diagram.messages {
            let color = colors[m.style] ?? "#000000"
            let x1 = x[m.from], y1 = y(m.sendRow), y2 = y(m.receiveRow)
            let dash = m.style == .fork ? " stroke-dasharray=\"6,4\"" : ""
            if let to = m.to, to == m.from {
                // To itself: a loop.
                out += "<path d=\"M\(f(x1)),\(f(y1)) h30 v12 h-24\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" marker-end=\"url(#head-\(m.style.rawValue))\"/>\n"
                labels += text(x1 + 36, y1 + 4, m.label, attributes: "fill=\"\(color)\"", halo: true)
                continue
            }
            if let to = m.to {
                let x2 = x[to], inset = 6.0
                let direction = x2 > x1 ? 1.0 : -1.0
                out += "<line x1=\"\(f(x1 + direction * inset))\" y1=\"\(f(y1))\" x2=\"\(f(x2 - direction * inset))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"1.5\"\(dash) marker-end=\"url(#head-\(m.style.rawValue))\"/>\n"
                labels += text((x1 + x2) / 2, min(y1, y2) + (y2 - y1) / 2 - 5, m.label,
                            attributes: "text-anchor=\"middle\" fill=\"\(color)\"", halo: true)
            } else {
                // Nobody took it: a short arrow to an open circle.
                let x2 = x1 + 60
                out += "<line x1=\"\(f(x1 + 6))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y1))\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>"
                out += "<circle cx=\"\(f(x2 + 4))\" cy=\"\(f(y1))\" r=\"4\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
                labels += text(x2 + 12, y1 + 4, m.label, attributes: "fill=\"\(color)\"", halo: true)
            }
        }
        for note in diagram.notes {
            labels += text(x[note.participant] + 9, y(note.row) + 4, note.text, attributes: "font-size=\"11\" fill=\"#333333\"", halo: true)
        }
        out += labels
        // Legend.
        let entries = legend
        var lx = margin
        out += "<line x1=\"\(f(margin))\" y1=\"\(f(legendTop - 12))\" x2=\"\(f(width - margin))\" y2=\"\(f(legendTop - 12))\" stroke=\"#dddddd\"/>\n"
        for (label, color, head) in entries {
            out += "<line x1=\"\(f(lx))\" y1=\"\(f(legendTop + 8))\" x2=\"\(f(lx + 30))\" y2=\"\(f(legendTop + 8))\" stroke=\"\(color)\" stroke-width=\"1.5\" marker-end=\"url(#\(head))\"/>"
            out += text(lx + 36, legendTop + 12, label, attributes: "")
            lx += 36 + textWidth(label) + 22
        }
        let ly = legendTop + 34
        out += "<rect x=\"\(f(margin + 10))\" y=\"\(f(ly - 10))\" width=\"10\" height=\"20\" fill=\"#f5b7b1\" stroke=\"#c0392b\"/>"
        out += text(margin + 36, ly + 4, "blocked in a call, and what released it", attributes: "")
        out += "</svg>\n"
        return out
    }

    static let legend: [(String, String, String)] = [
        ("data: pipe, FIFO, socket, queue", colors[.data] ?? "", "head-data"), ("signal", colors[.signal] ?? "", "head-signal"),
        ("shared memory", colors[.memory] ?? "", "head-memory"), ("semaphore", colors[.semaphore] ?? "", "head-semaphore"),
        ("fork", colors[.fork] ?? "", "head-fork"),
    ]

    static func text(_ x: Double, _ y: Double, _ content: String, attributes: String, halo: Bool = false) -> String {
        let outline = halo ? " paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\"" : ""
        return "<text x=\"\(f(x))\" y=\"\(f(y))\"\(attributes.isEmpty ? "" : " " + attributes)\(outline)>\(escape(content))</text>\n"
    }

    static func f(_ v: Double) -> String {
        let rounded = (v * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// XML text: `&`, `<`, `>` and `"` escaped; control characters (never valid in XML 1.0) dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                if scalar.value < 0x20 && scalar != "\t" { continue }
                if scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
