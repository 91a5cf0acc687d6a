#!/bin/bash
# Derives the "/boot on /" variant of the Debian VM base image (tests/e2e/debian-vm.sh,
# dvm_rootboot_base calls this; its cache key is the base key plus a hash of this file).
#
#   debian-vm-rootboot.sh BASE_IMG OUT_DIR
#
# No debootstrap: a sparse copy of the base, then
#   - the content of p1 (the base's separate /boot) is copied into the root filesystem's
#     /boot directory (p2) and p1's filesystem signature is wiped (wipefs): nothing in the
#     guest or in GRUB can find /boot anywhere but on /;
#   - the /boot line leaves /etc/fstab;
#   - GRUB is installed again from a chroot with the image's own tools (grub-install
#     --target=i386-pc, so core.img's prefix is (hd0,msdos2)/boot/grub), update-grub
#     writes grub.cfg with /boot/vmlinuz-* paths on the root filesystem, a fresh grubenv.
# The menu ids do not change (they carry the root filesystem's UUID): checked against
# base.env. OUT_DIR/base.img + OUT_DIR/base.env (base.env plus DVM_BOOT_ON_ROOT=1; dvm_mount
# then mounts p2 only). Takes ~20-40 s (mostly the copy). Needs root.
set -euo pipefail

BASE=${1:?usage: debian-vm-rootboot.sh BASE_IMG OUT_DIR}
OUT=${2:?usage: debian-vm-rootboot.sh BASE_IMG OUT_DIR}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/debian-vm.sh
. "$E2E_DIR/debian-vm.sh"

[[ $EUID -eq 0 ]] || ht_die "needs root"
ht_need losetup partx wipefs blkid unshare chroot
T0=$SECONDS
step() { ht_log "[$((SECONDS - T0))s] $*"; }

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
IMG="$OUT.tmp/base.img"
MNT="$OUT.tmp/mnt"
BMNT="$OUT.tmp/boot"
mkdir -p "$MNT" "$BMNT"
trap 'umount "$BMNT" 2>/dev/null || true; dvm_cleanup' EXIT

step "copy $BASE"
dvm_clone "$BASE" "$IMG"
mv "$IMG.env" "$OUT.tmp/base.env"
dvm_load_env "$IMG"   # the base's values (same UUIDs, kernels, menu ids)

DEV=$(dvm_loop_attach "$IMG")
DVM_LOOPS+=("$DEV")
mount "${DEV}p2" "$MNT"
DVM_MNT_LOOP[$MNT]=$DEV
mount -o ro "${DEV}p1" "$BMNT"
[[ -d $MNT/boot ]] || mkdir "$MNT/boot"
[[ -z $(ls -A "$MNT/boot") ]] || ht_die "the root filesystem's /boot is not empty"

step "move /boot onto the root filesystem"
(cd "$BMNT" && find . -mindepth 1 -maxdepth 1 ! -name lost+found -exec cp -a {} "$MNT/boot/" \;)
umount "$BMNT"
wipefs -q -a "${DEV}p1"
sed -i '/^[^#][^[:space:]]*[[:space:]]\+\/boot[[:space:]]/d' "$MNT/etc/fstab"
! grep -q '[[:space:]]/boot[[:space:]]' "$MNT/etc/fstab" || ht_die "fstab still mounts /boot"

step "grub-install --target=i386-pc $DEV (prefix on p2), update-grub"
printf '(hd0) %s\n' "$DEV" >"$MNT/boot/grub/device.map"
dvm_in_chroot "$MNT" grub-install --target=i386-pc --boot-directory=/boot \
    --modules="part_msdos ext2 biosdisk" "$DEV"
rm -f "$MNT/boot/grub/device.map"
dvm_in_chroot "$MNT" update-grub
rm -f "$MNT/boot/grub/grubenv"
dvm_in_chroot "$MNT" grub-editenv /boot/grub/grubenv create

CFG="$MNT/boot/grub/grub.cfg"
grep -q "root=UUID=$DVM_ROOT_UUID" "$CFG" || ht_die "grub.cfg does not boot root=UUID=$DVM_ROOT_UUID"
grep -q "resume=UUID=$DVM_SWAP_UUID" "$CFG" || ht_die "grub.cfg lacks resume=UUID=$DVM_SWAP_UUID"
grep -Eq "^[[:space:]]+linux[[:space:]]+/boot/vmlinuz-$DVM_KERNEL_NEW " "$CFG" ||
    ht_die "grub.cfg does not load the kernels from /boot on the root filesystem"
! grep -q "$DVM_BOOT_UUID" "$CFG" || ht_die "grub.cfg still names the old /boot filesystem"
grep -q "'$DVM_SUBMENU'" "$CFG" || ht_die "the submenu id changed"
for k in $DVM_KERNELS; do
    v="DVM_ENTRY_ID_$(tr -c 'A-Za-z0-9\n' '_' <<<"$k")"
    grep -q "'${!v}'" "$CFG" || ht_die "the menu id of $k changed (${!v})"
done
cp "$CFG" "$OUT.tmp/grub.cfg"
cat >>"$OUT.tmp/base.env" <<EOF
# derived by tests/e2e/debian-vm-rootboot.sh $(ht_sha <"${BASH_SOURCE[0]}"): /boot on /
DVM_BOOT_ON_ROOT=1
DVM_BOOT_PART=
DVM_BOOT_UUID=
DVM_GUEST_BOOT_DEV=
EOF
df -h "$MNT" | sed 's/^/    /'
dvm_cleanup
trap - EXIT
rmdir "$MNT" "$BMNT"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
step "done: $OUT/base.img"
