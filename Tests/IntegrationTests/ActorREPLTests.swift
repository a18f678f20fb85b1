import Foundation
import XCTest

/// Issue 3 at the prompt: an actor's output appears while the user types, printed above
/// the prompt, and the typed line is redrawn intact; a child's end is reported there too.
final class ActorREPLTests: IPCTestCase {
    private func startShell() throws -> TmuxSession {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
        let directory = try makeDirectory()
        return try TmuxSession(testCase: self, historyPath: directory.appendingPathComponent("history").path,
                               directory: directory.path, environment: ["NO_COLOR": "1"], removing: [])
    }

    func testActorOutputAppearsAboveTheLineBeingTyped() throws {
        let shell = try startShell()
        for line in ["p = pipe", "a = fork", "@a read p.r", "@a sleep 1", "@a echo from-the-actor"] {
            try shell.enter(line)
            try shell.waitForLastLine(shell.prompt)
        }
        // The actor is blocked in read(2): nothing yet. Write, then start typing while it sleeps.
        try shell.enter("write p.w unblocked")
        try shell.waitForScreen("the unblocked read") { $0.contains("] unblocked") }
        try shell.type("echo half-typed")
        let screen = try shell.waitForScreen("the actor's line above the prompt") { $0.contains("] from-the-actor") }
        let lines = screen.split(separator: "\n").map(String.init)
        guard let actorLine = lines.lastIndex(where: { $0.hasSuffix("] from-the-actor") }) else { return XCTFail(screen) }
        XCTAssertTrue(lines[actorLine].hasPrefix("[a "), screen)
        // The typed line is redrawn below it, unchanged, and still editable.
        XCTAssertEqual(try shell.lastLine(), shell.prompt + "echo half-typed", screen)
        try shell.enter(" and more")
        try shell.waitForScreen("the finished line") { $0.contains("\nhalf-typed and more") }
    }

    func testAChildsEndIsReportedAtThePrompt() throws {
        let shell = try startShell()
        try shell.enter("a = fork")
        try shell.waitForLastLine(shell.prompt)
        try shell.enter("@a exit 3")
        let screen = try shell.waitForScreen("the exit report") { $0.contains(") exited with status 3") }
        XCTAssertTrue(screen.contains("a (pid "), screen)
        try shell.waitForLastLine(shell.prompt)
    }
}
