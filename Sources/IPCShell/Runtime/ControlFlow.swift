import IPCSyntax
/// Non-local exits of the interpreter.
public enum ControlFlow: Error {
    /// `exit [CODE]`.
    case exit(Int32)
    /// Ctrl-C during a command.
    case interrupted
}

/// A command failed; its diagnostic was built where it happened (and carries that location).
public struct CommandFailure: Error {
    public var diagnostic: Diagnostic
}
