#!/usr/bin/env python3
"""Writes the seed inputs of a fuzz target into a folder, one file per input, named by content.

    Fuzz/seeds.py syntax OUT_DIR   # example scripts, the tests' malformed lines, command examples
    Fuzz/seeds.py rpc OUT_DIR      # requests from the RPC and JSON tests and docs/rpc.md

scripts/fuzz.sh runs it before each run, so seeds follow the examples and tests as they change.
Run from the package root.
"""
import hashlib
import os
import re
import sys
from pathlib import Path

def unescape(body, raw):
    """The value of a Swift string literal's body (interpolations kept as written)."""
    if raw:
        return body
    out, i = [], 0
    simple = {'n': '\n', 't': '\t', 'r': '\r', '0': '\0', '"': '"', "'": "'", '\\': '\\'}
    while i < len(body):
        c = body[i]
        if c == '\\' and i + 1 < len(body):
            e = body[i + 1]
            if e in simple:
                out.append(simple[e])
                i += 2
                continue
            if e == '\n':  # a multi-line literal's line continuation
                i += 2
                continue
            m = re.match(r'u\{([0-9a-fA-F]{1,8})\}', body[i + 1:])
            if m:
                code = int(m.group(1), 16)
                out.append(chr(code) if code <= 0x10FFFF and not 0xD800 <= code < 0xE000 else '?')
                i += 1 + len(m.group(0))
                continue
        out.append(c)
        i += 1
    return ''.join(out)


def swift_literals(path):
    """The values of the string literals of a Swift file: "...", #"..."#, and multi-line ones."""
    text = Path(path).read_text(encoding='utf-8')
    i, n = 0, len(text)
    while i < n:
        if text.startswith('//', i):
            i = text.find('\n', i)
            if i < 0:
                return
            continue
        m = re.compile(r'(#*)("""|")').match(text, i)
        if not m:
            i += 1
            continue
        hashes, quote = m.group(1), m.group(2)
        raw, close = bool(hashes), quote + hashes
        j = m.end()
        while j < n:
            if not raw and text[j] == '\\':
                if text.startswith('(', j + 1):  # an interpolation: skip to its closing parenthesis
                    depth, j = 1, j + 2
                    while j < n and depth:
                        depth += {'(': 1, ')': -1}.get(text[j], 0)
                        j += 1
                    continue
                j += 2
                continue
            if text.startswith(close, j):
                break
            if quote == '"' and text[j] == '\n':
                break
            j += 1
        body = text[m.end():j]
        i = j + len(close)
        if quote == '"""':
            # The closing delimiter's indentation is removed from every line.
            lines = body.split('\n')
            indent = len(lines[-1]) - len(lines[-1].lstrip(' '))
            body = '\n'.join(line[indent:] for line in lines[1:-1])
        yield unescape(body, raw)


def json_spans(text, starts=('{"jsonrpc"', '[{"jsonrpc"', '[{')):
    """Balanced {...} or [...] texts that start like a request, as written in tests and docs."""
    for start in starts:
        for m in re.finditer(re.escape(start), text):
            depth, i, in_string = 0, m.start(), False
            while i < len(text):
                c = text[i]
                if in_string:
                    if c == '\\':
                        i += 1
                    elif c == '"':
                        in_string = False
                elif c == '"':
                    in_string = True
                elif c in '{[':
                    depth += 1
                elif c in '}]':
                    depth -= 1
                    if depth == 0:
                        yield text[m.start():i + 1]
                        break
                elif c == '\n':
                    break
                i += 1


def syntax_seeds():
    for pattern in ('examples/*.ipcs', 'examples/recordings/*.ipcs'):
        for path in sorted(Path('.').glob(pattern)):
            yield path.read_bytes()
    tests = ['Tests/IntegrationTests/MalformedInputTests.swift'] + sorted(
        str(p) for p in Path('Tests/IPCShellTests').glob('*.swift')
        if re.search(r'Lexer|Parser|SimpleCommand|Literals|Expansion', p.name))
    for path in tests:
        for value in swift_literals(path):
            # MalformedInputTests writes KEY for a fresh key.
            yield value.replace('KEY', '0x7e00f022').encode('utf-8', 'surrogateescape')
    # Every command's example (`example: "..."` in the specs): one well-formed line per command.
    for path in sorted(Path('Sources/IPCShell/Commands').glob('*.swift')):
        text = path.read_text(encoding='utf-8')
        for m in re.finditer(r'example:\s*(#*)"((?:\\.|[^"\\\n])*)"\1', text):
            yield unescape(m.group(2), raw=bool(m.group(1))).encode()


def rpc_seeds():
    for path in ('Tests/IntegrationTests/RPCTests.swift', 'docs/rpc.md'):
        text = Path(path).read_text(encoding='utf-8')
        for span in json_spans(text):
            # Python bytes in the tests separate requests with \\n: each is a line of its own.
            for line in span.replace('\\\\n', '\n').split('\n'):
                yield line.replace('None', 'null').replace('True', 'true').encode()
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(('{', '[')):
                yield stripped.encode()
    # The JSON parser's own tests: valid and malformed texts.
    for value in swift_literals('Tests/IPCShellTests/JSONTests.swift'):
        yield value.encode('utf-8', 'surrogateescape')


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('syntax', 'rpc'):
        sys.exit(__doc__)
    target, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    seeds = {s for s in (syntax_seeds() if target == 'syntax' else rpc_seeds()) if s.strip()}
    for seed in seeds:
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f'{len(seeds)} seeds', file=sys.stderr)


if __name__ == '__main__':
    main()
