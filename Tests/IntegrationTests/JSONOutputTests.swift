import Foundation
import XCTest

/// Issue 17.4: every `--json` command, run on real kernel objects of every kind, prints one JSON
/// document whose fields are typed as docs/json.md says (numbers are numbers, times ISO 8601,
/// absent null), and docs/json.md lists exactly the fields the commands produce. Python's `json`
/// module reads the output: an independent parser that tells integers, floats and booleans apart.
final class JSONOutputTests: IPCTestCase {
    private var posixNames: [String] = []

    override func tearDown() {
        for name in posixNames {
            unlink("/dev/mqueue/\(name)")
            unlink("/dev/shm/\(name)")
            unlink("/dev/shm/sem.\(name)")
        }
        posixNames = []
        super.tearDown()
    }

    /// Reads docs/json.md's tables (`## \`CMD --json\``, rows `| \`PATH\` | TYPE | ...`) and
    /// checks each document printed after an `@@ CMD` line against its command's table.
    static let checker = #"""
        import datetime, json, re, sys

        doc_path, out_path = sys.argv[1], sys.argv[2]
        sections, current = {}, None
        for line in open(doc_path, encoding="utf-8"):
            m = re.match(r"^## `(.+) --json`", line)
            if m:
                current = sections.setdefault(m.group(1), {})
                continue
            if line.startswith("## "):
                current = None
            m = re.match(r"^\| `([^`]+)` \| ([a-z ]+?) \|", line)
            if m and current is not None:
                current[m.group(1)] = m.group(2)

        ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        def is_time(v):
            if type(v) is not str or not ISO.match(v):
                return False
            datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
            return True
        CHECKS = {"integer": lambda v: type(v) is int, "number": lambda v: type(v) in (int, float),
                  "string": lambda v: type(v) is str, "boolean": lambda v: type(v) is bool, "time": is_time,
                  "array": lambda v: type(v) is list, "object": lambda v: type(v) is dict}
        def fits(v, declared):
            base = declared[:-len(" or null")] if declared.endswith(" or null") else declared
            if base not in CHECKS:
                raise SystemExit("docs/json.md: unknown type %r" % declared)
            return declared.endswith(" or null") if v is None else CHECKS[base](v)

        def walk(v, path, out):
            if path and not (isinstance(v, dict) and path.endswith("[]")):
                out.setdefault(path, []).append(v)
            if isinstance(v, dict):
                for k, x in v.items():
                    if path == "variables":
                        key = "variables.*"
                    elif path == "handles[]" and k not in ("name", "kind"):
                        key = "handles[%s].%s" % (v["kind"], k)
                    else:
                        key = path + "." + k if path else k
                    walk(x, key, out)
            elif isinstance(v, list):
                for x in v:
                    walk(x, path + "[]", out)

        problems, produced, values = [], {}, {}
        command = None
        for line in open(out_path, encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("@@ "):
                command = line[3:]
                continue
            if command is None or not line.startswith("{"):
                continue
            document = json.loads(line)  # one document, on one line
            section = "status" if command == "status NAME" else command
            if command == "status NAME":
                document = {"handles": [document]}
            paths = {}
            walk(document, "", paths)
            table = sections.get(section)
            if table is None:
                problems.append("docs/json.md has no section for %s --json" % section)
                continue
            for path, seen in paths.items():
                if path not in table:
                    problems.append("%s --json: %s is not in docs/json.md" % (command, path))
                    continue
                for v in seen:
                    if not fits(v, table[path]):
                        problems.append("%s --json: %s is %r, documented as %s" % (command, path, v, table[path]))
            if command != "status NAME":
                produced.setdefault(section, set()).update(paths)
            values[command] = document
            command = None

        for section, table in sections.items():
            missing = set(table) - produced.get(section, set())
            if missing:
                problems.append("docs/json.md lists fields %s --json never produced: %s" % (section, sorted(missing)))

        # The values themselves, where this session knows them.
        status = values.get("status", {"handles": []})
        handles = {h["name"]: h for h in status["handles"]}
        expect = [
            ("shm stat size", values.get("shm stat", {}).get("size"), 64),
            ("shm stat nattch (the shell and actor a)", values.get("shm stat", {}).get("nattch"), 2),
            ("mq stat qnum", values.get("mq stat", {}).get("qnum"), 1),
            ("mq stat lrpid (never received)", values.get("mq stat", {}).get("lrpid", 0), None),
            ("mq stat rtime (never received)", values.get("mq stat", {}).get("rtime", 0), None),
            ("sem stat values", [s["value"] for s in values.get("sem stat", {}).get("semaphores", [])], [0, 1]),
            ("pmq stat curmsgs", values.get("pmq stat", {}).get("curmsgs"), 1),
            ("pmq stat msgsize", values.get("pmq stat", {}).get("msgsize"), 128),
            ("status p.w (closed)", handles.get("p", {}).get("w", 0), None),
            ("status child1 exit status", handles.get("child1", {}).get("status"), 0),
            ("status variables", status.get("variables"), {"msg": "hello"}),
            ("status NAME", values.get("status NAME", {}).get("handles"), [handles.get("buf")]),
            ("fds p.r is a pipe", [d["kind"] for d in values.get("fds", {}).get("descriptors", []) if d["handle"] == "p.r"], ["pipe"]),
            ("ps first process", values.get("ps", {}).get("processes", [{}])[0].get("name"), "ipcsh"),
            ("ipcs marks buf", [s["handle"] for s in values.get("ipcs", {}).get("segments", []) if s["handle"]], ["buf"]),
        ]
        for what, got, wanted in expect:
            if got != wanted:
                problems.append("%s: %r, expected %r" % (what, got, wanted))
        times = [values.get("shm stat", {}).get("atime"), values.get("shm stat", {}).get("dtime"),
                 values.get("mq stat", {}).get("stime"), values.get("sem stat", {}).get("otime")]
        if not all(is_time(t) for t in times):
            problems.append("times that happened should be ISO 8601: %r" % times)

        print("\n".join(problems) if problems else "ok")
        """#

    func testEveryJSONDocumentIsTypedAsDocumented() throws {
        let dir = try makeDirectory().path
        let tag = "ipcshjson\(getpid())x\(UInt32.random(in: 0...UInt32.max))"
        posixNames = [tag, tag + "m"]
        func json(_ command: String, _ label: String? = nil) -> String { "echo '@@ \(label ?? command)'\n\(command) --json" }
        let r = try Harness.runCommands("""
            buf = shm create private 64
            shm attach buf
            fork { shm detach buf }
            p = pipe
            close p.w
            fifo make \(dir)/f
            fo = fifo open \(dir)/f rdwr
            sp = sock pair
            ls = sock listen unix:\(dir)/s
            q = mq create private
            mq send q 5 hi
            s = sem create private 2 --value 1
            sem wait s 0
            pq = pmq create /\(tag) --msgsize 128
            pmq send pq hello
            ps1 = psem create /\(tag) 1
            pm = pshm create /\(tag)m 4096
            mm = mmap \(dir)/m 4096
            mf = memfd mf 4096
            ev = eventfd 3
            sock sendfd sp.a p.r
            got = sock recvfd sp.b
            fork { echo hi }
            a = fork
            wait child1
            wait child2
            set msg hello
            \(json("status"))
            \(json("status buf", "status NAME"))
            \(json("shm stat buf", "shm stat"))
            \(json("mq stat q", "mq stat"))
            \(json("sem stat s", "sem stat"))
            \(json("pmq stat pq", "pmq stat"))
            \(json("ipcs"))
            \(json("fds"))
            \(json("ps"))
            \(json("bench pipe --count 200", "bench"))
            \(json("bench pipe --mode throughput --count 200", "bench"))
            \(json("bench unix --count 200 --cpus 0,0", "bench"))
            pmq rm pq
            psem rm ps1
            pshm rm pm
            fifo rm \(dir)/f
            """, extra: ["--cleanup"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let output = dir + "/output.txt"
        try r.stdout.write(toFile: output, atomically: true, encoding: .utf8)
        let doc = Harness.packageRoot.appendingPathComponent("docs/json.md").path
        let check = try Harness.runPython(Self.checker, [doc, output])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, "ok\n", r.stdout)
    }

    /// A checker that cannot fail checks nothing: a field the doc does not list, a number where the
    /// doc says string, and a documented field that never comes are each reported.
    func testTheCheckerCatchesAnUndocumentedFieldAWrongTypeAndAMissingField() throws {
        let dir = try makeDirectory().path
        let doc = """
            ## `ps --json`
            | field | type | unit | meaning |
            |---|---|---|---|
            | `processes` | array | | |
            | `processes[].name` | integer | | |
            | `processes[].pid` | integer | | |
            | `deadlock` | string or null | | |
            | `gone` | time | | |
            """
        try doc.write(toFile: dir + "/doc.md", atomically: true, encoding: .utf8)
        try "@@ ps\n{\"processes\":[{\"name\":\"ipcsh\",\"pid\":1,\"state\":\"x\"}],\"deadlock\":null}\n"
            .write(toFile: dir + "/out.txt", atomically: true, encoding: .utf8)
        let check = try Harness.runPython(Self.checker, [dir + "/doc.md", dir + "/out.txt"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("ps --json: processes[].state is not in docs/json.md"), check.stdout)
        XCTAssertTrue(check.stdout.contains("ps --json: processes[].name is 'ipcsh', documented as integer"), check.stdout)
        XCTAssertTrue(check.stdout.contains("never produced: ['gone']"), check.stdout)
    }
}
