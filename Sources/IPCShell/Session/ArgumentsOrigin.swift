/// Where `$1 ...` come from: what to say when one is missing (`$2 is not set`).
public enum ArgumentsOrigin: Equatable, Sendable {
    /// `ipcsh SCRIPT ARG...`
    case script
    /// `ipcsh -c TEXT ARG...`
    case commandText
    /// Commands read from stdin: no arguments.
    case standardInput
    /// The interactive shell: no arguments.
    case interactive
    /// A proc's call: `NAME ARG...`.
    case proc(String)
    /// `source FILE ARG...`
    case source(String)

    /// How to pass the argument that was missing.
    public var missingArgumentHint: String {
        switch self {
        case .script: return "pass it after the script name: ipcsh SCRIPT ARG..."
        case .commandText: return "pass it after the -c text: ipcsh -c '...' ARG..."
        case .standardInput: return "commands read from stdin have no arguments: save them to a file and run ipcsh FILE ARG..."
        case .interactive: return "the interactive shell has no arguments: use a variable (set NAME VALUE, then $NAME)"
        case .proc(let name): return "pass it to the proc: \(name) ARG..."
        case .source(let path): return "pass it after the file name: source \(path) ARG..."
        }
    }
}

extension Session {
    /// Makes `arguments` the current `$0 $1 ...` (a proc's call, `source`), until `popArguments`.
    public func pushArguments(_ arguments: [String], from origin: ArgumentsOrigin) {
        positionalStack.append(arguments)
        nestedArgumentsOrigins.append(origin)
    }

    public func popArguments() {
        positionalStack.removeLast()
        _ = nestedArgumentsOrigins.popLast()
    }

    /// Where the current `$1 ...` come from.
    public var currentArgumentsOrigin: ArgumentsOrigin {
        positionalStack.count > 1 ? nestedArgumentsOrigins.last ?? argumentsOrigin : argumentsOrigin
    }
}
