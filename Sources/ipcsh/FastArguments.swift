import ArgumentParser
import IPCSyntax

/// A fast path for the everyday command lines (`ipcsh -c CMDS`, `ipcsh FILE ARG...`, `ipcsh`,
/// with `--keep-going`/`--cleanup`), so that start-up does not pay for swift-argument-parser.
///
/// Why: parsing through swift-argument-parser reflects over the command type and looks up
/// protocol conformances in the whole binary; measured with `perf`, that was about 30% of the
/// CPU time of `ipcsh -c 'echo hi'` (scripts/bench.sh, start-up target: within 2× of bash).
///
/// It only takes command lines whose meaning is plain, and returns nil for everything else —
/// `--help`, `--version`, any other option, a repeated flag, a `-c` value starting with `-`,
/// an option after the script name, a script together with `-c`, subcommands — which then go
/// through swift-argument-parser exactly as before. If IPCShellCLI gains a property this file
/// does not set, its size no longer matches `KnownProperties` and the fast path turns itself off
/// (a `Mirror` would say the same, but costs as much as a tenth of the start-up).
enum FastArguments {
    /// The stored properties of IPCShellCLI that `parse` sets, in declaration order.
    typealias KnownProperties = (Option<String?>, Flag<Bool>, Flag<Bool>, Flag<Bool>, Option<String?>, Flag<Bool>,
                                 Argument<String?>, Argument<[String]>)

    static func parse(_ arguments: ArraySlice<String>) -> IPCShellCLI? {
        var commands: String?
        var keepGoing = false
        var cleanup = false
        var trace = false
        var script: String?
        var scriptArguments: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if script != nil {
                // After the script everything is the script's, but leave anything that looks
                // like an option to swift-argument-parser's rules.
                if argument.hasPrefix("-") { return nil }
                scriptArguments.append(argument)
                continue
            }
            switch argument {
            case "--keep-going":
                if keepGoing { return nil }
                keepGoing = true
            case "--cleanup":
                if cleanup { return nil }
                cleanup = true
            case "--trace":
                if trace { return nil }
                trace = true
            case "-c":
                guard commands == nil, index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                commands = arguments[index]
                index += 1
            default:
                if argument.isEmpty || argument.hasPrefix("-") { return nil }
                script = argument
            }
        }
        if commands != nil && script != nil { return nil }
        if script != nil && !IPCShellCLI.configuration.subcommands.isEmpty { return nil }

        guard MemoryLayout<IPCShellCLI>.size == MemoryLayout<KnownProperties>.size else { return nil }
        var command = IPCShellCLI()
        command.commands = commands
        command.keepGoing = keepGoing
        command.cleanup = cleanup
        command.trace = trace
        command.record = nil
        command.actor = false
        command.script = script
        command.scriptArguments = scriptArguments
        return command
    }
}
