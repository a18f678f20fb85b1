import Foundation
import XCTest

/// Issue 12: every struct error exits 1 with a message that names what is wrong, and writes
/// nothing: a refused `write --as` leaves a real segment's bytes as they were, and puts nothing
/// in a real pipe. Never a silent truncation.
final class StructErrorTests: IPCTestCase {
    static let declarations = """
        struct hdr { uint16_t len; char tag[3]; };
        struct e {
          char c; signed char sc; unsigned char uc;
          short s; unsigned short us; int i; unsigned u; long l; unsigned long ul;
          long long ll; unsigned long long ull;
          int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32; int64_t i64; uint64_t u64;
          pid_t pid; size_t sz; ssize_t ssz; off_t off;
          float f; double d;
          char buf[4]; int arr[3]; unsigned char raw[2];
          struct hdr h;
        };

        """

    static let int64Range = ("-9223372036854775808", "9223372036854775807", "-9223372036854775809", "9223372036854775808")
    static let uint64Range = ("0", "18446744073709551615", "-1", "18446744073709551616")

    /// Every integer member: its type as the message names it, its range, and the values just
    /// outside it (below, above).
    static let ranges: [(path: String, type: String, low: String, high: String, below: String, above: String)] = [
        ("c", "a char", "-128", "255", "-129", "256"),
        ("sc", "a signed char", "-128", "127", "-129", "128"),
        ("uc", "an unsigned char", "0", "255", "-1", "256"),
        ("s", "a short", "-32768", "32767", "-32769", "32768"),
        ("us", "an unsigned short", "0", "65535", "-1", "65536"),
        ("i", "an int", "-2147483648", "2147483647", "-2147483649", "2147483648"),
        ("u", "an unsigned int", "0", "4294967295", "-1", "4294967296"),
        ("l", "a long", int64Range.0, int64Range.1, int64Range.2, int64Range.3),
        ("ul", "an unsigned long", uint64Range.0, uint64Range.1, uint64Range.2, uint64Range.3),
        ("ll", "a long long", int64Range.0, int64Range.1, int64Range.2, int64Range.3),
        ("ull", "an unsigned long long", uint64Range.0, uint64Range.1, uint64Range.2, uint64Range.3),
        ("i8", "an int8_t", "-128", "127", "-129", "128"),
        ("u8", "a uint8_t", "0", "255", "-1", "256"),
        ("i16", "an int16_t", "-32768", "32767", "-32769", "32768"),
        ("u16", "a uint16_t", "0", "65535", "-1", "65536"),
        ("i32", "an int32_t", "-2147483648", "2147483647", "-2147483649", "2147483648"),
        ("u32", "a uint32_t", "0", "4294967295", "-1", "4294967296"),
        ("i64", "an int64_t", int64Range.0, int64Range.1, int64Range.2, int64Range.3),
        ("u64", "a uint64_t", uint64Range.0, uint64Range.1, uint64Range.2, uint64Range.3),
        ("pid", "a pid_t", "-2147483648", "2147483647", "-2147483649", "2147483648"),
        ("sz", "a size_t", uint64Range.0, uint64Range.1, uint64Range.2, uint64Range.3),
        ("ssz", "a ssize_t", int64Range.0, int64Range.1, int64Range.2, int64Range.3),
        ("off", "an off_t", int64Range.0, int64Range.1, int64Range.2, int64Range.3),
    ]

    /// Refused writes other than ranges: the words after `--as e`, and the message after `write --as e: `.
    static let refusals: [(words: String, message: String)] = [
        ("f=1e39", "f = 1e39 does not fit a float (at most 3.4028235e+38)"),
        ("d=lots", "d is a double: 'lots' is not a number"),
        ("i=1.5", "i is an int: '1.5' is not a whole number"),
        ("buf=abcde", "buf holds 4 bytes; the string given is 5"),
        ("h.tag=abcd", "h.tag holds 3 bytes; the string given is 4"),
        ("raw=abc", "raw holds 2 bytes; the string given is 3"),
        ("arr=[1,2,3,4]", "arr has 3 elements; 4 were given"),
        ("raw=[1,2,3]", "raw has 2 elements; 3 were given"),
        ("arr=[1,2147483648]", "arr[1] = 2147483648 does not fit an int (-2147483648 to 2147483647)"),
        ("arr=5", "arr is an array of int: give it as [1, 2, 3]"),
        ("nope=1", "struct e has no member 'nope'"),
        ("h.nope=1", "struct e has no member 'h.nope'"),
        ("h=1", "h is a struct hdr: give its members one by one"),
        ("i=1 i=2", "i is given twice"),
        ("i", "'i' is not MEMBER=VALUE"),
    ]

    static let segmentSize = 4096
    static let pattern: UInt8 = 0xA5

    /// A real segment full of `pattern`, made by the test (and removed by its teardown).
    private func patternedSegment() throws -> Int32 {
        let key = makeKey()
        let id = shmget(key, Self.segmentSize, IPC_CREAT | 0o600)
        XCTAssertGreaterThanOrEqual(id, 0, "shmget: errno \(errno)")
        let address = try XCTUnwrap(shmat(id, nil, 0))
        XCTAssertNotEqual(address, UnsafeMutableRawPointer(bitPattern: -1))
        address.initializeMemory(as: UInt8.self, repeating: Self.pattern, count: Self.segmentSize)
        shmdt(address)
        return key
    }

    /// The segment's bytes that are not `pattern` (offset: byte): empty when nothing was written.
    private func changedBytes(_ key: Int32) throws -> [Int: UInt8] {
        let id = shmget(key, 0, 0)
        XCTAssertGreaterThanOrEqual(id, 0)
        let address = try XCTUnwrap(shmat(id, nil, SHM_RDONLY))
        defer { shmdt(address) }
        let bytes = UnsafeRawBufferPointer(start: address, count: Self.segmentSize)
        var changed: [Int: UInt8] = [:]
        for (offset, byte) in bytes.enumerated() where byte != Self.pattern { changed[offset] = byte }
        return changed
    }

    private func script(_ body: String) throws -> String {
        let url = try makeDirectory().appendingPathComponent("errors.ipcs")
        try (Self.declarations + body + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The error lines (`...: error: MESSAGE`) of stderr, without their location.
    private func errors(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").compactMap { line in
            line.range(of: ": error: ").map { String(line[$0.upperBound...]) }
        }
    }

    // MARK: write --as

    func testEachRefusedWriteExitsOneSaysWhyAndLeavesTheSegmentAsItWas() throws {
        let key = try patternedSegment()
        let cases = Self.refusals.map { ("--as e " + $0.words, "write --as e: " + $0.message) } + [
            ("--as nosuch i=1", "write --as: no struct named 'nosuch'"),
            ("--as e i=2147483648", "write --as e: i = 2147483648 does not fit an int (-2147483648 to 2147483647)"),
        ]
        for (words, message) in cases {
            let r = try Harness.run([try script("""
                b = shm open \(Harness.hex(key))
                shm attach b
                write b \(words) --at 8
                echo "not reached"
                """)])
            XCTAssertEqual(r.status, 1, "\(words): \(r.stdout)")
            XCTAssertEqual(errors(r.stderr), [message], words)
            XCTAssertFalse(r.stdout.contains("not reached"), words)
            XCTAssertEqual(try changedBytes(key), [:], "\(words): the refused write changed the segment")
        }
        // The same script with good values does write (so the check above can see a write).
        let ok = try Harness.run([try script("b = shm open \(Harness.hex(key)); shm attach b; write b --as e i=1 --at 8")])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let offsetOfI = 8 + 8 // c, sc, uc, padding, s, us, then i
        XCTAssertEqual(try changedBytes(key)[offsetOfI], 1)
    }

    func testAStructThatDoesNotFitAtTheOffsetIsNotWrittenAtAll() throws {
        let key = try patternedSegment()
        let r = try Harness.run([try script("""
            b = shm open \(Harness.hex(key))
            shm attach b
            n = sizeof e
            echo "sizeof e = $n"
            write b --as e i=1 --at 4090
            """)])
        XCTAssertEqual(r.status, 1)
        let size = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("sizeof e = ") }.map { String($0.dropFirst(11)) })
        XCTAssertEqual(errors(r.stderr), ["write: \(size) byte(s) at offset 4090 do not fit in b (4096 bytes)"])
        XCTAssertTrue(r.stderr.contains("a struct is written whole: sizeof e bytes"), r.stderr)
        XCTAssertEqual(try changedBytes(key), [:])
    }

    func testEveryIntegerTypeRefusesTheValuesJustOutsideItsRangeAndTakesItsLimits() throws {
        let key = try patternedSegment()
        // One script, --keep-going: each refused write is reported, and the segment and the pipe
        // are checked at the end.
        var lines = ["b = shm open \(Harness.hex(key))", "shm attach b", "p = pipe"]
        var expected: [String] = []
        for range in Self.ranges {
            for value in [range.below, range.above] {
                lines.append("write b --as e \(range.path)=\(value) --at 64")
                lines.append("write p.w --as e \(range.path)=\(value)")
                let message = "write --as e: \(range.path) = \(value) does not fit \(range.type) (\(range.low) to \(range.high))"
                expected += [message, message]
            }
        }
        // Nothing went into the pipe: the first thing read from it is what comes next.
        lines += ["write p.w end", "read p.r"]
        // The limits themselves are taken, and read back as written.
        let limits = Self.ranges.map { "\($0.path)=\($0.low)" }.joined(separator: " ")
        let highs = Self.ranges.map { "\($0.path)=\($0.high)" }.joined(separator: " ")
        lines += ["write p.w --as e \(limits)", "v = read p.r --as e"]
        lines += Self.ranges.map { "echo \"low \($0.path)=$v.\($0.path)\"" }
        lines += ["write p.w --as e \(highs)", "v = read p.r --as e"]
        lines += Self.ranges.map { "echo \"high \($0.path)=$v.\($0.path)\"" }
        let r = try Harness.run(["--keep-going", try script(lines.joined(separator: "\n"))])
        XCTAssertEqual(r.status, 1, "a refused command fails the script")
        XCTAssertEqual(errors(r.stderr), expected)
        let out = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(out.contains("end"), r.stdout)
        XCTAssertFalse(out.contains { $0.contains("\\x") }, "nothing but 'end' was in the pipe:\n\(r.stdout)")
        XCTAssertEqual(out.filter { $0.hasPrefix("low ") }, Self.ranges.map { "low \($0.path)=\($0.low)" })
        // Plain char takes 255 (it holds bytes); where char is signed (x86-64), it reads back as -1.
        let charHigh = CChar.isSigned ? "-1" : "255"
        XCTAssertEqual(out.filter { $0.hasPrefix("high ") }, Self.ranges.map { "high \($0.path)=\($0.path == "c" ? charHigh : $0.high)" })
        XCTAssertEqual(try changedBytes(key), [:], "a refused write changed the segment")
    }

    func testEachRefusedWritePutsNothingInAPipe() throws {
        for (words, message) in Self.refusals {
            let r = try Harness.run(["--keep-going", try script("""
                p = pipe
                write p.w --as e \(words)
                write p.w end
                read p.r
                """)])
            XCTAssertEqual(r.status, 1, words)
            XCTAssertEqual(errors(r.stderr), ["write --as e: " + message], words)
            // One read() of up to 4096 bytes: had anything been written before "end", it would show.
            XCTAssertEqual(r.stdout.split(separator: "\n").last, "end", "\(words):\n\(r.stdout)")
        }
    }

    // MARK: struct declarations

    func testABadDeclarationIsRefusedAndDeclaresNothing() throws {
        let cases: [(declaration: String, message: String)] = [
            ("struct bad { int a; bogus_t b; }", "struct bad: unknown type 'bogus_t'"),
            ("struct bad { int a; struct nosuch n; }", "struct bad: no struct named nosuch is declared"),
            ("struct bad { int a; char *p; }", "struct bad: pointers are not supported: an address means nothing in another process"),
            ("struct bad { int a; int a; }", "struct bad: member a is declared twice"),
            ("struct bad { int a[N]; }", "struct bad: the size of a[...] must be a number"),
            ("struct bad { }", "struct bad: no members"),
        ]
        for (declaration, message) in cases {
            let r = try Harness.run(["--keep-going", try script("""
                \(declaration)
                sizeof bad
                """)])
            XCTAssertEqual(r.status, 1, declaration)
            XCTAssertEqual(errors(r.stderr), [message, "sizeof: no struct named 'bad' and no C type"], declaration)
            XCTAssertEqual(r.stdout, "", declaration)
        }
    }

    func testAStructRedeclaredDifferentlyIsAnErrorAndKeepsItsLayout() throws {
        let r = try Harness.run(["--keep-going", try script("""
            struct hdr { uint16_t len; char tag[3]; }
            struct hdr { uint32_t len; char tag[3]; }
            n = sizeof hdr
            echo "sizeof hdr = $n"
            """)])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errors(r.stderr), ["struct hdr is already declared differently: struct hdr { uint16_t len; char tag[3]; }"])
        XCTAssertTrue(r.stdout.contains("sizeof hdr = 6\n"), r.stdout)
        // The same declaration again (a script sourced twice) is no error.
        let again = try Harness.run([try script("struct hdr { uint16_t len; char tag[3]; }")])
        XCTAssertEqual(again.status, 0, again.stderr)
    }

    // MARK: read --as

    func testReadingFewerBytesThanSizeofFromAPipeSaysHowManyCame() throws {
        let r = try Harness.run(["--keep-going", try script("""
            n = sizeof e
            echo "sizeof e = $n"
            p = pipe
            write p.w abc
            close p.w
            set v kept
            v = read p.r --as e
            echo "v is $v"
            """)])
        XCTAssertEqual(r.status, 1)
        let size = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("sizeof e = ") }.map { String($0.dropFirst(11)) })
        XCTAssertEqual(errors(r.stderr), ["read: p.r gave 3 of the \(size) bytes of struct e, then end of file"])
        XCTAssertTrue(r.stdout.contains("v is kept\n"), "a failed read binds nothing:\n\(r.stdout)")
    }

    func testAStructCutShortByATimeoutOrEAGAINSaysHowManyBytesCame() throws {
        // The writer stays open: no end of file, the rest of the struct just does not come.
        let r = try Harness.run(["--keep-going", try script("""
            n = sizeof e
            echo "sizeof e = $n"
            p = pipe
            write p.w abc
            read p.r --as e --nonblock
            write p.w defg
            read p.r --as e --timeout 100ms
            """)])
        XCTAssertEqual(r.status, 1)
        let size = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("sizeof e = ") }.map { String($0.dropFirst(11)) })
        XCTAssertEqual(errors(r.stderr), [
            "read: p.r gave 3 of the \(size) bytes of struct e, then read: EAGAIN (Resource temporarily unavailable)",
            "read: p.r gave 4 of the \(size) bytes of struct e, then p.r did not become readable within 100ms",
        ])
    }

    func testReadingAShortStructFromAnotherProcessesPipeSaysHowManyCame() throws {
        // A real pipe from another process: printf writes 10 bytes and exits.
        let command = "printf 0123456789 | \(Harness.ipcshPath) \(try script("f = fifo open /dev/stdin read; read f --as e"))"
        let r = try Harness.runProgram("/bin/sh", ["-c", command])
        XCTAssertEqual(r.status, 1)
        let errorLines = errors(r.stderr)
        XCTAssertEqual(errorLines.count, 1, r.stderr)
        XCTAssertTrue(errorLines.first?.hasPrefix("read: f gave 10 of the ") ?? false, r.stderr)
        XCTAssertTrue(errorLines.first?.hasSuffix(" bytes of struct e, then end of file") ?? false, r.stderr)
    }

    func testReadAsFromADescriptorRefusesAStructOverItsLimitNamingTheStruct() throws {
        // No LEN was given: the message is about the struct, not about a LEN.
        let r = try Harness.run([try script("""
            struct big { char b[20000000]; }
            p = pipe
            write p.w abc
            read p.r --as big
            """)])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errors(r.stderr), ["read: struct big is 20000000 bytes; from a descriptor, read --as takes at most 16 MiB"])
    }

    func testReadAsRefusesAStructLargerThanTheSegmentHasLeftAnUnknownStructAndALength() throws {
        let key = try patternedSegment()
        let r = try Harness.run(["--keep-going", try script("""
            n = sizeof e
            echo "sizeof e = $n"
            b = shm open \(Harness.hex(key))
            shm attach b
            read b --as e --at 4090
            read b --as nosuch
            read b --as e 16
            """)])
        XCTAssertEqual(r.status, 1)
        let size = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("sizeof e = ") }.map { String($0.dropFirst(11)) })
        XCTAssertEqual(errors(r.stderr), [
            "read: struct e is \(size) bytes; b has 6 from offset 4090",
            "read --as: no struct named 'nosuch'",
            "read: --as reads sizeof e bytes: give no LEN",
        ])
        XCTAssertFalse(r.stdout.contains("{"), "nothing was decoded:\n\(r.stdout)")
    }
}
