#!/bin/bash
# resume-offset on real swap files: ext4 (FIEMAP, compared with filefrag -v) and btrfs
# (FIEMAP's logical address mapped through the chunk tree, compared with
# btrfs inspect-internal map-swapfile -r). Needs root for the btrfs loop mount.
source "$(dirname "$0")/fixture.sh"
PAGE=$(getconf PAGESIZE)

# A swap file on the filesystem /tmp lives on; the fixture's mountinfo says / is /dev/vdc.
fixture_with_file() {  # root, swapfile-in-root
        local r=$1 f=$2 size_kb
        size_kb=$(( $(stat -c %s "$r$f") / 1024 - PAGE / 1024 ))
        printf 'Filename Type Size Used Priority\n%s file %s 0 -2\n' "$f" "$size_kb" > "$r/proc/swaps"
        rm -f "$r/etc/initramfs-tools/conf.d/resume"
}

CASE=ext4-swapfile
R=$(new_root)
fs=$(stat -f -c %T "$R")
if [ "$fs" != "ext2/ext3" ] && [ "$fs" != "xfs" ]; then
        echo "note: $R is on $fs; FIEMAP is still used as is"
fi
fallocate -l 64M "$R/swapfile"
chmod 600 "$R/swapfile"
mkswap -q "$R/swapfile" >/dev/null
sync
# filefrag -v: first extent's physical start, in filesystem blocks
BS=$(stat -f -c %S "$R")
FIRST=$(filefrag -v "$R/swapfile" | awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4; exit }')
[ -n "$FIRST" ] || { fail "filefrag gave no extent"; finish; }
EXPECTED=$(( FIRST * BS / PAGE ))
echo "ext4: filefrag first physical block $FIRST (block size $BS) -> resume_offset $EXPECTED"
fixture_with_file "$R" /swapfile

echo "root=/dev/vdc resume=/dev/vdc resume_offset=$EXPECTED" > "$R/proc/cmdline"
sed -i "s|^GRUB_CMDLINE_LINUX=.*|GRUB_CMDLINE_LINUX=\"resume=/dev/vdc resume_offset=$EXPECTED\"|" "$R/etc/default/grub"
write_grub_cfg "$R" "resume=/dev/vdc resume_offset=$EXPECTED"
run_check "$R"
expect resume-device pass 'holds the active swap file /swapfile'
expect resume-offset pass "resume_offset=$EXPECTED matches"
expect bootloader pass
expect swap-size fail 'too small'   # 64 MiB cannot hold ~1.5 GiB
expect image pass 'No hibernation image'
expect_json ".resume.offset == $EXPECTED and .resume.device == \"/dev/vdc\" and .swap[0].type == \"file\""

CASE=ext4-wrong-offset
echo "root=/dev/vdc resume=/dev/vdc resume_offset=$((EXPECTED + 1))" > "$R/proc/cmdline"
run_check "$R"
expect resume-offset fail "resume_offset=$EXPECTED"

CASE=ext4-missing-offset
echo "root=/dev/vdc resume=/dev/vdc" > "$R/proc/cmdline"
run_check "$R"
expect resume-offset fail "not set.*resume_offset=$EXPECTED"

CASE=ext4-auto
echo "root=/dev/vdc" > "$R/proc/cmdline"
run_check "$R"
expect resume-device warn 'automatic'
expect_json ".resume.source == \"auto\" and .resume.offset == $EXPECTED"

CASE=ext4-grub-offset-mismatch
echo "root=/dev/vdc resume=/dev/vdc resume_offset=$EXPECTED" > "$R/proc/cmdline"
sed -i "s|^GRUB_CMDLINE_LINUX=.*|GRUB_CMDLINE_LINUX=\"resume=/dev/vdc resume_offset=7\"|" "$R/etc/default/grub"
write_grub_cfg "$R" "resume=/dev/vdc resume_offset=7"
run_check "$R"
expect bootloader fail "resume_offset=$EXPECTED"

CASE=file-with-hole
R=$(new_root)
truncate -s 64M "$R/swapfile"
chmod 600 "$R/swapfile"
fixture_with_file "$R" /swapfile
echo "root=/dev/vdc resume=/dev/vdc resume_offset=0" > "$R/proc/cmdline"
run_check "$R"
expect resume-offset fail 'hole'

# ---- btrfs -----------------------------------------------------------------------------
CASE=btrfs-swapfile
if [ "$(id -u)" != 0 ] || ! command -v mkfs.btrfs >/dev/null; then
        echo "btrfs part needs root and btrfs-progs"
        [ -n "${HT_REQUIRE_ALL:-}" ] && { fail "btrfs part could not run"; }
        finish; exit $?
fi
IMG=$(mktemp /tmp/ht-btrfs-XXXXXX.img); TMPROOTS+=("$IMG")
truncate -s 512M "$IMG"
mkfs.btrfs -q -f "$IMG" >/dev/null
MNT=$(mktemp -d /tmp/ht-btrfs-mnt-XXXXXX)
if ! mount -o loop "$IMG" "$MNT" 2>/dev/null; then
        rmdir "$MNT"
        if [ -n "${HT_REQUIRE_ALL:-}" ]; then fail "cannot loop-mount btrfs"; finish; exit 1; fi
        echo "SKIP btrfs: cannot loop-mount"; finish; exit $?
fi
trap 'umount "$MNT" 2>/dev/null; rmdir "$MNT" 2>/dev/null; cleanup_roots' EXIT
# Put data first so the swap file's logical and physical addresses differ.
dd if=/dev/urandom of="$MNT/filler" bs=1M count=40 status=none
sync
btrfs filesystem mkswapfile -s 128m "$MNT/swapfile" >/dev/null 2>&1 && [ -s "$MNT/swapfile" ] || {
        rm -f "$MNT/swapfile"
        
        touch "$MNT/swapfile"; chattr +C "$MNT/swapfile"; fallocate -l 128M "$MNT/swapfile"; chmod 600 "$MNT/swapfile"; mkswap -q "$MNT/swapfile"; }
sync
EXPECTED=$(btrfs inspect-internal map-swapfile -r "$MNT/swapfile")
LOGICAL=$(filefrag -v "$MNT/swapfile" | awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4; exit }')
echo "btrfs: map-swapfile -r says $EXPECTED; FIEMAP logical block $LOGICAL"
# The fixture root lives inside the btrfs filesystem so FIEMAP and the chunk tree are real.
R=$(new_root)
cp -a "$R/." "$MNT/"
R2=$MNT
sed -i 's/ - ext4 \/dev\/vdc rw/ - btrfs \/dev\/vdc rw/; s/254:32/0:45/' "$R2/proc/self/mountinfo"
fixture_with_file "$R2" /swapfile
echo "root=/dev/vdc resume=/dev/vdc resume_offset=$EXPECTED" > "$R2/proc/cmdline"
run_check "$R2"
expect resume-offset pass "resume_offset=$EXPECTED matches.*btrfs logical"
if [ $(( LOGICAL * 4096 / PAGE )) = "$EXPECTED" ]; then
        fail "[$CASE] logical and physical offsets coincide; the test would not catch an unmapped value"
else ok; fi
CASE=btrfs-logical-offset-is-wrong
echo "root=/dev/vdc resume=/dev/vdc resume_offset=$(( LOGICAL * 4096 / PAGE ))" > "$R2/proc/cmdline"
run_check "$R2"
expect resume-offset fail "resume_offset=$EXPECTED"
umount "$MNT"; rmdir "$MNT"
trap cleanup_roots EXIT

finish
