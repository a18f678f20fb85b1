// libFuzzer target `rpc`: one request line as `rpc serve` gets it (RPCServer.answer: the JSON
// parser, request checks, batches, the reply's serialization), on arbitrary bytes. Built by
// scripts/fuzz.sh against IPCShell compiled with -enable-testing.
//
// A method that names one of the procs below runs it, as the server would: they only echo,
// set variables and compare words, so no input makes a kernel object or waits.
//
// Besides "no crash, no leak, no hang", it checks:
// - a JSON text that parses serializes to text that parses back to the same value;
// - every reply is one JSON text: an object (or, for a batch, an array of objects) with
//   "jsonrpc": "2.0" and an "id", holding a "result" or an "error" with a numeric "code".
// A broken promise traps, which libFuzzer reports as a crash with the input.

@testable import IPCShell
@testable import IPCSyntax
import IPCSys

private final class Fixture {
    let interpreter: Interpreter
    var server: RPCServer<Interpreter>

    init() {
        let output = Output(stdoutFD: -1, stderrFD: -1, useColor: false)
        // The server's log lines go nowhere; a proc's output is still captured as its result.
        output.captureOnly = true
        let session = Session(output: output)
        session.positionalStack = [["fuzz.ipcs"]]
        // The procs of RPCTests and docs/rpc.md (those without kernel objects), and one that fails.
        let procs = """
            proc greet { echo "hello, $1" }
            proc count { echo $# }
            proc join { echo "$@" }
            proc fail { expect "$1" == "yes" }
            proc two { echo first; echo second }
            proc show { echo "n=$# first=$1 second=$2 all=[$@]" }
            proc wrap { inner = show "$1" inner; echo "wrapped($inner)" }
            proc set_color { set color "$1"; echo "color is now $1" }
            proc get_color { echo $color }
            proc fallback { echo ${1:-none} ${2:-} }
            proc broken { nosuchcommand $1 }
            """
        let script = try! Parser.parse(procs, file: "fuzz-procs")
        for command in script.commands {
            guard case .word(let name)? = command.arguments.dropFirst().first, let text = name.literalText,
                  case .block(let body)? = command.arguments.last else { fatalError("bad proc \(command.source)") }
            session.procs[text] = body
        }
        interpreter = Interpreter(session: session)
        server = RPCServer(listener: -1, interpreter: interpreter, limit: nil, idleTimeout: nil)
    }
}

nonisolated(unsafe) private let fixture = Fixture()

private func broken(_ message: @autoclosure () -> String) -> Never {
    fatalError("rpc fuzz: " + message())
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPC(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    // Each input from the same state: what a proc set for the last one is gone.
    let session = fixture.interpreter.session
    session.variables.removeAll()
    session.lastResult = WordBytes()
    session.lastStatus = 0

    // The parser alone: what parses round-trips through the serializer.
    if let value = try? JSON.parse(line) {
        let text = value.serialized
        guard let again = try? JSON.parse(text) else { broken("\(text) does not parse back") }
        guard again == value else { broken("\(text) parses back to another value: \(again.serialized)") }
    }

    // The server's answer to the line.
    guard let reply = fixture.server.answer(line) else { return 0 }
    let parsed: JSON
    do { parsed = try JSON.parse(reply) } catch { broken("the reply \(reply) is not JSON: \(error.message)") }
    if case .array(let replies) = parsed {
        guard !replies.isEmpty else { broken("an empty batch reply") }
        for one in replies { check(one, in: reply) }
    } else {
        check(parsed, in: reply)
    }
    return 0
}

/// One response object of a reply.
private func check(_ response: JSON, in reply: String) {
    guard case .object = response else { broken("a response that is not an object: \(reply)") }
    guard response["jsonrpc"] == .string("2.0") else { broken("a response without jsonrpc 2.0: \(reply)") }
    switch response["id"] {
    case .null?, .string?, .number?: break
    default: broken("a response without a valid id: \(reply)")
    }
    if let error = response["error"] {
        guard case .number? = error["code"], case .string? = error["message"] else { broken("an error without code or message: \(reply)") }
        guard response["result"] == nil else { broken("a response with both result and error: \(reply)") }
    } else {
        guard case .string? = response["result"] else { broken("a response with neither result nor error: \(reply)") }
    }
}
