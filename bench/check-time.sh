#!/bin/bash
# Wall time of hibernate-check: median and p90 of N runs on a fixture root (a fully
# configured machine with a real mkswap image) and on this machine, next to a peer run in
# the same go (`swapon --show`, which also reads /proc/swaps and probes with libblkid).
# Target (issue 2): median under 10 ms.
#   bench/check-time.sh [BUILD_DIR] [RUNS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
RUNS=${2:-200}
export HIBERNATE_CHECK=$BUILD/hibernate-tool/hibernate-check
[ -x "$HIBERNATE_CHECK" ] || { echo "build first: meson setup build && ninja -C build"; exit 2; }
# shellcheck source=../tests/integration/fixture.sh
source "$SRC/tests/integration/fixture.sh"
R=$(new_root)

command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
# measure LABEL COMMAND… : hyperfine without a shell; prints the line, echoes the median (µs) on fd 4
measure() {
        local label=$1; shift
        local j; j=$(mktemp)
        hyperfine -N --warmup 10 --runs "$RUNS" -i --export-json "$j" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
        jq -r --arg l "$label" '.results[0] | "\(.median * 1e6 | floor) \(.times | sort | .[(length * 9 / 10 | floor)] * 1e6 | floor)"' "$j" |
                { read -r med p90; printf '%-42s median %7.2f ms   p90 %7.2f ms\n' "$label" "$(bc -l <<<"$med/1000")" "$(bc -l <<<"$p90/1000")"; echo "$med" >&4; }
        rm -f "$j"
}

echo "hibernate-check wall time, $RUNS runs each ($(nproc) cores, $(uname -r))"
exec 3>&1
m_fix=$(measure "hibernate-check --root fixture --json" "$HIBERNATE_CHECK" --root "$R" --json 4>&1 >&3)
m_host=$(measure "hibernate-check (this machine)" "$HIBERNATE_CHECK" --json 4>&1 >&3)
m_peer=$(measure "peer: swapon --show" swapon --show 4>&1 >&3)
m_true=$(measure "baseline: /bin/true (process start)" /bin/true 4>&1 >&3)
awk -v a="$m_fix" -v b="$m_host" -v p="$m_peer" -v t="$m_true" 'BEGIN {
        printf "ratio fixture/peer %.2f, this-machine/peer %.2f; process start alone %.2f ms\n", a / p, b / p, t / 1000
        printf "target median < 10 ms: fixture %s, this machine %s\n", (a < 10000 ? "met" : "MISSED"), (b < 10000 ? "met" : "MISSED") }'
