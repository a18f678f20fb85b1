import Glibc
import XCTest
@testable import IPCShell
@testable import IPCSyntax

/// A script's simple commands (plain words only) are read by a short scan and run without a
/// `Command` built (`SimpleCommand`). These tests check that this changes nothing a user can
/// see: the same commands, the same output, the same errors at the same places.
final class SimpleCommandTests: XCTestCase {
    /// Streams `source` as a script is run: simple commands through `nextSimpleCommand`, turned
    /// into `Command`s, the rest through `nextCommand`. Which were simple, in order.
    private func streamed(_ source: String) -> (commands: [Command], simple: [Bool], error: Diagnostic?) {
        var commands: [Command] = []
        var simpleFlags: [Bool] = []
        do {
            var parser = try Parser(streaming: Array(source.utf8), file: "t")
            var simple = SimpleCommand()
            while true {
                if parser.nextSimpleCommand(into: &simple) {
                    commands.append(simple.command(in: parser.sourceBytes))
                    simpleFlags.append(true)
                    continue
                }
                guard let command = try parser.nextCommand() else { break }
                commands.append(command)
                simpleFlags.append(false)
            }
            return (commands, simpleFlags, nil)
        } catch {
            return (commands, simpleFlags, error)
        }
    }

    /// The streamed commands are those of a whole parse, or the error is the same error.
    private func assertSameAsParse(_ source: String, file: StaticString = #filePath, line: UInt = #line) {
        let streaming = streamed(source)
        do {
            let script = try Parser.parse(source, file: "t")
            XCTAssertNil(streaming.error, "streaming failed where parse did not: \(source.debugDescription)", file: file, line: line)
            XCTAssertEqual(streaming.commands, script.commands, source.debugDescription, file: file, line: line)
        } catch {
            XCTAssertEqual(streaming.error?.message, error.message, source.debugDescription, file: file, line: line)
            XCTAssertEqual(streaming.error?.location, error.location, source.debugDescription, file: file, line: line)
        }
    }

    func testWhichCommandsAreSimple() {
        // The first command of a script is always read in full (the parser has read it ahead).
        let cases: [(String, [Bool])] = [
            ("echo a\nread shm1\nwrite shm1 hello-1", [false, true, true]),
            ("echo a; echo b;echo c", [false, true, true]),
            ("echo a\n\n   # a comment\n\techo b # trailing\r\necho c", [false, true, true]),
            ("echo a\necho a#b", [false, true]),
            ("echo a\necho héllo", [false, true]),
            ("echo a\necho 1 2 3 4 5", [false, true]),
            ("echo a\necho 1 2 3 4 5 6", [false, false]),        // more words than a simple command holds
            ("echo a\nx = read shm1", [false, false]),           // a binding
            ("echo a\nx =y", [false, true]),                     // not a binding: "=y" is a word
            ("echo a\necho \"q\"", [false, false]),
            ("echo a\necho 'q'", [false, false]),
            ("echo a\necho $x", [false, false]),
            ("echo a\necho a\\ b", [false, false]),
            ("echo a\necho a \\\n b", [false, false]),            // a line continuation
            ("echo a\n! echo hi", [false, false]),
            ("echo a\n!x", [false, false]),
            ("echo a\nrepeat 2 { echo b }", [false, false]),
            ("echo a\n@worker hi", [false, false]),           // @NAME takes the rest of the line
            ("echo a\n@worker hi; echo b\necho c", [false, false, true]),
            ("echo a\necho --at 3\n", [false, true]),
            ("echo a;;; echo b\n\n\n", [false, true]),
        ]
        for (source, expected) in cases {
            let result = streamed(source)
            XCTAssertNil(result.error, source.debugDescription)
            XCTAssertEqual(result.simple, expected, source.debugDescription)
            assertSameAsParse(source)
        }
    }

    func testErrorsAfterSimpleCommandsAreTheParsersErrors() {
        for source in ["echo a\necho b\necho a}", "echo a\necho b\necho 'open", "echo a\necho b\n}\necho c",
                       "echo a\necho b\necho \"\\q\"", "echo a\necho b\nrepeat 2 {\necho c"] {
            XCTAssertNotNil(streamed(source).error, source.debugDescription)
            assertSameAsParse(source)
        }
    }

    /// Random scripts from fragments that sit on every edge of "simple": the same commands, or
    /// the same error, either way. (Different scripts every run; a failure shows its script.)
    func testRandomScriptsParseTheSameStreamedOrWhole() {
        let fragments = ["echo", "write", "shm1", "a", "x=1", "=", " ", "  ", "\t", "\n", "\n", ";", "# c\n", "a#b",
                         "\"q\"", "'s'", "$x", "${y}", "{", "}", "\\\n", "\\", "!", "! ls\n", "\r", "--at", "é", "7",
                         "@a ", "@b x; y", "@"]
        for _ in 0..<3000 {
            var source = "echo start\n"
            for _ in 0..<Int.random(in: 1...16) { source += fragments.randomElement()! }
            assertSameAsParse(source)
        }
    }

    /// The same script, run with simple commands run directly and as parsed `Command`s, prints
    /// the same lines and reports the same errors at the same places.
    func testRunningSimpleCommandsDirectlyChangesNothing() throws {
        func script(_ key: Int32) -> String {
            """
            shm create \(hexText(key)) 64
            shm attach shm1
            write shm1 hello
            read shm1
            read shm1 3
            write shm1 abc --at 2
            read shm1 --at 2
            read shm2
            read shm1 99999999999999999999
            write shm1
            write shm1 a b c
            wrte shm1 x
            shm
            shm nope
            shm stat shm1
            status shm1
            echo $?
            echo a b c d e
            echo 1 2 3 4 5 6 7
            set x 5
            echo $x
            expect 1 == 1
            expect 1 == 2
            proc p { echo in-proc $1 }
            p 1
            p 2
            @nobody hi
            sleep 0
            write shm1 0123456789012345678901234567890123456789012345678901234567890123456789
            write shm1 012345678901234567890123456789
            read shm1
            shm detach shm1
            read shm1
            write shm1 x
            shm rm shm1
            status shm1
            """
        }
        let runs = try runBothWays(script)
        XCTAssertEqual(runs[0].stdout, runs[1].stdout)
        XCTAssertEqual(runs[0].stderr, runs[1].stderr)
        XCTAssertEqual(runs[0].failures, runs[1].failures)
        // The script did reach its commands and its errors (each error names its line).
        XCTAssertTrue(runs[0].stdout.contains("hello\nhel\nabc\n"), runs[0].stdout)
        XCTAssertTrue(runs[0].stdout.contains("in-proc 2"), runs[0].stdout)
        XCTAssertGreaterThanOrEqual(runs[0].failures, 12, runs[0].stderr)
        XCTAssertTrue(runs[0].stderr.contains("t.ipcs:8:6"), runs[0].stderr) // read shm2: no handle
        XCTAssertTrue(runs[0].stderr.contains("t.ipcs:12:1"), runs[0].stderr) // wrte: unknown command
    }

    /// Random scripts of commands that succeed and fail in every way a simple command can
    /// (unknown names and handles, bad numbers, options, too many words, a detached segment),
    /// mixed with ones that are not simple: the same output and errors either way.
    func testRandomScriptsRunTheSameEitherWay() throws {
        let lines = ["write shm1 hello", "write shm1 hello-7", "read shm1", "read shm1 3", "read shm1 0", "read shm1 --at 2",
                     "write shm1 abc --at 2", "write shm1 x --raw", "write shm1 x --at", "read shm2", "write shm2 x",
                     "wrte shm1 x", "read", "write shm1", "write shm1 a b c", "echo a b", "echo $?", "echo $_",
                     "set v 1", "echo $v", "expect 1 == 1", "expect 1 == 2", "status shm1", "shm detach shm1",
                     "shm attach shm1", "shm stat shm1", "x = read shm1", "echo $x", "read shm1 99999999999999999999",
                     "read shm1 -1", "shm", "shm nope", "echo 1 2 3 4 5 6 7", "write shm1 \"quoted\"", "@nobody hi",
                     "write shm1 0123456789012345678901234567890123456789012345678901234567890123456789", "# note",
                     "write shm1 a; read shm1", "", "read shm1.r", "write shm1 é"]
        let directRuns = try runRandomScriptsBothWays(of: lines) { key in
            ("shm create \(hexText(key)) 64\nshm attach shm1", "shm rm shm1")
        }
        // Reads and writes of the segment ran by their direct forms (CommandSpec.direct).
        XCTAssertGreaterThan(directRuns, 20)
    }

    /// `read NAME` and `write NAME DATA` of a descriptor run by their direct form
    /// (`CommandSpec.direct`), with no bound command or context: random scripts of reads and
    /// writes that succeed and fail in every way (pipes, a socket pair, an eventfd, wrong ends,
    /// unknown names, options, too many words, long and non-ASCII data, a closed end) print the
    /// same lines and report the same errors at the same places as the bound way.
    func testRandomDescriptorScriptsRunTheSameEitherWay() throws {
        let lines = ["write p.w hello; read p.r", "write p.w hello-7; read p.r 3; read p.r", "write s.a ping; read s.b",
                     "write s.b pong; read s.a", "write e 3; read e", "write p.r x", "read p.w", "read p.r --nonblock",
                     "read p.r --timeout 1ms", "write p.w", "write p.w a b", "write p.w --size 8 x; read p.r",
                     "read nosuch", "write nosuch x", "read p", "write p.x y", "echo $_", "write p.w é; read p.r",
                     "write p.w 0123456789012345678901234567890123456789; read p.r", "read p.r 0", "write p.w --at 3 x",
                     "write p.w v; x = read p.r; echo $x", "write p.w --; read p.r", "write p.w -x; read p.r",
                     "write p.w 'q r'; read p.r", "close s.b", "write e x", "write e 2; read e 3"]
        // A write to the socket pair once an end is closed is EPIPE, as in the shell (which
        // ignores SIGPIPE), not the end of the test process.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let directRuns = try runRandomScriptsBothWays(of: lines) { _ in
            ("p = pipe\ns = sock pair\ne = eventfd 5", "close p\nclose s\nclose e")
        }
        // The direct forms did run (every script has reads and writes of p and s).
        XCTAssertGreaterThan(directRuns, 100)
    }

    /// Twenty scripts of forty random `lines` each, between the set-up and the tear-down made for
    /// a fresh key, run both ways (`runBothWays`): the same output, errors and failure count.
    /// Returns how many commands ran by a direct form (none may, the other way).
    private func runRandomScriptsBothWays(of lines: [String], file: StaticString = #filePath, line: UInt = #line,
                                          around: (Int32) -> (setUp: String, tearDown: String)) throws -> Int {
        var directRuns = 0
        for _ in 0..<20 {
            let body = (0..<40).map { _ in lines.randomElement()! }.joined(separator: "\n")
            let runs = try runBothWays { key in
                let (setUp, tearDown) = around(key)
                return setUp + "\n" + body + "\n" + tearDown
            }
            XCTAssertEqual(runs[0].stdout, runs[1].stdout, body, file: file, line: line)
            XCTAssertEqual(runs[0].stderr, runs[1].stderr, body, file: file, line: line)
            XCTAssertEqual(runs[0].failures, runs[1].failures, body, file: file, line: line)
            XCTAssertEqual(runs[1].direct, 0, "no direct form runs when simple commands are not run directly", file: file, line: line)
            directRuns += runs[0].direct
        }
        return directRuns
    }

    /// Runs the script made for a fresh key twice, in fresh sessions that go on after a failure:
    /// simple commands run directly, then as parsed `Command`s. Keys, segment ids, addresses
    /// and times differ between the two runs and are replaced; nothing else may differ.
    /// A descriptor word named again is answered from what it named last time
    /// (`Session.recentDescriptor`) only while that still stands: once its end is closed the
    /// word is closed, even when a new pipe takes the same descriptor number, and once the name
    /// means a new pipe the word names the new one.
    func testADescriptorNamedAgainFollowsClosesAndNewHandles() throws {
        let fixture = ShellFixture()
        defer { fixture.tearDown() }
        fixture.interpreter.keepGoing = true
        let run = try fixture.runStreaming("""
            p = pipe
            write p.w one
            read p.r
            write p.w two
            read p.r
            close p.r
            read p.r
            q = pipe
            fds
            write q.w three
            read q.r
            read p.r
            close p
            close q
            p = pipe
            write p.w four
            read p.r
            close p
            """)
        XCTAssertEqual(run.failures, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("t.ipcs:7:6: error: read: p.r is closed"), run.stderr)
        XCTAssertTrue(run.stderr.contains("t.ipcs:12:6: error: read: p.r is closed"), run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { ["one", "two", "three", "four"].contains($0) }, ["one", "two", "three", "four"], run.stdout)
        // The new pipe q took the descriptor p.r had: the check is by handle and end, not number.
        // ("p: read end p.r = fd 25, write end p.w = fd 26": the seventh word is "25,".)
        let pRead = lines.first { $0.hasPrefix("p: ") }.flatMap { $0.split(separator: " ").dropFirst(6).first }
        XCTAssertNotNil(pRead, run.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("q: read end q.r = fd \(pRead ?? "?")") }, run.stdout)
    }

    private func runBothWays(_ script: (Int32) -> String) throws -> [(stdout: String, stderr: String, failures: Int, direct: Int)] {
        func normalized(_ text: String, key: Int32) -> String {
            text.replacingOccurrences(of: hexText(key), with: "KEY")
                .replacingOccurrences(of: #"shmid(:? +)\d+"#, with: "shmid$1N", options: .regularExpression)
                .replacingOccurrences(of: #"0x[0-9a-f]{6,}"#, with: "ADDRESS", options: .regularExpression)
                .replacingOccurrences(of: #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"#, with: "TIME", options: .regularExpression)
                .replacingOccurrences(of: #"fd \d+"#, with: "fd N", options: .regularExpression)
        }
        var runs: [(stdout: String, stderr: String, failures: Int, direct: Int)] = []
        for direct in [true, false] {
            let fixture = ShellFixture()
            defer { fixture.tearDown() }
            fixture.interpreter.keepGoing = true
            let key = fixture.makeKey()
            let run = try fixture.runStreaming(script(key), simpleCommandsDirectly: direct)
            runs.append((normalized(run.stdout, key: key), normalized(run.stderr, key: key), run.failures,
                         fixture.interpreter.commandsRunDirectly))
        }
        return runs
    }
}
