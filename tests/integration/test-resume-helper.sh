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
tool resume --root "$R"
expect_out 'not resuming: the image uses header flags 0x10 .*image kept: boot Linux 6.1.0-56-amd64 \(boot entry gnulinux-6.1.0-56-amd64\)'
[ "$(sig "$R/dev/vdb")" = S1SUSPEND ] && ok || fail "[$CASE] image not kept"
[ "$(cat "$R/sys/power/resume")" = "0:0" ] && ok || fail "[$CASE] resume was triggered"
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
tool resume --root "$R"
expect_out 'format version 9, newer.*image kept'
[ "$BEFORE" = "$(sha256sum < "$R/dev/vdb")" ] && ok || fail "[$CASE] disk changed"

CASE=corrupt-header
prepare
hibernate_now
printf '\xff\xff\xff\xff\xff\xff\xff\x00' | dd of="$R/dev/vdb" bs=1 seek=4064 conv=notrunc status=none
BEFORE=$(sha256sum < "$R/dev/vdb")
tool resume --root "$R"
expect_out 'is corrupt.*image kept'
[ "$BEFORE" = "$(sha256sum < "$R/dev/vdb")" ] && ok || fail "[$CASE] disk changed"
CASE=invalidate-refuses-garbage
printf 'XXXXXXXXXX' | dd of="$R/dev/vdb" bs=1 seek=4076 conv=notrunc status=none
tool invalidate --root "$R"
[ "$RC" = 1 ] && grep -q "refusing to guess" <<<"$ERR" && ok || fail "[$CASE] rc=$RC $ERR"

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
