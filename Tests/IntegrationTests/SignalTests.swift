import XCTest

/// Issue 14.5: signals as IPC, on the real binary: handlers between commands, values with
/// sigqueue, coalescing standard signals against queued real-time ones, the shell's own refused.
final class SignalTests: IPCTestCase {
    func testAHandlerRunsBetweenCommandsWithTheSenderAndTheValue() throws {
        let r = try Harness.runCommands("""
            signal on USR1 { echo "got $signal value $value" }
            signal send self USR1
            signal send self USR1 --value 7
            echo after
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").suffix(3), ["got USR1 value 0", "got USR1 value 7", "after"], r.stdout)
    }

    func testStandardSignalsCoalesceAndRealTimeOnesQueueWithTheirValues() throws {
        let r = try Harness.runCommands("""
            signal block USR2
            signal block RTMIN+2
            signal send self USR2
            signal send self USR2
            signal send self RTMIN+2 --value 1
            signal send self RTMIN+2 --value 2
            signal pending
            s = signal wait USR2 --timeout 1s
            echo $s.signal
            signal wait RTMIN+2 --timeout 1s
            signal wait RTMIN+2 --timeout 1s
            signal wait USR2 RTMIN+2 --timeout 100ms
            """)
        XCTAssertEqual(r.status, 1, "the last wait finds nothing: " + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "USR2 RTMIN+2")
        XCTAssertEqual(lines.dropFirst().first, "USR2", "USR2 sent twice arrives once")
        XCTAssertTrue(lines.contains { $0.hasPrefix("RTMIN+2 from pid ") && $0.hasSuffix(" value 1") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("RTMIN+2 from pid ") && $0.hasSuffix(" value 2") }, r.stdout)
        XCTAssertTrue(r.stderr.contains("signal wait: no USR2 or RTMIN+2 within 100ms"), r.stderr)
    }

    func testTheShellSignalsAChildByItsHandleAndTheChildsHandlerRunsThere() throws {
        let r = try Harness.runCommands("""
            fork
            @child1 signal on USR1 { echo "child got $signal value $value" }
            @child1 echo ready
            sleep 300ms
            signal send child1 USR1 --value 9
            sleep 300ms
            @child1 echo done
            sleep 300ms
            @child1 exit
            wait all
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("child got USR1 value 9"), r.stdout)
    }

    func testTheShellsOwnSignalsAndUncatchableOnesAreRefused() throws {
        for (command, message) in [("signal on INT { echo no }", "signal on: SIGINT is the shell's own"),
                                   ("signal ignore CHLD", "signal ignore: SIGCHLD is the shell's own"),
                                   ("signal on KILL { echo no }", "signal on: SIGKILL cannot be caught"),
                                   ("signal send self NOPE", "signal send: 'NOPE' is not a signal"),
                                   ("signal send nobody USR1", "signal send: 'nobody' is not a child, a pid or self")] {
            let r = try Harness.runCommands(command)
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains(message), "\(command): \(r.stderr)")
        }
    }

    func testAnIgnoredSignalIsDiscardedAndDefaultRestoresItsAction() throws {
        let r = try Harness.runCommands("""
            signal ignore USR1
            signal send self USR1
            echo still-here
            signal default USR1
            signal send self USR1
            echo not-reached
            """)
        XCTAssertTrue(r.stdout.contains("still-here"), r.stdout)
        XCTAssertFalse(r.stdout.contains("not-reached"), r.stdout)
        XCTAssertNotEqual(r.status, 0, "USR1 at its default action ends the process")
    }
}

extension SignalTests {
    /// A `signal on` block runs while the shell sleeps (as a C handler would), and the sleep goes on.
    func testAHandlerRunsDuringASleep() throws {
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "signal on USR1 { echo \"got $signal\" }\necho ready\nsleep 2\necho done"])
        defer { shell.stop() }
        XCTAssertEqual(shell.readLine(), "ready")
        usleep(200_000)
        kill(shell.pid, SIGUSR1)
        XCTAssertEqual(shell.readLine(timeout: 1.5), "got USR1", "the block runs before the sleep ends")
        XCTAssertEqual(shell.readLine(timeout: 5), "done")
        XCTAssertEqual(shell.wait(timeout: 5), 0)
    }
}
