import IPCSyntax
/// `help`, `help NOUN`, `help NOUN VERB`: all built from the command specs.
public enum HelpText {
    public static func render(topic: [String], registry: CommandRegistry, at location: SourceLocation?) throws(Diagnostic) -> [String] {
        if topic.isEmpty { return overview(registry) }
        let name = topic.joined(separator: " ")
        if let spec = registry.specs[name] { return detail(spec) }
        // `@NAME COMMAND` is syntax, not a command of the registry: `help @`, `help @reader`.
        if let first = topic.first, first.hasPrefix("@") { return actor }
        if topic.count == 1, let program = outsideTheShell[name] { return program.help }
        if topic.count == 1, let subs = registry.groups[name] {
            var lines = ["\(name): \(registry.groupSummaries[name] ?? "")", ""]
            let specs = subs.compactMap { registry.specs["\(name) \($0)"] }
            let width = specs.map(\.usage.count).max() ?? 0
            for spec in specs { lines.append("  " + pad(spec.usage, width) + "  " + spec.summary) }
            lines.append("")
            lines.append("help \(name) SUBCOMMAND shows one in full.")
            return lines
        }
        let all = registry.specs.keys.sorted() + registry.groups.keys.sorted()
        throw Diagnostic("help: no command named '\(name)'", at: location,
                         hint: CommandRegistry.didYouMean(name, among: all) ?? "help lists every command")
    }

    static func overview(_ registry: CommandRegistry) -> [String] {
        var rows: [(String, String)] = []
        for name in registry.topLevel {
            if let subs = registry.groups[name] {
                rows.append((name + " " + subs.joined(separator: "|"), registry.groupSummaries[name] ?? ""))
            } else if let spec = registry.specs[name] {
                rows.append((name, spec.summary))
            }
        }
        let width = min(34, rows.map(\.0.count).max() ?? 0)
        var lines = ["ipcsh commands (help COMMAND shows usage and an example):", ""]
        for (name, summary) in rows {
            if name.count > width {
                lines.append("  " + name)
                lines.append("  " + pad("", width) + "  " + summary)
            } else {
                lines.append("  " + pad(name, width) + "  " + summary)
            }
        }
        lines.append("")
        lines.append("NAME = COMMAND binds a result: buf = shm create 3306 1024. Variables: $NAME, ${NAME}, $NAME.FIELD, $?, $_.")
        lines.append("@NAME COMMAND runs COMMAND in actor NAME, a child that fork or spawn made (help @).")
        lines.append("Recordings are replayed and checked from your shell: ipcsh replay FILE, ipcsh check FILE... (help replay).")
        return lines
    }

    /// `help @`: actors are driven by syntax, not by a command of the registry.
    static let actor = [
        "usage: @NAME COMMAND",
        "",
        "run COMMAND inside actor NAME: a child that fork (without a block) or spawn (without a script) made.",
        "",
        "COMMAND is the rest of the line, ; included (@reader read p.r; echo done runs both in the actor); a { opened on the line goes with it to its }. The prompt returns at once, and the actor's output appears when it comes, prefixed with [NAME PID]. The actor expands $variables in its own copy of the session. @NAME exit ends it; wait NAME ends its conversation and says how it ended.",
        "",
        "example:",
        "  reader = fork",
        "  @reader read pipe1.r",
    ]

    /// Commands of the `ipcsh` program itself, which run from the user's shell, not inside ipcsh:
    /// `help replay` says so (rather than suggest `repeat`), as does typing `replay` at the prompt.
    static let outsideTheShell: [String: ProgramCommand] = [
        "replay": ProgramCommand(name: "replay", usage: "ipcsh replay FILE [OPTION...]",
                                 summary: "show a recording to an audience: each command typed out at the recorded pace, then run for real"),
        "check": ProgramCommand(name: "check", usage: "ipcsh check FILE...",
                                summary: "re-run recordings and compare their output; a diff and exit 1 on any real difference"),
    ]

    /// `ipcsh replay`, `ipcsh check`.
    struct ProgramCommand {
        let name: String
        let usage: String
        let summary: String

        var help: [String] {
            ["usage (from your shell, not inside ipcsh): \(usage)", "", summary + ".", "",
             "\(name) is a command of the ipcsh program, not of the shell: run it from the shell you started ipcsh from. ipcsh \(name) --help lists its options; docs/teaching.md tells the story.",
             "", "example:", "  " + (name == "replay" ? "ipcsh replay examples/recordings/actor-pipe.ipcs --step" : "ipcsh check examples/recordings/*.ipcs")]
        }
    }

    /// The hint for `replay` or `check` typed as a command inside the shell.
    public static func outsideTheShellHint(_ name: String) -> String? {
        guard let program = outsideTheShell[name] else { return nil }
        return "\(name) is not a command inside ipcsh: run \(program.usage) from your shell (help \(name))"
    }

    static func detail(_ spec: CommandSpec) -> [String] {
        var lines = ["usage: \(spec.usage)", "", spec.summary + "."]
        if !spec.discussion.isEmpty { lines += ["", spec.discussion] }
        if !spec.arguments.isEmpty {
            lines += ["", "arguments:"]
            let width = spec.arguments.map(\.name.count).max() ?? 0
            for argument in spec.arguments {
                lines.append("  " + pad(argument.name, width) + "  " + argument.describe
                             + (argument.isOptional ? " (optional)" : ""))
            }
        }
        if !spec.options.isEmpty {
            lines += ["", "options:"]
            let names = spec.options.map { $0.value == nil ? $0.name : "\($0.name) \($0.valueName)" }
            let width = names.map(\.count).max() ?? 0
            for (option, name) in zip(spec.options, names) {
                lines.append("  " + pad(name, width) + "  " + option.summary)
            }
        }
        lines += ["", "example:", "  " + spec.example]
        return lines
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
