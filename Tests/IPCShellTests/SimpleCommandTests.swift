import XCTest
@testable import IPCShell

/// A script's simple commands (plain words only) are read by a short scan and run without a
/// `Command` built (`SimpleCommand`). These tests check that this changes nothing a user can
/// see: the same commands, the same output, the same errors at the same places.
final class SimpleCommandTests: ShellTestCase {
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
            ("echo a\n@worker hi", [false, true]),
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
    /// the same error, either way.
    func testRandomScriptsParseTheSameStreamedOrWhole() {
        let fragments = ["echo", "write", "shm1", "a", "x=1", "=", " ", "  ", "\t", "\n", "\n", ";", "# c\n", "a#b",
                         "\"q\"", "'s'", "$x", "${y}", "{", "}", "\\\n", "\\", "!", "! ls\n", "\r", "--at", "é", "7"]
        var generator = SplitMix64(seed: 0x1BC5)
        for _ in 0..<3000 {
            let count = Int(generator.next() % 16) + 1
            var source = "echo start\n"
            for _ in 0..<count { source += fragments[Int(generator.next() % UInt64(fragments.count))] }
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
        // Keys, ids, addresses and times differ between the two runs; nothing else may.
        func normalized(_ text: String, key: Int32) -> String {
            text.replacingOccurrences(of: hexText(key), with: "KEY")
                .replacingOccurrences(of: #"shmid(:? +)\d+"#, with: "shmid$1N", options: .regularExpression)
                .replacingOccurrences(of: #"0x[0-9a-f]{6,}"#, with: "ADDRESS", options: .regularExpression)
                .replacingOccurrences(of: #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"#, with: "TIME", options: .regularExpression)
        }
        var runs: [(stdout: String, stderr: String, failures: Int)] = []
        for direct in [true, false] {
            let fixture = ShellFixture()
            defer { fixture.tearDown() }
            fixture.interpreter.keepGoing = true
            let key = fixture.makeKey()
            let run = try fixture.runStreaming(script(key), simpleCommandsDirectly: direct)
            runs.append((normalized(run.stdout, key: key), normalized(run.stderr, key: key), run.failures))
        }
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
}

/// A small deterministic generator (SplitMix64), so that a failing random case can be found again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
