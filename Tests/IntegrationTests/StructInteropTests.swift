import Foundation
import XCTest

/// Issue 12: ipcsh and a compiled C program (Peers/struct_peer.c) exchange C structs through real
/// kernel objects: a System V segment, a FIFO, an anonymous pipe. C writes and ipcsh decodes every
/// member (`read --as`, bound fields); ipcsh encodes (`write --as`) and C checks every member.
/// The values are the extremes of every integer type, negative numbers, floats and doubles
/// (FLT_MAX, DBL_MAX), char arrays as strings (filling the array, with no NUL) and nested members.
final class StructInteropTests: IPCTestCase {
    /// One member: its path, the word `write --as` gives it (nil: not given, so zero), and what
    /// ipcsh prints for it (`$v.PATH`). `string`: a plain char array, quoted in `{ ... }`.
    struct Field {
        var path: String
        var input: String?
        var shown: String
        var string = false

        init(_ path: String, _ input: String?, _ shown: String? = nil, string: Bool = false) {
            self.path = path
            self.input = input
            self.shown = shown ?? input ?? ""
            self.string = string
        }
    }

    static let int64Min = "-9223372036854775808"

    /// The peer's SETs, member by member, in declaration order (struct_peer.c's fill()).
    static let sets: [String: [Field]] = [
        "min": [
            Field("c", "-128"), Field("sc", "-128"), Field("uc", "0"),
            Field("s", "-32768"), Field("us", "0"),
            Field("i", "-2147483648"), Field("u", "0"),
            Field("l", int64Min), Field("ul", "0"),
            Field("ll", int64Min), Field("ull", "0"),
            Field("i8", "-128"), Field("u8", "0"), Field("i16", "-32768"), Field("u16", "0"),
            Field("i32", "-2147483648"), Field("u32", "0"), Field("i64", int64Min), Field("u64", "0"),
            Field("f", "-3.4028235e+38"), Field("d", "-1.7976931348623157e+308"),
            Field("pid", "-2147483648"), Field("sz", "0"), Field("ssz", int64Min), Field("off", int64Min),
            Field("name", "\"\"", "", string: true),
            Field("arr", "[-2147483648,-1,-2]", "[-2147483648, -1, -2]"),
            Field("bytes", nil, "[0, 0, 0, 0]"),
            Field("deltas", "[-128, -1, 0]"),
            Field("h.s", "-1"), Field("h.tag", nil, "", string: true), Field("h.d", "-0.5"),
        ],
        "max": [
            Field("c", "127"), Field("sc", "127"), Field("uc", "255"),
            Field("s", "32767"), Field("us", "65535"),
            Field("i", "2147483647"), Field("u", "4294967295"),
            Field("l", "9223372036854775807"), Field("ul", "18446744073709551615"),
            Field("ll", "9223372036854775807"), Field("ull", "18446744073709551615"),
            Field("i8", "127"), Field("u8", "255"), Field("i16", "32767"), Field("u16", "65535"),
            Field("i32", "2147483647"), Field("u32", "4294967295"),
            Field("i64", "9223372036854775807"), Field("u64", "18446744073709551615"),
            Field("f", "3.4028235e+38"), Field("d", "1.7976931348623157e+308"),
            Field("pid", "2147483647"), Field("sz", "18446744073709551615"),
            Field("ssz", "9223372036854775807"), Field("off", "9223372036854775807"),
            // All 16 bytes, no NUL: read --as stops at the array's end.
            Field("name", "abcdefghijklmnop", string: true),
            Field("arr", "[2147483647, 1, 2]"),
            Field("bytes", "[255,255,255,255]", "[255, 255, 255, 255]"),
            Field("deltas", "[127,127,127]", "[127, 127, 127]"),
            Field("h.s", "32767"), Field("h.tag", "tagXY", string: true), Field("h.d", "1e300", "1e+300"),
        ],
        "mixed": [
            Field("c", "\"'A'\"", "65"), Field("sc", "-1"), Field("uc", "200"),
            Field("s", "-1234"), Field("us", "4321"),
            Field("i", "-5"), Field("u", "0xdeadbeef", "3735928559"),
            Field("l", "-1234567890123"), Field("ul", "1234567890123"),
            Field("ll", "-42"), Field("ull", "42"),
            Field("i8", "-100"), Field("u8", "100"), Field("i16", "-1000"), Field("u16", "1000"),
            Field("i32", "-100000"), Field("u32", "100000"), Field("i64", "-10000000000"), Field("u64", "10000000000"),
            Field("f", "-0.1"), Field("d", "3.141592653589793"),
            Field("pid", "4242"), Field("sz", "1024"), Field("ssz", "-1"), Field("off", "-4096"),
            Field("name", "\"hello, C\"", "hello, C", string: true),
            Field("arr", "[-1, 0, 1]"),
            // A string into an unsigned char array: it prints as a list.
            Field("bytes", "abc", "[97, 98, 99, 0]"),
            Field("deltas", "[-3,0,3]", "[-3, 0, 3]"),
            Field("h.s", "-300"), Field("h.tag", "neg", string: true), Field("h.d", "-2.75"),
        ],
    ]

    /// `hs` (an array of structs) as each SET's put fills it; write --as leaves it zero.
    static let arraysOfStructs: [String: String] = [
        "min": "[{ s = -32768, tag = \"lo\", d = -1.25 }, { s = -2, tag = \"x\", d = -1e-300 }]",
        "max": "[{ s = 1, tag = \"hi\", d = 2.5 }, { s = 32767, tag = \"fives\", d = 2.2250738585072014e-308 }]",
        "mixed": "[{ s = 0, tag = \"\", d = 0.0 }, { s = 0, tag = \"\", d = 0.0 }]",
    ]

    /// What `read --as all` prints for SET: `{ c = -128, ..., h = { s = -1, ... }, hs = [...] }`.
    static func whole(_ set: String) -> String {
        var parts: [String] = []
        var nested: [String] = []
        for field in sets[set] ?? [] {
            let shown = field.string ? "\"\(field.shown)\"" : field.shown
            if field.path.hasPrefix("h.") {
                nested.append("\(field.path.dropFirst(2)) = \(shown)")
            } else {
                parts.append("\(field.path) = \(shown)")
            }
        }
        parts.append("h = { " + nested.joined(separator: ", ") + " }")
        parts.append("hs = " + (arraysOfStructs[set] ?? ""))
        return "{ " + parts.joined(separator: ", ") + " }"
    }

    /// `PATH=VALUE ...` for write --as (members not given are zero).
    static func assignments(_ set: String) -> String {
        (sets[set] ?? []).compactMap { field in field.input.map { "\(field.path)=\($0)" } }.joined(separator: " ")
    }

    /// The peer's declarations, as they are (between its BEGIN and END STRUCTS lines): ipcsh
    /// reads the same text the C compiler does.
    static func declarations() throws -> String {
        let source = try String(contentsOf: Harness.packageRoot.appendingPathComponent("Tests/IntegrationTests/Peers/struct_peer.c"),
                                encoding: .utf8)
        guard let begin = source.range(of: "/* BEGIN STRUCTS */\n"), let end = source.range(of: "/* END STRUCTS */") else {
            throw HarnessError.compileFailed("struct_peer", "no BEGIN/END STRUCTS lines")
        }
        return String(source[begin.upperBound..<end.lowerBound])
    }

    /// The lines that print what `v` holds: the whole struct, then each member path.
    static func echoes(_ set: String) -> String {
        var lines = ["echo \"whole $v\""]
        for field in sets[set] ?? [] { lines.append("echo \"field \(field.path)=$v.\(field.path)\"") }
        lines.append("echo \"field hs=$v.hs\"")
        return lines.joined(separator: "\n")
    }

    /// Checks the `whole` and `field` lines ipcsh printed for SET.
    private func assertDecoded(_ output: String, _ set: String, file: StaticString = #filePath, line: UInt = #line) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.contains("whole " + Self.whole(set)),
                      "read --as should print\n\(Self.whole(set))\nipcsh printed:\n\(output)", file: file, line: line)
        var expected = (Self.sets[set] ?? []).map { "field \($0.path)=\($0.shown)" }
        expected.append("field hs=\(Self.arraysOfStructs[set] ?? "")")
        XCTAssertEqual(lines.filter { $0.hasPrefix("field ") }, expected, "set \(set)", file: file, line: line)
    }

    private func peer() throws -> String { try Harness.compilePeer("struct_peer") }

    private func script(_ text: String) throws -> String {
        let url = try makeDirectory().appendingPathComponent("structs.ipcs")
        try (try Self.declarations() + text + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// This test process's System V segments (keys from Harness.uniqueKey), as `ipcs -m` lists them.
    private func ourSegments() -> [String] {
        let prefix = 0x7E00_0000 | (UInt32(getpid() & 0xFFFF) << 8)
        let table = (try? String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").dropFirst().compactMap { row in
            let fields = row.split(separator: " ", omittingEmptySubsequences: true)
            guard let key = fields.first.flatMap({ Int64($0) }), UInt32(truncatingIfNeeded: key) & 0xFFFF_FF00 == prefix else { return nil }
            return String(row)
        }
    }

    func testBothSidesDeclareTheSameSize() throws {
        let c = try Harness.runProgram(try peer(), ["sizeof"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let r = try Harness.run([try script("sizeof all")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, c.stdout)
        XCTAssertEqual(c.stdout, "216\n")
    }

    // MARK: C writes, ipcsh reads

    func testIpcshDecodesEveryMemberCWroteIntoASegment() throws {
        let before = ourSegments()
        for set in ["min", "max", "mixed"] {
            let key = Harness.hex(makeKey())
            let put = try Harness.runProgram(try peer(), ["put-shm", key, set, "64"])
            XCTAssertEqual(put.status, 0, put.stderr)
            let r = try Harness.run([try script("""
                b = shm open \(key)
                shm attach b --readonly
                v = read b --as all --at 64
                \(Self.echoes(set))
                read b --as all --at 64 --hex
                shm detach b
                shm rm b
                """)])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stderr, "")
            assertDecoded(r.stdout, set)
            if set == "mixed" {
                // The bytes as C stored them: 'A', -1, 200, padding, -1234, 4321, -5, 0xdeadbeef.
                XCTAssertTrue(r.stdout.contains("00000040: 41ff c800 2efb e110 fbff ffff efbe adde  A...............\n"), r.stdout)
            }
        }
        XCTAssertEqual(ourSegments(), before, "ipcsh's shm rm should leave the segments as they were")
    }

    func testIpcshDecodesEveryMemberCWroteIntoAFIFOInPieces() throws {
        let path = try makeDirectory().appendingPathComponent("structs.fifo").path
        for set in ["min", "max", "mixed"] {
            let r = try Harness.run([try script("""
                fifo make \(path)
                writer = run \(try peer()) put-fd \(path) \(set)
                f = fifo open \(path) read --timeout 20s
                v = read f --as all
                \(Self.echoes(set))
                rest = read f
                echo "after the struct: $rest"
                close f
                wait writer
                fifo rm \(path)
                """)])
            XCTAssertEqual(r.status, 0, r.stderr)
            assertDecoded(r.stdout, set)
            // Exactly sizeof bytes were taken: what follows is the writer's end of file.
            XCTAssertTrue(r.stdout.contains("after the struct: EOF\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("exited with status 0"), r.stdout)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the FIFO is removed")
        }
    }

    func testIpcshDecodesAStructCWroteIntoAnAnonymousPipe() throws {
        // The shell's pipeline is a pipe(): C writes into its stdout, ipcsh opens its stdin.
        let set = "max"
        let command = "\(try peer()) put-fd /dev/stdout \(set) | \(Harness.ipcshPath) \(try script("""
            f = fifo open /dev/stdin read
            v = read f --as all
            \(Self.echoes(set))
            close f
            """))"
        let r = try Harness.runProgram("/bin/sh", ["-c", command])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertDecoded(r.stdout, set)
    }

    // MARK: ipcsh writes, C checks

    func testCFindsEveryMemberIpcshWroteIntoASegment() throws {
        let before = ourSegments()
        for (set, other) in [("min", "max"), ("max", "min"), ("mixed", "max")] {
            let key = Harness.hex(makeKey())
            // C fills the segment with another SET first: write --as must replace every byte of
            // the struct (members not given and padding are zero).
            let put = try Harness.runProgram(try peer(), ["put-shm", key, other, "64"])
            XCTAssertEqual(put.status, 0, put.stderr)
            let w = try Harness.run([try script("""
                b = shm open \(key)
                shm attach b
                write b --as all \(Self.assignments(set)) --at 64
                shm detach b
                """)])
            XCTAssertEqual(w.status, 0, w.stderr)
            let check = try Harness.runProgram(try peer(), ["check-shm", key, set, "64"])
            XCTAssertEqual(check.stdout, "ok\n", "set \(set): \(check.stderr)")
            XCTAssertEqual(check.status, 0)
            // The check is a real one: against another SET it fails.
            let wrong = try Harness.runProgram(try peer(), ["check-shm", key, other, "64"])
            XCTAssertEqual(wrong.status, 1, wrong.stdout)
            XCTAssertTrue(wrong.stdout.contains("mismatch i: "), wrong.stdout)
            let rm = try Harness.runCommands("shm rm \(key)")
            XCTAssertEqual(rm.status, 0, rm.stderr)
        }
        XCTAssertEqual(ourSegments(), before, "no segment left")
    }

    func testCFindsEveryMemberIpcshWroteIntoAFIFO() throws {
        let path = try makeDirectory().appendingPathComponent("structs.fifo").path
        for set in ["min", "max", "mixed"] {
            let r = try Harness.run([try script("""
                fifo make \(path)
                checker = run \(try peer()) check-fd \(path) \(set)
                f = fifo open \(path) write --timeout 20s
                write f --as all \(Self.assignments(set))
                close f
                wait checker
                fifo rm \(path)
                """)])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.contains { $0.hasPrefix("[checker ") && $0.hasSuffix("] ok") }, "set \(set):\n\(r.stdout)")
            XCTAssertFalse(r.stdout.contains("mismatch"), r.stdout)
            XCTAssertTrue(lines.contains { $0.hasPrefix("checker (pid ") && $0.hasSuffix(") exited with status 0") }, r.stdout)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the FIFO is removed")
        }
    }

    func testCFindsEveryMemberIpcshWroteIntoAnAnonymousPipe() throws {
        // ipcsh writes into descriptor 3, the pipe to C; its own output goes to stderr.
        let set = "mixed"
        let shell = "\(Harness.ipcshPath) \(try script("""
            f = fifo open /dev/fd/3 write
            write f --as all \(Self.assignments(set))
            close f
            """))"
        let r = try Harness.runProgram("/bin/sh", ["-c", "{ \(shell) 3>&1 1>&2; echo \"ipcsh exit $?\" >&2; } | \(try peer()) check-fd /dev/stdin \(set)"])
        XCTAssertEqual(r.stdout, "ok\n", r.stderr)
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("ipcsh exit 0"), r.stderr)
    }
}
