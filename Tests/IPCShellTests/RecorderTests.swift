@preconcurrency import Glibc
@testable import IPCShell
import IPCSys
import XCTest

/// The recorder on its own: commands of a parsed script fed to it as the interpreter does.
final class RecorderTests: XCTestCase {
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
        recorder.close()
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
        interpreter.recorder = try Recorder(path: path)
        try interpreter.run(source: "echo one", file: "<stdin>")
        // What the REPL does with `echo two }`:
        do { _ = try Parser.parse("echo two }", file: "<stdin>"); XCTFail("parsed") } catch { interpreter.report(error) }
        // An actor's line between commands is output all the same.
        output.relayed("[x 42] late", stream: .stderr)
        try interpreter.run(source: "echo three", file: "<stdin>")
        interpreter.recorder?.close()
        interpreter.recorder = nil
        let text = String(decoding: try FileSystem.readBytes(path), as: UTF8.self)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("#@ ") && !$0.hasPrefix("# ipcsh") && !$0.hasPrefix("# date")
            && !$0.hasPrefix("# machine") && !$0.hasPrefix("# Replay") && !$0.hasPrefix("# Lines") }
        XCTAssertEqual(body, ["echo one", "#| one", "# error: unexpected }", "#   there is no { to close", "#| [x 42] late",
                              "echo three", "#| three"], text)
        let transcript = try Transcript.parse(bytes: Array(text.utf8), path: "r.ipcs")
        XCTAssertEqual(transcript.entries.map(\.output.count), [2, 1])
    }
}
