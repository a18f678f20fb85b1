@testable import IPCShell
import XCTest

/// ipcsh(1)'s roff: text that reaches the page as typed, whatever the specs say.
final class ManualPageTests: XCTestCase {
    func testEscapingKeepsTextFromBeingRoff() {
        XCTAssertEqual(ManualPage.escape(#"a\b"#), #"a\(rsb"#)
        XCTAssertEqual(ManualPage.escape("--keep-going"), #"\-\-keep\-going"#)
        XCTAssertEqual(ManualPage.escape(".SH x"), #"\&.SH x"#)
        XCTAssertEqual(ManualPage.escape("'quoted'"), #"\&\(aqquoted\(aq"#)
        XCTAssertEqual(ManualPage.escape("one\n.two"), "one\n\\&.two")
        XCTAssertEqual(ManualPage.escape("a.b 'c"), #"a.b \(aqc"#, "only a line's first character starts a request")
        XCTAssertEqual(ManualPage.escape("`x` ~ ^"), #"\(gax\(ga \(ti \(ha"#)
        XCTAssertEqual(ManualPage.escape("é—"), #"\[u00E9]\[u2014]"#)
        // A long word may break after its commas; a short one stays whole.
        XCTAssertEqual(ManualPage.escape("a,b"), "a,b")
        XCTAssertEqual(ManualPage.escape(#"{"jsonrpc":"2.0","method":"add","id":1}"#),
                       #"{"jsonrpc":"2.0",\:"method":"add",\:"id":1}"#)
    }

    func testEveryLineIsARequestOrText() {
        let page = ManualPage.render(programs: [ManualPage.Program(name: "ipcsh", abstract: "A shell.", discussion: ".dot first\n\n'quote first",
                                                                   options: [ManualPage.Option(names: ["-c"], valueName: "commands", summary: ".x")])])
        for line in page.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            XCTAssertFalse(line.isEmpty, "an empty line is a blank line on the page")
            XCTAssertFalse(line.hasPrefix("'"), "\(line)")
            if line.hasPrefix(".") {
                let name = line.dropFirst().prefix { $0 != " " }
                XCTAssertTrue(["TH", "SH", "SS", "TP", "IP", "PP", "RS", "RE", "EX", "EE", "br", "ad", "nh", "nr", "\\\""].contains(String(name)),
                              "unexpected request: \(line)")
            }
        }
        XCTAssertTrue(page.contains("\n\\&.dot first\n"), page)
        XCTAssertTrue(page.contains("\n\\&\\(aqquote first\n"))
    }

    func testProgramsAreReadFromTheToolInfoDump() throws {
        let dump = try JSON.parse(#"""
            {"serializationVersion":0,"command":{"commandName":"ipcsh","abstract":"A shell.","arguments":[
              {"kind":"option","shouldDisplay":true,"isOptional":true,"isRepeating":false,"names":[{"kind":"short","name":"c"}],"valueName":"commands","abstract":"Run these."},
              {"kind":"flag","shouldDisplay":false,"isOptional":true,"isRepeating":false,"names":[{"kind":"long","name":"actor"}],"valueName":"actor"},
              {"kind":"flag","shouldDisplay":true,"isOptional":true,"isRepeating":false,"names":[{"kind":"long","name":"help"},{"kind":"short","name":"h"}],"valueName":"help","abstract":"Show help."},
              {"kind":"positional","shouldDisplay":true,"isOptional":true,"isRepeating":true,"valueName":"arg","abstract":"Arguments."}],
             "subcommands":[{"commandName":"check","abstract":"Check.","arguments":[]},{"commandName":"help","abstract":"Help."}]}}
            """#)
        let programs = ManualPage.programs(fromToolInfo: dump)
        XCTAssertEqual(programs.map(\.name), ["ipcsh", "ipcsh check"], "help is swift-argument-parser's, not ipcsh's")
        XCTAssertEqual(programs[0].options, [ManualPage.Option(names: ["-c"], valueName: "commands", summary: "Run these."),
                                             ManualPage.Option(names: ["-h", "--help"], valueName: nil, summary: "Show help.")],
                       "hidden options are left out; short names first")
        XCTAssertEqual(programs[0].positionals, [ManualPage.Positional(valueName: "arg", summary: "Arguments.", isOptional: true, isRepeating: true)])
        XCTAssertEqual(ManualPage.synopsis(programs[0]), #"\fBipcsh\fR [\fB\-c\fR \fIcommands\fR] [\fIarg\fR\ ...]"#)
    }
}
