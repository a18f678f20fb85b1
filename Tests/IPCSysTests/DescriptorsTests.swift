@preconcurrency import Glibc
import IPCSys
import XCTest

/// Pipes and FIFOs, as docs/pipes-and-fifos.md walks them, checked through the trace entries
/// the calls record. Every descriptor is closed and every FIFO removed.
final class DescriptorsTests: DescriptorTestCase {
    private func pipe() throws -> (read: Int32, write: Int32) {
        let ends = try Descriptors.pipe()
        openDescriptors += [ends.read, ends.write]
        return ends
    }

    /// Closes `fd` through IPCSys; tearDown will not close it again.
    private func close(through fd: Int32) throws {
        openDescriptors.removeAll { $0 == fd }
        try Descriptors.close(fd)
    }

    func testPipeWriteReadCloseAndEndOfFile() throws {
        let (ends, entries) = try recordingTrace { () throws -> (read: Int32, write: Int32) in
            let ends = try pipe()
            XCTAssertEqual(try Descriptors.write(ends.write, Array("apple is red\0\0\0\0".utf8)), 16)
            XCTAssertEqual(try Descriptors.read(ends.read, max: 512), Array("apple is red\0\0\0\0".utf8))
            try close(through: ends.write)
            XCTAssertEqual(try Descriptors.read(ends.read, max: 4096), [], "no writer left: end of file")
            return ends
        }
        let (r, w) = (Int(ends.read), Int(ends.write))
        XCTAssertEqual(entries, [
            TraceEntry("pipe", [.output(name: "fds", .descriptors([ends.read, ends.write]))], .returned(.int(0))),
            TraceEntry("write", [.int(w), .bytes(Array("apple is red\0\0\0\0".utf8)), .int(16)], .returned(.int(16))),
            TraceEntry("read", [.int(r), .output(name: "buf", .bytes(Array("apple is red\0\0\0\0".utf8))), .int(512)], .returned(.int(16))),
            TraceEntry("close", [.int(w)], .returned(.int(0))),
            TraceEntry("read", [.int(r), .output(name: "buf", .bytes([])), .int(4096)], .returned(.int(0))),
        ])
        // The same lines as trace on prints them (examples/recordings/lesson-pipe-trace.ipcs).
        XCTAssertEqual(entries.map(\.description), [
            "pipe([\(r), \(w)]) = 0",
            "write(\(w), \"apple is red\\0\\0\\0\\0\", 16) = 16",
            "read(\(r), \"apple is red\\0\\0\\0\\0\", 512) = 16",
            "close(\(w)) = 0",
            "read(\(r), \"\", 4096) = 0",
        ])
    }

    /// Reads that fit the shared scratch buffer and reads that do not (64 KiB and more) return
    /// exactly the bytes that came, with none of an earlier read's left over; the no-wait forms
    /// (`readIfReady`, `writeIfReady` of bytes held elsewhere) do the same and are traced alike.
    func testReadsBelowAndAboveTheScratchSizeReturnExactlyWhatCame() throws {
        let ends = try pipe()
        // A socket pair holds more than a pipe's 64 KiB: room for the large read.
        let (one, other) = try Sockets.pair()
        openDescriptors += [one, other]
        let pair = [one, other]
        for size in [1, 100, 4096, (64 << 10) - 1, 64 << 10, (64 << 10) + 1, 100_000] {
            let sent = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
            XCTAssertEqual(try Descriptors.write(pair[0], sent), size)
            var got: [UInt8] = []
            while got.count < size { got += try Descriptors.read(pair[1], max: size - got.count + 7) }
            XCTAssertEqual(got, sent, "a read of \(size) bytes")
        }
        // A short read after a long one: only the new bytes.
        XCTAssertEqual(try Descriptors.write(ends.write, Array("hi".utf8)), 2)
        XCTAssertEqual(try Descriptors.read(ends.read, max: 100_000), Array("hi".utf8))

        let (results, entries) = recordingTrace { () -> [String] in
            var seen: [String] = []
            let text = Array("hello-7".utf8)
            if case .done(let n) = text.withUnsafeBufferPointer({ Descriptors.writeIfReady(ends.write, $0) }) { seen.append("wrote \(n)") }
            if case .done(let bytes) = Descriptors.readIfReady(ends.read, max: 4096) { seen.append(String(decoding: bytes, as: UTF8.self)) }
            if case .wouldWait = Descriptors.readIfReady(ends.read, max: 4096) { seen.append("would wait") }
            return seen
        }
        XCTAssertEqual(results, ["wrote 7", "hello-7", "would wait"])
        XCTAssertEqual(entries.map(\.description), [
            "write(\(ends.write), \"hello-7\", 7) = 7",
            "read(\(ends.read), \"hello-7\", 4096) = 7",
        ], "a call that would have waited did not happen, and is not traced")
    }

    /// The forms that hand the bytes where they landed (`read(_:max:into:)`,
    /// `readIfReady(_:max:into:)`) see exactly what came, below, at and above the scratch
    /// buffer's size, and are traced as the array forms are, failures included.
    func testReadsIntoABodySeeExactlyWhatCame() throws {
        let ends = try pipe()
        let (one, other) = try Sockets.pair()
        openDescriptors += [one, other]
        for size in [1, 15, 16, 4096, (64 << 10) - 1, 64 << 10, (64 << 10) + 1, 100_000] {
            let sent = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ size) }
            XCTAssertEqual(try Descriptors.write(one, sent), size)
            var got: [UInt8] = []
            var calls = 0
            while got.count < size {
                let wanted = size - got.count + 3
                let n = try Descriptors.read(other, max: wanted) { got += $0; calls += 1 }
                XCTAssertGreaterThan(n, 0)
            }
            XCTAssertEqual(got, sent, "a read of \(size) bytes")
            XCTAssertGreaterThan(calls, 0)
        }
        let (results, entries) = recordingTrace { () -> [String] in
            var seen: [String] = []
            _ = try? Descriptors.write(ends.write, Array("hello-8".utf8))
            if case .done(let n) = Descriptors.readIfReady(ends.read, max: 4096, into: { seen.append(String(decoding: $0, as: UTF8.self)) }) {
                seen.append("read \(n)")
            }
            if case .wouldWait = Descriptors.readIfReady(ends.read, max: 4096, into: { _ in seen.append("called") }) { seen.append("would wait") }
            _ = try? Descriptors.write(ends.write, Array("x".utf8))
            if case .done(let n) = Descriptors.readIfReady(ends.read, max: 100_000, into: { seen.append(String(decoding: $0, as: UTF8.self)) }) {
                seen.append("read \(n)")
            }
            return seen
        }
        XCTAssertEqual(results, ["hello-8", "read 7", "would wait", "x", "read 1"])
        XCTAssertEqual(entries.map(\.description), [
            "write(\(ends.write), \"hello-8\", 7) = 7",
            "read(\(ends.read), \"hello-8\", 4096) = 7",
            "write(\(ends.write), \"x\", 1) = 1",
            "read(\(ends.read), \"x\", 100000) = 1",
        ])
        try close(through: ends.read)
        var called = false
        let (error, failed) = recordingFailure(try Descriptors.read(ends.read, max: 16) { _ in called = true })
        XCTAssertEqual(error?.errno, EBADF)
        XCTAssertFalse(called, "a failed read hands nothing over")
        XCTAssertEqual(failed.first?.description, "read(\(ends.read), buf, 16) = -1 EBADF (Bad file descriptor)")
    }

    func testClosingAnInvalidDescriptorFailsWithEBADF() {
        let (error, entries) = recordingFailure(try Descriptors.close(-1))
        XCTAssertEqual(error, SystemCallError("close", errno: EBADF))
        XCTAssertEqual(entries, [TraceEntry("close", [.int(-1)], .failed(errno: EBADF))])
        XCTAssertEqual(entries.first?.description, "close(-1) = -1 EBADF (Bad file descriptor)")
    }

    func testReadingAClosedPipeEndFailsAndShowsNoBuffer() throws {
        let ends = try pipe()
        try close(through: ends.read)
        let (error, entries) = recordingFailure(try Descriptors.read(ends.read, max: 16))
        XCTAssertEqual(error, SystemCallError("read", errno: EBADF))
        XCTAssertEqual(entries.first?.errno, EBADF)
        XCTAssertEqual(entries.first?.description, "read(\(ends.read), buf, 16) = -1 EBADF (Bad file descriptor)")
    }

    func testWritingWithNoReaderFailsWithEPIPE() throws {
        signal(SIGPIPE, SIG_IGN) // as the shell does: EPIPE, not death
        defer { signal(SIGPIPE, SIG_DFL) }
        let ends = try pipe()
        try close(through: ends.read)
        let (error, entries) = recordingFailure(try Descriptors.write(ends.write, Array("x".utf8)))
        XCTAssertEqual(error?.errno, EPIPE)
        XCTAssertEqual(entries.first?.description, "write(\(ends.write), \"x\", 1) = -1 EPIPE (Broken pipe)")
    }

    func testInternalPipeIsNotTraced() throws {
        let (ends, entries) = try recordingTrace { try Descriptors.internalPipe() }
        openDescriptors += [ends.read, ends.write]
        XCTAssertEqual(entries, [])
        XCTAssertNotEqual(fcntl(ends.read, F_GETFD) & FD_CLOEXEC, 0, "close-on-exec: spawned programs do not inherit it")
    }

    func testFIFOMakeOpenChmodUnlink() throws {
        let dir = try makeTemporaryDirectory()
        directory = dir
        let path = dir + "/fifo"
        let (fds, entries) = try recordingTrace { () throws -> [Int32] in
            try Descriptors.makeFIFO(path, mode: 0o600)
            // A non-blocking read open succeeds at once; then a writer finds its reader.
            let reader = try Descriptors.open(path, flags: O_RDONLY | O_NONBLOCK)
            openDescriptors.append(reader)
            let writer = try Descriptors.open(path, flags: O_WRONLY)
            openDescriptors.append(writer)
            _ = try Descriptors.write(writer, Array("hi".utf8))
            XCTAssertEqual(try Descriptors.read(reader, max: 8), Array("hi".utf8))
            try Descriptors.changeMode(path, 0o640)
            try Descriptors.unlink(path)
            return [reader, writer]
        }
        XCTAssertEqual(entries.map(\.description), [
            "mkfifo(\"\(path)\", 0600) = 0",
            "open(\"\(path)\", O_RDONLY|O_NONBLOCK) = \(fds[0])",
            "open(\"\(path)\", O_WRONLY) = \(fds[1])",
            "write(\(fds[1]), \"hi\", 2) = 2",
            "read(\(fds[0]), \"hi\", 8) = 2",
            "chmod(\"\(path)\", 0640) = 0",
            "unlink(\"\(path)\") = 0",
        ])
        XCTAssertEqual(entries[0].arguments, [.string(path), .mode(0o600)])
        XCTAssertFalse(Descriptors.isFIFO(path))
    }

    func testFIFOFailures() throws {
        let dir = try makeTemporaryDirectory()
        directory = dir
        let path = dir + "/fifo"
        try Descriptors.makeFIFO(path, mode: 0o600)
        XCTAssertTrue(Descriptors.isFIFO(path))
        XCTAssertEqual(Descriptors.permissions(path), 0o600)

        let (exists, existsEntries) = recordingFailure(try Descriptors.makeFIFO(path, mode: 0o600))
        XCTAssertEqual(exists, SystemCallError("mkfifo", errno: EEXIST))
        XCTAssertEqual(existsEntries.first?.description, "mkfifo(\"\(path)\", 0600) = -1 EEXIST (File exists)")

        // A non-blocking write open with no reader: ENXIO, rather than waiting.
        let (noReader, noReaderEntries) = recordingFailure(try Descriptors.open(path, flags: O_WRONLY | O_NONBLOCK))
        XCTAssertEqual(noReader?.errno, ENXIO)
        XCTAssertEqual(noReaderEntries.first?.description, "open(\"\(path)\", O_WRONLY|O_NONBLOCK) = -1 ENXIO (No such device or address)")

        let (created, createdEntries) = try recordingTrace { try Descriptors.open(dir + "/file", flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644) }
        openDescriptors.append(created)
        XCTAssertEqual(createdEntries.first?.description, "open(\"\(dir)/file\", O_WRONLY|O_CREAT|O_EXCL, 0644) = \(created)")

        try Descriptors.unlink(path)
        let (missing, missingEntries) = recordingFailure(try Descriptors.unlink(path))
        XCTAssertEqual(missing?.errno, ENOENT)
        XCTAssertEqual(missingEntries, [TraceEntry("unlink", [.string(path)], .failed(errno: ENOENT))])
    }

    func testNoSinkBuildsNoEntry() throws {
        var built = false
        SyscallTrace.sink = nil
        SyscallTrace.record("read", { built = true; return [] }(), .returned(.int(0)))
        XCTAssertFalse(built, "with no sink the arguments are never evaluated")
        SyscallTrace.sink = { _ in }
        SyscallTrace.record("read", { built = true; return [] }(), .returned(.int(0)))
        XCTAssertTrue(built)
    }

    func testLongDataIsCutAt32Bytes() {
        let entry = TraceEntry("write", [.int(5), .bytes(Array(repeating: 0x61, count: 40)), .int(40)], .returned(.int(40)))
        XCTAssertEqual(entry.description, "write(5, \"" + String(repeating: "a", count: 32) + "\"..., 40) = 40")
        XCTAssertEqual(TraceValue.bytes([0x0A, 0x09, 0x22, 0x5C, 0x01, 0xFF]).description, "\"\\n\\t\\\"\\\\\\x01\\xff\"")
    }
}
