import Foundation
import XCTest

/// Issue 17.1-2: `watch` prints each change of what it watches; `ps` names the call and handle
/// each child is blocked in, and a semaphore deadlock.
final class SeeingTests: IPCTestCase {
    func testWatchPrintsTheStartAndEachChangeOfARegion() throws {
        let r = try Harness.runCommands("""
            buf = shm create private 64
            shm attach buf
            fork { sleep 300ms; write buf one; sleep 300ms; write buf two }
            watch buf --count 2 --interval 20ms
            wait all
            shm rm buf
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").filter { $0.contains(" buf:") }.map { String($0.split(separator: " ", maxSplits: 1)[1]) }
        XCTAssertEqual(lines, ["buf:", "buf: one", "buf: two"], r.stdout)
    }

    func testWatchFollowsASemaphoreSetsValues() throws {
        let r = try Harness.runCommands("""
            s = sem create private 2
            fork { sleep 300ms; sem post s 1 }
            watch s --count 1 --interval 20ms
            wait all
            sem rm s
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("s: values 0 0\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("s: values 0 1\n"), r.stdout)
    }

    /// `ps` is asked a dozen times: a waiting `--timeout` semop is made in slices, and a loaded
    /// machine may show a process between two of them (running, or sleeping) at one moment.
    func testPsNamesTheCallAndHandleAndADeadlock() throws {
        let r = try Harness.runCommands("""
            cleanup on
            pipe
            s = sem create private 1 --value 1
            t = sem create private 1 --value 1
            fork
            fork
            fork { read pipe1.r }
            @child1 sem wait s 0
            @child2 sem wait t 0
            sleep 300ms
            @child1 sem wait t 0 --timeout 10s
            @child2 sem wait s 0 --timeout 10s
            sleep 500ms
            repeat 12 { ps; sleep 150ms }
            sem post s 0
            sem post t 0
            write pipe1.w x
            @child1 exit
            @child2 exit
            wait all
            """, timeout: 30)
        XCTAssertTrue(r.stdout.contains("running (this shell)"), r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"child1 \d+ blocked in semop\(t: 0-1\)"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"child2 \d+ blocked in semop\(s: 0-1\)"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"child3 \d+ blocked in read\(pipe1.r\)"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stdout.contains("deadlock: child1 waits for t[0] (held by child2), child2 waits for s[0] (held by child1)"), r.stdout)
    }
}

extension SeeingTests {
    /// Issue 17: the state commands take --json: one document each, values typed.
    func testStateCommandsGiveTypedJSON() throws {
        let r = try Harness.runCommands("""
            q = mq create private
            mq send q 5 hi
            s = sem create private 2 --value 1
            buf = shm create private 64
            status --json
            mq stat q --json
            sem stat s --json
            shm stat buf --json
            ipcs --json
            ps --json
            """, extra: ["--cleanup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let documents = try r.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(documents.count, 6, r.stdout)
        guard documents.count == 6 else { return }
        let handles = try XCTUnwrap(documents[0]["handles"] as? [[String: Any]])
        XCTAssertEqual(handles.map { $0["name"] as? String }, ["q", "s", "buf"])
        XCTAssertEqual(handles[2]["size"] as? Int, 64)
        XCTAssertEqual(handles[2]["attached"] as? Bool, false)
        XCTAssertEqual(documents[1]["qnum"] as? Int, 1)
        XCTAssertTrue(documents[1]["lrpid"] is NSNull, "absent is null")
        let semaphores = try XCTUnwrap(documents[2]["semaphores"] as? [[String: Any]])
        XCTAssertEqual(semaphores.map { $0["value"] as? Int }, [1, 1])
        XCTAssertEqual(documents[3]["size"] as? Int, 64)
        XCTAssertEqual(documents[3]["nattch"] as? Int, 0)
        let segments = try XCTUnwrap(documents[4]["segments"] as? [[String: Any]])
        XCTAssertTrue(segments.contains { $0["handle"] as? String == "buf" })
        let processes = try XCTUnwrap(documents[5]["processes"] as? [[String: Any]])
        XCTAssertEqual(processes.first?["name"] as? String, "ipcsh")
        XCTAssertTrue(documents[5]["deadlock"] is NSNull)
    }
}
