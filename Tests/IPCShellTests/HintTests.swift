@preconcurrency import Glibc
@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// Issue 11.7: an error says what to try next, and what it says fits where it happened.
final class HintTests: ShellTestCase {
    private var paths: [String] = []

    override func tearDown() {
        for path in paths {
            if rmdir(path) != 0 { unlink(path) }
        }
        super.tearDown()
    }

    /// A fresh path in /tmp that nothing holds yet (removed at tear-down).
    private func freshPath(_ name: String) -> String {
        let path = "/tmp/ipcsh-hint-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        paths.append(path)
        return path
    }

    /// The hint line (indented, under the error) of a failing run.
    private func hint(_ source: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try shell.run(source)
        XCTAssertEqual(r.failures, 1, r.stderr, file: file, line: line)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        return lines.dropFirst().first?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    func testNonBlockingReadOfAnEmptyPipe() throws {
        defer { _ = try? shell.run("close p") }
        let text = try hint("p = pipe; read p.r --nonblock")
        XCTAssertTrue(text.hasPrefix("nothing to read yet, and this read does not wait"), text)
    }

    func testNonBlockingWriteToAFullPipe() throws {
        defer { _ = try? shell.run("close p") }
        let text = try hint("p = pipe; repeat 1000 { write p.w x --size 4096 --nonblock }")
        XCTAssertTrue(text.hasPrefix("the pipe or socket is full, and this write does not wait"), text)
    }

    func testMakingAFifoWhereAPathExists() throws {
        let path = freshPath("fifo")
        XCTAssertEqual(try shell.run("fifo make \(path)").failures, 0)
        let text = try hint("fifo make \(path)")
        XCTAssertTrue(text.hasPrefix("the path exists already: open the FIFO there with fifo open PATH"), text)
        XCTAssertEqual(try shell.run("fifo rm \(path)").failures, 0)
    }

    func testRunningADirectory() throws {
        let path = freshPath("dir")
        XCTAssertEqual(mkdir(path, 0o700), 0)
        let text = try hint("run \(path)")
        XCTAssertEqual(text, "\(path) is a directory, not a program")
    }

    /// A missing `$N` is passed where the arguments of that place come from.
    func testAMissingArgumentIsPassedWhereItsPlaceTakesIt() throws {
        XCTAssertEqual(try hint("echo $1"), "pass it after the script name: ipcsh SCRIPT ARG...")
        XCTAssertEqual(try hint("proc greet { echo \"hello, $1\" }; greet"), "pass it to the proc: greet ARG...")
        // Back from the proc, the script's own again.
        XCTAssertEqual(try hint("greet x; echo $2"), "pass it after the script name: ipcsh SCRIPT ARG...")
        let path = freshPath("sourced")
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = "echo $2\n".withCString { write(fd, $0, 8) }
        close(fd)
        XCTAssertEqual(try hint("source \(path) a"), "pass it after the file name: source \(path) ARG...")
        XCTAssertEqual(ArgumentsOrigin.commandText.missingArgumentHint, "pass it after the -c text: ipcsh -c '...' ARG...")
    }
}
