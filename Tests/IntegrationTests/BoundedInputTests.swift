import Foundation
import XCTest

/// Issue 9, "unbounded and quadratic": scripts and stdin are read as streams, in bounded memory,
/// and run as they arrive; long lines and long outputs cost linear time. Memory bounds are
/// checked with `ulimit -v` in a subshell, time bounds with generous limits.
final class BoundedInputTests: IPCTestCase {
    /// Runs `sh -c SCRIPT` with `$IPCSH` set to the shell under test.
    private func sh(_ script: String, stdin: String? = nil, timeout: TimeInterval = 60) throws -> Harness.Result {
        try Harness.runProgram("/bin/sh", ["-c", script], stdin: stdin, environment: ["IPCSH": Harness.ipcshPath],
                               timeout: timeout)
    }

    func testLongInputOnStdinIsReadAsAStreamInBoundedMemory() throws {
        // 100 MB of input under a 64 MiB address-space limit... of which ipcsh may hold only a piece.
        let generator = "python3 -c \"import sys\nline='# '+'y'*100000+'\\\\n'\nfor i in range(1000): sys.stdout.write(line)\nsys.stdout.write('echo done\\\\n')\""
        let r = try sh("\(generator) | (ulimit -v 131072; exec \"$IPCSH\")")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "done\n")
    }

    func testStdinRunsEachCommandAsItArrives() throws {
        // A real peer writes one command, waits for its output, then writes the next: a shell
        // that read stdin to its end first would never answer the first.
        let peer = """
        import os, select, subprocess, sys
        p = subprocess.Popen([os.environ['IPCSH']], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        p.stdin.write(b'echo first\\n'); p.stdin.flush()
        ready, _, _ = select.select([p.stdout], [], [], 10)
        print('first-line:', p.stdout.readline().decode().strip() if ready else 'NOTHING')
        p.stdin.write(b'repeat 2 {\\n'); p.stdin.flush()
        p.stdin.write(b'  echo "in $i"\\n'); p.stdin.flush()
        p.stdin.write(b'}\\necho second\\n'); p.stdin.close()
        print('rest:', p.stdout.read().decode().replace('\\n', '|'))
        print('status:', p.wait())
        """
        let r = try Harness.runProgram("/usr/bin/env", ["python3", "-c", peer], environment: ["IPCSH": Harness.ipcshPath])
        XCTAssertEqual(r.stdout, "first-line: first\nrest: in 0|in 1|second|\nstatus: 0\n", r.stderr)
    }

    func testABlockSplitAcrossReadsKeepsItsLineNumbers() throws {
        // Lines arrive one by one; an error after a multi-line block still points at its line.
        let r = try sh("(echo 'repeat 2 {'; sleep 0.2; echo '  echo x'; sleep 0.2; echo '}'; echo 'nosuchcommand') | \"$IPCSH\"")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "x\nx\n")
        XCTAssertTrue(r.stderr.hasPrefix("<stdin>:4:1: error: unknown command 'nosuchcommand'"), r.stderr)
    }

    func testDevZeroAsAScriptIsRefusedAtOnce() throws {
        for command in ["exec \"$IPCSH\" /dev/zero", "exec \"$IPCSH\" -c 'source /dev/urandom'"] {
            let r = try sh("ulimit -v 131072; " + command, timeout: 20)
            XCTAssertEqual(r.status, 1, command + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains("is not a text script (it holds NUL bytes)"), command + ": " + r.stderr)
        }
        // Stdin is not refused for its bytes (they are reported, escaped), but it is bounded.
        let r = try sh("ulimit -v 262144; exec \"$IPCSH\" < /dev/zero", timeout: 60)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("<stdin>: the command at line 1 is longer than 32 MiB"), r.stderr)
    }

    func testCheckAndReplayReadRecordingsInBoundedMemory() throws {
        for command in ["check /dev/zero", "replay --no-pause /dev/urandom"] {
            let r = try sh("ulimit -v 262144; exec \"$IPCSH\" " + command, timeout: 20)
            XCTAssertEqual(r.status, 1, command + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains("is not a text script (it holds NUL bytes)"), command + ": " + r.stderr)
        }
        let path = try makeDirectory().appendingPathComponent("huge.ipcs").path
        let r = try sh("head -c 70000000 /dev/zero | tr '\\0' '#' > \(path); ulimit -v 262144; exec \"$IPCSH\" check \(path)", timeout: 60)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("is larger than 64 MiB: not a recording ipcsh reads"), r.stderr)
    }

    func testACommandLongerThanTheLimitIsAClearError() throws {
        let path = try makeDirectory().appendingPathComponent("long.ipcs").path
        let r = try sh("printf 'echo before\\n' > \(path); head -c 40000000 /dev/zero | tr '\\0' x >> \(path); ulimit -v 524288; exec \"$IPCSH\" \(path)")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "before\n")
        XCTAssertTrue(r.stderr.contains("the command at line 2 is longer than 32 MiB"), r.stderr)
    }

    func testHalfAMillionWordsOnOneLineTakeLinearTime() throws {
        let path = try makeDirectory().appendingPathComponent("words.ipcs").path
        try ("echo " + Array(repeating: "w", count: 500_000).joined(separator: " ") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let start = Date()
        let r = try Harness.run([path], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.count, 1_000_000)
        // Quadratic binding took 36 s for this in a release build; linear takes ~1 s in debug.
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }

    func testAChildsOutputWithoutANewlineIsRelayedInLinearTimeAndBoundedPieces() throws {
        let start = Date()
        let r = try Harness.runCommands("run sh -c \"head -c 20000000 /dev/zero | tr '\\\\0' x\"; wait", timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        let relayed = r.stdout.split(separator: "\n").filter { $0.hasPrefix("[run1 ") || $0.hasPrefix("[child1 ") }
        XCTAssertEqual(relayed.reduce(0) { $0 + $1.drop { $0 != "]" }.dropFirst(2).count }, 20_000_000)
        // Shown in pieces of at most 1 MiB, each with its prefix.
        XCTAssertEqual(relayed.count, 20, "\(relayed.count) pieces")
    }

    func testPrintingALargeRegionOfControlBytesStreamsTheEscaping() throws {
        let key = makeKey()
        let size = 24 << 20
        let id = shmget(key, size, IPC_CREAT | 0o600)
        XCTAssertGreaterThanOrEqual(id, 0)
        let base = try XCTUnwrap(shmat(id, nil, 0))
        memset(base, 1, size - 1)
        (base + size - 1).storeBytes(of: 0, as: UInt8.self)
        shmdt(base)
        // 24 MiB of \x01 print as 96 MiB of `\x01`: held whole (and copied) that took ~250 MB.
        let r = try sh("ulimit -v 163840; \"$IPCSH\" -c 's = shm open \(Harness.hex(key)); shm attach s; read s; echo \"[$_]\"' | tail -c 40",
                       timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\n[]\n")
    }
}
