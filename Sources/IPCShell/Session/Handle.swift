import IPCSyntax
/// The kinds of object a session tracks. The raw value is the auto-name stem: `shm1`.
public enum HandleKind: String, Sendable, CaseIterable {
    case shm, pipe, fifo, sock, mq, sem, child, fd
    case pmq, psem, pshm, mmap, memfd, eventfd

    public var displayName: String {
        switch self {
        case .shm: return "shared memory segment"
        case .pipe: return "pipe"
        case .fifo: return "FIFO descriptor"
        case .sock: return "socket"
        case .mq: return "message queue"
        case .sem: return "semaphore set"
        case .child: return "child process"
        case .fd: return "descriptor"
        case .pmq: return "POSIX message queue"
        case .psem: return "POSIX semaphore"
        case .pshm: return "POSIX shared memory mapping"
        case .mmap: return "file mapping"
        case .memfd: return "memfd mapping"
        case .eventfd: return "eventfd"
        }
    }
}

/// A kernel object or descriptor in the session table.
public protocol Handle: AnyObject {
    var kind: HandleKind { get }
    var name: String { get set }
    /// Still usable: not closed, removed or reaped. A name held by a closed handle can be reused.
    var isOpen: Bool { get }
    /// One line of state for `status`.
    var summary: String { get }
    /// Every field, in order, for `status NAME` and `$NAME.FIELD`.
    var fields: [(name: String, value: String)] { get }
    /// The fields for `status --json`: `fields` by default; a kind whose fields come and go
    /// with its state (a child's exit status, a socket pair's ends) lists every one always,
    /// `-` for what is absent, so each key is there and null when there is nothing.
    var jsonFields: [(name: String, value: String)] { get }
    /// The handle as a memory region (`read`, `write`, `dump` on it), or nil. A requirement with a
    /// default rather than a cast: scripts name a region command after command, and a protocol
    /// witness costs less than the runtime's conformance look-up (scripts/bench.sh).
    var asMemoryRegion: (any MemoryRegion)? { get }
    /// The handle as an owner of descriptors (`read`, `write`, `close` on its ends), or nil; a
    /// requirement for the same reason.
    var asDescriptorOwner: (any DescriptorOwner)? { get }
}

extension Handle {
    public var jsonFields: [(name: String, value: String)] { fields }
    public var asMemoryRegion: (any MemoryRegion)? { nil }
    public var asDescriptorOwner: (any DescriptorOwner)? { nil }
}

extension Handle {
    public func field(_ fieldName: String) -> String? {
        if fieldName == "name" { return name }
        if fieldName == "kind" { return kind.rawValue }
        return fields.first { $0.name == fieldName }?.value
    }
}
