@preconcurrency import Glibc
@testable import IPCShell
@testable import IPCTeaching
import IPCSys
import XCTest
@testable import IPCSyntax

/// The recorder on its own: commands of a parsed script fed to it as the interpreter does.
final class RecorderTests: XCTestCase {
    private var directories: [String] = []

    override func tearDown() {
        for directory in directories {
            for name in (try? FileSystem.directoryEntries(directory)) ?? [] { unlink(directory + "/" + name) }
            rmdir(directory)
        }
        directories = []
        super.tearDown()
    }

    /// A fresh directory of the test's own, removed in tearDown.
    private func makeDirectory() throws -> String {
        var template = Array("/tmp/ipcsh-recorder-test-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemCallError("mkdtemp", errno: errno) }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        directories.append(directory)
        return directory
    }

    private func contents(_ path: String) throws -> String {
        String(decoding: try FileSystem.readBytes(path), as: UTF8.self)
    }

    private func create(_ path: String, _ text: String, mode: mode_t = 0o644) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        XCTAssertGreaterThanOrEqual(fd, 0)
        Array(text.utf8).withUnsafeBytes { FileSystem.writeAll(fd, $0) }
        fchmod(fd, mode)
        close(fd)
    }

    private func mode(_ path: String) -> mode_t {
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0)
        return status.st_mode & 0o7777
    }
    private func record(script: String, file: String = "lesson.ipcs") throws -> String {
        let path = "/tmp/ipcsh-recorder-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).ipcs"
        defer { unlink(path) }
        let recorder = try Recorder(path: path)
        recorder.keepComments(of: file, source: Array(script.utf8))
        for command in try Parser.parse(bytes: Array(script.utf8), file: file).commands {
            recorder.begin(command)
            recorder.output("out of line \(command.location.line)")
            recorder.end()
        }
        try recorder.close()
        return String(decoding: try FileSystem.readBytes(path), as: UTF8.self)
    }

    /// Recording a lesson script keeps its explanations: comments and blank lines go
    /// before the command they preceded (and before its #@ pause), in order.
    func testRecordingAScriptKeepsItsComments() throws {
        let text = try record(script: """
            #!/usr/bin/env ipcsh
            # A lesson.

            # Step 1: make a pipe.
            p = pipe
            repeat 2 {
                # inside a block: part of the command
                echo $i
            }
            # The end.
            close p

            # trailing note

            """)
        let body = text.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("# ") && !$0.hasPrefix("# A lesson") }
        XCTAssertEqual(Array(body), [
            "# A lesson.", "", "# Step 1: make a pipe.",
            "#@ 0.00", "p = pipe", "#| out of line 5",
            "#@ 0.00", "repeat 2 {", "    # inside a block: part of the command", "    echo $i", "}", "#| out of line 6",
            "# The end.",
            "#@ 0.00", "close p", "#| out of line 11",
            "", "# trailing note", "",
        ].map { Substring($0) }, text)
        XCTAssertFalse(text.contains("#!/usr/bin/env"))
        // Still a recording: three commands, each with its output.
        let transcript = try Transcript.parse(bytes: Array(text.utf8), path: "r.ipcs")
        XCTAssertEqual(transcript.entries.map(\.output.count), [1, 1, 1])
    }

    /// Re-recording a recording: its header and old #| / #@ lines are not copied.
    func testRecordingARecordingDoesNotDoubleItsOutput() throws {
        let first = try record(script: "# Lesson.\necho hi\n")
        let second = try record(script: first, file: "again.ipcs")
        XCTAssertEqual(second.components(separatedBy: "# ipcsh recording").count, 2, second)
        XCTAssertEqual(second.components(separatedBy: "#| out of line").count, 2, second)
        XCTAssertTrue(second.contains("# Lesson.\n#@ "), second)
    }

    /// `record start F` / `record stop` in a session: the file holds the commands between
    /// them and their output, and nothing of the two commands themselves.
    func testRecordStartAndStopRecordOnlyWhatIsBetween() throws {
        let path = "/tmp/ipcsh-recorder-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).ipcs"
        defer { unlink(path) }
        let output = Output(stdoutFD: -1, stderrFD: -1, useColor: false)
        output.captureOnly = true
        let interpreter = Interpreter(session: Session(output: output))
        interpreter.enableRecording()
        try interpreter.run(source: "echo before; record start \(path); echo inside; record stop; echo after", file: "-c")
        XCTAssertEqual(interpreter.failureCount, 0)
        let text = String(decoding: try FileSystem.readBytes(path), as: UTF8.self)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("# ") }
        XCTAssertEqual(body.map { $0.hasPrefix("#@ ") ? "#@" : $0 }, ["#@", "echo inside", "#| inside"], text)
    }

    /// A line typed at the prompt that does not parse is not recorded; its error must not
    /// become output of the command before it (check would then fail on that command).
    func testAnErrorBetweenCommandsIsAComment() throws {
        let path = "/tmp/ipcsh-recorder-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).ipcs"
        defer { unlink(path) }
        let output = Output(stdoutFD: -1, stderrFD: -1, useColor: false)
        output.captureOnly = true
        let session = Session(output: output)
        session.isInteractive = true
        let interpreter = Interpreter(session: session)
        interpreter.enableRecording()
        interpreter.recorder = try Recorder(path: path)
        try interpreter.run(source: "echo one", file: "<stdin>")
        // What the REPL does with `echo two }`:
        do { _ = try Parser.parse("echo two }", file: "<stdin>"); XCTFail("parsed") } catch { interpreter.report(error) }
        // An actor's line between commands is output all the same.
        output.relayed("[x 42] late", stream: .stderr)
        try interpreter.run(source: "echo three", file: "<stdin>")
        try interpreter.recorder?.close()
        interpreter.recorder = nil
        let text = String(decoding: try FileSystem.readBytes(path), as: UTF8.self)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("#@ ") && !$0.hasPrefix("# ipcsh") && !$0.hasPrefix("# date")
            && !$0.hasPrefix("# machine") && !$0.hasPrefix("# Replay") && !$0.hasPrefix("# Lines") }
        XCTAssertEqual(body, ["echo one", "#| one", "# error: unexpected }", "#   there is no { to close", "#| [x 42] late",
                              "echo three", "#| three"], text)
        let transcript = try Transcript.parse(bytes: Array(text.utf8), path: "r.ipcs")
        XCTAssertEqual(transcript.entries.map(\.output.count), [2, 1])
    }

    // MARK: Issue 9: a recording never destroys what its file held

    /// Recording a script onto itself (`ipcsh --record s.ipcs s.ipcs`): the script is still
    /// whole while it is read and run, and is replaced (mode kept) only by the complete recording.
    func testRecordingOntoItsOwnScriptReplacesItOnlyWhenComplete() throws {
        let directory = try makeDirectory()
        let path = directory + "/s.ipcs"
        let script = "#!/usr/bin/env ipcsh\n# A lesson.\necho hi\n"
        create(path, script, mode: 0o750)
        let recorder = try Recorder(path: path)
        // Until close, FILE is the script and the recording is elsewhere (next to it).
        XCTAssertEqual(try contents(path), script)
        let temporary = try XCTUnwrap(recorder.temporaryPath)
        XCTAssertTrue(temporary.hasPrefix(directory + "/.s.ipcs."), temporary)
        let bytes = try FileSystem.readBytes(path)
        recorder.keepComments(of: path, source: bytes)
        for command in try Parser.parse(bytes: bytes, file: path).commands {
            recorder.begin(command)
            recorder.output("hi")
            recorder.end()
        }
        XCTAssertEqual(try contents(path), script)
        try recorder.close()
        let text = try contents(path)
        XCTAssertTrue(text.hasPrefix("# ipcsh recording, format 1"), text)
        XCTAssertTrue(text.hasSuffix("# A lesson.\n#@ 0.00\necho hi\n#| hi\n"), text)
        XCTAssertEqual(mode(path), 0o750, "a lesson made executable stays so")
        XCTAssertEqual(try FileSystem.directoryEntries(directory), ["s.ipcs"], "the temporary file is gone")
    }

    /// Through a symbolic link: the file it names is replaced, the link stays a link.
    func testRecordingThroughASymbolicLinkReplacesTheFileItNames() throws {
        let directory = try makeDirectory()
        create(directory + "/s.ipcs", "echo hi\n")
        XCTAssertEqual(symlink("s.ipcs", directory + "/link.ipcs"), 0)
        let recorder = try Recorder(path: directory + "/link.ipcs")
        XCTAssertEqual(try contents(directory + "/s.ipcs"), "echo hi\n")
        try recorder.close()
        var status = stat()
        XCTAssertEqual(lstat(directory + "/link.ipcs", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFLNK, "the link was replaced by a file")
        XCTAssertTrue(try contents(directory + "/s.ipcs").hasPrefix("# ipcsh recording"))
        XCTAssertEqual(try FileSystem.directoryEntries(directory).sorted(), ["link.ipcs", "s.ipcs"])
    }

    /// A new file appears only when the recording is complete, with the usual mode.
    func testANewRecordingAppearsWhenClosed() throws {
        let directory = try makeDirectory()
        let path = directory + "/new.ipcs"
        let recorder = try Recorder(path: path)
        XCTAssertEqual(access(path, F_OK), -1)
        try recorder.close()
        XCTAssertTrue(try contents(path).hasPrefix("# ipcsh recording"))
        let mask = umask(0)
        umask(mask)
        XCTAssertEqual(mode(path), 0o644 & ~mask)
    }

    /// A session that never ran (its script could not be read) keeps what FILE held.
    func testAnAbandonedRecordingLeavesTheFileAsItWas() throws {
        let directory = try makeDirectory()
        create(directory + "/s.ipcs", "echo hi\n")
        let recorder = try Recorder(path: directory + "/s.ipcs")
        recorder.abandon()
        XCTAssertEqual(try contents(directory + "/s.ipcs"), "echo hi\n")
        XCTAssertEqual(try FileSystem.directoryEntries(directory), ["s.ipcs"])
    }

    /// A device is written in place (never renamed over), and its write errors are errors:
    /// /dev/full refuses even the header.
    func testRecordingToAFullDeviceIsAnError() throws {
        let error = diagnostic { try Recorder(path: "/dev/full") }
        XCTAssertEqual(error?.message, "record: cannot write /dev/full: ENOSPC (No space left on device)")
        // /dev/null is a device too: written directly, and nothing fails.
        let null = try Recorder(path: "/dev/null")
        XCTAssertNil(null.temporaryPath)
        try null.close()
        var status = stat()
        XCTAssertEqual(stat("/dev/null", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
    }

    /// `record start /dev/full` fails at once, and says nothing of "recording".
    func testRecordStartOnAFullDeviceFails() throws {
        let output = Output(stdoutFD: -1, stderrFD: -1, useColor: false)
        output.captureOnly = true
        var lines: [String] = []
        output.tap = { line, _ in lines.append(line) }
        let interpreter = Interpreter(session: Session(output: output))
        interpreter.enableRecording()
        try interpreter.run(source: "record start /dev/full", file: "-c")
        XCTAssertEqual(interpreter.failureCount, 1)
        XCTAssertNil(interpreter.recorder)
        XCTAssertEqual(lines, ["-c:1:1: error: record: cannot write /dev/full: ENOSPC (No space left on device)"])
    }
}
