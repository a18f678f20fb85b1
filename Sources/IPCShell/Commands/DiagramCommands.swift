import IPCDiagram
import IPCSys
import IPCSyntax

/// `diagram -o FILE.svg [--mermaid]`: the session so far as a sequence diagram.
enum DiagramCommands {
    static let all: [CommandSpec] = [diagram]

    static let diagram = CommandSpec(
        "diagram", summary: "draw the session so far as a sequence diagram: SVG to FILE, or Mermaid text",
        arguments: [ArgumentSpec("-o", .keyword(["-o"]), optional: true, about: "write the picture to FILE"),
                    ArgumentSpec("FILE", .path, optional: true, about: "where the picture goes (FILE.svg; with --mermaid, the text)")],
        options: [OptionSpec("--mermaid", summary: "Mermaid text (sequenceDiagram) instead of SVG; on stdout without -o FILE")],
        example: "diagram -o session.svg",
        discussion: "A lifeline per process (the shell, its children and actors, by the session's names), an arrow per message from the write to the read that took it (pipes, FIFOs, sockets, queues), labelled with the data (shortened), a signal to its handler, a red bar where a process was blocked and what released it, and shared memory segments and semaphore sets as lifelines of their own. The interactive shell logs from its start; a script is drawn whole by ipcsh diagram SCRIPT. Processes started with spawn or run are not drawn (they are other programs)."
    ) { ctx in
        let mermaid = ctx.flag("--mermaid")
        let path = ctx.string("FILE")
        if ctx.has("-o") && path == nil {
            throw ctx.failure("diagram: -o needs a file", hint: "diagram -o session.svg")
        }
        if !ctx.has("-o") && path != nil {
            throw ctx.failure("diagram: write -o before the file", hint: "diagram -o \(path ?? "FILE.svg")")
        }
        guard path != nil || mermaid else {
            throw ctx.failure("diagram: say where the picture goes", hint: "diagram -o session.svg, or diagram --mermaid for Mermaid text")
        }
        guard let log = ctx.session.diagramLog else {
            throw ctx.failure("diagram: this session is not logged: a script is drawn by ipcsh diagram SCRIPT",
                              hint: "run ipcsh diagram \(ctx.session.positional.first ?? "SCRIPT") -o FILE.svg, or use diagram in the interactive shell")
        }
        // Children's last events are in the log once they wrote them: let their output settle first.
        ctx.host.supervisor.drainAvailable()
        let text = DiagramOutput.render(title: "ipcsh session", events: log.events(), mermaid: mermaid)
        guard let path else {
            ctx.output.writeRaw(Array(text.utf8))
            return .none
        }
        if let problem = DiagramOutput.write(text, to: path) { throw ctx.failure("diagram: " + problem) }
        ctx.output.info("diagram: written to \(path)")
        return .none
    }
}
