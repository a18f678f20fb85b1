import Foundation
import IPCShell
import XCTest

/// ipcsh(1) (docs/ipcsh.1) and the shell completion scripts (completions/) are the output of
/// `ipcsh --generate-manual` and `ipcsh --generate-completion-script SHELL`: these tests fail when
/// the checked-in copies are stale, and check that the page renders and the scripts complete.
///
/// To regenerate them after changing a spec or an option: `scripts/gen-language-doc.sh`
/// (it runs these tests with IPCSH_UPDATE_DOCS=1, as it does for docs/language.md).
final class ManualAndCompletionTests: XCTestCase {
    static let manual = Harness.packageRoot.appendingPathComponent("docs/ipcsh.1")
    static let completions = [
        ("bash", "completions/ipcsh.bash"), ("zsh", "completions/_ipcsh"), ("fish", "completions/ipcsh.fish"),
    ]

    /// Compares `generated` with the checked-in `file`, or writes it there with IPCSH_UPDATE_DOCS=1.
    private func assertCurrent(_ generated: String, _ file: URL, regenerate: String,
                               line: UInt = #line) throws {
        let current = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        if ProcessInfo.processInfo.environment["IPCSH_UPDATE_DOCS"] == "1", current != generated {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try generated.write(to: file, atomically: false, encoding: .utf8)
            return
        }
        XCTAssertTrue(current == generated, "\(file.lastPathComponent) is out of date: run \(regenerate)", line: line)
    }

    private func shell(_ command: String, environment: [String: String] = [:]) throws -> Harness.Result {
        try Harness.runProgram("/bin/sh", ["-c", command], environment: environment)
    }

    private func have(_ program: String) -> Bool {
        (try? shell("command -v \(program)").status) == 0
    }

    func testTheManualPageIsGeneratedFromTheCurrentSpecs() throws {
        let r = try Harness.run(["--generate-manual"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix(".TH IPCSH 1 "), String(r.stdout.prefix(80)))
        try assertCurrent(r.stdout, Self.manual, regenerate: "scripts/gen-language-doc.sh")
    }

    func testGenerateManualTakesNoArguments() throws {
        let r = try Harness.run(["--generate-manual", "extra"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("--generate-manual takes no arguments"), r.stderr)
    }

    func testTheCompletionScriptsAreGeneratedFromTheCurrentOptions() throws {
        for (shell, path) in Self.completions {
            let r = try Harness.run(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, "\(shell): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("keep-going") && r.stdout.contains("emit-c"), "\(shell) script lacks options or subcommands")
            try assertCurrent(r.stdout, Harness.packageRoot.appendingPathComponent(path), regenerate: "scripts/gen-language-doc.sh")
        }
    }

    /// `man -l docs/ipcsh.1` renders every command family and every command's usage, and troff
    /// warns about nothing, at the usual widths and at a narrow one.
    func testTheManualRendersWithManAndWithoutWarnings() throws {
        guard have("man"), have("groff"), have("col") else {
            throw XCTSkip("man, groff or col is not installed (scripts/install-deps.sh installs man-db and groff-base)")
        }
        let page = Self.manual.path
        let rendered = try shell("man -l '\(page)' | col -bx", environment: ["MANWIDTH": "80", "MAN_KEEP_FORMATTING": ""])
        XCTAssertEqual(rendered.status, 0, rendered.stderr)
        XCTAssertEqual(rendered.stderr, "")
        let text = rendered.stdout
        for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES",
                        "EXAMPLES", "SEE ALSO"] {
            XCTAssertTrue(text.contains("\n\(heading)\n"), "the rendered page lacks the section \(heading)")
        }
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let registry = CommandRegistry.standard
        for family in registry.topLevel {
            XCTAssertTrue(lines.contains(family), "the rendered page has no heading for the \(family) commands")
        }
        // Usage lines may be wrapped: compare with runs of blanks as one space.
        let flat = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        for usage in registry.specs.values.map(\.usage).sorted() {
            let words = usage.split(separator: " ").joined(separator: " ")
            XCTAssertTrue(flat.contains(words), "the rendered page lacks the usage line \(usage)")
        }
        for form in ["ipcsh replay", "ipcsh check", "ipcsh emit-c", "ipcsh diagram", "--mermaid", "--keep-going", "--record file", "-o, --output out.c",
                     "~/.ipcsh_history", "NO_COLOR", "shmget(2)", "mq_overview(7)"] {
            XCTAssertTrue(text.contains(form), "the rendered page lacks \(form)")
        }
        for width in ["", "-Tutf8 -rLL=78n", "-Tutf8 -rLL=60n"] {
            let r = try shell("groff -ww -z -man \(width) '\(page)'")
            XCTAssertEqual(r.status, 0)
            XCTAssertEqual(r.stderr, "", "groff -ww \(width) warns")
        }
    }

    /// Completing in bash for real: the script loaded, COMP_WORDS set, the function called.
    func testBashCompletesOptionsSubcommandsAndTheirOptions() throws {
        guard have("bash") else { throw XCTSkip("bash is not installed") }
        let script = Harness.packageRoot.appendingPathComponent("completions/ipcsh.bash").path
        func complete(_ words: [String]) throws -> [String] {
            let quoted = words.map { "'" + $0 + "'" }.joined(separator: " ")
            let program = """
                source '\(script)' || exit 3
                COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                spec=$(complete -p ipcsh) || exit 4
                function=${spec##*-F }; function=${function%% *}
                "$function" ipcsh "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let r = try Harness.runProgram("/bin/bash", ["-c", program])
            XCTAssertEqual(r.status, 0, "\(words): \(r.stderr)")
            return r.stdout.split(separator: "\n").map(String.init)
        }
        XCTAssertTrue(try complete(["ipcsh", "--rec"]).contains("--record"))
        XCTAssertEqual(try complete(["ipcsh", "--keep"]), ["--keep-going"])
        XCTAssertEqual(try complete(["ipcsh", "re"]), ["replay"])
        XCTAssertEqual(try complete(["ipcsh", "emi"]), ["emit-c"])
        XCTAssertEqual(try complete(["ipcsh", "replay", "--st"]), ["--step"])
        XCTAssertEqual(try complete(["ipcsh", "emit-c", "x.ipcs", "--out"]), ["--output"])
        // Scripts complete as files: *.ipcs and directories.
        XCTAssertTrue(try complete(["ipcsh", Harness.packageRoot.path + "/examples/tou"]).contains { $0.hasSuffix("examples/tour.ipcs") })
        // After a script, its arguments are its own: no subcommand, no option of ipcsh's.
        XCTAssertEqual(try complete(["ipcsh", "tour.ipcs", "re"]), [])
    }

    /// zsh and fish load their scripts (and fish completes an option); skipped where the shell
    /// is not installed.
    func testZshAndFishLoadTheirScripts() throws {
        var ran = 0
        if have("zsh") {
            let script = Harness.packageRoot.appendingPathComponent("completions/_ipcsh").path
            let r = try Harness.runProgram("/bin/sh", ["-c", """
                zsh -f -c 'autoload -U compinit && compinit -u -D && source "$1" && (( $+functions[_ipcsh] && $+functions[_ipcsh_replay] )) && print loaded' zsh '\(script)'
                """])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "loaded\n", r.stderr)
            ran += 1
        }
        if have("fish") {
            let script = Harness.packageRoot.appendingPathComponent("completions/ipcsh.fish").path
            let bin = URL(fileURLWithPath: Harness.ipcshPath).deletingLastPathComponent().path
            let r = try Harness.runProgram("/bin/sh", ["-c", """
                PATH='\(bin)':"$PATH" fish --no-config -c 'source $argv[1]; and complete -C "ipcsh --rec"' '\(script)'
                """])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("--record\t"), r.stdout + r.stderr)
            ran += 1
        }
        if ran == 0 { throw XCTSkip("neither zsh nor fish is installed: their completion scripts were not loaded") }
    }
}
