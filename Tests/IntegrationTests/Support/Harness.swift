import Foundation
import IPCSys
import XCTest

/// Runs the built `ipcsh` binary and compiled C peers for integration tests.
/// (Foundation and `Process` are fine here: the tests are not the single-threaded shell.)
enum Harness {
    /// `.build/<config>/ipcsh`, next to the test bundle.
    static var ipcshPath: String {
        if let custom = ProcessInfo.processInfo.environment["IPCSH_BINARY"] { return custom }
        // On Linux the test bundle is an executable in the build folder, next to ipcsh.
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("ipcsh").path
    }

    /// The package root (for examples/).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs ipcsh with `arguments`, feeding `stdin`, and waits (at most `timeout` seconds; then kills it).
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        try runProgram(ipcshPath, arguments, stdin: stdin, environment: environment, timeout: timeout)
    }

    /// Whether process `pid` has a handler for SIGINT (bit 2 of SigCgt in /proc/PID/status).
    static func catchesSIGINT(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << (UInt64(SIGINT) - 1)) != 0
    }

    /// Runs `ipcsh -c SCRIPT`.
    @discardableResult
    static func runCommands(_ commands: String, extra: [String] = [], timeout: TimeInterval = 30) throws -> Result {
        try run(["-c", commands] + extra, timeout: timeout)
    }

    static func runProgram(_ path: String, _ arguments: [String], stdin: String? = nil,
                           environment: [String: String] = [:], timeout: TimeInterval = 30) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("ipcsh-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("ipcsh-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let inPipe = Pipe()
        process.standardInput = inPipe
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? outHandle.close(); try? errHandle.close()
            throw HarnessError.timedOut(arguments)
        }
        process.waitUntilExit()
        try? outHandle.close(); try? errHandle.close()
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, stdout: out, stderr: err)
    }

    /// Compiles `Tests/IntegrationTests/Peers/NAME.c` (again only when the source is newer) into
    /// the git-ignored `.build/test-peers/`, so nothing is left in /tmp; returns the binary's path.
    static func compilePeer(_ name: String) throws -> String {
        let source = packageRoot.appendingPathComponent("Tests/IntegrationTests/Peers/\(name).c").path
        let outDir = packageRoot.appendingPathComponent(".build/test-peers")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let binary = outDir.appendingPathComponent(name).path
        let attributes = FileManager.default
        if attributes.isExecutableFile(atPath: binary),
           let built = try? attributes.attributesOfItem(atPath: binary)[.modificationDate] as? Date,
           let written = try? attributes.attributesOfItem(atPath: source)[.modificationDate] as? Date,
           built >= written {
            return binary
        }
        // Compile to a private name, then rename: concurrent test processes never see half a binary.
        let temporary = binary + ".\(getpid()).tmp"
        let result = try runProgram("/usr/bin/env", ["cc", "-O1", "-Wall", "-o", temporary, source])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw HarnessError.compileFailed(name, result.stderr)
        }
        guard rename(temporary, binary) == 0 else { throw HarnessError.compileFailed(name, "rename failed") }
        return binary
    }

    /// A System V key unique to this test process and call, in a range no textbook example uses.
    static func uniqueKey() -> Int32 {
        keyLock.lock(); defer { keyLock.unlock() }
        keyCounter += 1
        let pidPart = UInt32(getpid() & 0xFFFF)
        return Int32(bitPattern: 0x7E00_0000 | (pidPart << 8) | UInt32(keyCounter & 0xFF))
    }

    static func hex(_ key: Int32) -> String { "0x" + String(UInt32(bitPattern: key), radix: 16) }

    /// Removes any segment with `key` (teardown safety net; ignores absence).
    static func removeSegment(key: Int32) {
        let id = shmget(key, 0, 0)
        if id >= 0 { shmctl(id, IPC_RMID, nil) }
    }

    /// Whether a segment with `key` exists.
    static func segmentExists(key: Int32) -> Bool { shmget(key, 0, 0) >= 0 }

    /// Removes any message queue and any semaphore set with `key` (teardown safety net).
    static func removeQueueAndSemaphores(key: Int32) {
        guard key != IPC_PRIVATE else { return }
        let queue = msgget(key, 0)
        if queue >= 0 { msgctl(queue, IPC_RMID, nil) }
        let set = semget(key, 0, 0)
        if set >= 0 { try? SemaphoreSets.remove(id: set) }
    }

    /// Whether a message queue with `key` exists.
    static func queueExists(key: Int32) -> Bool { msgget(key, 0) >= 0 }

    /// Whether a semaphore set with `key` exists.
    static func semaphoreSetExists(key: Int32) -> Bool { semget(key, 0, 0) >= 0 }

    /// Whether the queue with this msqid (any key, private included) still exists.
    static func queueExists(id: Int32) -> Bool {
        var ds = msqid_ds()
        return msgctl(id, IPC_STAT, &ds) == 0
    }

    /// Whether the semaphore set with this semid still exists (semctl IPC_STAT needs a union
    /// semun: `SEM_STAT_ANY`-free check through /proc instead).
    static func semaphoreSetExists(id: Int32) -> Bool {
        sysvIDs("/proc/sysvipc/sem").contains(id)
    }

    /// The ids (second column) of a /proc/sysvipc table: what `ipcs` lists.
    static func sysvIDs(_ table: String) -> Set<Int32> {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").dropFirst().compactMap { row in
            let fields = row.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 1 ? Int32(fields[1]) : nil
        })
    }

    /// Waits (at most `timeout`) until process `pid` sleeps in the kernel in a function whose
    /// name contains `call` (`/proc/PID/wchan`: `do_msgrcv`, `do_msgsnd`, `__do_semtimedop`):
    /// a peer is then really blocked in that call, not about to make it.
    @discardableResult
    static func waitUntilBlocked(_ pid: Int32, in call: String, timeout: TimeInterval = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let wchan = try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8), wchan.contains(call) {
                return true
            }
            usleep(10_000)
        }
        return false
    }

    /// Runs a Python 3 program (with `sysv_ipc` importable) with `arguments`.
    static func runPython(_ program: String, _ arguments: [String] = [], timeout: TimeInterval = 30) throws -> Result {
        try runProgram("/usr/bin/env", ["python3", "-c", program] + arguments, timeout: timeout)
    }

    /// A fresh temporary directory, removed by the caller's teardown.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ipcsh-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    nonisolated(unsafe) static var keyCounter = 0
    static let keyLock = NSLock()
}

final class HarnessAnchor {}

enum HarnessError: Error {
    case timedOut([String])
    case compileFailed(String, String)
}

/// Base class: removes every key a test asked for, even when the test fails.
class IPCTestCase: XCTestCase {
    private var keys: [Int32] = []
    private var directories: [URL] = []

    func makeKey() -> Int32 {
        let key = Harness.uniqueKey()
        Harness.removeSegment(key: key)
        Harness.removeQueueAndSemaphores(key: key)
        keys.append(key)
        return key
    }

    func makeDirectory() throws -> URL {
        let url = try Harness.temporaryDirectory()
        directories.append(url)
        return url
    }

    override func tearDown() {
        for key in keys {
            Harness.removeSegment(key: key)
            Harness.removeQueueAndSemaphores(key: key)
        }
        for dir in directories { try? FileManager.default.removeItem(at: dir) }
        keys = []
        directories = []
        super.tearDown()
    }
}
