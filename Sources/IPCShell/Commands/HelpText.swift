import IPCSyntax
/// `help`, `help NOUN`, `help NOUN VERB`: all built from the command specs.
public enum HelpText {
    public static func render(topic: [String], registry: CommandRegistry, at location: SourceLocation?) throws(Diagnostic) -> [String] {
        if topic.isEmpty { return overview(registry) }
        let name = topic.joined(separator: " ")
        if let spec = registry.specs[name] { return detail(spec) }
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
        return lines
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
