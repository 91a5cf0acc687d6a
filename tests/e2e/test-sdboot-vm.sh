#!/bin/bash
# End-to-end test of hibernation on a UEFI machine booted by systemd-boot (issue 14): the
# Debian 12 VM of tests/e2e/debian-vm.sh, derived into its systemd-boot variant
# (dvm_sdboot_base: GPT, the ESP at /boot/efi, systemd-boot from Debian's archive, Type #1
# entries written by kernel-install), booted by OVMF (UEFI) under QEMU (TCG), with a
# per-run copy of OVMF_VARS_4M.fd kept across the boots of the run (EFI variables persist).
#   setup  the .deb of this tree installed with dpkg -i in a chroot of the image, then
#          `hibernate-tool setup` of the package in that chroot (kernel-install mode:
#          /etc/kernel/cmdline, the initramfs and the ESP entries regenerated on the host)
#   run 1  the default entry (newer kernel); the guest runs `bootctl set-oneshot` for the
#          older kernel's entry and reboots
#   run 2  systemd-boot takes the one-shot: the older kernel; marker, `systemctl hibernate`:
#          our pre sets LoaderEntryOneShot to that entry (checked in the VARS file)
#   run 3  systemd-boot takes it: the older kernel, our initramfs helper resumes, marker
#          intact, no one-shot left (guest and VARS file)
#   run 4  a normal boot: the default (newer) kernel
# The guest side is tests/e2e/vm/sdboot-step.sh; its CHECK-OK/CHECK-FAIL lines count.
set -euo pipefail

HT_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HT_E2E_DIR/../.." && pwd)
. "$HT_E2E_DIR/lib.sh"
. "$HT_E2E_DIR/debian-vm.sh"

OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
[[ $EUID -eq 0 ]] || skip "needs root (loop devices, chroot)"
for c in "$HT_QEMU" debootstrap sfdisk losetup mkfs.vfat mcopy unshare python3 dpkg-buildpackage; do
        command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/hibernate-dev installs the DEPS)"
done
[[ -f $OVMF_CODE && -f $OVMF_VARS ]] || skip "no OVMF firmware ($OVMF_CODE; apt-get install ovmf)"

DIR="$DVM_DIR/sdboot"
mkdir -p "$DIR"
exec 8>"$DIR/.lock"
flock -w 3600 8 || ht_die "another test-sdboot-vm.sh holds $DIR/.lock"
trap dvm_cleanup EXIT
T0=$SECONDS

NPASS=0 NFAIL=0
SCEN=image
BASE=$(dvm_base) || ht_die "dvm_base failed"
SDBASE=$(dvm_sdboot_base "$BASE") || ht_die "dvm_sdboot_base failed"
dvm_load_env "$SDBASE"
entry_of() { local v; v="DVM_SDBOOT_ENTRY_$(tr -c 'A-Za-z0-9\n' '_' <<<"$1")"; printf '%s\n' "${!v}"; }
ENTRY_NEW=$(entry_of "$DVM_KERNEL_NEW")
ENTRY_OLD=$(entry_of "$DVM_KERNEL_OLD")
[[ -n $ENTRY_NEW && -n $ENTRY_OLD ]] || ht_die "no systemd-boot entry ids in $SDBASE's env"
ht_info "kernels: default $DVM_KERNEL_NEW ($ENTRY_NEW), hibernating $DVM_KERNEL_OLD ($ENTRY_OLD)"

DEB=$(bash "$SRC/tests/package/build-deb.sh") || ht_die "building the Debian package failed"

WORK="$DIR/work.img"
VARS="$DIR/vars.fd"
LOGS="$DIR/logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"
dvm_clone "$SDBASE" "$WORK"
install -m 0644 "$OVMF_VARS" "$VARS"
QEMU_UEFI=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,file=$VARS")
vars_get() { python3 "$HT_E2E_DIR/ovmf-vars.py" "$VARS" "$1"; }

# ---- the package, and setup from it in a chroot of the image (an installer's view) ----
SCEN=setup
dvm_install_deb "$WORK" "$DEB"
cp "$WORK.dpkg.log" "$LOGS/dpkg-install.log"
check "dpkg -i: package installed" grep -q "^Setting up hibernate-tool" "$LOGS/dpkg-install.log"
MNT=$(mktemp -d)
dvm_mount "$WORK" "$MNT"
check "the kernel-install plugin is installed" test -x "$MNT/usr/lib/kernel/install.d/95-hibernate-tool.install"
SWAPDEV="${DVM_MNT_LOOP[$MNT]}p3"
set +e
dvm_in_chroot "$MNT" hibernate-tool setup --swap "$SWAPDEV" --json >"$LOGS/setup.json" 2>"$LOGS/setup.err"; RC=$?
set -e
sed 's/^/    setup: /' "$LOGS/setup.err" | tail -n 20 >&2
check "setup exits 0" test "$RC" -eq 0
check "setup: no lock wait or false warning from the kernel-install plugin" \
        bash -c '! grep -Eq "holds the lock|no boot entry boots" "$1"' _ "$LOGS/setup.err"
check "setup chose kernel-install (systemd-boot layout, no GRUB)" jq -e '.bootloader == "kernel-install" and .changed == true' "$LOGS/setup.json"
check "setup: its own check of the entries after kernel-install passed" jq -e '[.notes[]? | select(test("after kernel-install"))] | length == 0' "$LOGS/setup.json"
check "/etc/kernel/cmdline: resume=UUID=$DVM_SWAP_UUID" grep -q "resume=UUID=$DVM_SWAP_UUID" "$MNT/etc/kernel/cmdline"
for k in "$DVM_KERNEL_NEW" "$DVM_KERNEL_OLD"; do
        e="$MNT/boot/efi/loader/entries/$(entry_of "$k")"
        check "ESP entry of $k: options resume=UUID=$DVM_SWAP_UUID" grep -q "^options.* resume=UUID=$DVM_SWAP_UUID" "$e"
        LIST=$(dvm_in_chroot "$MNT" lsinitramfs "/boot/efi/$DVM_MACHINE_ID/$k/initrd.img-$k" 2>&1 || true)
        check "ESP initrd of $k lists (lsinitramfs in the image)" grep -q '^scripts/' <<<"$LIST"
        check "ESP initrd of $k has our resume helper" grep -q hibernate-tool <<<"$LIST"
done
cat >"$MNT/etc/ht-e2e-sdboot.env" <<EOF
KERNEL_NEW='$DVM_KERNEL_NEW'
KERNEL_OLD='$DVM_KERNEL_OLD'
ENTRY_NEW='$ENTRY_NEW'
ENTRY_OLD='$ENTRY_OLD'
EOF
install -m 0755 "$HT_E2E_DIR/vm/sdboot-step.sh" "$MNT/usr/local/sbin/ht-e2e-step"
dvm_umount "$MNT"; rmdir "$MNT"
ht_info "prepared in $((SECONDS - T0))s"

# ---- run 1: the default entry; the guest sets the one-shot and reboots ----------------------
SCEN=run1
L1="$LOGS/run1.log"
dvm_boot "$WORK" "$L1" 600 "${QEMU_UEFI[@]}" || true
check "OVMF started systemd-boot's default entry (newer kernel)" test "$(booted_kernel "$L1")" = "$DVM_KERNEL_NEW"
check "step boot1 ran" log_has "$L1" "HT-E2E: PHASE boot1 kernel $DVM_KERNEL_NEW"
check "the guest rebooted" log_has "$L1" 'reboot: Restarting system'
check "VARS: LoaderEntryOneShot=$ENTRY_OLD (bootctl set-oneshot)" test "$(vars_get LoaderEntryOneShot)" = "$ENTRY_OLD"
guest_checks "$L1"

# ---- run 2: the one-shot boots the older kernel; hibernation ----------------------------------
SCEN=run2
L2="$LOGS/run2.log"
dvm_boot "$WORK" "$L2" 900 "${QEMU_UEFI[@]}" || true
check "systemd-boot took the one-shot (older kernel)" test "$(booted_kernel "$L2")" = "$DVM_KERNEL_OLD"
check "step boot2 ran" log_has "$L2" "HT-E2E: PHASE boot2 kernel $DVM_KERNEL_OLD"
check "hibernation writes the image and powers off" log_has "$L2" 'PM: hibernation: (Image saved|Saving image)|reboot: Power down'
check "no resume in run 2" bash -c '! grep -aq "HT-E2E: RESUMED" "$1"' _ "$L2"
check "VARS: our pre set LoaderEntryOneShot=$ENTRY_OLD" test "$(vars_get LoaderEntryOneShot)" = "$ENTRY_OLD"
guest_checks "$L2"

# ---- run 3: systemd-boot takes pre's one-shot, our helper resumes ------------------------------
SCEN=run3
L3="$LOGS/run3.log"
dvm_boot "$WORK" "$L3" 900 "${QEMU_UEFI[@]}" || true
check "systemd-boot booted the one-shot entry (older kernel)" test "$(booted_kernel "$L3")" = "$DVM_KERNEL_OLD"
check "our helper resumes" log_has "$L3" 'resuming from /dev/'
check "resumed (the step continued after systemctl hibernate)" log_has "$L3" "HT-E2E: RESUMED kernel $DVM_KERNEL_OLD"
check "VARS: no LoaderEntryOneShot left" bash -c '! python3 "$1" "$2" LoaderEntryOneShot' _ "$HT_E2E_DIR/ovmf-vars.py" "$VARS"
guest_checks "$L3"

# ---- run 4: back on the default entry ---------------------------------------------------------
SCEN=run4
L4="$LOGS/run4.log"
dvm_boot "$WORK" "$L4" 600 "${QEMU_UEFI[@]}" || true
check "the next boot is the default entry (newer kernel)" test "$(booted_kernel "$L4")" = "$DVM_KERNEL_NEW"
check "final step ran" log_has "$L4" "HT-E2E: PHASE done kernel $DVM_KERNEL_NEW"
check "VARS: still no LoaderEntryOneShot" bash -c '! python3 "$1" "$2" LoaderEntryOneShot' _ "$HT_E2E_DIR/ovmf-vars.py" "$VARS"
guest_checks "$L4"

ht_info "logs: $LOGS; wall time $((SECONDS - T0))s"
printf '%d passed, %d failed\n' "$NPASS" "$NFAIL"
[[ $NFAIL -eq 0 ]]
