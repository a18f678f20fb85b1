@preconcurrency import Glibc
import IPCSys
import XCTest

/// The shell's signal handling on this test process: handlers that set a flag and wake the
/// self-pipe, no SA_RESTART (a blocking read returns EINTR), SIGPIPE ignored. tearDown puts
/// the default dispositions back.
final class SignalsTests: XCTestCase {
    private var openDescriptors: [Int32] = []

    override func setUp() {
        super.setUp()
        Signals.install()
        Signals.takeTermination()
        Signals.takeInterrupt()
    }

    override func tearDown() {
        SyscallTrace.sink = nil
        Signals.armAlarm(milliseconds: 0)
        _ = Signals.takeAlarm()
        Signals.takeTermination()
        Signals.takeInterrupt()
        Signals.resetToDefaults()
        for fd in openDescriptors { Glibc.close(fd) }
        super.tearDown()
    }

    private func pipe() throws -> (read: Int32, write: Int32) {
        let ends = try Descriptors.internalPipe()
        openDescriptors += [ends.read, ends.write]
        return ends
    }

    private func wakeDescriptorIsReadable() -> Bool {
        var pfd = pollfd(fd: Signals.wakeDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) == 1
    }

    func testSIGINTSetsTheFlagAndWakesTheSelfPipe() {
        XCTAssertFalse(Signals.interruptPending)
        raise(SIGINT)
        XCTAssertTrue(Signals.interruptPending)
        XCTAssertTrue(wakeDescriptorIsReadable())
        XCTAssertTrue(Signals.takeInterrupt())
        XCTAssertFalse(Signals.interruptPending)
        XCTAssertFalse(wakeDescriptorIsReadable(), "taking the interrupt drains the self-pipe")
        XCTAssertFalse(Signals.takeInterrupt())
    }

    func testSIGTERMAsksTheSessionToEndAndReadsAsAnInterrupt() {
        raise(SIGTERM)
        XCTAssertEqual(Signals.terminationSignal, SIGTERM)
        XCTAssertTrue(Signals.interruptPending, "whatever blocks stops as for Ctrl-C")
        XCTAssertEqual(Signals.takeTermination(), SIGTERM)
        XCTAssertNil(Signals.terminationSignal)
        XCTAssertFalse(Signals.interruptPending)
    }

    func testSIGCHLDEndsAwaitWakeupEarly() {
        let start = Clock.monotonicNanoseconds()
        raise(SIGCHLD)
        Signals.awaitWakeup(milliseconds: 5000)
        XCTAssertLessThan(Clock.monotonicNanoseconds() - start, 2_000_000_000)
        XCTAssertFalse(wakeDescriptorIsReadable(), "awaitWakeup drains what woke it")
    }

    /// No SA_RESTART: a read blocked on an empty pipe returns EINTR when a signal comes, and
    /// is not made again (blocking IPC calls never retry, so Ctrl-C reaches the prompt).
    func testABlockedReadReturnsEINTRAndIsNotRetried() throws {
        let ends = try pipe()
        Signals.armAlarm(milliseconds: 50)
        let (error, entries) = recordingFailure(try Descriptors.read(ends.read, max: 16))
        XCTAssertEqual(error, SystemCallError("read", errno: EINTR))
        XCTAssertTrue(error?.wasInterrupted ?? false)
        XCTAssertTrue(Signals.takeAlarm())
        XCTAssertEqual(entries, [TraceEntry("read", [.int(Int(ends.read)), .output(name: "buf", .bytes([])), .int(16)], .failed(errno: EINTR))])
        XCTAssertEqual(entries.first?.description, "read(\(ends.read), buf, 16) = -1 EINTR (Interrupted system call)")
    }

    func testBlockingCallGivesUpAtItsDeadline() throws {
        let ends = try pipe()
        let start = Clock.monotonicNanoseconds()
        let result = try Signals.blockingCall(timeoutMilliseconds: 100, retryMilliseconds: 20) { () throws(SystemCallError) in
            try Descriptors.read(ends.read, max: 16)
        }
        XCTAssertNil(result, "nothing to read: nil at the deadline")
        XCTAssertGreaterThanOrEqual(Clock.monotonicNanoseconds() - start, 100_000_000)
    }

    /// A wait the timer interrupts every 20 ms is one call in the trace, not one per retry:
    /// the attempt the deadline ended is the only EINTR shown.
    func testBlockingCallTracesTheWaitOnceNotEachRetry() throws {
        let ends = try pipe()
        let (result, entries) = try recordingTrace {
            try Signals.blockingCall(timeoutMilliseconds: 200, retryMilliseconds: 20) { () throws(SystemCallError) in
                try Descriptors.read(ends.read, max: 16)
            }
        }
        XCTAssertNil(result)
        XCTAssertEqual(entries.map(\.description), ["read(\(ends.read), buf, 16) = -1 EINTR (Interrupted system call)"])
        // A call that succeeds after retries shows only its success.
        let writer = try pipe()
        var attempts = 0
        let (value, traced) = try recordingTrace {
            try Signals.blockingCall(timeoutMilliseconds: 5000, retryMilliseconds: 20) { () throws(SystemCallError) -> [UInt8] in
                attempts += 1
                if attempts == 3 { _ = try Descriptors.write(writer.write, Array("hi".utf8)) }
                return try Descriptors.read(attempts >= 3 ? writer.read : ends.read, max: 16)
            }
        }
        XCTAssertEqual(value, Array("hi".utf8))
        XCTAssertEqual(attempts, 3)
        XCTAssertEqual(traced.map(\.description), ["write(\(writer.write), \"hi\", 2) = 2", "read(\(writer.read), \"hi\", 16) = 2"])
    }

    func testBlockingCallStopsAtCtrlC() throws {
        let ends = try pipe()
        raise(SIGINT)
        XCTAssertThrowsError(try Signals.blockingCall(timeoutMilliseconds: 5000) { () throws(SystemCallError) in
            try Descriptors.read(ends.read, max: 16)
        }) { error in
            XCTAssertEqual((error as? SystemCallError)?.errno, EINTR)
        }
    }

    func testSIGPIPEIsIgnoredSoWriteReportsEPIPE() throws {
        let ends = try pipe()
        Glibc.close(ends.read)
        openDescriptors.removeAll { $0 == ends.read }
        XCTAssertEqual(failure(try Descriptors.write(ends.write, [1])), SystemCallError("write", errno: EPIPE))
    }

    func testSignalNames() {
        XCTAssertEqual(Signals.name(SIGTERM), "TERM")
        XCTAssertEqual(Signals.name(SIGKILL), "KILL")
        XCTAssertEqual(Signals.byName["USR1"], SIGUSR1)
        XCTAssertEqual(Signals.name(0), "0")
    }
}
