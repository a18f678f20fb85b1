import Foundation
@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// The docs follow the code: docs/language.md's command reference is generated from the command
/// specs (the same text `help COMMAND` prints), and every link in the docs points at a real file.
///
/// To regenerate the reference after changing a spec: `scripts/gen-language-doc.sh`
/// (it runs this suite with IPCSH_UPDATE_DOCS=1).
final class DocsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let languageDoc = root.appendingPathComponent("docs/language.md")
    static let begin = "<!-- BEGIN COMMAND REFERENCE: generated from the command specs by scripts/gen-language-doc.sh; do not edit by hand -->"
    static let end = "<!-- END COMMAND REFERENCE -->"

    /// The command reference as markdown: the `help` overview, then `help NAME` for every command,
    /// grouped by noun in the registry's order.
    static func renderCommandReference(_ registry: CommandRegistry = .standard) -> String {
        var out: [String] = []
        func block(_ lines: [String]) {
            out.append("```text")
            out += lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            out.append("```")
            out.append("")
        }
        out.append("What `help` prints:")
        out.append("")
        block(HelpText.overview(registry))
        for name in registry.topLevel {
            if let subcommands = registry.groups[name] {
                out.append("### \(name)")
                out.append("")
                if let summary = registry.groupSummaries[name] { out += [summary + ".", ""] }
                for sub in subcommands {
                    guard let spec = registry.specs["\(name) \(sub)"] else { continue }
                    out.append("#### \(spec.name)")
                    out.append("")
                    block(HelpText.detail(spec))
                }
            } else if let spec = registry.specs[name] {
                out.append("### \(spec.name)")
                out.append("")
                block(HelpText.detail(spec))
            }
        }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n")
    }

    func testEveryRegisteredCommandsUsageLineIsInTheLanguageReference() throws {
        let doc = try String(contentsOf: Self.languageDoc, encoding: .utf8)
        let missing = CommandRegistry.standard.specs.values.map(\.usage).sorted()
            .filter { !doc.contains("usage: \($0)\n") }
        XCTAssertEqual(missing, [], "docs/language.md lacks these usage lines: run scripts/gen-language-doc.sh")
    }

    func testCommandReferenceIsGeneratedFromTheCurrentSpecs() throws {
        let doc = try String(contentsOf: Self.languageDoc, encoding: .utf8)
        let beginRange = try XCTUnwrap(doc.range(of: Self.begin), "docs/language.md lacks the BEGIN marker")
        let endRange = try XCTUnwrap(doc.range(of: Self.end), "docs/language.md lacks the END marker")
        XCTAssertLessThan(beginRange.upperBound, endRange.lowerBound)
        let current = doc[beginRange.upperBound..<endRange.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = Self.renderCommandReference()
        if ProcessInfo.processInfo.environment["IPCSH_UPDATE_DOCS"] == "1", current != expected {
            let updated = doc[..<beginRange.upperBound] + "\n\n" + expected + "\n\n" + doc[endRange.lowerBound...]
            try String(updated).write(to: Self.languageDoc, atomically: false, encoding: .utf8)
            return
        }
        XCTAssertTrue(current == expected,
                      "docs/language.md's command reference is out of date: run scripts/gen-language-doc.sh")
    }

    func testTheReferenceCoversTheLanguageSections() throws {
        let doc = try String(contentsOf: Self.languageDoc, encoding: .utf8)
        for heading in ["## Invocation", "## Lexical rules", "## Names, handles and values", "## Commands",
                        "## Interactive use", "## Kernel objects outlive the shell", "## Choices"] {
            XCTAssertTrue(doc.contains("\n" + heading), "docs/language.md lacks a section \(heading)")
        }
    }

    /// The "Commands" section names every family of commands, not only some (issue 11.5).
    func testTheCommandsSectionNamesEveryCommand() throws {
        let doc = try String(contentsOf: Self.languageDoc, encoding: .utf8)
        let start = try XCTUnwrap(doc.range(of: "\n## Commands\n"))
        let end = try XCTUnwrap(doc.range(of: "\n## ", range: start.upperBound..<doc.endIndex))
        let section = String(doc[start.upperBound..<end.lowerBound])
        let registry = CommandRegistry.standard
        for name in registry.topLevel {
            let written = registry.groups[name].map { "`\(name) " + $0.joined(separator: "|") + "`" } ?? "`\(name)`"
            XCTAssertTrue(section.contains(written), "docs/language.md's Commands section does not name \(written)")
        }
        XCTAssertTrue(section.contains("`@NAME COMMAND`"))
    }

    func testReadmeHasTheTwoCommandsInOneCodeBlock() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let found = blocks.contains { block in
            let lines = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return lines.contains("swift run ipcsh examples/tour.ipcs") && lines.contains("swift test")
        }
        XCTAssertTrue(found, "README.md needs one code block with `swift run ipcsh examples/tour.ipcs` and `swift test`, each on its own line")
        XCTAssertTrue(readme.contains("## Performance"), "README.md lacks its Performance section")
    }

    /// Every relative markdown link in README.md and docs/ names a file that exists.
    func testRelativeLinksInTheDocsResolve() throws {
        var pages = [Self.root.appendingPathComponent("README.md")]
        let docs = Self.root.appendingPathComponent("docs")
        pages += try FileManager.default.contentsOfDirectory(atPath: docs.path)
            .filter { $0.hasSuffix(".md") }.map { docs.appendingPathComponent($0) }
        let link = try NSRegularExpression(pattern: #"\]\(([^)#\s]+)(#[^)]*)?\)"#)
        var checked = 0
        for page in pages {
            let text = try String(contentsOf: page, encoding: .utf8)
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let target = String(text[range])
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let resolved = page.deletingLastPathComponent().appendingPathComponent(target).standardized
                XCTAssertTrue(FileManager.default.fileExists(atPath: resolved.path),
                              "\(page.lastPathComponent) links to \(target), which does not exist")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0, "expected the README to link to the docs")
    }
}
