@preconcurrency import Glibc
import IPCSys
import XCTest

/// System V shared memory on real segments with unique keys in the test range (0x7e......).
final class SharedMemoryTests: XCTestCase {
    private var keys: [Int32] = []
    private var attachments: [UnsafeMutableRawPointer] = []
    private var traced: [String] = []

    override func tearDown() {
        SyscallTrace.sink = nil
        for address in attachments { shmdt(address) }
        for key in keys {
            let id = shmget(key, 0, 0)
            if id >= 0 { shmctl(id, IPC_RMID, nil) }
        }
        super.tearDown()
    }

    /// A key no segment uses, removed in tearDown.
    private func makeKey() -> Int32 {
        while true {
            let key = Int32(bitPattern: 0x7E00_0000 | UInt32.random(in: 0x0001...0xFF_FFFF))
            if shmget(key, 0, 0) == -1 && errno == ENOENT {
                keys.append(key)
                return key
            }
        }
    }

    private func create(_ key: Int32, size: Int = 64) throws -> Int32 {
        try SharedMemory.get(key: key, size: size, flags: IPC_CREAT | IPC_EXCL | 0o600)
    }

    private func attach(_ id: Int32, readOnly: Bool = false) throws -> UnsafeMutableRawPointer {
        let address = try SharedMemory.attach(id: id, readOnly: readOnly)
        attachments.append(address)
        return address
    }

    private func detach(_ address: UnsafeMutableRawPointer) throws {
        try SharedMemory.detach(address)
        attachments.removeAll { $0 == address }
    }

    func testLifecycleAndAttachCount() throws {
        let key = makeKey()
        let id = try create(key)
        XCTAssertEqual(shmget(key, 0, 0), id)

        var status = try SharedMemory.status(id: id)
        XCTAssertEqual(status.key, key)
        XCTAssertEqual(status.id, id)
        XCTAssertEqual(status.size, 64)
        XCTAssertEqual(status.mode, 0o600)
        XCTAssertEqual(status.attachCount, 0)
        XCTAssertEqual(status.creatorPID, getpid())
        XCTAssertEqual(status.ownerUID, getuid())
        XCTAssertEqual(status.attachTime, 0)
        XCTAssertFalse(status.markedForRemoval)

        let first = try attach(id)
        XCTAssertEqual(try SharedMemory.status(id: id).attachCount, 1)
        let second = try attach(id, readOnly: true)
        status = try SharedMemory.status(id: id)
        XCTAssertEqual(status.attachCount, 2)
        XCTAssertEqual(status.lastPID, getpid())
        XCTAssertGreaterThan(status.attachTime, 0)

        // Both attachments see the same memory.
        first.storeBytes(of: 0x41, toByteOffset: 10, as: UInt8.self)
        XCTAssertEqual(second.load(fromByteOffset: 10, as: UInt8.self), 0x41)

        try detach(second)
        XCTAssertEqual(try SharedMemory.status(id: id).attachCount, 1)
        try detach(first)
        status = try SharedMemory.status(id: id)
        XCTAssertEqual(status.attachCount, 0)
        XCTAssertGreaterThan(status.detachTime, 0)

        try SharedMemory.remove(id: id)
        XCTAssertEqual(shmget(key, 0, 0), -1)
        XCTAssertThrowsError(try SharedMemory.status(id: id)) { error in
            XCTAssertEqual((error as? SystemCallError)?.call, "shmctl")
        }
    }

    func testExclusiveCreateOfATakenKeyIsEEXIST() throws {
        let key = makeKey()
        let id = try create(key)
        XCTAssertThrowsError(try create(key)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("shmget", errno: EEXIST))
            XCTAssertEqual("\(error)", "shmget: EEXIST (File exists)")
        }
        // Without IPC_EXCL the same key finds the same segment.
        XCTAssertEqual(try SharedMemory.get(key: key, size: 64, flags: IPC_CREAT | 0o600), id)
        XCTAssertEqual(try SharedMemory.get(key: key, size: 0, flags: 0), id)
        try SharedMemory.remove(id: id)
    }

    func testOpeningAMissingKeyIsENOENTAndTooBigIsEINVAL() throws {
        let key = makeKey()
        XCTAssertThrowsError(try SharedMemory.get(key: key, size: 0, flags: 0)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("shmget", errno: ENOENT))
        }
        let id = try create(key, size: 64)
        XCTAssertThrowsError(try SharedMemory.get(key: key, size: 4096, flags: 0)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("shmget", errno: EINVAL))
        }
        try SharedMemory.remove(id: id)
    }

    func testRemovingAnAttachedSegmentMarksItUntilTheLastDetach() throws {
        let key = makeKey()
        let id = try create(key)
        let address = try attach(id)
        try SharedMemory.remove(id: id)
        let status = try SharedMemory.status(id: id)
        XCTAssertTrue(status.markedForRemoval)
        XCTAssertEqual(status.attachCount, 1)
        XCTAssertEqual(status.key, IPC_PRIVATE, "the kernel clears the key of a removed segment")
        try detach(address)
        XCTAssertThrowsError(try SharedMemory.status(id: id))
    }

    func testAttachingABadIdFails() {
        XCTAssertThrowsError(try SharedMemory.attach(id: -1, readOnly: false)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("shmat", errno: EINVAL))
        }
    }

    func testListSeesTheSegment() throws {
        let key = makeKey()
        let id = try create(key, size: 100)
        let address = try attach(id)
        let entry = try XCTUnwrap(try SharedMemory.list().first { $0.id == id })
        XCTAssertEqual(entry.key, key)
        XCTAssertEqual(entry.size, 100)
        XCTAssertEqual(entry.mode, 0o600)
        XCTAssertEqual(entry.attachCount, 1)
        XCTAssertEqual(entry.creatorPID, getpid())
        XCTAssertEqual(entry.ownerUID, getuid())
        try detach(address)
        try SharedMemory.remove(id: id)
        XCTAssertNil(try SharedMemory.list().first { $0.id == id })
    }

    func testMaximumSizeIsReadEvenAboveIntMax() throws {
        // The kernel's default shmmax is 18446744073692774399, more than an Int holds.
        let text = try FileSystem.readWholeFile("/proc/sys/kernel/shmmax")
        let kernel = try XCTUnwrap(UInt64(text.split(separator: "\n").first ?? ""))
        XCTAssertEqual(SharedMemory.maximumSize(), Int(clamping: kernel))
    }

    // MARK: Trace

    func testTraceLinesAreCLike() throws {
        let key = makeKey()
        SyscallTrace.sink = { [unowned self] entry in self.traced.append(entry.description) }
        let id = try create(key)
        XCTAssertThrowsError(try create(key))
        let address = try attach(id)
        _ = try SharedMemory.status(id: id)
        try detach(address)
        try SharedMemory.remove(id: id)
        SyscallTrace.sink = nil
        _ = try? SharedMemory.get(key: key, size: 0, flags: 0) // not traced once the sink is gone

        let hexKey = "0x" + String(UInt32(bitPattern: key), radix: 16)
        let addressText = address.debugDescription
        XCTAssertEqual(traced, [
            "shmget(\(hexKey), 64, IPC_CREAT|IPC_EXCL|0600) = \(id)",
            "shmget(\(hexKey), 64, IPC_CREAT|IPC_EXCL|0600) = -1 EEXIST (File exists)",
            "shmat(\(id), NULL, 0) = \(addressText)",
            "shmctl(\(id), IPC_STAT, &buf) = 0",
            "shmdt(\(addressText)) = 0",
            "shmctl(\(id), IPC_RMID, NULL) = 0",
        ])
        XCTAssertTrue(addressText.hasPrefix("0x"), addressText)
    }

    func testTraceFormatting() {
        XCTAssertEqual(SyscallTrace.hexKey(0xCEA), "0x00000cea")
        XCTAssertEqual(SyscallTrace.hexKey(-1), "0xffffffff")
        XCTAssertEqual(SyscallTrace.hexKey(0x7E12_3456), "0x7e123456")
        XCTAssertEqual(SyscallTrace.octalMode(0o600), "0600")
        XCTAssertEqual(SyscallTrace.octalMode(0), "0000")
        XCTAssertEqual(SharedMemory.ipcFlags(IPC_CREAT | 0o644), "IPC_CREAT|0644")
        XCTAssertEqual(SharedMemory.ipcFlags(IPC_CREAT | IPC_EXCL), "IPC_CREAT|IPC_EXCL")
    }
}
