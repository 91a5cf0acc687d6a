#!/bin/bash
# shellcheck disable=SC2016  # bash -c '…' _ "$file": expanded by the inner shell
# grubenv written in place on the root filesystem survives a power cut: real GRUB (SeaBIOS ->
# GRUB on the disk, QEMU TCG) boots the one-shot entry `hibernate-tool pre` set, with /boot a
# directory of "/" (no separate /boot), and "/" is never frozen (issue 11). The separate-/boot
# case is test-hibernate-vm.sh.
#
# Decisions:
# - Image: the cached Debian base (debian-vm.sh) turned into a "/boot on /" variant by
#   tests/e2e/debian-vm-rootboot.sh (copy of the base, p1's content copied into p2's /boot,
#   p1's signature wiped, the /boot line out of fstab, grub-install + update-grub from a chroot
#   with the image's own GRUB: core.img's prefix is on p2). Cached next to the base as
#   $DVM_DIR/rootboot-<base key>-<hash of that script>/ (dvm_rootboot_base); ~40 s once.
# - No setup run: the base already passes resume=UUID= of p3 and RESUME= in initramfs-tools,
#   so pre's checks pass; a power cut needs no resume. The project's Debian package is
#   installed (dpkg -i, as test-hibernate-vm.sh) for pre and the boot-time cleanup unit.
# - Power cut instead of hibernation: pre, then `echo o > /proc/sysrq-trigger` (power off at
#   once, no sync, no unmount). That is harsher than `systemctl hibernate` (whose kernel syncs
#   the filesystems first) and saves the image write and the resume boot: 2 boots.
# - Discriminating: boot 1 runs the OLDER kernel (a one-shot the host writes with grub-editenv
#   into the cleanly unmounted image; GRUB itself clears it, checked in the guest before pre),
#   so pre sets next_entry to the older kernel's entry. The default entry boots the newer
#   kernel: boot 2 runs the older one only if GRUB read pre's next_entry from the disk
#   without the journal (the journal was still unreplayed: boot 2's initramfs fsck prints
#   "root: recovering journal", boot 1's did not).
# - "/" not frozen: ftrace of freeze_super/thaw_super during pre (every FIFREEZE/FITHAW goes
#   through them; a freeze of a scratch loop ext4 is seen first, so the tracer works), a
#   write to "/" right after pre returns (it would block on a frozen filesystem), and pre's
#   own step line says "rewritten in place" (not "replaced").
# 80-95 s with a warm cache (two boots of 33-50 s under TCG, the rest copying the image).
# The guest side is tests/e2e/vm/grubenv-root-step.sh.
set -euo pipefail

HT_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HT_E2E_DIR/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HT_E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/debian-vm.sh
. "$HT_E2E_DIR/debian-vm.sh"

[[ $EUID -eq 0 ]] || skip "needs root (loop devices, chroot)"
for c in "$HT_QEMU" debootstrap sfdisk losetup partx wipefs grub-editenv unshare dpkg-buildpackage; do
        command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/hibernate-dev installs the DEPS)"
done

DIR="$DVM_DIR/grubenv-root"
mkdir -p "$DIR"
exec 8>"$DIR/.lock"
flock -w 3600 8 || ht_die "another test-grubenv-root-vm.sh holds $DIR/.lock"
trap dvm_cleanup EXIT

NPASS=0 NFAIL=0
SCEN=setup

BASE=$(dvm_base) || ht_die "dvm_base failed"
ROOTBOOT=$(dvm_rootboot_base "$BASE") || ht_die "dvm_rootboot_base failed"
dvm_load_env "$ROOTBOOT"
[[ ${DVM_BOOT_ON_ROOT:-} == 1 ]] || ht_die "$ROOTBOOT is not a /boot-on-/ image"
OLD_ENTRY=$(dvm_grub_entry_for "$DVM_KERNEL_OLD")
ht_info "kernels: default $DVM_KERNEL_NEW, one-shot $DVM_KERNEL_OLD ($OLD_ENTRY)"

# The Debian package of this tree (tests/package/build-deb.sh, cached per source tree: the
# package suite builds it first), installed with dpkg -i as test-hibernate-vm.sh does.
DEB=$(bash "$SRC/tests/package/build-deb.sh") || ht_die "building the Debian package failed"

WORK="$DIR/work.img"
LOGS="$DIR/logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"
dvm_clone "$ROOTBOOT" "$WORK"
dvm_install_deb "$WORK" "$DEB"
MNT=$(mktemp -d); dvm_mount "$WORK" "$MNT"
check "no separate /boot: not in fstab" bash -c "! grep -q '[[:space:]]/boot[[:space:]]' '$MNT/etc/fstab'"
check "no filesystem on p1" test -z "$(blkid -p -s TYPE -o value "${DVM_MNT_LOOP[$MNT]}p1" 2>/dev/null)"
check "grub.cfg loads the kernels from /boot on the root filesystem" \
        grep -Eq "^[[:space:]]+linux[[:space:]]+/boot/vmlinuz-$DVM_KERNEL_OLD " "$MNT/boot/grub/grub.cfg"
check "cleanup unit pulled in at boot" test -L "$MNT/lib/systemd/system/sysinit.target.wants/hibernate-tool-cleanup.service"
grub-editenv "$MNT/boot/grub/grubenv" set "next_entry=$OLD_ENTRY"
install -m 0755 "$HT_E2E_DIR/vm/grubenv-root-step.sh" "$MNT/usr/local/sbin/ht-e2e-step"
dvm_umount "$MNT"; rmdir "$MNT"

# ---- boot 1: older kernel, pre, power cut -----------------------------------------------
SCEN="cut"
L1="$LOGS/boot1-cut.log"
dvm_boot "$WORK" "$L1" 600 || true
check "boots the older kernel (host one-shot)" test "$(booted_kernel "$L1")" = "$DVM_KERNEL_OLD"
check "pre set next_entry to the older kernel's entry" log_has "$L1" "HT-E2E: next_entry after pre: $OLD_ENTRY\$"
check "power cut by sysrq right after pre (no orderly shutdown)" \
        bash -c 'grep -aq "HT-E2E: POWER-CUT" "$1" && grep -aq "sysrq: Power Off" "$1" && ! grep -aq "HT-E2E: \[step exited" "$1"' _ "$L1"
guest_checks "$L1"

# ---- boot 2: GRUB must boot the one-shot entry ------------------------------------------
SCEN=after
L2="$LOGS/boot2-after.log"
dvm_boot "$WORK" "$L2" 600 || true
check "GRUB booted the one-shot (older, non-default) kernel" test "$(booted_kernel "$L2")" = "$DVM_KERNEL_OLD"
check "step ran after the power cut" log_has "$L2" "HT-E2E: PHASE after-cut kernel $DVM_KERNEL_OLD"
# The power cut was real: "/" came back with an unreplayed journal (the initramfs' fsck
# replays it before the mount; boot 1 found it clean).
check "boot 1 found the root filesystem clean" bash -c '! grep -aEq "root: recovering journal|EXT4-fs \(vda2\): recovery complete" "$1"' _ "$L1"
check "boot 2 had to replay the root filesystem's journal" log_has "$L2" 'root: recovering journal|EXT4-fs \(vda2\): recovery complete'
guest_checks "$L2"
MNT=$(mktemp -d); dvm_mount "$WORK" "$MNT"
check "grubenv on the image: valid, no next_entry" \
        bash -c 'grub-editenv "$1" list >/dev/null && ! grub-editenv "$1" list | grep -q "^next_entry=."' _ "$MNT/boot/grub/grubenv"
dvm_umount "$MNT"; rmdir "$MNT"
rm -f "$WORK"

echo "$NPASS passed, $NFAIL failed"
[[ $NFAIL -eq 0 ]]
