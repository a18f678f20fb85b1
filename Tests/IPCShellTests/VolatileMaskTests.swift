@testable import IPCShell
@testable import IPCTeaching
import XCTest
@testable import IPCSyntax

/// What `ipcsh check` hides: values that change from run to run, and nothing else.
final class VolatileMaskTests: XCTestCase {
    func testDescriptorNumbersInStatusFieldsAreMasked() {
        // `status p` of a pipe, in the parent and relayed from an actor.
        XCTAssertEqual(VolatileMask.apply("  r      6"), VolatileMask.apply("  r      5"))
        XCTAssertEqual(VolatileMask.apply("[reader 8007]   w      7"), VolatileMask.apply("[reader 9001]   w      6"))
        XCTAssertEqual(VolatileMask.apply("  fd      12"), VolatileMask.apply("  fd      9"))
        XCTAssertEqual(VolatileMask.apply("  b      11"), VolatileMask.apply("  b      9"))
        // A POSIX queue's descriptor (pmq create prints it).
        XCTAssertEqual(VolatileMask.apply("jobs: created /q (mqd 6, 8 messages)"), VolatileMask.apply("jobs: created /q (mqd 5, 8 messages)"))
    }

    func testPortsAreMasked() {
        XCTAssertEqual(VolatileMask.apply("  port     32849"), VolatileMask.apply("  port     36633"))
        XCTAssertEqual(VolatileMask.apply("c: connected to tcp:127.0.0.1:32849 from 127.0.0.1:52922 (fd 7)"),
                       VolatileMask.apply("c: connected to tcp:127.0.0.1:36633 from 127.0.0.1:46250 (fd 6)"))
    }

    func testDataIsNotMasked() {
        // A value that only looks like a field: the lesson's data must still be compared.
        XCTAssertNotEqual(VolatileMask.apply("count 6"), VolatileMask.apply("count 7"))
        XCTAssertNotEqual(VolatileMask.apply("  size      4096"), VolatileMask.apply("  size      1024"))
        XCTAssertNotEqual(VolatileMask.apply("  r      6 extra"), VolatileMask.apply("  r      7 extra"))
        XCTAssertNotEqual(VolatileMask.apply("apple is red"), VolatileMask.apply("apple is blue"))
    }

    func testIdsPidsAddressesAndTimesAreMasked() {
        XCTAssertEqual(VolatileMask.apply("buf: created segment key private, shmid 688180, 4096 bytes, mode 0600"),
                       VolatileMask.apply("buf: created segment key private, shmid 17, 4096 bytes, mode 0600"))
        XCTAssertEqual(VolatileMask.apply("buf: attached at 0x7fb047f98000"), VolatileMask.apply("buf: attached at 0x7f0000001000"))
        XCTAssertEqual(VolatileMask.apply("[child1 8002] apple is red"), VolatileMask.apply("[child1 12] apple is red"))
        XCTAssertEqual(VolatileMask.apply("attached: 2026-11-25 15:07:00"), VolatileMask.apply("attached: 2027-01-01 00:00:59"))
        XCTAssertEqual(VolatileMask.apply("cpid:     7681 (created it)"), VolatileMask.apply("cpid:     9 (created it)"))
        // mq stat's last sender and receiver, sem stat's last process.
        XCTAssertEqual(VolatileMask.apply("lspid:    24640 (last msgsnd)"), VolatileMask.apply("lspid:    7 (last msgsnd)"))
        XCTAssertEqual(VolatileMask.apply("lrpid:    24640 (last msgrcv)"), VolatileMask.apply("lrpid:    7 (last msgrcv)"))
        XCTAssertNotEqual(VolatileMask.apply("lrpid:    24640 (last msgrcv)"), VolatileMask.apply("lrpid:    none yet (last msgrcv)"))
        XCTAssertEqual(VolatileMask.apply("1: value 0  ncnt 1  zcnt 0  pid 25029"), VolatileMask.apply("1: value 0  ncnt 1  zcnt 0  pid 3"))
        XCTAssertNotEqual(VolatileMask.apply("1: value 0  ncnt 1  zcnt 0  pid 25029"), VolatileMask.apply("1: value 0  ncnt 0  zcnt 0  pid 25029"))
    }

    /// A recorded script's error says where it was in the script; check runs it from the
    /// recording, where the same command sits on another line of another file.
    func testErrorLocationIsMasked() {
        XCTAssertEqual(VolatileMask.apply("lesson-pipe-trace.ipcs:45:1: error: open: ENOENT (No such file or directory)"),
                       VolatileMask.apply("examples/recordings/lesson-pipe-trace.ipcs:92:1: error: open: ENOENT (No such file or directory)"))
        XCTAssertEqual(VolatileMask.apply("lesson.ipcs:3:1: error: open: ENOENT (No such file or directory)"),
                       VolatileMask.apply("error: open: ENOENT (No such file or directory)"))
        XCTAssertEqual(VolatileMask.apply("[x 10345] @actor:1:1: error: unknown command 'nosuch'"),
                       VolatileMask.apply("[x 2] error: unknown command 'nosuch'"))
        // The message itself still counts.
        XCTAssertNotEqual(VolatileMask.apply("a.ipcs:1:1: error: open: ENOENT (No such file or directory)"),
                          VolatileMask.apply("a.ipcs:1:1: error: open: EACCES (Permission denied)"))
    }

    /// In a trace line, ids, descriptors and pids are masked; the data, sizes, flags, modes
    /// and byte counts are the lesson and are compared.
    func testTraceLinesMaskOnlyWhatChanges() {
        let same: [(String, String)] = [
            ("pipe([6, 7]) = 0", "pipe([5, 6]) = 0"),
            (#"write(7, "apple is red\0\0\0\0", 16) = 16"#, #"write(12, "apple is red\0\0\0\0", 16) = 16"#),
            ("shmget(0x00000cea, 1024, IPC_CREAT|0600) = 32769", "shmget(0x00000cea, 1024, IPC_CREAT|0600) = 5"),
            ("shmat(32769, NULL, 0) = 0x00007fbbf7b61000", "shmat(5, NULL, 0) = 0x00007f0000001000"),
            ("shmdt(0x00007fbbf7b61000) = 0", "shmdt(0x00007f0000001000) = 0"),
            ("shmctl(32769, IPC_RMID, NULL) = 0", "shmctl(5, IPC_RMID, NULL) = 0"),
            (#"open("./fifo", O_RDONLY|O_NONBLOCK) = 6"#, #"open("./fifo", O_RDONLY|O_NONBLOCK) = 9"#),
            ("fork() = 8300", "fork() = 12"),
            ("[child1 8300] pipe([6, 7]) = 0", "[child1 12] pipe([8, 9]) = 0"),
            ("kill(8300, SIGTERM) = 0", "kill(12, SIGTERM) = 0"),
            ("msgget(IPC_PRIVATE, IPC_CREAT|IPC_EXCL|0600) = 3", "msgget(IPC_PRIVATE, IPC_CREAT|IPC_EXCL|0600) = 32771"),
            (#"msgrcv(3, {20, "hello"}, 8192, 20, 0) = 5"#, #"msgrcv(32771, {20, "hello"}, 8192, 20, 0) = 5"#),
            ("semop(2, [{0, -1, SEM_UNDO}], 1) = 0", "semop(9, [{0, -1, SEM_UNDO}], 1) = 0"),
            ("semctl(2, 1, GETPID) = 24640", "semctl(9, 1, GETPID) = 12"),
        ]
        for (a, b) in same { XCTAssertEqual(VolatileMask.apply(a), VolatileMask.apply(b), a) }
        let different: [(String, String)] = [
            (#"write(7, "count 2", 8) = 8"#, #"write(7, "count 3", 8) = 8"#),
            (#"read(6, "apple", 512) = 5"#, #"read(6, "apple", 512) = 6"#),
            (#"read(6, "apple", 512) = 5"#, #"read(6, "apple", 4096) = 5"#),
            ("shmget(0x00000cea, 1024, IPC_CREAT|0600) = 1", "shmget(0x00000cea, 2048, IPC_CREAT|0600) = 1"),
            ("shmget(0x00000cea, 1024, IPC_CREAT|0600) = 1", "shmget(0x00000cea, 1024, IPC_CREAT|0666) = 1"),
            ("shmget(0x00000cea, 1024, IPC_CREAT|0600) = 1", "shmget(0x00000ceb, 1024, IPC_CREAT|0600) = 1"),
            (#"open("./fifo", O_RDONLY) = -1 ENOENT (No such file or directory)"#, #"open("./fifo", O_RDONLY) = 3"#),
            ("close(5) = 0", "close(5) = -1 EBADF (Bad file descriptor)"),
            // A semaphore's value is the lesson: GETVAL's result is compared.
            ("semctl(2, 1, GETVAL) = 1", "semctl(2, 1, GETVAL) = 0"),
            ("semop(2, [{0, -1, SEM_UNDO}], 1) = 0", "semop(2, [{0, -1, 0}], 1) = 0"),
        ]
        for (a, b) in different { XCTAssertNotEqual(VolatileMask.apply(a), VolatileMask.apply(b), a) }
    }
}
