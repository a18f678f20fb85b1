import Foundation
import IPCTeaching
import XCTest

/// Issue 16 (first part): `ipcsh emit-c` turns a script into a C program that compiles with
/// -Wall -Wextra -Werror and prints what the script prints (ids, addresses, pids and
/// descriptor numbers masked, each process's lines compared in order); a command without a C
/// form is refused with its line, and nothing is written.
final class EmitCTests: IPCTestCase {
    /// Each process's lines, masked: the shell relays a child's lines, the C child prints its
    /// own, so only the order within a process is the same.
    func perProcess(_ text: String) -> [String: [String]] {
        var lines: [String: [String]] = [:]
        for line in text.split(separator: "\n").map({ VolatileMask.apply(String($0)) }) {
            var owner = "parent"
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") { owner = String(line[..<close]) }
            lines[owner, default: []].append(line)
        }
        return lines
    }

    func emitCompileAndCompare(_ script: URL, arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeDirectory()
        let source = dir.appendingPathComponent("program.c").path
        let binary = dir.appendingPathComponent("program").path
        let emitted = try Harness.run(["emit-c", script.path, "-o", source])
        XCTAssertEqual(emitted.status, 0, emitted.stderr, file: file, line: line)
        let compiled = try Harness.runProgram("/usr/bin/env", ["cc", "-Wall", "-Wextra", "-Werror", "-o", binary, source])
        let text = (try? String(contentsOfFile: source, encoding: .utf8)) ?? ""
        XCTAssertEqual(compiled.status, 0, compiled.stderr + text, file: file, line: line)
        let c = try Harness.runProgram(binary, arguments)
        let shell = try Harness.run([script.path] + arguments)
        XCTAssertEqual(c.status, 0, c.stderr, file: file, line: line)
        XCTAssertEqual(shell.status, 0, shell.stderr, file: file, line: line)
        XCTAssertEqual(perProcess(c.stdout), perProcess(shell.stdout), "C:\n\(c.stdout)\nshell:\n\(shell.stdout)", file: file, line: line)
        XCTAssertFalse(c.stdout.isEmpty, file: file, line: line)
    }

    func testTheUnnamedPipeExampleBecomesCThatPrintsTheSame() throws {
        try emitCompileAndCompare(Harness.packageRoot.appendingPathComponent("examples/unnamed-pipe.ipcs"))
    }

    /// docs/emit-c.md shows the start of this example's program: it is what emit-c writes now.
    func testTheDocsShowTheProgramAsEmitted() throws {
        let doc = try String(contentsOf: Harness.packageRoot.appendingPathComponent("docs/emit-c.md"), encoding: .utf8)
        guard let open = doc.range(of: "```c\n"), let close = doc.range(of: "```", range: open.upperBound..<doc.endIndex) else {
            return XCTFail("docs/emit-c.md has no C block")
        }
        let shown = String(doc[open.upperBound..<close.lowerBound])
        // Run from the package root: the program's first comment names the script as given.
        let emitted = try Harness.runProgram("/bin/sh", ["-c", "cd \"$0\" && exec \"$1\" emit-c examples/unnamed-pipe.ipcs",
                                                         Harness.packageRoot.path, Harness.ipcshPath])
        XCTAssertEqual(emitted.status, 0, emitted.stderr)
        XCTAssertGreaterThan(shown.count, 500)
        XCTAssertTrue(emitted.stdout.hasPrefix(shown), "docs/emit-c.md's program is not what emit-c writes now:\n\(emitted.stdout)")
    }

    /// The IPC calls `emit-c` programs make, as strace names them, and the shell's trace name.
    static let comparedCalls: [String: String] = [
        "pipe": "pipe", "pipe2": "pipe", "fork": "fork", "vfork": "fork", "clone": "fork", "clone3": "fork",
        "close": "close", "read": "read", "write": "write", "wait4": "waitpid", "waitpid": "waitpid",
        "shmget": "shmget", "shmat": "shmat", "shmdt": "shmdt", "shmctl": "shmctl",
        "mkfifo": "mkfifo", "mknod": "mkfifo", "mknodat": "mkfifo", "open": "open", "openat": "open",
        "unlink": "unlink", "unlinkat": "unlink",
        "semget": "semget", "semop": "semop", "semtimedop": "semop", "semctl": "semctl",
        "msgget": "msgget", "msgsnd": "msgsnd", "msgrcv": "msgrcv", "msgctl": "msgctl",
        "mq_open": "mq_open", "mq_send": "mq_send", "mq_timedsend": "mq_send", "mq_receive": "mq_receive",
        "mq_timedreceive": "mq_receive", "mq_getattr": "mq_getattr", "mq_getsetattr": "mq_getattr", "mq_unlink": "mq_unlink",
    ]

    /// `name(fd, ...)` of one trace or strace line, when it is a compared call on a descriptor
    /// other than stdin/stdout/stderr (the C program's printf, the shell's relay).
    static func comparedCall(_ line: Substring) -> String? {
        guard let paren = line.firstIndex(of: "("), let name = comparedCalls[String(line[..<paren])] else { return nil }
        if name == "read" || name == "write" || name == "close" {
            let first = line[line.index(after: paren)...].prefix { $0.isNumber }
            if let fd = Int(first), fd <= 2 { return nil }
        }
        return name
    }

    /// The script's IPC calls, process by process in order of birth: from `ipcsh --trace`
    /// (a child's lines carry its `[child1 PID] ` prefix) and from `strace -ff` of the emitted
    /// program, compiled static so the loader's own reads and closes are not in it.
    func compareCalls(_ script: URL, arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("strace is not installed (scripts/install-deps.sh installs it)")
        }
        let dir = try makeDirectory()
        let source = dir.appendingPathComponent("program.c").path
        let binary = dir.appendingPathComponent("program").path
        XCTAssertEqual(try Harness.run(["emit-c", script.path, "-o", source]).status, 0, file: file, line: line)
        let compiled = try Harness.runProgram("/usr/bin/env", ["cc", "-static", "-O0", "-o", binary, source])
        XCTAssertEqual(compiled.status, 0, compiled.stderr, file: file, line: line)
        let prefix = dir.appendingPathComponent("strace").path
        let traced = try Harness.runProgram(strace, ["-ff", "-qq", "-e", "signal=none", "-o", prefix, binary] + arguments)
        XCTAssertEqual(traced.status, 0, traced.stderr, file: file, line: line)
        // One file per process, named by pid: the parent's pid is the smallest here (forks come later).
        let logs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("strace.") }
            .sorted { Int($0.dropFirst(7)) ?? 0 < Int($1.dropFirst(7)) ?? 0 }
        var logLines = try logs.map { name in
            try String(contentsOfFile: dir.appendingPathComponent(name).path, encoding: .utf8).split(separator: "\n")
        }
        // Actors' control pipes aside: the descriptors that carry a case number (an int,
        // `write(5, "\1\0\0\0", 4)`), the pipe that made them, their closes and reads.
        let stepPattern = #"^(write|read)\((\d+), "[^"]{1,4}\\0\\0\\0", 4\)\s*= 4"#
        var control = Set<Substring>()
        for line in logLines.joined() {
            if let match = line.range(of: stepPattern, options: .regularExpression) {
                control.insert(line[match].split(separator: "(")[1].prefix { $0.isNumber })
            }
        }
        if !control.isEmpty {
            logLines = logLines.map { lines in
                lines.filter { line in
                    guard let paren = line.firstIndex(of: "(") else { return true }
                    let arguments = line[line.index(after: paren)...]
                    if line.hasPrefix("pipe") {
                        let fds = arguments.drop { $0 == "[" }.prefix { $0 != "]" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                        return !fds.contains { control.contains(Substring($0)) }
                    }
                    return !control.contains(arguments.prefix { $0.isNumber })
                }
            }
        }
        let cCalls = logLines.map { $0.compactMap(Self.comparedCall) }
        let shell = try Harness.run(["--trace", script.path] + arguments)
        XCTAssertEqual(shell.status, 0, shell.stderr, file: file, line: line)
        var byProcess: [String: [String]] = [:], order: [String] = []
        for traceLine in shell.stderr.split(separator: "\n") {
            var owner = "parent", text = traceLine
            if traceLine.hasPrefix("["), let close = traceLine.firstIndex(of: "]") {
                owner = String(traceLine[..<close])
                text = traceLine[(traceLine.index(close, offsetBy: 2, limitedBy: traceLine.endIndex) ?? traceLine.endIndex)...]
            }
            guard let call = Self.comparedCall(text) else { continue }
            if byProcess[owner] == nil { order.append(owner) }
            byProcess[owner, default: []].append(call)
        }
        // A process that makes no compared call (a child that only prints) has no trace line.
        let shellCalls = (["parent"] + order.filter { $0 != "parent" }).map { byProcess[$0] ?? [] }
        let cCallsMade = cCalls.enumerated().filter { $0.offset == 0 || !$0.element.isEmpty }.map(\.element)
        XCTAssertEqual(cCallsMade, shellCalls, "C (strace):\n\(cCalls)\nshell (trace):\n\(shellCalls)\n\(shell.stderr)", file: file, line: line)
        XCTAssertTrue(shellCalls.joined().contains("waitpid") || !shellCalls.joined().contains("fork"),
                      "a fork is waited for, and the trace shows the waitpid", file: file, line: line)
    }

    func testTheUnnamedPipeExampleMakesTheSameCallsAsItsC() throws {
        try compareCalls(Harness.packageRoot.appendingPathComponent("examples/unnamed-pipe.ipcs"))
    }

    /// Every command with a C form, loops and a fork among them.
    func testEveryCommandWithACFormTranslates() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("all.ipcs")
        try """
            buf = shm create private 256
            shm attach buf
            repeat 3 {
                write buf "round $i"
                read buf
                echo wrote "round $i" and 100%
            }
            write buf second --at 100
            read buf --at 100
            p = pipe
            fork {
                close p.w
                repeat 2 { read p.r }
                read p.r
            }
            close p.r
            repeat 2 { write p.w "msg-$i"; sleep 50ms }
            close p.w
            wait
            shm detach buf
            shm rm buf
            echo "done: \\"quoted\\""
            """.write(to: script, atomically: true, encoding: .utf8)
        try emitCompileAndCompare(script)
        try compareCalls(script)
    }

    /// Variables (numbers and text), the program's arguments (`$2`, `${1:-2}`), a bound read of
    /// a FIFO and of a segment, expect, loops nested in a fork, and `cleanup on` removing at the
    /// end what the script left.
    func testVariablesArgumentsFIFOsAndExpectTranslate() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("vars.ipcs")
        try """
            set n ${1:-2}
            set word $2
            set greeting "hello $word"
            set count 3
            echo $greeting and $n, $count times
            cleanup on
            fifo make $3
            f = fifo open $3 rdwr
            repeat $n {
                write f "msg $i from $word" --size 32
                m = read f 32
                echo "got: $m"
                expect $m contains "from"
            }
            close f
            fifo rm $3
            buf = shm create private 64
            shm attach buf
            write buf "kept $greeting"
            copy = read buf
            expect $copy == "kept hello there"
            echo "copy is $copy"
            fork {
                repeat 2 { repeat $count { echo "nested $i" } }
            }
            wait
            shm detach buf
            """.write(to: script, atomically: true, encoding: .utf8)
        let fifo = dir.appendingPathComponent("fifo").path
        try emitCompileAndCompare(script, arguments: ["2", "there", fifo])
        try compareCalls(script, arguments: ["2", "there", fifo])
        XCTAssertFalse(FileManager.default.fileExists(atPath: fifo))
        // Without $2 both stop where the shell says `$2 is not set`, with status 1.
        let source = dir.appendingPathComponent("vars.c").path, binary = dir.appendingPathComponent("vars").path
        XCTAssertEqual(try Harness.run(["emit-c", script.path, "-o", source]).status, 0)
        XCTAssertEqual(try Harness.runProgram("/usr/bin/env", ["cc", "-o", binary, source]).status, 0)
        let c = try Harness.runProgram(binary, [])
        XCTAssertEqual(c.status, 1)
        XCTAssertTrue(c.stderr.contains("$2 is not set: 0 argument(s) were given"), c.stderr)
        XCTAssertEqual(try Harness.run([script.path]).status, 1)
    }

    /// The shm writer and reader examples, run with a key and a round count as their
    /// arguments: the writer's program prints what the script prints and makes its calls; the
    /// reader's reads a segment the test prepared, as the script does.
    func testTheSharedMemoryExamplesTranslate() throws {
        let key = String(Harness.uniqueKey())
        let examples = Harness.packageRoot.appendingPathComponent("examples")
        try emitCompileAndCompare(examples.appendingPathComponent("shm-writer.ipcs"), arguments: [key, "1"])
        try compareCalls(examples.appendingPathComponent("shm-writer.ipcs"), arguments: [key, "1"])
        let made = try Harness.run(["-c", "b = shm create \(key) 1024; shm attach b; write b \"from the test\"; shm detach b"])
        XCTAssertEqual(made.status, 0, made.stderr)
        defer { _ = try? Harness.run(["-c", "shm rm \(key)"]) }
        try emitCompileAndCompare(examples.appendingPathComponent("shm-reader.ipcs"), arguments: [key, "1"])
        try compareCalls(examples.appendingPathComponent("shm-reader.ipcs"), arguments: [key, "1"])
    }

    /// The producer/consumer example (a segment, a semaphore set, a consumer forked with a
    /// loop), with a private key and with a numeric one: the same lines, the same calls.
    func testTheProducerConsumerExampleTranslates() throws {
        let script = Harness.packageRoot.appendingPathComponent("examples/producer-consumer.ipcs")
        try emitCompileAndCompare(script, arguments: ["private", "3", "3"])
        try compareCalls(script, arguments: ["private", "3", "3"])
        try emitCompileAndCompare(script, arguments: [String(Harness.uniqueKey()), "2", "2"])
    }

    /// The semaphore forms the example does not use: --undo, --nowait, a value kept, a set
    /// opened again by its key, and cleanup on removing the set at the end.
    func testSemaphoreOperationsTranslate() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("sem.ipcs")
        try """
            set key $1
            cleanup on
            lock = sem create $key 2 --value 1
            again = sem create $key 2
            sem wait lock 0 --undo
            v = sem get lock 0
            echo "value $v"
            sem wait lock 1 --nowait
            sem get lock
            fork { sem post again 1; sem get again }
            wait
            both = sem get lock
            echo "both: $both"
            """.write(to: script, atomically: true, encoding: .utf8)
        let key = String(Harness.uniqueKey())
        try emitCompileAndCompare(script, arguments: [key])
        try compareCalls(script, arguments: [key])
    }

    /// Actors: each becomes a child that runs the case the parent sends on its control pipe
    /// where the script says `@NAME`, so a blocked actor blocks as in the shell and the lines
    /// come in the session's order; `wait NAME` closes the pipe, and the actor ends.
    func testActorsBecomeChildrenDrivenOverAControlPipe() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("actors.ipcs")
        try """
            p = pipe
            reader = fork
            writer = fork
            @reader close p.w
            @reader read p.r
            sleep 300ms
            echo "parent: nothing yet: the reader is blocked in read(2)"
            @writer write p.w "hello from the writer"
            sleep 300ms
            @writer echo "the writer wrote"
            @writer close p.w
            close p.w
            @reader read p.r
            wait reader
            wait writer
            """.write(to: script, atomically: true, encoding: .utf8)
        try emitCompileAndCompare(script)
        try compareCalls(script)
        // In the C, the shell's order: the reader's line comes after the parent's.
        let c = try Harness.run(["emit-c", script.path])
        XCTAssertTrue(c.stdout.contains("while (read(reader_ctl[0], &step, sizeof step) == (ssize_t)sizeof step)"), c.stdout)
        // A handle made inside an actor is refused, not dropped.
        try "r = fork\n@r q = pipe\nwait r\n".write(to: script, atomically: true, encoding: .utf8)
        let refused = try Harness.run(["emit-c", script.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("actors.ipcs:2:1: error: emit-c: a handle made inside the actor r has no C form here"), refused.stderr)
    }

    /// Procs become functions (`static void send(int argc, const char **argv)`): their `$1` is
    /// the call's first word, they see the session's handles, they nest blocks, call each other,
    /// and run in a forked child too.
    func testProcsBecomeFunctions() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("procs.ipcs")
        try """
            proc send {
                write p.w "$1 says $2" --size 32
            }
            proc show {
                repeat 2 { repeat 2 { echo "[$1] round $i" } }
                read p.r 32
            }
            proc both { send $1 "from both"; show $1 }
            p = pipe
            send alice hi
            show first
            set who bob
            send $who "hello there"
            fork { show child; both carol }
            wait
            """.write(to: script, atomically: true, encoding: .utf8)
        try emitCompileAndCompare(script)
        try compareCalls(script)
        let c = try Harness.run(["emit-c", script.path])
        XCTAssertTrue(c.stdout.contains("static void send(int argc, const char **argv)\n{"), c.stdout)
        XCTAssertTrue(c.stdout.contains("send(3, (const char *[]){ \"send\", \"alice\", \"hi\", NULL });"), c.stdout)
        // What a proc prints, kept in a variable, is refused, not approximated.
        try "proc hi { echo hi }\nx = hi\n".write(to: script, atomically: true, encoding: .utf8)
        let refused = try Harness.run(["emit-c", script.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("procs.ipcs:2:1: error: emit-c: keeping what hi prints in a variable has no C form here"), refused.stderr)
    }

    /// The struct examples: `struct` becomes the C declaration, `sizeof` C's, `write --as` a
    /// zeroed struct with its members set, `v = read --as` a struct copied out, `$v.cnt` a member.
    func testTheStructExamplesTranslate() throws {
        let key = String(Harness.uniqueKey())
        let examples = Harness.packageRoot.appendingPathComponent("examples")
        try emitCompileAndCompare(examples.appendingPathComponent("struct-writer.ipcs"), arguments: [key, "1"])
        try compareCalls(examples.appendingPathComponent("struct-writer.ipcs"), arguments: [key, "1"])
        let made = try Harness.run(["-c", """
            struct shmseg { int cnt; char buf[64]; }
            s = shm create \(key) 68
            shm attach s
            write s --as shmseg cnt=42 buf="from the test"
            shm detach s
            """])
        XCTAssertEqual(made.status, 0, made.stderr)
        defer { _ = try? Harness.run(["-c", "shm rm \(key)"]) }
        try emitCompileAndCompare(examples.appendingPathComponent("struct-reader.ipcs"), arguments: [key, "1"])
        try compareCalls(examples.appendingPathComponent("struct-reader.ipcs"), arguments: [key, "1"])
        let c = try Harness.run(["emit-c", examples.appendingPathComponent("struct-reader.ipcs").path])
        XCTAssertTrue(c.stdout.contains("struct shmseg { int cnt; char buf[64]; };"), c.stdout)
    }

    /// The FIFO receiver example, as C and as the script, each fed by the sender example (the
    /// shell, a real peer): the same lines.
    func testTheFifoReceiverExampleTranslates() throws {
        let dir = try makeDirectory()
        let examples = Harness.packageRoot.appendingPathComponent("examples")
        let source = dir.appendingPathComponent("receiver.c").path, binary = dir.appendingPathComponent("receiver").path
        XCTAssertEqual(try Harness.run(["emit-c", examples.appendingPathComponent("fifo-receiver.ipcs").path, "-o", source]).status, 0)
        let compiled = try Harness.runProgram("/usr/bin/env", ["cc", "-Wall", "-Wextra", "-Werror", "-o", binary, source])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        func receive(_ program: String, _ arguments: [String]) throws -> String {
            let fifo = dir.appendingPathComponent("fifo").path
            let out = Pipe()
            let receiver = Process()
            receiver.executableURL = URL(fileURLWithPath: program)
            receiver.arguments = arguments + [fifo]
            receiver.standardOutput = out
            receiver.standardError = FileHandle.nullDevice
            try receiver.run()
            defer { if receiver.isRunning { receiver.terminate() } }
            // The sender opens the FIFO the receiver made.
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: fifo) && Date() < deadline { usleep(20_000) }
            let sent = try Harness.run([examples.appendingPathComponent("fifo-sender.ipcs").path, fifo, "one", "two", "three"])
            XCTAssertEqual(sent.status, 0, sent.stderr)
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            receiver.waitUntilExit()
            XCTAssertEqual(receiver.terminationStatus, 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: fifo), "the receiver removed its FIFO")
            return text
        }
        let c = try receive(binary, [])
        let shell = try receive(Harness.ipcshPath, [examples.appendingPathComponent("fifo-receiver.ipcs").path])
        XCTAssertEqual(perProcess(c), perProcess(shell), "C:\n\(c)\nshell:\n\(shell)")
        XCTAssertTrue(c.contains("recv: three"), c)
    }

    /// System V queues, with actors blocked in msgrcv: the message-types example without its
    /// `mq stat` (which has no C form), and a queue opened again by its key.
    func testMessageQueuesTranslate() throws {
        let dir = try makeDirectory()
        let example = try String(contentsOf: Harness.packageRoot.appendingPathComponent("examples/msg-types.ipcs"), encoding: .utf8)
        let script = dir.appendingPathComponent("msg-types.ipcs")
        try example.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("mq stat") }
            .joined(separator: "\n").write(to: script, atomically: true, encoding: .utf8)
        try emitCompileAndCompare(script)
        try compareCalls(script)
        let keyed = dir.appendingPathComponent("keyed.ipcs")
        try """
            set key $1
            cleanup on
            a = mq create $key
            b = mq create $key
            c = mq open $key
            mq send a 7 "to $key"
            m = mq recv c 7
            echo "got $m.data of type $m.type ($m)"
            mq send b 1 one
            mq recv a --nonblock
            """.write(to: keyed, atomically: true, encoding: .utf8)
        let key = String(Harness.uniqueKey())
        try emitCompileAndCompare(keyed, arguments: [key])
        try compareCalls(keyed, arguments: [key])
    }

    /// POSIX message queues: the priorities example (create with attributes, send with
    /// priorities, receive kept as $job.prio and $job.data, stat, rm).
    func testThePosixQueueExampleTranslates() throws {
        let script = Harness.packageRoot.appendingPathComponent("examples/pmq-priorities.ipcs")
        try emitCompileAndCompare(script)
        try compareCalls(script)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/mqueue/ipcsh-example-jobs"))
    }

    /// `emit-c -o FILE` in the interactive shell: the commands typed so far that ran (not the
    /// one that failed, not help), as a program that compiles and prints what the session did.
    func testEmitCInTheShellTranslatesTheSessionTypedSoFar() throws {
        try XCTSkipUnless(TmuxSession.isAvailable, "tmux is not installed")
        let dir = try makeDirectory()
        let shell = try TmuxSession(testCase: self, historyPath: dir.appendingPathComponent("history").path, directory: dir.path)
        try shell.enter("p = pipe")
        try shell.enter("write p.w typed-in-the-shell")
        try shell.enter("read p.r")
        try shell.enter("read nosuchthing")
        try shell.enter("help pipe")
        try shell.enter("repeat 2 { echo round $i }")
        _ = try shell.waitForScreen("the loop") { $0.contains("round 1") }
        try shell.enter("emit-c -o lesson.c")
        _ = try shell.waitForScreen("the program") { $0.contains("emit-c: 4 command(s) written to lesson.c") }
        try shell.enter("status")
        try shell.enter("emit-c -o refused.c")
        _ = try shell.waitForScreen("the refusal") { $0.contains("emit-c: status has no C form here (in: status)") }
        try shell.enter("exit")
        _ = try shell.waitForScreen("the end") { _ in (try? shell.exitStatus()) != nil }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("refused.c").path))
        let source = dir.appendingPathComponent("lesson.c").path, binary = dir.appendingPathComponent("lesson").path
        let compiled = try Harness.runProgram("/usr/bin/env", ["cc", "-Wall", "-Wextra", "-Werror", "-o", binary, source])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        let c = try Harness.runProgram(binary, [])
        XCTAssertEqual(c.stdout.split(separator: "\n").map { VolatileMask.apply(String($0)) },
                       ["p: read end p.r = fd N, write end p.w = fd N", "typed-in-the-shell", "round 0", "round 1"])
    }

    func testACommandWithoutACFormIsRefusedWithItsLineAndNothingIsWritten() throws {
        let dir = try makeDirectory()
        let script = dir.appendingPathComponent("refused.ipcs")
        try "p = pipe\nrpc serve unix:/tmp/x.sock\n".write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.c").path
        let r = try Harness.run(["emit-c", script.path, "-o", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("refused.ipcs:2:1: error: emit-c: rpc serve has no C form here"), r.stderr)
        XCTAssertTrue(r.stderr.contains("emit-c translates: cleanup, close, echo, expect, fifo make"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(r.stdout, "")
        /// `text` as the script: emit-c fails (status 1) with `message` on stderr.
        func assertRefused(_ text: String, _ message: String, line: UInt = #line) throws {
            try text.write(to: script, atomically: true, encoding: .utf8)
            let refused = try Harness.run(["emit-c", script.path])
            XCTAssertEqual(refused.status, 1, line: line)
            XCTAssertTrue(refused.stderr.contains(message), refused.stderr, line: line)
        }
        // A fork in a loop makes a child per turn: refused, not translated as one.
        try assertRefused("repeat 3 { fork { echo hi } }\nwait\n", "refused.ipcs:1:12: error: emit-c: a fork inside repeat has no C form here")
        try assertRefused("repeat 2 { p = pipe }\n", "refused.ipcs:1:12: error: emit-c: pipe inside repeat has no C form here")
        try assertRefused("proc mk { q = pipe }\nmk\n", "emit-c: pipe inside a proc has no C form here")
        // A name the shell refuses to bind is refused here too.
        try assertRefused("s = sem create private 1\nall = sem get s 0\n",
                          "refused.ipcs:2:1: error: emit-c: 'all' is a command name and cannot name a handle")
        try assertRefused("p = pipe\np = pipe\n", "refused.ipcs:2:1: error: emit-c: the name p is already taken by an open handle")
        // Closed, the name may be bound again, in C as in the shell.
        try "p = pipe\nclose p\np = pipe\nclose p.w\n".write(to: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Harness.run(["emit-c", script.path]).status, 0)
        // A substitution other than a loop's counter is refused too, not approximated.
        try assertRefused("echo $HOME\n", "refused.ipcs:1:1: error: emit-c: \"$HOME\" has no C form here")
    }
}
