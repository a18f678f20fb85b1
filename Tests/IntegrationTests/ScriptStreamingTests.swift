import Foundation
import XCTest

/// A script runs as it is read, one command at a time (as sh does): a syntax error stops it
/// where it is, after what came before has run.
final class ScriptStreamingTests: IPCTestCase {
    func testCommandsBeforeASyntaxErrorRunAndTheErrorIsLocated() throws {
        let path = try makeDirectory().appendingPathComponent("s.ipcs").path
        try "echo first\necho second\necho \"unterminated\necho never\n".write(toFile: path, atomically: false, encoding: .utf8)
        let r = try Harness.run([path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "first\nsecond\n")
        XCTAssertTrue(r.stderr.hasPrefix("\(path):3:6: error: unterminated double quote"), r.stderr)
    }

    func testAStrayClosingBraceStopsTheScriptThere() throws {
        let r = try Harness.run(["/dev/stdin"], stdin: "echo one\n}\necho two\n")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "one\n")
        XCTAssertTrue(r.stderr.contains(":2:1: error: unexpected }"), r.stderr)
    }

    /// A script longer than one read (64 KiB) is read in pieces: an error far into it still
    /// names its line.
    func testAnErrorAfterManyPiecesNamesItsLine() throws {
        let path = try makeDirectory().appendingPathComponent("long.ipcs").path
        let lines = (0..<30_000).map { "echo line-\($0)" } + ["bogus-command"]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let r = try Harness.run([path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.hasSuffix("line-29999\n"), String(r.stdout.suffix(40)))
        XCTAssertTrue(r.stderr.hasPrefix("\(path):30001:1: error: unknown command 'bogus-command'"), r.stderr)
    }

    func testStdinIsReadTheSameWay() throws {
        let r = try Harness.run([], stdin: "echo a; echo b\nrepeat 2 {\n  echo \"in $i\"\n}\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "a\nb\nin 0\nin 1\n")
    }
}
