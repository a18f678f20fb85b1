@testable import IPCShell
import XCTest
@testable import IPCSyntax

final class HelpTextTests: ShellTestCase {
    private var registry: CommandRegistry { .standard }

    func testOverviewListsEveryCommand() throws {
        let r = try shell.run("help")
        XCTAssertEqual(r.failures, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertFalse(registry.topLevel.isEmpty)
        for name in registry.topLevel {
            XCTAssertTrue(lines.contains { $0.hasPrefix("  " + name + " ") || $0 == "  " + name },
                          "help does not list \(name)")
        }
        // Every subcommand appears in its noun's row, and every plain command with its summary.
        for (noun, subs) in registry.groups {
            let row = lines.first { $0.hasPrefix("  \(noun) ") }
            for sub in subs { XCTAssertEqual(row?.contains(sub), true, "\(noun) \(sub) missing from help") }
        }
        for name in registry.topLevel where registry.groups[name] == nil {
            let summary = try XCTUnwrap(registry.specs[name]?.summary)
            XCTAssertTrue(r.stdout.contains(summary), "help lacks the summary of \(name)")
        }
    }

    func testHelpForOneCommandShowsUsageAndExample() throws {
        let r = try shell.run("help shm create")
        XCTAssertEqual(r.failures, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "usage: shm create KEY SIZE [--mode MODE] [--excl]")
        let example = try XCTUnwrap(lines.firstIndex(of: "example:"))
        XCTAssertEqual(lines[example + 1], "  buf = shm create 3306 1024")
        XCTAssertTrue(lines.contains { $0.hasPrefix("  --excl") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("  KEY") && $0.contains("IPC key") })
    }

    func testEveryCommandHasHelp() throws {
        for (name, spec) in registry.specs {
            let lines = try HelpText.render(topic: name.split(separator: " ").map(String.init), registry: registry, at: nil)
            XCTAssertEqual(lines.first, "usage: " + spec.usage, name)
            XCTAssertTrue(lines.contains("  " + spec.example), name)
        }
    }

    func testHelpForANounListsItsSubcommands() throws {
        let lines = try HelpText.render(topic: ["shm"], registry: registry, at: nil)
        for sub in try XCTUnwrap(registry.groups["shm"]) {
            let usage = try XCTUnwrap(registry.specs["shm \(sub)"]?.usage)
            XCTAssertTrue(lines.contains { $0.hasPrefix("  " + usage) }, sub)
        }
    }

    /// Issue 11.5: each argument says what it is; none of these is "data" or a pipe end.
    func testArgumentsDescribeTheirOwnKind() throws {
        func argumentLine(_ topic: String, _ name: String) throws -> String {
            let lines = try HelpText.render(topic: topic.split(separator: " ").map(String.init), registry: registry, at: nil)
            return try XCTUnwrap(lines.first { $0.hasPrefix("  \(name)  ") || $0.hasPrefix("  \(name) ") }, "\(topic) \(name)")
        }
        XCTAssertTrue(try argumentLine("sock sendfd", "SOCK").contains("a unix socket"))
        XCTAssertFalse(try argumentLine("sock sendfd", "SOCK").contains("pipe end"))
        XCTAssertTrue(try argumentLine("sock sendfd", "FD").contains("a socket"))
        XCTAssertTrue(try argumentLine("sock recvfd", "SOCK").contains("a unix socket"))
        for topic in ["sock listen", "sock connect"] {
            XCTAssertTrue(try argumentLine(topic, "ADDR").hasSuffix("a socket address: unix:/path, tcp:HOST:PORT or udp:HOST:PORT"), topic)
        }
        for topic in ["rpc serve", "rpc call"] {
            XCTAssertTrue(try argumentLine(topic, "ADDR").hasSuffix("a socket address: unix:/path or tcp:HOST:PORT"), topic)
        }
        XCTAssertTrue(try argumentLine("rpc call", "METHOD").contains("a method name"))
        XCTAssertTrue(try argumentLine("!", "COMMAND").contains("/bin/sh command line"))
        XCTAssertTrue(try argumentLine("exit", "CODE").contains("0 to 255"))
        // No argument of any command is described as bare "data" but the data itself.
        for (name, spec) in registry.specs {
            for argument in spec.arguments where argument.describe == "data" {
                XCTAssertTrue(["DATA", "WORD", "VALUE"].contains(argument.name), "\(name) \(argument.name) is described as data")
            }
        }
    }

    /// Kinds that differ are described differently (so help never says one thing of two kinds).
    func testEveryKindInUseHasItsOwnDescription() {
        var byDescription: [String: ArgumentKind] = [:]
        for spec in registry.specs.values {
            for kind in spec.arguments.map(\.kind) + spec.options.compactMap(\.value) {
                if let other = byDescription[kind.describe] {
                    XCTAssertEqual(other, kind, "two kinds described as \"\(kind.describe)\"")
                }
                byDescription[kind.describe] = kind
            }
        }
    }

    /// `exit 300` and `exit -1` are the same error at the same place: the CODE word.
    func testExitCodesOutOfRangeAreOneError() throws {
        for code in ["300", "-1", "x"] {
            let r = try shell.run("exit \(code)", file: "e.ipcs")
            XCTAssertEqual(r.failures, 1, code)
            XCTAssertTrue(r.stderr.hasPrefix("e.ipcs:1:6: error: exit: CODE '\(code)' is not a whole number from 0 to 255\n"), r.stderr)
        }
    }

    /// Issue 11.6: help tells of `@NAME COMMAND`, and of replay and check, which run from the user's shell.
    func testHelpCoversActorsAndTheProgramsCommands() throws {
        let overview = try shell.run("help")
        XCTAssertTrue(overview.stdout.contains("@NAME COMMAND runs COMMAND in actor NAME"), overview.stdout)
        XCTAssertTrue(overview.stdout.contains("ipcsh replay FILE, ipcsh check FILE..."), overview.stdout)
        for topic in ["@", "@reader", "@reader read"] {
            let r = try shell.run("help \(topic)")
            XCTAssertEqual(r.failures, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("usage: @NAME COMMAND\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("; included"), r.stdout)
        }
        for name in ["replay", "check"] {
            let r = try shell.run("help \(name)")
            XCTAssertEqual(r.failures, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("usage (from your shell, not inside ipcsh): ipcsh \(name) "), r.stdout)
            XCTAssertFalse(r.stdout.contains("repeat"), r.stdout)
        }
        // Typed at the prompt, they say where they belong instead of suggesting repeat.
        let typed = try shell.run("replay lesson.ipcs")
        XCTAssertEqual(typed.failures, 1)
        XCTAssertTrue(typed.stderr.contains("replay is not a command inside ipcsh: run ipcsh replay FILE"), typed.stderr)
        XCTAssertFalse(typed.stderr.contains("repeat"), typed.stderr)
    }

    func testUnknownTopicSuggests() throws {
        let d = diagnostic({ try HelpText.render(topic: ["shm", "craete"], registry: registry, at: nil) })
        XCTAssertEqual(d?.message, "help: no command named 'shm craete'")
        XCTAssertEqual(d?.hint?.contains("'shm create'"), true, d?.hint ?? "")

        let r = try shell.run("help ehco", file: "h.ipcs")
        XCTAssertEqual(r.failures, 1)
        XCTAssertTrue(r.stderr.hasPrefix("h.ipcs:1:1: error: help: no command named 'ehco'\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'echo'?"), r.stderr)
    }

    func testUnrelatedTopicPointsToHelp() {
        let d = diagnostic({ try HelpText.render(topic: ["qqqqqqqq"], registry: registry, at: nil) })
        XCTAssertEqual(d?.hint, "help lists every command")
    }
}
