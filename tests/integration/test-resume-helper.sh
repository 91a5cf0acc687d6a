#!/bin/bash
# hibernate-tool record / resume / invalidate on fixture roots holding REAL hibernation
# images (written by Debian's kernel in QEMU, tests/e2e). The fixture's sys/power/resume
# is a plain file, so a decision to resume shows up as "254:16" written there.
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"
CACHE=${HT_CACHE:-/var/cache/hibernate-tool-tests}
command -v qemu-system-x86_64 >/dev/null || skip_or_fail "qemu-system-x86_64 is not installed"
bash "$SRCDIR/tests/e2e/make-hibernation-image.sh" >/dev/null
# shellcheck disable=SC1091
. "$CACHE/images/lzo.env"

sig() { dd if="$1" bs=1 skip=4086 count=9 status=none; }
tool() { set +e; OUT=$("$HIBERNATE_TOOL" "$@" 2>"$TMPERR"); RC=$?; ERR=$(cat "$TMPERR"); set -e; }
TMPERR=$(mktemp); TMPROOTS+=("$TMPERR")
expect_out() { if grep -Eq -- "$1" <<<"$OUT"; then ok; else fail "[$CASE] output does not match /$1/: $OUT (stderr: $ERR)"; fi; }

# A root about to hibernate: the real image's swap as /dev/vdb (active: signature
# SWAPSPACE2, as before the kernel writes its header) and an ext4 data fs /dev/vdc, rw.
prepare() {
        R=$(new_root)
        cp --sparse=always "$IMAGE_FILE" "$R/dev/vdb"
        TAIL=$(mktemp); TMPROOTS+=("$TAIL")
        dd if="$R/dev/vdb" of="$TAIL" bs=1 skip=4056 count=40 status=none        # the kernel's swsusp header
        dd if="$R/dev/vdb" of="$R/dev/vdb" bs=1 skip=4076 seek=4086 count=10 conv=notrunc status=none   # sig := orig_sig
        rm -f "$R/dev/disk/by-uuid/$UUID_VDB" "$R/dev/disk/by-label/hibswap"
        ln -sfn ../../vdb "$R/dev/disk/by-uuid/$SWAP_UUID"
        echo "root=/dev/vdc resume=UUID=$SWAP_UUID" > "$R/proc/cmdline"
        truncate -s 64M "$R/dev/vdc"
        mkfs.ext4 -q -F -U "$UUID_VDC" "$R/dev/vdc"
        debugfs -w -R "ssv mnt_count 7" "$R/dev/vdc" >/dev/null 2>&1
        ln -sfn ../../vdc "$R/dev/disk/by-uuid/$UUID_VDC"
        printf 'Filename Type Size Used Priority\n/dev/vdb partition %s 0 -2\n' $(( SWAP_SIZE_BYTES / 1024 - 4 )) > "$R/proc/swaps"
}
# The kernel writes its header: only the last 40 bytes of the page change.
hibernate_now() {
        dd if="$TAIL" of="$R/dev/vdb" bs=1 seek=4056 count=40 conv=notrunc status=none
        printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
        echo "0:0" > "$R/sys/power/resume"
}

CASE=record
prepare
tool record --root "$R" --boot-entry gnulinux-6.1.0-56-amd64 --json
[ "$RC" = 0 ] && ok || fail "[$CASE] record failed: $ERR"
if jq -e ".kernel == \"6.1.0-56-amd64\" and (.filesystems | length == 1) and .filesystems[0].uuid == \"$UUID_VDC\" and .filesystems[0].covered and .filesystems[0].mount_count == 7" >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] $OUT"; fi
[ "$(dd if="$R/dev/vdb" bs=1 skip=2048 count=8 status=none)" = HTRECORD ] && ok || fail "[$CASE] no record at byte 2048"
[ "$(sig "$R/dev/vdb")" = SWAPSPACE ] && ok || fail "[$CASE] record changed the signature"
CASE=record-refuses-foreign-data
R2=$(new_root)
printf 'not ours' | dd of="$R2/dev/vdb" bs=1 seek=3000 conv=notrunc status=none
tool record --root "$R2"
[ "$RC" = 1 ] && grep -q "not a hibernation record" <<<"$ERR" && ok || fail "[$CASE] rc=$RC $ERR"
CASE=record-refuses-inactive
printf 'Filename Type Size Used Priority\n' > "$R2/proc/swaps"
tool record --root "$R2"
[ "$RC" = 1 ] && grep -q "not an active swap" <<<"$ERR" && ok || fail "[$CASE] rc=$RC $ERR"

CASE=resume-safe
hibernate_now
tool resume --root "$R"
[ "$RC" = 0 ] && ok || fail "[$CASE] exit $RC"
expect_out 'resume failed: the kernel returned'      # a fixture's sysfs is a file: the "kernel" returns
[ "$(cat "$R/sys/power/resume")" = "254:16" ] && ok || fail "[$CASE] /sys/power/resume is '$(cat "$R/sys/power/resume")'"
grep -q '^RESULT=resumed-failed' "$R/run/hibernate-tool/last-resume" && ok || fail "[$CASE] last-resume: $(cat "$R/run/hibernate-tool/last-resume")"
[ "$(sig "$R/dev/vdb")" = S1SUSPEND ] && ok || fail "[$CASE] the helper must not touch a resumable image"
CASE=check-reports-record-and-last-resume
run_check "$R"
expect image warn 'Hibernation record: written by Linux 6.1.0-56-amd64 \(boot entry gnulinux-6.1.0-56-amd64\), 1 filesystem'
expect_json ".image.record.kernel == \"6.1.0-56-amd64\" and .image.record.filesystems[0].uuid == \"$UUID_VDC\" and .image.record.filesystems[0].mount_count == 7" '.image'
expect_json '.last_resume.result == "resumed-failed" and .last_resume.device == "/dev/vdb"' '.last_resume'
CASE=resume-safe-dry-run
tool resume --root "$R" --dry-run
expect_out "would resume from /dev/vdb \($((SAVED_DATA_PAGES + 1)) pages written by 6.1.0-56-amd64\)"

# No resume= at all: systemd >= 255's HibernateLocation EFI variable names the device
# (same rule as systemd: only for the OS that wrote it).
CASE=resume-from-hibernate-location
sed -i 's/ resume=UUID=[^ ]*//' "$R/proc/cmdline"
echo 'ID=debian' > "$R/etc/os-release"
mkdir -p "$R/sys/firmware/efi/efivars"
{ printf '\x07\x00\x00\x00'; printf '{"uuid":"%s","offset":0,"osReleaseId":"debian"}' "$SWAP_UUID" | iconv -f UTF-8 -t UTF-16LE; } \
        > "$R/sys/firmware/efi/efivars/HibernateLocation-8cf2644b-4b0b-428f-9387-6d876050dc67"
tool resume --root "$R" --dry-run
expect_out "would resume from /dev/vdb"
echo 'ID=fedora' > "$R/etc/os-release"
tool resume --root "$R" --dry-run
expect_out "no resume device configured"
grep -q "HibernateLocation EFI variable ignored, as systemd ignores it" <<<"$ERR" && ok || fail "[$CASE] stderr: $ERR"
echo "root=/dev/vdc resume=UUID=$SWAP_UUID" > "$R/proc/cmdline"
rm -rf "$R/sys/firmware/efi/efivars" "$R/etc/os-release"

CASE=newer-kernel-flags
echo "0:0" > "$R/sys/power/resume"
FLAGS_BEFORE=$(dd if="$R/dev/vdb" bs=1 skip=4072 count=1 status=none | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $((FLAGS_BEFORE | 16)))" | dd of="$R/dev/vdb" bs=1 seek=4072 conv=notrunc status=none
# The record names the entry but not where GRUB's block lies: no reboot into it; with
# [resume] refused = "poweroff" the image is kept and the machine goes off (a fixture root
# only reports it).
mkdir -p "$R/etc/hibernate-tool"; printf '[resume]\nrefused = "poweroff"\n' > "$R/etc/hibernate-tool/hibernate.toml"
tool resume --root "$R"
expect_out 'not resuming: the image uses header flags 0x10 that Linux 6.1.0-56-amd64 does not understand .*; powering off, image kept'
[ "$(sig "$R/dev/vdb")" = S1SUSPEND ] && ok || fail "[$CASE] image not kept"
[ "$(cat "$R/sys/power/resume")" = "0:0" ] && ok || fail "[$CASE] resume was triggered"
grep -q '^ACTION=poweroff' "$R/run/hibernate-tool/last-resume" && ok || fail "[$CASE] last-resume: $(cat "$R/run/hibernate-tool/last-resume")"
rm -f "$R/etc/hibernate-tool/hibernate.toml"
printf "\\x$(printf %02x "$FLAGS_BEFORE")" | dd of="$R/dev/vdb" bs=1 seek=4072 conv=notrunc status=none

CASE=filesystem-mounted-since
SUM_BEFORE=$(debugfs -R "stats" "$R/dev/vdc" 2>/dev/null | grep -c . )
debugfs -w -R "ssv mnt_count 8" "$R/dev/vdc" >/dev/null 2>&1   # what a rw mount in between does
tool resume --root "$R"
expect_out "not resuming: filesystem UUID=$UUID_VDC on /dev/vdc was mounted since hibernation \(mount count 7 -> 8\), resuming would corrupt it; image on /dev/vdb invalidated"
[ "$(sig "$R/dev/vdb")" = SWAPSPACE ] && ok || fail "[$CASE] image not invalidated"
[ "$(cat "$R/sys/power/resume")" = "0:0" ] && ok || fail "[$CASE] resume was triggered"
[ "$(dd if="$R/dev/vdb" bs=1 skip=2048 count=8 status=none | tr -d '\0')" = "" ] && ok || fail "[$CASE] record not cleared"
[ "$SUM_BEFORE" = "$(debugfs -R "stats" "$R/dev/vdc" 2>/dev/null | grep -c .)" ] && ok || fail "[$CASE] filesystem touched"
grep -q '^RESULT=invalidated' "$R/run/hibernate-tool/last-resume" && ok || fail "[$CASE] last-resume"

CASE=journal-replayed-since
prepare
debugfs -w -R "feature needs_recovery" "$R/dev/vdc" >/dev/null 2>&1
tool record --root "$R"
hibernate_now
debugfs -w -R "feature ^needs_recovery" "$R/dev/vdc" >/dev/null 2>&1
tool resume --root "$R"
expect_out 'journal was replayed since hibernation.*invalidated'

CASE=no-record
prepare
hibernate_now
tool resume --root "$R"
expect_out 'resume failed'        # resumes as the stock kernel would…
grep -q 'no hibernation record' <<<"$ERR" && ok || fail "[$CASE] no warning: $ERR"
CASE=no-record-required
echo "0:0" > "$R/sys/power/resume"
mkdir -p "$R/etc/hibernate-tool"; printf '[resume]\nrequire_record = true\n' > "$R/etc/hibernate-tool/hibernate.toml"
tool resume --root "$R"
expect_out 'no hibernation record.*require_record.*invalidated'
[ "$(cat "$R/sys/power/resume")" = "0:0" ] && ok || fail "[$CASE] resume was triggered"

CASE=newer-record-format
prepare
tool record --root "$R"
printf '\x09' | dd of="$R/dev/vdb" bs=1 seek=2056 conv=notrunc status=none
hibernate_now
BEFORE=$(sha256sum < "$R/dev/vdb")
mkdir -p "$R/etc/hibernate-tool"; printf '[resume]\nrefused = "poweroff"\n' > "$R/etc/hibernate-tool/hibernate.toml"
tool resume --root "$R"
expect_out 'format version 9, newer.*; powering off, image kept'
[ "$BEFORE" = "$(sha256sum < "$R/dev/vdb")" ] && ok || fail "[$CASE] disk changed"

CASE=corrupt-header
prepare
hibernate_now
printf '\xff\xff\xff\xff\xff\xff\xff\x00' | dd of="$R/dev/vdb" bs=1 seek=4064 conv=notrunc status=none
BEFORE=$(sha256sum < "$R/dev/vdb")
mkdir -p "$R/etc/hibernate-tool"; printf '[resume]\nrefused = "poweroff"\n' > "$R/etc/hibernate-tool/hibernate.toml"
tool resume --root "$R"
expect_out 'is corrupt.*; powering off, image kept'
[ "$BEFORE" = "$(sha256sum < "$R/dev/vdb")" ] && ok || fail "[$CASE] disk changed"
CASE=invalidate-refuses-garbage
printf 'XXXXXXXXXX' | dd of="$R/dev/vdb" bs=1 seek=4076 conv=notrunc status=none
tool invalidate --root "$R"
[ "$RC" = 1 ] && grep -q "refusing to guess" <<<"$ERR" && ok || fail "[$CASE] rc=$RC $ERR"

# ---- a refused image is never kept while the boot goes on (refusal.hh) --------------------
CASE=refused-default-invalidates
prepare
tool record --root "$R" --boot-entry gnulinux-6.1.0-56-amd64
hibernate_now
printf '\x09' | dd of="$R/dev/vdb" bs=1 seek=2056 conv=notrunc status=none   # a record from a newer tool
tool resume --root "$R"
expect_out 'not resuming: the hibernation record has format version 9, newer than this hibernate-tool understands \(3\); image on /dev/vdb invalidated \(keeping it while the boot goes on is not safe'
[ "$(sig "$R/dev/vdb")" = SWAPSPACE ] && ok || fail "[$CASE] image kept while the boot goes on"
grep -q '^ACTION=invalidate' "$R/run/hibernate-tool/last-resume" && ok || fail "[$CASE] last-resume"

# The image needs the kernel that wrote it (header flags this one does not know), and the
# record says where GRUB's environment block lies: the helper sets next_entry there, in
# place, without mounting, counts the reboot in the record, and reboots (reported here).
CASE=reboot-into-recorded-entry
prepare
tool record --root "$R" --boot-entry 'gnulinux-advanced-x>gnulinux-6.1.0-57-amd64-advanced-x'
hibernate_now
BOOT_UUID=6b1e1a1c-0d0e-4f00-8a00-00000000b007
BD=$(mktemp -d); TMPROOTS+=("$BD"); mkdir -p "$BD/grub"
grub-editenv "$BD/grub/grubenv" create
grub-editenv "$BD/grub/grubenv" set saved_entry=0
truncate -s 32M "$R/dev/vdd"
mkfs.ext4 -q -F -b 4096 -U "$BOOT_UUID" -d "$BD" "$R/dev/vdd"
ln -sfn ../../vdd "$R/dev/disk/by-uuid/$BOOT_UUID"
BLOCK=$(debugfs -R "bmap /grub/grubenv 0" "$R/dev/vdd" 2>/dev/null)
[[ $BLOCK =~ ^[0-9]+$ ]] && ok || fail "[$CASE] debugfs bmap: $BLOCK"
# pre would have recorded this place (locate_grubenv_block, unit-tested on a mounted ext4)
python3 - "$R/dev/vdb" "$BOOT_UUID" $((BLOCK * 4096)) <<'PY'
import struct, sys, uuid, zlib
dev, u, off = sys.argv[1], uuid.UUID(sys.argv[2]).bytes, int(sys.argv[3])
with open(dev, "r+b") as f:
    f.seek(2048); r = bytearray(f.read(2008))
    assert r[:8] == b"HTRECORD" and struct.unpack_from("<H", r, 8)[0] == 3
    n = struct.unpack_from("<H", r, 10)[0]
    r[104:120] = u; struct.pack_into("<Q", r, 120, off)
    struct.pack_into("<I", r, 12, zlib.crc32(bytes(r[16:n])) & 0xffffffff)
    f.seek(2048); f.write(r)
PY
printf "\\x$(printf %02x $(( $(dd if="$R/dev/vdb" bs=1 skip=4072 count=1 status=none | od -An -tu1 | tr -d ' ') | 16 )))" |
        dd of="$R/dev/vdb" bs=1 seek=4072 conv=notrunc status=none
echo 6.1.0-57-amd64 > "$R/proc/sys/kernel/osrelease"   # another kernel booted (the GRUB default)
tool resume --root "$R" --json
jq -e '.result == "rebooting" and .action == "reboot-to-entry"' >/dev/null <<<"$OUT" && ok || fail "[$CASE] $OUT $ERR"
grep -q 'rebooting into boot entry gnulinux-advanced-x>gnulinux-6.1.0-57-amd64-advanced-x (Linux 6.1.0-56-amd64' <<<"$OUT" && ok || fail "[$CASE] message: $OUT"
[ "$(sig "$R/dev/vdb")" = S1SUSPEND ] && ok || fail "[$CASE] image not kept"
[ "$(cat "$R/sys/power/resume")" = "0:0" ] && ok || fail "[$CASE] resume was triggered"
debugfs -R "cat /grub/grubenv" "$R/dev/vdd" 2>/dev/null > "$BD/after"
grep -qx 'next_entry=gnulinux-advanced-x>gnulinux-6.1.0-57-amd64-advanced-x' "$BD/after" && ok || fail "[$CASE] next_entry not in the block: $(head -c 200 "$BD/after")"
grep -qx 'saved_entry=0' "$BD/after" && [ "$(stat -c %s "$BD/after")" = 1024 ] && ok || fail "[$CASE] block not kept whole"
grub-editenv "$BD/after" list | grep -qx 'next_entry=gnulinux-advanced-x>gnulinux-6.1.0-57-amd64-advanced-x' && ok || fail "[$CASE] grub-editenv does not read it"
e2fsck -fn "$R/dev/vdd" >/dev/null 2>&1 && ok || fail "[$CASE] the boot filesystem is not clean after the write"
[ "$(dd if="$R/dev/vdb" bs=1 skip=$((2048 + 93)) count=1 status=none | od -An -tu1 | tr -d ' ')" = 1 ] && ok || fail "[$CASE] reboot not counted in the record"
run_check "$R"
expect_json ".image.record.grubenv.uuid == \"$BOOT_UUID\" and .image.record.grubenv.offset == $((BLOCK * 4096)) and .image.record.reboots == 1" '.image.record'
CASE=reboot-into-recorded-entry-only-once
tool resume --root "$R"
expect_out 'image on /dev/vdb invalidated'
grep -q 'was already tried for this image' <<<"$ERR" && ok || fail "[$CASE] stderr: $ERR"
[ "$(sig "$R/dev/vdb")" = SWAPSPACE ] && ok || fail "[$CASE] image kept"
CASE=reboot-into-recorded-entry-no-grub-block
prepare
tool record --root "$R" --boot-entry gnulinux-6.1.0-56-amd64
hibernate_now
python3 - "$R/dev/vdb" <<'PY'
import struct, sys, zlib
with open(sys.argv[1], "r+b") as f:
    f.seek(2048); r = bytearray(f.read(2008)); n = struct.unpack_from("<H", r, 10)[0]
    r[104:120] = bytes(range(1, 17)); struct.pack_into("<Q", r, 120, 4096)
    struct.pack_into("<I", r, 12, zlib.crc32(bytes(r[16:n])) & 0xffffffff)
    f.seek(2048); f.write(r)
PY
printf "\\x$(printf %02x $(( $(dd if="$R/dev/vdb" bs=1 skip=4072 count=1 status=none | od -An -tu1 | tr -d ' ') | 16 )))" |
        dd of="$R/dev/vdb" bs=1 seek=4072 conv=notrunc status=none
sed -i 's/$/ resumedelay=1/' "$R/proc/cmdline"
echo 6.1.0-57-amd64 > "$R/proc/sys/kernel/osrelease"
tool resume --root "$R"
expect_out 'image on /dev/vdb invalidated'
grep -q "the filesystem holding GRUB's environment block (UUID=01020304-0506-0708-090a-0b0c0d0e0f10) is not there" <<<"$ERR" && ok || fail "[$CASE] stderr: $ERR"

CASE=invalidate
prepare
hibernate_now
tool invalidate --root "$R"
[ "$RC" = 0 ] && [ "$(sig "$R/dev/vdb")" = SWAPSPACE ] && ok || fail "[$CASE] rc=$RC $ERR"
blkid -p -o value -s TYPE "$R/dev/vdb" | grep -qx swap && ok || fail "[$CASE] blkid does not see swap"

CASE=no-image
tool resume --root "$R"
expect_out 'not resuming: no hibernation image on /dev/vdb'
CASE=device-never-appears
echo "root=/dev/vdc resume=UUID=00000000-0000-4000-8000-000000000001 resumedelay=1" > "$R/proc/cmdline"
S=$(date +%s%N); tool resume --root "$R"; E=$(date +%s%N)
expect_out 'did not appear within 1 s'
[ $(( (E - S) / 1000000 )) -ge 900 ] && [ $(( (E - S) / 1000000 )) -lt 5000 ] && ok || fail "[$CASE] waited $(( (E - S) / 1000000 )) ms"
CASE=device-timeout-resumeflags
# The generator's device job and the helper wait the same bound: systemd's option in resumeflags=
# wins over resumedelay= (and over [resume] timeout_sec).
echo "root=/dev/vdc resume=UUID=00000000-0000-4000-8000-000000000001 resumeflags=x-systemd.device-timeout=2s resumedelay=30" > "$R/proc/cmdline"
S=$(date +%s%N); tool resume --root "$R"; E=$(date +%s%N)
expect_out 'did not appear within 2 s'
[ $(( (E - S) / 1000000 )) -ge 1900 ] && [ $(( (E - S) / 1000000 )) -lt 6000 ] && ok || fail "[$CASE] waited $(( (E - S) / 1000000 )) ms"
CASE=device-appears-late
echo "root=/dev/vdc resume=UUID=$SWAP_UUID resumedelay=10" > "$R/proc/cmdline"
rm "$R/dev/disk/by-uuid/$SWAP_UUID"
( sleep 1; ln -s ../../vdb "$R/dev/disk/by-uuid/$SWAP_UUID" ) &
S=$(date +%s%N); tool resume --root "$R"; E=$(date +%s%N)
wait
expect_out 'no hibernation image on /dev/vdb'
[ $(( (E - S) / 1000000 )) -lt 5000 ] && ok || fail "[$CASE] took $(( (E - S) / 1000000 )) ms for a device that appeared after 1 s"
CASE=garbage-cmdline
echo "root=/dev/vdc resume=UUID=zz resume_offset=x" > "$R/proc/cmdline"
tool resume --root "$R"
[ "$RC" = 0 ] && ok || fail "[$CASE] exit $RC"
expect_out 'not resuming: .*Invalid device specification'
CASE=usage
tool frobnicate; [ "$RC" = 2 ] && ok || fail "[$CASE] exit $RC"
tool resume --boot-entry x; [ "$RC" = 2 ] && ok || fail "[$CASE] exit $RC"

finish
