@preconcurrency import Glibc
import IPCSys
import XCTest

/// Runs `body` with a sink that keeps every entry IPCSys records, as the shell's `trace on`
/// does with its printer, and returns them with what `body` returned.
func recordingTrace<T>(_ body: () throws -> T) rethrows -> (T, [TraceEntry]) {
    var entries: [TraceEntry] = []
    SyscallTrace.sink = { entries.append($0) }
    defer { SyscallTrace.sink = nil }
    let value = try body()
    return (value, entries)
}

/// The error `body` threw, or nil.
func failure<T>(_ body: @autoclosure () throws(SystemCallError) -> T) -> SystemCallError? {
    do { _ = try body() } catch { return error }
    return nil
}

/// The error a call threw (nil if it succeeded) and the entries it recorded.
func recordingFailure<T>(_ body: @autoclosure () throws(SystemCallError) -> T) -> (SystemCallError?, [TraceEntry]) {
    var entries: [TraceEntry] = []
    SyscallTrace.sink = { entries.append($0) }
    defer { SyscallTrace.sink = nil }
    return (failure(try body()), entries)
}

/// A fresh directory under /tmp, for FIFOs and socket files; removed by `removeDirectory`.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/ipcsys-test-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { throw SystemCallError("mkdtemp", errno: Errno.current) }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func removeDirectory(_ path: String) {
    for name in (try? FileSystem.directoryEntries(path)) ?? [] { unlink(path + "/" + name) }
    rmdir(path)
}

/// Waits for a child to end (at most `seconds`, then kills it) and returns how it ended.
func reap(_ pid: pid_t, within seconds: Int = 10, file: StaticString = #filePath, line: UInt = #line) throws -> ExitStatus? {
    let deadline = Clock.monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000
    while Clock.monotonicNanoseconds() < deadline {
        if let status = try Processes.poll(pid) { return status }
        usleep(5_000)
    }
    XCTFail("pid \(pid) did not end within \(seconds) s", file: file, line: line)
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return nil
}

/// A test that makes descriptors and files: what it keeps is closed and removed in tearDown,
/// and the trace sink is cleared, even when the test fails.
class DescriptorTestCase: XCTestCase {
    /// Descriptors tearDown closes (`keep` adds one).
    var openDescriptors: [Int32] = []
    /// A temporary directory tearDown removes.
    var directory: String?

    override func tearDown() {
        SyscallTrace.sink = nil
        for fd in openDescriptors { Glibc.close(fd) }
        openDescriptors = []
        if let directory { removeDirectory(directory) }
        directory = nil
        super.tearDown()
    }

    /// Keeps `fd` for tearDown to close, and returns it.
    @discardableResult
    func keep(_ fd: Int32) -> Int32 {
        openDescriptors.append(fd)
        return fd
    }
}
