#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/generator.sh [BUILD_DIR] [RUNS]: hibernate-tool-resume-generator against systemd's
# systemd-hibernate-resume-generator on the same kernel command line, both acting as in
# the initrd (SYSTEMD_IN_INITRD=1) and writing into a fresh directory each run.
#   - wall time: hyperfine -N (no shell), median and p90 of RUNS runs;
#   - instructions: valgrind --tool=callgrind, the whole process (dynamic loader included).
# Prints the ratio ours/systemd's for both; the target is <= 1.0.
set -euo pipefail

BUILD=${1:-build}
RUNS=${2:-200}
OURS=$(realpath "$BUILD/generators/hibernate-tool-resume-generator")
SD=/usr/lib/systemd/system-generators/systemd-hibernate-resume-generator
for t in hyperfine valgrind jq; do
        command -v "$t" >/dev/null || { echo "$t is needed (apt-get install $t)"; exit 1; }
done
[ -x "$OURS" ] || { echo "build first: ninja -C $BUILD"; exit 1; }
[ -x "$SD" ] || { echo "$SD not found"; exit 1; }

TMP=$(mktemp -d /tmp/ht-bench-generator-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export SYSTEMD_IN_INITRD=1 SYSTEMD_LOG_TARGET=console LC_ALL=C
export SYSTEMD_PROC_CMDLINE="BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=11111111-2222-4333-8444-555555555555 ro quiet resume=UUID=8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55"

echo "kernel command line: $SYSTEMD_PROC_CMDLINE"
if [ -e /etc/hibernate-tool/hibernate.toml ]; then
        echo "note: ours also reads /etc/hibernate-tool/hibernate.toml on this machine"
fi

hyperfine -N --warmup 20 --runs "$RUNS" --style basic \
        --prepare "rm -rf $TMP/ours" --prepare "rm -rf $TMP/sd" \
        -n ours "$OURS $TMP/ours $TMP/ours.early $TMP/ours.late" \
        -n systemd "$SD $TMP/sd $TMP/sd.early $TMP/sd.late" \
        --export-json "$TMP/h.json" >/dev/null

stat_of() {  # name field(median|p90) → milliseconds
        jq -r --arg n "$1" --arg f "$2" '.results[] | select(.command == $n) |
                (.times | sort) as $t |
                if $f == "median" then .median else $t[(($t | length) * 0.9 | floor)] end * 1000' "$TMP/h.json"
}
instructions() {
        rm -rf "$TMP/cg"
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$TMP/cg" 2>&1 |
                sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

om=$(stat_of ours median); op=$(stat_of ours p90)
sm=$(stat_of systemd median); sp=$(stat_of systemd p90)
oi=$(instructions "$OURS"); si=$(instructions "$SD")

printf '\n%-40s %10s %10s %14s\n' command "median" "p90" "instructions"
printf '%-40s %7.2f ms %7.2f ms %14s\n' "hibernate-tool-resume-generator" "$om" "$op" "$oi"
printf '%-40s %7.2f ms %7.2f ms %14s\n' "systemd-hibernate-resume-generator" "$sm" "$sp" "$si"
rt=$(awk -v a="$om" -v b="$sm" 'BEGIN { printf "%.2f", a / b }')
ri=$(awk -v a="$oi" -v b="$si" 'BEGIN { printf "%.2f", a / b }')
echo "ratio ours/systemd: wall time (median) ${rt}x, instructions ${ri}x (target <= 1.0)"
awk -v a="$rt" -v b="$ri" 'BEGIN { exit !(a <= 1.0 && b <= 1.0) }' && echo "target met" || echo "target NOT met"
