@preconcurrency import Glibc
@testable import IPCShell
import XCTest
@testable import IPCSyntax

/// A pipe handle backed by a real pipe(), to show that completion filters handles by kind.
private final class PipeTestHandle: Handle {
    let kind = HandleKind.pipe
    var name = ""
    var fds: [Int32] = [-1, -1]
    init() { _ = pipe(&fds) }
    var isOpen: Bool { fds[0] >= 0 }
    var summary: String { "read end \(fds[0]), write end \(fds[1])" }
    var fields: [(name: String, value: String)] { [("r", String(fds[0])), ("w", String(fds[1]))] }
    func close() {
        for fd in fds where fd >= 0 { Glibc.close(fd) }
        fds = [-1, -1]
    }
}

final class CompletionTests: ShellTestCase {
    private var pipeHandle: PipeTestHandle?
    private var directory: String?

    override func tearDown() {
        pipeHandle?.close()
        if let directory { _ = try? removeTree(directory) }
        super.tearDown()
    }

    /// Completes the last word of `line` (readline gives the word's start and the cursor).
    private func complete(_ line: String) -> [String] {
        let bytes = Array(line.utf8)
        var start = bytes.count
        while start > 0, bytes[start - 1] != 0x20, bytes[start - 1] != 0x09 { start -= 1 }
        return Completion.candidates(line: line, start: start, end: bytes.count,
                                     session: shell.session, registry: shell.interpreter.registry)
    }

    /// Two segments (`buf`, `other`) and a pipe handle.
    private func makeHandles() throws {
        let r = try shell.run("buf = shm create \(hexText(shell.makeKey())) 64; other = shm create \(hexText(shell.makeKey())) 64")
        XCTAssertEqual(r.failures, 0, r.stderr)
        let p = PipeTestHandle()
        pipeHandle = p
        shell.session.register(p, requestedName: "p1")
    }

    func testCommandsAtTheStart() {
        XCTAssertEqual(complete(""), shell.interpreter.registry.topLevel)
        XCTAssertEqual(complete("sh"), ["shm"])
        XCTAssertEqual(Set(complete("e")), ["echo", "emit-c", "eventfd", "exit", "expect"])
        XCTAssertEqual(complete("zz"), [])
    }

    func testCommandsAfterSeparatorsBindingsAndBraces() {
        XCTAssertEqual(complete("echo a; sl"), ["sleep"])
        XCTAssertEqual(complete("x = sh"), ["shm"])
        XCTAssertEqual(complete("repeat 2 { ec"), ["echo"])
        XCTAssertEqual(Set(complete("repeat 2 { echo a }; ex")), ["exit", "expect"])
    }

    func testSubcommands() {
        XCTAssertEqual(complete("shm "), shell.interpreter.registry.groups["shm"])
        XCTAssertEqual(complete("shm c"), ["create"])
        XCTAssertEqual(complete("shm d"), ["detach", "dump"])
        XCTAssertEqual(complete("x = shm a"), ["attach"])
    }

    func testHandlesOfTheRightKind() throws {
        try makeHandles()
        XCTAssertEqual(complete("shm attach "), ["buf", "other"])
        XCTAssertEqual(complete("shm attach b"), ["buf"])
        XCTAssertEqual(complete("write "), ["buf", "other"])
        XCTAssertEqual(complete("shm rm o"), ["other"])
        XCTAssertEqual(complete("status "), ["buf", "other", "p1"])
        // wait takes a child or all.
        XCTAssertEqual(complete("wait a"), ["all"])
    }

    func testRemovedHandlesAreNotOffered() throws {
        try makeHandles()
        let r = try shell.run("shm rm other")
        XCTAssertEqual(r.failures, 0, r.stderr)
        XCTAssertEqual(complete("shm attach "), ["buf"])
    }

    func testOptions() {
        XCTAssertEqual(complete("shm create 1 64 --"), ["--mode", "--excl"])
        XCTAssertEqual(complete("shm create 1 64 --e"), ["--excl"])
        XCTAssertEqual(complete("write buf hi -"), ["--at", "--as", "--raw", "--size", "--nonblock", "--timeout"])
        // Past the last argument, options are what is left.
        XCTAssertEqual(complete("shm create 1 64 "), ["--mode", "--excl"])
    }

    func testOptionValueAndPositionAfterOptions() throws {
        try makeHandles()
        XCTAssertEqual(complete("write --at 3 "), ["buf", "other"])
        XCTAssertEqual(complete("write buf --raw "), [])
        XCTAssertEqual(complete("shm create --mode 0600 "), ["private", "ftok:"])
    }

    func testKeywordsAndKeys() {
        XCTAssertEqual(complete("cleanup "), ["on", "off"])
        XCTAssertEqual(complete("cleanup o"), ["on", "off"])
        XCTAssertEqual(complete("cleanup of"), ["off"])
        XCTAssertEqual(complete("shm create "), ["private", "ftok:"])
        XCTAssertEqual(complete("shm open p"), ["private"])
    }

    /// Issue 11.5: addresses, unix sockets and methods complete as their kinds say.
    func testAddressesSocketsAndMethods() throws {
        XCTAssertEqual(complete("sock listen "), ["unix:", "tcp:", "udp:"])
        XCTAssertEqual(complete("sock connect t"), ["tcp:"])
        XCTAssertEqual(complete("rpc serve "), ["unix:", "tcp:"])
        XCTAssertEqual(complete("rpc call u"), ["unix:"])
        let r = try shell.run("s = sock pair; p = pipe; proc greet { echo hi }; proc grow { echo up }")
        XCTAssertEqual(r.failures, 0, r.stderr)
        defer { _ = try? shell.run("close s; close p") }
        XCTAssertEqual(complete("sock sendfd "), ["s.a", "s.b"])
        XCTAssertEqual(complete("sock recvfd s"), ["s.a", "s.b"])
        XCTAssertEqual(complete("sock sendfd s.a "), ["s.a", "s.b", "p.r", "p.w"])
        XCTAssertEqual(complete("rpc call unix:/tmp/x.sock g"), ["greet", "grow"])
        XCTAssertEqual(complete("rpc call unix:/tmp/x.sock greet "), [])
    }

    /// Issue 12: struct names after --as and sizeof, members after offsetof STRUCT and after
    /// write --as STRUCT (as MEMBER=).
    func testStructNamesAndMembers() throws {
        try makeHandles()
        let r = try shell.run("struct hdr { int len; }; struct packet { struct hdr h; char data[8]; }")
        XCTAssertEqual(r.failures, 0, r.stderr)
        XCTAssertEqual(complete("read buf --as "), ["hdr", "packet"])
        XCTAssertEqual(complete("read buf --as p"), ["packet"])
        XCTAssertEqual(complete("sizeof "), ["hdr", "packet"])
        XCTAssertEqual(complete("offsetof packet "), ["h", "h.len", "data"])
        XCTAssertEqual(complete("offsetof packet h"), ["h", "h.len"])
        XCTAssertEqual(complete("write buf --as packet "), ["h=", "h.len=", "data="])
        XCTAssertEqual(complete("write buf --as packet h.len=3 d"), ["data="])
        XCTAssertEqual(complete("write buf --as nosuch "), [])
    }

    /// Issue 14.6: POSIX names complete from where Linux shows them (/dev/shm, /dev/mqueue), and
    /// `rm` also offers the session's handles.
    func testPosixNamesComplete() throws {
        let stem = "/ipcsh-comp-\(getpid())"
        let r = try shell.run("s = psem create \(stem)-s 0; f = pshm create \(stem)-f 16")
        defer { _ = try? shell.run("psem rm \(stem)-s; pshm rm \(stem)-f") }
        XCTAssertEqual(r.failures, 0, r.stderr)
        XCTAssertEqual(complete("psem open \(stem)"), ["\(stem)-s"])
        XCTAssertEqual(complete("pshm open \(stem)"), ["\(stem)-f"])
        XCTAssertEqual(complete("psem rm "), complete("psem rm /") + ["s"])
        XCTAssertTrue(complete("psem rm ").contains("\(stem)-s"))
    }

    /// Issue 11.15: an option already given is not offered again.
    func testOptionsAlreadyGivenAreNotOfferedAgain() throws {
        try makeHandles()
        XCTAssertEqual(complete("shm attach buf "), ["--readonly"])
        XCTAssertEqual(complete("shm attach buf --readonly "), [])
        XCTAssertEqual(complete("shm attach buf --readonly --"), [])
        XCTAssertEqual(complete("write buf hi --raw --at=3 --"), ["--as", "--size", "--nonblock", "--timeout"])
        XCTAssertEqual(complete("shm create 1 64 --excl "), ["--mode"])
    }

    /// Issue 11.15: `@` completes to the actors, and only to them.
    func testAtCompletesActorNames() {
        let reader = ChildHandle(pid: 4243, role: .actor, program: "actor", commandFD: 1000, stdoutFD: nil, stderrFD: nil)
        let remote = ChildHandle(pid: 4244, role: .spawn, program: "actor", commandFD: 1001, stdoutFD: nil, stderrFD: nil)
        let block = ChildHandle(pid: 4245, role: .fork, program: "{ echo }", commandFD: nil, stdoutFD: nil, stderrFD: nil)
        let ended = ChildHandle(pid: 4246, role: .actor, program: "actor", commandFD: 1002, stdoutFD: nil, stderrFD: nil)
        ended.exitStatus = .exited(0)
        shell.session.register(reader, requestedName: "reader")
        shell.session.register(remote, requestedName: nil)
        shell.session.register(block, requestedName: "worker")
        shell.session.register(ended, requestedName: "gone")
        XCTAssertEqual(complete("@"), ["@reader", "@child1"])
        XCTAssertEqual(complete("@r"), ["@reader"])
        XCTAssertEqual(complete("echo a; @c"), ["@child1"])
        XCTAssertEqual(complete("@reader sh"), ["shm"])
    }

    /// Issue 11.15: a signal's position offers signal names.
    func testSignalNames() {
        XCTAssertEqual(complete("kill child3 T"), ["TERM", "TSTP"])
        XCTAssertEqual(complete("kill child3 SIGU"), ["SIGUSR1", "SIGUSR2"])
        XCTAssertTrue(complete("kill child3 ").contains("KILL"))
    }

    /// Issue 11.15: paths complete after unix: and ftok:, each with its start; a file after ftok:
    /// comes with the ':' before its ID.
    func testPathsAfterUnixAndFtok() throws {
        let dir = try makeDirectoryWithFiles()
        XCTAssertEqual(complete("sock listen unix:\(dir)/al"), ["unix:\(dir)/alpha.ipcs", "unix:\(dir)/alpine.txt"])
        XCTAssertEqual(complete("rpc call unix:\(dir)/b"), ["unix:\(dir)/beta/"])
        XCTAssertEqual(complete("shm create ftok:\(dir)/alph"), ["ftok:\(dir)/alpha.ipcs:"])
        XCTAssertEqual(complete("shm open ftok:\(dir)/b"), ["ftok:\(dir)/beta/"])
        XCTAssertEqual(complete("shm create ftok:\(dir)/alpha.ipcs:"), [])
        XCTAssertEqual(complete("sock connect tcp:127"), [])
    }

    func testHelpCompletesCommandsThenSubcommands() {
        XCTAssertEqual(complete("help sh"), ["shm"])
        XCTAssertEqual(complete("help shm cr"), ["create"])
        XCTAssertEqual(complete("help echo x"), [])
    }

    func testActorPrefixIsSkipped() {
        XCTAssertEqual(complete("@child1 sh"), ["shm"])
    }

    func testUnknownCommandHasNoCandidates() {
        XCTAssertEqual(complete("nosuch "), [])
        XCTAssertEqual(complete("shm nosuch "), [])
    }

    /// A directory (removed at tear-down) with alpha.ipcs, alpine.txt, .hidden and beta/.
    private func makeDirectoryWithFiles() throws -> String {
        var template = Array("/tmp/ipcsh-complete-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let dir = String(cString: try XCTUnwrap(made))
        directory = dir
        for file in ["alpha.ipcs", "alpine.txt", ".hidden"] {
            let fd = open(dir + "/" + file, O_CREAT | O_WRONLY, 0o600)
            XCTAssertGreaterThanOrEqual(fd, 0)
            close(fd)
        }
        XCTAssertEqual(mkdir(dir + "/beta", 0o700), 0)
        return dir
    }

    func testPaths() throws {
        let dir = try makeDirectoryWithFiles()

        XCTAssertEqual(complete("source \(dir)/"), ["\(dir)/alpha.ipcs", "\(dir)/alpine.txt", "\(dir)/beta/"])
        XCTAssertEqual(complete("source \(dir)/alp"), ["\(dir)/alpha.ipcs", "\(dir)/alpine.txt"])
        XCTAssertEqual(complete("source \(dir)/b"), ["\(dir)/beta/"])
        XCTAssertEqual(complete("source \(dir)/."), ["\(dir)/.hidden"])
        XCTAssertEqual(complete("source \(dir)/none"), [])
        XCTAssertEqual(Completion.paths("/nonexistent-ipcsh-dir/x"), [])
    }

    private func removeTree(_ path: String) throws {
        for name in ["alpha.ipcs", "alpine.txt", ".hidden"] { unlink(path + "/" + name) }
        rmdir(path + "/beta")
        rmdir(path)
    }
}
