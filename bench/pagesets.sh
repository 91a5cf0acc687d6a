#!/bin/bash
# Two-pageset hibernation against stock, in the same go: runs parts A (stock kernel) and B
# (patched kernel, two pagesets) of tests/e2e/test-pagesets.sh RUNS times (QEMU TCG,
# 512 MiB VM, 200 MiB anonymous buffer + 150 MiB file in the page cache) and prints the
# median of each figure and the ratio two/stock.
#
#   bash bench/pagesets.sh [RUNS]        (default 3; kernels built/cached by kernel-patches/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 1; i <= RUNS; i++)); do
        echo "run $i/$RUNS" >&2
        HT_PS_ONLY="A B" bash tests/e2e/test-pagesets.sh 2>/dev/null | grep '^PSBENCH ' >> "$out" ||
                { echo "bench/pagesets.sh: test-pagesets.sh failed" >&2; exit 1; }
done
median() {  # mode key
        grep " mode=$1 " "$out" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -n |
                awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-16s %12s %12s %10s\n' "median ($RUNS runs)" stock two two/stock
for k in hibernate_s resume_s image_mib resident_pct reread_ms write_mbps read_mbps; do
        s=$(median stock "$k"); t=$(median two "$k")
        printf '%-16s %12s %12s %10s\n' "$k" "$s" "$t" "$(awk -v s="$s" -v t="$t" 'BEGIN { if (s > 0) printf "%.2f", t / s; else print "-" }')"
done
