import Foundation
import IPCShell
import IPCTeaching
import XCTest
import IPCSyntax

/// Issue 4: a teacher records a lesson in the REPL, replays it to a class, and CI checks
/// that it still prints what it showed; `trace` shows the system calls behind each command.
/// The REPL and replay run on a real terminal (tmux); every object is private or in a
/// directory of the test's own.
final class TeachingTests: IPCTestCase {
    private func requireTmux() throws {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
    }

    // MARK: Helpers

    /// Types a line and presses Enter, then waits until `expect` is on the screen and the
    /// shell shows a fresh prompt (or the continuation prompt, for an open block).
    private func enter(_ shell: TmuxSession, _ line: String, expect: String? = nil, continuation: Bool = false) throws {
        let promptsBefore = try shell.promptCount()
        try shell.enter(line)
        if continuation {
            try shell.waitForLastLine("...> ")
            return
        }
        try shell.waitForScreen("\(expect ?? line) and a new prompt") { screen in
            let prompts = screen.split(separator: "\n").filter { $0.hasPrefix(shell.prompt) }.count
            return (expect.map { screen.contains($0) } ?? true) && prompts > promptsBefore
                && (screen.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { String($0).trimmingTrailingBlanks() == shell.prompt.trimmingTrailingBlanks() } ?? false)
        }
    }

    /// The exit status once tmux has seen the shell end (it may reap late).
    private func waitForExitStatus(_ shell: TmuxSession) throws -> Int32? {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let status = try shell.exitStatus() { return status }
            usleep(50_000)
        }
        return nil
    }

    private func lines(of path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    private func write(_ lines: [String], to path: String) throws {
        try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// `ipcsh check FILE`.
    private func check(_ path: String) throws -> Harness.Result {
        try Harness.run(["check", path], timeout: 60)
    }

    /// Records a short shared-memory lesson at the REPL, ending with `exit`.
    private func recordLesson(in directory: URL) throws -> String {
        try requireTmux()
        let path = directory.appendingPathComponent("lesson.ipcs").path
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, arguments: ["--cleanup", "--record", path])
        try enter(shell, "buf = shm create private 1024", expect: "buf: created segment key private")
        try enter(shell, "shm attach buf", expect: "buf: attached at 0x")
        try enter(shell, #"write buf "hello, lesson""#)
        try enter(shell, "read buf", expect: "\nhello, lesson")
        // A pause the recording keeps (#@): at least this long.
        usleep(600_000)
        try enter(shell, "repeat 2 {", continuation: true)
        try enter(shell, #"    echo "line $i""#, continuation: true)
        try enter(shell, "}", expect: "line 1")
        try enter(shell, "shm stat buf", expect: "nattch:   1")
        try enter(shell, "shm detach buf", expect: "buf: detached")
        try enter(shell, "shm rm buf", expect: "buf: removed")
        try shell.enter("exit")
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(shell.processExists, "the shell did not exit")
        return path
    }

    // MARK: (a) record at the REPL, then check; what check catches and what it ignores

    func testRecordedInteractiveSessionChecksAndCatchesRealDifferences() throws {
        let directory = try makeDirectory()
        let path = try recordLesson(in: directory)
        let recorded = try lines(of: path)

        // (e) The header: version, date, machine.
        let version = try Harness.run(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(recorded.first, "# ipcsh recording, format 1 (ipcsh \(version))")
        XCTAssertNotNil(recorded.first { $0.range(of: #"^# date: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$"#, options: .regularExpression) != nil },
                        recorded.joined(separator: "\n"))
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: &uts.machine) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        XCTAssertTrue(recorded.contains { $0.hasPrefix("# machine: Linux ") && $0.hasSuffix(" " + machine) }, recorded.joined(separator: "\n"))
        // (e) The block as typed, over three lines, its output after it; each command after its pause.
        let block = try XCTUnwrap(recorded.firstIndex(of: "repeat 2 {"), recorded.joined(separator: "\n"))
        XCTAssertEqual(Array(recorded[block...].prefix(5)), ["repeat 2 {", #"    echo "line $i""#, "}", "#| line 0", "#| line 1"])
        let pause = try XCTUnwrap(Double(recorded[block - 1].dropFirst(3)), recorded[block - 1])
        XCTAssertTrue(recorded[block - 1].hasPrefix("#@ ") && pause >= 0.5, recorded[block - 1])
        let commands = ["buf = shm create private 1024", "shm attach buf", #"write buf "hello, lesson""#, "read buf",
                        "repeat 2 {", "shm stat buf", "shm detach buf", "shm rm buf", "exit"]
        for command in commands {
            let index = try XCTUnwrap(recorded.firstIndex(of: command), "\(command) not recorded")
            XCTAssertTrue(recorded[index - 1].range(of: #"^#@ \d+\.\d\d$"#, options: .regularExpression) != nil,
                          "no pause before \(command): \(recorded[index - 1])")
        }
        XCTAssertFalse(recorded.joined().contains("\u{1B}"), "colour codes in the recording")
        XCTAssertFalse(recorded.contains { $0.contains("ipcsh[") }, "prompts are not part of the recording")

        // It checks.
        var r = try check(path)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "\(path): ok (9 commands, \(recorded.filter { $0.hasPrefix("#|") }.count) output lines)\n")

        // The data of one command changed: the output no longer matches; the diff names the
        // recording's line of the output that differs.
        let hello = try XCTUnwrap(recorded.firstIndex(of: "#| hello, lesson"))
        let altered = directory.appendingPathComponent("altered.ipcs").path
        var copy = recorded
        copy[try XCTUnwrap(recorded.firstIndex(of: #"write buf "hello, lesson""#))] = #"write buf "hello, class""#
        try write(copy, to: altered)
        r = try check(altered)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("\(altered): FAILED"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n-\(hello + 1): #| hello, lesson\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n+ #| hello, class\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("@@ line "), r.stdout)

        // Only volatile values changed (a shmid, an address, a pid, a time): still passes.
        copy = recorded
        copy = copy.map { line in
            var l = line
            for (pattern, replacement) in [(#"(?<=shmid[ :]{1,8})\d+"#, "1"), (#"0x7f[0-9a-f]{10}"#, "0x7f0000001000"),
                                           (#"(?<=cpid:[ ]{1,8})\d+"#, "2"), (#"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"#, "1999-12-31 23:59:59")] {
                l = l.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
            }
            return l
        }
        XCTAssertNotEqual(copy, recorded, "nothing volatile was changed")
        try write(copy, to: altered)
        r = try check(altered)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)

        // An output line deleted: fails (the run prints it, the recording lacks it).
        copy = recorded
        copy.remove(at: hello)
        try write(copy, to: altered)
        r = try check(altered)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("\n+ #| hello, lesson\n"), r.stdout)

        // An output line added: fails, and the diff names the added line.
        copy = recorded
        copy.insert("#| goodbye, lesson", at: hello + 1)
        try write(copy, to: altered)
        r = try check(altered)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("\n-\(hello + 2): #| goodbye, lesson\n"), r.stdout)

        // The recording is a script: run as one, the #| and #@ lines are comments.
        r = try Harness.run([path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("hello, lesson\nline 0\nline 1\n"), r.stdout)
    }

    /// A child that prints later than the settle time (a loaded machine, or a sleep): check
    /// waits for the lines the command printed when recorded instead of taking them for the
    /// next command's.
    func testCheckWaitsForASlowChildsRecordedLines() throws {
        let directory = try makeDirectory()
        let path = directory.appendingPathComponent("slow.ipcs").path
        try """
            # ipcsh recording, format 1 (ipcsh 0.1.0)
            #@ 0.00
            fork { sleep 500ms; echo late }
            #| child1: forked pid 1
            #| [child1 1] late
            #@ 0.00
            echo next
            #| next
            #@ 0.00
            wait
            #| child1 (pid 1) exited with status 0

            """.write(toFile: path, atomically: false, encoding: .utf8)
        let r = try check(path)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "\(path): ok (3 commands, 4 output lines)\n")
    }

    // MARK: (b) replay

    /// A hand-written recording: long pauses (25 s each, 100 s in all), so that a replay
    /// that ignores --speed cannot finish within the wait.
    private func writeReplayLesson(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("replay.ipcs").path
        try """
            # ipcsh recording, format 1 (ipcsh 0.1.0)
            #@ 25.00
            echo "first step"
            #| first step
            #@ 25.00
            p = pipe
            #| p: read end p.r = fd 6, write end p.w = fd 7
            #@ 25.00
            write p.w "through the pipe"
            #@ 25.00
            read p.r
            #| through the pipe
            #@ 0.00
            sleep 1500ms

            """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func testReplayWithSpeedTypesEachCommandAfterThePromptAndRunsIt() throws {
        let directory = try makeDirectory()
        let path = try writeReplayLesson(in: directory)
        try requireTmux()
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, arguments: ["replay", path, "--speed", "50"])
        // 100 s of pauses at speed 50: 2 s. The wait (a generous 20 s) only stops a hang. The
        // screen is read during the last command, a sleep (tmux may drop a line once the pane is dead).
        let screen = try shell.waitForScreen("the whole replay", timeout: 20) { $0.contains(shell.prompt + "sleep 1500ms") }
        let lines = screen.split(separator: "\n").map { String($0).trimmingTrailingBlanks() }
        let p = shell.prompt
        XCTAssertEqual(Array(lines.prefix(8)), [p + #"echo "first step""#, "first step",
                                                p + "p = pipe", lines[3], p + #"write p.w "through the pipe""#,
                                                p + "read p.r", "through the pipe", p + "sleep 1500ms"], screen)
        // Its real output, not the recorded one: this run's descriptors.
        XCTAssertTrue(lines[3].hasPrefix("p: read end p.r = fd "), screen)
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(shell.processExists, "replay did not end")
    }

    func testReplayStepWaitsForEnterAndQuitsOnQ() throws {
        let directory = try makeDirectory()
        let path = try writeReplayLesson(in: directory)
        try requireTmux()
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, arguments: ["replay", path, "--step"])
        let p = shell.prompt
        // Nothing typed before Enter, whatever the recorded pause.
        try shell.waitForLastLine(p)
        usleep(300_000)
        let waiting = try shell.screen()
        XCTAssertFalse(waiting.contains("echo"), waiting)
        // Enter: the command is typed out right after the prompt, runs, and the next prompt waits.
        try shell.press("Enter")
        try shell.waitForScreen("the first step") { $0.contains("\nfirst step\n") }
        try shell.waitForLastLine(p)
        var lines = try shell.lines().map { $0.trimmingTrailingBlanks() }
        XCTAssertEqual(lines, ["(\(Replayer.stepHint))", p + #"echo "first step""#, "first step", p.trimmingTrailingBlanks()])
        try shell.press("Enter")
        try shell.waitForScreen("the pipe") { $0.contains("p: read end p.r = fd ") }
        try shell.waitForLastLine(p)
        // q quits (q then Enter, as people type it, too): the remaining commands never run.
        try shell.enter("q")
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(shell.processExists, "q did not end the replay")
        lines = try shell.lines().map { $0.trimmingTrailingBlanks() }
        XCTAssertEqual(lines.count, 6, lines.joined(separator: "\n"))
        XCTAssertFalse(lines.contains { $0.contains("through the pipe") }, lines.joined(separator: "\n"))
    }

    /// Ctrl-C while a step waits ends the replay as an interrupted run: status 130.
    func testReplayStepInterruptedExits130() throws {
        let directory = try makeDirectory()
        let path = try writeReplayLesson(in: directory)
        try requireTmux()
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, arguments: ["replay", path, "--step"])
        try shell.waitForLastLine(shell.prompt)
        try shell.press("C-c")
        XCTAssertEqual(try waitForExitStatus(shell), 130)
        XCTAssertFalse(try shell.screen().contains("first step"))
    }

    /// Regression: a Ctrl-C that lands before the step prompt's read starts (here: while a long
    /// recording is still loading) used to leave the read blocked for good. It must end the replay.
    func testReplayStepInterruptBeforeTheReadStartsExits130() throws {
        let directory = try makeDirectory()
        let path = directory.appendingPathComponent("long.ipcs").path
        var text = "echo \"first step\"\n"
        for i in 0..<150_000 { text += "#| padding line \(i)\n" }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let shell = try BackgroundProgram(Harness.ipcshPath, ["replay", path, "--step"])
        defer { shell.stop() }
        // Send Ctrl-C as soon as the handler is installed: loading the recording takes longer.
        let deadline = Date().addingTimeInterval(10)
        while !Harness.catchesSIGINT(shell.pid) && Date() < deadline { usleep(1_000) }
        XCTAssertTrue(Harness.catchesSIGINT(shell.pid), "the replay never installed its SIGINT handler")
        kill(shell.pid, SIGINT)
        XCTAssertEqual(shell.wait(timeout: 10), 130)
    }

    // MARK: (c) trace

    /// Every shared-memory call, C-style, with its flags, and the failing ones with errno.
    func testTraceShowsEachSharedMemoryCall() throws {
        let key = makeKey()
        let hex = String(format: "0x%08x", UInt32(bitPattern: key))
        let missing = makeKey()
        let r = try Harness.run(["--keep-going", "-c", """
            trace on
            s = shm create \(hex) 1024
            shm create \(hex) 1024 --excl
            shm open \(String(format: "0x%08x", UInt32(bitPattern: missing)))
            shm attach s
            write s "hi"
            shm stat s
            shm detach s
            t = shm open \(hex)
            shm attach t --readonly
            shm detach t
            shm rm s
            trace off
            p = pipe
            """], timeout: 30)
        XCTAssertEqual(r.status, 1, "two commands fail on purpose: " + r.stderr)
        let trace = r.stderr.split(separator: "\n").map(String.init).filter { $0.contains(") = ") }
        let patterns = [
            #"shmget\(\#(hex), 1024, IPC_CREAT\|IPC_EXCL\|0600\) = \d+"#,
            #"shmctl\(\d+, IPC_STAT, &buf\) = 0"#,
            #"shmget\(\#(hex), 1024, IPC_CREAT\|IPC_EXCL\|0600\) = -1 EEXIST \(File exists\)"#,
            #"shmget\(0x[0-9a-f]{8}, 0, 0000\) = -1 ENOENT \(No such file or directory\)"#,
            #"shmat\(\d+, NULL, 0\) = 0x[0-9a-f]{16}"#,
            #"shmctl\(\d+, IPC_STAT, &buf\) = 0"#,
            #"shmdt\(0x[0-9a-f]{16}\) = 0"#,
            #"shmget\(\#(hex), 0, 0000\) = \d+"#,
            #"shmctl\(\d+, IPC_STAT, &buf\) = 0"#,
            #"shmat\(\d+, NULL, SHM_RDONLY\) = 0x[0-9a-f]{16}"#,
            #"shmdt\(0x[0-9a-f]{16}\) = 0"#,
            #"shmctl\(\d+, IPC_RMID, NULL\) = 0"#,
        ]
        XCTAssertEqual(trace.count, patterns.count, trace.joined(separator: "\n"))
        for (line, pattern) in zip(trace, patterns) {
            XCTAssertNotNil(line.range(of: "^" + pattern + "$", options: .regularExpression), "\(line) !~ \(pattern)")
        }
        // The ids in the trace are the ones the commands report.
        let shmid = try XCTUnwrap(r.stdout.range(of: #"shmid \d+"#, options: .regularExpression).map { r.stdout[$0].dropFirst(6) })
        XCTAssertTrue(trace[0].hasSuffix(" = \(shmid)"), trace[0])
        XCTAssertTrue(trace.contains("shmctl(\(shmid), IPC_RMID, NULL) = 0"), trace.joined(separator: "\n"))
        // The attach address printed is the one shmat returned and shmdt took.
        let address = try XCTUnwrap(r.stdout.range(of: #"attached at 0x[0-9a-f]+"#, options: .regularExpression)
            .map { String(r.stdout[$0].dropFirst("attached at ".count)) })
        func value(_ hex: Substring) -> UInt64? { UInt64(hex.dropFirst(2), radix: 16) }
        let attached = try XCTUnwrap(value(Substring(address)))
        XCTAssertEqual(trace[4].components(separatedBy: " = ").last.flatMap { value(Substring($0)) }, attached, trace[4])
        XCTAssertEqual(trace[6].range(of: #"0x[0-9a-f]+"#, options: .regularExpression).flatMap { value(trace[6][$0]) }, attached, trace[6])
        // After trace off, nothing is traced.
        XCTAssertFalse(r.stderr.contains("pipe("), r.stderr)
    }

    /// Every descriptor call, the failing open with its errno, and a child's calls with its prefix.
    func testTraceShowsEachDataCall() throws {
        let directory = try makeDirectory()
        let fifo = directory.appendingPathComponent("fifo").path
        let r = try Harness.run(["--trace", "--keep-going", "-c", """
            p = pipe
            write p.w "apple is red" --size 16
            read p.r 512
            close p.w
            read p.r
            close p.r
            fifo make \(fifo)
            r = fifo open \(fifo) read --nonblock
            w = fifo open \(fifo) write
            write w "hello"
            read r
            close w
            close r
            fifo rm \(fifo)
            fifo open \(fifo) read
            fork { q = pipe }
            wait
            """], timeout: 30)
        XCTAssertEqual(r.status, 1, "the last open fails on purpose: " + r.stderr)
        let trace = r.stderr.split(separator: "\n").map(String.init).filter { $0.contains(") = ") }
        let f = NSRegularExpression.escapedPattern(for: fifo)
        let patterns = [
            #"pipe\(\[(\d+), (\d+)\]\) = 0"#,
            #"write\(\d+, "apple is red\\0\\0\\0\\0", 16\) = 16"#,
            #"read\(\d+, "apple is red\\0\\0\\0\\0", 512\) = 16"#,
            #"close\(\d+\) = 0"#,
            #"read\(\d+, "", 4096\) = 0"#,
            #"close\(\d+\) = 0"#,
            #"mkfifo\("\#(f)", 0600\) = 0"#,
            #"open\("\#(f)", O_RDONLY\|O_NONBLOCK\) = \d+"#,
            #"open\("\#(f)", O_WRONLY\) = \d+"#,
            #"write\(\d+, "hello", 5\) = 5"#,
            #"read\(\d+, "hello", 4096\) = 5"#,
            #"close\(\d+\) = 0"#,
            #"close\(\d+\) = 0"#,
            #"unlink\("\#(f)"\) = 0"#,
            #"open\("\#(f)", O_RDONLY\) = -1 ENOENT \(No such file or directory\)"#,
            #"fork\(\) = (\d+)"#,
            // wait: the waitpid a C program makes there (the reaper's WNOHANG is untraced).
            #"waitpid\(\d+, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0\) = \d+"#,
        ]
        let parent = trace.filter { !$0.hasPrefix("[") }
        XCTAssertEqual(parent.count, patterns.count, parent.joined(separator: "\n"))
        for (line, pattern) in zip(parent, patterns) {
            XCTAssertNotNil(line.range(of: "^" + pattern + "$", options: .regularExpression), "\(line) !~ \(pattern)")
        }
        // The descriptors in the trace are the ones the shell reports.
        let ends = try XCTUnwrap(r.stdout.range(of: #"p\.r = fd \d+, write end p\.w = fd \d+"#, options: .regularExpression)
            .map { r.stdout[$0].split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) } })
        XCTAssertEqual(parent.first, "pipe([\(ends[0]), \(ends[1])]) = 0")
        XCTAssertTrue(parent[1].hasPrefix("write(\(ends[1]), "), parent[1])
        // The child's pipe() is traced in the child, with its prefix and real pid.
        let pid = try XCTUnwrap(parent.dropLast().last.flatMap { Int($0.dropFirst("fork() = ".count)) })
        XCTAssertEqual(parent.last, "waitpid(\(pid), [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0) = \(pid)")
        XCTAssertTrue(r.stderr.contains("\n[child1 \(pid)] pipe(["), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "the FIFO was removed")
    }

    // MARK: (d) a killed shell's recording

    /// The recording goes to `.killed.ipcs.XXXXXX` next to the file until the session ends
    /// (issue 9: a recording never destroys what the file held before it is complete): a killed
    /// shell leaves the file as it was and that temporary file, a valid recording up to the last
    /// command that finished.
    func testKilledShellLeavesAValidRecordingUpToTheLastCommand() throws {
        let directory = try makeDirectory()
        let target = directory.appendingPathComponent("killed.ipcs").path
        let old = "# last year's lesson\necho old\n"
        try old.write(toFile: target, atomically: false, encoding: .utf8)
        try requireTmux()
        let shell = try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                                    directory: directory.path, arguments: ["--record", target])
        try enter(shell, "p = pipe", expect: "p: read end")
        try enter(shell, #"write p.w "kept in the file""#)
        try enter(shell, "read p.r", expect: "\nkept in the file")
        try enter(shell, "repeat 2 {", continuation: true)
        try enter(shell, #"    echo "block $i""#, continuation: true)
        try enter(shell, "}", expect: "block 1")
        try shell.enter("sleep 5")
        // The sleep is running: the line is entered and no new prompt came.
        try shell.waitForScreen("sleep 5 entered") { $0.contains(shell.prompt + "sleep 5\n") }
        usleep(200_000)
        XCTAssertEqual(kill(shell.pid, SIGKILL), 0)
        let deadline = Date().addingTimeInterval(10)
        while shell.processExists && Date() < deadline { usleep(50_000) }

        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), old, "the file was replaced by an incomplete recording")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".killed.ipcs.") }
        XCTAssertEqual(names.count, 1, "\(names)")
        let path = directory.appendingPathComponent(try XCTUnwrap(names.first)).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("#| block 1\n"), text)
        XCTAssertFalse(text.contains("sleep 5"), "the command in flight is not in the file:\n" + text)
        // A valid script and a valid recording: it parses, runs, and checks.
        let transcript = try Transcript.load(path)
        XCTAssertEqual(transcript.entries.map(\.command.source),
                       ["p = pipe", #"write p.w "kept in the file""#, "read p.r", "repeat 2 {\n    echo \"block $i\"\n}"])
        let r = try check(path)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("\(path): ok (4 commands, 4 output lines)"), r.stdout)
    }
}
