import Foundation
import XCTest

/// Issue 2: malformed input gives exit 1 and a clear message on stderr, never a trap, a hang
/// or a zero exit. Every row runs through `-c`, as a script file (where the error must carry the
/// script's `FILE:LINE:COL: error:` prefix) and for some rows from stdin.
final class MalformedInputTests: IPCTestCase {
    struct Row {
        /// The commands; `KEY` is replaced by a fresh unique key (the test removes its segment).
        var script: String
        /// A substring the error message on stderr must contain.
        var message: String
        var line: UInt

        init(_ script: String, _ message: String, line: UInt = #line) {
            self.script = script
            self.message = message
            self.line = line
        }
    }

    /// A line appended after each row's script: the run must stop before it (or, for unterminated
    /// quotes and blocks, never run it), so it must never reach stdout.
    static let sentinel = "echo SENTINEL-REACHED"

    // Prefix shared by rows that need an attached 8-byte segment named b.
    static let attached8 = "b = shm create KEY 8; shm attach b; "

    static let rows: [Row] = [
        // Overflowing numbers.
        Row("shm create KEY 99999999999999999999999", "SIZE '99999999999999999999999' is not a size"),
        Row("shm create KEY 18446744073709551616", "is not a size"),
        Row("shm create 0x1ffffffff 8", "KEY 0x1ffffffff is out of range"),
        Row("shm create 99999999999999999999 8", "KEY '99999999999999999999' is not a key"),
        Row("repeat 99999999999999999999 { echo x }", "is not a whole number"),
        Row(attached8 + "write b hi --at 99999999999999999999999", "--at OFFSET '99999999999999999999999' is not a size"),
        Row("exit 99999999999999999999", "CODE '99999999999999999999' is not a whole number"),
        // Negative sizes and counts.
        Row("shm create KEY -5", "sizes cannot be negative"),
        Row("shm create KEY 0", "SIZE must be at least 1 byte"),
        Row(attached8 + "write b hi --at -1", "cannot be negative"),
        Row(attached8 + "read b -5", "LEN '-5' is not a size"),
        Row("repeat -1 { echo x }", "N '-1' is not a whole number"),
        Row("sleep -1", "is not a duration"),
        // Sizes above the kernel limit (SHMMAX / available memory): the kernel's error, named.
        Row("shm create KEY 9223372036854775807", "shmget: E"),
        // Unterminated quotes and blocks, stray braces, bad escapes.
        Row("echo \"abc", "unterminated double quote"),
        Row("echo 'abc", "unterminated single quote"),
        Row("repeat 3 { echo hi", "unclosed {"),
        Row("repeat 2 { repeat 2 { echo x }", "unclosed {"),
        Row("}", "unexpected }"),
        Row("echo hi }", "unexpected }"),
        Row("repeat 2", "missing { BLOCK }"),
        Row("echo ${unterminated", "unterminated ${"),
        Row("echo \"\\q\"", "unknown escape \\q"),
        Row("echo \"\\xZZ\"", "\\x must be followed by two hex digits"),
        // Unknown commands, subcommands, options, handles; wrong argument counts.
        Row("ehco hi", "did you mean 'echo'"),
        Row("shm creat KEY 8", "did you mean 'create'"),
        Row("shm frobnicate", "shm: unknown subcommand 'frobnicate'"),
        Row("shm", "shm: missing subcommand"),
        Row("shm create KEY 8 --bogus", "unknown option --bogus"),
        Row("shm create KEY", "missing SIZE"),
        Row("shm create KEY 8 9", "unexpected argument '9'"),
        Row("exit 1 2", "unexpected argument '2'"),
        Row(attached8 + "read b --at", "--at needs a value"),
        Row(attached8 + "write b", "missing DATA"),
        Row("write nosuch hi", "write: no handle named 'nosuch'"),
        Row("shm attach nosuch", "no handle named 'nosuch'"),
        Row("status nosuch", "no handle named 'nosuch'"),
        Row("help nosuch", "no command named 'nosuch'"),
        // Bad keys, modes, durations, names.
        Row("shm create abc 8", "KEY 'abc' is not a key"),
        Row("shm create ftok:/nonexistent-ipcsh-test:1 8", "ftok: ENOENT"),
        Row("shm create KEY 8 --mode 0999", "--mode MODE '0999' is not a mode"),
        Row("shm create KEY 8 --mode rw", "is not a mode"),
        Row("sleep 5x", "DURATION '5x' is not a duration"),
        Row("set 1abc x", "'1abc' is not a valid name"),
        Row("b = ", "missing command after 'b ='"),
        // Variables and fields.
        Row("echo $undefined", "undefined variable $undefined"),
        Row("b = shm create KEY 8; echo $b.nofield", "b has no field 'nofield'"),
        Row("set v 1; echo $v.nofield", "$v is a variable and has no field 'nofield'"),
        Row("echo $9", "$9 is not set"),
        Row("echo ${1abc}", "bad variable name '1abc'"),
        // expect.
        Row("expect 1 == 2", "expect failed"),
        Row("expect a != a", "expect failed"),
        Row("expect abc contains z", "expect failed"),
        Row("expect a === a", "expect A == B"),
        // Writes past the end, reads and dumps past the end.
        Row(attached8 + "write b 123456789", "do not fit in b (8 bytes)"),
        Row(attached8 + "write b hi --at 8", "do not fit in b (8 bytes)"),
        Row(attached8 + "write b 12345678 --at 1 --raw", "do not fit in b (8 bytes)"),
        Row(attached8 + "read b --at 100", "offset 100 is outside b"),
        Row(attached8 + "read b --at 8", "offset 8 is outside b"),
        Row(attached8 + "shm dump b 100", "OFFSET 100 is outside b (8 bytes: 0 to 7)"),
        Row(attached8 + "shm dump b 8", "OFFSET 8 is outside b (8 bytes: 0 to 7)"),
        Row("b = shm ls", "the command gives no value or handle to bind"),
        // Use before attach, after detach, after rm.
        Row("b = shm create KEY 8; read b", "read: b is not attached"),
        Row("b = shm create KEY 8; shm dump b", "b is not attached"),
        Row(attached8 + "shm detach b; write b hi", "write: b is not attached"),
        Row(attached8 + "shm detach b; read b", "read: b is not attached"),
        Row(attached8 + "shm detach b; shm detach b", "b is not attached"),
        Row(attached8 + "shm attach b", "b is already attached"),
        Row(attached8 + "shm rm b; write b hi", "b was removed"),
        Row(attached8 + "shm rm b; read b", "b was removed"),
        Row("b = shm create KEY 8; shm rm b; shm attach b", "b was removed"),
        Row("b = shm create KEY 8; shm rm b; shm rm b", "already removed"),
        Row("b = shm create KEY 8; shm rm b; shm stat b", "shmctl: EINVAL (Invalid argument)"),
        Row("b = shm create KEY 8; shm attach b --readonly; write b hi", "b is attached read-only"),
        // Kernel errors.
        Row("shm open KEY", "shmget: ENOENT (No such file or directory)"),
        Row("shm rm KEY", "shmget: ENOENT"),
        Row("shm create KEY 8; shm create KEY 8 --excl", "shmget: EEXIST (File exists)"),
        Row("source /nonexistent-ipcsh-test.ipcs", "ENOENT"),
        // exit codes and names.
        Row("exit 256", "CODE '256' is not a whole number from 0 to 255"),
        Row("exit -1", "CODE '-1' is not a whole number from 0 to 255"),
        Row("b = shm create KEY 8; b = shm create KEY 8", "the name b is already taken"),
    ]

    func testTheTableHasAtLeastThirtyRows() {
        XCTAssertGreaterThanOrEqual(Self.rows.count, 30)
    }

    func testEveryRowFailsWithExit1AndItsMessageWithDashC() throws {
        for row in Self.rows {
            let key = makeKey()
            let script = row.script.replacingOccurrences(of: "KEY", with: Harness.hex(key)) + "; " + Self.sentinel
            let r = try Harness.runCommands(script, timeout: 20)
            Self.check(r, row: row, script: script, prefix: "-c:1:")
            Harness.removeSegment(key: key)
        }
    }

    func testEveryRowFailsWithExit1AndAFileLineColumnPrefixAsAScript() throws {
        let dir = try makeDirectory()
        for (index, row) in Self.rows.enumerated() {
            let key = makeKey()
            let body = row.script.replacingOccurrences(of: "KEY", with: Harness.hex(key))
            // Two harmless lines first, so the error must point at line 3.
            let path = dir.appendingPathComponent("row\(index).ipcs").path
            try "# row \(index)\necho start\n\(body)\n\(Self.sentinel)\n".write(toFile: path, atomically: false, encoding: .utf8)
            let r = try Harness.run([path], timeout: 20)
            Self.check(r, row: row, script: body, prefix: "\(path):3:")
            // A syntax error stops the script before it runs; any other error after line 2 ran.
            XCTAssertTrue(r.stdout == "" || r.stdout.hasPrefix("start\n"), "row at line \(row.line): \(r.stdout)", line: row.line)
            Harness.removeSegment(key: key)
        }
    }

    func testSomeRowsFromStdin() throws {
        let picks = Self.rows.filter {
            ["unterminated double quote", "unclosed {", "did you mean 'echo'", "do not fit in b (8 bytes)",
             "b was removed", "CODE '256' is not a whole number from 0 to 255", "undefined variable $undefined"].contains($0.message)
        }
        XCTAssertGreaterThanOrEqual(picks.count, 7)
        for row in picks {
            let key = makeKey()
            let script = row.script.replacingOccurrences(of: "KEY", with: Harness.hex(key)) + "\n" + Self.sentinel + "\n"
            let r = try Harness.run([], stdin: script, timeout: 20)
            Self.check(r, row: row, script: script, prefix: "<stdin>:1:")
            Harness.removeSegment(key: key)
        }
    }

    func testErrorsPointAtTheOffendingWord() throws {
        let dir = try makeDirectory()
        let path = dir.appendingPathComponent("columns.ipcs").path
        try "echo one\n  sleep 5x\n".write(toFile: path, atomically: false, encoding: .utf8)
        let r = try Harness.run([path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("\(path):2:9: error: sleep: DURATION '5x'"), r.stderr)
        let q = try Harness.runCommands("echo ok; echo \"abc")
        XCTAssertTrue(q.stderr.hasPrefix("-c:1:15: error: unterminated double quote"), q.stderr)
        XCTAssertEqual(q.stdout, "", "a parse error runs nothing")
    }

    // MARK: binary garbage

    func testBinaryGarbageScriptsFailCleanly() throws {
        let dir = try makeDirectory()
        var generator = SplitMix64(seed: 0x1BC5_4ADE)
        for round in 0..<25 {
            var bytes = (0..<(40 + round * 37)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 5 == 0 { bytes.insert(contentsOf: [0x00, 0x00, 0xFF], at: 0) } // NULs first
            if round % 5 == 1 { bytes = Array("echo fine\n".utf8) + bytes } // garbage after a good line
            let path = dir.appendingPathComponent("garbage\(round).ipcs").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let viaFile = try Harness.run([path], timeout: 20)
            // The raw bytes on stdin (Harness.run's stdin is a String, which would repair them).
            let viaStdin = try Harness.runProgram("/bin/sh", ["-c", "exec \"$0\" < \"$1\"", Harness.ipcshPath, path], timeout: 20)
            for (mode, r) in [("file", viaFile), ("stdin", viaStdin)] {
                let context = "garbage round \(round) via \(mode)"
                XCTAssertEqual(r.status, 1, "\(context): \(r.stderr)")
                // A file with NUL bytes is refused whole; otherwise the first bad byte is located.
                XCTAssertTrue(r.stderr.contains(": error: ") || r.stderr.contains("is not a text script"),
                              "\(context): \(r.stderr)")
                XCTAssertFalse(Self.looksLikeACrash(r.stderr), "\(context): \(r.stderr)")
                XCTAssertFalse(Self.hasRawControlBytes(r.stderr), "\(context): error messages escape unprintable bytes: \(r.stderr.debugDescription)")
            }
        }
    }

    func testAnExecutableFileIsNotAScript() throws {
        let r = try Harness.run(["/bin/true"], timeout: 20)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("/bin/true is not a text script (it holds NUL bytes)"), r.stderr)
        XCTAssertFalse(Self.looksLikeACrash(r.stderr), r.stderr)
        XCTAssertFalse(Self.hasRawControlBytes(r.stderr), r.stderr.debugDescription)
    }

    func testUnknownCommandWithControlBytesIsShownEscaped() throws {
        let r = try Harness.run([], stdin: "\u{7F}ELF\u{02}\u{01}\u{00}x\n")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unknown command '\\x7fELF\\x02\\x01\\x00x'"), r.stderr.debugDescription)
        let sub = try Harness.run([], stdin: "shm \u{1B}[31m\n")
        XCTAssertEqual(sub.status, 1)
        XCTAssertTrue(sub.stderr.contains("unknown subcommand '\\x1b[31m'"), sub.stderr.debugDescription)
        let escape = try Harness.run([], stdin: "echo \"\\\u{01}\"\n")
        XCTAssertEqual(escape.status, 1)
        XCTAssertTrue(escape.stderr.contains("unknown escape \\\\x01"), escape.stderr.debugDescription)
        XCTAssertFalse(Self.hasRawControlBytes(sub.stderr + escape.stderr))
    }

    // MARK: checks

    static func check(_ r: Harness.Result, row: Row, script: String, prefix: String) {
        let context = "row at line \(row.line), script \(script.debugDescription)"
        XCTAssertEqual(r.status, 1, "\(context): stderr \(r.stderr)", line: row.line)
        XCTAssertTrue(r.stderr.contains(row.message), "\(context): stderr lacks \(row.message.debugDescription): \(r.stderr)", line: row.line)
        let errorLine = r.stderr.split(separator: "\n").first { $0.contains(": error: ") }.map(String.init) ?? ""
        XCTAssertTrue(errorLine.hasPrefix(prefix) && errorLine.range(of: #"^.*:\d+:\d+: error: "#, options: .regularExpression) != nil,
                      "\(context): error line \(errorLine.debugDescription) lacks \(prefix)COL: error:", line: row.line)
        XCTAssertFalse(r.stdout.contains("SENTINEL-REACHED"), "\(context): ran past the failure: \(r.stdout)", line: row.line)
        XCTAssertFalse(looksLikeACrash(r.stderr), "\(context): \(r.stderr)", line: row.line)
    }

    static func looksLikeACrash(_ stderr: String) -> Bool {
        ["Fatal error", "crashed", "Backtrace", "Illegal instruction", "Segmentation fault"].contains { stderr.contains($0) }
    }

    /// Control bytes other than newline and tab (an escaped message shows them as \xHH).
    static func hasRawControlBytes(_ text: String) -> Bool {
        text.utf8.contains { ($0 < 0x20 && $0 != 0x0A && $0 != 0x09) || $0 == 0x7F }
    }
}

/// A small deterministic generator, so the garbage is the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
