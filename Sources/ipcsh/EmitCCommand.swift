import ArgumentParser
@preconcurrency import Glibc
import IPCShell
import IPCSys
import IPCSyntax

/// `ipcsh emit-c FILE [ARG...] [-o OUT.c]`: the script as one C program (stdout without -o).
/// A command without a C form is refused with its file and line, and nothing is written.
enum EmitCCommand {
    static let usage = "usage: ipcsh emit-c FILE [ARG...] [-o OUT.c]"

    static func run(_ arguments: [String]) -> Int32 {
        var rest: [String] = []
        var output: String?
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "-o" || a == "--output" {
                guard i + 1 < arguments.count else { return fail("emit-c: -o needs a file\n" + usage, 2) }
                output = arguments[i + 1]
                i += 2
                continue
            }
            if a == "-h" || a == "--help" {
                print(usage + "\n" + EmitCArguments.configuration.abstract + "\n" + EmitCArguments.configuration.discussion)
                return 0
            }
            rest.append(a)
            i += 1
        }
        guard let file = rest.first else { return fail("emit-c: missing FILE\n" + usage, 2) }
        let source: String
        do { source = try FileSystem.readWholeFile(file) } catch {
            return fail("emit-c: cannot read \(file): \(error.symbol) (\(error.text))", 1)
        }
        let plan = CommandPlan(source: source, file: file)
        let program: String
        do throws(CEmitError) {
            program = try CEmitter.emit(plan, origin: "ipcsh emit-c \(file)")
        } catch {
            return fail(error.diagnostic.render(withLocation: true), 1)
        }
        guard let output else {
            print(program, terminator: "")
            return 0
        }
        if let failure = ReplacementFile.writeWhole(output, Array(program.utf8)) { return fail("emit-c: " + failure, 1) }
        return 0
    }

    static func fail(_ message: String, _ code: Int32) -> Int32 {
        FileHandleShim.writeStderr(message + "\n")
        return code
    }
}

/// `emit-c`'s command line as swift-argument-parser would declare it: `EmitCCommand` parses it by
/// hand (its `-o` may come after the script's arguments); this declaration is what the
/// completion scripts and the manual (`ipcsh --generate-manual`) show of it.
struct EmitCArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emit-c",
        abstract: "Write the C program that makes the script's system calls in the same order and prints the same lines (ids, addresses, pids and descriptor numbers aside).",
        discussion: "It compiles with cc -Wall -Wextra -Werror. A command without a C form is refused with its line, and nothing is written.")

    @Argument(help: ArgumentHelp("The script to translate.", valueName: "file"), completion: .file(extensions: ["ipcs"]))
    var file: String

    @Argument(help: ArgumentHelp("Arguments for the script: $1, $2, ... and $#.", valueName: "arg"))
    var arguments: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the program to this file (replaced only once complete) instead of stdout.", valueName: "out.c"),
            completion: .file())
    var output: String?
}
