#!/bin/bash
# Builds the Debian 12 base disk image for tests/e2e/debian-vm.sh (dvm_base calls this;
# its cache key is a hash of this file, so any change here rebuilds the image).
#
#   debian-vm-build.sh OUT_DIR CACHE_DIR
#
# OUT_DIR/base.img  raw sparse 3 GiB disk, MBR:
#                   p1 /boot ext4 300 MiB, p2 / ext4, p3 swap 768 MiB (fstab, resume=),
#                   p4 swap 32 MiB (not in fstab: "swap too small" scenarios)
# OUT_DIR/base.env  sourceable: UUIDs, kernel releases, GRUB menu ids (see the end)
# CACHE_DIR/debs/   debootstrap + apt .deb cache, kept so a rebuild does not re-download
#
# Debian bookworm (debootstrap minbase + packages, no recommends), the newest Debian
# kernel and an older one still in the archive, BIOS GRUB (serial console) on the disk,
# initramfs-tools that resumes from p3, ht-e2e.service (see debian-vm.sh). Needs root.
set -euo pipefail

OUT=${1:?usage: debian-vm-build.sh OUT_DIR CACHE_DIR}
CACHE=${2:?usage: debian-vm-build.sh OUT_DIR CACHE_DIR}
MIRROR=${DVM_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
HOSTNAME_VM=ht-e2e-vm
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/debian-vm.sh
. "$E2E_DIR/debian-vm.sh"

[[ $EUID -eq 0 ]] || ht_die "needs root"
ht_need debootstrap sfdisk losetup partx mkfs.ext4 mkswap blkid unshare chroot apt-cache
T0=$SECONDS
step() { ht_log "[$((SECONDS - T0))s] $*"; }

# ---------------------------------------------------------------------------
# Kernels: the one linux-image-amd64 depends on, and the newest older ABI still there
# ---------------------------------------------------------------------------
KPKG_NEW=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
[[ -n $KPKG_NEW ]] || ht_die "cannot resolve linux-image-amd64 (apt-get update?)"
abi() { sed -n 's/^linux-image-[0-9.]*-\([0-9]*\)-amd64$/\1/p' <<<"$1"; }
prefix=${KPKG_NEW%-*-amd64}   # linux-image-6.1.0
KPKG_OLD=$(apt-cache search --names-only "^${prefix//./\\.}-[0-9]+-amd64\$" | cut -d' ' -f1 |
    while read -r p; do [[ $(abi "$p") -lt $(abi "$KPKG_NEW") ]] && printf '%s %s\n' "$(abi "$p")" "$p"; done |
    sort -n | tail -n1 | cut -d' ' -f2 || true)
[[ -n $KPKG_OLD ]] || ht_die "no older $prefix-N-amd64 kernel than $KPKG_NEW in the archive"
KREL_NEW=${KPKG_NEW#linux-image-}
KREL_OLD=${KPKG_OLD#linux-image-}
step "kernels: new $KPKG_NEW, old $KPKG_OLD; mirror $MIRROR"

# ---------------------------------------------------------------------------
# Disk: 3 GiB sparse, MBR, four partitions (sizes in 512-byte sectors)
# ---------------------------------------------------------------------------
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp" "$CACHE/debs"
IMG="$OUT.tmp/base.img"
MNT="$OUT.tmp/mnt"
mkdir -p "$MNT"
trap 'dvm_cleanup' EXIT

MiB=2048
P1_START=$((1 * MiB)); P1_SIZE=$((300 * MiB))
P4_SIZE=$((32 * MiB)); P3_SIZE=$((768 * MiB))
TOTAL=$((3072 * MiB))
P4_START=$((TOTAL - P4_SIZE))
P3_START=$((P4_START - P3_SIZE))
P2_START=$((P1_START + P1_SIZE)); P2_SIZE=$((P3_START - P2_START))
truncate -s $((TOTAL * 512)) "$IMG"
sfdisk -q "$IMG" <<EOF
label: dos
start=$P1_START, size=$P1_SIZE, type=83, bootable
start=$P2_START, size=$P2_SIZE, type=83
start=$P3_START, size=$P3_SIZE, type=82
start=$P4_START, size=$P4_SIZE, type=82
EOF

uuid() { cat /proc/sys/kernel/random/uuid; }
BOOT_UUID=$(uuid); ROOT_UUID=$(uuid); SWAP_UUID=$(uuid); TINYSWAP_UUID=$(uuid)
DEV=$(dvm_loop_attach "$IMG")
DVM_LOOPS+=("$DEV")
step "formatting $DEV"
mkfs.ext4 -q -F -L boot -U "$BOOT_UUID" "${DEV}p1"
mkfs.ext4 -q -F -L root -U "$ROOT_UUID" "${DEV}p2"
mkswap -L swap -U "$SWAP_UUID" "${DEV}p3" >/dev/null
mkswap -L tinyswap -U "$TINYSWAP_UUID" "${DEV}p4" >/dev/null
mount "${DEV}p2" "$MNT"
DVM_MNT_LOOP[$MNT]=$DEV
mkdir -p "$MNT/boot"
mount "${DEV}p1" "$MNT/boot"

# ---------------------------------------------------------------------------
# debootstrap + packages
# ---------------------------------------------------------------------------
step "debootstrap --variant=minbase $SUITE"
debootstrap --variant=minbase --components=main --cache-dir="$CACHE/debs" \
    --include=systemd-sysv,udev,dbus,kmod,e2fsprogs,util-linux,procps,zstd \
    "$SUITE" "$MNT" "$MIRROR" || ht_die "debootstrap failed"

cat >"$MNT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
printf '#!/bin/sh\nexit 101\n' >"$MNT/usr/sbin/policy-rc.d"
chmod 755 "$MNT/usr/sbin/policy-rc.d"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$MNT/etc/apt/apt.conf.d/90ht-e2e"
echo "$HOSTNAME_VM" >"$MNT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$HOSTNAME_VM" >"$MNT/etc/hosts"
cat >"$MNT/etc/fstab" <<EOF
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=$ROOT_UUID / ext4 errors=remount-ro 0 1
UUID=$BOOT_UUID /boot ext4 defaults 0 2
UUID=$SWAP_UUID none swap sw 0 0
EOF
# The stock initramfs resumes from p3.
mkdir -p "$MNT/etc/initramfs-tools/conf.d"
echo "RESUME=UUID=$SWAP_UUID" >"$MNT/etc/initramfs-tools/conf.d/resume"

export DVM_APT_ARCHIVES="$CACHE/debs"
mkdir -p "$CACHE/debs/partial"
run() { dvm_in_chroot "$MNT" "$@"; }
# apt's _apt sandbox user cannot write to the bind-mounted, root-owned .deb cache.
printf 'APT::Sandbox::User "root";\n' >"$MNT/etc/apt/apt.conf.d/91ht-e2e-sandbox"
step "apt-get install (kernels $KPKG_NEW $KPKG_OLD, grub-pc, initramfs-tools, libraries)"
run apt-get -q update
run sh -c 'printf "%s\n" "grub-pc grub-pc/install_devices_empty boolean true" \
    "grub-pc grub-pc/install_devices multiselect " | debconf-set-selections'
run apt-get -q -y install initramfs-tools
run apt-get -q -y install systemd-sysv udev dbus initramfs-tools kmod e2fsprogs util-linux procps \
    libblkid1 libmount1 libsystemd0 libtomlplusplus3 libstdc++6 grub-pc \
    "$KPKG_NEW" "$KPKG_OLD"
for k in "$KREL_NEW" "$KREL_OLD"; do
    [[ -f $MNT/boot/vmlinuz-$k && -f $MNT/boot/initrd.img-$k ]] || ht_die "kernel $k or its initramfs missing in /boot"
    grep -q '^CONFIG_HIBERNATION=y' "$MNT/boot/config-$k" || ht_die "$k lacks CONFIG_HIBERNATION"
done

# ---------------------------------------------------------------------------
# Fast TCG boots: no timers/services we do not need; keep logind + dbus
# ---------------------------------------------------------------------------
step "systemd configuration"
run systemctl mask systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
    apt-daily.service apt-daily-upgrade.service man-db.timer man-db.service \
    e2scrub_all.timer e2scrub_all.service e2scrub_reap.service fstrim.timer \
    dpkg-db-backup.timer logrotate.timer systemd-tmpfiles-clean.timer \
    serial-getty@ttyS0.service getty@tty1.service systemd-networkd-wait-online.service \
    systemd-pstore.service >/dev/null 2>&1
run systemctl enable systemd-logind.service dbus.service >/dev/null 2>&1 || true
mkdir -p "$MNT/etc/systemd/sleep.conf.d" "$MNT/etc/systemd/journald.conf.d"
printf '[Sleep]\nHibernateMode=shutdown\n' >"$MNT/etc/systemd/sleep.conf.d/ht-e2e.conf"
printf '[Journal]\nStorage=volatile\n' >"$MNT/etc/systemd/journald.conf.d/ht-e2e.conf"

# ht-e2e.service: runs the host-provided step once the system is up.
mkdir -p "$MNT/usr/lib/ht-e2e" "$MNT/usr/local/sbin"
cat >"$MNT/usr/lib/ht-e2e/run-step" <<'EOF'
#!/bin/bash
# Runs /usr/local/sbin/ht-e2e-step with its output on the serial console, each line
# prefixed "HT-E2E: "; powers off when the step returns (see tests/e2e/debian-vm.sh).
exec </dev/null >/dev/ttyS0 2>&1
stty -F /dev/ttyS0 115200 -echo 2>/dev/null || true
step=/usr/local/sbin/ht-e2e-step
echo "HT-E2E: [step start kernel=$(uname -r) boot_id=$(cat /proc/sys/kernel/random/boot_id) uptime=$(cut -d' ' -f1 /proc/uptime)]"
set -o pipefail
"$step" 2>&1 | sed -u 's/^/HT-E2E: /'
rc=$?
echo "HT-E2E: [step exited rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)]"
# A step that already started a power-off/reboot: let it finish.
if systemctl list-jobs --no-legend 2>/dev/null | grep -Eq '(poweroff|reboot|halt|kexec)\.target'; then
    exit "$rc"
fi
systemctl poweroff
exit "$rc"
EOF
cat >"$MNT/usr/lib/ht-e2e/hibernate" <<'EOF'
#!/bin/bash
# systemctl hibernate, then wait until the system has resumed (the system-sleep hook
# writes /run/ht-e2e-resumed after the resume). Exit 0 once resumed, 1 when hibernation
# failed (systemd-hibernate.service failed) or nothing happened within
# HT_E2E_HIBERNATE_WAIT seconds (default 600).
rm -f /run/ht-e2e-resumed
systemctl reset-failed systemd-hibernate.service 2>/dev/null || true
echo "[hibernating]"
sleep 0.5
systemctl hibernate || { echo "[systemctl hibernate failed rc=$?]"; exit 1; }
for ((i = 0; i < ${HT_E2E_HIBERNATE_WAIT:-600} * 10; i++)); do
    if [[ -e /run/ht-e2e-resumed ]]; then echo "[resumed]"; exit 0; fi
    if ((i % 10 == 9)) && systemctl is-failed -q systemd-hibernate.service; then
        echo "[hibernation failed: systemd-hibernate.service failed]"
        exit 1
    fi
    sleep 0.1
done
echo "[no resume after ${HT_E2E_HIBERNATE_WAIT:-600}s]"
exit 1
EOF
mkdir -p "$MNT/usr/lib/systemd/system-sleep"
cat >"$MNT/usr/lib/systemd/system-sleep/ht-e2e" <<'EOF'
#!/bin/sh
# $1 = pre|post, $2 = suspend|hibernate|hybrid-sleep|suspend-then-hibernate
[ "$1" = post ] || exit 0
echo "$2 $(date +%s)" >/run/ht-e2e-resumed
exit 0
EOF
chmod 755 "$MNT/usr/lib/ht-e2e/run-step" "$MNT/usr/lib/ht-e2e/hibernate" "$MNT/usr/lib/systemd/system-sleep/ht-e2e"
cat >"$MNT/etc/systemd/system/ht-e2e.service" <<'EOF'
[Unit]
Description=hibernate-tool end-to-end test step
# No default dependencies: nothing orders sleep.target/hibernate.target/shutdown.target
# against this unit, so the step can hibernate or power off the machine itself.
DefaultDependencies=no
After=multi-user.target
ConditionFileIsExecutable=/usr/local/sbin/ht-e2e-step

[Service]
Type=simple
ExecStart=/usr/lib/ht-e2e/run-step
TimeoutStartSec=infinity
TimeoutStopSec=5
StandardInput=null
StandardOutput=journal
KillMode=process

[Install]
WantedBy=multi-user.target
EOF
run systemctl enable ht-e2e.service >/dev/null 2>&1

# ---------------------------------------------------------------------------
# GRUB (BIOS, serial console) on the image's own disk
# ---------------------------------------------------------------------------
step "grub-install --target=i386-pc $DEV, update-grub"
CMDLINE="console=ttyS0,115200 no_console_suspend resume=UUID=$SWAP_UUID"
cat >"$MNT/etc/default/grub" <<EOF
# hibernate-tool e2e (tests/e2e/debian-vm-build.sh)
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_TIMEOUT_STYLE=menu
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="$CMDLINE"
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB_GFXPAYLOAD_LINUX=text
EOF
printf '(hd0) %s\n' "$DEV" >"$MNT/boot/grub/device.map" 2>/dev/null || {
    mkdir -p "$MNT/boot/grub"; printf '(hd0) %s\n' "$DEV" >"$MNT/boot/grub/device.map"; }
run grub-install --target=i386-pc --boot-directory=/boot --modules="part_msdos ext2 biosdisk" "$DEV"
rm -f "$MNT/boot/grub/device.map"
run update-grub
run grub-editenv /boot/grub/grubenv create
CFG="$MNT/boot/grub/grub.cfg"
grep -q "root=UUID=$ROOT_UUID" "$CFG" || ht_die "grub.cfg does not boot root=UUID=$ROOT_UUID"
grep -q "resume=UUID=$SWAP_UUID" "$CFG" || ht_die "grub.cfg lacks resume=UUID=$SWAP_UUID"

# Menu ids: first top-level entry, the Advanced options submenu, one entry per kernel.
ENTRY_DEFAULT=$(sed -n "s/^menuentry .*\$menuentry_id_option '\([^']*\)'.*/\1/p" "$CFG" | head -n1)
SUBMENU=$(sed -n "s/^submenu .*\$menuentry_id_option '\([^']*\)'.*/\1/p" "$CFG" | head -n1)
entry_id() {   # KREL -> the normal-mode advanced entry id
    sed -n "s/^[[:space:]]\+menuentry .*\$menuentry_id_option '\(gnulinux-$1-advanced-[^']*\)'.*/\1/p" "$CFG" | head -n1
}
ENTRY_NEW=$(entry_id "$KREL_NEW")
ENTRY_OLD=$(entry_id "$KREL_OLD")
[[ -n $ENTRY_DEFAULT && -n $SUBMENU && -n $ENTRY_NEW && -n $ENTRY_OLD ]] ||
    ht_die "cannot find the GRUB menu ids in grub.cfg (default='$ENTRY_DEFAULT' submenu='$SUBMENU' new='$ENTRY_NEW' old='$ENTRY_OLD')"
# The default (first) entry must boot the newest kernel.
awk '/^menuentry /{f=1} f && /^[[:space:]]+linux[[:space:]]/{print; exit}' "$CFG" | grep -q "vmlinuz-$KREL_NEW " ||
    ht_die "the first GRUB entry does not boot $KREL_NEW"

# ---------------------------------------------------------------------------
# Finish
# ---------------------------------------------------------------------------
rm -f "$MNT/usr/sbin/policy-rc.d" "$MNT/etc/apt/apt.conf.d/91ht-e2e-sandbox"
# (no apt-get clean: the .deb cache is the host's, bind-mounted; the image's own is empty)
rm -rf "$MNT/var/lib/apt/lists/"*_Packages "$MNT/var/lib/apt/lists/"*_Translation-* 2>/dev/null || true
rm -f "$MNT/var/log/"*.log "$MNT/var/cache/debconf/"*-old 2>/dev/null || true
df -h "$MNT" "$MNT/boot" | sed 's/^/    /'
envname() { tr -c 'A-Za-z0-9\n' '_' <<<"$1"; }
cat >"$OUT.tmp/base.env" <<EOF
# Debian VM base image (tests/e2e/debian-vm-build.sh $(ht_sha <"${BASH_SOURCE[0]}"))
DVM_BUILT='$(date -u +%Y-%m-%dT%H:%M:%SZ)'
DVM_SUITE='$SUITE'
DVM_MIRROR='$MIRROR'
DVM_HOSTNAME='$HOSTNAME_VM'
DVM_BOOT_UUID='$BOOT_UUID'
DVM_ROOT_UUID='$ROOT_UUID'
DVM_SWAP_UUID='$SWAP_UUID'
DVM_TINYSWAP_UUID='$TINYSWAP_UUID'
DVM_BOOT_PART=1
DVM_ROOT_PART=2
DVM_SWAP_PART=3
DVM_TINYSWAP_PART=4
DVM_GUEST_BOOT_DEV=/dev/vda1
DVM_GUEST_ROOT_DEV=/dev/vda2
DVM_GUEST_SWAP_DEV=/dev/vda3
DVM_GUEST_TINYSWAP_DEV=/dev/vda4
DVM_SWAP_MIB=768
DVM_TINYSWAP_MIB=32
DVM_KPKG_NEW='$KPKG_NEW'
DVM_KPKG_OLD='$KPKG_OLD'
DVM_KERNEL_NEW='$KREL_NEW'
DVM_KERNEL_OLD='$KREL_OLD'
DVM_KERNELS='$KREL_NEW $KREL_OLD'
DVM_CMDLINE='$CMDLINE'
DVM_ENTRY_DEFAULT='$ENTRY_DEFAULT'
DVM_SUBMENU='$SUBMENU'
DVM_ENTRY_ID_$(envname "$KREL_NEW")='$ENTRY_NEW'
DVM_ENTRY_ID_$(envname "$KREL_OLD")='$ENTRY_OLD'
DVM_ENTRY_NEW='$SUBMENU>$ENTRY_NEW'
DVM_ENTRY_OLD='$SUBMENU>$ENTRY_OLD'
EOF
cp "$CFG" "$OUT.tmp/grub.cfg"
dvm_cleanup
trap - EXIT
rmdir "$MNT"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
step "done: $OUT/base.img ($(du -h "$OUT/base.img" | cut -f1) allocated)"
cat "$OUT/base.env"
