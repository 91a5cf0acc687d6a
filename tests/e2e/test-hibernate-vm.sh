#!/bin/bash
# End-to-end test of the hibernate path in a full Debian 12 VM (tests/e2e/debian-vm.sh):
# SeaBIOS -> GRUB -> Debian with systemd, two kernels, the project installed (prefix /usr)
# with its units and initramfs hook, booted under QEMU (TCG).
#   run 1  the OLDER kernel (one-shot from the host; the default entry boots the newer
#          one): refusals (the gate fails `systemctl hibernate`; without the gate the
#          sleep service's ExecStartPre refuses; nothing changes), then hibernation #1
#   run 2  GRUB boots the older kernel again (our next_entry), resumes; marker intact;
#          /boot unmounted, hibernation #2
#   run 3a the helper reboots into the recorded entry: the host first plays GRUB having
#          consumed next_entry (the grubenv block rewritten in place without it) and marks
#          the image as needing the other kernel (header flag 16, see below); GRUB boots
#          the default (newer) kernel, whose initramfs helper refuses the image, sets
#          next_entry in place on the unmounted /boot from the record's block place, and
#          reboots before anything is mounted; the host then checks grubenv, p1 (e2fsck),
#          the image and the record's reboot counter, and restores the flags
#   run 3  the one-shot entry written by run 3a's initramfs (pre's went through the
#          unmounted /boot in run 2): older kernel, resume, /boot still unmounted
#   run 4  a normal boot: the default (newer) kernel, nothing left behind
#   run 5  the host purged the package (dpkg --purge in a chroot): nothing of ours is left
#          (programs, units, drop-ins, initramfs hook), the initramfs trigger rebuilt the
#          newest kernel's image without it, setup's /etc edits stay; stock hibernation
#   run 6  Debian's own initramfs resumes it (marker intact, swap usable)
# The package is the .deb of this tree (tests/package/build-deb.sh), installed with dpkg -i
# in a chroot of the image before run 1 (its maintainer scripts enable the gate).
# The guest side is tests/e2e/vm/hibernate-step.sh; its CHECK-OK/CHECK-FAIL lines count.
set -euo pipefail

HT_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HT_E2E_DIR/../.." && pwd)
. "$HT_E2E_DIR/lib.sh"
. "$HT_E2E_DIR/debian-vm.sh"

[[ $EUID -eq 0 ]] || skip "needs root (loop devices, debootstrap)"
for c in "$HT_QEMU" debootstrap sfdisk losetup mkswap grub-editenv debugfs e2fsck unshare dpkg-buildpackage dpkg-deb; do
        command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/hibernate-dev installs the DEPS)"
done

DIR="$DVM_DIR/hibernate"
mkdir -p "$DIR"
exec 8>"$DIR/.lock"
flock -w 3600 8 || ht_die "another test-hibernate-vm.sh holds $DIR/.lock"
trap 'dvm_cleanup; rm -rf "${PKGX:-}"' EXIT

NPASS=0 NFAIL=0
SCEN=setup

BASE=$(dvm_base) || ht_die "dvm_base failed"
dvm_load_env "$BASE"
OLD_ENTRY=$(dvm_grub_entry_for "$DVM_KERNEL_OLD")
ht_info "kernels: default $DVM_KERNEL_NEW, hibernating $DVM_KERNEL_OLD ($OLD_ENTRY)"

# The Debian package of this tree (tests/package/build-deb.sh, cached per source tree: the
# package suite's test-deb.sh runs first and builds it), installed in the guest with dpkg.
DEB=$(bash "$SRC/tests/package/build-deb.sh") || ht_die "building the Debian package failed"
# The host side (setup --root, as an installer runs it) uses the same package's program.
PKGX=$(mktemp -d); dpkg-deb -x "$DEB" "$PKGX"

WORK="$DIR/work.img"
LOGS="$DIR/logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"
dvm_clone "$BASE" "$WORK"
dvm_install_deb "$WORK" "$DEB"
cp "$WORK.dpkg.log" "$LOGS/dpkg-install.log"
MNT=$(mktemp -d); dvm_mount "$WORK" "$MNT"
# The package's maintainer scripts enabled the gate (dh_installsystemd); the cleanup unit is
# static, linked into sysinit.target.wants by the package itself.
check "dpkg -i: package installed" grep -q "^Setting up hibernate-tool" "$LOGS/dpkg-install.log"
check "gate enabled by the postinst" test -L "$MNT/etc/systemd/system/multi-user.target.wants/hibernate-tool-gate.service"
check "cleanup pulled in at boot" test -L "$MNT/lib/systemd/system/sysinit.target.wants/hibernate-tool-cleanup.service"
check "sleep drop-in installed" test -f "$MNT/lib/systemd/system/systemd-hibernate.service.d/50-hibernate-tool.conf"
# ---- hibernate-tool setup from the host, against the mounted image (an installer's view) --
# Like an installer, the target gets the host's /dev (the loop partitions) bind-mounted.
SCEN=setup-host
TOOL="$PKGX/usr/sbin/hibernate-tool"
LOOP_ROOT=$(findmnt -no SOURCE "$MNT")
SWAPDEV=${LOOP_ROOT%p2}p3
# The target's /dev as an installer prepares it (udev's /dev/disk/by-uuid links; this host
# runs no udev, so they are made here): grub-mkconfig writes root=UUID= only when the link
# exists. setup uses a /dev, /proc or /sys that is already mounted in the target as it is.
mount -t tmpfs -o mode=755 ht-dev "$MNT/dev"
cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/console /dev/loop* "$MNT/dev/" 2>/dev/null || true
mkdir -p "$MNT/dev/disk/by-uuid" "$MNT/dev/pts" "$MNT/dev/shm"
for p in "${LOOP_ROOT%p2}"p*; do
        u=$(blkid -s UUID -o value "$p" 2>/dev/null) || continue
        [[ -n $u ]] && ln -sf "../../${p#/dev/}" "$MNT/dev/disk/by-uuid/$u"
done
tree_sum() {  # every file setup may touch (missing paths are fine)
        local p=()
        for d in etc boot/grub/grub.cfg var/lib/hibernate-tool; do [[ -e $MNT/$d ]] && p+=("$d"); done
        (cd "$MNT" && find "${p[@]}" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum
}
S0=$(tree_sum)
set +e
OUT=$("$TOOL" setup --root "$MNT" --swap "$SWAPDEV" --dry-run 2>&1); RC=$?
set -e
check "setup --dry-run exits 0" test "$RC" -eq 0
check "setup --dry-run shows a diff and the regeneration commands" bash -c 'grep -q "^+++ " <<<"$1" && grep -q "update-initramfs" <<<"$1"' _ "$OUT"
check "setup --dry-run changes nothing" test "$S0" = "$(tree_sum)"
set +e
OUT=$("$TOOL" setup --root "$MNT" --swap "$SWAPDEV" --no-regenerate --json 2>"$LOGS/setup1.err"); RC=$?
set -e
check "setup (first run) changes files" jq -e '.changed == true and .resume.uuid == "'"$DVM_SWAP_UUID"'"' <<<"$OUT"
S1=$(tree_sum)
OUT=$("$TOOL" setup --root "$MNT" --swap "$SWAPDEV" --no-regenerate --json 2>>"$LOGS/setup1.err" || true)
check "setup run twice = once" jq -e '.changed == false' <<<"$OUT"
check "second run left every file as it was" test "$S1" = "$(tree_sum)"
OUT=$("$TOOL" setup --root "$MNT" --undo --no-regenerate --json 2>>"$LOGS/setup1.err" || true)
check "setup --undo" jq -e '.changed == true and .error == null' <<<"$OUT"
check "--undo restores every file byte for byte" test "$S0" = "$(tree_sum)"
# The real thing, with regeneration (update-grub, update-initramfs -u for both kernels) in a
# chroot of the target.
set +e
"$TOOL" setup --root "$MNT" --swap "$SWAPDEV" >"$LOGS/setup-regen.log" 2>&1; RC=$?
set -e
check "setup with regeneration in the target" test "$RC" -eq 0
umount "$MNT/dev"
for k in "$DVM_KERNEL_OLD" "$DVM_KERNEL_NEW"; do
        LIST=$(dvm_in_chroot "$MNT" lsinitramfs "/boot/initrd.img-$k" 2>&1 || true)
        if grep -q 'scripts/local-premount/hibernate-tool' <<<"$LIST" && grep -q 'sbin/hibernate-tool' <<<"$LIST"; then
                pass "our hook is in the initramfs of $k"
        else bad "our hook is not in the initramfs of $k"; fi
done
check "GRUB passes resume=UUID of the swap" grep -q "resume=UUID=$DVM_SWAP_UUID" "$MNT/boot/grub/grub.cfg"
check "GRUB still boots root=UUID= (not a host device name)" bash -c "grep -q 'root=UUID=$DVM_ROOT_UUID' '$MNT/boot/grub/grub.cfg' && ! grep -q 'root=/dev/loop' '$MNT/boot/grub/grub.cfg'"
SCEN=setup
grub-editenv "$MNT/boot/grub/grubenv" set "next_entry=$OLD_ENTRY"
install -m 0755 "$HT_E2E_DIR/vm/hibernate-step.sh" "$MNT/usr/local/sbin/ht-e2e-step"
dvm_umount "$MNT"; rmdir "$MNT"

# ---- run 1 --------------------------------------------------------------------------------
SCEN=run1
L1="$LOGS/run1.log"
dvm_boot "$WORK" "$L1" 900 || true
check "boots the older kernel (host one-shot)" test "$(booted_kernel "$L1")" = "$DVM_KERNEL_OLD"
check "refusal: systemctl hibernate fails with the gate (swap)" log_has "$L1" 'systemctl hibernate \(swap\): rc=[1-9]'
check "refusal: systemctl hibernate fails with the gate (entry)" log_has "$L1" 'systemctl hibernate \(entry, gate\): rc=[1-9].*not supported'
check "hibernation #1 writes the image and powers off" log_has "$L1" 'PM: hibernation: (Image saved|Saving image)|reboot: Power down'
check "VM was off after hibernation #1 (no resume in run 1)" sh -c "! grep -aq 'RESUMED-1' '$L1'"
guest_checks "$L1"

# ---- run 2 --------------------------------------------------------------------------------
SCEN=run2
L2="$LOGS/run2.log"
dvm_boot "$WORK" "$L2" 900 || true
check "GRUB boots the hibernated (older, non-default) kernel" test "$(booted_kernel "$L2")" = "$DVM_KERNEL_OLD"
check "our helper resumes" log_has "$L2" 'resuming from /dev/'
check "resumed (step continued)" log_has "$L2" 'HT-E2E: RESUMED-1 kernel'
guest_checks "$L2"
grep -a 'HT-E2E: TIMING' "$L2" | sed 's/.*TIMING /    /' >&2 || true

# ---- run 3a: the newer kernel boots; the helper sets GRUB's one-shot entry and reboots ----
# Hibernation #2 (run 2) wrote its image under the OLDER kernel, and pre left next_entry =
# the older entry and recorded where grubenv's block lies (record v3). Here the host plays
# "GRUB consumed next_entry and the user picked the default (newer) kernel": it rewrites the
# block in place without next_entry, as GRUB's save_env does. Both 6.1 kernels read each
# other's images and know no newer header flags, so "only the kernel that wrote the image
# can restore it" is emulated: the host sets header flag 16 (LZ4, Linux >= 6.9) before run
# 3a, the newer kernel's helper refuses it ("needs other kernel"), and the host restores
# the original flags after run 3a, before the older kernel boots in run 3.
SCEN=run3a
T3A=$SECONDS
rec_u8() { od -An -t u1 -j $((2048 + $2)) -N 1 "$1" | tr -d ' '; }
rec_u16() { od -An -t u2 -j $((2048 + $2)) -N 2 "$1" | tr -d ' '; }
rec_u64() { od -An -t u8 -j $((2048 + $2)) -N 8 "$1" | tr -d ' '; }
rec_hex() { od -An -t x1 -j $((2048 + $2)) -N "$3" "$1" | tr -d ' \n'; }
fs_uuid_hex() { tr -d '-' <<<"$1"; }
grubenv_block() {  # p1 device: the byte position of /grub/grubenv's only block (p1 is /boot)
        local bs blk
        bs=$(debugfs -R stats "$1" 2>/dev/null | sed -n 's/^Block size: *//p')
        blk=$(debugfs -R "bmap /grub/grubenv 0" "$1" 2>/dev/null)
        [[ $bs =~ ^[0-9]+$ && $blk =~ ^[0-9]+$ && $blk -gt 0 ]] || return 1
        echo $((blk * bs))
}
LOOP=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$LOOP")
P1=${LOOP}p1 P3=${LOOP}p3
ht_read_header "$P3"
check "after hibernation #2: an image in the swap (S1SUSPEND)" test "$HDR_SIG" = S1SUSPEND
check "record v3 in the swap header page" \
        test "$(dd if="$P3" bs=1 skip=2048 count=8 status=none)/$(rec_u16 "$P3" 8)" = HTRECORD/3
check "record names the older kernel's entry" \
        test "$(dd if="$P3" bs=1 skip=$((2048 + 136)) count=${#OLD_ENTRY} status=none)" = "$OLD_ENTRY"
check "record: GRUB's block on /boot (UUID $DVM_BOOT_UUID)" test "$(rec_hex "$P3" 104 16)" = "$(fs_uuid_hex "$DVM_BOOT_UUID")"
GE_OFF=$(grubenv_block "$P1" || true)
check "record: the block's byte position ($(rec_u64 "$P3" 120)) is grubenv's block on p1 (${GE_OFF:-?})" \
        test "$(rec_u64 "$P3" 120)" = "${GE_OFF:-none}"
check "record: reboot counter 0" test "$(rec_u8 "$P3" 93)" = 0
# GRUB's side, in place: the block without next_entry (grub-editenv on a copy, 1024 bytes),
# written back at the same place.
BLK=$(mktemp)
dd if="$P1" of="$BLK" bs=1024 skip=$((${GE_OFF:-0} / 1024)) count=1 status=none
check "the block holds pre's next_entry=$OLD_ENTRY" bash -c 'grub-editenv "$1" list | grep -qxF "next_entry=$2"' _ "$BLK" "$OLD_ENTRY"
grub-editenv "$BLK" unset next_entry
check "GRUB-consumed block: 1024 bytes, no next_entry" \
        bash -c '[[ $(stat -c %s "$1") == 1024 ]] && ! grub-editenv "$1" list | grep -q "^next_entry="' _ "$BLK"
[[ -n $GE_OFF ]] && dd if="$BLK" of="$P1" bs=1024 seek=$((GE_OFF / 1024)) count=1 conv=notrunc,fsync status=none
ORIG_FLAGS=$HDR_FLAGS
IMG_ID=$(od -An -t x1 -j "$HT_HDR_OFF_HW_SIG" -N 16 "$P3" | tr -d ' \n')  # hw_sig, crc32, image sector
if ((ORIG_FLAGS < 256 && !(ORIG_FLAGS & 16))); then
        printf "$(printf '\\%03o' $((ORIG_FLAGS | 16)))" |
                dd of="$P3" bs=1 seek="$HT_HDR_OFF_FLAGS" conv=notrunc,fsync status=none
fi
ht_read_header "$P3"
check "header flag 16 set (was $ORIG_FLAGS)" test "$HDR_FLAGS" = $((ORIG_FLAGS | 16))
rm -f "$BLK"
sync; dvm_loop_detach "$LOOP"

L3A="$LOGS/run3a.log"
dvm_boot "$WORK" "$L3A" 600 || true
check "GRUB booted the default (newer) kernel" test "$(booted_kernel "$L3A")" = "$DVM_KERNEL_NEW"
check "helper: $(grep -aEo 'hibernate-tool: not resuming: .*' "$L3A" | head -n1 | cut -c1-160)" \
        log_has "$L3A" "hibernate-tool: not resuming: .*rebooting into boot entry $OLD_ENTRY \\(Linux $DVM_KERNEL_OLD, GRUB's one-shot entry\\)"
check "the kernel restarted (reboot(2) from the initramfs)" log_has "$L3A" 'reboot: Restarting system'
check "no image load" bash -c '! grep -aEq "PM: hibernation: resume from hibernation|PM: (Loading|Image loading)|PM: Using [0-9]+ thread" "$1"' _ "$L3A"
check "the root filesystem was never mounted, the system never reached" \
        bash -c '! grep -aEq "EXT4-fs \(vda2\)|HT-E2E:|Reached target" "$1"' _ "$L3A"
LOOP=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$LOOP")
P1=${LOOP}p1 P3=${LOOP}p3
ENV=$(mktemp)
debugfs -R "cat /grub/grubenv" "$P1" >"$ENV" 2>/dev/null || true
check "grubenv on p1 (through the filesystem): next_entry=$OLD_ENTRY" \
        bash -c 'grub-editenv "$1" list | grep -qxF "next_entry=$2"' _ "$ENV" "$OLD_ENTRY"
GE_OFF2=$(grubenv_block "$P1" || true)
check "grubenv still 1024 bytes in the same block" test "$(stat -c %s "$ENV")/${GE_OFF2:-?}" = "1024/${GE_OFF:-}"
rm -f "$ENV"
check "e2fsck -n of /boot (p1) is clean" bash -c 'e2fsck -fn "$1" >/dev/null 2>&1' _ "$P1"
ht_read_header "$P3"
check "image kept: S1SUSPEND, the same image (hw_sig, crc32, image sector)" \
        test "$HDR_SIG/$(od -An -t x1 -j "$HT_HDR_OFF_HW_SIG" -N 16 "$P3" | tr -d ' \n')" = "S1SUSPEND/$IMG_ID"
check "record: reboot counter 1" test "$(rec_u8 "$P3" 93)" = 1
# The older kernel can restore its image: the flags as it wrote them.
printf "$(printf '\\%03o' "$ORIG_FLAGS")" | dd of="$P3" bs=1 seek="$HT_HDR_OFF_FLAGS" conv=notrunc,fsync status=none
ht_read_header "$P3"
check "header flags restored ($ORIG_FLAGS)" test "$HDR_FLAGS" = "$ORIG_FLAGS"
sync; dvm_loop_detach "$LOOP"
ht_info "run 3a took $((SECONDS - T3A)) s (host checks and edits included)"

# ---- run 3 --------------------------------------------------------------------------------
SCEN=run3
L3="$LOGS/run3.log"
dvm_boot "$WORK" "$L3" 900 || true
check "GRUB boots the one-shot entry run 3a's initramfs wrote in place (older kernel)" test "$(booted_kernel "$L3")" = "$DVM_KERNEL_OLD"
check "resumed #2" log_has "$L3" 'HT-E2E: RESUMED-2 kernel'
guest_checks "$L3"

# ---- run 4 --------------------------------------------------------------------------------
SCEN=run4
L4="$LOGS/run4.log"
dvm_boot "$WORK" "$L4" 600 || true
check "the next normal boot is back on the default entry" test "$(booted_kernel "$L4")" = "$DVM_KERNEL_NEW"
check "final step ran" log_has "$L4" "HT-E2E: PHASE final kernel $DVM_KERNEL_NEW"
guest_checks "$L4"

# ---- run 5/6: the package purged, hibernation is stock Debian's again ----------------------
SCEN=purge
MNT=$(mktemp -d); dvm_mount "$WORK" "$MNT"
set +e
dvm_in_chroot "$MNT" dpkg --purge hibernate-tool >"$LOGS/dpkg-purge.log" 2>&1; RC=$?
set -e
check "dpkg --purge hibernate-tool" test "$RC" -eq 0
check "purge: no program left" test ! -e "$MNT/usr/sbin/hibernate-tool" -a ! -e "$MNT/usr/sbin/hibernate-check"
check "purge: no unit, drop-in, link or hook of ours left" bash -c '! find "$1/etc/systemd" "$1/lib/systemd" "$1/usr/lib/systemd" "$1/usr/share/initramfs-tools" "$1/etc/initramfs-tools/hooks" "$1/usr/lib/kernel" -name "*hibernate-tool*" 2>/dev/null | grep -q .' _ "$MNT"
LIST=$(dvm_in_chroot "$MNT" lsinitramfs "/boot/initrd.img-$DVM_KERNEL_NEW" 2>&1 || true)
check "purge: the newest kernel's initramfs lists (initramfs-tools' resume script in it)" grep -q 'scripts/local-premount/resume' <<<"$LIST"
check "purge: the initramfs trigger rebuilt the newest kernel's image without our hook" bash -c '! grep -q hibernate-tool <<<"$1"' _ "$LIST"
check "purge: what setup wrote stays until setup --undo (README.Debian)" grep -q "resume=UUID=$DVM_SWAP_UUID" "$MNT/boot/grub/grub.cfg"
echo purged > "$MNT/var/lib/ht-e2e/phase"
dvm_umount "$MNT"; rmdir "$MNT"
L5="$LOGS/run5.log"
dvm_boot "$WORK" "$L5" 900 || true
check "run 5: the default kernel" test "$(booted_kernel "$L5")" = "$DVM_KERNEL_NEW"
check "run 5: stock hibernation started" log_has "$L5" 'HT-E2E: HIBERNATE-STOCK'
guest_checks "$L5"
L6="$LOGS/run6.log"
dvm_boot "$WORK" "$L6" 900 || true
check "run 6: Debian's own initramfs resumed the image" log_has "$L6" 'HT-E2E: RESUMED-STOCK kernel'
check "run 6: our helper is not in that boot" bash -c '! grep -aq "hibernate-tool:" "$1"' _ "$L6"
guest_checks "$L6"

PRE=$(grep -a 'HT-E2E: TIMING' "$L2" | sed 's/.*pre_ms=\([0-9]*\).*/\1/' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
POST=$(grep -a 'HT-E2E: TIMING' "$L2" | sed 's/.*post_ms=\([0-9]*\).*/\1/' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
ht_info "pre+post in the VM (TCG, median of 5): pre ${PRE:-?} ms, post ${POST:-?} ms"
echo "$NPASS passed, $NFAIL failed"
[[ $NFAIL -eq 0 ]]
