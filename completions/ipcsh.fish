function __ipcsh_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ipcsh_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ipcsh_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ipcsh_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ipcsh_parse_tokens -S
    set -l unparsed_tokens (__ipcsh_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ipcsh'
        __ipcsh_parse_subcommand 0 'c=' 'keep-going' 'cleanup' 'trace' 'record=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'replay'
            __ipcsh_parse_subcommand 1 'step' 'speed=' 'no-pause' 'keep' 'version' 'h/help'
        case 'check'
            __ipcsh_parse_subcommand -r 1 'version' 'h/help'
        case 'emit-c'
            __ipcsh_parse_subcommand -r 2 'o/output=' 'version' 'h/help'
        case 'diagram'
            __ipcsh_parse_subcommand -r 2 'o/output=' 'mermaid' 'version' 'h/help'
        case '?*'
            set -a commands '(script)'
        end
    end
end

function __ipcsh_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ipcsh_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __ipcsh_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ipcsh_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ipcsh_tokens -p)
    if test -z "$(__ipcsh_tokens -t)"
        set -l index (count (__ipcsh_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ipcsh' -f
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" c' -s 'c' -d 'Run these commands (\'CMD; CMD\') and exit.' -rfka ''
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" keep-going' -l 'keep-going' -d 'In a script, report a failed command and continue (still exits 1).'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" cleanup' -l 'cleanup' -d 'On exit, remove the kernel objects this session created.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" trace' -l 'trace' -d 'Print every system call, C-style, on stderr (as the trace on command does).'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" record' -l 'record' -d 'Record the session (commands, output, pauses) to FILE: a script that ipcsh replay and ipcsh check take.' -rF
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ipcs\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" version' -l 'version' -d 'Show the version.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh" -eq 1' -fa 'replay' -d 'Replay a recording for an audience: each command typed out at the recorded pace, then run for real.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh" -eq 1' -fa 'check' -d 'Re-run recordings and verify that they still print what they recorded.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh" -eq 1' -fa 'emit-c' -d 'Write the C program that makes the script\'s system calls in the same order and prints the same lines (ids, addresses, pids and descriptor numbers aside).'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh" -eq 1' -fa 'diagram' -d 'Run the script, its output as usual, then draw what its processes did as a sequence diagram.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh replay" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ipcs\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh replay" step' -l 'step' -d 'Wait for Enter before each command (q quits).'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh replay" speed' -l 'speed' -d 'Divide the recorded pauses (and typing) by X (at least 0.01).' -rfka ''
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh replay" no-pause' -l 'no-pause' -d 'Do not pause or type slowly at all.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh replay" keep' -l 'keep' -d 'Leave the kernel objects the lesson created (as running it as a script would), instead of removing them.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh replay" version' -l 'version' -d 'Show the version.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh replay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh check" -ge 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ipcs\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh check" version' -l 'version' -d 'Show the version.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh emit-c" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ipcs\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh emit-c" o output' -s 'o' -l 'output' -d 'Write the program to this file (replaced only once complete) instead of stdout.' -rF
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh emit-c" version' -l 'version' -d 'Show the version.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh emit-c" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_positional "ipcsh diagram" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'ipcs\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh diagram" o output' -s 'o' -l 'output' -d 'Write the diagram to this file (default: FILE\'s name with .svg; with --mermaid, stdout).' -rF
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh diagram" mermaid' -l 'mermaid' -d 'Mermaid text instead of SVG (on stdout without -o: the script\'s own output then goes to stderr).'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh diagram" version' -l 'version' -d 'Show the version.'
complete -c 'ipcsh' -n '__ipcsh_should_offer_completions_for_flags_or_options "ipcsh diagram" h help' -s 'h' -l 'help' -d 'Show help information.'

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
