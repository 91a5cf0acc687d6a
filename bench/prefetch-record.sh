#!/bin/bash
# What recording the working set adds to `hibernate-tool pre` (issue 13 part 2 target:
# ≤ 100 ms on a typical desktop). Runs `hibernate-tool prefetch --record` — the function pre
# calls, alone — RUNS times and prints the median and p90 of the recording time the record
# itself states (elapsed_us: /proc walk, mincore/cachestat, pagemap) and of the command's wall
# time (plus process start, configuration, the atomic write with its fsyncs), with the
# default 100 ms deadline and with the deadline lifted (10 s: the whole cost), in two
# scenarios:
#   machine   this machine as it is;
#   loaded    plus 250 idle processes, one holding a 1 GiB file open (read into the cache)
#             and one with a 2 GiB anonymous buffer (tests/e2e/ps-workload.c) — more
#             processes and resident memory than this machine has, closer to a desktop.
# Runs in a private mount namespace with tmpfs on /var/lib and /run: the machine's own
# record and lock are never touched. Needs root, unshare, cc (for ps-workload), jq.
#   bench/prefetch-record.sh [BUILD_DIR] [RUNS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
RUNS=${2:-30}
TOOL=$BUILD/hibernate-tool/hibernate-tool
[ -x "$TOOL" ] || { echo "build first: meson setup build && ninja -C build"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 2; }
if [ -z "${HT_BENCH_NS:-}" ]; then
        exec env HT_BENCH_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
mount -t tmpfs ht-varlib /var/lib
mount -t tmpfs ht-run /run
W=$(mktemp -d /var/tmp/ht-bench-XXXXXX)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$W"' EXIT
printf '[prefetch]\nrecord_deadline_ms = 10000\nmax_bytes = "64G"\n' > "$W/unbounded.toml"
printf '\n' > "$W/default.toml"

pct() {  # percentile of numbers on stdin
        sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int((NR - 1) * p + 0.5) + 1; print a[i] }'
}
measure() {  # scenario config-name
        local cfg=$W/$2.toml i t0 t1 rec=/var/lib/hibernate-tool/workingset
        : > "$W/rec_us"; : > "$W/wall_us"; local trunc=0 line=""
        for ((i = 0; i < RUNS; i++)); do
                t0=$(date +%s%N)
                line=$("$TOOL" prefetch --record --config "$cfg")
                t1=$(date +%s%N)
                echo $(((t1 - t0) / 1000)) >> "$W/wall_us"
                sed -n 's/^elapsed_us //p' "$rec" >> "$W/rec_us"
                grep -qx 'truncated 1' "$rec" && trunc=$((trunc + 1))
        done
        printf '| %s | %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d/%d | %s |\n' "$1" "$2" \
                "$(pct 0.5 < "$W/rec_us")e-3" "$(pct 0.9 < "$W/rec_us")e-3" \
                "$(pct 0.5 < "$W/wall_us")e-3" "$(pct 0.9 < "$W/wall_us")e-3" "$trunc" "$RUNS" \
                "${line#hibernate-tool: working set: }"
}

echo "$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r), $(ls -d /proc/[0-9]* | wc -l) processes, $RUNS runs each"
echo
echo "| scenario | deadline | recording median | p90 | pre's added wall time median | p90 | truncated | last record |"
echo "|---|---|---|---|---|---|---|---|"
measure machine default
measure machine unbounded

cc -O2 -o "$W/ps-workload" "$SRC/tests/e2e/ps-workload.c"
"$W/ps-workload" mkfile "$W/big" 1024 7 >/dev/null
cat "$W/big" >/dev/null
"$W/ps-workload" hold 2048 7 "$W/state" & PIDS+=($!)
sleep 600 3<"$W/big" & PIDS+=($!)
for ((i = 0; i < 250; i++)); do sleep 600 & PIDS+=($!); done
for _ in $(seq 300); do grep -q ready "$W/state" 2>/dev/null && break; sleep 0.1; done
measure loaded default
measure loaded unbounded
