import Foundation
@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// Issue 10.4: a command body reads its arguments by the names its spec declares
/// (`ctx.integer("SIZE")`). A misspelt name, or an accessor of the wrong type, would read as
/// "not given" and silently fall back to a default; debug builds stop on an undeclared name when
/// it is looked up (`BoundCommand.assertDeclared`), and this test reads every command's source
/// so that a body no test runs is checked too.
final class ArgumentNameTests: XCTestCase {
    /// Which argument kinds each accessor can read.
    private static let accessorKinds: [String: @Sendable (ArgumentKind) -> Bool] = [
        "integer": { kind in
            switch kind { case .size, .duration, .count, .mode, .signal, .wholeNumber: return true; default: return false }
        },
        "key": { kind in
            switch kind { case .key, .handleOrKey: return true; default: return false }
        },
        "string": { kind in
            switch kind { case .path, .text, .keyword, .commandName, .name, .address, .method, .structName, .structMember, .dataOrMembers, .posixName, .cpuPair: return true; default: return false }
        },
        "block": { kind in
            if case .block = kind { return true }
            return false
        },
        "descriptor": { kind in
            switch kind { case .descriptor, .descriptorOrOwner, .dataTarget, .unixSocket: return true; default: return false }
        },
        "handle": { kind in
            switch kind { case .handle, .handleOrKey, .handleOrAll, .descriptorOrOwner, .dataTarget: return true; default: return false }
        },
    ]

    private static func kinds(for accessor: String) -> (@Sendable (ArgumentKind) -> Bool)? {
        switch accessor {
        case "bytes", "wordBytes", "optionBytes": return accessorKinds["string"]
        case "anyHandle", "region": return accessorKinds["handle"]
        default: return accessorKinds[accessor]
        }
    }

    func testEveryArgumentNameInACommandBodyIsDeclaredWithAMatchingKind() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/IPCShell/Commands")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        let registry = CommandRegistry.standard
        let specStart = try NSRegularExpression(pattern: #"CommandSpec\(\s*"([^"]+)""#)
        let lookup = try NSRegularExpression(pattern: #"ctx\.(\w+)\("([^"]+)""#)
        let rejected = try NSRegularExpression(pattern: #"rejectOptions\(\[([^\]]*)\]"#)
        let helper = try NSRegularExpression(pattern: #"\n    (?:private |fileprivate )?static func "#)
        var checked = 0
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let ns = text as NSString
            // Each spec's region runs from its declaration to the next spec or helper function;
            // a helper's names must belong to some spec of the file.
            var marks: [(offset: Int, spec: String?)] = specStart.matches(in: text, range: NSRange(location: 0, length: ns.length))
                .map { ($0.range.location, ns.substring(with: $0.range(at: 1))) }
            marks += helper.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ($0.range.location, nil) }
            marks.sort { $0.offset < $1.offset }
            let fileSpecs = marks.compactMap(\.spec).compactMap { registry.specs[$0] }
            for (index, mark) in marks.enumerated() {
                let end = index + 1 < marks.count ? marks[index + 1].offset : ns.length
                let range = NSRange(location: mark.offset, length: end - mark.offset)
                let candidates: [CommandSpec]
                if let name = mark.spec {
                    let spec = try XCTUnwrap(registry.specs[name], "\(file): \(name) is declared but not registered")
                    candidates = [spec]
                } else {
                    candidates = fileSpecs
                }
                var uses: [(accessor: String, name: String)] = lookup.matches(in: text, range: range).map {
                    (ns.substring(with: $0.range(at: 1)), ns.substring(with: $0.range(at: 2)))
                }
                for match in rejected.matches(in: text, range: range) {
                    let list = ns.substring(with: match.range(at: 1))
                    uses += list.split(separator: ",").map { ("optionGiven", $0.trimmingCharacters(in: CharacterSet(charactersIn: " \""))) }
                }
                for use in uses where use.accessor != "failure" {
                    checked += 1
                    let place = "\(file): ctx.\(use.accessor)(\"\(use.name)\") in \(mark.spec ?? "a helper")"
                    let declared = candidates.contains { spec in
                        if let argument = spec.arguments.first(where: { $0.name == use.name }) {
                            guard let accepts = Self.kinds(for: use.accessor) else { return true }
                            return accepts(argument.kind)
                        }
                        if let option = spec.options.first(where: { $0.name == use.name }) {
                            if use.accessor == "flag" { return option.value == nil }
                            guard let value = option.value else { return use.accessor == "optionGiven" || use.accessor == "has" }
                            guard let accepts = Self.kinds(for: use.accessor) else { return true }
                            return accepts(value)
                        }
                        return false
                    }
                    XCTAssertTrue(declared, place + ": no argument or option of a matching kind has this name")
                }
            }
        }
        XCTAssertGreaterThan(checked, 50, "the scan found the command bodies")
    }
}
