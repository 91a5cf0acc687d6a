#!/bin/bash
# The hibernation record on an ACTIVE swap file, on the real kernel of this machine:
# ordinary writes to the file fail (ETXTBSY), so the record is written through the
# filesystem's block device at resume_offset, as the kernel writes its own header.
# Verified by reading the file's first page after swapoff, bypassing the page cache.
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?}"
[ "$(id -u)" = 0 ] || skip_or_fail "needs root (loop mount, swapon)"
W=$(mktemp -d /tmp/ht-swapfile-XXXXXX); TMPROOTS+=("$W")
truncate -s 300M "$W/fs.img"
mkfs.ext4 -q -F -b 4096 "$W/fs.img"
mkdir "$W/mnt"
mount -o loop "$W/fs.img" "$W/mnt" || skip_or_fail "cannot loop-mount"
cleanup() { swapoff "$W/mnt/swapfile" 2>/dev/null; umount "$W/mnt" 2>/dev/null; cleanup_roots; }
trap cleanup EXIT
fallocate -l 64M "$W/mnt/swapfile"; chmod 600 "$W/mnt/swapfile"; mkswap -q "$W/mnt/swapfile"
swapon "$W/mnt/swapfile" || skip_or_fail "swapon is not permitted here"
LOOP=$(findmnt -n -o SOURCE "$W/mnt")
OFF=$(filefrag -v "$W/mnt/swapfile" | awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4; exit }')
printf '[resume]\ndevice = "%s"\noffset = %s\n' "$LOOP" "$OFF" > "$W/cfg.toml"

CASE=active-swap-file-refuses-writes
if python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY); os.pwrite(fd, b'x', 3000)" "$W/mnt/swapfile" 2>/dev/null; then
        fail "[$CASE] an active swap file accepted a write"; else ok; fi

CASE=check-sees-it
OUT=$("$HIBERNATE_CHECK" --config "$W/cfg.toml" --json || true)
expect resume-device pass "holds the active swap file $W/mnt/swapfile"
expect resume-offset pass "resume_offset=$OFF matches"

CASE=record-through-block-device
set +e; OUT=$("$HIBERNATE_TOOL" record --config "$W/cfg.toml" --json); RC=$?; set -e
[ "$RC" = 0 ] && ok || fail "[$CASE] record failed (rc $RC)"
jq -e ".device == \"$LOOP\" and .header_offset == $((OFF * 4096))" >/dev/null <<<"$OUT" && ok || fail "[$CASE] $OUT"
swapoff "$W/mnt/swapfile"
PAGE=$(dd if="$W/mnt/swapfile" bs=4096 count=1 iflag=direct status=none | od -An -c -j 2048 -N 8 | tr -d ' \n')
[ "$PAGE" = HTRECORD ] && ok || fail "[$CASE] no record in the file's first page: '$PAGE'"
SIG=$(dd if="$W/mnt/swapfile" bs=4096 count=1 iflag=direct status=none | od -An -c -j 4086 -N 10 | tr -d ' \n')
[ "$SIG" = SWAPSPACE2 ] && ok || fail "[$CASE] swap signature changed: '$SIG'"
swapon "$W/mnt/swapfile" && ok || fail "[$CASE] the swap file no longer activates"
finish
