import IPCSyntax
public enum IPCShellVersion {
    public static let current = "0.1.0"
}
