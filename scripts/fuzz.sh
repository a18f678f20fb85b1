#!/usr/bin/env bash
# Fuzzing (README "Fuzzing"): libFuzzer targets built with `swiftc -sanitize=fuzzer,address`.
#   syntax  the lexer, the parser (whole and streamed) and the argument binder (Fuzz/SyntaxFuzz.swift)
#   rpc     one JSON-RPC request line as `rpc serve` answers it (Fuzz/RPCFuzz.swift)
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]  replay the regressions, then fuzz each target for
#                                               SECONDS (default 60), one after the other
#        scripts/fuzz.sh --replay [TARGET...]   run the regressions and the committed corpus once
#        scripts/fuzz.sh --merge [TARGET...]    minimize the committed corpus with what runs found
#        scripts/fuzz.sh --build [TARGET...]    only build
# Targets are built first when their sources changed (into .build/fuzz). A run reads
# Fuzz/Corpus/TARGET and seeds made from the examples and tests (Fuzz/seeds.py), and writes what
# it finds to .build/fuzz/corpus/TARGET (--merge folds that into Fuzz/Corpus). An input that
# crashes, leaks or hangs is copied to Fuzz/Regressions/TARGET, which every run replays first:
# commit it with the fix. Exits non-zero when anything failed.
# Environment: FUZZ_ARGS: more libFuzzer flags (say -max_len=4096); FUZZ_VERBOSE=1: libFuzzer's
# output as it runs (otherwise it goes to .build/fuzz/logs/TARGET.log, shown on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(syntax rpc)
out=.build/fuzz
# Per input: far above any real input (well under 10 ms), far below a CI run.
timeout_seconds=10
rss_limit_mb=2048

mode=fuzz
seconds=60
case "${1:-}" in
    --replay) mode=replay; shift ;;
    --merge) mode=merge; shift ;;
    --build) mode=build; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    ''|*[!0-9]*) ;;
    *) seconds=$1; shift ;;
esac
# libFuzzer reads -max_total_time=0 as "no limit".
if [ "$seconds" -lt 1 ]; then echo "fuzz: SECONDS must be 1 or more" >&2; exit 2; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    case "$t" in syntax|rpc) ;; *) echo "fuzz: unknown target '$t' (targets: ${all_targets[*]})" >&2; exit 2 ;; esac
done

harness() {
    case "$1" in syntax) echo Fuzz/SyntaxFuzz.swift ;; rpc) echo Fuzz/RPCFuzz.swift ;; esac
}

# The longest input. Scripts: 1 KiB reaches the same code as 4 KiB (a few edges less, of
# 4,100) at twice the executions a second, with a corpus a fifth the size.
max_len() {
    case "$1" in syntax) echo 1024 ;; rpc) echo 4096 ;; esac
}

swiftc=$(command -v swiftc || true)
if [ -z "$swiftc" ]; then
    echo "fuzz: no swiftc on PATH: the fuzz targets need a Swift toolchain" >&2
    exit 1
fi
bindir=$(dirname "$(readlink -f "$swiftc")")
# The toolchain's own clang: its sanitizer runtimes are the ones swiftc links.
clang=$bindir/clang
[ -x "$clang" ] || clang=$(command -v clang || true)
if [ -x "$bindir/llvm-symbolizer" ]; then export ASAN_SYMBOLIZER_PATH=$bindir/llvm-symbolizer; fi
# Leak detection is LeakSanitizer's default with libFuzzer on Linux; say so rather than rely on it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# libFuzzer, not the Swift runtime's backtracer, reports a crash (and saves the input).
export SWIFT_BACKTRACE=enable=no

mkdir -p "$out"/{include,modules,obj,bin,logs}
cat >"$out/include/module.modulemap" <<EOF
module CIPCShims {
    header "$PWD/Sources/CIPCShims/include/CIPCShims.h"
    export *
}
EOF
swift_flags=(-O -g -swift-version 6 -sanitize=fuzzer,address -use-ld=lld
             -Xcc -fmodule-map-file="$out/include/module.modulemap" -I "$out/modules")

# Names, sizes and times of the files a build reads, the compiler and its flags: a change rebuilds.
fingerprint() {
    { find "$@" -type f -printf '%p %s %T@\n' | sort; "$swiftc" --version; echo "${swift_flags[*]}"; } 2>&1 |
        sha1sum | cut -d' ' -f1
}

cannot_build() {
    echo "fuzz: FAILED: this toolchain cannot build libFuzzer targets ($swiftc -sanitize=fuzzer,address; $1)." >&2
    echo "fuzz: it needs a Swift toolchain for Linux with its clang and compiler-rt (libclang_rt.fuzzer)." >&2
    exit 1
}

probe_toolchain() {
    [ -x "$clang" ] || cannot_build "no clang next to swiftc or on PATH"
    local dir=$out/probe
    mkdir -p "$dir"
    printf '%s\n' '@_cdecl("LLVMFuzzerTestOneInput")' \
        'public func probe(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }' >"$dir/probe.swift"
    if ! "$swiftc" -parse-as-library -sanitize=fuzzer,address -use-ld=lld "$dir/probe.swift" -o "$dir/probe" >"$dir/log" 2>&1 ||
       ! "$dir/probe" -runs=10 >>"$dir/log" 2>&1; then
        cat "$dir/log" >&2
        cannot_build "a one-line target does not build or run"
    fi
}

# CIPCShims, IPCSys, IPCSyntax and IPCShell (-enable-testing: the targets reach internal API
# with @testable import), instrumented for coverage and ASan. Whole folders, so new files join.
# The Swift modules IPCShell is built from, in dependency order (IPCShell last): a target that
# IPCShell comes to depend on is added here (Package.swift says which).
modules=(IPCSys IPCBench IPCDiagram IPCSyntax IPCShell)

build_library() {
    local stamp=$out/obj/library.stamp print m files=()
    print=$(fingerprint Sources/CIPCShims "${modules[@]/#/Sources/}")
    if [ -f "$out/obj/IPCShell.o" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$print" ]; then return; fi
    probe_toolchain
    echo "fuzz: building ${modules[*]} for fuzzing (about a minute)"
    rm -f "$stamp"
    "$clang" -O1 -g -fsanitize=address,fuzzer-no-link -ISources/CIPCShims/include \
        -c Sources/CIPCShims/shims.c -o "$out/obj/shims.o" || {
        echo "fuzz: FAILED: building the C shims for fuzzing (errors above)" >&2
        exit 1
    }
    for m in "${modules[@]}"; do
        mapfile -t files < <(find "Sources/$m" -name '*.swift' | sort)
        "$swiftc" -parse-as-library -wmo -enable-testing "${swift_flags[@]}" -module-name "$m" -package-name ipcsh \
            -emit-module -emit-module-path "$out/modules/$m.swiftmodule" -c "${files[@]}" -o "$out/obj/$m.o" || {
            echo "fuzz: FAILED: building $m for fuzzing (errors above)" >&2
            exit 1
        }
    done
    echo "$print" >"$stamp"
}

build_target() {
    local t=$1 src stamp print
    src=$(harness "$t")
    stamp=$out/bin/$t.stamp
    build_library
    local objects=("${modules[@]/#/$out/obj/}")
    objects=("${objects[@]/%/.o}" "$out/obj/shims.o")
    print=$(fingerprint "$src" "${objects[@]}")
    if [ -x "$out/bin/$t" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$print" ]; then return; fi
    echo "fuzz: building target $t"
    rm -f "$stamp"
    "$swiftc" -parse-as-library "${swift_flags[@]}" -module-name "$(basename "$src" .swift)" "$src" \
        "${objects[@]}" -o "$out/bin/$t" || {
        echo "fuzz: FAILED: building target $t from $src (errors above)" >&2
        exit 1
    }
    echo "$print" >"$stamp"
}

# libFuzzer's output: streamed with FUZZ_VERBOSE=1, else kept in the log (shown on failure).
run_fuzzer() {
    local log=$1
    shift
    if [ "${FUZZ_VERBOSE:-0}" = 1 ]; then
        "$@" 2>&1 | tee "$log"
        return "${PIPESTATUS[0]}"
    fi
    "$@" >"$log" 2>&1
}

# Keeps each input libFuzzer saved on a failure (crash-, leak-, timeout-, oom-...) as a regression.
keep_failures() {
    local t=$1 log=$2 file kept=0
    echo "---- end of $log ----" >&2
    grep -v '^#[0-9]' "$log" | tail -n 60 >&2 || true
    echo "----" >&2
    mkdir -p "Fuzz/Regressions/$t"
    for file in "$out/artifacts/$t"/*; do
        [ -f "$file" ] || continue
        cp "$file" "Fuzz/Regressions/$t/"
        echo "fuzz: $t: the failing input is now Fuzz/Regressions/$t/$(basename "$file"): commit it with the fix" >&2
        echo "fuzz: reproduce: $out/bin/$t Fuzz/Regressions/$t/$(basename "$file")" >&2
        kept=1
    done
    [ "$kept" = 1 ] || echo "fuzz: $t: libFuzzer saved no input (see the log above)" >&2
}

common_flags() {
    local t=$1
    echo "-timeout=$timeout_seconds -rss_limit_mb=$rss_limit_mb -detect_leaks=1 -artifact_prefix=$out/artifacts/$t/"
}

# Every input that ever failed, run once each.
replay_regressions() {
    local t=$1 files=() log=$out/logs/$t.replay.log
    mapfile -t files < <(find "Fuzz/Regressions/$t" -maxdepth 1 -type f ! -name '.*' ! -name '*.md' 2>/dev/null | sort)
    if [ ${#files[@]} -eq 0 ]; then
        echo "fuzz: $t: no regression inputs"
        return 0
    fi
    rm -rf "$out/artifacts/$t" && mkdir -p "$out/artifacts/$t"
    # shellcheck disable=SC2046
    if run_fuzzer "$log" "$out/bin/$t" $(common_flags "$t") "${files[@]}"; then
        echo "fuzz: $t: ${#files[@]} regression input(s) pass"
    else
        echo "fuzz: FAILED: $t: a regression input fails again" >&2
        grep -v '^#[0-9]' "$log" | tail -n 60 >&2 || true
        return 1
    fi
}

make_seeds() {
    mkdir -p "$out/seeds/$1"
    python3 Fuzz/seeds.py "$1" "$out/seeds/$1" 2>/dev/null ||
        echo "fuzz: $1: warning: no seeds this run (python3 Fuzz/seeds.py $1 DIR fails)" >&2
}

replay_corpus() {
    local t=$1 log=$out/logs/$t.corpus.log
    mkdir -p "Fuzz/Corpus/$t"
    rm -rf "$out/artifacts/$t" && mkdir -p "$out/artifacts/$t"
    make_seeds "$t"
    # shellcheck disable=SC2046
    if run_fuzzer "$log" "$out/bin/$t" $(common_flags "$t") -runs=0 "Fuzz/Corpus/$t" "$out/seeds/$t"; then
        echo "fuzz: $t: the corpus and seeds pass ($(grep -o 'INITED.*corp: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?') inputs kept)"
    else
        echo "fuzz: FAILED: $t: an input of the corpus or the seeds fails" >&2
        keep_failures "$t" "$log"
        return 1
    fi
}

fuzz_target() {
    local t=$1 log=$out/logs/$t.log status=0 runs rate
    mkdir -p "$out/corpus/$t" "Fuzz/Corpus/$t"
    rm -rf "$out/artifacts/$t" && mkdir -p "$out/artifacts/$t"
    make_seeds "$t"
    echo "fuzz: $t: fuzzing for ${seconds}s (log: $log)"
    # New inputs go to the first folder (.build); the committed corpus and the seeds are read only.
    # shellcheck disable=SC2046,SC2086
    run_fuzzer "$log" "$out/bin/$t" $(common_flags "$t") -max_len="$(max_len "$t")" \
        -max_total_time="$seconds" -print_final_stats=1 \
        ${FUZZ_ARGS:-} "$out/corpus/$t" "Fuzz/Corpus/$t" "$out/seeds/$t" || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        echo "fuzz: FAILED: $t: libFuzzer exited with $status after ${runs:-?} executions" >&2
        keep_failures "$t" "$log"
        return 1
    fi
    echo "fuzz: $t: ${runs:-?} executions in ${seconds}s (${rate:-?}/s), no crash, leak or hang"
}

merge_target() {
    local t=$1 fresh=$out/merge/$t log=$out/logs/$t.merge.log before after
    rm -rf "$fresh" && mkdir -p "$fresh" "$out/corpus/$t" "Fuzz/Corpus/$t"
    rm -rf "$out/artifacts/$t" && mkdir -p "$out/artifacts/$t"
    make_seeds "$t"
    before=$(find "Fuzz/Corpus/$t" -type f | wc -l)
    # shellcheck disable=SC2046
    # The smallest set of inputs that covers every feature (-set_cover_merge), each cut to max_len.
    if ! run_fuzzer "$log" "$out/bin/$t" $(common_flags "$t") -max_len="$(max_len "$t")" -set_cover_merge=1 "$fresh" \
            "Fuzz/Corpus/$t" "$out/corpus/$t" "$out/seeds/$t"; then
        echo "fuzz: FAILED: $t: merging failed" >&2
        keep_failures "$t" "$log"
        return 1
    fi
    find "Fuzz/Corpus/$t" -type f -delete
    cp "$fresh"/* "Fuzz/Corpus/$t/" 2>/dev/null || true
    after=$(find "Fuzz/Corpus/$t" -type f | wc -l)
    echo "fuzz: $t: Fuzz/Corpus/$t: $before -> $after inputs," \
         "$(find "Fuzz/Corpus/$t" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s / 1024 }') KiB"
}

failed=0
for t in "${targets[@]}"; do
    build_target "$t"
done
[ "$mode" != build ] || exit 0
for t in "${targets[@]}"; do
    case "$mode" in
        fuzz) replay_regressions "$t" && fuzz_target "$t" || failed=1 ;;
        replay) replay_regressions "$t" && replay_corpus "$t" || failed=1 ;;
        merge) merge_target "$t" || failed=1 ;;
    esac
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: FAILED (see above)" >&2
    exit 1
fi
