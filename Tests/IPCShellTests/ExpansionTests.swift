@preconcurrency import Glibc
@testable import IPCShell
import IPCSys
import XCTest
@testable import IPCSyntax

/// `$NAME`, `${NAME}`, `$NAME.FIELD`, `$?`, `$_`, `$1 $# $@`, run through a real interpreter.
final class ExpansionTests: ShellTestCase {
    func testVariableForms() throws {
        let r = try shell.run(#"set x hello; echo $x ${x}y "<$x>" '$x'"#)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, "hello helloy <hello> $x\n")
    }

    func testQuotedExpansionStaysOneWord() throws {
        let r = try shell.run(#"set x "a  b"; expect "$x" == "a  b"; echo "[$x]""#)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, "[a  b]\n")
    }

    func testUnquotedExpansionIsNotSplitAgain() throws {
        // A variable is one word even unquoted: the lexer made the words before expansion.
        let r = try shell.run(#"set x "a b"; expect $x == "a b""#)
        XCTAssertEqual(r.failures, 0, r.stderr)
    }

    func testBinaryVariableKeepsItsBytes() throws {
        let r = try shell.run(#"set b "\x00\xff-"; echo $b"#)
        XCTAssertEqual(r.stdoutBytes, [0x00, 0xFF, 0x2D, 0x0A])
    }

    func testLastStatus() throws {
        shell.interpreter.keepGoing = true
        var r = try shell.run("echo $?")
        XCTAssertEqual(r.stdout, "0\n")
        r = try shell.run("expect a == b\necho $?\necho $?")
        XCTAssertEqual(r.failures, 1)
        XCTAssertEqual(r.stdout, "1\n0\n")
    }

    func testLastResult() throws {
        let r = try shell.run("echo first; echo \"[$_]\"; set v x; echo \"[$_]\"")
        // set has no value: $_ keeps the value of the echo before it.
        XCTAssertEqual(r.stdout, "first\n[first]\n[[first]]\n")
    }

    /// A long `read` of a segment builds its value in the storage of the previous `$_` (a
    /// short one is a word, inline): a variable bound to an earlier value must keep it, and `$_`
    /// must follow each new read.
    func testValuesOfReadsDoNotShareStorageWithEarlierOnes() throws {
        let r = try shell.run("""
            s = shm create \(hexText(shell.makeKey())) 64; shm attach s
            write s first-value-longer-than-a-word; x = read s; write s second-value-longer-than-a-word; read s
            echo "x=$x last=$_"
            write s third-value-longer-than-a-word; read s; set y $_; write s fourth-value-longer-than-a-word; read s
            echo "x=$x y=$y last=$_"
            write s short; read s; echo "x=$x y=$y last=$_"
            shm detach s; shm rm s
            """)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("x=first-value-longer-than-a-word last=second-value-longer-than-a-word"), r.stdout)
        XCTAssertTrue(lines.contains("x=first-value-longer-than-a-word y=third-value-longer-than-a-word last=fourth-value-longer-than-a-word"), r.stdout)
        XCTAssertTrue(lines.contains("x=first-value-longer-than-a-word y=third-value-longer-than-a-word last=short"), r.stdout)
    }

    /// A read's value is kept as a word (inline up to 15 bytes, an array beyond): printed, in
    /// `$_` and bound, the same text, from a pipe (NUL padding trimmed) and from a segment, at
    /// 1, 15, 16 and 40 bytes, escaped, and after a long value whose storage a read may reuse.
    func testValuesOfReadsOfEveryLengthAreTheSameEverywhere() throws {
        // A key of the fixture's, removed at tear-down even when the script stops half-way.
        var script = "p = pipe\ns = shm create \(hexText(shell.makeKey())) 128\nshm attach s\n"
        var expected: [String] = []
        // As typed in double quotes, and as read shows it.
        let texts = [("a", "a"), ("fifteen-bytes-x", "fifteen-bytes-x"), ("sixteen-bytes-xy", "sixteen-bytes-xy"),
                     (String(repeating: "long", count: 10), String(repeating: "long", count: 10)),
                     ("tab\\there", "tab\\there"), ("é", "é"), ("b", "b")]
        for (typed, shown) in texts {
            for (writeTo, readFrom, padding) in [("p.w", "p.r", " --size \(typed.utf8.count + 3)"), ("s", "s", "")] {
                script += "write \(writeTo) \"\(typed)\"\(padding)\nread \(readFrom)\necho \"[$_]\"\n"
                script += "write \(writeTo) \"\(typed)\"\(padding)\nv = read \(readFrom)\necho \"[$v|$_]\"\n"
                expected += [shown, "[\(shown)]", "[\(shown)|\(shown)]"]
            }
        }
        script += "close p\nshm detach s\nshm rm s\n"
        let r = try shell.run(script)
        let lines = r.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("p:") && !$0.hasPrefix("s:") }
        XCTAssertEqual(lines, expected, r.stderr)
        XCTAssertEqual(r.failures, 0, r.stderr)
    }

    func testBoundValueIsAVariableAndTheResult() throws {
        let r = try shell.run("m = echo hi there; echo \"$m|$_\"")
        XCTAssertEqual(r.stdout, "hi there|hi there\n")
    }

    func testPositionalArguments() throws {
        let fixture = ShellFixture(positional: ["s.ipcs", "a", "b c"])
        defer { fixture.tearDown() }
        let r = try fixture.run(#"echo "$#|$0|$1|$2|$@|${1}x""#)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, "2|s.ipcs|a|b c|a b c|ax\n")
    }

    func testMissingPositionalIsAnErrorWithLocation() throws {
        let fixture = ShellFixture(positional: ["s.ipcs", "a"])
        defer { fixture.tearDown() }
        let r = try fixture.run("echo ok\n  echo $2", file: "s.ipcs")
        XCTAssertEqual(r.stdout, "ok\n")
        XCTAssertTrue(r.stderr.hasPrefix("s.ipcs:2:8: error: $2 is not set: 1 argument(s) were given"), r.stderr)
    }

    func testNoArguments() throws {
        let r = try shell.run(#"echo "[$#][$@]""#)
        XCTAssertEqual(r.stdout, "[0][]\n")
    }

    func testUndefinedVariableIsAnErrorWithFileLineColumn() throws {
        let r = try shell.run("echo ok\necho   $nope\necho not-reached", file: "u.ipcs")
        XCTAssertEqual(r.stdout, "ok\n")
        XCTAssertEqual(r.failures, 1)
        XCTAssertTrue(r.stderr.hasPrefix("u.ipcs:2:8: error: undefined variable $nope\n"), r.stderr)
    }

    func testUndefinedVariableInsideQuotesPointsAtTheWord() throws {
        let r = try shell.run(#"echo "x $nope""#, file: "u.ipcs")
        XCTAssertTrue(r.stderr.hasPrefix("u.ipcs:1:6: error: undefined variable $nope"), r.stderr)
    }

    func testUndefinedVariableSuggestsAKnownName() throws {
        let r = try shell.run("set count 1; echo $cuont")
        XCTAssertTrue(r.stderr.contains("undefined variable $cuont"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'count'?"), r.stderr)
    }

    func testInteractiveErrorsHaveNoLocation() throws {
        shell.session.isInteractive = true
        let r = try shell.run("echo $nope")
        XCTAssertTrue(r.stderr.hasPrefix("error: undefined variable $nope"), r.stderr)
    }

    func testLoopVariable() throws {
        let r = try shell.run("repeat 3 { echo \"i=$i\" }\necho $i", file: "l.ipcs")
        XCTAssertEqual(r.stdout, "i=0\ni=1\ni=2\n")
        XCTAssertTrue(r.stderr.hasPrefix("l.ipcs:2:6: error: undefined variable $i"), r.stderr)
    }

    /// Expansions are built in one buffer kept between them: values of every length around the
    /// inline limit, bound and reused, must each keep their own bytes.
    func testExpansionsOfEveryLengthKeepTheirBytes() throws {
        let r = try shell.run("""
            set long 0123456789abcdefghij
            repeat 20 { set v$i "x$i-${long:-}" ; set w$i "$i" }
            echo "$v3|$w3|$v12|$w12|$v19|$w19"
            """)
        XCTAssertEqual(r.stdout, "x3-0123456789abcdefghij|3|x12-0123456789abcdefghij|12|x19-0123456789abcdefghij|19\n",
                       r.stderr)
        for length in [1, 14, 15, 16, 17, 40] {
            let text = String(repeating: "y", count: length)
            let short = try shell.run("set t \(text); set u \"<$t>\"; set z \"$t$t\"; echo \"$u $z $t\"")
            XCTAssertEqual(short.stdout, "<\(text)> \(text)\(text) \(text)\n", "length \(length)")
        }
    }

    func testVariableHasNoField() throws {
        let r = try shell.run("set v 1; echo $v.f")
        XCTAssertTrue(r.stderr.contains("error: $v is a variable and has no field 'f'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("${v}.f"), r.stderr)
    }

    func testUndefinedHandleField() throws {
        let r = try shell.run("echo x $nobuf.shmid", file: "h.ipcs")
        XCTAssertTrue(r.stderr.hasPrefix("h.ipcs:1:8: error: undefined handle $nobuf (in $nobuf.shmid)"), r.stderr)
    }

    // MARK: Fields of a real segment

    func testHandleFieldsOfARealSegment() throws {
        let key = shell.makeKey()
        var r = try shell.run("buf = shm create \(hexText(key)) 64")
        XCTAssertEqual(r.failures, 0, r.stderr)
        let id = shmget(key, 0, 0)
        XCTAssertGreaterThanOrEqual(id, 0)

        r = try shell.run("echo $buf $buf.name $buf.kind $buf.shmid ${buf.shmid} $buf.size $buf.key $buf.mode $buf.attached $_")
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, "buf buf shm \(id) \(id) 64 \(SyscallTrace.hexKey(key)) 0600 no buf\n")

        r = try shell.run("shm attach buf; echo $buf.attached $buf.addr")
        XCTAssertEqual(r.failures, 0, r.stderr)
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("yes 0x"), last)
        let shm = try XCTUnwrap(shell.session.handle(named: "buf") as? ShmHandle)
        XCTAssertEqual(last, "yes " + shm.addressText)

        r = try shell.run("shm detach buf; shm rm buf; echo $buf.removed $buf.attached")
        XCTAssertEqual(r.failures, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("yes no\n"), r.stdout)
        XCTAssertEqual(shmget(key, 0, 0), -1)
    }

    func testUnknownFieldListsTheFields() throws {
        let key = shell.makeKey()
        try shell.run("buf = shm create \(hexText(key)) 64")
        let r = try shell.run("echo\techo $buf.shmidd", file: "f.ipcs")
        XCTAssertTrue(r.stderr.hasPrefix("f.ipcs:1:11: error: buf has no field 'shmidd'\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("its fields are: name, kind, key, shmid, size"), r.stderr)
        try shell.run("shm rm buf")
    }

    func testAutoNamedHandleAndFieldInABoundVariable() throws {
        let key = shell.makeKey()
        let r = try shell.run("shm create \(hexText(key)) 1KiB; id = echo $shm1.shmid; expect $id == $shm1.shmid; echo $_ $shm1.size; shm rm shm1")
        XCTAssertEqual(r.failures, 0, r.stderr)
        let id = try XCTUnwrap(shell.session.variables["id"])
        XCTAssertTrue(r.stdout.contains("\n" + String(decoding: id, as: UTF8.self) + " 1024\n"), r.stdout)
    }

    // MARK: expand() directly

    func testExpandReturnsBytes() throws {
        shell.session.variables["v"] = [0x01, 0x02]
        let script = try Parser.parse(#"x "a$v$?""#, file: "e")
        guard case .word(let word) = script.commands[0].arguments[1] else { return XCTFail() }
        XCTAssertEqual(try shell.interpreter.expand(word), [0x61, 0x01, 0x02, 0x30])
    }
}
