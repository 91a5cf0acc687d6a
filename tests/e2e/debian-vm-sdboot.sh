#!/bin/bash
# Derives the UEFI / systemd-boot variant of the Debian VM base image (tests/e2e/debian-vm.sh,
# dvm_sdboot_base calls this; its cache key is the base key plus a hash of this file).
#
#   debian-vm-sdboot.sh BASE_IMG OUT_DIR
#
# No debootstrap: a sparse copy of the base, then
#   - the content of p1 (the base's separate /boot) is copied into the root filesystem's
#     /boot directory (p2); the /boot line leaves /etc/fstab;
#   - the MBR becomes a GPT with the same partitions at the same places (the image grows by
#     1 MiB for the backup GPT): p1 an EFI System Partition (vfat; this host's kernel has
#     no vfat, so its files are staged in /boot/efi and written with mtools), p2 the root filesystem untouched, p3/p4 the swaps;
#   - the ESP is mounted at /boot/efi (fstab), where Debian 12's installer puts it and where
#     bootctl/kernel-install (systemd 252) find it; /boot stays on the root filesystem;
#   - in a chroot: GRUB purged, systemd-boot installed from Debian's archive,
#     `bootctl install --no-variables --esp-path=/boot/efi` (no NVRAM: OVMF's removable-media
#     path EFI/BOOT/BOOTX64.EFI boots it), loader.conf "timeout 0", /etc/kernel/cmdline
#     without resume= (hibernate-tool setup adds it), and `kernel-install add` for both
#     kernels with the base's initramfs-tools images (built on the host, never under TCG):
#     Type #1 entries <machine-id>-<release>.conf on the ESP.
# OUT_DIR/base.img + OUT_DIR/base.env (base.env plus DVM_BOOT_ON_ROOT=1, DVM_ESP_DIR=/boot/efi
# (dvm_mount mounts p1 there), DVM_ESP_UUID, DVM_MACHINE_ID, DVM_SDBOOT_ENTRY_<release>).
# Needs root and the Debian archive (apt-get in the chroot).
set -euo pipefail

BASE=${1:?usage: debian-vm-sdboot.sh BASE_IMG OUT_DIR}
OUT=${2:?usage: debian-vm-sdboot.sh BASE_IMG OUT_DIR}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/debian-vm.sh
. "$E2E_DIR/debian-vm.sh"

[[ $EUID -eq 0 ]] || ht_die "needs root"
ht_need losetup partx sfdisk blkid unshare chroot truncate mkfs.vfat mcopy
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
dvm_load_env "$IMG"   # the base's values (same UUIDs, kernels)

DEV=$(dvm_loop_attach "$IMG")
DVM_LOOPS+=("$DEV")
mount "${DEV}p2" "$MNT"
mount -o ro "${DEV}p1" "$BMNT"
[[ -d $MNT/boot ]] || mkdir "$MNT/boot"
[[ -z $(ls -A "$MNT/boot") ]] || ht_die "the root filesystem's /boot is not empty"
step "move /boot onto the root filesystem (without GRUB's directory)"
(cd "$BMNT" && find . -mindepth 1 -maxdepth 1 ! -name lost+found ! -name grub -exec cp -a {} "$MNT/boot/" \;)
umount "$BMNT"
umount "$MNT"
dvm_loop_detach "$DEV"

step "MBR -> GPT (same partitions; p1 the ESP)"
truncate -s +1M "$IMG"
sfdisk -q --label gpt --wipe always "$IMG" <<EOF
label: gpt
start=$((2048)), size=614400, type=U, name="ESP"
start=616448, size=4036608, type=L, name="root"
start=4653056, size=1572864, type=S, name="swap"
start=6225920, size=65536, type=S, name="tinyswap"
EOF
DEV=$(dvm_loop_attach "$IMG")
DVM_LOOPS+=("$DEV")
[[ $(blkid -s UUID -o value "${DEV}p2") == "$DVM_ROOT_UUID" ]] || ht_die "root filesystem not found at p2 after repartitioning"
[[ $(blkid -s UUID -o value "${DEV}p3") == "$DVM_SWAP_UUID" ]] || ht_die "swap not found at p3 after repartitioning"
wipefs -q -a "${DEV}p1"
mkfs.vfat -F 32 -n ESP "${DEV}p1" >/dev/null
ESP_UUID=$(blkid -s UUID -o value "${DEV}p1")
[[ -n $ESP_UUID ]] || ht_die "no UUID on the ESP"
mount "${DEV}p2" "$MNT"
DVM_MNT_LOOP[$MNT]=$DEV
# This host's kernel has no vfat: the ESP is staged in /boot/efi and written by mtools at
# the end (dvm_umount -> dvm_esp_store); SYSTEMD_RELAX_ESP_CHECKS=1 in dvm_in_chroot.
mkdir -p "$MNT/boot/efi"
dvm_esp_load "${DEV}p1" "$MNT/boot/efi"
DVM_MNT_ESP[$MNT]="${DEV}p1 /boot/efi"

export DVM_APT_ARCHIVES="$DVM_DIR/sdboot-debs"
mkdir -p "$DVM_APT_ARCHIVES/partial"
run() { dvm_in_chroot "$MNT" "$@"; }
step "apt-get: systemd-boot in; GRUB out"
run apt-get -q update
run apt-get -q -y install systemd-boot systemd-boot-efi
run apt-get -q -y purge grub-pc grub-pc-bin grub2-common grub-common
rm -rf "$MNT/etc/default/grub" "$MNT/etc/default/grub.d" "$MNT/boot/grub"
! [[ -e $MNT/usr/sbin/grub-mkconfig ]] || ht_die "grub-mkconfig still installed"
sed -i '/^[^#][^[:space:]]*[[:space:]]\+\/boot[[:space:]]/d' "$MNT/etc/fstab"
echo "UUID=$ESP_UUID /boot/efi vfat umask=0077 0 1" >>"$MNT/etc/fstab"

MID=$(cat "$MNT/etc/machine-id")
[[ $MID =~ ^[0-9a-f]{32}$ ]] || ht_die "the base has no machine-id ($MID)"
step "bootctl install --no-variables --esp-path=/boot/efi"
run bootctl install --no-variables --esp-path=/boot/efi --make-entry-directory=yes
[[ -f $MNT/boot/efi/EFI/BOOT/BOOTX64.EFI && -f $MNT/boot/efi/EFI/systemd/systemd-bootx64.efi ]] ||
    ht_die "bootctl install wrote no EFI/BOOT/BOOTX64.EFI"
printf 'timeout 0\nconsole-mode keep\neditor no\n' >"$MNT/boot/efi/loader/loader.conf"
CMDLINE="root=UUID=$DVM_ROOT_UUID ro console=ttyS0,115200 no_console_suspend"
echo "$CMDLINE" >"$MNT/etc/kernel/cmdline"

step "kernel-install add $DVM_KERNELS"
for k in $DVM_KERNELS; do
    run kernel-install add "$k" "/boot/vmlinuz-$k" "/boot/initrd.img-$k"
done
ENV_EXTRA=""
for k in $DVM_KERNELS; do
    e="$MNT/boot/efi/loader/entries/$MID-$k.conf"
    [[ -f $e ]] || ht_die "kernel-install wrote no $e ($(ls "$MNT/boot/efi/loader/entries" 2>&1))"
    grep -q "^options.*root=UUID=$DVM_ROOT_UUID" "$e" || ht_die "$e: no root= in options"
    grep -q "^initrd " "$e" || ht_die "$e: no initrd"
    sed 's/^/    /' "$e"
    ENV_EXTRA+="DVM_SDBOOT_ENTRY_$(tr -c 'A-Za-z0-9\n' '_' <<<"$k")='$MID-$k.conf'"$'\n'
done
run bootctl --esp-path=/boot/efi --no-variables list --no-pager >"$OUT.tmp/bootctl-list.txt" 2>&1 || true
sed 's/^/    /' "$OUT.tmp/bootctl-list.txt"
df -h "$MNT" | sed 's/^/    /'; du -sh "$MNT/boot/efi" | sed 's/^/    /'

cat >>"$OUT.tmp/base.env" <<EOF
# derived by tests/e2e/debian-vm-sdboot.sh $(ht_sha <"${BASH_SOURCE[0]}"): UEFI, systemd-boot
DVM_BOOT_ON_ROOT=1
DVM_ESP_DIR=/boot/efi
DVM_ESP_UUID='$ESP_UUID'
DVM_MACHINE_ID='$MID'
DVM_BOOT_PART=
DVM_BOOT_UUID=
DVM_GUEST_BOOT_DEV=
DVM_GUEST_ESP_DEV=/dev/vda1
DVM_CMDLINE='$CMDLINE'
$ENV_EXTRA
EOF
dvm_cleanup
trap - EXIT
rmdir "$MNT" "$BMNT"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
step "done: $OUT/base.img"
