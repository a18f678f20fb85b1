import IPCSyntax
/// ipcsh(1), in man(7) roff, from the same sources as `help` and docs/language.md's command
/// reference: the command specs (COMMANDS) and the `ipcsh` command line's own options as
/// swift-argument-parser declares them (SYNOPSIS, OPTIONS), read from its
/// `--experimental-dump-help` JSON. `ipcsh --generate-manual` prints it; docs/ipcsh.1 is its
/// output, checked in, and a test fails when that copy is stale.
public enum ManualPage {
    /// One form of the `ipcsh` command line: `ipcsh` itself, or `ipcsh replay`, `ipcsh check`, ...
    public struct Program: Equatable, Sendable {
        /// `ipcsh`, `ipcsh replay`.
        public var name: String
        public var abstract: String
        public var discussion: String
        public var options: [Option]
        public var positionals: [Positional]

        public init(name: String, abstract: String, discussion: String = "", options: [Option] = [],
                    positionals: [Positional] = []) {
            self.name = name
            self.abstract = abstract
            self.discussion = discussion
            self.options = options
            self.positionals = positionals
        }
    }

    /// `-c commands`, `--keep-going`.
    public struct Option: Equatable, Sendable {
        /// As typed: `-c`, `--record`.
        public var names: [String]
        /// nil for a flag.
        public var valueName: String?
        public var summary: String

        public init(names: [String], valueName: String?, summary: String) {
            self.names = names
            self.valueName = valueName
            self.summary = summary
        }

        var isHelpOrVersion: Bool { names.contains("--help") || names.contains("--version") }
    }

    /// `file`, `arg...`.
    public struct Positional: Equatable, Sendable {
        public var valueName: String
        public var summary: String
        public var isOptional: Bool
        public var isRepeating: Bool

        public init(valueName: String, summary: String, isOptional: Bool, isRepeating: Bool) {
            self.valueName = valueName
            self.summary = summary
            self.isOptional = isOptional
            self.isRepeating = isRepeating
        }
    }

    /// The programs a swift-argument-parser tool-info dump (`--experimental-dump-help`) describes:
    /// the root command, then each subcommand (its own `help` aside), with the arguments it
    /// displays (hidden ones, such as `--actor`, are left out, as `--help` leaves them out).
    public static func programs(fromToolInfo dump: JSON) -> [Program] {
        guard let root = dump["command"] else { return [] }
        var out: [Program] = []
        func visit(_ command: JSON, prefix: String) {
            guard case .string(let name)? = command["commandName"] else { return }
            let full = prefix.isEmpty ? name : prefix + " " + name
            var program = Program(name: full, abstract: string(command["abstract"]),
                                  discussion: string(command["discussion"]))
            if case .array(let arguments)? = command["arguments"] {
                for argument in arguments {
                    if case .bool(false)? = argument["shouldDisplay"] { continue }
                    let summary = string(argument["abstract"])
                    let valueName = string(argument["valueName"])
                    switch string(argument["kind"]) {
                    case "positional":
                        program.positionals.append(Positional(
                            valueName: valueName, summary: summary,
                            isOptional: argument["isOptional"] == .bool(true),
                            isRepeating: argument["isRepeating"] == .bool(true)))
                    case "option", "flag":
                        var names: [String] = []
                        if case .array(let list)? = argument["names"] {
                            for entry in list {
                                let dashes = string(entry["kind"]) == "long" ? "--" : "-"
                                names.append(dashes + string(entry["name"]))
                            }
                        }
                        // Short names first, as --help lists them.
                        names.sort { ($0.hasPrefix("--") ? 1 : 0, $0) < ($1.hasPrefix("--") ? 1 : 0, $1) }
                        let isFlag = string(argument["kind"]) == "flag"
                        program.options.append(Option(names: names, valueName: isFlag ? nil : valueName, summary: summary))
                    default:
                        continue
                    }
                }
            }
            out.append(program)
            if case .array(let subcommands)? = command["subcommands"] {
                for sub in subcommands where string(sub["commandName"]) != "help" { visit(sub, prefix: full) }
            }
        }
        visit(root, prefix: "")
        return out
    }

    private static func string(_ value: JSON?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    /// The whole page. `programs` are the command line's forms, the root first.
    public static func render(programs: [Program], registry: CommandRegistry = .standard,
                              version: String = IPCShellVersion.current) -> String {
        var page = Roff()
        page.request("TH", "IPCSH", "1", "", "ipcsh \(version)", "User Commands")
        page.comment("Generated by ipcsh --generate-manual from the command specs and the command line's options; do not edit by hand.")
        // Ragged right and no hyphenation: the text is full of commands, names and JSON, which
        // neither stretch (troff would warn that it cannot adjust lines) nor split well.
        // (.EX/.EE restore hyphenation to register HY: 0 keeps it off.)
        page.request("ad", "l")
        page.request("nr", "HY", "0")
        page.request("nh")

        page.section("NAME")
        page.text("ipcsh \\- " + escape(programs.first?.abstract.trimmingTrailingPeriod.lowercasedFirst ?? "an IPC shell"))

        page.section("SYNOPSIS")
        for (index, program) in programs.enumerated() {
            if index > 0 { page.request("br") }
            page.text(synopsis(program))
        }
        page.request("br")
        page.text("\\fBipcsh \\-\\-version\\fR")
        page.request("br")
        page.text("\\fBipcsh \\-\\-help\\fR")

        page.section("DESCRIPTION")
        page.text(escape("""
            Each line is a command; each command is a handful of real system calls on real kernel \
            objects: System V shared memory, message queues and semaphores, POSIX queues, semaphores \
            and shared memory, pipes, FIFOs, sockets, signals and processes. NAME = COMMAND binds a \
            result to a name (buf = shm create 3306 1024); $NAME, ${NAME}, $NAME.FIELD, $? and $_ \
            are expanded; @NAME COMMAND runs COMMAND in an actor, a child that fork or spawn made. \
            Inside the shell, help lists the commands and help COMMAND shows one with an example; \
            the same text is under COMMANDS below.
            """))
        if let root = programs.first { paragraphs(root.discussion, into: &page) }
        page.request("PP")
        page.text(escape("""
            Kernel objects outlive the shell, as the kernel intends: on exit ipcsh names the ones \
            it created and left behind, with the ipcrm command that removes them (--cleanup \
            removes them instead).
            """))

        page.section("OPTIONS")
        for (index, program) in programs.enumerated() {
            if index > 0 {
                page.request("SS", program.name)
                paragraphs(program.abstract, into: &page, first: true)
                paragraphs(program.discussion, into: &page)
            }
            for positional in program.positionals {
                page.request("TP")
                page.text("\\fI" + escape(positional.valueName) + "\\fR" + (positional.isRepeating ? "\\ ..." : ""))
                page.text(escape(positional.summary))
            }
            // A subcommand's --help and --version are the root's, listed once.
            for option in program.options where index == 0 || !option.isHelpOrVersion {
                page.request("TP")
                page.text(optionTag(option))
                page.text(escape(option.summary))
            }
        }

        page.section("COMMANDS")
        page.text(escape("The commands of the shell, by family, in the order help lists them (help COMMAND prints each of these)."))
        for name in registry.topLevel {
            if let subcommands = registry.groups[name] {
                page.request("SS", name)
                if let summary = registry.groupSummaries[name] { page.text(escape(summary + ".")) }
                for sub in subcommands {
                    guard let spec = registry.specs["\(name) \(sub)"] else { continue }
                    command(spec, into: &page)
                }
            } else if let spec = registry.specs[name] {
                page.request("SS", name)
                command(spec, into: &page)
            }
        }
        page.request("SS", "@NAME COMMAND")
        let actor = HelpText.actor
        page.request("TP")
        page.text(usageTag(actor.first.map { String($0.dropFirst("usage: ".count)) } ?? "@NAME COMMAND"))
        let prose = actor.dropFirst().prefix { $0 != "example:" }.filter { !$0.isEmpty }
        for (index, line) in prose.enumerated() {
            if index > 0 { page.request("IP") }
            page.text(escape(line))
        }
        example(actor.drop { $0 != "example:" }.dropFirst().map { $0.trimmingLeadingSpaces }, into: &page)

        page.section("EXIT STATUS")
        for (code, meaning) in [
            ("0", "success."),
            ("1", "a command failed (a script stops at the first failure unless --keep-going); a command used wrongly in a script or -c is a failure too. For ipcsh check: a recording no longer holds."),
            ("2", "an error in ipcsh's own command-line arguments (ipcsh --bogus)."),
            ("130", "Ctrl-C ended a non-interactive run."),
            ("143, 129", "SIGTERM or SIGHUP (the terminal closing) ended the shell, after the same clean-up as Ctrl-D."),
            ("141", "nobody reads stdout any more (ipcsh script | head -1): the session ended at once, after the same clean-up, as sh ends of SIGPIPE."),
            ("CODE", "what exit CODE gave; interactively, the last command's $? when you leave with exit or Ctrl-D."),
        ] {
            tagged(code, meaning, into: &page)
        }

        page.section("ENVIRONMENT")
        for (name, meaning) in [
            ("NO_COLOR", "when set and not empty, errors and warnings are not colored (they are colored only when stdout and stderr are terminals)."),
            ("IPCSH_HISTORY", "the interactive shell's history file; empty: no history is kept."),
            ("HOME", "where the history file is when IPCSH_HISTORY is not set."),
            ("INPUTRC", "GNU readline's key bindings and settings (default ~/.inputrc)."),
            ("PATH", "where run looks for a program given without a /."),
        ] {
            tagged(name, meaning, into: &page)
        }

        page.section("FILES")
        page.request("TP")
        page.text("\\fI" + escape("~/.ipcsh_history") + "\\fR")
        page.text(escape("the interactive shell's command history (see IPCSH_HISTORY)."))
        page.request("TP")
        page.text("\\fI" + escape("*.ipcs") + "\\fR")
        page.text(escape("scripts and recordings: the commands, one a line, with # comments; a recording adds each command's output as #| lines and the pause before it as #@ SECONDS."))

        page.section("EXAMPLES")
        for (what, lines) in [
            ("The guided tour, then an interactive session:", ["ipcsh examples/tour.ipcs", "ipcsh"]),
            ("Commands from the command line; --cleanup removes the segment they made:",
             ["ipcsh --cleanup -c 'buf = shm create private 64; shm stat buf'"]),
            ("The textbook writer and reader, in two terminals:", ["ipcsh examples/shm-writer.ipcs 3306 10", "ipcsh examples/shm-reader.ipcs 3306 10"]),
            ("Record a lesson, show it to a class, check it in CI:",
             ["ipcsh --record lesson.ipcs", "ipcsh replay lesson.ipcs --step", "ipcsh check lesson.ipcs"]),
            ("A script as the C program that makes the same calls:", ["ipcsh emit-c examples/unnamed-pipe.ipcs -o pipe.c && cc -Wall pipe.c"]),
        ] {
            page.request("PP")
            page.text(escape(what))
            example(lines, into: &page, label: false)
        }

        page.section("SEE ALSO")
        let seeAlso = ["ipcs(1)", "ipcrm(1)", "ipc(2)", "shmget(2)", "shmat(2)", "msgget(2)", "semget(2)", "semop(2)",
                       "pipe(2)", "mkfifo(3)", "socketpair(2)", "unix(7)", "mmap(2)", "memfd_create(2)", "eventfd(2)",
                       "fork(2)", "kill(2)", "sigaction(2)", "sysvipc(7)", "mq_overview(7)", "sem_overview(7)",
                       "shm_overview(7)", "fifo(7)", "signal(7)", "readline(3)"]
        page.text(seeAlso.enumerated().map { index, ref -> String in
            let name = ref.prefix { $0 != "(" }
            return "\\fB" + escape(String(name)) + "\\fR" + escape(String(ref.dropFirst(name.count)))
                + (index == seeAlso.count - 1 ? "" : ",")
        }.joined(separator: "\n"))
        page.request("PP")
        page.text(escape("docs/language.md (the language reference) and the docs/ pages of each mechanism, in ipcsh's source."))
        return page.text
    }

    /// One command: its usage as the tag, then what `help NAME` says (summary, discussion,
    /// arguments, options, example).
    static func command(_ spec: CommandSpec, into page: inout Roff) {
        page.request("TP")
        page.text(usageTag(spec.usage))
        page.text(escape(spec.summary + "."))
        for paragraph in spec.discussion.split(separator: "\n") where !paragraph.allSatisfy(\.isWhitespace) {
            page.request("IP")
            page.text(escape(paragraph.trimmingLeadingSpaces))
        }
        if !spec.arguments.isEmpty || !spec.options.isEmpty {
            page.request("RS")
            for argument in spec.arguments {
                page.request("TP")
                page.text("\\fI" + escape(argument.name) + "\\fR")
                page.text(escape(argument.describe + (argument.isOptional ? " (optional)." : ".")))
            }
            for option in spec.options {
                page.request("TP")
                page.text("\\fB" + escape(option.name) + "\\fR" + (option.value == nil ? "" : " \\fI" + escape(option.valueName) + "\\fR"))
                page.text(escape(option.summary.hasSuffix(".") ? option.summary : option.summary + "."))
            }
            page.request("RE")
        }
        example([spec.example], into: &page)
    }

    /// `shm create KEY SIZE [--mode MODE]`: the command's words bold, upper-case words (what the
    /// user supplies) italic, options bold.
    static func usageTag(_ usage: String) -> String {
        var out: [String] = []
        for word in usage.split(separator: " ", omittingEmptySubsequences: false) {
            var core = Substring(word)
            var before = "", after = ""
            while let first = core.first, "[{".contains(first) { before.append(first); core = core.dropFirst() }
            while let last = core.last, "]}".contains(last) || (last == "." && core.hasSuffix("...")) {
                if core.hasSuffix("...") { after = "..." + after; core = core.dropLast(3); continue }
                after = String(last) + after
                core = core.dropLast()
            }
            let letters = core.filter(\.isLetter)
            let isPlaceholder = !letters.isEmpty && letters.allSatisfy(\.isUppercase)
            let font = isPlaceholder && !core.hasPrefix("-") ? "\\fI" : "\\fB"
            out.append(escape(before) + (core.isEmpty ? "" : font + escape(String(core)) + "\\fR") + escape(after))
        }
        return out.joined(separator: " ")
    }

    /// `\fB\-\-record\fR \fIfile\fR`, names joined by `, `.
    static func optionTag(_ option: Option) -> String {
        let names = option.names.map { "\\fB" + escape($0) + "\\fR" }.joined(separator: ", ")
        return names + (option.valueName.map { " \\fI" + escape($0) + "\\fR" } ?? "")
    }

    /// `ipcsh [-c commands] [--keep-going] ... [file] [arg ...]`.
    static func synopsis(_ program: Program) -> String {
        var parts = ["\\fB" + escape(program.name) + "\\fR"]
        for option in program.options where !option.isHelpOrVersion {
            let name = option.names.first { $0.hasPrefix("--") } ?? option.names.first ?? ""
            parts.append("[\\fB" + escape(name) + "\\fR" + (option.valueName.map { " \\fI" + escape($0) + "\\fR" } ?? "") + "]")
        }
        for positional in program.positionals {
            var text = "\\fI" + escape(positional.valueName) + "\\fR" + (positional.isRepeating ? "\\ ..." : "")
            if positional.isOptional { text = "[" + text + "]" }
            parts.append(text)
        }
        return parts.joined(separator: " ")
    }

    /// Text with paragraphs (blank lines) as `.PP`-separated paragraphs.
    static func paragraphs(_ text: String, into page: inout Roff, first: Bool = false) {
        let list = text.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.trimmingLeadingSpaces }.filter { !$0.isEmpty }
        for (index, paragraph) in list.enumerated() {
            if index > 0 || !first { page.request("PP") }
            page.text(escape(paragraph))
        }
    }

    /// A tagged paragraph: TAG in bold, then its meaning (EXIT STATUS, ENVIRONMENT).
    static func tagged(_ tag: String, _ meaning: String, into page: inout Roff) {
        page.request("TP")
        page.text("\\fB" + escape(tag) + "\\fR")
        page.text(escape(meaning))
    }

    /// Lines set as an example, in a literal block (in an indented paragraph with "Example:").
    static func example(_ lines: [String], into page: inout Roff, label: Bool = true) {
        if label {
            page.request("IP")
            page.text("Example:")
        }
        page.request("RS")
        page.request("EX")
        for line in lines { page.text(escape(line)) }
        page.request("EE")
        page.request("RE")
    }

    /// Text as roff input: backslashes, dashes and quotes as the escapes that print them as
    /// typed (`\(rs`, `\-`, `\(aq`, `\(ga`), anything outside ASCII as `\[uXXXX]`, and a line
    /// that would start with `.` or `'` (a request) guarded with `\&`. A word too long for a
    /// narrow terminal (a JSON request) may break after its commas (`\:`), or troff could not
    /// fill the line ("cannot adjust line").
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let scalars = Array(text.unicodeScalars)
        var atLineStart = true
        var inLongWord = false
        for (index, scalar) in scalars.enumerated() {
            if atLineStart && (scalar == "." || scalar == "'") { out += "\\&" }
            let previous = index == 0 ? " " : scalars[index - 1]
            if previous == " " || previous == "\n" {
                let length = scalars[index...].prefix { $0 != " " && $0 != "\n" }.count
                inLongWord = length > longWord
            }
            atLineStart = scalar == "\n"
            if scalar == "," && inLongWord {
                out += ",\\:"
                continue
            }
            switch scalar {
            case "\\": out += "\\(rs"
            case "-": out += "\\-"
            case "'": out += "\\(aq"
            case "`": out += "\\(ga"
            case "^": out += "\\(ha"
            case "~": out += "\\(ti"
            case "\t": out += " "
            default:
                if scalar.value < 0x80 {
                    out.unicodeScalars.append(scalar)
                } else {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\[u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
                }
            }
        }
        return out
    }

    /// Words longer than this may break after a comma.
    static let longWord = 30

    /// roff source: requests on lines of their own, text lines that never start a request.
    struct Roff {
        var text = ""

        /// `.NAME ARG...`; an argument that is empty or has a space or a quote is quoted (as a
        /// macro takes it: `.SS "ipcsh replay"`).
        mutating func request(_ name: String, _ arguments: String...) {
            text += "." + name
            for argument in arguments {
                let escaped = ManualPage.escape(argument)
                if escaped.isEmpty || escaped.contains(" ") || escaped.contains("\"") {
                    text += " \"" + escaped.replacingQuotes + "\""
                } else {
                    text += " " + escaped
                }
            }
            text += "\n"
        }

        mutating func section(_ title: String) { request("SH", title) }

        mutating func comment(_ words: String) { text += ".\\\" " + words + "\n" }

        /// Text already escaped; a line of text per line, none empty.
        mutating func text(_ escaped: String) {
            for line in escaped.split(separator: "\n", omittingEmptySubsequences: true) {
                text += line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line)
                text += "\n"
            }
        }
    }
}

private extension String {
    /// `"` inside a macro argument is written `\(dq`.
    var replacingQuotes: String {
        var out = ""
        for character in self { out += character == "\"" ? "\\(dq" : String(character) }
        return out
    }

    var trimmingTrailingPeriod: String { hasSuffix(".") ? String(dropLast()) : self }

    var lowercasedFirst: String {
        guard let first, first.isUppercase, dropFirst().first?.isUppercase != true else { return self }
        return first.lowercased() + dropFirst()
    }
}

private extension StringProtocol {
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
