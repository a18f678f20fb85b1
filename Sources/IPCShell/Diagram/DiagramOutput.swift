@preconcurrency import Glibc
import IPCDiagram
import IPCSys

/// Drawing a log and writing the picture: shared by the `diagram` command and `ipcsh diagram`.
public enum DiagramOutput {
    /// The picture of `events`: SVG, or Mermaid text with `mermaid`.
    public static func render(title: String, events: [DiagramEvent], mermaid: Bool) -> String {
        let diagram = SequenceDiagram(title: title, events: events)
        return mermaid ? DiagramMermaid.render(diagram) : DiagramSVG.render(diagram)
    }

    /// Writes `text` to `path` whole or not at all (a temporary file renamed over it).
    /// Returns the error to report, nil when written.
    public static func write(_ text: String, to path: String) -> String? {
        ReplacementFile.writeWhole(path, Array(text.utf8))
    }
}
