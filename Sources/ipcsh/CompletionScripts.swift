import ArgumentParser

/// `ipcsh --generate-completion-script bash|zsh|fish`: swift-argument-parser's scripts, made from
/// the configuration that declares `replay`, `check`, `emit-c` and `diagram` as subcommands
/// (`IPCShellCLI.documented`), then adapted to ipcsh's command line. The checked-in copies are
/// under completions/.
///
/// ipcsh's command line is not the usual tree: `replay`, `check`, `emit-c` and `diagram` are
/// taken before any option parsing; otherwise the first word after the options is a script and
/// the words after it are the script's. swift-argument-parser's scripts know either positionals
/// or subcommands at the root, not both (zsh's even refuses the mix: "doubled rest argument
/// definition"), and they offer its automatic `help` subcommand, which ipcsh does not have
/// (`ipcsh help` runs a script named help). So each script is edited: the root dispatches to a
/// subcommand's generated completion, offers `.ipcs` files and the subcommands' names at the
/// first word, files after a script, and `help` goes. Each edit must find its text exactly where
/// it expects it: a newer swift-argument-parser that generates something else makes the
/// generation fail (and the tests with it) instead of shipping a half-edited script.
enum CompletionScripts {
    struct Mismatch: Error {
        let message: String
    }

    /// The script for the shell named in `arguments` (`--generate-completion-script bash`, or
    /// `--generate-completion-script=bash`), or for $SHELL's when none is named (as
    /// swift-argument-parser autodetects it); nil to let swift-argument-parser answer (an
    /// unknown shell: it says which it knows; `---completion`, `--experimental-dump-help`).
    static func script(_ arguments: [String]) throws(Mismatch) -> String? {
        guard let first = arguments.first, first.hasPrefix("--generate-completion-script") else { return nil }
        var shell = first.hasPrefix("--generate-completion-script=")
            ? String(first.dropFirst("--generate-completion-script=".count))
            : arguments.count > 1 ? arguments[1] : ""
        if shell.isEmpty { shell = CompletionShell.autodetected()?.rawValue ?? "" }
        guard ["bash", "zsh", "fish"].contains(shell) else { return nil }
        var generated = ""
        do { _ = try IPCShellCLI.parseAsRoot(["--generate-completion-script", shell]) } catch {
            generated = IPCShellCLI.fullMessage(for: error)
        }
        guard !generated.isEmpty else { return nil }
        if !generated.hasSuffix("\n") { generated += "\n" }
        var script = Script(shell: shell, text: generated)
        switch shell {
        case "bash": try script.adaptBash(subcommands)
        case "zsh": try script.adaptZsh()
        default: try script.adaptFish()
        }
        return script.text
    }

    /// `replay check emit-c diagram`: ipcsh's own subcommands (swift-argument-parser adds `help`).
    static var subcommands: [String] {
        IPCShellCLI.documented.subcommands.map { $0.configuration.commandName ?? $0._commandName }
    }

    /// A generated script and the edits that adapt it.
    struct Script {
        let shell: String
        var text: String

        /// Replaces `old` (in the function `function`, when named) with `new`; `old` must occur
        /// there `count` times (exactly once by default).
        mutating func replace(_ old: String, with new: String, in function: String? = nil,
                              count: Int = 1) throws(Mismatch) {
            let range = try self.range(of: function)
            let part = String(text[range])
            let found = part.ranges(of: old).count
            guard found == count else {
                throw Mismatch(message: "the generated \(shell) script has \(found) times, not \(count), "
                    + "\(old.debugDescription)\(function.map { " in \($0)" } ?? "")")
            }
            text.replaceSubrange(range, with: part.replacing(old, with: new))
        }

        mutating func removeFunction(_ name: String) throws(Mismatch) {
            let range = try self.range(of: name)
            text.removeSubrange(range)
        }

        /// The whole text, or the function `name` (from its first line to its closing line and
        /// the blank line after it, if any).
        func range(of function: String?) throws(Mismatch) -> Range<String.Index> {
            guard let function else { return text.startIndex..<text.endIndex }
            let (opening, closing) = shell == "fish" ? ("function \(function) ", "\nend\n") : ("\(function)() {\n", "\n}\n")
            guard let start = text.ranges(of: opening).first(where: { $0.lowerBound == text.startIndex
                    || text[text.index(before: $0.lowerBound)] == "\n" }),
                  let end = text[start.upperBound...].firstRange(of: closing) else {
                throw Mismatch(message: "the generated \(shell) script has no function \(function)")
            }
            var upper = end.upperBound
            if upper < text.endIndex, text[upper] == "\n" { upper = text.index(after: upper) }
            return start.lowerBound..<upper
        }

        /// bash: `_ipcsh_command_line`, registered last, sends each case to the generated function
        /// that knows it (`_ipcsh` for the options and the first word, `_ipcsh_SUBCOMMAND`).
        mutating func adaptBash(_ names: [String]) throws(Mismatch) {
            try replace("|help)\n", with: ")\n", in: "_ipcsh")
            try replace(" help' -- \"${cur}\"", with: "' -- \"${cur}\"", in: "_ipcsh")
            try removeFunction("_ipcsh_help")
            text += CompletionScripts.bashCommandLine(names)
        }

        /// zsh: the root's `_arguments` keeps its options and `(-): :->command` / `(-)*:: :->arg`
        /// (which narrows `words` to start at the first word after the options); the script
        /// positionals go, the `command` state offers `.ipcs` files with the subcommands, and the
        /// `arg` state completes a script's arguments as files.
        mutating func adaptZsh() throws(Mismatch) {
            try replace("        ':file:_files -g '\\''*.ipcs'\\'''\n        '*:arg:'\n", with: "", in: "_ipcsh")
            try replace("            'help:Show subcommand help information.'\n", with: "", in: "_ipcsh")
            try replace("        _describe -V subcommand subcommands && ret=0\n",
                        with: "        _describe -V subcommand subcommands && ret=0\n"
                            + "        # ipcsh: or a script\n"
                            + "        _files -g '*.ipcs' && ret=0\n",
                        in: "_ipcsh")
            try replace("|help)\n            \"_ipcsh_${words[1]}\" && ret=0\n            ;;\n",
                        with: ")\n            \"_ipcsh_${words[1]}\" && ret=0\n            ;;\n"
                            + "        *)\n"
                            + "            # ipcsh: the script's own arguments\n"
                            + "            _files && ret=0\n"
                            + "            ;;\n",
                        in: "_ipcsh")
            try removeFunction("_ipcsh_help")
        }

        /// fish: the root stops at its first positional (`0`, not `-r 2`), which is either a
        /// subcommand (dispatched by the generated `switch`) or a script (`ipcsh (script)`, whose
        /// arguments complete as files); the subcommands' names are offered at that first word.
        mutating func adaptFish() throws(Mismatch) {
            try replace("    case 'ipcsh'\n        __ipcsh_parse_subcommand -r 2 ",
                        with: "    case 'ipcsh'\n        __ipcsh_parse_subcommand 0 ", in: "__ipcsh_parse_tokens")
            try replace("        case 'help'\n            __ipcsh_parse_subcommand -r 1 'version'\n", with: "",
                        in: "__ipcsh_parse_tokens")
            try replace("        end\n    end\nend\n",
                        with: "        case '?*'\n            set -a commands '(script)'\n        end\n    end\nend\n",
                        in: "__ipcsh_parse_tokens")
            let names = CompletionScripts.subcommands
            try replace("-n '__ipcsh_should_offer_completions_for_positional \"ipcsh\" -eq 2' -fa '",
                        with: "-n '__ipcsh_should_offer_completions_for_positional \"ipcsh\" -eq 1' -fa '",
                        count: names.count + 1)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let kept = lines.filter { !$0.contains("\"ipcsh help\"") && !$0.contains(" -fa 'help' ") }
            guard lines.count - kept.count == 2 else {
                throw Mismatch(message: "the generated fish script has \(lines.count - kept.count) lines for help, not 2")
            }
            text = kept.joined(separator: "\n") + fishScriptArguments
        }
    }

    static func bashCommandLine(_ names: [String]) -> String {
        #"""

        # Added by ipcsh --generate-completion-script bash: the first word after ipcsh's options is
        # a script or one of \#(names.joined(separator: ", ")); a script's own arguments are file names.
        _ipcsh_command_line() {
            local -i i
            for ((i = 1; i < COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]}" in
                -c|--record)
                    ((i++))
                    ;;
                -*)
                    ;;
                \#(names.joined(separator: "|")))
                    local state
                    state="$(shopt -p;shopt -po)"
                    trap "${state//$'\n'/;}" RETURN
                    shopt -s extglob
                    local -r cur="${2}"
                    local -r prev="${3}"
                    local -i positional_number
                    local -a unparsed_words=("${COMP_WORDS[@]:i+1:COMP_CWORD-i}")
                    local -a repeating_flags=() non_repeating_flags=() repeating_options=() non_repeating_options=()
                    "_ipcsh_${COMP_WORDS[i]}"
                    return
                    ;;
                *)
                    COMPREPLY=()
                    compopt -o default 2>/dev/null
                    return
                    ;;
                esac
            done
            _ipcsh "${@}"
            # The first word (not an option, nor the value of -c or --record): also a subcommand.
            [[ "${2}" = -* || "${3}" = -c || "${3}" = --record ]] \
                || COMPREPLY+=($(compgen -W '\#(names.joined(separator: " "))' -- "${2}"))
        }

        complete -o filenames -F _ipcsh_command_line ipcsh

        """#
    }

    static let fishScriptArguments = #"""

        # Added by ipcsh --generate-completion-script fish: after a script, its own arguments (file names).
        function __ipcsh_completing_script_arguments
            set -l non_repeating_flags_or_options
            set -l non_repeating_flags_or_options_absent 0
            set -l positional_index 0
            set -l commands
            __ipcsh_parse_tokens
            test "$commands" = 'ipcsh (script)'
        end

        complete -c 'ipcsh' -n '__ipcsh_completing_script_arguments' -F

        """#
}
