import Foundation
import XCTest

/// The interactive shell on a real terminal (tmux): prompt, colors, Tab completion,
/// history, Ctrl-C, Ctrl-D, continuation lines and interactive errors.
final class REPLTests: IPCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
        directory = try makeDirectory()
    }

    private func startShell(environment: [String: String] = ["NO_COLOR": "1"], removing: [String] = [],
                            history: String = "history") throws -> TmuxSession {
        try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent(history).path,
                        directory: directory.path, environment: environment, removing: removing)
    }

    // MARK: Prompt and colors

    func testPromptCarriesTheShellsPIDAndHasNoColorsWithNO_COLOR() throws {
        let shell = try startShell()
        let comm = try String(contentsOfFile: "/proc/\(shell.pid)/comm", encoding: .utf8)
        XCTAssertEqual(comm.trimmingCharacters(in: .whitespacesAndNewlines), "ipcsh",
                       "the pid in the prompt must be the shell's own")
        try shell.waitForLastLine("ipcsh[\(shell.pid)]> ")
        try shell.enter("echo plain")
        try shell.waitForLastLine(shell.prompt)
        XCTAssertFalse(try shell.screen(escapes: true).contains("\u{1B}["), "NO_COLOR must mean no escapes")
    }

    func testPromptAndErrorsAreColoredOnATerminalWithoutNO_COLOR() throws {
        let shell = try startShell(environment: [:], removing: ["NO_COLOR"])
        try shell.enter("shm attach nothing-here")
        try shell.waitForScreen("the error") { $0.contains("error: shm attach") }
        let screen = try shell.screen(escapes: true)
        XCTAssertTrue(screen.contains("\u{1B}["), "expected color sequences, got:\n\(screen)")
        // The escapes are around the prompt, not inside it: the text stays the same.
        XCTAssertTrue(try shell.screen().contains("ipcsh[\(shell.pid)]> shm attach nothing-here"))
    }

    /// Issue 11.9: the greeting on a terminal is the shell's, not the lesson's.
    func testAnInteractiveRecordingHoldsNoBanner() throws {
        let path = directory.appendingPathComponent("lesson.ipcs").path
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, environment: [:], removing: ["NO_COLOR"],
                                    arguments: ["--record", path])
        try shell.waitForScreen("the banner") { $0.contains("type help for commands") }
        try shell.enter("echo recorded")
        try shell.waitForScreen("the output") { $0.contains("\nrecorded") }
        try shell.enter("exit")
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(shell.processExists, "the shell did not exit")
        let recording = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(recording.contains("type help for commands"), recording)
        XCTAssertTrue(recording.contains("echo recorded\n#| recorded\n"), recording)
    }

    // MARK: Completion

    func testTabCompletesCommandsAndSubcommands() throws {
        let shell = try startShell()
        try shell.type("sh")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "shm ")
        try shell.type("at")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "shm attach ")
    }

    func testTabCompletesHandleNamesOfTheKindThePositionTakes() throws {
        let keyValue = makeKey()
        let key = Harness.hex(keyValue)
        let shell = try startShell()
        try shell.enter("buf = shm create \(key) 64")
        try shell.waitForScreen("the segment") { $0.contains("buf: created") }
        try shell.enter("set bee 1")
        try shell.waitForLastLine(shell.prompt)

        // A variable starting with b is not a segment: only buf is offered.
        try shell.type("shm attach b")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "shm attach buf ")
        try shell.press("C-u")
        try shell.waitForLastLine(shell.prompt)
        // After NAME =, the command is completed as at the start of a line.
        try shell.type("x = shm st")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "x = shm stat ")
        try shell.type("b")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "x = shm stat buf ")
        try shell.press("C-u")
        try shell.enter("shm rm buf")
        try shell.waitForScreen("the removal") { $0.contains("buf: removed") }
        XCTAssertFalse(Harness.segmentExists(key: keyValue))
    }

    func testTabCompletesOptions() throws {
        let shell = try startShell()
        // Never run: the line is only completed, then cleared.
        try shell.type("shm create 1 1 --e")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "shm create 1 1 --excl ")
        try shell.press("C-u")
        try shell.waitForLastLine(shell.prompt)
    }

    func testTabCompletesPathsWithASlashAfterADirectoryAndASpaceAfterAFile() throws {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("lessons"),
                                                withIntermediateDirectories: false)
        try "echo sourced\n".write(to: directory.appendingPathComponent("lessons/first.ipcs"),
                                   atomically: false, encoding: .utf8)
        try "".write(to: directory.appendingPathComponent("notes.ipcs"), atomically: false, encoding: .utf8)
        let shell = try startShell()
        // A directory: '/' and no space, so the next Tab goes on inside it.
        try shell.type("source les")
        try shell.press("Tab")
        // (The cursor right after the '/': no space after a directory.)
        try shell.waitForLastLine(shell.prompt + "source lessons/")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "source lessons/first.ipcs ")
        try shell.press("Enter")
        try shell.waitForScreen("the script's output") { $0.split(separator: "\n").contains("sourced") }
        // A file in the current directory.
        try shell.type("source no")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "source notes.ipcs ")
        try shell.press("C-u")
    }

    /// Issue 11.15 on a real terminal: paths after unix:, no space after a word that goes on,
    /// each option once, actors after @, signal names.
    func testTabCompletesAddressesActorsSignalsAndEachOptionOnce() throws {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("socks"), withIntermediateDirectories: false)
        let keyValue = makeKey()
        let shell = try startShell()
        try shell.type("sock listen un")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "sock listen unix:")
        try shell.type("so")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "sock listen unix:socks/")
        try shell.press("C-u")
        try shell.waitForLastLine(shell.prompt)

        try shell.enter("buf = shm create \(Harness.hex(keyValue)) 64")
        try shell.waitForScreen("the segment") { $0.contains("buf: created") }
        try shell.type("shm attach buf ")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "shm attach buf --readonly ")
        try shell.press("Tab")
        usleep(300_000)
        try shell.waitForLastLine(shell.prompt + "shm attach buf --readonly ")
        try shell.press("C-u")

        try shell.enter("reader = fork")
        try shell.waitForScreen("the actor") { $0.contains("reader: actor pid") }
        try shell.type("@r")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "@reader ")
        try shell.press("C-u")
        try shell.type("kill reader KI")
        try shell.press("Tab")
        try shell.waitForLastLine(shell.prompt + "kill reader KILL ")
        try shell.press("C-u")
        try shell.enter("shm rm buf")
        try shell.waitForScreen("the removal") { $0.contains("buf: removed") }
        XCTAssertFalse(Harness.segmentExists(key: keyValue))
    }

    // MARK: History

    func testUpRecallsThePreviousLineAndTheHistoryFileIsPrivate() throws {
        let historyPath = directory.appendingPathComponent("history").path
        XCTAssertFalse(FileManager.default.fileExists(atPath: historyPath))
        do {
            let shell = try startShell()
            try shell.enter("repeat 2 {")
            try shell.waitForLastLine("...> ")
            try shell.enter("echo in-block")
            try shell.enter("}")
            try shell.waitForLastLine(shell.prompt)
            try shell.enter("echo first-line")
            try shell.waitForLastLine(shell.prompt)
            try shell.enter("echo second-line")
            try shell.waitForLastLine(shell.prompt)
            try shell.press("Up")
            try shell.waitForLastLine(shell.prompt + "echo second-line")
            try shell.press("Up")
            try shell.waitForLastLine(shell.prompt + "echo first-line")
            try shell.press("Enter")
            try shell.waitForScreen("the recalled line's output") {
                $0.split(separator: "\n").filter { $0 == "first-line" }.count == 2
            }
            try shell.press("C-d")
            try shell.waitForScreen("exit") { _ in !shell.processExists }
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: historyPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let saved = try String(contentsOfFile: historyPath, encoding: .utf8)
        // Each entry follows a `#<time>` line (that is how a block keeps its lines together).
        let entries = saved.split(separator: "\n").map(String.init)
            .filter { !($0.hasPrefix("#") && $0.dropFirst().allSatisfy(\.isNumber)) }
        XCTAssertEqual(entries, ["repeat 2 {", "echo in-block", "}", "echo first-line", "echo second-line",
                                 "echo first-line"])

        // A new shell reads it back, the block as one entry that runs again.
        let next = try startShell()
        try next.press("Up")
        try next.waitForLastLine(next.prompt + "echo first-line")
        try next.press("Up")
        try next.waitForLastLine(next.prompt + "echo second-line")
        try next.press("Up")
        try next.waitForLastLine(next.prompt + "echo first-line")
        try next.press("Up")
        try next.waitForLastLine("}")
        try next.press("Enter")
        try next.waitForLastLine(next.prompt)
        let lines = try next.lines()
        XCTAssertEqual(lines.filter { $0 == "in-block" }.count, 2, "\(lines)")
    }

    // MARK: Ctrl-C and Ctrl-D

    func testCtrlCAtThePromptDropsTheTypedLine() throws {
        let shell = try startShell()
        try shell.type("echo never-run")
        try shell.waitForLastLine(shell.prompt + "echo never-run")
        try shell.press("C-c")
        try shell.waitForLastLine(shell.prompt)
        XCTAssertEqual(try shell.promptCount(), 2)
        try shell.enter("echo ran")
        try shell.waitForScreen("the next command") { $0.split(separator: "\n").contains("ran") }
        XCTAssertFalse(try shell.lines().contains("never-run"), "the cleared line must not run")
        // Nor is it in the history: Up gives the last line entered.
        try shell.waitForLastLine(shell.prompt)
        try shell.press("Up")
        try shell.waitForLastLine(shell.prompt + "echo ran")
    }

    func testCtrlCInterruptsABlockingSleepAndTheShellGoesOn() throws {
        let shell = try startShell()
        try shell.enter("sleep 30")
        try shell.waitForScreen("the sleep to start") { $0.contains("> sleep 30\n") }
        usleep(300_000)
        try shell.press("C-c")
        // Far less than the 30 s the sleep would take.
        try shell.waitForLastLine(shell.prompt)
        XCTAssertTrue(try shell.screen().contains("interrupted"))
        try shell.enter("echo still-here")
        try shell.waitForScreen("the next command") { $0.split(separator: "\n").contains("still-here") }
        XCTAssertTrue(shell.processExists)
    }

    /// Issue 11.9: Ctrl-C says `warning: interrupted` on a line of its own, in a script as at the prompt.
    func testCtrlCInAScriptOnATerminalSaysSoOnALineOfItsOwn() throws {
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, arguments: ["-c", "echo started; sleep 20"],
                                    startedWhen: { $0.contains("started") })
        usleep(200_000)
        try shell.press("C-c")
        let screen = try shell.waitForScreen("the interruption") { $0.contains("interrupted") }
        let lines = screen.split(separator: "\n").map { String($0).trimmingTrailingBlanks() }
        XCTAssertTrue(lines.contains("warning: interrupted"), screen)
        XCTAssertFalse(screen.contains("^Cinterrupted") || screen.contains("^Cwarning"), screen)
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try shell.exitStatus(), 130)
    }

    func testCtrlDOnAnEmptyLineExits() throws {
        let shell = try startShell()
        XCTAssertTrue(shell.processExists)
        try shell.press("C-d")
        try shell.waitForScreen("the shell to exit") { _ in !shell.processExists }
        // tmux reports the status once it has reaped the shell.
        if let status = try shell.exitStatus() { XCTAssertEqual(status, 0) }
    }

    // MARK: Continuation and errors

    func testAnOpenBlockContinuesAndRunsWhenClosed() throws {
        let shell = try startShell()
        try shell.enter("repeat 2 {")
        try shell.waitForLastLine("...> ")
        try shell.enter("echo block-$i")
        try shell.waitForLastLine("...> ")
        XCTAssertFalse(try shell.lines().contains { $0.hasPrefix("block-") }, "nothing runs before the block closes")
        try shell.enter("}")
        try shell.waitForLastLine(shell.prompt)
        let lines = try shell.lines()
        XCTAssertEqual(lines.filter { $0.hasPrefix("block-") }.count, 2, "\(lines)")
    }

    func testCtrlDAtTheContinuationPromptDropsTheUnfinishedCommandAndStays() throws {
        let shell = try startShell()
        try shell.enter("repeat 2 {")
        try shell.waitForLastLine("...> ")
        try shell.enter("echo dropped")
        try shell.waitForLastLine("...> ")
        try shell.press("C-d")
        try shell.waitForLastLine(shell.prompt)
        XCTAssertTrue(try shell.screen().contains("unfinished command discarded"))
        XCTAssertNil(try shell.exitStatus(), "Ctrl-D at ...> must not end the shell")
        try shell.enter("echo kept")
        try shell.waitForScreen("the next command") { $0.split(separator: "\n").contains("kept") }
        XCTAssertFalse(try shell.lines().contains("dropped"))
    }

    func testAnUnterminatedQuoteContinuesOnTheNextLine() throws {
        let shell = try startShell()
        try shell.enter("echo \"two")
        try shell.waitForLastLine("...> ")
        try shell.enter("lines\"")
        try shell.waitForLastLine(shell.prompt)
        let lines = try shell.lines()
        XCTAssertTrue(lines.contains("two") && lines.contains("lines"), "\(lines)")
    }

    func testErrorsAreReportedWithoutALocation() throws {
        let shell = try startShell()
        try shell.enter("shm attach nothing-here")
        try shell.waitForLastLine(shell.prompt)
        try shell.enter("}")
        try shell.waitForScreen("the second error") { $0.components(separatedBy: "error: ").count == 3 }
        let errors = try shell.lines().filter { $0.contains("error:") }
        XCTAssertEqual(errors.count, 2)
        for line in errors {
            XCTAssertTrue(line.hasPrefix("error: "), "interactive errors carry no file:line:col: \(line)")
        }
        try shell.waitForLastLine(shell.prompt)
    }
}
