#!/usr/bin/env bash
# Compares ipcsh's `bench` command with the C reference program scripts/ipcbench.c, which
# measures every mechanism with the same method: the two must agree within 10% on the same
# machine with the same CPU placement.
#
# For every mechanism it runs latency at 64 B and throughput at 1 MiB (or at the mechanism's
# largest message when 1 MiB is above it: udp 65507, mq kernel.msgmax, pmq
# fs.mqueue.msgsize_max), alternating the C program and
#   ipcsh -c 'bench MECH --mode MODE --size SIZE --json --cpus A,B'
# RUNS times each, and prints a Markdown table of each side's median figure (median_us for
# latency, mb_s for throughput) and their ratio.
#
# usage: scripts/bench-vs-c.sh [--ipcsh PATH] [--runs N] [--cpus A,B|none] [--c-only]
#   --ipcsh PATH  the ipcsh binary (default .build-release/release/ipcsh; it is not built here)
#   --runs N      runs of each side per row (default 5)
#   --cpus A,B    parent on CPU A, peer on CPU B, for both sides (default 0,1);
#                 "none" leaves placement to the scheduler
#   --c-only      run only the C program (one column)
# Timings are never part of the test suite: run this by hand on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

ipcsh=.build-release/release/ipcsh
runs=5
cpus=0,1
c_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --ipcsh) ipcsh="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --cpus) cpus="$2"; shift ;;
        --c-only) c_only=1 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-vs-c.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$runs" in
    ''|*[!0-9]*|0) echo "bench-vs-c.sh: --runs must be a whole number of at least 1" >&2; exit 2 ;;
esac
cpu_args=()
[ "$cpus" = none ] || cpu_args=(--cpus "$cpus")

if [ "$c_only" -eq 0 ] && [ ! -x "$ipcsh" ]; then
    echo "bench-vs-c.sh: no ipcsh binary at $ipcsh" >&2
    echo "  build it (swift build -c release --static-swift-stdlib --scratch-path .build-release)," >&2
    echo "  pass --ipcsh PATH, or use --c-only to measure the C program alone" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-c.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

cc -O2 -Wall -Wextra -Werror -o "$work/ipcbench" scripts/ipcbench.c

# Throughput size: 1 MiB, or the mechanism's largest message when that is smaller.
mib=1048576
msgmax=$(cat /proc/sys/kernel/msgmax)
msgsize_max=$(cat /proc/sys/fs/mqueue/msgsize_max)
min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }
throughput_size() {
    case "$1" in
        udp) min "$mib" 65507 ;;
        mq) min "$mib" "$msgmax" ;;
        pmq) min "$mib" "$msgsize_max" ;;
        *) echo "$mib" ;;
    esac
}

# run_side SIDE FILE COMMAND...: runs COMMAND, appends its JSON line (its last line) to FILE;
# stops the script, showing what it printed, when it fails or prints no JSON.
run_side() {
    local side=$1 file=$2 out
    shift 2
    if ! out=$("$@" 2>"$work/stderr"); then
        echo "bench-vs-c.sh: the $side run failed: $*" >&2
        [ -z "$out" ] || printf '%s\n' "$out" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    out=$(printf '%s\n' "$out" | grep '^{' | tail -n 1 || true)
    if [ -z "$out" ]; then
        echo "bench-vs-c.sh: the $side run printed no JSON: $*" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    printf '%s\n' "$out" >>"$file"
}

rows=()
for mech in pipe fifo unix tcp udp shm mq pmq memcpy; do
    for mode in latency throughput; do
        if [ "$mode" = latency ]; then size=64; else size=$(throughput_size "$mech"); fi
        echo "==> $mech $mode $size B: $runs runs of each side" >&2
        : >"$work/$mech-$mode.c"
        : >"$work/$mech-$mode.ipcsh"
        for ((i = 0; i < runs; i++)); do
            run_side C "$work/$mech-$mode.c" \
                "$work/ipcbench" "$mech" --mode "$mode" --size "$size" --json "${cpu_args[@]}"
            if [ "$c_only" -eq 0 ]; then
                run_side ipcsh "$work/$mech-$mode.ipcsh" \
                    "$ipcsh" -c "bench $mech --mode $mode --size $size --json ${cpu_args[*]}"
            fi
        done
        rows+=("$mech $mode $size")
    done
done

# The table: medians of each side's runs, checking each JSON line is the row it claims.
python3 - "$work" "$c_only" "$runs" "$cpus" "${rows[@]}" <<'EOF'
import json
import statistics
import sys

work, c_only, runs, cpus, rows = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4], sys.argv[5:]

def median_figure(path, mech, mode, size):
    field = "median_us" if mode == "latency" else "mb_s"
    values = []
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            got = (record.get("mechanism"), record.get("mode"), record.get("size"))
            if got != (mech, mode, size):
                sys.exit(f"bench-vs-c.sh: {path}: expected {(mech, mode, size)}, got {got}")
            values.append(float(record[field]))
    return statistics.median(values)

def show(value, mode):
    return (f"{value:.3f} µs" if value >= 0.1 else f"{value:.4f} µs") if mode == "latency" else f"{value:.1f} MB/s"

print(f"Median of {runs} runs per side, cpus {cpus}; latency: one-way median, throughput: MB/s (10^6 B).")
print()
if c_only:
    print("| mechanism | mode | size | C |")
    print("|---|---|---:|---:|")
else:
    print("| mechanism | mode | size | C | ipcsh | ipcsh/C |")
    print("|---|---|---:|---:|---:|---:|")
for row in rows:
    mech, mode, size = row.split()
    size = int(size)
    c = median_figure(f"{work}/{mech}-{mode}.c", mech, mode, size)
    if c_only:
        print(f"| {mech} | {mode} | {size} | {show(c, mode)} |")
    else:
        sh = median_figure(f"{work}/{mech}-{mode}.ipcsh", mech, mode, size)
        print(f"| {mech} | {mode} | {size} | {show(c, mode)} | {show(sh, mode)} | {sh / c:.2f} |")
EOF
