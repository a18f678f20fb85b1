import Foundation
import XCTest

/// Issue 9: the teaching features must not lose a lesson, hide a failed write, need memory
/// quadratic in a recording's length, or crash on the numbers in a file or a command line.
/// Every file is in a directory of the test's own.
final class TeachingReliabilityTests: IPCTestCase {
    /// `sh -c SCRIPT` with `$1` the directory and `$2` the ipcsh binary, then `arguments`.
    private func shell(_ script: String, in directory: URL, _ arguments: [String] = [], timeout: TimeInterval = 60) throws -> Harness.Result {
        try Harness.runProgram("/bin/sh", ["-c", script, "sh", directory.path, Harness.ipcshPath] + arguments,
                               environment: ["NO_COLOR": "1"], timeout: timeout)
    }

    private func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    private func entries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    private func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    // MARK: 1. recording a script onto itself

    /// `ipcsh --record s.ipcs s.ipcs` (and `./s.ipcs`, a symbolic link, `record start s.ipcs;
    /// source s.ipcs`) used to leave only the header. The script is read first and replaced by
    /// the complete recording; no temporary file is left.
    func testRecordingAScriptOntoItselfKeepsTheLesson() throws {
        let directory = try makeDirectory()
        let lesson = directory.appendingPathComponent("s.ipcs")
        try "# Step 1: say hello.\necho \"hello, class\"\n".write(to: lesson, atomically: false, encoding: .utf8)

        var r = try shell(#"cd "$1" && exec "$2" --record s.ipcs s.ipcs"#, in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "hello, class\n")
        var recorded = try text(lesson)
        XCTAssertTrue(recorded.hasPrefix("# ipcsh recording, format 1"), recorded)
        XCTAssertTrue(recorded.hasSuffix("# Step 1: say hello.\n#@ 0.00\necho \"hello, class\"\n#| hello, class\n"), recorded)
        XCTAssertEqual(try entries(directory), ["s.ipcs"])

        // Again, under another name for the same file: the recording is recorded in place, not doubled.
        r = try shell(#"cd "$1" && exec "$2" --record ./s.ipcs s.ipcs"#, in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        recorded = try text(lesson)
        XCTAssertEqual(occurrences("# ipcsh recording", in: recorded), 1, recorded)
        XCTAssertEqual(occurrences("\necho \"hello, class\"\n#| hello, class\n", in: recorded), 1, recorded)
        XCTAssertTrue(recorded.contains("# Step 1: say hello.\n"), recorded)

        // Through a symbolic link: the lesson it names is re-recorded, the link stays.
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("link.ipcs").path,
                                                   withDestinationPath: "s.ipcs")
        r = try shell(#"cd "$1" && exec "$2" --record link.ipcs s.ipcs"#, in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        recorded = try text(lesson)
        XCTAssertEqual(occurrences("\necho \"hello, class\"\n#| hello, class\n", in: recorded), 1, recorded)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: directory.appendingPathComponent("link.ipcs").path), "s.ipcs")
        XCTAssertEqual(try entries(directory), ["link.ipcs", "s.ipcs"])

        // It is still a lesson that holds.
        r = try Harness.run(["check", lesson.path], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)

        // `source` of the file being recorded runs the lesson, not an empty file.
        r = try shell(#"cd "$1" && exec "$2" -c 'record start s.ipcs; source s.ipcs; record stop'"#, in: directory)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "recording to s.ipcs (record stop ends it)\nhello, class\nrecording saved to s.ipcs\n")
        recorded = try text(lesson)
        XCTAssertTrue(recorded.hasSuffix("\nsource s.ipcs\n#| hello, class\n"), recorded)
        XCTAssertEqual(try entries(directory), ["link.ipcs", "s.ipcs"])
    }

    // MARK: 2. write errors

    /// /dev/full gives ENOSPC on every write: `--record` and `record start` fail with the file
    /// and the errno, exit 1, and never say the recording was saved.
    func testRecordingToAFullDeviceIsAnError() throws {
        var r = try Harness.run(["--record", "/dev/full", "-c", "echo hi"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertEqual(r.stderr, "error: record: cannot write /dev/full: ENOSPC (No space left on device)\n")

        r = try Harness.run(["-c", "record start /dev/full; echo x; record stop"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertEqual(r.stderr, "-c:1:1: error: record: cannot write /dev/full: ENOSPC (No space left on device)\n")
        XCTAssertFalse(r.stdout.contains("recording"), r.stdout)
        // /dev/full is still a device (never renamed over).
        var status = stat()
        XCTAssertEqual(stat("/dev/full", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFCHR)
    }

    /// A write that fails in the middle of a lesson (here a file size limit, EFBIG; a full disk
    /// gives ENOSPC the same way): exit 1 naming the file and errno, the lesson file as it was,
    /// no temporary file left. The block is 16 KiB, the limit 4 KiB (dash) or 8 KiB (bash).
    func testAWriteThatFailsMidRecordingIsAnErrorAndKeepsTheOldFile() throws {
        let directory = try makeDirectory()
        let lesson = directory.appendingPathComponent("lesson.ipcs")
        let old = "# last year's lesson\necho old\n"
        try old.write(to: lesson, atomically: false, encoding: .utf8)
        let commands = "echo first; repeat 400 { echo 0123456789012345678901234567890123456789 }"
        var r = try shell(#"cd "$1" && trap '' XFSZ && ulimit -f 8 && exec "$2" --record lesson.ipcs -c "$3" >/dev/null"#,
                          in: directory, [commands])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr, "error: record: cannot write lesson.ipcs: EFBIG (File too large)\n")
        XCTAssertEqual(try text(lesson), old)
        XCTAssertEqual(try entries(directory), ["lesson.ipcs"])

        // `record stop` reports it (the command fails, the script stops) instead of "recording saved".
        r = try shell(#"cd "$1" && trap '' XFSZ && ulimit -f 8 && exec "$2" -c "$3" >/dev/null"#,
                      in: directory, ["record start lesson.ipcs; \(commands); record stop; echo after"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("-c:1:"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix(": error: record: cannot write lesson.ipcs: EFBIG (File too large)\n"), r.stderr)
        XCTAssertEqual(try text(lesson), old)
        XCTAssertEqual(try entries(directory), ["lesson.ipcs"])
    }

    // MARK: 3. check in linear memory

    /// 10,000 commands, 30,000 lines: the old n×m table needed about 3.2 GB here (and 24 GB for
    /// 200,000 lines). Under a 256 MiB address-space limit, check passes the recording and
    /// finds a changed line.
    func testCheckOfALongRecordingNeedsLittleMemory() throws {
        let directory = try makeDirectory()
        let long = directory.appendingPathComponent("long.ipcs")
        var lines: [String] = []
        for i in 0..<10_000 { lines += ["#@ 0.00", "echo \"line \(i)\"", "#| line \(i)"] }
        try (lines.joined(separator: "\n") + "\n").write(to: long, atomically: false, encoding: .utf8)
        let limited = #"ulimit -v 262144 && exec "$2" check "$3""#
        var r = try shell(limited, in: directory, [long.path], timeout: 300)
        XCTAssertEqual(r.status, 0, r.stdout + String(r.stderr.prefix(2000)))
        XCTAssertEqual(r.stdout, "\(long.path): ok (10000 commands, 10000 output lines)\n")

        let changed = try XCTUnwrap(lines.firstIndex(of: "#| line 7000"))
        lines[changed] = "#| line seven thousand"
        try (lines.joined(separator: "\n") + "\n").write(to: long, atomically: false, encoding: .utf8)
        r = try shell(limited, in: directory, [long.path], timeout: 300)
        XCTAssertEqual(r.status, 1, r.stdout + String(r.stderr.prefix(2000)))
        XCTAssertEqual(r.stdout, """
            \(long.path): FAILED
            --- \(long.path) (recorded)
            +++ \(long.path) (this run)
            @@ line \(changed - 2) @@
              #| line 6999
              echo "line 7000"
            -\(changed + 1): #| line seven thousand
            + #| line 7000
              echo "line 7001"
              #| line 7001

            """)
    }

    // MARK: 4. numbers that used to trap

    /// `#@ nan`, `#@ -inf`, `#@ -1e308` (SIGILL before) are no pause; `#@ inf` and `#@ 1e308`
    /// are the longest, 30 s, divided by the speed.
    func testReplayTakesAnyPauseInTheFile() throws {
        let directory = try makeDirectory()
        let path = directory.appendingPathComponent("pauses.ipcs").path
        var text = ""
        for (index, pause) in ["nan", "-nan", "-inf", "-1e308", "inf", "1e308", "-0", "1e-320", "0x1p3"].enumerated() {
            text += "#@ \(pause)\necho \"step \(index)\"\n"
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let r = try Harness.run(["replay", path, "--speed", "1000"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stdout + String(r.stderr.prefix(2000)))
        let output: [String] = r.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("step ") }
        XCTAssertEqual(output, (0..<9).map { "step \($0)" }, r.stdout)
    }

    /// A speed is a finite number of at least 0.01 (`--speed 1e-300` was SIGILL): anything
    /// else is an argument error, exit 2.
    func testReplayRefusesSpeedsItCannotUse() throws {
        let directory = try makeDirectory()
        let path = directory.appendingPathComponent("one.ipcs").path
        try "#@ 0.50\necho one\n".write(toFile: path, atomically: false, encoding: .utf8)
        for speed in ["1e-300", "0.001", "0", "-1", "nan", "inf", "-inf"] {
            let r = try Harness.run(["replay", path, "--speed=\(speed)"], timeout: 30)
            XCTAssertEqual(r.status, 2, "--speed \(speed): " + r.stdout + String(r.stderr.prefix(2000)))
            XCTAssertTrue(r.stderr.contains("--speed must be a number of at least 0.01"), "--speed \(speed): " + r.stderr)
            XCTAssertFalse(r.stdout.contains("one"), "--speed \(speed) ran the lesson")
        }
        let r = try Harness.run(["replay", path, "--speed", "0.01", "--no-pause"], timeout: 30)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("> echo one\none\n"), r.stdout)
    }
}
