#!/bin/bash
# Overhead of the initramfs resume helper when there is nothing to resume (the common
# boot): `hibernate-tool resume` on a fixture root whose resume device holds plain swap,
# next to `blkid -p` on the same device (the least any resume script must do) and
# /bin/true, in the same run. Target (issue 3): < 50 ms added to the boot.
#   bench/resume-helper.sh [BUILD_DIR] [RUNS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
RUNS=${2:-200}
export HIBERNATE_CHECK=$BUILD/hibernate-tool/hibernate-check
TOOL=$BUILD/hibernate-tool/hibernate-tool
[ -x "$TOOL" ] || { echo "build first: meson setup build && ninja -C build"; exit 2; }
command -v hyperfine >/dev/null || { echo "needs hyperfine"; exit 2; }
# shellcheck source=../tests/integration/fixture.sh
source "$SRC/tests/integration/fixture.sh"
R=$(new_root)
printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"

measure() {  # label, command…
        local label=$1; shift
        local j; j=$(mktemp)
        hyperfine -N --warmup 10 --runs "$RUNS" -i --export-json "$j" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
        jq -r --arg l "$label" '.results[0] | "\(.median * 1e6 | floor) \(.times | sort | .[(length * 9 / 10 | floor)] * 1e6 | floor)"' "$j" |
                { read -r med p90; printf '%-48s median %7.2f ms   p90 %7.2f ms\n' "$label" "$(bc -l <<<"$med/1000")" "$(bc -l <<<"$p90/1000")"; }
        rm -f "$j"
}
echo "resume helper without an image, $RUNS runs each ($(nproc) cores)"
measure "hibernate-tool resume (no image)" "$TOOL" resume --root "$R"
measure "peer: blkid -p on the same device" blkid -p "$R/dev/vdb"
measure "baseline: /bin/true" /bin/true
"$TOOL" resume --root "$R"
