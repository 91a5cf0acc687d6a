#!/bin/bash
# End-to-end proof of the two-pageset hibernation patch set (kernel-patches/, issue 5),
# in QEMU (TCG) on the stock and the patched kernel built from the same Debian 6.1
# source by kernel-patches/build.sh. A 512 MiB VM with a swap disk (vda) and an ext4
# data disk (vdb: a 150 MiB data file of known content, and a swap file):
#
#   A  stock kernel, swap partition: a process holds a checksummed 200 MiB anonymous
#      buffer, the data file is read into the page cache; hibernate, resume; the buffer,
#      the process and the file are intact; how much of the file is still cached.
#   B  patched kernel, swap partition, two pagesets: the same, plus first three
#      hibernations that fail on purpose (/sys/power/pagesets_abort), after each of
#      which the system continues with everything intact: "copy" (after the atomic
#      copy: pageset 2 loaded back), "change" (a page of pageset 2 changed after it
#      was written: found by the check before the copy, nothing overwritten) and
#      "write" (the write of pageset 1 fails: pageset 2 loaded back, no panic).
#      Goal: >= 95% of the file resident after resume; the image is larger than half
#      of RAM (stock shrinks it instead: shown by A). Then a copy of B's image with
#      one pageset 2 index entry rewritten to another valid PFN (still ascending) is
#      refused by the boot kernel (index CRC32), which boots normally.
#   C  patched kernel, swap file (resume_offset): hibernate + resume works; then a
#      second image whose pageset 2 index is damaged on disk is refused by the boot
#      kernel, which boots normally and leaves the swap file usable.
#   D  patched kernel, reads in flight: a third disk, read-throttled by QEMU
#      (throttling.bps-read), holds a file whose readahead (fadvise WILLNEED) is in
#      flight while the system hibernates; after resume the file reads back intact
#      (HT_PS_D_KERNEL: run D on another kernel).
#
# Prints hibernate time, resume time, image size and write/read bandwidth for both.
# Exit 0 all checks passed, 1 a check failed, 77 cannot run here (HT_REQUIRE_ALL=1: 1).
set -euo pipefail
HT_E2E_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HT_E2E_DIR/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$HT_E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/resume-lib.sh
source "$HT_E2E_DIR/resume-lib.sh"   # rt_copy_exec

PASS=0
FAIL=0
check() {  # description, command...
        local what=$1; shift
        if "$@"; then PASS=$((PASS + 1)); ht_ok "$what"; else FAIL=$((FAIL + 1)); ht_warn "FAILED: $what"; fi
}
skip() {
        if [[ -n ${HT_REQUIRE_ALL:-} ]]; then ht_warn "cannot run here and HT_REQUIRE_ALL is set: $*"; exit 1; fi
        echo "SKIP: $*"; exit 77
}

for c in qemu-system-x86_64 perl mkfs.ext4 mkswap filefrag cpio gzip gcc; do
        command -v "$c" >/dev/null || skip "missing $c"
done
[[ -x $HT_BUSYBOX ]] || skip "no static busybox ($HT_BUSYBOX)"

MEM=512
ANON_MIB=200          # ~40% of RAM
FILE_MIB=150          # ~30% of RAM
SEED_ANON=0x9e3779b97f4a7c15
SEED_FILE=0x2545f4914f6cdd1d
W=$HT_CACHE/pagesets
mkdir -p "$W"

# --- kernels ----------------------------------------------------------------------
# HT_PS_STOCK/HT_PS_PATCHED: use these bzImages instead (kernel development);
# HT_PS_ONLY: run only these parts (e.g. "B C"; the summary then lacks the others).
# HT_PS_SMP: virtual CPUs of the VM (default 2).
if [[ -n ${HT_PS_STOCK:-} && -n ${HT_PS_PATCHED:-} ]]; then
        STOCK=$HT_PS_STOCK PATCHED=$HT_PS_PATCHED
else
        ht_log "kernels (kernel-patches/build.sh)"
        out=$(bash "$REPO/kernel-patches/build.sh") || ht_die "kernel build failed"
        STOCK=$(sed -n 's/^STOCK=//p' <<<"$out")
        PATCHED=$(sed -n 's/^PATCHED=//p' <<<"$out")
fi
ONLY=${HT_PS_ONLY:-A B C D}
want() { [[ " $ONLY " == *" $1 "* ]]; }
[[ -f $STOCK && -f $PATCHED ]] || ht_die "build.sh did not produce both kernels"

# --- workload program and initramfs -----------------------------------------------
WL_SUM=$(sha256sum "$HT_E2E_DIR/ps-workload.c" | cut -c1-16)
WL=$W/ps-workload-$WL_SUM
WL_HOST=$W/ps-workload-host-$WL_SUM
if [[ ! -x $WL || ! -x $WL_HOST ]]; then
        gcc -O2 -static -o "$WL.tmp" "$HT_E2E_DIR/ps-workload.c" || skip "cannot link ps-workload statically"
        gcc -O2 -o "$WL_HOST.tmp" "$HT_E2E_DIR/ps-workload.c"
        mv "$WL.tmp" "$WL"; mv "$WL_HOST.tmp" "$WL_HOST"
fi

init_script() {
        cat <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /data /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o size=8m tmpfs /run
say()  { echo "PS_$*"; }
fail() { say "FAIL $*"; reboot -f; sleep 60; }
arg()  { sed -n "s/.*ps\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mode=$(arg mode); kind=$(arg kind); swap=$(arg swap); anon=$(arg anon); abort=$(arg abort)
again=$(arg again); stream=$(arg stream)
say "INIT mode=$mode kind=$kind swap=$swap kernel=$(uname -r)"
mount -o noatime /dev/vdb /data || fail "mount /dev/vdb"
# vdc (D only): a read-throttled disk with a file that is read while hibernating.
[ -b /dev/vdc ] && { mkdir -p /stream; mount -o ro,noatime /dev/vdc /stream || fail "mount /dev/vdc"; }
if [ "$swap" = file ]; then RDEV=$(cat /sys/block/vdb/dev); else RDEV=$(cat /sys/block/vda/dev); fi

if [ "$mode" = resume ]; then
    [ "$swap" = file ] && echo "$(arg offset)" > /sys/power/resume_offset
    say "RESUME_FROM $RDEV $(cat /proc/uptime)"
    echo "$RDEV" > /sys/power/resume
    say "RESUME_REFUSED"
    swapon /data/swapfile 2>/dev/null || swapon /dev/vda 2>/dev/null
    say "SWAPS $(tail -n +2 /proc/swaps | tr -s ' ' | tr '\n' ';')"
    say "BOOTED"
    umount /data; reboot -f; sleep 60
fi

if [ "$swap" = file ]; then swapon /data/swapfile || fail "swapon file"; else swapon /dev/vda || fail "swapon"; fi
# The resume target (and, for the swap file, the offset of its header page).
[ "$swap" = file ] && { echo "$(arg offset)" > /sys/power/resume_offset || fail "resume_offset"; }
echo "$RDEV" > /sys/power/resume || fail "resume target"
echo reboot > /sys/power/disk  # no ACPI: QEMU -no-reboot exits
if [ -e /sys/power/pagesets ]; then
    echo "$kind" > /sys/power/pagesets || fail "echo $kind > /sys/power/pagesets"
    say "PAGESETS $(cat /sys/power/pagesets)"
elif [ "$kind" = two ]; then
    fail "no /sys/power/pagesets"
fi
/ps-workload hold "$anon" @SEED_ANON@ /run/hold.state &
HOLDER=$!
i=0; while ! grep -q ready /run/hold.state 2>/dev/null; do i=$((i+1)); [ $i -lt 600 ] || fail "holder"; sleep 0.5; done
say "HOLD $(cat /run/hold.state)"
say "FILE_BEFORE $(/ps-workload sum /data/file)"
say "RES_BEFORE $(/ps-workload resident /data/file)"
say "MEMINFO $(grep -E '^(MemFree|Cached|AnonPages):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
# The tool's view of this kernel: hibernate-check's two-pageset check (JSON, one line).
[ -x /usr/sbin/hibernate-check ] && say "CHECK $(/usr/sbin/hibernate-check --json | tr -d '\n')"
holder_check() {
    n=$(grep -c check /run/hold.state)
    kill -USR1 $HOLDER || { say "HOLDER_GONE"; return; }
    i=0; while [ "$(grep -c check /run/hold.state)" = "$n" ]; do i=$((i+1)); [ $i -lt 600 ] || break; sleep 0.2; done
    say "$1 $(tail -n 1 /run/hold.state)"
}
# ps.abort: comma-separated test modes of /sys/power/pagesets_abort, each one
# a hibernation that must fail and leave the system running (0: none).
for a in $(echo "$abort" | tr , ' '); do
    [ "$a" = 0 ] && continue
    echo "$a" > /sys/power/pagesets_abort || fail "pagesets_abort $a"
    say "ABORT_START $a"
    if echo disk > /sys/power/state; then say "ABORT_RC $a 0"; else say "ABORT_RC $a $?"; fi
    say "ABORT_P2 $a $(cat /sys/power/pageset2_pages)"
    say "ABORT_RES $a $(/ps-workload resident /data/file)"
    say "ABORT_FILE $a $(/ps-workload sum /data/file)"
    holder_check "ABORT_HOLD $a"
    say "ABORT_END $a"
done
round=1
while :; do
    if [ "$stream" = 1 ] && [ $round = 1 ]; then
        # Reads in flight: readahead of the whole file is started (fadvise
        # WILLNEED returns at once, nobody waits for it, so the freezer does not
        # either) from the throttled disk; most of it is still being read when
        # pageset 2 is selected and written, and while devices are suspended.
        /ps-workload willneed /stream/file || fail "willneed"
        STREAMER=1
        sleep 1
        say "STREAM_STARTED $(grep -E '^(Cached):' /proc/meminfo | tr -s ' ')"
    fi
    say "HIBERNATE_START $round"
    if echo disk > /sys/power/state; then
        say "RESUMED $round $(cat /proc/uptime)"
        say "P2PAGES $(cat /sys/power/pageset2_pages 2>/dev/null || echo none)"
        say "RES_AFTER $(/ps-workload resident /data/file)"
        say "FILE_AFTER $(/ps-workload sum /data/file)"
        holder_check HOLD_AFTER
        if [ -n "${STREAMER:-}" ]; then
            say "STREAM_CACHED $(/ps-workload sum /stream/file)"
            STREAMER=
        fi
    else
        fail "echo disk > /sys/power/state"
    fi
    [ "$again" = 1 ] && [ $round = 1 ] || break
    round=2
done
say "DONE"
umount /data
reboot -f
sleep 60
EOF
}

INIT=$(init_script | sed "s/@SEED_ANON@/$SEED_ANON/")
# hibernate-check (from the meson build) runs in the VM to show what the tool sees.
HCHECK=${HIBERNATE_CHECK:-$REPO/build/hibernate-tool/hibernate-check}
[[ -x $HCHECK ]] || skip "no hibernate-check build ($HCHECK)"
INITRD_SUM=$( { printf '%s' "$INIT"; sha256sum "$WL" "$HT_BUSYBOX" "$HCHECK"; } | ht_sha)
INITRD=$W/initrd-$INITRD_SUM.img
if [[ ! -f $INITRD ]]; then
        st=$(mktemp -d "$W/stage.XXXXXX")
        mkdir -p "$st"/{bin,dev,proc,sys,run,tmp,data}
        cp "$HT_BUSYBOX" "$st/bin/busybox"; ln -s busybox "$st/bin/sh"
        cp "$WL" "$st/ps-workload"
        rt_copy_exec "$st" "$HCHECK" /usr/sbin/hibernate-check
        printf '%s\n' "$INIT" > "$st/init"; chmod 755 "$st/init"
        (cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1n) > "$INITRD.tmp"
        mv "$INITRD.tmp" "$INITRD"; rm -rf "$st"
fi

# --- disks ------------------------------------------------------------------------
SWAP=$W/swap.img
DATA=$W/data.img
make_disks() {
        rm -f "$SWAP" "$DATA"
        truncate -s 1G "$SWAP"; mkswap -q "$SWAP" >/dev/null
        truncate -s 1200M "$DATA"
        mkfs.ext4 -q -F -b 4096 "$DATA"
        local mnt; mnt=$(mktemp -d)
        mount -o loop "$DATA" "$mnt"
        FILE_SUM=$("$WL_HOST" mkfile "$mnt/file" "$FILE_MIB" "$SEED_FILE" | sed -n 's/^sum=//p')
        dd if=/dev/zero of="$mnt/swapfile" bs=1M count=900 status=none conv=fsync
        chmod 600 "$mnt/swapfile"; mkswap -q "$mnt/swapfile" >/dev/null
        SWAPFILE_OFFSET=$(filefrag -v "$mnt/swapfile" | awk '$1 == "0:" {sub(/\.\.$/, "", $4); print $4; exit}')
        umount "$mnt"; rmdir "$mnt"
        [[ -n $FILE_SUM && -n $SWAPFILE_OFFSET ]] || ht_die "could not prepare the data disk"
}
ANON_SUM=$(tmp=$(mktemp); "$WL_HOST" hold "$ANON_MIB" "$SEED_ANON" "$tmp" & p=$!; \
        while ! grep -q ready "$tmp" 2>/dev/null; do sleep 0.1; done; kill $p; wait $p 2>/dev/null; \
        sed -n 's/^ready sum=//p' "$tmp"; rm -f "$tmp")

# --- boot with host timestamps on every console line ------------------------------
boot() {  # log kernel cmdline-extra
        local log=$1 kernel=$2 extra=$3
        timeout --foreground -k 10 "$HT_BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -m "$MEM" -smp "${HT_PS_SMP:-2}" \
                -nographic -no-reboot -nodefaults -serial stdio -monitor none \
                -kernel "$kernel" -initrd "$INITRD" \
                -append "console=ttyS0 loglevel=7 no_console_suspend panic=-1 $extra" \
                -drive "file=$SWAP,format=raw,if=virtio,cache=unsafe" \
                -drive "file=$DATA,format=raw,if=virtio,cache=unsafe" "${QEMU_EXTRA[@]}" </dev/null 2>&1 |
                perl -MTime::HiRes=time -ne '$|=1; s/\r//g; printf "%.3f %s", time, $_' > "$log" || true
        grep -E ' PS_|Two pagesets|Kernel panic|PM: (hibernation: )?(Wrote|Read|Image|Need)' "$log" | sed 's/^/    | /' >&2 || true
}
val()  { sed -n "s/^[0-9.]* $2/\\1/p" "$1" | head -n1; }        # first match, sed group 1
at()   { awk -v p="$2" 'index($0, p) { print $1; exit }' "$1"; }  # host time of the first line with p
last() { awk '{ t = $1 } END { print t }' "$1"; }

# Image facts from the swap header (base = page of the swap header, 0 for vda).
img_facts() {  # disk base-page → sets IMG_FLAGS IMG_PAGES IMG_P2 IMG_P2START IMG_MAP0
        local d=$1 b=$2 hdr=$(( $2 * 4096 ))
        IMG_FLAGS=$(od -An -tu4 -j $((hdr + 4072)) -N4 "$d" | tr -d ' ')
        local map=$(od -An -tu8 -j $((hdr + 4064)) -N8 "$d" | tr -d ' ')
        local info=$(od -An -tu8 -j $((map * 4096)) -N8 "$d" | tr -d ' ')
        IMG_PAGES=$(od -An -tu8 -j $((info * 4096 + 424)) -N8 "$d" | tr -d ' ')
        IMG_P2=$(od -An -tu8 -j $((info * 4096 + 440)) -N8 "$d" | tr -d ' ')
        IMG_P2START=$(od -An -tu8 -j $((info * 4096 + 448)) -N8 "$d" | tr -d ' ')
        IMG_SIG=$(dd if="$d" bs=1 skip=$((hdr + 4086)) count=10 status=none | tr -d '\0')
}
# kstat LOG MSG: "kbytes seconds MB/s" from the kernel's last (the real hibernation's; aborted ones come first)
# "PM: hibernation: MSG <k> kbytes in <s> seconds (<r> MB/s)" line (swsusp_show_speed).
kstat() { sed -n "s/.*PM: hibernation: $2 \([0-9]*\) kbytes in \([0-9.]*\) seconds (\([0-9.]*\) MB\/s).*/\1 \2 \3/p" "$1" | tail -n1; }
speed() { kstat "$1" "$2" | awk '{ printf "%s kB, %s s, %s MB/s", $1, $2, $3 }'; }
# mbps KSTAT KSTAT: the bandwidth of both transfers together (pageset 1 + pageset 2).
mbps() { awk -v a="${1:-0 0}" -v b="${2:-0 0}" 'BEGIN { split(a, x); split(b, y); s = x[2] + y[2]; printf "%.1f", (s > 0 ? (x[1] + y[1]) / 1000 / s : 0) }'; }

# Status of hibernate-check's two-pageset check in a hibernate log.
check_status() {
        sed -n 's/^[0-9.]* PS_CHECK //p' "$1" | head -n1 |
                jq -r '.checks[] | select(.id == "two-pageset") | .status + " " + (.message // .summary // "")' 2>/dev/null |
                tee -a "$W/check-status.log" | cut -d' ' -f1
}

# hibernate-check's view of a swap disk holding an image (fixture root from
# tests/integration/fixture.sh, the disk as its /dev/vdb): the JSON "image" object.
tool_image_json() {  # disk
        (
                export HIBERNATE_CHECK=$HCHECK
                # shellcheck source=tests/integration/fixture.sh
                source "$REPO/tests/integration/fixture.sh" >/dev/null
                R=$(new_root)
                cp --sparse=always "$1" "$R/dev/vdb"
                uuid=$(blkid -o value -s UUID "$R/dev/vdb")
                ln -sfn ../../vdb "$R/dev/disk/by-uuid/$uuid"
                echo "root=/dev/vdc resume=UUID=$uuid" > "$R/proc/cmdline"
                printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
                "$HCHECK" --root "$R" --json 2>/dev/null | jq -c '.image'
        ) || true
}

# json_true JQ-EXPR JSON: the expression holds (jq 1.6 -e alone passes on empty input).
json_true() { [[ -n ${2//[[:space:]]/} ]] && jq -e "$1" <<<"$2" >/dev/null; }

# pfn_rewrite DISK INDEX-PAGE: replace one PFN of the index page by another valid PFN
# strictly between its neighbours (so the index stays ascending); prints "i old new".
pfn_rewrite() {
        python3 - "$1" "$2" <<'PY'
import struct, sys
disk, page = sys.argv[1], int(sys.argv[2])
with open(disk, "r+b") as f:
    f.seek(page * 4096)
    e = list(struct.unpack("<512Q", f.read(4096)))
    for i in range(1, 511):
        lo, hi = e[i - 1], e[i + 1]
        if hi == 2**64 - 1 or hi - lo <= 2:
            continue
        new = e[i] - 1 if e[i] - 1 > lo else e[i] + 1
        f.seek(page * 4096 + 8 * i)
        f.write(struct.pack("<Q", new))
        print(i, e[i], new)
        break
PY
}

QEMU_EXTRA=()
ROWS=()
run_cycle() {  # name kernel kind abort
        local name=$1 kernel=$2 kind=$3 abort=$4 lh=$W/$1-hibernate.log lr=$W/$1-resume.log
        ht_log "$name: $kind pagesets, hibernate (anon $ANON_MIB MiB, file $FILE_MIB MiB, $MEM MiB RAM)"
        make_disks
        boot "$lh" "$kernel" "ps.mode=run ps.kind=$kind ps.swap=part ps.anon=$ANON_MIB ps.abort=$abort"
        check "$name: image written (swap signature S1SUSPEND)" grep -q S1SUSPEND <(dd if="$SWAP" bs=1 skip=4086 count=10 status=none)
        img_facts "$SWAP" 0
        local t_h=$(awk -v a="$(at "$lh" 'PS_HIBERNATE_START')" -v b="$(last "$lh")" 'BEGIN { printf "%.1f", b - a }')
        if [[ $kind == two ]]; then
                # The resume helper's reader on the real image, then on a copy whose first
                # pageset 2 index page is damaged (what the helper would refuse).
                local j=$(tool_image_json "$SWAP")
                echo "$j" > "$W/$name-image.json"
                check "$name: hibernate-tool reads the real two-pageset image (pageset 2: $IMG_P2 pages)" \
                        json_true "(.flag_names | index(\"two-pagesets\")) and .pageset2_pages == $IMG_P2 and .problem == null" "$j"
                cp --sparse=always "$SWAP" "$W/damaged.img"
                local idx=$(od -An -tu8 -j $((IMG_P2START * 4096)) -N8 "$SWAP" | tr -d ' ')
                printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$W/damaged.img" bs=1 seek=$((idx * 4096)) conv=notrunc status=none
                j=$(tool_image_json "$W/damaged.img"); rm -f "$W/damaged.img"
                check "$name: hibernate-tool finds the damaged pageset 2 index ($(jq -r .problem <<<"$j"))" \
                        json_true '.problem != null and .pageset2_pages != null' "$j"
                # A copy whose first index page has one PFN replaced by another valid
                # one between its neighbours (still ascending): the boot kernel must
                # refuse it (index CRC32), see run_pfn_damaged.
                cp --sparse=always "$SWAP" "$W/$name-pfn.img"
                PFN_EDIT=$(pfn_rewrite "$W/$name-pfn.img" "$idx")
                cp --sparse=always "$SWAP" "$W/$name-intact.img"
        fi
        ht_log "$name: resume"
        boot "$lr" "$kernel" "ps.mode=resume ps.swap=part"
        local t_r=$(awk -v a="$(at "$lr" 'PS_RESUME_FROM')" -v b="$(at "$lr" 'PS_RESUMED')" 'BEGIN { printf "%.1f", b - a }')
        check "$name: resumed into the hibernated system" grep -q 'PS_RESUMED 1' "$lr"
        check "$name: anonymous buffer checksum matches, the process continues" \
                grep -q "PS_HOLD_AFTER check ok sum=$ANON_SUM" "$lr"
        check "$name: file content intact after resume" grep -q "PS_FILE_AFTER sum=$FILE_SUM" "$lr"
        local res=$(val "$lr" 'PS_RES_AFTER resident=[0-9]* total=[0-9]* pct=\([0-9.]*\).*')
        local reread=$(val "$lr" 'PS_FILE_AFTER sum=[0-9a-f]* ms=\([0-9]*\).*')
        local img_mib=$(( (IMG_PAGES + IMG_P2) * 4 / 1024 ))
        eval "${name}_RES=\$res ${name}_IMG=\$img_mib ${name}_P2=\$IMG_P2 ${name}_FLAGS=\$IMG_FLAGS"
        # One machine-readable line per run (bench/pagesets.sh): total kbytes / seconds of
        # both pagesets give the image's write and read bandwidth.
        echo "PSBENCH run=$name mode=$kind hibernate_s=$t_h resume_s=$t_r image_mib=$img_mib resident_pct=$res reread_ms=$reread" \
                "write_mbps=$(mbps "$(kstat "$lh" Wrote)" "$(kstat "$lh" 'Wrote pageset 2')")" \
                "read_mbps=$(mbps "$(kstat "$lr" Read)" "$(kstat "$lr" 'Read pageset 2')")"
        ROWS+=("$(printf '%-8s %-6s %8s s %8s s %6s MiB (p1 %s + p2 %s pages) %8s%% %7s ms | write: %s%s | read: %s%s' \
                "$name" "$kind" "$t_h" "$t_r" "$img_mib" "$IMG_PAGES" "$IMG_P2" "$res" "$reread" \
                "$(speed "$lh" 'Wrote')" "$( [[ $kind == two ]] && echo "; p2 $(speed "$lh" 'Wrote pageset 2')")" \
                "$(speed "$lr" 'Read')" "$( [[ $kind == two ]] && echo "; p2 $(speed "$lr" 'Read pageset 2')")")")
}

# ---------------------------------------------------------------------------------
A_RES=n/a
if want A; then
run_cycle A "$STOCK" stock 0
check "A: stock image is a plain swsusp image (no SF_TWO_PAGESETS)" test $(( A_FLAGS & 256 )) -eq 0
check "A: hibernate-check on the stock kernel: two-pageset check skipped" \
        test "$(check_status "$W/A-hibernate.log")" = skip
check "A: stock shrank the image below half of RAM ($A_IMG MiB)" test "$A_IMG" -lt $((MEM / 2))
fi

if want B; then
# HT_PS_ABORTS: the test modes of the aborted hibernations before B's real one (an
# older series only knows "1"; the checks of the missing modes then fail).
run_cycle B "$PATCHED" two "${HT_PS_ABORTS:-copy,change,write}"
LB=$W/B-hibernate.log
# section LOG MODE: the console lines of the aborted hibernation in test mode MODE.
section() { awk -v s="PS_ABORT_START $2" -v e="PS_ABORT_END $2" 'index($0, s) { p = 1 } p { print } index($0, e) { p = 0 }' "$1"; }
no_panic() { ! grep -Eq 'Kernel panic|BUG:|Oops' "$1"; }
for m in copy change write; do
        S=$W/B-abort-$m.log
        section "$LB" $m > "$S"
        check "B/$m: abort reported to user space (echo disk failed)" grep -Eq "PS_ABORT_RC $m [1-9]" "$S"
        check "B/$m: after the abort the buffer is intact, the process runs" grep -q "PS_ABORT_HOLD $m check ok sum=$ANON_SUM" "$S"
        check "B/$m: after the abort the file is intact" grep -q "PS_ABORT_FILE $m sum=$FILE_SUM" "$S"
        abort_res=$(val "$S" "PS_ABORT_RES $m resident=[0-9]* total=[0-9]* pct=\\([0-9.]*\\).*")
        check "B/$m: after the abort the file is still cached ($abort_res%)" awk -v r="$abort_res" 'BEGIN { exit !(r >= 95) }'
done
check "B/copy: failed on purpose after the atomic copy" \
        grep -q 'Two pagesets: aborting after the atomic copy' "$W/B-abort-copy.log"
check "B/copy: pageset 2 loaded back after the abort" grep -q 'Two pagesets: loading pageset 2' "$W/B-abort-copy.log"
# change: a page of pageset 2 changed after it was written must be found before the
# atomic copy; nothing was overwritten, so nothing is loaded back.
check "B/change: a page of pageset 2 was changed after it was written" \
        grep -q 'Two pagesets: changing page' "$W/B-abort-change.log"
check "B/change: the change was found before the atomic copy" \
        grep -Eq 'Two pagesets: [0-9]+ pages of pageset 2 changed after it was saved \(first: 0x[0-9a-f]+, contents\); aborting' "$W/B-abort-change.log"
check "B/change: no atomic copy was made, nothing loaded back" \
        bash -c "! grep -Eq 'Image created|loading pageset 2' '$W/B-abort-change.log'"
# write: the write of pageset 1 fails (I/O error path of swsusp_write); pageset 2 is
# loaded back from its swap pages, which must not have been freed.
check "B/write: the write of pageset 1 failed" \
        grep -q 'Two pagesets: failing the write of pageset 1' "$W/B-abort-write.log"
check "B/write: pageset 2 loaded back, no panic" \
        bash -c "grep -q 'Two pagesets: loading pageset 2' '$W/B-abort-write.log' && grep -q 'Read pageset 2' '$W/B-abort-write.log'"
check "B: no kernel panic, BUG or oops while hibernating" no_panic "$LB"
# An index entry rewritten to another valid PFN (B's image, copied before the resume).
ht_log "B: resume from a copy of the image with one pageset 2 PFN rewritten ($PFN_EDIT)"
LBP=$W/B-pfn.log
check "B/pfn: one index entry rewritten to another valid PFN ($PFN_EDIT)" test -n "$PFN_EDIT"
SWAP_REAL=$SWAP SWAP=$W/B-pfn.img
boot "$LBP" "$PATCHED" "ps.mode=resume ps.swap=part"
SWAP=$SWAP_REAL; rm -f "$W/B-pfn.img"
check "B/pfn: the boot kernel finds the index CRC32 mismatch" grep -q 'Two pagesets: pageset 2 index CRC32 mismatch' "$LBP"
check "B/pfn: the image is refused" grep -q 'Two pagesets: pageset 2 of the image is damaged, not resuming' "$LBP"
check "B/pfn: nothing was restored, the system boots normally" \
        bash -c "grep -q PS_RESUME_REFUSED '$LBP' && grep -q PS_BOOTED '$LBP' && ! grep -q PS_RESUMED '$LBP'"
check "B/pfn: no kernel panic" no_panic "$LBP"
# The same two-pageset image (an intact copy) with the stock kernel of the same tree as
# the boot kernel: the design lets it restore pageset 1 and leave pageset 2 to the
# image's kernel, but swsusp refuses an image of another kernel build (utsname
# version), so it must be refused cleanly: normal boot, no panic.
ht_log "B: a stock boot kernel and B's two-pageset image"
LBS=$W/B-stockboot.log
SWAP_REAL=$SWAP SWAP=$W/B-intact.img
boot "$LBS" "$STOCK" "ps.mode=resume ps.swap=part"
SWAP=$SWAP_REAL; rm -f "$W/B-intact.img"
if grep -q 'PS_RESUMED' "$LBS"; then
        check "B/stock-boot: restored by the stock boot kernel, data intact" \
                bash -c "grep -q 'PS_HOLD_AFTER check ok sum=$ANON_SUM' '$LBS' && grep -q 'PS_FILE_AFTER sum=$FILE_SUM' '$LBS'"
else
        check "B/stock-boot: refused cleanly by the stock boot kernel ($(sed -n 's/.*PM: \(.*[Mm]ismatch.*\)/\1/p' "$LBS" | head -n1))" \
                bash -c "grep -q PS_RESUME_REFUSED '$LBS' && grep -q PS_BOOTED '$LBS'"
fi
check "B/stock-boot: no kernel panic" no_panic "$LBS"
check "B: image marked SF_TWO_PAGESETS (flags $B_FLAGS)" test $(( B_FLAGS & 256 )) -ne 0
check "B: hibernate-check on the patched kernel: two-pageset check passes" \
        test "$(check_status "$LB")" = pass
check "B: pageset 2 holds $B_P2 pages" test "${B_P2:-0}" -gt 0
check "B: image ($B_IMG MiB) larger than half of RAM" test "$B_IMG" -gt $((MEM / 2))
check "B: /sys/power/pageset2_pages reports pageset 2 after resume" \
        grep -Eq "PS_P2PAGES $B_P2\$" "$W/B-resume.log"
check "B: >= 95% of the file resident after resume ($B_RES%; stock: $A_RES%)" awk -v r="$B_RES" 'BEGIN { exit !(r >= 95) }'
fi

# C: swap file, then a damaged pageset 2 index
if want C; then
make_disks
ht_log "C: swap file (resume_offset=$SWAPFILE_OFFSET), two pagesets, twice"
LC1=$W/C-hibernate.log LC2=$W/C-resume.log LC3=$W/C-damaged.log
boot "$LC1" "$PATCHED" "ps.mode=run ps.kind=two ps.swap=file ps.offset=$SWAPFILE_OFFSET ps.anon=64 ps.abort=0 ps.again=1"
boot "$LC2" "$PATCHED" "ps.mode=resume ps.swap=file ps.offset=$SWAPFILE_OFFSET"
check "C: resumed from a swap file" grep -q 'PS_RESUMED 1' "$LC2"
check "C: file intact after resume from the swap file" grep -q "PS_FILE_AFTER sum=$FILE_SUM" "$LC2"
check "C: second image written to the swap file" grep -q 'PS_HIBERNATE_START 2' "$LC2"
img_facts "$DATA" "$SWAPFILE_OFFSET"
check "C: second image is a two-pageset image in the swap file" test $(( IMG_FLAGS & 256 )) -ne 0 -a "$IMG_SIG" = S1SUSPEND
# Damage the first index page of pageset 2: its first swap map page's entry 0.
idx=$(od -An -tu8 -j $((IMG_P2START * 4096)) -N8 "$DATA" | tr -d ' ')
printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$DATA" bs=1 seek=$((idx * 4096)) conv=notrunc status=none
boot "$LC3" "$PATCHED" "ps.mode=resume ps.swap=file ps.offset=$SWAPFILE_OFFSET"
check "C: damaged pageset 2 refused by the boot kernel" grep -q 'Two pagesets: pageset 2 of the image is damaged, not resuming' "$LC3"
check "C: system boots normally after the refusal" grep -q 'PS_BOOTED' "$LC3"
check "C: nothing of the damaged image was restored" grep -q 'PS_RESUME_REFUSED' "$LC3"
check "C: swap file usable again (signature restored, swapon works)" grep -q 'PS_SWAPS /data/swapfile' "$LC3"
fi

# D: reads in flight. A third disk, read-throttled by QEMU, holds a file whose
# readahead is started right before the system hibernates: it is in flight when
# pageset 2 is selected and written, and completes later (at the latest when
# devices are suspended). After resume the file must read back intact.
# HT_PS_D_KERNEL: the kernel to run D on (default: patched).
if want D; then
STREAM=$W/stream.img
STREAM_MIB=2
SEED_STREAM=0x1234567887654321
rm -f "$STREAM"; truncate -s 32M "$STREAM"; mkfs.ext4 -q -F -b 4096 "$STREAM"
mnt=$(mktemp -d); mount -o loop "$STREAM" "$mnt"
STREAM_SUM=$("$WL_HOST" mkfile "$mnt/file" "$STREAM_MIB" "$SEED_STREAM" | sed -n 's/^sum=//p')
umount "$mnt"; rmdir "$mnt"
make_disks
QEMU_EXTRA=(-drive "file=$STREAM,format=raw,if=virtio,cache=none,aio=threads,throttling.bps-read=65536")
LD1=$W/D-hibernate.log LD2=$W/D-resume.log
DK=${HT_PS_D_KERNEL:-$PATCHED}
ht_log "D: reads in flight from a throttled disk ($STREAM_MIB MiB at 64 KiB/s) while hibernating, two pagesets"
boot "$LD1" "$DK" "ps.mode=run ps.kind=two ps.swap=part ps.anon=64 ps.abort=0 ps.stream=1"
boot "$LD2" "$DK" "ps.mode=resume ps.swap=part"
QEMU_EXTRA=()
check "D: hibernated while the reader was streaming" grep -q 'PS_STREAM_STARTED' "$LD1"
check "D: two-pageset image written and resumed" \
        bash -c "grep -q 'Wrote pageset 2' '$LD1' && grep -q 'PS_RESUMED 1' '$LD2'"
check "D: the cached file is intact after resume" grep -q "PS_STREAM_CACHED sum=$STREAM_SUM" "$LD2"
check "D: no kernel panic" bash -c "! grep -Eq 'Kernel panic|BUG:|Oops' '$LD1' '$LD2'"
fi

echo
echo "two-pageset hibernation, QEMU TCG, $MEM MiB RAM, anon $ANON_MIB MiB + file $FILE_MIB MiB (logs: $W)"
printf '%-8s %-6s %10s %10s %10s %s\n' run mode hibernate resume image "resident-after reread | bandwidth"
for r in "${ROWS[@]}"; do echo "$r"; done
echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
