#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the libFuzzer targets (build-fuzz/, configured on first use) and runs each one for
# SECONDS_PER_TARGET seconds on a scratch copy of its seed corpus (fuzz/corpus/<target>/
# is never modified). Exit status 0 only when every target ran clean; crash, leak, timeout
# and out-of-memory inputs are written to fuzz/artifacts/ (gitignored), with the full
# fuzzer log next to them.
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 20 s, all targets)
# Environment: BUILD_DIR (default <repo>/build-fuzz), FUZZ_ARGS (extra libFuzzer flags).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-20}
shift || true
build=${BUILD_DIR:-$root/build-fuzz}
artifacts=$here/artifacts
work=$build/fuzz-work

all_targets=(cmdline check-args config swsusp procfs record bootentry setup-args resume-decision crypttab root workingset generator pe)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

if ! [[ $secs =~ ^[0-9]+$ ]] || [[ $secs -eq 0 ]]; then
        echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
        exit 2
fi

if [[ ! -f $build/build.ninja ]]; then
        echo "== configuring $build"
        (cd "$root" && CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true -Dtests=false \
                -Db_sanitize=address,undefined -Db_lundef=false) || { echo "meson setup failed" >&2; exit 2; }
fi
echo "== building"
ninja -C "$build" "${targets[@]/#/fuzz/fuzz-}" >"$build/fuzz-build.log" 2>&1 ||
        { cat "$build/fuzz-build.log" >&2; echo "build failed" >&2; exit 2; }

mkdir -p "$artifacts" "$work"
# UBSan only reports and carries on by default: make it fatal so libFuzzer saves the input.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

passed=0
failed=0
for t in "${targets[@]}"; do
        bin=$build/fuzz/fuzz-$t
        seeds=$here/corpus/$t
        if [[ ! -x $bin || ! -d $seeds ]]; then
                echo "fuzz-$t: FAILED (no binary $bin or no corpus $seeds)"
                failed=$((failed + 1))
                continue
        fi
        corpus=$work/$t
        rm -rf "$corpus"
        mkdir -p "$corpus"
        cp -- "$seeds"/* "$corpus"/
        log=$artifacts/fuzz-$t.log
        dict=()
        [[ -f $here/dict/$t.dict ]] && dict=(-dict="$here/dict/$t.dict")

        # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
        "$bin" "${dict[@]}" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$artifacts/$t-" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
        rc=$?

        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        [[ -n $execs ]] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n1)
        last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n1)
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
        ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
        corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
        rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1)
        stats="execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} peak_rss=${rss:-?}MB"
        if [[ $rc -eq 0 ]]; then
                echo "fuzz-$t: ok      $stats"
                passed=$((passed + 1))
        else
                what=$(grep -m1 -E '^==[0-9]+== ?ERROR: |^SUMMARY: |runtime error: |invariant failed' "$log" |
                        sed 's/^==[0-9]*== *//')
                # innermost frame in our code (library or harness)
                where=$(grep -m1 -oE '[^ ]*(hibernate-tool/lib|fuzz)/[^ /]+\.(cc|hh):[0-9]+(:[0-9]+)?' "$log")
                unit=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -n1)
                echo "fuzz-$t: FAILED  (exit $rc) $stats"
                echo "    ${what:-see log}"
                [[ -n $where ]] && echo "    at:    ${where##*/../}"
                [[ -n $unit ]] && echo "    input: $unit"
                echo "    log:   $log"
                failed=$((failed + 1))
        fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
