# shellcheck shell=bash
# shellcheck disable=SC2034  # globals (HT_*, HDR_*) are consumed by callers
# Helpers for the hibernate-tool end-to-end QEMU harness.
#
# Source this file from bash scripts that run under `set -euo pipefail`.
# Nothing in here touches the repository: every artefact (kernel package,
# initramfs, swap images, logs) lives under $HT_CACHE.

# ---------------------------------------------------------------------------
# Configuration (all overridable from the environment)
# ---------------------------------------------------------------------------
HT_CACHE=${HT_CACHE:-/var/cache/hibernate-tool-tests}
HT_KERNEL_META_PKG=${HT_KERNEL_META_PKG:-linux-image-amd64}
HT_QEMU=${HT_QEMU:-qemu-system-x86_64}
HT_QEMU_MEM=${HT_QEMU_MEM:-512}
HT_BOOT_TIMEOUT=${HT_BOOT_TIMEOUT:-300}
HT_SWAP_SIZE_MIB=${HT_SWAP_SIZE_MIB:-256}
HT_SWAP_UUID=${HT_SWAP_UUID:-8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55}
HT_SWAP_LABEL=${HT_SWAP_LABEL:-hibswap}
HT_BUSYBOX=${HT_BUSYBOX:-/bin/busybox}
HT_VERBOSE=${HT_VERBOSE:-0}
# Insmod order matters: each module's dependencies must come before it.
HT_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk)
# Kernel command line shared by every boot (hibernate and resume boots must
# use the same kernel + initramfs; the command line may differ).
HT_BASE_CMDLINE="console=ttyS0 loglevel=7 no_console_suspend panic=-1"

# swsusp_header layout (Linux 6.1 kernel/power/swap.c, PAGE_SIZE 4096):
#   char reserved[4096-20-8-4-4-4]  @0     (4056 bytes)
#   u32  hw_sig                     @4056
#   u32  crc32                      @4060
#   sector_t image (u64)            @4064  page offset of first swap_map page
#   unsigned int flags              @4072  1 platform,2 nocompress,4 crc32,8 hw_sig
#   char orig_sig[10]               @4076
#   char sig[10]                    @4086  "S1SUSPEND\0" while an image waits
HT_HDR_OFF_HW_SIG=4056
HT_HDR_OFF_CRC32=4060
HT_HDR_OFF_IMAGE=4064
HT_HDR_OFF_FLAGS=4072
HT_HDR_OFF_ORIG_SIG=4076
HT_HDR_OFF_SIG=4086

# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------
if [[ -t 2 ]]; then
    _ht_c_b=$'\e[1m' _ht_c_r=$'\e[31m' _ht_c_g=$'\e[32m' _ht_c_y=$'\e[33m' _ht_c_0=$'\e[0m'
else
    _ht_c_b='' _ht_c_r='' _ht_c_g='' _ht_c_y='' _ht_c_0=''
fi
ht_log()  { printf '%s==>%s %s\n' "$_ht_c_b" "$_ht_c_0" "$*" >&2; }
ht_info() { printf '    %s\n' "$*" >&2; }
ht_ok()   { printf '%s  ok%s %s\n' "$_ht_c_g" "$_ht_c_0" "$*" >&2; }
ht_warn() { printf '%sWARN%s %s\n' "$_ht_c_y" "$_ht_c_0" "$*" >&2; }
ht_die()  { printf '%sFAIL%s %s\n' "$_ht_c_r" "$_ht_c_0" "$*" >&2; exit 1; }

ht_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || ht_die "required command '$c' not found"
    done
}

ht_sha() { sha256sum | cut -c1-16; }

# ---------------------------------------------------------------------------
# Kernel: resolve, download, extract
# ---------------------------------------------------------------------------

# Print the concrete kernel image package the meta package depends on,
# e.g. linux-image-6.1.0-56-amd64.
ht_resolve_kernel_pkg() {
    local pkg
    pkg=$(apt-cache depends "$HT_KERNEL_META_PKG" 2>/dev/null |
          sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
    [[ -n $pkg ]] || ht_die "cannot resolve the kernel package behind $HT_KERNEL_META_PKG (apt-cache depends; run apt-get update?)"
    printf '%s\n' "$pkg"
}

# Download + extract the kernel package into the cache (once).
# Sets: HT_KPKG HT_KPKG_VERSION HT_KREL HT_KROOT HT_VMLINUZ
ht_fetch_kernel() {
    ht_need apt-get apt-cache dpkg-deb
    local kdir="$HT_CACHE/kernel" deb tmp
    HT_KPKG=$(ht_resolve_kernel_pkg)
    mkdir -p "$kdir"

    deb=$(find "$kdir" -maxdepth 1 -name "${HT_KPKG}_*.deb" -print -quit)
    if [[ -z $deb ]] || ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
        ht_log "Downloading $HT_KPKG (apt-get download)"
        [[ -z $deb ]] || rm -f "$deb"
        local -a aptopts=()
        # apt's _apt sandbox user cannot write to a root-owned cache dir.
        [[ $EUID -ne 0 ]] || aptopts=(-o APT::Sandbox::User=root)
        (cd "$kdir" && apt-get "${aptopts[@]}" -q download "$HT_KPKG") >&2 ||
            ht_die "apt-get download $HT_KPKG failed"
        deb=$(find "$kdir" -maxdepth 1 -name "${HT_KPKG}_*.deb" -print -quit)
        [[ -n $deb ]] || ht_die "apt-get download did not produce ${HT_KPKG}_*.deb in $kdir"
    else
        ht_ok "kernel package cached: $(basename "$deb")"
    fi
    HT_KPKG_VERSION=$(dpkg-deb -f "$deb" Version)

    HT_KROOT="$kdir/${HT_KPKG}_${HT_KPKG_VERSION}"
    if [[ ! -f $HT_KROOT/.extracted ]]; then
        ht_log "Extracting $(basename "$deb")"
        rm -rf "$HT_KROOT"
        tmp="$HT_KROOT.tmp"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        dpkg -x "$deb" "$tmp"
        touch "$tmp/.extracted"
        mv "$tmp" "$HT_KROOT"
    fi

    local -a rels=("$HT_KROOT"/lib/modules/*/)
    [[ ${#rels[@]} -eq 1 && -d ${rels[0]} ]] ||
        ht_die "expected exactly one lib/modules/<release> in $HT_KROOT"
    HT_KREL=$(basename "${rels[0]}")
    HT_VMLINUZ="$HT_KROOT/boot/vmlinuz-$HT_KREL"
    [[ -f $HT_VMLINUZ ]] || ht_die "no vmlinuz in package: $HT_VMLINUZ"
    grep -q '^CONFIG_HIBERNATION=y' "$HT_KROOT/boot/config-$HT_KREL" ||
        ht_die "kernel $HT_KREL is built without CONFIG_HIBERNATION"
    ht_info "kernel: $HT_KPKG $HT_KPKG_VERSION (release $HT_KREL)"
}

# Copy the virtio modules out of the package, decompressing .ko.xz/.ko.zst so
# busybox insmod can load them, and check that the dependency order in
# HT_MODULES is complete. Sets HT_MODDIR (flat dir of <name>.ko files).
ht_prepare_modules() {
    ht_need modinfo xz
    local src="$HT_KROOT/lib/modules/$HT_KREL/kernel" m f dep loaded=" "
    HT_MODDIR="$HT_CACHE/initramfs/$HT_KREL/modules"
    rm -rf "$HT_MODDIR"
    mkdir -p "$HT_MODDIR"
    for m in "${HT_MODULES[@]}"; do
        f=$(find "$src" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) -print -quit)
        [[ -n $f ]] || ht_die "module $m not found under $src"
        case $f in
            *.ko.xz)  xz -dc "$f" >"$HT_MODDIR/$m.ko" ;;
            *.ko.zst) ht_need zstd; zstd -qdc "$f" >"$HT_MODDIR/$m.ko" ;;
            *.ko.gz)  gzip -dc "$f" >"$HT_MODDIR/$m.ko" ;;
            *.ko)     cp "$f" "$HT_MODDIR/$m.ko" ;;
        esac
        # Every dependency must already have been loaded (earlier in the list).
        for dep in $(modinfo -F depends "$HT_MODDIR/$m.ko" | tr ',' ' '); do
            [[ $loaded == *" $dep "* ]] ||
                ht_die "module $m depends on '$dep' which is not loaded before it (fix HT_MODULES)"
        done
        [[ -z $(modinfo -F softdep "$HT_MODDIR/$m.ko") ]] ||
            ht_warn "module $m has softdeps: $(modinfo -F softdep "$HT_MODDIR/$m.ko")"
        loaded+="$m "
    done
}

# ---------------------------------------------------------------------------
# Initramfs
# ---------------------------------------------------------------------------

# The /init run inside the VM. Mode is selected with ht.mode= on the kernel
# command line: "hibernate" (swapon + write image + power off) or "resume"
# (point /sys/power/resume at /dev/vda; the image's shell continues).
ht_init_script() {
    cat <<'EOF'
#!/bin/busybox sh
# hibernate-tool e2e initramfs /init (generated by tests/e2e/lib.sh)
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o size=8m tmpfs /run

say()  { echo "HT_$*"; }
fail() { say "FAIL $*"; poweroff -f; sleep 60; }

mode=$(sed -n 's/.*ht\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
krel=$(uname -r)
say "INIT mode=$mode kernel=$krel"
for m in @MODULES@; do
    insmod "/lib/modules/$krel/$m.ko" || fail "insmod $m"
done
i=0
while [ ! -e /sys/block/vda/dev ]; do
    i=$((i + 1)); [ $i -le 100 ] || fail "no /dev/vda after 10s"
    sleep 0.1
done
VDA=$(cat /sys/block/vda/dev)
say "VDA=$VDA"

case "$mode" in
hibernate)
    swapon /dev/vda || fail "swapon /dev/vda"
    say "SWAPS $(tail -n +2 /proc/swaps | tr -s ' ')"
    # RAM-only marker: a shell variable plus a copy on tmpfs.
    MARKER=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "$MARKER" > /run/ht-marker
    BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
    say "MARKER=$MARKER"
    say "BOOT_ID=$BOOT_ID"
    echo shutdown > /sys/power/disk || fail "echo shutdown > /sys/power/disk"
    say "DISK_MODE $(cat /sys/power/disk)"
    say "HIBERNATING"
    if echo disk > /sys/power/state; then
        # Only reached after the image has been restored by a resume boot.
        say "RESUMED MARKER=$MARKER FILE=$(cat /run/ht-marker) BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)"
        if [ "$MARKER" = "$(cat /run/ht-marker)" ] && [ "$BOOT_ID" = "$(cat /proc/sys/kernel/random/boot_id)" ]; then
            say "RESUME_OK"
        else
            say "FAIL marker/boot_id mismatch after resume"
        fi
    else
        fail "echo disk > /sys/power/state"
    fi
    ;;
resume)
    say "FRESH_BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)"
    say "RESUME_FROM $VDA"
    echo "$VDA" > /sys/power/resume
    fail "resume returned: no hibernation image was restored"
    ;;
*)
    fail "unknown ht.mode='$mode'"
    ;;
esac
poweroff -f
sleep 60
EOF
}

# Build (or reuse) the initramfs for HT_KREL. Sets HT_INITRD, HT_INITRD_HASH.
ht_build_initramfs() {
    local force=${1:-0}
    ht_need cpio gzip
    [[ -x $HT_BUSYBOX ]] || ht_die "$HT_BUSYBOX missing (apt-get install busybox-static)"
    if command -v file >/dev/null 2>&1; then
        file -L "$HT_BUSYBOX" | grep -Eq 'statically linked|static-pie' ||
            ht_die "$HT_BUSYBOX is not statically linked (install busybox-static)"
    fi

    local dir="$HT_CACHE/initramfs/$HT_KREL" init m stamp_new stamp_old=""
    HT_INITRD="$dir/initrd.img"
    init=$(ht_init_script | sed "s/@MODULES@/${HT_MODULES[*]}/")
    mkdir -p "$dir"
    ht_prepare_modules
    stamp_new=$({
        printf 'krel=%s\npkgver=%s\n' "$HT_KREL" "$HT_KPKG_VERSION"
        printf '%s\n' "$init"
        sha256sum "$HT_BUSYBOX" | cut -d' ' -f1
        for m in "${HT_MODULES[@]}"; do sha256sum "$HT_MODDIR/$m.ko" | cut -d' ' -f1; done
    } | ht_sha)
    [[ ! -f $dir/initrd.stamp ]] || stamp_old=$(cat "$dir/initrd.stamp")
    if [[ $force != 1 && -f $HT_INITRD && $stamp_old == "$stamp_new" ]]; then
        ht_ok "initramfs cached: $HT_INITRD ($stamp_new)"
        HT_INITRD_HASH=$stamp_new
        return
    fi

    ht_log "Building initramfs ($stamp_new)"
    local stage
    stage=$(mktemp -d "$dir/stage.XXXXXX")
    mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,sbin,usr/bin,usr/sbin,lib/modules/"$HT_KREL"}
    cp "$HT_BUSYBOX" "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    printf '%s\n' "$init" >"$stage/init"
    chmod 755 "$stage/init"
    cp "$HT_MODDIR"/*.ko "$stage/lib/modules/$HT_KREL/"
    # /dev/console lets the kernel give init a console before devtmpfs is
    # mounted; /init re-opens it anyway, so this is best effort (needs root).
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0 | gzip -9n) >"$HT_INITRD.tmp"
    mv "$HT_INITRD.tmp" "$HT_INITRD"
    rm -rf "$stage"
    printf '%s\n' "$stamp_new" >"$dir/initrd.stamp"
    HT_INITRD_HASH=$stamp_new
    ht_info "initrd: $HT_INITRD ($(du -h "$HT_INITRD" | cut -f1))"
}

# ---------------------------------------------------------------------------
# Swap image + header inspection
# ---------------------------------------------------------------------------

# ht_make_swap FILE: fresh sparse swap file with a fixed UUID and label.
ht_make_swap() {
    local f=$1
    rm -f "$f"
    truncate -s "${HT_SWAP_SIZE_MIB}M" "$f"
    # The file is the guest's /dev/vda, so mkswap's "contains holes" warning
    # about host swap files does not apply; only show output on failure.
    local out
    out=$(mkswap -U "$HT_SWAP_UUID" -L "$HT_SWAP_LABEL" "$f" 2>&1) ||
        ht_die "mkswap $f failed: $out"
}

_ht_hdr_str() { dd if="$1" bs=1 skip="$2" count=10 status=none | tr -d '\0'; }
_ht_hdr_u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
_ht_hdr_u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }

# ht_read_header FILE: sets HDR_SIG HDR_ORIG_SIG HDR_FLAGS HDR_IMAGE HDR_CRC32 HDR_HW_SIG
ht_read_header() {
    local f=$1
    HDR_SIG=$(_ht_hdr_str "$f" $HT_HDR_OFF_SIG)
    HDR_ORIG_SIG=$(_ht_hdr_str "$f" $HT_HDR_OFF_ORIG_SIG)
    HDR_FLAGS=$(_ht_hdr_u32 "$f" $HT_HDR_OFF_FLAGS)
    HDR_IMAGE=$(_ht_hdr_u64 "$f" $HT_HDR_OFF_IMAGE)
    HDR_CRC32=$(printf '0x%08x' "$(_ht_hdr_u32 "$f" $HT_HDR_OFF_CRC32)")
    HDR_HW_SIG=$(printf '0x%08x' "$(_ht_hdr_u32 "$f" $HT_HDR_OFF_HW_SIG)")
}

# ht_has_image FILE: true if the swap header carries the S1SUSPEND signature.
ht_has_image() {
    [[ -f $1 ]] && [[ $(_ht_hdr_str "$1" $HT_HDR_OFF_SIG) == S1SUSPEND ]]
}

# ---------------------------------------------------------------------------
# QEMU
# ---------------------------------------------------------------------------

# ht_boot LOG DISK CMDLINE_EXTRA
# Boots the cached kernel+initramfs with DISK as virtio disk, serial console
# to LOG. Sets HT_BOOT_RC (qemu/timeout exit code) and HT_BOOT_SECONDS.
ht_boot() {
    local log=$1 disk=$2 extra=$3 t0 t1
    ht_need "$HT_QEMU" timeout
    local -a cmd=(timeout --foreground -k 10 "$HT_BOOT_TIMEOUT"
        "$HT_QEMU" -accel tcg -m "$HT_QEMU_MEM" -smp 1
        -nographic -no-reboot -nodefaults -serial stdio -monitor none
        -kernel "$HT_VMLINUZ" -initrd "$HT_INITRD"
        -append "$HT_BASE_CMDLINE $extra"
        -drive "file=$disk,format=raw,if=virtio,cache=unsafe")
    ht_info "qemu: -append \"$HT_BASE_CMDLINE $extra\" (timeout ${HT_BOOT_TIMEOUT}s)"
    printf '# %q ' "${cmd[@]}" >"$log"
    printf '\n' >>"$log"
    t0=$(date +%s.%N)
    set +e
    "${cmd[@]}" </dev/null 2>&1 | tr -d '\r' | tee -a "$log" |
        if [[ $HT_VERBOSE == 1 ]]; then sed -u 's/^/    | /'; else
            grep --line-buffered -E '^HT_|\] PM: |reboot: |Kernel panic' | sed -u 's/^/    | /'; fi >&2
    local -a st=("${PIPESTATUS[@]}")
    set -e
    t1=$(date +%s.%N)
    HT_BOOT_RC=${st[0]}
    HT_BOOT_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    ht_info "boot finished: rc=$HT_BOOT_RC, ${HT_BOOT_SECONDS}s wall"
}

# ht_log_value LOG SED-REGEX: first captured group of the first matching line.
ht_log_value() {
    sed -n "s/$2/\\1/p" "$1" | head -n1
}
