import Foundation
import XCTest

/// docs/language.md, "Invocation": invocation forms and exit statuses 0 / 1 / 2 / 130.
final class CLITests: IPCTestCase {
    private func script(_ text: String, name: String = "script.ipcs") throws -> String {
        let path = try makeDirectory().appendingPathComponent(name).path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    // MARK: exit statuses

    func testSuccessIsZero() throws {
        let r = try Harness.runCommands("echo hi; set x 1; expect $x == 1")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "hi\n")
        XCTAssertEqual(r.stderr, "")
    }

    func testAFailedCommandIsOne() throws {
        let r = try Harness.runCommands("echo before; expect 1 == 2; echo after")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "before\n", "-c stops at the first failure")
        XCTAssertTrue(r.stderr.hasPrefix("-c:1:14: error: expect failed"), r.stderr)
    }

    func testExitCodeIsTheStatus() throws {
        XCTAssertEqual(try Harness.runCommands("exit 7; echo no").status, 7)
        XCTAssertEqual(try Harness.runCommands("exit").status, 0)
        XCTAssertEqual(try Harness.runCommands("exit 0").status, 0)
        XCTAssertEqual(try Harness.runCommands("exit 255").status, 255)
    }

    func testBadIpcshArgumentsAreTwo() throws {
        for arguments in [["--bogus"], ["-c"], ["-x", "echo"], ["--keep-going=3"]] {
            let r = try Harness.run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertFalse(r.stderr.isEmpty, "\(arguments)")
            XCTAssertTrue(r.stderr.contains("Usage") || r.stderr.contains("usage"), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(arguments)")
        }
    }

    func testWordsAfterDashCAreItsPositionalArguments() throws {
        // As with sh -c: the words after the commands are $1, $2, ...
        let r = try Harness.run(["-c", "echo \"[$1] [$2] $#\"", "first", "second"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "[first] [second] 2\n")
    }

    func testAMissingScriptFileIsOne() throws {
        let r = try Harness.run(["/nonexistent-ipcsh-test/script.ipcs"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("ENOENT"), r.stderr)
    }

    func testSigintEndsANonInteractiveRunWith130() throws {
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "echo started; sleep 10; echo not-reached"])
        defer { shell.stop() }
        XCTAssertEqual(shell.readLine(), "started")
        usleep(100_000) // let it enter the sleep
        kill(shell.pid, SIGINT)
        // Generous bound (the shell should take milliseconds): the point is that sleep was interrupted.
        XCTAssertEqual(shell.wait(timeout: 5), 130)
        XCTAssertNil(shell.readLine(timeout: 1), "nothing runs after the interrupted command")
    }

    /// Ctrl-C sent to ipcsh alone (not its process group) still stops a `!` command: the shell
    /// forwards it to sh and what sh runs (sh waiting for `sleep` would not stop by itself),
    /// however early it lands.
    func testSigintToTheShellAloneStopsAShellCommand() throws {
        // `!` takes the rest of its line: sh runs `sleep 30; echo not-reached` and waits for sleep.
        let shell = try BackgroundProgram(Harness.ipcshPath, ["-c", "echo started\n! sleep 30; echo not-reached"])
        defer { shell.stop() }
        XCTAssertEqual(shell.readLine(), "started")
        kill(shell.pid, SIGINT)
        XCTAssertEqual(shell.wait(timeout: 10), 130)
        XCTAssertNil(shell.readLine(timeout: 1), "nothing runs after the interrupted command")
    }

    func testSigintDuringAScriptAlsoRemovesCleanupObjects() throws {
        let key = makeKey()
        let path = try script("seg = shm create \(Harness.hex(key)) 64\necho started\nsleep 10\n")
        let shell = try BackgroundProgram(Harness.ipcshPath, ["--cleanup", path])
        defer { shell.stop() }
        _ = shell.readLine()
        XCTAssertEqual(shell.readLine(), "started")
        XCTAssertTrue(Harness.segmentExists(key: key))
        usleep(100_000)
        kill(shell.pid, SIGINT)
        XCTAssertEqual(shell.wait(timeout: 5), 130)
        XCTAssertFalse(Harness.segmentExists(key: key), "--cleanup still applies after Ctrl-C")
    }

    // MARK: scripts

    func testScriptArguments() throws {
        let path = try script("""
            echo "count=$# first=$1 second=$2"
            echo ${1}-suffix
            expect $# == 2
            """)
        let r = try Harness.run([path, "alpha", "two words"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count=2 first=alpha second=two words\nalpha-suffix\n")
        // No arguments: $# is 0 and $1 is an error.
        let none = try Harness.run([path])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("\(path):1:"), none.stderr)
    }

    func testScriptArgumentsThatLookLikeOptionsAreTheScripts() throws {
        let path = try script("echo \"$# $1 $2\"\n")
        let r = try Harness.run([path, "--keep-going", "-c"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "2 --keep-going -c\n")
    }

    func testShebangFirstLineIsAllowedAndTheScriptIsExecutable() throws {
        let path = try script("#!/usr/bin/env ipcsh\necho shebang-ok $1\n")
        var r = try Harness.run([path, "x"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "shebang-ok x\n")
        // Run through the kernel's #! with ipcsh on PATH.
        XCTAssertEqual(chmod(path, 0o755), 0)
        let bin = URL(fileURLWithPath: Harness.ipcshPath).deletingLastPathComponent().path
        let path0 = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        r = try Harness.runProgram(path, ["y"], environment: ["PATH": bin + ":" + path0])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "shebang-ok y\n")
    }

    func testAScriptStopsAtTheFirstFailure() throws {
        let path = try script("echo one\nwrite nosuch x\necho two\n")
        let r = try Harness.run([path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "one\n")
        XCTAssertTrue(r.stderr.hasPrefix("\(path):2:7: error: write: no handle named 'nosuch'"), r.stderr)
    }

    func testKeepGoingContinuesAndStillExitsOne() throws {
        let path = try script("echo one\nwrite nosuch x\necho two\nexpect 1 == 2\necho three\n")
        let r = try Harness.run(["--keep-going", path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "one\ntwo\nthree\n")
        XCTAssertTrue(r.stderr.contains("\(path):2:7: error:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(path):4:1: error: expect failed"), r.stderr)
        // With -c too, and $? shows the failure to the next command.
        let c = try Harness.run(["--keep-going", "-c", "nosuch; echo status=$?; echo ok; echo status=$?"])
        XCTAssertEqual(c.status, 1)
        XCTAssertEqual(c.stdout, "status=1\nok\nstatus=0\n")
    }

    func testKeepGoingWithoutFailuresIsZero() throws {
        let r = try Harness.run(["--keep-going", "-c", "echo a; echo b"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "a\nb\n")
    }

    func testKeepGoingStillStopsAtAParseError() throws {
        // A syntax error means the script cannot be read at all: nothing runs.
        let path = try script("echo one\necho \"unterminated\n")
        let r = try Harness.run(["--keep-going", path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(path):2:6: error: unterminated double quote"), r.stderr)
    }

    func testSourceRunsAnotherScriptInTheSameSession() throws {
        let dir = try makeDirectory()
        let lib = dir.appendingPathComponent("lib.ipcs").path
        try "set greeting hello\nbad-command-in-lib\n".write(toFile: lib, atomically: false, encoding: .utf8)
        let r = try Harness.runCommands("source \(lib)")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(lib):2:1: error: unknown command 'bad-command-in-lib'"), r.stderr)
    }

    // MARK: stdin

    func testCommandsFromStdinWhenItIsNotATerminal() throws {
        let r = try Harness.run([], stdin: "echo from-stdin\nset x 5\necho \"x is $x\"\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "from-stdin\nx is 5\n", "no prompt, no readline")
        XCTAssertFalse(r.stdout.contains("ipcsh["), r.stdout)
    }

    func testStdinStopsAtTheFirstFailureUnlessKeepGoing() throws {
        let input = "echo a\nnosuch\necho b\n"
        let stop = try Harness.run([], stdin: input)
        XCTAssertEqual(stop.status, 1)
        XCTAssertEqual(stop.stdout, "a\n")
        XCTAssertTrue(stop.stderr.hasPrefix("<stdin>:2:1: error: unknown command 'nosuch'"), stop.stderr)
        let go = try Harness.run(["--keep-going"], stdin: input)
        XCTAssertEqual(go.status, 1)
        XCTAssertEqual(go.stdout, "a\nb\n")
    }

    func testEmptyStdinIsSuccess() throws {
        let r = try Harness.run([], stdin: "")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    /// Issue 11.7: with -c, arguments come after the -c text, not after a script name.
    func testAMissingArgumentOfDashCSaysToPassItAfterTheText() throws {
        let r = try Harness.run(["-c", "echo $2", "one"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "-c:1:6: error: $2 is not set: 1 argument(s) were given\n  pass it after the -c text: ipcsh -c '...' ARG...\n")
        let piped = try Harness.run([], stdin: "echo $1\n")
        XCTAssertTrue(piped.stderr.contains("commands read from stdin have no arguments"), piped.stderr)
    }

    // MARK: --version, --help

    func testVersion() throws {
        let r = try Harness.run(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNotNil(r.stdout.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression), r.stdout)
        // Issue 11.9: -V as python, psql and sqlite3 take it.
        let short = try Harness.run(["-V"])
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertEqual(short.stdout, r.stdout)
    }

    func testHelpExitsZeroAndDescribesTheOptions() throws {
        for flag in ["--help", "-h"] {
            let r = try Harness.run([flag])
            XCTAssertEqual(r.status, 0, "\(flag): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("crashed"), r.stderr)
            for text in ["USAGE", "-c", "--keep-going", "--cleanup", "--version", "ipcsh replay <file>", "ipcsh check <file>"] {
                XCTAssertTrue(r.stdout.contains(text), "\(flag) lacks \(text): \(r.stdout)")
            }
        }
    }
}
