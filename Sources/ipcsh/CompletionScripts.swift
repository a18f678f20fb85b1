import ArgumentParser

/// `ipcsh --generate-completion-script bash|zsh|fish`: swift-argument-parser's scripts, made from
/// the configuration that declares `replay`, `check` and `emit-c` as subcommands
/// (`IPCShellCLI.documented`). The checked-in copies are under completions/.
enum CompletionScripts {
    /// The script for the shell named in `arguments` (`--generate-completion-script bash`, or
    /// `--generate-completion-script=bash`), or nil to let swift-argument-parser answer (no
    /// shell named, an unknown one: it autodetects, or says which it knows).
    static func script(_ arguments: [String]) -> String? {
        guard let first = arguments.first else { return nil }
        let shell = first.hasPrefix("--generate-completion-script=")
            ? String(first.dropFirst("--generate-completion-script=".count))
            : arguments.count > 1 ? arguments[1] : ""
        guard shell == "bash" else { return nil }
        var generated = ""
        do { _ = try IPCShellCLI.parseAsRoot(arguments) } catch { generated = IPCShellCLI.fullMessage(for: error) }
        guard generated.hasPrefix("#!") else { return nil }
        return generated + (generated.hasSuffix("\n") ? "" : "\n") + bashCommandLine
    }

    /// ipcsh's command line is not the usual tree: `replay`, `check` and `emit-c` are taken
    /// before any option parsing, and otherwise the first word is a script and the words after
    /// it are the script's. swift-argument-parser's bash script knows either positionals or
    /// subcommands at the root, not both (the script's words would hide the subcommand): this
    /// function, registered last, sends each case to the generated function that knows it.
    static let bashCommandLine = #"""

        # Added by ipcsh --generate-completion-script bash: the first word is a script or one of
        # replay, check and emit-c; after a script come the script's own arguments (file names).
        _ipcsh_command_line() {
            local -i i
            for ((i = 1; i < COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]}" in
                -c|--record)
                    ((i++))
                    ;;
                -*)
                    ;;
                replay|check|emit-c)
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
            [[ "${2}" = -* ]] || COMPREPLY+=($(compgen -W 'replay check emit-c' -- "${2}"))
        }

        complete -o filenames -F _ipcsh_command_line ipcsh

        """#
}
