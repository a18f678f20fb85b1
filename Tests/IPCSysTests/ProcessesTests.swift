@preconcurrency import Glibc
import CIPCShims
import IPCSys
import XCTest

/// fork, posix_spawn, waitpid and kill on real children, checked through the trace entries
/// each call records. Every child is reaped before its test ends.
final class ProcessesTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Signals.install() // SIGCHLD wakes the self-pipe: waitInForeground returns at once
    }

    override func tearDown() {
        SyscallTrace.sink = nil
        Signals.resetToDefaults()
        Signals.takeTermination()
        Signals.takeInterrupt()
        super.tearDown()
    }

    private func spawn(_ path: String, _ arguments: [String] = [], searchPath: Bool = false) throws(SystemCallError) -> pid_t {
        try Processes.spawn(path, arguments: arguments, searchPath: searchPath,
                            stdin: -1, stdout: -1, stderr: -1, newGroup: false)
    }

    func testSpawnTrueIsTracedWithItsPidAndExitsZero() throws {
        let (pid, entries) = try recordingTrace { try spawn("/bin/true") }
        XCTAssertEqual(try reap(pid), .exited(0))
        XCTAssertEqual(entries, [TraceEntry("posix_spawn", [.symbol("&pid"), .string("/bin/true"), .strings(["/bin/true"])],
                                            .returned(.annotated(.int(0), "pid \(pid)")))])
        XCTAssertEqual(entries.first?.description, "posix_spawn(&pid, \"/bin/true\", [\"/bin/true\"]) = 0 (pid \(pid))")
    }

    func testSearchPathSpawnAndExitStatus() throws {
        let (pid, entries) = try recordingTrace { try spawn("sh", ["-c", "exit 3"], searchPath: true) }
        let status = try reap(pid)
        XCTAssertEqual(status, .exited(3))
        XCTAssertEqual(status?.shellStatus, 3)
        XCTAssertEqual(status?.description, "exited with status 3")
        XCTAssertEqual(entries.map(\.call), ["posix_spawnp"])
        XCTAssertEqual(entries.first?.arguments.last, .strings(["sh", "-c", "exit 3"]))
    }

    func testWaitInForegroundReturnsTheStatusWithoutTracingWaitpid() throws {
        let pid = try spawn("/bin/sh", ["-c", "exit 3"])
        var wakeups = 0
        let (result, entries) = try recordingTrace { try Processes.waitInForeground(pid) { wakeups += 1 } }
        XCTAssertEqual(result.status, .exited(3))
        XCTAssertFalse(result.interrupted)
        XCTAssertEqual(entries, [], "the reaper's waitpid is not traced: it would differ from run to run")
    }

    func testSpawningAMissingProgramFailsWithENOENT() throws {
        let (error, entries) = recordingFailure(try spawn("/nonexistent-ipcsys-program"))
        XCTAssertEqual(error, SystemCallError("posix_spawn", errno: ENOENT))
        XCTAssertEqual(entries.map { $0.errno }, [ENOENT])
        XCTAssertEqual(entries.first?.description,
                       "posix_spawn(&pid, \"/nonexistent-ipcsys-program\", [\"/nonexistent-ipcsys-program\"]) = -1 ENOENT (No such file or directory)")
    }

    func testKillIsTracedAndTheChildReportsTheSignal() throws {
        let pid = try spawn("/bin/sleep", ["30"])
        let (_, entries) = try recordingTrace { try Processes.kill(pid, SIGTERM) }
        let status = try reap(pid)
        XCTAssertEqual(status, .signaled(SIGTERM))
        XCTAssertEqual(status?.description, "killed by signal TERM")
        XCTAssertEqual(status?.shellStatus, 143)
        XCTAssertEqual(entries, [TraceEntry("kill", [.int(Int(pid)), .symbol("SIGTERM")], .returned(.int(0)))])
    }

    func testKillOfNoSuchProcessFailsWithESRCH() {
        // Signal 0 only checks that the process exists; no pid reaches Int32.max.
        let (error, entries) = recordingFailure(try Processes.kill(Int32.max, 0))
        XCTAssertEqual(error?.errno, ESRCH)
        XCTAssertEqual(entries.first?.description, "kill(\(Int32.max), SIG0) = -1 ESRCH (No such process)")
    }

    func testPollSaysNilWhileTheChildRuns() throws {
        let pid = try spawn("/bin/sleep", ["30"])
        XCTAssertNil(try Processes.poll(pid))
        XCTAssertNil(try Processes.pollChange(pid))
        try Processes.kill(pid, SIGKILL)
        XCTAssertEqual(try reap(pid), .signaled(SIGKILL))
    }

    func testPollChangeSeesStopAndContinue() throws {
        let pid = try spawn("/bin/sleep", ["30"])
        defer { kill(pid, SIGKILL); _ = try? reap(pid) }
        try Processes.kill(pid, SIGSTOP)
        XCTAssertEqual(try waitForChange(pid), .stopped(signal: SIGSTOP))
        try Processes.kill(pid, SIGCONT)
        XCTAssertEqual(try waitForChange(pid), .continued)
    }

    private func waitForChange(_ pid: pid_t) throws -> Processes.Change? {
        for _ in 0..<1000 {
            if let change = try Processes.pollChange(pid) { return change }
            usleep(5_000)
        }
        return nil
    }

    func testWaitpidOnAStrangerFailsWithECHILD() {
        XCTAssertThrowsError(try Processes.poll(1)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("waitpid", errno: ECHILD))
        }
    }

    func testForkTracesThePidInTheParentOnly() throws {
        let (pid, entries) = try recordingTrace { () throws -> pid_t in
            let pid = try Processes.fork()
            if pid == 0 { Processes.exitChild(7) }
            return pid
        }
        XCTAssertEqual(try reap(pid), .exited(7))
        XCTAssertEqual(entries, [TraceEntry("fork", [], .returned(.int(Int(pid))))])
        XCTAssertEqual(entries.first?.description, "fork() = \(pid)")
    }

    /// A TERM sent right after fork, before the child has put back the default disposition,
    /// must still end it (`kill child1` at once after `fork`): it once reached the parent's
    /// handler in the child, which only set a flag the child then cleared.
    func testTERMRightAfterForkEndsTheChild() throws {
        let pid = try Processes.fork()
        if pid == 0 {
            usleep(200_000) // the TERM arrives now, before the child's own dispositions
            Signals.defaultTerminationInChild()
            usleep(3_000_000)
            Processes.exitChild(0)
        }
        try Processes.kill(pid, SIGTERM)
        XCTAssertEqual(try reap(pid), .signaled(SIGTERM))
    }

    /// posix_spawn gets C copies of the arguments; each spawn must free all of them (it once
    /// leaked the copy of the path). A 3 KB path makes a leak stand out from the allocator's noise.
    func testSpawnFreesTheCopiesOfItsArguments() throws {
        let path = String(repeating: "/", count: 3000) + "bin/true"
        func spawnAndReap() throws { XCTAssertEqual(try reap(try spawn(path, ["an argument"])), .exited(0)) }
        try spawnAndReap()
        let before = ipcsh_heap_in_use()
        for _ in 0..<40 { try spawnAndReap() }
        let grown = Int(ipcsh_heap_in_use()) - Int(before)
        XCTAssertLessThan(grown, 40 * 3000 / 2, "\(grown) bytes more in use after 40 spawns")
    }
}
