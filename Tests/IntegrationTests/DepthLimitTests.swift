import Foundation
import XCTest

/// No input can exhaust the stack: deep blocks and deep proc/block nesting are clear errors.
final class DepthLimitTests: IPCTestCase {
    func testDeeplyNestedBlocksAreAParseError() throws {
        let script = String(repeating: "repeat 1 { ", count: 5000) + "echo deep" + String(repeating: " }", count: 5000)
        let r = try Harness.runCommands(script)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("blocks nested more than 100 deep"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testNinetyNineNestedBlocksStillRun() throws {
        let script = String(repeating: "repeat 1 { ", count: 99) + "echo deep" + String(repeating: " }", count: 99)
        let r = try Harness.runCommands(script)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "deep\n")
    }

    func testProcsFullOfBlocksHitTheNestingLimit() throws {
        var lines = ["proc bottom { echo bottom }"]
        let names = ["f1", "f2", "f3", "f4", "f5", "bottom"]
        for index in 0..<5 {
            lines.append("proc \(names[index]) { " + String(repeating: "repeat 1 { ", count: 95) + names[index + 1]
                         + String(repeating: " }", count: 95) + " }")
        }
        lines.append("f1")
        let path = try makeDirectory().appendingPathComponent("deep.ipcs").path
        try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let r = try Harness.run([path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("commands nested more than 400 deep"), r.stderr)
    }

    func testRecursiveProcIsStopped() throws {
        let r = try Harness.runCommands("proc f { f }; f")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("nested"), r.stderr)
    }
}
