import IPCSyntax
/// Memory the session reads and writes in place: an attached System V segment today; a POSIX
/// shared memory object, a file mapping or a memfd as they come. `read`, `write` and `dump` (and,
/// later, `--as STRUCT`) work on any region, so a new kind of mapping is one conformance, not a
/// case added to each of those commands, the argument binder and completion.
public protocol MemoryRegion: Handle {
    /// The size of the region in bytes.
    var size: Int { get }
    /// Writes are refused (mapped read-only).
    var isReadOnly: Bool { get }
    /// The mapped bytes, or why they cannot be used now (not mapped, removed), as the error
    /// `command` reports.
    func mappedBytes(for command: String) throws(Diagnostic) -> UnsafeMutableRawBufferPointer
    /// What makes a read-only region writable, for the error.
    var writableHint: String? { get }
}

extension MemoryRegion {
    public var asMemoryRegion: (any MemoryRegion)? { self }
}
