import Foundation
import XCTest

/// Ctrl-C at the prompt of the real REPL (tmux) ends each blocking System V call, the
/// shell comes back to the prompt, and the handle still works.
final class SystemVREPLTests: SystemVTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
        directory = try makeDirectory()
    }

    /// Types `setup` (which must create one object with a unique key), then `blocking`; waits
    /// until the shell is blocked in `call`, presses Ctrl-C, and checks the prompt is back and
    /// `after` runs, printing `expected`.
    private func checkCtrlC(key: Int32, setup: String, blocking: String, call: String,
                            after: String, expected: String) throws {
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path)
        try shell.enter("cleanup on")
        try shell.enter(setup)
        try shell.waitForScreen("the object") { $0.contains("created") }
        try shell.enter(blocking)
        try shell.waitForScreen("the command") { $0.contains("> " + blocking + "\n") }
        XCTAssertTrue(Harness.waitUntilBlocked(shell.pid, in: call), "never blocked in \(call)")
        let prompts = try shell.promptCount()
        try shell.press("C-c")
        try shell.waitForLastLine(shell.prompt)
        XCTAssertEqual(try shell.promptCount(), prompts + 1)
        let screen = try shell.screen()
        XCTAssertTrue(screen.split(separator: "\n").contains("warning: interrupted"), screen)
        try shell.enter(after)
        try shell.waitForScreen("the next command") { $0.split(separator: "\n").contains { $0 == expected } }
        XCTAssertTrue(shell.processExists)
        try shell.enter("exit")
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(Harness.queueExists(key: key) || Harness.semaphoreSetExists(key: key), "cleanup on removed it")
    }

    func testCtrlCEndsABlockedReceiveAtThePrompt() throws {
        let key = makeKey()
        try checkCtrlC(key: key, setup: "q = mq create \(Harness.hex(key))", blocking: "mq recv q 5", call: "msgrcv",
                       after: "mq send q 5 later; mq recv q", expected: "type 5: later")
    }

    func testCtrlCEndsASendBlockedOnAFullQueueAtThePrompt() throws {
        let key = makeKey()
        try checkCtrlC(key: key, setup: "struct big { char b[8000]; }; q = mq create \(Harness.hex(key)); mq send q 1 --as big; mq send q 2 --as big",
                       blocking: "mq send q 3 --as big", call: "msgsnd",
                       after: "mq recv q -2 --size 8000 --as big; echo received", expected: "received")
    }

    func testCtrlCEndsABlockedSemaphoreOperationAtThePrompt() throws {
        let key = makeKey()
        try checkCtrlC(key: key, setup: "s = sem create \(Harness.hex(key)) 2", blocking: "sem op s 0-1 1+1 --undo", call: "semtimedop",
                       after: "sem post s 0; sem get s", expected: "1 0")
    }
}
