@preconcurrency import Glibc
@testable import IPCShell
import IPCSys
@testable import IPCSyntax
import XCTest

/// Issue 10: a mechanism is its handle's conformances. Each persistent kind answers the
/// exit-notice and clean-up protocol on a real kernel object, each region kind gives its bytes
/// or a clear reason, and every handle kind a command can ask for is made by some command.
final class HandleProtocolTests: XCTestCase {
    private var cleanupKeys: [Int32] = []
    private var cleanupPaths: [String] = []

    override func tearDown() {
        for key in cleanupKeys { removeSegment(key: key) }
        for path in cleanupPaths { unlink(path) }
        super.tearDown()
    }

    private func segment(size: Int = 64) throws -> (key: Int32, id: Int32) {
        let key = freeTestKey()
        cleanupKeys.append(key)
        let id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0o600)
        XCTAssertGreaterThanOrEqual(id, 0)
        return (key, id)
    }

    func testASegmentCreatedHereIsALeftoverUntilCleanupRemovesIt() throws {
        let (key, id) = try segment()
        let shm = ShmHandle(name: "buf", key: key, id: id, size: 64, mode: 0o600, createdHere: true)
        XCTAssertTrue(shm.isLeftoverCandidate)
        XCTAssertTrue(shm.stillExists())
        XCTAssertEqual(shm.leftoverLine, "buf: key \(hexText(key)), shmid \(id), 64 bytes — remove with: ipcrm -m \(id)")
        let notice = shm.leftovers.notice([shm], true)
        XCTAssertEqual(notice, ["note: 1 shared memory segment created by this session remains in the kernel:",
                                "  buf: key \(hexText(key)), shmid \(id), 64 bytes — remove with: ipcrm -m \(id)  (or shm rm buf here)",
                                "  (ipcsh --cleanup or the command cleanup on removes them at exit)"])
        // Issue 11.14: a script has ended when its notice is read: no ipcsh command to type
        // "here", and `cleanup on` is something to put in the script.
        XCTAssertEqual(shm.leftovers.notice([shm], false),
                       ["note: 1 shared memory segment created by this session remains in the kernel:",
                        "  buf: key \(hexText(key)), shmid \(id), 64 bytes — remove with: ipcrm -m \(id)",
                        "  (ipcsh --cleanup, or cleanup on in the script, removes them at exit)"])
        try shm.attach(readOnly: false)
        XCTAssertEqual(try shm.removeForCleanup(), "buf (key \(hexText(key)), shmid \(id))")
        XCTAssertFalse(shm.isAttached, "clean-up detaches what it removes")
        XCTAssertFalse(shm.stillExists())
        XCTAssertFalse(shm.isLeftoverCandidate)
        // Gone already (someone else removed it): nothing to report, no error.
        let again = ShmHandle(name: "buf", key: key, id: id, size: 64, mode: 0o600, createdHere: true)
        XCTAssertNil(try again.removeForCleanup())
    }

    func testAnOpenedSegmentIsNeverALeftover() throws {
        let (key, id) = try segment()
        let shm = ShmHandle(name: "s", key: key, id: id, size: 64, mode: 0o600, createdHere: false)
        XCTAssertFalse(shm.isLeftoverCandidate, "only what this session created is its to name or remove")
    }

    func testASegmentIsAMemoryRegionOnlyWhileAttached() throws {
        let (key, id) = try segment(size: 128)
        let shm = ShmHandle(name: "r", key: key, id: id, size: 128, mode: 0o600, createdHere: true)
        XCTAssertNotNil(shm.asMemoryRegion, "a segment handle is a region")
        XCTAssertThrowsError(try shm.mappedBytes(for: "read")) { error in
            XCTAssertEqual((error as? Diagnostic)?.message, "read: r is not attached")
        }
        try shm.attach(readOnly: true)
        defer { try? shm.detach() }
        let bytes = try shm.mappedBytes(for: "read")
        XCTAssertEqual(bytes.count, 128)
        XCTAssertTrue(shm.isReadOnly)
        shm.removed = true
        XCTAssertThrowsError(try shm.mappedBytes(for: "write")) { error in
            XCTAssertEqual((error as? Diagnostic)?.message, "write: r was removed (shm rm)")
        }
    }

    func testAFIFOIsALeftoverAndCleanupUnlinksIt() throws {
        let path = "/tmp/ipcsh-protocol-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).fifo"
        cleanupPaths.append(path)
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let fifo = FIFORecord(path: path)
        XCTAssertTrue(fifo.stillExists())
        XCTAssertEqual(fifo.leftovers.notice([fifo], false), ["note: 1 FIFO made by this session remains: \(path) — remove with: rm \(path)"])
        XCTAssertEqual(try fifo.removeForCleanup(), path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertNil(try fifo.removeForCleanup(), "a FIFO already gone is not an error")
        XCTAssertEqual(fifo.leftovers.cleanup([path]), ["cleanup: removed FIFO \(path)"])
    }

    func testASegmentAChildReportedIsCheckedByIdAndKey() throws {
        let (key, id) = try segment()
        let record = SegmentRecord(id: id, key: key, size: 64, name: "s", creator: 4242)
        XCTAssertTrue(record.stillExists())
        XCTAssertTrue(record.leftoverLine.hasPrefix("s (made by child pid 4242): key \(hexText(key)), shmid \(id)"))
        // The same id with another key is another segment: not this record's to remove.
        let stranger = SegmentRecord(id: id, key: key &+ 1, size: 64, name: "t", creator: 4242)
        XCTAssertFalse(stranger.stillExists())
        XCTAssertNil(try stranger.removeForCleanup())
        XCTAssertTrue(record.stillExists())
        XCTAssertNotNil(try record.removeForCleanup())
        XCTAssertFalse(record.stillExists())
    }

    func testSessionFinishGroupsEveryKindInOrder() throws {
        let (key, id) = try segment()
        let path = "/tmp/ipcsh-protocol-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).fifo"
        cleanupPaths.append(path)
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let session = Session(output: Output(stdoutFD: -1, stderrFD: -1, useColor: false))
        session.register(ShmHandle(name: "", key: key, id: id, size: 64, mode: 0o600, createdHere: true), requestedName: "seg")
        session.createdObjects.append(FIFORecord(path: path))
        let notice = session.finish()
        XCTAssertEqual(notice.first, "note: 1 FIFO made by this session remains: \(path) — remove with: rm \(path)")
        XCTAssertEqual(notice.dropFirst().first, "note: 1 shared memory segment created by this session remains in the kernel:")
        session.cleanupOnExit = true
        XCTAssertEqual(session.finish(), ["cleanup: removed FIFO \(path)", "cleanup: removed seg (key \(hexText(key)), shmid \(id))"])
        XCTAssertEqual(session.finish(), [], "nothing is left to name or remove")
    }

    /// Issue 13: a queue and a semaphore set created here answer the exit-notice and clean-up
    /// protocol as a segment does (ipcrm -q / ipcrm -s), and one opened here never does.
    func testAQueueAndASemaphoreSetCreatedHereAreLeftoversUntilCleanupRemovesThem() throws {
        let queueKey = freeTestKey(), setKey = freeTestKey()
        let queueID = msgget(queueKey, IPC_CREAT | IPC_EXCL | 0o600)
        let setID = semget(setKey, 2, IPC_CREAT | IPC_EXCL | 0o600)
        defer {
            if queueID >= 0 { msgctl(queueID, IPC_RMID, nil) }
            if setID >= 0 { _ = try? SemaphoreSets.remove(id: setID) }
        }
        XCTAssertGreaterThanOrEqual(queueID, 0)
        XCTAssertGreaterThanOrEqual(setID, 0)
        let queue = MessageQueueHandle(name: "q", key: queueKey, id: queueID, mode: 0o600, createdHere: true)
        let set = SemaphoreSetHandle(name: "s", key: setKey, id: setID, count: 2, mode: 0o600, createdHere: true)
        XCTAssertFalse(MessageQueueHandle(name: "o", key: queueKey, id: queueID, mode: 0o600, createdHere: false).isLeftoverCandidate)
        let session = Session(output: Output(stdoutFD: -1, stderrFD: -1, useColor: false))
        session.register(queue, requestedName: "q")
        session.register(set, requestedName: "s")
        XCTAssertEqual(session.finish(), [
            "note: 1 message queue created by this session remains in the kernel:",
            "  q: key \(hexText(queueKey)), msqid \(queueID) — remove with: ipcrm -q \(queueID)",
            "  (ipcsh --cleanup, or cleanup on in the script, removes them at exit)",
            "note: 1 semaphore set created by this session remains in the kernel:",
            "  s: key \(hexText(setKey)), semid \(setID), 2 semaphores — remove with: ipcrm -s \(setID)",
            "  (ipcsh --cleanup, or cleanup on in the script, removes them at exit)",
        ])
        session.cleanupOnExit = true
        XCTAssertEqual(session.finish(), ["cleanup: removed q (key \(hexText(queueKey)), msqid \(queueID))",
                                          "cleanup: removed s (key \(hexText(setKey)), semid \(setID))"])
        XCTAssertFalse(queue.stillExists())
        XCTAssertFalse(set.stillExists())
        XCTAssertEqual(session.finish(), [], "nothing is left to name or remove")
    }

    /// What a forked child reports it made comes back as a record the notice and clean-up cover.
    func testQueuesAndSetsAChildReportsRoundTripThroughTheReportLine() {
        for kind: ChildCreatedObject.Kind in [.queue(id: 7, key: 3306), .semaphores(id: 9, key: -1, count: 3)] {
            let object = ChildCreatedObject(kind: kind, creator: 4242, name: "q1")
            let line = object.encoded
            XCTAssertEqual(ChildCreatedObject(line: line.dropLast()), object)
        }
    }

    /// Every handle kind that a command's argument asks for is a kind some command makes, and
    /// every kind has a name for messages.
    func testEveryHandleKindACommandNeedsExists() {
        let kindsNamed = Set(HandleKind.allCases)
        for (name, spec) in CommandRegistry.standard.specs {
            for argument in spec.arguments {
                switch argument.kind {
                case .handle(let kinds), .handleOrKey(let kinds), .handleOrAll(let kinds):
                    XCTAssertFalse(kinds.isEmpty && name != "status", "\(name) \(argument.name): say which kinds of handle it takes")
                    for kind in kinds {
                        XCTAssertTrue(kindsNamed.contains(kind))
                        XCTAssertFalse(kind.displayName.isEmpty)
                    }
                default:
                    break
                }
            }
        }
    }
}

/// Issue 11.9: `status` says "actor" once.
final class ChildSummaryTests: XCTestCase {
    func testAnActorIsNamedOnce() {
        let forked = ChildHandle(pid: 4243, role: .actor, program: "actor", commandFD: 1000, stdoutFD: nil, stderrFD: nil)
        forked.name = "reader"
        XCTAssertEqual(forked.summary, "pid 4243  actor (@reader COMMAND)  running")
        let spawned = ChildHandle(pid: 4244, role: .spawn, program: "actor", commandFD: 1001, stdoutFD: nil, stderrFD: nil)
        spawned.name = "child2"
        XCTAssertEqual(spawned.summary, "pid 4244  spawn actor (@child2 COMMAND)  running")
        let block = ChildHandle(pid: 4245, role: .fork, program: "{ echo }", commandFD: nil, stdoutFD: nil, stderrFD: nil)
        block.name = "child3"
        XCTAssertEqual(block.summary, "pid 4245  fork  running")
    }
}
