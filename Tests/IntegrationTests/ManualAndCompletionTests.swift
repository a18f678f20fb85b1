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
            // No shell named: $SHELL's, adapted as well (not swift-argument-parser's script as it stands).
            let detected = try Harness.run(["--generate-completion-script"], environment: ["SHELL": "/usr/bin/" + shell])
            XCTAssertEqual(detected.status, 0, "\(shell): \(detected.stderr)")
            XCTAssertTrue(detected.stdout == r.stdout, "SHELL=/usr/bin/\(shell) ipcsh --generate-completion-script differs from --generate-completion-script \(shell)")
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

    /// A directory to complete in: a script, a file that is not one, a directory.
    private func completionFixture() throws -> URL {
        let directory = try Harness.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let work = directory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("lessons"), withIntermediateDirectories: true)
        for file in ["lesson.ipcs", "notes.txt", "lessons/tour.ipcs"] {
            try "".write(to: work.appendingPathComponent(file), atomically: false, encoding: .utf8)
        }
        return directory
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// What each shell offers, one candidate a line, directories without their trailing slash.
    private func candidates(_ r: Harness.Result, _ shell: String, _ line: String) -> [String] {
        XCTAssertEqual(r.status, 0, "\(shell) completing \(line.debugDescription): \(r.stderr)")
        XCTAssertEqual(r.stderr, "", "\(shell) completing \(line.debugDescription)")
        return r.stdout.split(separator: "\n").map { word in
            var word = String(word.split(separator: "\t", omittingEmptySubsequences: false)[0])
            if word.count > 1, word.hasSuffix("/") { word.removeLast() }
            return word
        }
    }

    /// bash: the script sourced, COMP_WORDS and COMP_CWORD set, the function `complete -p` names called.
    private func bashCompletes(_ line: String, in fixture: URL) throws -> [String] {
        let script = Harness.packageRoot.appendingPathComponent("completions/ipcsh.bash").path
        var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count == 1 { words.append("") }
        let program = """
            cd \(Self.quoted(fixture.appendingPathComponent("work").path)) || exit 3
            source \(Self.quoted(script)) || exit 3
            COMP_WORDS=(\(words.map(Self.quoted).joined(separator: " "))); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE=\(Self.quoted(line)); COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            spec=$(complete -p ipcsh) || exit 4
            function=${spec##*-F }; function=${function%% *}
            "$function" ipcsh "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        return candidates(try Harness.runProgram("/bin/bash", ["--norc", "--noprofile", "-c", program]), "bash", line)
    }

    /// fish: `complete -C LINE`, which runs the script's conditions as the shell does at a Tab.
    private func fishCompletes(_ line: String, in fixture: URL) throws -> [String] {
        let script = Harness.packageRoot.appendingPathComponent("completions/ipcsh.fish").path
        let r = try Harness.runProgram("/bin/sh", ["-c", """
            cd \(Self.quoted(fixture.appendingPathComponent("work").path)) && \
            fish --no-config -c 'source $argv[1]; or exit 3; complete -C"$argv[2]"' \(Self.quoted(script)) \(Self.quoted(line))
            """])
        return candidates(r, "fish", line)
    }

    /// zsh: an interactive `zsh -f` on a pseudo-terminal (zsh/zpty) with compinit and the script on
    /// its fpath, LINE typed and a Tab; compadd wrapped to print what it is given, between the
    /// two empty lines that compprefuncs and comppostfuncs print (the latter then exits).
    static let zshDriver = #"""
        zmodload zsh/zpty || exit 3
        zpty z zsh -f -i || exit 3
        zpty -w z "PS1= ; RPS1= ; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
        zpty -w z 'compadd() {
          if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
          typeset -a __hits
          builtin compadd -A __hits "$@"
          typeset -A apre hpre hsuf asuf
          zparseopts -E P:=apre p:=hpre S:=asuf s:=hsuf
          local __hit
          for __hit in $__hits; do print -r -- "<<${hpre[-p]}${__hit}${hsuf[-s]}>>"; done
          builtin compadd "$@"
        }'
        zpty -w z "zstyle ':completion:*' list-grouped false"
        zpty -w z "zstyle ':completion:*' insert-tab false"
        zpty -w z "bindkey '^I' complete-word"
        zpty -w z "null-line () { echo -E - \$'\\0' }"
        zpty -w z "compprefuncs=( null-line )"
        zpty -w z "comppostfuncs=( null-line exit )"
        zpty -n -w z "$2"$'\t'
        integer tog=0
        while zpty -r z; do :; done | while IFS= read -r line; do
          if [[ $line == *$'\0\r' ]]; then (( tog++ )) && exit 0 || continue; fi
          (( tog )) && [[ $line == *'<<'?*'>>'* ]] && { line=${line#*<<}; print -r -- "${line%>>*}"; }
        done
        exit 5
        """#

    private func zshCompletes(_ line: String, in fixture: URL) throws -> [String] {
        let driver = fixture.appendingPathComponent("complete.zsh")
        if !FileManager.default.fileExists(atPath: driver.path) {
            try Self.zshDriver.write(to: driver, atomically: false, encoding: .utf8)
        }
        let completions = Harness.packageRoot.appendingPathComponent("completions").path
        let r = try Harness.runProgram("/bin/sh", ["-c", """
            cd \(Self.quoted(fixture.appendingPathComponent("work").path)) && \
            zsh -f \(Self.quoted(driver.path)) \(Self.quoted(completions)) \(Self.quoted(line))
            """], environment: ["TERM": "dumb"], timeout: 20)
        return candidates(r, "zsh", line)
    }

    /// The same command lines in each shell: ipcsh's options, the subcommands' names and options,
    /// `.ipcs` scripts at the first word, files for option values and after a script, no `help`.
    private func checkCompletions(_ shell: String, _ complete: (String, URL) throws -> [String]) throws {
        let fixture = try completionFixture()
        func offers(_ line: String, _ expected: [String], _ message: String = "", line number: UInt = #line) throws {
            XCTAssertEqual(try complete(line, fixture).sorted(), expected.sorted(), "\(shell): \(line) \(message)", line: number)
        }
        func offers(_ line: String, including: [String], excluding: [String], line number: UInt = #line) throws {
            let got = try complete(line, fixture)
            for word in including { XCTAssertTrue(got.contains(word), "\(shell): \(line) does not offer \(word): \(got)", line: number) }
            for word in excluding { XCTAssertFalse(got.contains(word), "\(shell): \(line) offers \(word): \(got)", line: number) }
        }
        try offers("ipcsh --rec", ["--record"])
        try offers("ipcsh --keep", ["--keep-going"])
        try offers("ipcsh --record ", including: ["lesson.ipcs", "notes.txt"], excluding: ["replay"])
        try offers("ipcsh re", ["replay"])
        try offers("ipcsh em", ["emit-c"])
        try offers("ipcsh di", ["diagram"])
        try offers("ipcsh ch", ["check"])
        try offers("ipcsh --trace re", ["replay"])
        try offers("ipcsh --record out.ipcs em", ["emit-c"])
        // The first word: a subcommand or a script (.ipcs files and directories), never `help`.
        try offers("ipcsh ", ["replay", "check", "emit-c", "diagram", "lesson.ipcs", "lessons"])
        try offers("ipcsh he", including: [], excluding: ["help"])
        try offers("ipcsh lessons/", ["lessons/tour.ipcs"])
        try offers("ipcsh replay --st", ["--step"])
        try offers("ipcsh replay ", ["lesson.ipcs", "lessons"])
        try offers("ipcsh check lesson.ipcs ", ["lesson.ipcs", "lessons"])
        try offers("ipcsh emit-c x.ipcs -", including: ["-o", "--output"], excluding: ["--record", "--mermaid"])
        try offers("ipcsh emit-c x.ipcs --out", ["--output"])
        try offers("ipcsh emit-c x.ipcs -o ", including: ["notes.txt"], excluding: [])
        try offers("ipcsh diagram x.ipcs --mer", ["--mermaid"])
        try offers("ipcsh diagram x.ipcs -", including: ["-o", "--output", "--mermaid"], excluding: ["--step"])
        // After a script, its arguments are its own: files, no subcommand, no option of ipcsh's.
        // (bash leaves them to its default completion: `compopt -o default`, nothing offered here.)
        try offers("ipcsh lesson.ipcs ", shell == "bash" ? [] : ["lesson.ipcs", "notes.txt", "lessons"])
        try offers("ipcsh lesson.ipcs re", [])
        try offers("ipcsh lesson.ipcs --", [])
    }

    func testBashCompletes() throws {
        guard have("bash") else { throw XCTSkip("bash is not installed") }
        try checkCompletions("bash", bashCompletes)
    }

    func testZshCompletes() throws {
        guard have("zsh") else { throw XCTSkip("zsh is not installed (scripts/install-deps.sh installs it)") }
        try checkCompletions("zsh", zshCompletes)
    }

    func testFishCompletes() throws {
        guard have("fish") else { throw XCTSkip("fish is not installed (scripts/install-deps.sh installs it)") }
        try checkCompletions("fish", fishCompletes)
    }

    /// swift-argument-parser's scripts offer its automatic `help` subcommand; ipcsh has none
    /// (`ipcsh help` runs a script named help), so the scripts must not know of it at all.
    func testTheCompletionScriptsHaveNoHelpSubcommand() throws {
        for (shell, path) in Self.completions {
            let text = try String(contentsOf: Harness.packageRoot.appendingPathComponent(path), encoding: .utf8)
            for trace in ["_ipcsh_help", "|help)", "help' --", "'help:", "-fa 'help'", "case 'help'", "\"ipcsh help\""] {
                XCTAssertFalse(text.contains(trace), "\(path) has \(trace)")
            }
            XCTAssertTrue(text.contains("diagram"), "\(shell): \(path) lacks diagram")
        }
    }
}
