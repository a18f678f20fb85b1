@preconcurrency import Glibc
@testable import IPCShell
import IPCSys
import XCTest
@testable import IPCSyntax
import IPCTeaching

/// A System V key in the test range (0x7e......) that no segment uses right now.
/// Random rather than counted: the integration tests run in the same process with their own counter.
func freeTestKey() -> Int32 {
    while true {
        let key = Int32(bitPattern: 0x7E00_0000 | UInt32.random(in: 0x0001...0xFF_FFFF))
        if shmget(key, 0, 0) == -1 && errno == ENOENT { return key }
    }
}

/// `0x7e12abcd`, as the language writes a key.
func hexText(_ key: Int32) -> String { "0x" + String(UInt32(bitPattern: key), radix: 16) }

/// Removes the segment with `key` if there is one.
func removeSegment(key: Int32) {
    let id = shmget(key, 0, 0)
    if id >= 0 { shmctl(id, IPC_RMID, nil) }
}

/// Tokens as short strings: `w:echo`, `;`, `{`, `}`; substitutions as `$(name)`, `$(name.field)`, `$1`, `$#`, `$@`, `$?`, `$_`.
func describe(_ tokens: [Token]) -> [String] {
    tokens.compactMap { token in
        switch token.kind {
        case .word(let word): return "w:" + describe(word)
        case .separator: return ";"
        case .openBrace: return "{"
        case .closeBrace: return "}"
        case .end: return nil
        }
    }
}

func describe(_ word: Word) -> String {
    word.parts.map(describe).joined()
}

func describe(_ part: WordPart) -> String {
        switch part {
        case .literal(let bytes): return Escaping.display(bytes)
        case .variable(let name, let field): return "$(" + name + (field.map { "." + $0 } ?? "") + ")"
        case .positional(let n): return "$\(n)"
        case .argumentCount: return "$#"
        case .allArguments: return "$@"
        case .lastStatus: return "$?"
        case .lastResult: return "$_"
        case .withDefault(let inner, let fallback): return "${" + describe(inner) + ":-" + Escaping.display(fallback) + "}"
        }
}

func tokenize(_ source: String, file: String = "t.ipcs") throws(Diagnostic) -> [Token] {
    var lexer = Lexer(source, file: file)
    return try lexer.tokenize()
}

/// The Diagnostic `body` throws, or a test failure.
func diagnostic<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
    do {
        _ = try body()
        XCTFail("expected a Diagnostic, got success", file: file, line: line)
        return nil
    } catch let d as Diagnostic {
        return d
    } catch {
        XCTFail("expected a Diagnostic, got \(error)", file: file, line: line)
        return nil
    }
}

/// A session and interpreter whose stdout and stderr go to unlinked temporary files,
/// so a test can read back exactly what the commands printed. Removes the segments of
/// every key it handed out and detaches every attachment when torn down.
final class ShellFixture {
    let session: Session
    let interpreter: Interpreter
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private var stdoutOffset = 0
    private var stderrOffset = 0
    private var keys: [Int32] = []

    init(positional: [String] = ["test.ipcs"]) {
        stdoutFD = ShellFixture.anonymousFile()
        stderrFD = ShellFixture.anonymousFile()
        session = Session(output: Output(stdoutFD: stdoutFD, stderrFD: stderrFD, useColor: false))
        session.positionalStack = [positional]
        interpreter = Interpreter(session: session)
        interpreter.enableRecording()
    }

    private static func anonymousFile() -> Int32 {
        var template = Array("/tmp/ipcsh-unit-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0, "mkstemp failed")
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    /// A free key in the test range whose segment is removed at tear-down.
    func makeKey() -> Int32 {
        let key = freeTestKey()
        keys.append(key)
        return key
    }

    struct Run {
        var stdout: String
        var stderr: String
        var stdoutBytes: [UInt8]
        /// Failures reported during this run.
        var failures: Int
    }

    /// Parses and runs `source` as the script `file`; returns what it printed.
    @discardableResult
    func run(_ source: String, file: String = "t.ipcs") throws -> Run {
        let before = interpreter.failureCount
        try interpreter.run(source: source, file: file)
        session.output.flush()
        let out = take(stdoutFD, &stdoutOffset)
        let err = take(stderrFD, &stderrOffset)
        return Run(stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                   stdoutBytes: out, failures: interpreter.failureCount - before)
    }

    /// Runs `source` as a script file runs (streamed, one command at a time), its simple
    /// commands run directly or, with `simpleCommandsDirectly` false, as parsed `Command`s.
    @discardableResult
    func runStreaming(_ source: String, file: String = "t.ipcs", simpleCommandsDirectly: Bool = true) throws -> Run {
        let before = interpreter.failureCount
        interpreter.runsSimpleCommandsDirectly = simpleCommandsDirectly
        defer { interpreter.runsSimpleCommandsDirectly = true }
        try interpreter.runTopLevel(streaming: Array(source.utf8), file: file)
        session.output.flush()
        let out = take(stdoutFD, &stdoutOffset)
        let err = take(stderrFD, &stderrOffset)
        return Run(stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                   stdoutBytes: out, failures: interpreter.failureCount - before)
    }

    private func take(_ fd: Int32, _ offset: inout Int) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n <= 0 { break }
            result += chunk[0..<n]
            offset += n
        }
        return result
    }

    func tearDown() {
        for case let shm as ShmHandle in session.handles(of: .shm) where shm.isAttached {
            try? shm.detach()
        }
        for key in keys { removeSegment(key: key) }
        close(stdoutFD)
        close(stderrFD)
    }
}

/// A test case with a shell fixture, torn down after every test.
class ShellTestCase: XCTestCase {
    var shell: ShellFixture!

    override func setUp() {
        super.setUp()
        shell = ShellFixture()
    }

    override func tearDown() {
        shell.tearDown()
        shell = nil
        super.tearDown()
    }
}
