import Foundation
import XCTest

/// Issue 12: ipcsh lays structs out exactly as the C compiler does. The test writes the same
/// declarations as C and as an ipcsh script, compiles the C with `cc`, and compares `sizeof`,
/// `_Alignof` and the `offsetof` of every member (nested ones by path) with what ipcsh prints.
final class StructLayoutTests: IPCTestCase {
    /// One struct: its members as C declares them, `(type, [declarator, ...])`.
    struct Declaration {
        var name: String
        var members: [(type: String, declarators: [String])]

        /// `struct NAME { TYPE A, B[4]; ... }`, which both C and ipcsh read.
        var text: String {
            "struct \(name) { " + members.map { "\($0.type) \($0.declarators.joined(separator: ", ")); " }.joined() + "}"
        }
    }

    /// Every C spelling of every scalar type LANGUAGE.md lists.
    static let scalarTypes = [
        "char", "signed char", "unsigned char",
        "short", "short int", "signed short", "signed short int", "unsigned short", "unsigned short int",
        "int", "signed", "signed int", "unsigned", "unsigned int",
        "long", "long int", "signed long", "signed long int", "unsigned long", "unsigned long int",
        "long long", "long long int", "signed long long", "signed long long int",
        "unsigned long long", "unsigned long long int",
        "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t",
        "float", "double", "pid_t", "size_t", "ssize_t", "off_t",
    ]

    static let declarations: [Declaration] = {
        var list: [Declaration] = [
            Declaration(name: "one_char", members: [("char", ["c"])]),
            // Only characters: no padding at all, alignment 1.
            Declaration(name: "only_chars", members: [("char", ["a"]), ("signed char", ["b"]), ("unsigned char", ["c[3]"]),
                                                      ("int8_t", ["d"]), ("uint8_t", ["e[2]"])]),
            // 7 bytes of padding after each char.
            Declaration(name: "cdc", members: [("char", ["a"]), ("double", ["d"]), ("char", ["b"])]),
            Declaration(name: "csdl", members: [("char", ["c"]), ("short", ["s"]), ("char", ["d[3]"]), ("long", ["l"])]),
            // Trailing padding.
            Declaration(name: "tail_double", members: [("double", ["d"]), ("char", ["c"])]),
            Declaration(name: "tail_int", members: [("int", ["i"]), ("char", ["c[5]"])]),
            Declaration(name: "tail_short", members: [("short", ["s"]), ("char", ["c"])]),
            Declaration(name: "float_pair", members: [("char", ["c"]), ("float", ["f"]), ("char", ["d"]), ("float", ["g[3]"])]),
            // Several declarators on one line, qualifiers.
            Declaration(name: "multi", members: [("int", ["a", "b[4]"]), ("char", ["c", "d[3]"]), ("double", ["e"]),
                                                 ("unsigned", ["f", "g"]), ("const int", ["h"]), ("volatile char", ["i"])]),
            // The textbook ones.
            Declaration(name: "shmseg", members: [("int", ["cnt"]), ("char", ["buf[1024]"])]),
            Declaration(name: "request", members: [("pid_t", ["pid"]), ("int", ["seqLen"])]),
            // Nested structs, arrays of them, two levels deep.
            Declaration(name: "nested", members: [("char", ["c"]), ("struct cdc", ["x"]), ("short", ["s"]),
                                                  ("struct csdl", ["y[2]"]), ("char", ["z"])]),
            Declaration(name: "deep", members: [("unsigned char", ["u"]), ("struct nested", ["n"]), ("struct only_chars", ["o"]),
                                                ("struct tail_double", ["t[3]"]), ("struct tail_short", ["ts"]), ("char", ["end"])]),
            Declaration(name: "chars_in_struct", members: [("char", ["a"]), ("struct only_chars", ["o[2]"]), ("char", ["b"])]),
        ]
        // Every type, in an order that pads between most of them.
        list.append(Declaration(name: "every_type", members: scalarTypes.enumerated().flatMap { index, type in
            [(type: "char", declarators: ["pad\(index)"]), (type: type, declarators: ["m\(index)", "a\(index)[3]"])]
        }))
        // Each type's alignment (the offset after a char) and trailing padding (a char after it).
        for (index, type) in scalarTypes.enumerated() {
            list.append(Declaration(name: "after_char_\(index)", members: [("char", ["c"]), (type, ["x"])]))
            list.append(Declaration(name: "before_char_\(index)", members: [(type, ["x[2]"]), ("char", ["c"])]))
        }
        return list
    }()

    /// Every member path of `declaration`: `x`, `x.a`, `y` (the members of an array of structs
    /// are not paths).
    static func paths(of declaration: Declaration) -> [String] {
        declaration.members.flatMap { type, declarators in
            declarators.flatMap { declarator -> [String] in
                let name = String(declarator.prefix { $0 != "[" })
                guard type.hasPrefix("struct "), !declarator.contains("["),
                      let inner = declarations.first(where: { "struct \($0.name)" == type }) else { return [name] }
                return [name] + paths(of: inner).map { "\(name).\($0)" }
            }
        }
    }

    /// The C program: prints `sizeof NAME = N`, `alignof NAME = N`, `offsetof NAME PATH = N`
    /// and `sizeof type TYPE = N` lines.
    static func cProgram() -> String {
        var lines = ["#include <stddef.h>", "#include <stdint.h>", "#include <stdio.h>", "#include <sys/types.h>", ""]
        lines += declarations.map { $0.text + ";" }
        lines += ["", "int main(void)", "{"]
        for declaration in declarations {
            let name = declaration.name
            lines.append("  printf(\"sizeof \(name) = %zu\\n\", sizeof(struct \(name)));")
            lines.append("  printf(\"alignof \(name) = %zu\\n\", _Alignof(struct \(name)));")
            for path in paths(of: declaration) {
                lines.append("  printf(\"offsetof \(name) \(path) = %zu\\n\", offsetof(struct \(name), \(path)));")
            }
        }
        for type in scalarTypes {
            lines.append("  printf(\"sizeof type \(type) = %zu\\n\", sizeof(\(type)));")
        }
        lines += ["  return 0;", "}", ""]
        return lines.joined(separator: "\n")
    }

    /// The same lines from ipcsh (alignment from the first line of `struct NAME`).
    static func ipcshScript() -> String {
        var lines: [String] = []
        for (index, declaration) in declarations.enumerated() {
            let name = declaration.name
            lines.append(declaration.text)
            lines.append("struct \(name)")
            // Both spellings of sizeof: the struct's name, and `struct NAME` as C writes it.
            lines.append(index % 2 == 0 ? "n = sizeof \(name)" : "n = sizeof struct \(name)")
            lines.append("echo \"sizeof \(name) = $n\"")
            for path in paths(of: declaration) {
                lines.append("n = offsetof \(name) \(path)")
                lines.append("echo \"offsetof \(name) \(path) = $n\"")
            }
        }
        for type in scalarTypes {
            lines.append("n = sizeof \(type)")
            lines.append("echo \"sizeof type \(type) = $n\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `KEY = VALUE` lines as a dictionary, failing on a key seen twice.
    private func values(_ output: String, from program: String) -> [String: Int] {
        var values: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: " = ", options: .backwards), let value = Int(line[range.upperBound...]) else { continue }
            let key = String(line[..<range.lowerBound])
            XCTAssertNil(values[key], "\(program) printed \(key) twice")
            values[key] = value
        }
        return values
    }

    func testEverySizeAlignmentAndOffsetIsTheCCompilers() throws {
        let dir = try makeDirectory()
        let source = dir.appendingPathComponent("layout.c")
        try Self.cProgram().write(to: source, atomically: true, encoding: .utf8)
        let binary = dir.appendingPathComponent("layout").path
        let compiled = try Harness.runProgram("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", binary, source.path])
        XCTAssertEqual(compiled.status, 0, "cc failed:\n\(compiled.stderr)")
        let c = try Harness.runProgram(binary, [])
        XCTAssertEqual(c.status, 0, c.stderr)

        let script = dir.appendingPathComponent("layout.ipcs")
        try Self.ipcshScript().write(to: script, atomically: true, encoding: .utf8)
        let shell = try Harness.run([script.path], timeout: 60)
        XCTAssertEqual(shell.status, 0, shell.stderr)
        XCTAssertEqual(shell.stderr, "")

        let fromC = values(c.stdout, from: "the C program")
        var fromShell = values(shell.stdout, from: "ipcsh")
        // `struct NAME: 24 bytes, aligned to 8` (`1 byte` for one_char) gives ipcsh's alignment.
        for line in shell.stdout.split(separator: "\n") where line.hasPrefix("struct ") && line.contains(", aligned to ") {
            let name = line.dropFirst("struct ".count).prefix { $0 != ":" }
            fromShell["alignof \(name)"] = Int(line.split(separator: " ").last ?? "")
        }

        // Every member of every struct, and every type: one line each from both sides.
        let memberCount = Self.declarations.map { Self.paths(of: $0).count }.reduce(0, +)
        let expectedKeys = Self.declarations.count * 2 + memberCount + Self.scalarTypes.count
        XCTAssertEqual(fromC.count, expectedKeys, "the C program printed:\n\(c.stdout)")
        XCTAssertGreaterThan(memberCount, 300)
        XCTAssertEqual(Set(fromShell.keys), Set(fromC.keys), "ipcsh and C answered different questions")
        var differences: [String] = []
        for key in fromC.keys.sorted() where fromShell[key] != fromC[key] {
            differences.append("\(key): C \(fromC[key] ?? -1), ipcsh \(fromShell[key].map(String.init) ?? "nothing")")
        }
        XCTAssertEqual(differences, [], "layouts that differ from the C compiler's")

        // The awkward cases, spelt out (what the comparison above found, so that a wrong C
        // program cannot make it pass vacuously).
        XCTAssertEqual(fromShell["sizeof cdc"], 24)
        XCTAssertEqual(fromShell["offsetof cdc b"], 16)
        XCTAssertEqual(fromShell["sizeof csdl"], 16)
        XCTAssertEqual(fromShell["offsetof csdl d"], 4)
        XCTAssertEqual(fromShell["offsetof csdl l"], 8)
        XCTAssertEqual(fromShell["sizeof only_chars"], 8)
        XCTAssertEqual(fromShell["alignof only_chars"], 1)
        XCTAssertEqual(fromShell["sizeof tail_double"], 16)
        XCTAssertEqual(fromShell["sizeof tail_int"], 12)
        XCTAssertEqual(fromShell["sizeof shmseg"], 1028)
        XCTAssertEqual(fromShell["offsetof deep n.y"], 48)
        // What `struct NAME` shows: each member, the padding, and the trailing padding, in C's words.
        XCTAssertTrue(shell.stdout.contains("""
            struct csdl: 16 bytes, aligned to 8
              0: char c (1 byte)
              (1 byte of padding)
              2: short s (2 bytes)
              4: char d[3] (3 bytes)
              (1 byte of padding)
              8: long l (8 bytes)

            """), shell.stdout)
        XCTAssertTrue(shell.stdout.contains("""
            struct tail_double: 16 bytes, aligned to 8
              0: double d (8 bytes)
              8: char c (1 byte)
              (7 bytes of padding at the end)

            """), shell.stdout)
        XCTAssertTrue(shell.stdout.contains("struct one_char: 1 byte, aligned to 1\n"), shell.stdout)
    }
}
