import IPCSys
import IPCSyntax

/// `emit-c [-o FILE]`: the session typed so far as one C program (`ipcsh emit-c SCRIPT` for a file).
enum EmitCCommands {
    static let all: [CommandSpec] = [emitC]

    static let emitC = CommandSpec(
        "emit-c", summary: "the C program that makes this session's system calls, to FILE or the screen",
        arguments: [ArgumentSpec("-o", .keyword(["-o"]), optional: true, about: "write the program to FILE"),
                    ArgumentSpec("FILE", .path, optional: true, about: "where the C goes (lesson.c)")],
        example: "emit-c -o lesson.c",
        discussion: "Translates the commands typed so far that ran without failing (help, diagram, record and emit-c itself aside) as ipcsh emit-c SCRIPT translates a script: the same calls in the same order, printing the same lines, with textbook error checks; it compiles with cc -Wall -Wextra -Werror. A command with no C form is refused with its place, and nothing is written. In a script, use ipcsh emit-c SCRIPT."
    ) { ctx in
        let path = ctx.string("FILE")
        if ctx.has("-o") && path == nil { throw ctx.failure("emit-c: -o needs a file", hint: "emit-c -o lesson.c") }
        if !ctx.has("-o") && path != nil {
            throw ctx.failure("emit-c: write -o before the file", hint: "emit-c -o \(path ?? "lesson.c")")
        }
        guard let typed = ctx.session.typedCommands else {
            throw ctx.failure("emit-c: a script is translated by ipcsh emit-c SCRIPT",
                              hint: "run ipcsh emit-c \(ctx.session.positional.first ?? "SCRIPT") -o lesson.c")
        }
        let plan = CommandPlan(source: typed.joined(separator: "\n"), file: "session")
        let program: String
        do throws(CEmitError) {
            program = try CEmitter.emit(plan, origin: "emit-c typed in ipcsh, from the session so far")
        } catch {
            var diagnostic = error.diagnostic
            // Name the typed command the refusal is about (a block may span lines).
            var start = 1
            for command in typed {
                let lines = command.utf8.filter { $0 == 0x0A }.count + 1
                if let line = diagnostic.location?.line, line >= start, line < start + lines {
                    diagnostic.message += " (in: \(command.split(separator: "\n").first.map(String.init) ?? command))"
                }
                start += lines
            }
            diagnostic.location = ctx.location
            throw CommandFailure(diagnostic: diagnostic)
        }
        guard let path else {
            ctx.output.writeRaw(Array(program.utf8))
            return .none
        }
        if let problem = ReplacementFile.writeWhole(path, Array(program.utf8)) { throw ctx.failure("emit-c: " + problem) }
        ctx.output.info("emit-c: \(typed.count) command(s) written to \(path) (cc -Wall -Wextra -Werror \(path))")
        return .none
    }
}
