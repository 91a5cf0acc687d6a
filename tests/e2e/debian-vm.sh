# shellcheck shell=bash
# shellcheck disable=SC2034  # globals (DVM_*) are consumed by callers
# A full Debian 12 VM for end-to-end tests: a cached, bootable raw disk image (BIOS GRUB
# on an MBR disk, separate /boot, two Debian kernels, swap partitions) plus helpers to
# clone it, put files into a clone, and boot a clone under QEMU (TCG).
#
# Source after lib.sh (logging, HT_CACHE, HT_QEMU), from bash under `set -euo pipefail`:
#
#   . tests/e2e/lib.sh; . tests/e2e/debian-vm.sh
#   base=$(dvm_base)                 # build once (cached), print the image path
#   dvm_load_env "$base"             # DVM_ROOT_UUID, DVM_KERNEL_NEW, DVM_ENTRY_OLD, ...
#   trap dvm_cleanup EXIT            # unmounts + detaches whatever is still attached
#   dvm_clone "$base" work.img
#   dvm_install_project work.img build
#   dvm_set_step work.img step.sh    # runs at the end of the boot, output on ttyS0
#   dvm_boot work.img boot.log 300   # returns when QEMU exits (power-off or reboot)
#
# Functions (and, at the end, the VM test scripts' skip/pass/bad/check/log_has/booted_kernel/guest_checks): dvm_base, dvm_base_key, dvm_rootboot_base BASE, dvm_sdboot_base BASE, dvm_load_env IMAGE, dvm_grub_entry_for KREL,
# dvm_clone BASE WORK, dvm_mount WORK MNT, dvm_umount MNT, dvm_cleanup,
# dvm_install_project WORK BUILD_DIR, dvm_install_deb WORK DEB, dvm_set_step WORK FILE|-,
# dvm_put WORK SRC DEST [MODE],
# dvm_grubenv WORK grub-editenv-args..., dvm_boot WORK LOG [TIMEOUT_S] [QEMU_ARGS...],
# dvm_in_chroot MNT CMD..., dvm_loop_attach IMAGE, dvm_loop_detach DEV.
# Settings: HT_CACHE, DVM_DIR ($HT_CACHE/debian), DVM_MIRROR, DVM_MEM (1024), DVM_SMP (2),
# DVM_BOOT_TIMEOUT (300), DVM_VERBOSE (full serial log on stderr), DVM_ECHO_RE,
# DVM_KILL_ON_RE (dvm_boot cuts the power on the first serial line matching it).
#
# Guest side (made by tests/e2e/debian-vm-build.sh):
#   ht-e2e.service runs /usr/lib/ht-e2e/run-step once the system is up (after
#   multi-user.target). It runs /usr/local/sbin/ht-e2e-step (if executable) with stdout
#   and stderr on /dev/ttyS0, each line prefixed "HT-E2E: ", then prints
#   "HT-E2E: [step exited rc=N]" and powers the VM off (unless the step itself already
#   started a power-off/reboot). Nothing else happens on a boot without a step.
#   /usr/lib/ht-e2e/hibernate: `systemctl hibernate`, then waits until the system has
#   resumed (a systemd-sleep "post" hook) and returns 0; non-zero when hibernation
#   failed. The script that called it just continues after the resume.
#   HibernateMode=shutdown (sleep.conf.d): the hibernated VM powers off, QEMU exits.

DVM_E2E_DIR=${DVM_E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
DVM_BUILDER="$DVM_E2E_DIR/debian-vm-build.sh"
DVM_DIR=${DVM_DIR:-$HT_CACHE/debian}
DVM_MIRROR=${DVM_MIRROR:-http://deb.debian.org/debian}
DVM_MEM=${DVM_MEM:-1024}
DVM_SMP=${DVM_SMP:-2}
DVM_BOOT_TIMEOUT=${DVM_BOOT_TIMEOUT:-300}
DVM_VERBOSE=${DVM_VERBOSE:-${HT_VERBOSE:-0}}
# Serial lines echoed to stderr by dvm_boot (all of them with DVM_VERBOSE=1).
DVM_ECHO_RE=${DVM_ECHO_RE:-'HT-E2E|Linux version|\] PM: |reboot: |Kernel panic|Booting .Debian|Loading Linux|Loading initial ramdisk'}

declare -gA DVM_MNT_LOOP=()   # mount point -> loop device (dvm_mount)
declare -ga DVM_LOOPS=()      # every loop device attached by this shell
declare -gA DVM_MNT_ESP=()    # mount point -> "ESP_DEV DIR" (dvm_mount of an sdboot image)

# ---------------------------------------------------------------------------
# Base image
# ---------------------------------------------------------------------------

# dvm_base_key: the cache key, a hash of the builder's own source.
dvm_base_key() { ht_sha <"$DVM_BUILDER"; }

# dvm_base: build (once, cached under $DVM_DIR/base-<key>/) and print the base image path.
# The builder's output goes to $DVM_DIR/base-<key>.log. Takes $DVM_DIR/.lock while
# building so parallel callers wait instead of building twice.
dvm_base() {
    local key dir
    key=$(dvm_base_key)
    dir="$DVM_DIR/base-$key"
    if [[ -f $dir/base.img && -f $dir/base.env ]]; then
        ht_ok "Debian VM base image cached: $dir/base.img" >&2
        printf '%s\n' "$dir/base.img"
        return
    fi
    mkdir -p "$DVM_DIR"
    (
        exec 7>"$DVM_DIR/.lock"
        flock -w 3600 7 || ht_die "cannot lock $DVM_DIR/.lock"
        [[ -f $dir/base.img && -f $dir/base.env ]] && exit 0
        ht_log "Building the Debian VM base image ($key, log: $DVM_DIR/base-$key.log)"
        local t0=$SECONDS
        if ! DVM_MIRROR=$DVM_MIRROR bash "$DVM_BUILDER" "$dir" "$DVM_DIR" >"$DVM_DIR/base-$key.log" 2>&1; then
            tail -n 30 "$DVM_DIR/base-$key.log" | sed 's/^/    | /' >&2
            ht_die "building the Debian VM base image failed (log: $DVM_DIR/base-$key.log)"
        fi
        ht_ok "Debian VM base image built in $((SECONDS - t0))s: $dir/base.img"
        # Older bases (other builder versions) are not needed any more.
        find "$DVM_DIR" -maxdepth 1 -name 'base-*' ! -name "base-$key" ! -name "base-$key.*" \
            -exec rm -rf {} + 2>/dev/null || true
    ) >&2 || exit 1
    printf '%s\n' "$dir/base.img"
}

# dvm_load_env IMAGE: source base.env next to IMAGE (a base image, or a clone made by
# dvm_clone, which copies base.env to WORK.env). Sets DVM_ROOT_UUID DVM_BOOT_UUID
# DVM_SWAP_UUID DVM_TINYSWAP_UUID DVM_KERNEL_NEW DVM_KERNEL_OLD DVM_KPKG_NEW DVM_KPKG_OLD
# DVM_ENTRY_DEFAULT DVM_SUBMENU DVM_ENTRY_NEW DVM_ENTRY_OLD DVM_CMDLINE ...
dvm_load_env() {
    local img=$1 env
    if [[ -f $img.env ]]; then env=$img.env; else env="$(dirname "$img")/base.env"; fi
    [[ -f $env ]] || ht_die "no base.env for $img"
    # shellcheck disable=SC1090
    . "$env"
}

# dvm_grub_entry_for KERNEL_RELEASE: the grub-reboot/next_entry id of the "Advanced
# options" entry booting that kernel (normal mode), "SUBMENU_ID>ENTRY_ID". Needs
# dvm_load_env (ids come from base.env, parsed out of the image's grub.cfg).
dvm_grub_entry_for() {
    local rel=$1 var
    var="DVM_ENTRY_ID_$(tr -c 'A-Za-z0-9\n' '_' <<<"$rel")"
    [[ -n ${!var:-} ]] || ht_die "no GRUB entry for kernel '$rel' (known: ${DVM_KERNELS:-none}; dvm_load_env first)"
    printf '%s>%s\n' "$DVM_SUBMENU" "${!var}"
}

# dvm_rootboot_base BASE: the "/boot on /" variant of BASE (no separate /boot: p1 wiped,
# /boot a directory of the root filesystem, GRUB's prefix on p2), derived by
# tests/e2e/debian-vm-rootboot.sh once and cached under
# $DVM_DIR/rootboot-<base key>-<hash of that script>/; prints its image path. Its base.env
# has DVM_BOOT_ON_ROOT=1 (dvm_mount mounts p2 only).
dvm_rootboot_base() { _dvm_derived_base rootboot "$DVM_E2E_DIR/debian-vm-rootboot.sh" "/boot-on-/" "$1"; }

# dvm_sdboot_base BASE: the UEFI / systemd-boot variant of BASE (GPT, p1 the ESP mounted
# at /boot/efi, /boot on the root filesystem, Type #1 entries written by kernel-install),
# derived by tests/e2e/debian-vm-sdboot.sh once and cached under
# $DVM_DIR/sdboot-<base key>-<hash of that script>/; prints its image path. Its base.env has
# DVM_BOOT_ON_ROOT=1 and DVM_ESP_DIR=/boot/efi (dvm_mount mounts p2, then p1 there). Boot it
# with OVMF (dvm_ovmf_args).
dvm_sdboot_base() { _dvm_derived_base sdboot "$DVM_E2E_DIR/debian-vm-sdboot.sh" "systemd-boot" "$1"; }

# _dvm_derived_base NAME SCRIPT WHAT BASE: run `SCRIPT BASE DIR` once (under $DVM_DIR/.lock)
# for DIR=$DVM_DIR/NAME-<base key>-<hash of SCRIPT>, print DIR/base.img; older NAME-* go.
_dvm_derived_base() {
    local name=$1 script=$2 what=$3 base=$4 key dir
    key="$(basename "$(dirname "$base")" | sed 's/^base-//')-$(ht_sha <"$script")"
    dir="$DVM_DIR/$name-$key"
    if [[ -f $dir/base.img && -f $dir/base.env ]]; then
        ht_ok "Debian VM $what image cached: $dir/base.img" >&2
        printf '%s\n' "$dir/base.img"
        return
    fi
    (
        exec 7>"$DVM_DIR/.lock"
        flock -w 3600 7 || ht_die "cannot lock $DVM_DIR/.lock"
        [[ -f $dir/base.img && -f $dir/base.env ]] && exit 0
        ht_log "Deriving the $what image from $base (log: $dir.log)"
        local t0=$SECONDS
        if ! bash "$script" "$base" "$dir" >"$dir.log" 2>&1; then
            tail -n 30 "$dir.log" | sed 's/^/    | /' >&2
            ht_die "deriving the $what image failed (log: $dir.log)"
        fi
        ht_ok "$what image derived in $((SECONDS - t0))s: $dir/base.img"
        find "$DVM_DIR" -maxdepth 1 -name "$name-*" ! -name "$name-$key" ! -name "$name-$key.*" \
            -exec rm -rf {} + 2>/dev/null || true
    ) >&2 || exit 1
    printf '%s\n' "$dir/base.img"
}

# ---------------------------------------------------------------------------
# Loop devices and mounts
# ---------------------------------------------------------------------------

# dvm_loop_attach IMAGE: losetup -P, make sure the partition nodes exist (some kernels do
# not scan on attach; partx -a then adds them) and print the loop device.
dvm_loop_attach() {
    local img=$1 dev n i
    dev=$(losetup -f -P --show "$img") || ht_die "losetup -P $img failed"
    DVM_LOOPS+=("$dev")
    n=${dev#/dev/}
    for ((i = 0; i < 50; i++)); do
        [[ -e /sys/block/$n/${n}p1 ]] && break
        if ((i == 3)); then partx -a "$dev" >/dev/null 2>&1 || partx -u "$dev" >/dev/null 2>&1 || true; fi
        sleep 0.1
    done
    [[ -e /sys/block/$n/${n}p1 ]] || { dvm_loop_detach "$dev"; ht_die "no partitions on $dev ($img)"; }
    for ((i = 0; i < 50; i++)); do
        [[ -b ${dev}p1 && -b ${dev}p2 ]] && break
        sleep 0.1
    done
    [[ -b ${dev}p1 && -b ${dev}p2 ]] || { dvm_loop_detach "$dev"; ht_die "no ${dev}p1/p2 device nodes"; }
    printf '%s\n' "$dev"
}

# dvm_loop_detach DEV: drop the partitions and detach (retries while busy).
dvm_loop_detach() {
    local dev=$1 i d
    for ((i = 0; i < 20; i++)); do
        losetup "$dev" >/dev/null 2>&1 || break
        partx -d "$dev" >/dev/null 2>&1 || true
        losetup -d "$dev" 2>/dev/null && break
        sleep 0.3
    done
    local -a keep=()
    for d in "${DVM_LOOPS[@]}"; do [[ $d == "$dev" ]] || keep+=("$d"); done
    DVM_LOOPS=("${keep[@]}")
}

# dvm_mount WORK MNT: attach WORK, mount p2 (root) on MNT and p1 on MNT/boot (not for an
# image whose env says DVM_BOOT_ON_ROOT=1: /boot is a directory of p2 there; with
# DVM_ESP_DIR=/boot/efi in the env, p1 is the ESP (vfat): this host's kernel cannot mount
# vfat, so its files are copied onto a tmpfs on MNT/boot/efi with mtools (dvm_esp_load)
# and written back to p1 by dvm_umount (dvm_esp_store)).
dvm_mount() {
    local img=$1 mnt=$2 dev env boot_on_root=0 esp=
    [[ -f $img ]] || ht_die "dvm_mount: no image $img"
    if [[ -f $img.env ]]; then env=$img.env; else env="$(dirname "$img")/base.env"; fi
    [[ -f $env ]] && grep -q '^DVM_BOOT_ON_ROOT=1$' "$env" && boot_on_root=1
    [[ -f $env ]] && esp=$(sed -n 's/^DVM_ESP_DIR=//p' "$env" | tail -n1)
    mkdir -p "$mnt"
    ! mountpoint -q "$mnt" || ht_die "dvm_mount: $mnt is already a mount point"
    dev=$(dvm_loop_attach "$img") || ht_die "dvm_mount: cannot attach $img"
    DVM_LOOPS+=("$dev")   # the command substitution's own update of DVM_LOOPS is lost
    DVM_MNT_LOOP[$mnt]=$dev
    [[ -z $esp ]] || DVM_MNT_ESP[$mnt]="${dev}p1 $esp"
    if ! mount "${dev}p2" "$mnt" || { ((boot_on_root == 0)) && ! mount "${dev}p1" "$mnt/boot"; } ||
        { [[ -n $esp ]] && ! dvm_esp_load "${dev}p1" "$mnt$esp"; }; then
        dvm_umount "$mnt"
        ht_die "dvm_mount: cannot mount ${dev}p2/${dev}p1 of $img on $mnt"
    fi
}

# dvm_umount MNT: unmount everything under MNT and detach its loop device. Quiet and
# idempotent: safe to call from traps and for a mount point that is not mounted.
dvm_umount() {
    local mnt=$1 dev="${DVM_MNT_LOOP[$1]:-}" src i
    if [[ -z $dev ]] && mountpoint -q "$mnt" 2>/dev/null; then
        src=$(findmnt -n -o SOURCE --mountpoint "$mnt" 2>/dev/null || true)
        [[ $src =~ ^(/dev/loop[0-9]+)p[0-9]+$ ]] && dev=${BASH_REMATCH[1]}
    fi
    if [[ -n ${DVM_MNT_ESP[$mnt]:-} ]]; then
        local espdev=${DVM_MNT_ESP[$mnt]%% *} espdir=${DVM_MNT_ESP[$mnt]#* }
        unset "DVM_MNT_ESP[$mnt]"
        dvm_esp_store "$espdev" "$mnt$espdir" || ht_warn "dvm_umount: writing the ESP back to $espdev failed"
    fi
    sync
    for ((i = 0; i < 10; i++)); do
        mountpoint -q "$mnt" 2>/dev/null || break
        umount -R "$mnt" 2>/dev/null && break
        sleep 0.5
    done
    if mountpoint -q "$mnt" 2>/dev/null; then
        ht_warn "dvm_umount: $mnt busy, lazy unmount"
        umount -R -l "$mnt" || true
    fi
    [[ -z $dev ]] || dvm_loop_detach "$dev"
    unset "DVM_MNT_LOOP[$mnt]"
}

# dvm_esp_load DEV DIR: mount a tmpfs on the empty directory DIR (a file system of its own,
# as bootctl wants the ESP) and copy the files of the vfat ESP on DEV into it (mtools; no
# kernel vfat needed).
dvm_esp_load() {
    local dev=$1 dir=$2
    ht_need mcopy
    mkdir -p "$dir"
    [[ -z $(ls -A "$dir") ]] || { ht_warn "dvm_esp_load: $dir is not empty"; return 1; }
    mount -t tmpfs -o mode=700 dvm-esp "$dir" || return 1
    [[ $(blkid -s TYPE -o value "$dev" 2>/dev/null) == vfat ]] || return 0   # a blank ESP
    MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -n -i "$dev" '::*' "$dir/" 2>/dev/null ||
        [[ -z $(MTOOLS_SKIP_CHECK=1 mdir -b -i "$dev" :: 2>/dev/null) ]]
}

# dvm_esp_store DEV DIR: make DEV a fresh FAT32 (same volume id), copy DIR's files onto it
# (mtools) and unmount DIR's tmpfs.
dvm_esp_store() {
    local dev=$1 dir=$2 id out
    ht_need mkfs.vfat mcopy
    id=$(blkid -s UUID -o value "$dev" 2>/dev/null | tr -d '-') || id=
    # (its "Could not get geometry" note on a loop partition is noise unless it fails)
    out=$(mkfs.vfat -F 32 -n ESP ${id:+-i "$id"} "$dev" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
    if [[ -n $(ls -A "$dir") ]]; then
        MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -Q -i "$dev" "$dir"/* :: || return 1
    fi
    umount "$dir"
}

# dvm_cleanup: unmount every dvm_mount mount point and detach every loop device this
# shell attached. For traps: `trap dvm_cleanup EXIT`.
dvm_cleanup() {
    local m d
    for m in "${!DVM_MNT_LOOP[@]}"; do dvm_umount "$m"; done
    for d in "${DVM_LOOPS[@]}"; do dvm_loop_detach "$d"; done
    return 0
}

# dvm_in_chroot MNT CMD...: run CMD chrooted into a mounted image with /proc, /sys and
# a /dev in a private mount namespace (those mounts vanish with it). The chroot's /dev is
# a tmpfs with copies of the host's basic and loop device nodes plus
# /dev/disk/by-uuid links for the loop partitions (no udev here; grub-mkconfig only
# writes root=UUID= when that link exists). DVM_APT_ARCHIVES: a host directory
# bind-mounted on /var/cache/apt/archives. SYSTEMD_RELAX_ESP_CHECKS=1: bootctl and
# kernel-install accept the ESP staging directory of an sdboot image (see dvm_mount) as
# the ESP although it is no vfat mount (this host's kernel has no vfat).
dvm_in_chroot() {
    local dir=$1
    shift
    # shellcheck disable=SC2016  # the script is expanded by the inner sh
    unshare -m --propagation private -- /bin/sh -c '
        d=$1; shift
        mount -t proc proc "$d/proc" && mount -t sysfs sysfs "$d/sys" &&
        mount -t tmpfs -o mode=755 dvm-dev "$d/dev" || exit 1
        cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/console \
            /dev/ptmx /dev/loop* "$d/dev/" 2>/dev/null
        ln -s /proc/self/fd "$d/dev/fd"; ln -s /proc/self/fd/0 "$d/dev/stdin"
        ln -s /proc/self/fd/1 "$d/dev/stdout"; ln -s /proc/self/fd/2 "$d/dev/stderr"
        mkdir -p "$d/dev/pts" "$d/dev/shm" "$d/dev/disk/by-uuid"
        mount --bind /dev/pts "$d/dev/pts" && mount -t tmpfs shm "$d/dev/shm" || exit 1
        for p in /dev/loop*p*; do
            [ -b "$p" ] || continue
            u=$(blkid -s UUID -o value "$p" 2>/dev/null) || continue
            [ -n "$u" ] && ln -sf "../../${p#/dev/}" "$d/dev/disk/by-uuid/$u"
        done
        if [ -n "${DVM_APT_ARCHIVES:-}" ]; then
            mkdir -p "$d/var/cache/apt/archives" &&
            mount --bind "$DVM_APT_ARCHIVES" "$d/var/cache/apt/archives" || exit 1
        fi
        exec chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
            HOME=/root DEBIAN_FRONTEND=noninteractive SYSTEMD_RELAX_ESP_CHECKS=1 "$@"' dvm-chroot "$dir" "$@"
}

# ---------------------------------------------------------------------------
# Work images
# ---------------------------------------------------------------------------

# dvm_clone BASE WORK: sparse (reflink where the file system can) copy, plus WORK.env.
dvm_clone() {
    local base=$1 work=$2
    [[ -f $base ]] || ht_die "dvm_clone: no base image $base"
    mkdir -p "$(dirname "$work")"
    rm -f "$work"
    cp --reflink=auto --sparse=always "$base" "$work" || ht_die "dvm_clone: cp $base $work"
    cp "$(dirname "$base")/base.env" "$work.env" 2>/dev/null || cp "$base.env" "$work.env"
}

# dvm_install_project WORK BUILD_DIR: `meson install --destdir` the built project into
# the image (prefix as configured, /usr/local by default) and refresh its ld.so cache.
dvm_install_project() {
    local img=$1 build=$2 mnt out
    [[ -f $build/build.ninja ]] || ht_die "dvm_install_project: $build is not a meson build dir"
    command -v meson >/dev/null || ht_die "dvm_install_project: meson not found"
    mnt=$(mktemp -d "${TMPDIR:-/tmp}/dvm-mnt.XXXXXX")
    dvm_mount "$img" "$mnt"
    if ! out=$(meson install -C "$build" --destdir "$mnt" --no-rebuild --quiet 2>&1); then
        dvm_umount "$mnt"; rmdir "$mnt"
        ht_die "meson install into $img failed: $out"
    fi
    ldconfig -r "$mnt" || { dvm_umount "$mnt"; rmdir "$mnt"; ht_die "ldconfig -r $mnt failed"; }
    dvm_umount "$mnt"
    rmdir "$mnt"
}

# dvm_install_deb WORK DEB: install the built package (tests/package/build-deb.sh) into the
# image with dpkg in a chroot, as apt would on the machine: its maintainer scripts run
# (units enabled, the initramfs-tools trigger). Nothing is started (no systemd in the chroot).
dvm_install_deb() {
    local img=$1 deb=$2 mnt rc=0
    [[ -f $deb ]] || ht_die "dvm_install_deb: no package $deb"
    mnt=$(mktemp -d "${TMPDIR:-/tmp}/dvm-mnt.XXXXXX")
    dvm_mount "$img" "$mnt"
    install -m 0644 "$deb" "$mnt/tmp/ht-package.deb"
    dvm_in_chroot "$mnt" dpkg -i /tmp/ht-package.deb >"$img.dpkg.log" 2>&1 || rc=$?
    rm -f "$mnt/tmp/ht-package.deb"
    dvm_umount "$mnt"
    rmdir "$mnt"
    [[ $rc -eq 0 ]] || ht_die "dpkg -i $(basename "$deb") in $img failed: $(tail -n 20 "$img.dpkg.log")"
}

# dvm_put WORK SRC DEST [MODE]: copy a host file into the image at DEST.
dvm_put() {
    local img=$1 src=$2 dest=$3 mode=${4:-0644} mnt rc=0
    mnt=$(mktemp -d "${TMPDIR:-/tmp}/dvm-mnt.XXXXXX")
    dvm_mount "$img" "$mnt"
    install -D -m "$mode" "$src" "$mnt$dest" || rc=$?
    dvm_umount "$mnt"
    rmdir "$mnt"
    [[ $rc -eq 0 ]] || ht_die "dvm_put: install $src -> $img:$dest failed"
}

# dvm_set_step WORK FILE: FILE becomes /usr/local/sbin/ht-e2e-step (0755); "-" removes it.
dvm_set_step() {
    local img=$1 src=$2 mnt
    if [[ $src == - ]]; then
        mnt=$(mktemp -d "${TMPDIR:-/tmp}/dvm-mnt.XXXXXX")
        dvm_mount "$img" "$mnt"
        rm -f "$mnt/usr/local/sbin/ht-e2e-step"
        dvm_umount "$mnt"
        rmdir "$mnt"
        return
    fi
    dvm_put "$img" "$src" /usr/local/sbin/ht-e2e-step 0755
}

# dvm_grubenv WORK ARGS...: grub-editenv on the image's /boot/grub/grubenv, e.g.
#   dvm_grubenv work.img set "next_entry=$(dvm_grub_entry_for "$DVM_KERNEL_OLD")"
#   dvm_grubenv work.img list
dvm_grubenv() {
    local img=$1 mnt rc=0
    shift
    command -v grub-editenv >/dev/null || ht_die "grub-editenv not found (apt-get install grub-common)"
    mnt=$(mktemp -d "${TMPDIR:-/tmp}/dvm-mnt.XXXXXX")
    dvm_mount "$img" "$mnt"
    grub-editenv "$mnt/boot/grub/grubenv" "$@" || rc=$?
    dvm_umount "$mnt"
    rmdir "$mnt"
    return "$rc"
}

# ---------------------------------------------------------------------------
# Boot
# ---------------------------------------------------------------------------

# dvm_boot WORK LOG [TIMEOUT_S] [QEMU_ARGS...]: boot WORK (SeaBIOS -> GRUB on the disk; UEFI:
# OVMF pflash drives in QEMU_ARGS, see test-sdboot-vm.sh)
# with the serial console in LOG (CRs removed, written line by line, so a caller running
# dvm_boot in the background can poll LOG). Returns when QEMU exits: the guest
# powered off, rebooted (-no-reboot) or hibernated. On timeout QEMU is killed.
# Sets DVM_BOOT_RC (0, or 124/137 on timeout) and DVM_BOOT_SECONDS; returns DVM_BOOT_RC.
# Power cut: with DVM_KILL_ON_RE set (an ERE), the first serial line matching it makes
# dvm_boot SIGKILL QEMU at once (QEMU's -pidfile): no flush, no further guest write; what
# QEMU had written to the image is in the host's page cache (cache=unsafe), as on a disk
# without a volatile write cache. The line is appended to LOG as "# dvm_boot: power cut
# on: LINE" and DVM_BOOT_KILLED=1 (0 otherwise; QEMU's status is then 137). Serial lines
# are read one by one (no buffering) in that mode. Pass -no-shutdown when the trigger may
# come right before the guest powers off: QEMU then stays until the cut (or the timeout).
dvm_boot() {
    local img=$1 log=$2 tmo=${3:-$DVM_BOOT_TIMEOUT} t0 t1 pidf="$2.qemu-pid" cutf="$2.cut"
    shift $(($# < 3 ? $# : 3))
    ht_need "$HT_QEMU" timeout
    local -a cmd=(timeout --foreground -k 10 "$tmo"
        "$HT_QEMU" -accel tcg -m "$DVM_MEM" -smp "$DVM_SMP"
        -nographic -nodefaults -serial stdio -monitor none -no-reboot
        -drive "file=$img,format=raw,if=virtio,cache=unsafe" "$@")
    local -a filt=(stdbuf -oL tr -d '\r')  # line by line: callers may poll LOG while QEMU runs
    rm -f "$pidf" "$cutf"
    if [[ -n ${DVM_KILL_ON_RE:-} ]]; then
        cmd+=(-pidfile "$pidf")
        filt=(_dvm_power_cut_watch "$DVM_KILL_ON_RE" "$pidf" "$cutf")
    fi
    printf '# %q ' "${cmd[@]}" >"$log"
    printf '\n' >>"$log"
    ht_info "boot $(basename "$img") (timeout ${tmo}s, log $log${DVM_KILL_ON_RE:+, power cut on /$DVM_KILL_ON_RE/})"
    t0=$(date +%s.%N)
    set +e
    # The echoed lines go to a copy of stderr; stderr itself is /dev/null around the
    # pipeline, so bash prints no "Killed" job report after a power cut.
    local errfd
    exec {errfd}>&2
    { "${cmd[@]}" </dev/null 2>&1 | "${filt[@]}" | tee -a "$log" |
        if [[ $DVM_VERBOSE == 1 ]]; then sed -u 's/^/    | /'; else
            grep --line-buffered -aE "$DVM_ECHO_RE" | sed -u 's/^/    | /'; fi >&"$errfd"; } 2>/dev/null
    local -a st=("${PIPESTATUS[@]}")
    exec {errfd}>&-
    set -e
    t1=$(date +%s.%N)
    DVM_BOOT_RC=${st[0]}
    DVM_BOOT_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    DVM_BOOT_KILLED=0
    if [[ -s $cutf ]]; then
        DVM_BOOT_KILLED=1
        printf '# dvm_boot: power cut on: %s\n' "$(cat "$cutf")" >>"$log"
        ht_info "power cut (QEMU killed) on: $(cat "$cutf")"
    fi
    rm -f "$pidf" "$cutf"
    ht_info "qemu exited: rc=$DVM_BOOT_RC after ${DVM_BOOT_SECONDS}s"
    return "$DVM_BOOT_RC"
}

# _dvm_power_cut_watch RE PIDFILE CUTFILE: dvm_boot's filter with DVM_KILL_ON_RE: copies
# the serial stream line by line without CRs; on the first line matching RE it SIGKILLs
# the QEMU of PIDFILE and writes that line to CUTFILE.
_dvm_power_cut_watch() {
    local re=$1 pidf=$2 cutf=$3 line pid hit=0
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line//$'\r'/}
        printf '%s\n' "$line"
        if ((hit == 0)) && [[ $line =~ $re ]]; then
            hit=1
            pid=$(cat "$pidf" 2>/dev/null) || pid=
            if [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null; then
                printf '%s\n' "$line" >"$cutf"
            fi
        fi
    done
}

# ---------------------------------------------------------------------------
# Helpers of the VM test scripts (test-hibernate-vm.sh, test-grubenv-root-vm.sh): exit 77
# when the test cannot run here (a failure under HT_REQUIRE_ALL), count checks in NPASS /
# NFAIL under the scenario name SCEN, and read a serial log.
# ---------------------------------------------------------------------------
skip() {
        if [[ -n ${HT_REQUIRE_ALL:-} ]]; then ht_die "cannot run here and HT_REQUIRE_ALL is set: $*"; fi
        echo "SKIP: $*"
        exit 77
}
pass() { NPASS=$((NPASS + 1)); ht_ok "[$SCEN] $*"; }
bad() { NFAIL=$((NFAIL + 1)); printf '%sFAIL%s [%s] %s\n' "$_ht_c_r" "$_ht_c_0" "$SCEN" "$*" >&2; }
check() { local desc=$1; shift; if "$@"; then pass "$desc"; else bad "$desc"; fi; }
log_has() { grep -aEq -- "$2" "$1"; }
booted_kernel() { sed -n 's/.*Linux version \([^ ]*\) .*/\1/p' "$1" | head -n1; }
guest_checks() {  # log: count the step's CHECK lines
        local l
        while read -r l; do pass "guest: ${l#*CHECK-OK }"; done < <(grep -a 'HT-E2E: CHECK-OK ' "$1" || true)
        while read -r l; do bad "guest: ${l#*CHECK-FAIL }"; done < <(grep -a 'HT-E2E: CHECK-FAIL ' "$1" || true)
}
