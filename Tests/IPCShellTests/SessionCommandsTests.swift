@preconcurrency import Glibc
@testable import IPCShell
import IPCSys
import XCTest
@testable import IPCSyntax

/// Issue 11.9: the session commands agree with themselves — `shm ls` marks and states, the
/// handles a suggestion offers, `set` alone.
final class SessionCommandsTests: ShellTestCase {
    /// The `shm ls` row of the segment with this shmid.
    private func lsRow(id: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try shell.run("shm ls")
        XCTAssertEqual(r.failures, 0, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stdout.hasPrefix("  key         shmid      owner     perms  bytes        nattch  status   handle\n"), r.stdout,
                      file: file, line: line)
        return try XCTUnwrap(r.stdout.split(separator: "\n").map(String.init).first { $0.dropFirst(14).hasPrefix("\(id) ") },
                             "no row for shmid \(id): \(r.stdout)", file: file, line: line)
    }

    func testShmLsShowsARemovedSegmentAsRemovedAndMarkedInTheSessionThatRemovedIt() throws {
        let key = shell.makeKey()
        XCTAssertEqual(try shell.run("a = shm create \(hexText(key)) 64; shm attach a").failures, 0)
        let id = try XCTUnwrap(shell.session.handle(named: "a") as? ShmHandle).id
        let before = try lsRow(id: id)
        XCTAssertTrue(before.hasPrefix("* ") && before.hasSuffix("1                a"), before)
        XCTAssertEqual(try shell.run("shm rm a").failures, 0)
        let row = try lsRow(id: id)
        XCTAssertTrue(row.hasPrefix("* 0x00000000  "), row)
        XCTAssertTrue(row.hasSuffix("1       removed  a"), row)
        XCTAssertEqual(try shell.run("shm detach a").failures, 0)
    }

    /// The session that only opened the segment sees the same when someone else removes it.
    func testShmLsShowsTheSameInTheSessionThatOpenedIt() throws {
        let key = shell.makeKey()
        let id = shmget(key, 64, IPC_CREAT | 0o600)
        XCTAssertGreaterThanOrEqual(id, 0)
        XCTAssertEqual(try shell.run("b = shm open \(hexText(key)); shm attach b").failures, 0)
        XCTAssertEqual(shmctl(id, IPC_RMID, nil), 0) // another process removes it
        let row = try lsRow(id: id)
        XCTAssertTrue(row.hasPrefix("* 0x00000000  "), row)
        XCTAssertTrue(row.hasSuffix("1       removed  b"), row)
        XCTAssertEqual(try shell.run("shm detach b").failures, 0)
    }

    /// Suggestions name only handles that can still be used.
    func testAnUnknownHandleSuggestsOnlyOpenOnes() throws {
        let gone = shell.makeKey(), kept = shell.makeKey()
        XCTAssertEqual(try shell.run("gone = shm create \(hexText(gone)) 8; kept = shm create \(hexText(kept)) 8; shm rm gone").failures, 0)
        let r = try shell.run("shm attach nosuch")
        XCTAssertEqual(r.failures, 1)
        XCTAssertTrue(r.stderr.hasSuffix("  the session has: kept\n"), r.stderr)
        XCTAssertEqual(try shell.run("shm rm kept").failures, 0)
        let none = try shell.run("shm attach gone2")
        XCTAssertTrue(none.stderr.contains("this session has no open shared memory segment left"), none.stderr)
        // Descriptors alike: a closed pipe is not offered.
        XCTAssertEqual(try shell.run("old = pipe; new = pipe; close old").failures, 0)
        defer { _ = try? shell.run("close new") }
        let read = try shell.run("read nosuch")
        XCTAssertTrue(read.stderr.hasSuffix("  the session has: new.r, new.w\n"), read.stderr)
    }

    /// `set` alone lists the variables, each as the command that sets it: run again, they come back.
    func testSetAloneListsTheVariablesAsCommandsThatSetThem() throws {
        let empty = try shell.run("set")
        XCTAssertEqual(empty.failures, 0, empty.stderr)
        XCTAssertEqual(empty.stdout, "no variables yet (set NAME VALUE makes one)\n")
        let r = try shell.run(#"set greeting "hello, world"; set empty; set odd "a\"b\\c\$d\te\xff é"; set"#)
        XCTAssertEqual(r.failures, 0, r.stderr)
        XCTAssertEqual(r.stdout, #"""
            set empty ""
            set greeting "hello, world"
            set odd "a\"b\\c\$d\te\xff é"

            """#)
        let again = ShellFixture()
        defer { again.tearDown() }
        XCTAssertEqual(try again.run(r.stdout).failures, 0)
        XCTAssertEqual(again.session.variables, shell.session.variables)
    }
}
