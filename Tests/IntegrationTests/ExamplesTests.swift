import Foundation
import XCTest

/// Runs every script in examples/ the way the README and the scripts' own comments say,
/// on unique keys (passed as `$1`), and checks what they print and that they leave nothing.
final class ExamplesTests: IPCTestCase {
    /// Every example this suite runs. Adding an example without a test here fails
    /// `testEveryExampleIsCovered`.
    static let covered: Set<String> = [
        "tour.ipcs", "shm-writer.ipcs", "shm-reader.ipcs",
        // Run by PipesAndProcessesTests:
        "unnamed-pipe.ipcs", "fifo-receiver.ipcs", "fifo-sender.ipcs", "actor-pipe.ipcs",
        // Run by SocketTests and RPCTests:
        "unix-echo.ipcs", "fd-passing.ipcs", "rpc-server.ipcs", "rpc-client.ipcs",
        "struct-writer.ipcs", "struct-reader.ipcs",
        // System V queues and semaphores (issue 13):
        "producer-consumer.ipcs", "msg-types.ipcs", "sem-undo.ipcs", "deadlock.ipcs",
        // POSIX IPC, mappings and signals (issue 14):
        "pmq-priorities.ipcs", "cow.ipcs", "signals.ipcs",
    ]

    static var examples: URL { Harness.packageRoot.appendingPathComponent("examples") }

    static func path(_ name: String) -> String { examples.appendingPathComponent(name).path }

    func testEveryExampleIsCovered() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path)
            .filter { $0.hasSuffix(".ipcs") }
        XCTAssertFalse(scripts.isEmpty, "no examples found in \(Self.examples.path)")
        XCTAssertEqual(Set(scripts).subtracting(Self.covered), [],
                       "examples without a test in ExamplesTests: add one and list it in `covered`")
        XCTAssertEqual(Self.covered.subtracting(scripts), [], "covered examples that no longer exist")
    }

    func testEveryExampleStartsWithAShebangAndSaysHowToRunIt() throws {
        for name in Self.covered.sorted() {
            let text = try String(contentsOfFile: Self.path(name), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.first, "#!/usr/bin/env ipcsh", name)
            let header = lines.dropFirst().prefix { $0.hasPrefix("#") }
            XCTAssertTrue(header.contains { $0.contains("ipcsh examples/\(name)") },
                          "\(name): its opening comment should show how to run it")
            XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.path(name)), "\(name) is not executable")
        }
    }

    // MARK: tour.ipcs

    func testTourRunsCleanlyAndLeavesNothing() throws {
        // The tour uses a private segment; the key is passed as the suite's convention and must stay unused.
        let key = makeKey()
        let result = try Harness.run([Self.path("tour.ipcs"), Harness.hex(key)])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "", "the tour should print no errors or leftover notices")
        let out = result.stdout
        for expected in ["hello, shared memory\n", "second string\n", "count 0\ncount 1\ncount 2\n",
                         "00000000: 6865 6c6c 6f2c 2073 6861 7265 6420 6d65  hello, shared me\n",
                         "nattch:   1\n", "nattch:   0\n", "buf: removed\n", "tour done"] {
            XCTAssertTrue(out.contains(expected), "tour output lacks \(expected.debugDescription):\n\(out)")
        }
        // The segment it made (named in its output) is gone from the kernel, and so is anything
        // else its process created.
        let shmid = try XCTUnwrap(firstNumber(after: "the kernel calls it shmid ", in: out), out)
        let pid = try XCTUnwrap(firstNumber(after: "cpid:     ", in: out), out)
        var status = shmid_ds()
        let stillThere = shmctl(Int32(shmid), IPC_STAT, &status) == 0 && Int(status.shm_cpid) == pid
        if stillThere { shmctl(Int32(shmid), IPC_RMID, nil) }
        XCTAssertFalse(stillThere, "tour left segment \(shmid) behind")
        XCTAssertEqual(segments(createdBy: pid), [], "tour left segments behind")
        XCTAssertFalse(Harness.segmentExists(key: key))
    }

    // MARK: shm-writer.ipcs and shm-reader.ipcs

    func testReaderSeesTheCounterTheWriterWrites() throws {
        let key = makeKey()
        let writerRounds = 4
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("ipcsh-writer-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL) }
        let outHandle = try FileHandle(forWritingTo: outURL)
        defer { try? outHandle.close() }

        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: Harness.ipcshPath)
        writer.arguments = [Self.path("shm-writer.ipcs"), Harness.hex(key), String(writerRounds)]
        writer.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
        writer.standardOutput = outHandle
        writer.standardError = outHandle
        writer.standardInput = FileHandle.nullDevice
        try writer.run()
        defer {
            if writer.isRunning { writer.terminate(); writer.waitUntilExit() }
        }

        // Start the reader once the writer has written its first value (its output is flushed
        // at each `sleep`), as a person would in a second terminal.
        func writerOutput() -> String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(30)
        while !writerOutput().contains("Wrote to shared mem: 0") && writer.isRunning && Date() < deadline {
            usleep(20_000)
        }
        XCTAssertTrue(writerOutput().contains("Wrote to shared mem: 0"), "writer never wrote:\n\(writerOutput())")

        let reader = try Harness.run([Self.path("shm-reader.ipcs"), Harness.hex(key), "2"])

        while writer.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(writer.isRunning, "writer did not finish")
        writer.waitUntilExit()
        let written = writerOutput()
        XCTAssertEqual(writer.terminationStatus, 0, written)
        XCTAssertEqual(reader.status, 0, reader.stderr)

        XCTAssertTrue(written.contains("buf: created segment key \(Harness.hex(key)), shmid"), written)
        let wroteValues = numbers(after: "Wrote to shared mem: ", in: written)
        XCTAssertEqual(wroteValues, Array(0..<writerRounds), written)

        XCTAssertTrue(reader.stdout.contains("buf: opened segment key \(Harness.hex(key))"), reader.stdout)
        let readValues = numbers(after: "Data read from shared mem: ", in: reader.stdout)
        XCTAssertEqual(readValues.count, 2, "reader should print one value per round:\n\(reader.stdout)")
        for value in readValues {
            XCTAssertTrue(wroteValues.contains(value), "reader printed \(value), which the writer never wrote")
        }
        XCTAssertEqual(readValues, readValues.sorted(), "the counter only goes up")

        // The writer removes the segment; the reader only detaches: nothing is left.
        XCTAssertFalse(Harness.segmentExists(key: key), "the writer should have removed the segment")
    }

    func testReaderWithoutAWriterFailsWithENOENT() throws {
        let key = makeKey()
        let result = try Harness.run([Self.path("shm-reader.ipcs"), Harness.hex(key), "1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("shm-reader.ipcs:"), result.stderr)
        XCTAssertTrue(result.stderr.contains("shmget: ENOENT"), result.stderr)
        XCTAssertFalse(Harness.segmentExists(key: key), "the reader must not create the segment")
    }

    func testReaderDefaultsToTheTextbooksKey() throws {
        // Only opens (never creates), so running it on the textbook key leaves nothing behind.
        try XCTSkipIf(Harness.segmentExists(key: 3306), "a segment with key 3306 exists on this machine")
        let result = try Harness.run([Self.path("shm-reader.ipcs")])
        XCTAssertTrue(result.stdout.hasPrefix("reader: key 3306, 10 rounds\n"), result.stdout)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("shmget: ENOENT"), result.stderr)
        XCTAssertFalse(Harness.segmentExists(key: 3306))
    }

    // MARK: producer-consumer.ipcs and producer-consumer.c

    /// The lines of `text` after `prefix` (a child's `[NAME PID] ` dropped first), as integers.
    private func values(after prefix: String, in text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            var line = Substring(line)
            if line.hasPrefix("["), let close = line.firstRange(of: "] ") { line = line[close.upperBound...] }
            return line.hasPrefix(prefix) ? Int(line.dropFirst(prefix.count)) : nil
        }
    }

    /// examples/producer-consumer.c, compiled as the README of the example says, warnings as errors.
    private func compileProducerConsumer() throws -> String {
        let binary = try makeDirectory().appendingPathComponent("producer-consumer").path
        let r = try Harness.runProgram("/usr/bin/env", ["cc", "-Wall", "-Wextra", "-Werror", "-o", binary,
                                                        Self.examples.appendingPathComponent("producer-consumer.c").path])
        XCTAssertEqual(r.status, 0, "producer-consumer.c must compile with -Wall -Wextra -Werror:\n\(r.stderr)")
        return binary
    }

    private func assertNothingLeft(key: Int32, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(Harness.segmentExists(key: key), "segment left", file: file, line: line)
        XCTAssertFalse(Harness.semaphoreSetExists(key: key), "semaphore set left", file: file, line: line)
        XCTAssertFalse(Harness.queueExists(key: key), "queue left", file: file, line: line)
    }

    func testProducerConsumerAloneReadsEveryValueOnceInOrder() throws {
        let key = makeKey()
        let r = try Harness.run([Self.path("producer-consumer.ipcs"), Harness.hex(key), "8", "8"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(values(after: "Data read from shared mem: ", in: r.stdout), Array(0..<8), r.stdout)
        XCTAssertTrue(r.stdout.contains("s: created semaphore set key \(Harness.hex(key)), semid "), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n1 0\n"), "empty = 1, full = 0 before anyone runs:\n\(r.stdout)")
        XCTAssertTrue(r.stdout.contains("every value was read once: the slot is empty again\nbuf: detached\nbuf: removed\ns: removed\n"),
                      r.stdout)
        assertNothingLeft(key: key)
        // By default it runs on a private key, with 5 values.
        let plain = try Harness.run([Self.path("producer-consumer.ipcs")])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(values(after: "Data read from shared mem: ", in: plain.stdout), Array(0..<5), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("s: created semaphore set key private"), plain.stdout)
    }

    func testProducerConsumerRefusesAKeyWhoseSetExists() throws {
        let key = makeKey()
        let taken = try Harness.run(["-c", "s = sem create \(Harness.hex(key)) 2"])
        XCTAssertEqual(taken.status, 0, taken.stderr)
        let r = try Harness.run([Self.path("producer-consumer.ipcs"), Harness.hex(key)])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("semget: EEXIST"), r.stderr)
        // cleanup on: the segment it had made is gone, the set it found is not its to remove.
        XCTAssertFalse(Harness.segmentExists(key: key), r.stderr)
        XCTAssertTrue(Harness.semaphoreSetExists(key: key))
    }

    func testProducerConsumerCProducerAndConsumerTakeTurns() throws {
        let key = makeKey()
        let c = try compileProducerConsumer()
        let producer = try BackgroundProgram(c, ["producer", Harness.hex(key), "6"])
        defer { producer.stop() }
        // The producer writes the first value at once (empty starts at 1), then waits.
        XCTAssertEqual(producer.readLine(), "Wrote to shared mem: 0")
        let consumer = try Harness.runProgram(c, ["consumer", Harness.hex(key), "6"])
        XCTAssertEqual(consumer.status, 0, consumer.stderr)
        XCTAssertEqual(values(after: "Data read from shared mem: ", in: consumer.stdout), Array(0..<6), consumer.stdout)
        var wrote = [0]
        while let line = producer.readLine() { wrote += values(after: "Wrote to shared mem: ", in: line) }
        XCTAssertEqual(wrote, Array(0..<6))
        XCTAssertEqual(producer.wait(), 0)
        assertNothingLeft(key: key)
    }

    func testIpcshProducerWithTheCConsumer() throws {
        let key = makeKey()
        let c = try compileProducerConsumer()
        let shell = try BackgroundProgram(Harness.ipcshPath, [Self.path("producer-consumer.ipcs"), Harness.hex(key), "6", "0"],
                                          standardError: true)
        defer { shell.stop() }
        var out: [String] = []
        while let line = shell.readLine(), !line.hasPrefix("consumer: forked pid") { out.append(line) }
        XCTAssertTrue(out.contains("1 0"), "\(out)")
        let consumer = try Harness.runProgram(c, ["consumer", Harness.hex(key), "6"])
        XCTAssertEqual(consumer.status, 0, consumer.stderr)
        XCTAssertEqual(values(after: "Data read from shared mem: ", in: consumer.stdout), Array(0..<6), consumer.stdout)
        out = []
        while let line = shell.readLine() { out.append(line) }
        XCTAssertEqual(shell.wait(), 0, out.joined(separator: "\n"))
        XCTAssertTrue(out.contains("every value was read once: the slot is empty again"), "\(out)")
        XCTAssertFalse(out.contains { $0.contains("Data read") }, "the script's own child consumed none: \(out)")
        assertNothingLeft(key: key)
    }

    func testTheCProducerWithIpcshsConsumer() throws {
        let key = makeKey()
        let c = try compileProducerConsumer()
        let shell = try BackgroundProgram(Harness.ipcshPath, [Self.path("producer-consumer.ipcs"), Harness.hex(key), "0", "6"],
                                          standardError: true)
        defer { shell.stop() }
        while let line = shell.readLine(), !line.hasPrefix("consumer: forked pid") {}
        let producer = try Harness.runProgram(c, ["producer", Harness.hex(key), "6"])
        XCTAssertEqual(producer.status, 0, producer.stderr)
        XCTAssertEqual(values(after: "Wrote to shared mem: ", in: producer.stdout), Array(0..<6), producer.stdout)
        var out: [String] = []
        while let line = shell.readLine() { out.append(line) }
        XCTAssertEqual(shell.wait(), 0, out.joined(separator: "\n"))
        XCTAssertEqual(values(after: "Data read from shared mem: ", in: out.joined(separator: "\n")), Array(0..<6), "\(out)")
        XCTAssertTrue(out.contains("s: removed"), "the script made the set, so it removes it: \(out)")
        assertNothingLeft(key: key)
    }

    // MARK: pmq-priorities.ipcs, cow.ipcs, signals.ipcs (issue 14)

    func testPmqPrioritiesHandsOutTheMostUrgentFirstAndLeavesNoQueue() throws {
        let r = try Harness.run([Self.path("pmq-priorities.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let jobs = r.stdout.split(separator: "\n").filter { $0.hasPrefix("job ") }
        XCTAssertEqual(jobs, ["job 0: priority 9: page the on-call", "job 1: priority 5: rotate the keys",
                              "job 2: priority 1: tidy the logs", "job 3: priority 1: empty the bins"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/mqueue/ipcsh-example-jobs"))
    }

    func testCowShowsTheSharedWriteAndKeepsThePrivateOneTheChilds() throws {
        let r = try Harness.run([Self.path("cow.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("the parent sees in the shared region:\nwritten by the child\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("the parent sees in its private mapping:\nwritten by the parent\n"), r.stdout)
        XCTAssertTrue(r.stdout.range(of: #"\[child1 \d+\] written by the child\n"#, options: .regularExpression) != nil, r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/ipcsh-example-cow.bin"))
    }

    func testSignalsShowsCoalescingAgainstQueueing() throws {
        let r = try Harness.run([Self.path("signals.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("handler:") }, ["handler: got USR1, value 0", "handler: got USR1, value 7"])
        XCTAssertEqual(lines.filter { $0.hasPrefix("USR2 from") }.count, 1, "three USR2 arrive once")
        XCTAssertEqual(lines.filter { $0.hasPrefix("RTMIN+1 number") },
                       ["RTMIN+1 number 0 carried value 0", "RTMIN+1 number 1 carried value 1", "RTMIN+1 number 2 carried value 2"])
        XCTAssertEqual(lines.last, "none", "nothing is pending at the end")
    }

    // MARK: msg-types.ipcs

    func testMsgTypesReceiversTakeOnlyTheirType() throws {
        let r = try Harness.run([Self.path("msg-types.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let out = r.stdout
        // The log line woke nobody: it waited on the queue.
        XCTAssertTrue(out.contains("qnum:     1 message waiting\n"), out)
        XCTAssertTrue(out.contains("lrpid:    none yet (last msgrcv)\n"), out)
        // Each receiver got only its type, the alert first as it was sent first.
        let alert = try XCTUnwrap(out.range(of: #"\[alerts \d+\] type 3: alert: low on pears\n"#, options: .regularExpression), out)
        let order = try XCTUnwrap(out.range(of: #"\[orders \d+\] type 2: order: 3 apples\n"#, options: .regularExpression), out)
        XCTAssertLessThan(alert.lowerBound, order.lowerBound, out)
        XCTAssertTrue(out.contains("type 1: log: shop opened\ntype 1: log: 2 orders\ntook type 2: order: 5 pears\ntype 3: alert: pears gone\nq: removed\n"),
                      out)
        let id = try XCTUnwrap(Int32(out.firstMatch(of: #/msqid (\d+)/#)?.1 ?? ""), out)
        XCTAssertFalse(Harness.queueExists(id: id))
    }

    // MARK: sem-undo.ipcs

    func testSemUndoGivesTheLockBackOnlyWithUndo() throws {
        let r = try Harness.run([Self.path("sem-undo.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.stdout
        XCTAssertTrue(out.range(of: #"\[careful \d+\] holding the lock \(value 0\), exiting without sem post\ncareful \(pid \d+\) exited with status 0\n1\nthe parent took the lock at once\n"#,
                                options: .regularExpression) != nil, out)
        XCTAssertTrue(out.range(of: #"careless \(pid \d+\) exited with status 0\n0\n"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.range(of: #"waiter \(pid \d+\) exited with status 1\n1\nlock: removed\n"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(r.stderr.range(of: #"^\[waiter \d+\] .*sem-undo.ipcs:\d+:\d+: error: sem wait: lock did not allow 0-1 within 1s\n$"#,
                                     options: .regularExpression) != nil, r.stderr)
        let id = try XCTUnwrap(Int32(out.firstMatch(of: #/semid (\d+)/#)?.1 ?? ""), out)
        XCTAssertFalse(Harness.semaphoreSetExists(id: id))
    }

    // MARK: deadlock.ipcs

    func testDeadlockShowsBothWaitingAndEndsCleanly() throws {
        let r = try Harness.run([Self.path("deadlock.ipcs")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.stdout
        let stats = out.components(separatedBy: "key:      IPC_PRIVATE\n")
        XCTAssertEqual(stats.count, 3, out)
        // While deadlocked: both taken, one waiter on each.
        XCTAssertTrue(stats[1].range(of: #"0: value 0  ncnt 1  zcnt 0  pid \d+\n1: value 0  ncnt 1  zcnt 0  pid \d+\n"#,
                                     options: .regularExpression) != nil, out)
        // p1 gave up; p2 got A and holds both, nobody waits.
        XCTAssertTrue(r.stderr.range(of: #"\[p1 \d+\] .*error: sem wait: locks did not allow 1-1 within 2s"#, options: .regularExpression) != nil,
                      r.stderr)
        XCTAssertFalse(r.stderr.contains("[p2 "), "p2 never timed out: \(r.stderr)")
        XCTAssertTrue(out.range(of: #"\[p2 \d+\] p2: I have A and B\n"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(stats[2].range(of: #"0: value 0  ncnt 0  zcnt 0  pid \d+\n1: value 0  ncnt 0  zcnt 0  pid \d+\n"#,
                                     options: .regularExpression) != nil, out)
        XCTAssertTrue(out.hasSuffix("\n1 1\nlocks: removed\n"), out)
        let id = try XCTUnwrap(Int32(out.firstMatch(of: #/semid (\d+)/#)?.1 ?? ""), out)
        XCTAssertFalse(Harness.semaphoreSetExists(id: id))
    }

    // MARK: struct-writer and struct-reader (.ipcs and .c)

    /// Compiles `examples/NAME.c` as its comment says, with every warning an error.
    private func compileExample(_ name: String) throws -> String {
        let binary = try makeDirectory().appendingPathComponent(name).path
        let result = try Harness.runProgram("/usr/bin/env", ["cc", "-Wall", "-Wextra", "-Werror", "-o", binary,
                                                            Self.examples.appendingPathComponent("\(name).c").path])
        XCTAssertEqual(result.status, 0, "examples/\(name).c does not compile cleanly:\n\(result.stderr)")
        return binary
    }

    /// Runs a struct writer (ipcsh or C) for `writerRounds`, starts a reader once the writer has
    /// written its first struct (as a person would in a second terminal), and checks both sides:
    /// the reader prints, for each round, a cnt and a buf the writer wrote, and the writer removes
    /// the segment.
    private func runStructPair(writer: (path: String, arguments: [String]), reader: (path: String, arguments: [String]),
                               key: Int32, writerRounds: Int = 3, readerRounds: Int = 2,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let outURL = try makeDirectory().appendingPathComponent("writer.out")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        defer { try? outHandle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: writer.path)
        process.arguments = writer.arguments + [Harness.hex(key), String(writerRounds)]
        process.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
        process.standardOutput = outHandle
        process.standardError = outHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
        }
        func written() -> String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(30)
        while !written().contains("Wrote: cnt = 0, buf = message 0\n") && process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        XCTAssertTrue(written().contains("Wrote: cnt = 0, buf = message 0\n"), "writer never wrote:\n\(written())", file: file, line: line)

        let read = try Harness.runProgram(reader.path, reader.arguments + [Harness.hex(key), String(readerRounds)])

        while process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(process.isRunning, "writer did not finish", file: file, line: line)
        process.waitUntilExit()
        let out = written()
        XCTAssertEqual(process.terminationStatus, 0, out, file: file, line: line)
        XCTAssertEqual(read.status, 0, read.stderr + read.stdout, file: file, line: line)

        XCTAssertTrue(out.hasPrefix("writer: key \(Harness.hex(key)), \(writerRounds) rounds\n"), out, file: file, line: line)
        let wrote = out.split(separator: "\n").filter { $0.hasPrefix("Wrote: ") }.map(String.init)
        XCTAssertEqual(wrote, (0..<writerRounds).map { "Wrote: cnt = \($0), buf = message \($0)" }, out, file: file, line: line)

        XCTAssertTrue(read.stdout.hasPrefix("reader: key \(Harness.hex(key)), \(readerRounds) rounds\n"), read.stdout, file: file, line: line)
        // "Read: cnt = N, buf = message M": both members as the writer stored them.
        var counts: [Int] = []
        for row in read.stdout.split(separator: "\n") where row.hasPrefix("Read: ") {
            let parts = row.dropFirst("Read: cnt = ".count).split(separator: ",", maxSplits: 1)
            let count = parts.first.flatMap { Int($0) }
            let message = parts.dropFirst().first.flatMap { $0.hasPrefix(" buf = message ") ? Int($0.dropFirst(" buf = message ".count)) : nil }
            XCTAssertNotNil(count, "not a Read line the writer's struct gives: \(row)", file: file, line: line)
            XCTAssertNotNil(message, "not a Read line the writer's struct gives: \(row)", file: file, line: line)
            if let count, let message {
                XCTAssertTrue((0..<writerRounds).contains(count), "cnt \(count) was never written", file: file, line: line)
                XCTAssertTrue((0..<writerRounds).contains(message), "buf message \(message) was never written", file: file, line: line)
                counts.append(count)
            }
        }
        XCTAssertEqual(counts.count, readerRounds, "one Read line per round:\n\(read.stdout)", file: file, line: line)
        XCTAssertEqual(counts, counts.sorted(), "the counter only goes up", file: file, line: line)
        XCTAssertFalse(Harness.segmentExists(key: key), "the writer should have removed the segment", file: file, line: line)
    }

    private var ipcsh: String { Harness.ipcshPath }

    func testStructReaderDecodesWhatTheStructWriterWrites() throws {
        try runStructPair(writer: (ipcsh, [Self.path("struct-writer.ipcs")]), reader: (ipcsh, [Self.path("struct-reader.ipcs")]),
                          key: makeKey())
    }

    func testIpcshStructReaderReadsTheCWriter() throws {
        try runStructPair(writer: (try compileExample("struct-writer"), []), reader: (ipcsh, [Self.path("struct-reader.ipcs")]),
                          key: makeKey())
    }

    func testCStructReaderReadsTheIpcshWriter() throws {
        try runStructPair(writer: (ipcsh, [Self.path("struct-writer.ipcs")]), reader: (try compileExample("struct-reader"), []),
                          key: makeKey())
    }

    func testStructReadersWithoutAWriterFailAndCreateNothing() throws {
        let key = makeKey()
        let shell = try Harness.run([Self.path("struct-reader.ipcs"), Harness.hex(key), "1"])
        XCTAssertEqual(shell.status, 1)
        XCTAssertTrue(shell.stderr.contains("shmget: ENOENT"), shell.stderr)
        let c = try Harness.runProgram(try compileExample("struct-reader"), [Harness.hex(key), "1"])
        XCTAssertEqual(c.status, 1)
        XCTAssertTrue(c.stderr.contains("No such file or directory"), c.stderr)
        XCTAssertFalse(Harness.segmentExists(key: key), "a reader must not create the segment")
    }

    // MARK: Helpers

    /// The integers that follow `prefix` at the start of lines, in order.
    private func numbers(after prefix: String, in text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix(prefix) ? Int(line.dropFirst(prefix.count)) : nil
        }
    }

    private func firstNumber(after prefix: String, in text: String) -> Int? {
        guard let range = text.range(of: prefix) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// shmids of segments whose creator pid is `pid` (from /proc/sysvipc/shm, as ipcs -m reads).
    private func segments(createdBy pid: Int) -> [Int] {
        guard let table = try? String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8) else { return [] }
        // key shmid perms size cpid lpid nattch ...
        return table.split(separator: "\n").dropFirst().compactMap { row in
            let fields = row.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 4, Int(fields[4]) == pid else { return nil }
            return Int(fields[1])
        }
    }
}
