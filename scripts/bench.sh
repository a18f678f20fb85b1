#!/usr/bin/env bash
# Measures the two performance targets of ipcsh (README "Performance"):
#   (a) start-up: `ipcsh -c 'echo hi'` against `bash -c true` (target: within 2x of bash);
#   (b) throughput: a generated script of N commands alternating `write shm1 hello-K` /
#       `read shm1`, output to a file, against the real Python interpreter running the same
#       loop with sysv_ipc (target: ipcsh at least 4x faster, end to end). The two run in
#       alternation and the ratio is the median of each pair's ratio. The same commands written
#       as one `repeat` loop are measured the same way (no target: how loops compare);
#   (c) the interpreter's cost on descriptor commands: a script of 100,000 `write p.w hello-N` /
#       `read p.r` pairs against the same loop in C with stdio (target: at most 2x).
# It builds the shipping binary first (`swift build -c release --static-swift-stdlib`, in
# .build-release so it never waits on the debug build's lock), checks that both sides of (b)
# print the same lines, and ends with a Markdown table for the README.
#
# usage: scripts/bench.sh [--no-build] [--commands N] [--pipe-pairs N] [--runs N] [--startup-runs N]
#                         [--only startup|throughput] [--keep-script DIR]
# Environment: IPCSH_BIN=path uses that binary (implies --no-build).
# Timings are never part of the test suite: run this by hand on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
commands=100000
pairs_vs_c=100000
runs=10
startup_runs=500
only=""
keep_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --commands) commands="$2"; shift ;;
        --pipe-pairs) pairs_vs_c="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --startup-runs) startup_runs="$2"; shift ;;
        --only) only="$2"; shift ;;
        --keep-script) keep_dir="$2"; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ $((commands % 2)) -ne 0 ] || [ "$commands" -lt 2 ]; then
    echo "bench.sh: --commands must be an even number of at least 2" >&2; exit 2
fi

# --- Build ---------------------------------------------------------------------------------
if [ -n "${IPCSH_BIN:-}" ]; then
    bin="$IPCSH_BIN"
else
    bin=.build-release/release/ipcsh
    if [ "$build" -eq 1 ]; then
        echo "==> swift build -c release --static-swift-stdlib --scratch-path .build-release" >&2
        swift build -c release --static-swift-stdlib --scratch-path .build-release >&2
    fi
fi
[ -x "$bin" ] || { echo "bench.sh: no binary at $bin (build it, or drop --no-build)" >&2; exit 1; }

# --- Tools ---------------------------------------------------------------------------------
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
if ! command -v hyperfine >/dev/null; then
    echo "==> installing hyperfine" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y hyperfine >&2 \
        || { $SUDO apt-get update >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y hyperfine >&2; } \
        || echo "bench.sh: hyperfine unavailable, timing with a date +%s%N loop" >&2
fi
have_hyperfine=0; command -v hyperfine >/dev/null && have_hyperfine=1

# The interpreter itself, not a pyenv shim (the shim alone costs ~90 ms per start).
python=$(python3 -c 'import sys; print(sys.executable)')
if [ "$only" != startup ] && ! "$python" -c 'import sysv_ipc' 2>/dev/null; then
    echo "==> $python -m pip install sysv_ipc" >&2
    "$python" -m pip install --quiet sysv_ipc >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ipcsh-bench.XXXXXX")
keys=()
cleanup() {
    local key
    for key in "${keys[@]}"; do ipcrm -M "$key" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A System V key in the 0x7e?????? test range that no segment uses yet.
fresh_key() {
    local key
    while :; do
        key=$(printf '0x7e%06x' $(( (RANDOM << 9 ^ RANDOM ^ $$) & 0xffffff )))
        if ! ipcs -m | awk 'NR>3 {print $1}' | grep -qix "$key"; then echo "$key"; return; fi
    done
}

# time_mean RUNS WARMUP COMMAND SHELLMODE: mean wall time of COMMAND in ms, into $REPLY, and
# its mean CPU time (user + system) into $CPU ("?" without hyperfine).
# With hyperfine: SHELLMODE "none" runs it without a shell (-N), "shell" through one (hyperfine
# subtracts the shell's own start-up). Without: a loop timed with date +%s%N, run by eval.
time_mean() {
    local runs="$1" warmup="$2" cmd="$3" shellmode="$4"
    if [ "$have_hyperfine" -eq 1 ]; then
        local csv="$work/hf.csv"
        local opts=(--warmup "$warmup" --runs "$runs" --export-csv "$csv" --style basic)
        [ "$shellmode" = none ] && opts+=(-N)
        hyperfine "${opts[@]}" "$cmd" >&2
        REPLY=$(awk -F, 'NR==2 {printf "%.3f", $2 * 1000}' "$csv")
        CPU=$(awk -F, 'NR==2 {printf "%.3f", ($5 + $6) * 1000}' "$csv")
    else
        CPU="?"
        local i start end
        for ((i = 0; i < warmup; i++)); do eval "$cmd" >/dev/null; done
        start=$(date +%s%N)
        for ((i = 0; i < runs; i++)); do eval "$cmd" >/dev/null; done
        end=$(date +%s%N)
        REPLY=$(awk -v a="$start" -v b="$end" -v n="$runs" 'BEGIN {printf "%.3f", (b - a) / n / 1e6}')
        echo "  $cmd: $REPLY ms (mean of $runs)" >&2
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
verdict() { awk -v r="$1" -v t="$2" -v dir="$3" 'BEGIN {ok = dir == "le" ? r <= t : r >= t; print ok ? "met" : "NOT met"}'; }

rows=()
cpu=$(nproc)
echo "==> $($bin --version 2>/dev/null || echo ipcsh), $cpu cores, $(uname -r)" >&2

# --- (a) Start-up ----------------------------------------------------------------------------
if [ "$only" != throughput ]; then
    [ "$("$bin" -c 'echo hi')" = hi ] || { echo "bench.sh: $bin -c 'echo hi' did not print hi" >&2; exit 1; }
    echo "==> start-up" >&2
    time_mean "$startup_runs" 20 "$bin -c 'echo hi'" none; ipcsh_start=$REPLY; ipcsh_cpu=$CPU
    time_mean "$startup_runs" 20 "bash -c true" none; bash_start=$REPLY; bash_cpu=$CPU
    r=$(ratio "$ipcsh_start" "$bash_start")
    rows+=("| start-up: \`ipcsh -c 'echo hi'\` vs \`bash -c true\` | ${ipcsh_start} ms (CPU ${ipcsh_cpu}) | ${bash_start} ms (CPU ${bash_cpu}) | ${r}× slower | ≤ 2× ($(verdict "$r" 2 le)) |")
fi

# --- (b) Throughput --------------------------------------------------------------------------
if [ "$only" != startup ]; then
    pairs=$((commands / 2))
    key_sh=$(fresh_key); keys+=("$key_sh")
    key_py=$(fresh_key); keys+=("$key_py")
    script="$work/writes-reads.ipcs"
    {
        echo "# $commands commands alternating write/read on one segment (generated by scripts/bench.sh)"
        echo "shm create $key_sh 1024"
        echo "shm attach shm1"
        awk -v n="$pairs" 'BEGIN {for (i = 0; i < n; i++) printf "write shm1 hello-%d\nread shm1\n", i}'
        echo "shm detach shm1"
        echo "shm rm shm1"
    } >"$script"
    cat >"$work/writes_reads.py" <<'EOF'
import sys
import sysv_ipc

key, pairs = int(sys.argv[1], 0), int(sys.argv[2])
segment = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, 0o600, 1024)
write = sys.stdout.write
try:
    for n in range(pairs):
        segment.write(b"hello-%d\0" % n)                 # NUL-terminated, as ipcsh's write
        data = segment.read()
        write(data[:data.index(b"\0")].decode() + "\n")  # the C string, as ipcsh's read
finally:
    segment.detach()
    segment.remove()
EOF
    loop_script="$work/writes-reads-loop.ipcs"
    {
        echo "# the same $commands commands as one repeat loop (generated by scripts/bench.sh)"
        echo "shm create $key_sh 1024"
        echo "shm attach shm1"
        echo "repeat $pairs { write shm1 hello-\$i; read shm1 }"
        echo "shm detach shm1"
        echo "shm rm shm1"
    } >"$loop_script"
    if [ -n "$keep_dir" ]; then mkdir -p "$keep_dir"; cp "$script" "$loop_script" "$work/writes_reads.py" "$keep_dir/"; fi

    run_python() { "$python" "$work/writes_reads.py" "$key_py" "$pairs" >"$work/python.out"; }
    median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

    # compare SCRIPT LABEL TARGET: checks that ipcsh running SCRIPT prints Python's lines, then
    # times the two side by side and adds a row (TARGET: the ratio to reach, or - for none).
    compare() {
        local ipcsh_script=$1 label=$2 target=$3
        run_ipcsh() { "$bin" "$ipcsh_script" >"$work/ipcsh.out"; }
        # Same lines from both, and each leaves its segment removed.
        run_ipcsh
        run_python
        grep '^hello-' "$work/ipcsh.out" >"$work/ipcsh.lines" || true
        if ! cmp -s "$work/ipcsh.lines" "$work/python.out"; then
            echo "bench.sh: ipcsh ($ipcsh_script) and Python printed different lines:" >&2
            diff "$work/ipcsh.lines" "$work/python.out" | head -5 >&2
            exit 1
        fi
        [ "$(wc -l <"$work/python.out")" -eq "$pairs" ] || { echo "bench.sh: expected $pairs lines" >&2; exit 1; }
        echo "==> throughput, $label: $commands commands, outputs identical ($pairs lines)" >&2

        # Side by side: the two run in alternation (which goes first alternates too), each run
        # timed end to end, and the ratio is the median of the ratios of each pair. On a shared
        # machine whose speed drifts by tens of percent from minute to minute, means of two
        # separate series compare two different machines.
        : >"$work/pairs"
        local i t0 t1 t2
        for ((i = 0; i < runs; i++)); do
            if ((i % 2 == 0)); then
                t0=$(date +%s%N); run_ipcsh; t1=$(date +%s%N); run_python; t2=$(date +%s%N)
                echo "$(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))" >>"$work/pairs"
            else
                t0=$(date +%s%N); run_python; t1=$(date +%s%N); run_ipcsh; t2=$(date +%s%N)
                echo "$(( (t2 - t1) / 1000 )) $(( (t1 - t0) / 1000 ))" >>"$work/pairs"
            fi
        done
        local ipcsh_tp py_tp r r_low r_high per goal
        ipcsh_tp=$(awk '{printf "%.1f\n", $1 / 1000}' "$work/pairs" | median)
        py_tp=$(awk '{printf "%.1f\n", $2 / 1000}' "$work/pairs" | median)
        r=$(awk '{printf "%.3f\n", $2 / $1}' "$work/pairs" | median)
        r_low=$(awk '{printf "%.2f\n", $2 / $1}' "$work/pairs" | sort -g | head -1)
        r_high=$(awk '{printf "%.2f\n", $2 / $1}' "$work/pairs" | sort -g | tail -1)
        echo "  $runs pairs; ipcsh/python per pair (µs): $(tr '\n' ';' <"$work/pairs")" >&2
        r=$(awk -v r="$r" 'BEGIN {printf "%.2f", r}')
        per=$(awk -v t="$ipcsh_tp" -v n="$commands" 'BEGIN {printf "%.2f", t * 1000 / n}')
        goal="(no target)"
        [ "$target" = - ] || goal="≥ ${target}× ($(verdict "$r" "$target" ge))"
        rows+=("| $label vs Python + sysv_ipc | ${ipcsh_tp} ms (${per} µs/command) | ${py_tp} ms | ${r}× faster (pairs: ${r_low}–${r_high}) | $goal |")
    }
    compare "$script" "$commands commands \`write shm1 hello-N\` / \`read shm1\`" 4
    compare "$loop_script" "the same as one loop, \`repeat $pairs { write shm1 hello-\$i; read shm1 }\`" -

    # (c) The interpreter's cost on descriptor commands: $pipe_pairs write/read pairs on a pipe
    # against the same loop in C with stdio (issue 15.5: at most 2x). Both print each line read.
    pipe_pairs=$pairs_vs_c
    pipe_script="$work/pipe-pairs.ipcs"
    {
        echo "# $pipe_pairs write/read pairs on a pipe (generated by scripts/bench.sh)"
        echo "p = pipe"
        awk -v n="$pipe_pairs" 'BEGIN {for (i = 0; i < n; i++) printf "write p.w hello-%d\nread p.r\n", i}'
    } >"$pipe_script"
    cat >"$work/pipe_pairs.c" <<'EOF_C'
/* The C counterpart of pipe-pairs.ipcs: write "hello-N" into a pipe, read it back, print it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long pairs = argc > 1 ? atol(argv[1]) : 100000;
    int p[2];
    if (pipe(p) == -1) { perror("pipe"); return 1; }
    printf("p: read end p.r = fd %d, write end p.w = fd %d\n", p[0], p[1]);
    char message[32], buffer[4096];
    for (long i = 0; i < pairs; i++) {
        int len = snprintf(message, sizeof message, "hello-%ld", i);
        if (write(p[1], message, (size_t)len) != len) { perror("write"); return 1; }
        ssize_t n = read(p[0], buffer, sizeof buffer);
        if (n <= 0) { perror("read"); return 1; }
        fwrite(buffer, 1, (size_t)n, stdout);
        putchar('\n');
    }
    return 0;
}
EOF_C
    cc -O2 -Wall -Wextra -Werror -o "$work/pipe_pairs" "$work/pipe_pairs.c"
    run_c_pairs() { "$work/pipe_pairs" "$pipe_pairs" >"$work/c.out"; }
    run_ipcsh_pairs() { "$bin" "$pipe_script" >"$work/ipcsh.out"; }
    run_c_pairs; run_ipcsh_pairs
    if ! diff <(grep '^hello-' "$work/ipcsh.out") <(grep '^hello-' "$work/c.out") >/dev/null; then
        echo "bench.sh: ipcsh and C printed different lines for the pipe pairs" >&2; exit 1
    fi
    echo "==> pipe pairs: $pipe_pairs write/read pairs, outputs identical" >&2
    : >"$work/pairs"
    for ((i = 0; i < runs; i++)); do
        if ((i % 2 == 0)); then
            t0=$(date +%s%N); run_ipcsh_pairs; t1=$(date +%s%N); run_c_pairs; t2=$(date +%s%N)
            echo "$(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))" >>"$work/pairs"
        else
            t0=$(date +%s%N); run_c_pairs; t1=$(date +%s%N); run_ipcsh_pairs; t2=$(date +%s%N)
            echo "$(( (t2 - t1) / 1000 )) $(( (t1 - t0) / 1000 ))" >>"$work/pairs"
        fi
    done
    ipcsh_tp=$(awk '{printf "%.1f\n", $1 / 1000}' "$work/pairs" | median)
    c_tp=$(awk '{printf "%.1f\n", $2 / 1000}' "$work/pairs" | median)
    r=$(awk '{printf "%.3f\n", $1 / $2}' "$work/pairs" | median)
    r_low=$(awk '{printf "%.2f\n", $1 / $2}' "$work/pairs" | sort -g | head -1)
    r_high=$(awk '{printf "%.2f\n", $1 / $2}' "$work/pairs" | sort -g | tail -1)
    r=$(awk -v r="$r" 'BEGIN {printf "%.2f", r}')
    rows+=("| $pipe_pairs pairs \`write p.w hello-N\` / \`read p.r\` vs the same loop in C with stdio | ${ipcsh_tp} ms | ${c_tp} ms | ${r}× slower (pairs: ${r_low}–${r_high}) | ≤ 2× ($(verdict "$r" 2 le)) |")
fi

# --- Table -----------------------------------------------------------------------------------
echo
echo "Measured with \`scripts/bench.sh\` ($cpu cores; start-up: mean wall and user + system CPU time of $startup_runs runs; throughput: medians of $runs alternating runs, in ms):"
echo
echo "| measurement | ipcsh | baseline | ratio | target |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
