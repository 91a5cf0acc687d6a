# shellcheck shell=bash
# shellcheck disable=SC2034  # globals (RT_*) are consumed by test-resume.sh
# Helpers for tests/e2e/test-resume.sh: resume through hibernate-tool in QEMU.
# Source after lib.sh (kernel fetch, swap header parsing, logging). Everything big lives
# under $HT_CACHE; see tests/e2e/README.md ("Resume tests").

RT_DIR="$HT_CACHE/resume"
RT_MIRROR=${HT_DEBIAN_MIRROR:-}
RT_SUITE=${HT_DEBIAN_SUITE:-bookworm}
RT_DATA_UUID=${HT_DATA_UUID:-3c9e7a51-6d2b-4f80-a1c4-7e5d9b0f2a6c}
RT_ROOT_UUID=${HT_ROOT_UUID:-5b1f0c3a-9e7d-4a26-8c45-0d2e6f8a1b97}
RT_DATA_SIZE_MIB=64
RT_ROOT_SIZE_MIB=96
# busybox initramfs and root fs: virtio disks + ext4 (crc32c is requested by ext4/jbd2
# through the crypto API, so it is loaded up front).
RT_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
            crc32c_generic crc16 mbcache jbd2 ext4)
# Bump when the chroot recipes change (cached chroots are rebuilt).
RT_CHROOT_VERSION=1

rt_skip() {
    if [[ -n ${HT_REQUIRE_ALL:-} ]]; then
        ht_warn "cannot run here and HT_REQUIRE_ALL is set: $*"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

# The Debian mirror apt on this machine uses (deb822 or one-line sources), for debootstrap.
rt_mirror() {
    if [[ -n $RT_MIRROR ]]; then printf '%s\n' "$RT_MIRROR"; return; fi
    local m
    m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ { u = $2 } /^Suites:/ && u != "" { for (i = 2; i <= NF; i++) if ($i == "'"$RT_SUITE"'") { print u; exit } }')
    [[ -n $m ]] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $0 ~ /[[:space:]]'"$RT_SUITE"'[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }')
    printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

# ---------------------------------------------------------------------------
# Files into a staging tree
# ---------------------------------------------------------------------------

# rt_copy_exec STAGE FILE [DEST]: FILE (at DEST, default its own path) and every shared
# library ldd lists, at their paths, into STAGE. Symlinked libraries are copied as files.
rt_copy_exec() {
    local stage=$1 src=$2 dest=${3:-$2} lib
    mkdir -p "$stage$(dirname "$dest")"
    cp -L "$src" "$stage$dest"
    while read -r lib; do
        [[ -n $lib && -e $lib ]] || continue
        [[ -e $stage$lib ]] && continue
        mkdir -p "$stage$(dirname "$lib")"
        cp -L "$lib" "$stage$lib"
    done < <(ldd "$src" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}

# Copy RT_MODULES out of the kernel package (decompressed, dependency order checked).
# Sets RT_MODDIR.
rt_prepare_modules() {
    local src="$HT_KROOT/lib/modules/$HT_KREL/kernel" m f dep loaded=" "
    RT_MODDIR="$RT_DIR/modules-$HT_KREL"
    if [[ -f $RT_MODDIR/.done && $(cat "$RT_MODDIR/.done") == "${RT_MODULES[*]}" ]]; then return; fi
    rm -rf "$RT_MODDIR"
    mkdir -p "$RT_MODDIR"
    for m in "${RT_MODULES[@]}"; do
        f=$(find "$src" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) -print -quit)
        [[ -n $f ]] || ht_die "module $m not found under $src"
        case $f in
            *.ko.xz)  xz -dc "$f" >"$RT_MODDIR/$m.ko" ;;
            *.ko.zst) zstd -qdc "$f" >"$RT_MODDIR/$m.ko" ;;
            *.ko)     cp "$f" "$RT_MODDIR/$m.ko" ;;
        esac
        for dep in $(modinfo -F depends "$RT_MODDIR/$m.ko" | tr ',' ' '); do
            [[ $loaded == *" $dep "* ]] || ht_die "module $m needs '$dep' loaded before it (fix RT_MODULES)"
        done
        loaded+="$m "
    done
    printf '%s\n' "${RT_MODULES[*]}" >"$RT_MODDIR/.done"
}

# ht-time (tests/e2e/ht-time.c), static. Sets RT_TIMER.
rt_build_timer() {
    local src="$HT_E2E_DIR/ht-time.c" sum
    sum=$(sha256sum <"$src" | cut -c1-16)
    RT_TIMER="$RT_DIR/ht-time-$sum"
    [[ -x $RT_TIMER ]] && return
    local cc
    cc=$(command -v cc || command -v gcc) || rt_skip "no C compiler to build tests/e2e/ht-time.c"
    "$cc" -static -O2 -o "$RT_TIMER.tmp" "$src" || rt_skip "cannot link tests/e2e/ht-time.c statically (libc6-dev?)"
    mv "$RT_TIMER.tmp" "$RT_TIMER"
}

# cpio (newc, gzip) of a staging tree into FILE.
rt_pack_cpio() {
    local stage=$1 out=$2
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0 | gzip -6n) >"$out.tmp"
    mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------------------
# The busybox initramfs (scenarios under our control)
# ---------------------------------------------------------------------------

# /init of the busybox initramfs. Kernel command line switches:
#   ht.mode=hibernate  swapon /dev/vda; with ht.data: mount /dev/vdb rw on /data and
#                      write /data/payload; `hibernate-tool record`; echo disk.
#   ht.mode=boot       run `hibernate-tool resume` (timed by ht-time) as the initramfs
#                      would, then the actions in ht.after=swapon,mountdata
#   ht.late=N          boot mode: virtio_blk is loaded N s after the helper started
#   ht.nodisk          boot mode: virtio_blk is never loaded (the device never appears)
#   ht.repeat=N        boot mode: run the helper N times (timing)
#   ht.calibrate       boot mode: also time a static no-op and `hibernate-tool --help`
rt_bb_init() {
    cat <<'EOF'
#!/bin/busybox sh
# hibernate-tool resume e2e initramfs /init (generated by tests/e2e/resume-lib.sh)
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /data /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o size=16m,mode=0755 tmpfs /run

say()  { echo "HT_$*"; }
fail() { say "FAIL $*"; poweroff -f; sleep 60; }
arg() {
    for x in $(cat /proc/cmdline); do
        case $x in "$1"=*) echo "${x#*=}"; return ;; "$1") echo 1; return ;; esac
    done
}
wait_blk() {
    i=0
    while [ ! -e "/sys/block/$1/dev" ]; do
        i=$((i + 1)); [ $i -le 100 ] || fail "no /dev/$1 after 10s"
        sleep 0.1
    done
}
mode=$(arg ht.mode); late=$(arg ht.late); nodisk=$(arg ht.nodisk)
after=$(arg ht.after); data=$(arg ht.data); repeat=$(arg ht.repeat)
krel=$(uname -r)
say "INIT mode=$mode kernel=$krel"
for m in @MODULES@; do
    if [ "$m" = virtio_blk ] && [ -n "$late$nodisk" ]; then continue; fi
    insmod "/lib/modules/$krel/$m.ko" || fail "insmod $m"
done

helper() {
    say "HELPER_START"
    /usr/bin/ht-time /usr/sbin/hibernate-tool resume
    say "HELPER_RETURNED rc=$?"
}

case "$mode" in
hibernate)
    wait_blk vda
    swapon /dev/vda || fail "swapon /dev/vda"
    if [ -n "$data" ]; then
        wait_blk vdb
        mount -t ext4 -o rw /dev/vdb /data || fail "mount /dev/vdb"
        dd if=/dev/urandom of=/data/payload bs=4096 count=64 2>/dev/null || fail "write payload"
        sync
        say "PAYLOAD_SHA=$(sha256sum /data/payload | cut -d' ' -f1)"
    fi
    MARKER=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "$MARKER" > /run/ht-marker
    BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
    say "MARKER=$MARKER"
    say "BOOT_ID=$BOOT_ID"
    /usr/sbin/hibernate-tool record
    say "RECORD_RC=$?"
    echo shutdown > /sys/power/disk || fail "echo shutdown > /sys/power/disk"
    say "HIBERNATING"
    if echo disk > /sys/power/state; then
        say "RESUMED MARKER=$MARKER FILE=$(cat /run/ht-marker) BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)"
        if [ "$MARKER" = "$(cat /run/ht-marker)" ] && [ "$BOOT_ID" = "$(cat /proc/sys/kernel/random/boot_id)" ]; then
            say "RESUME_OK"
        else
            say "FAIL marker/boot_id mismatch after resume"
        fi
        if [ -n "$data" ]; then
            say "RESUMED_PAYLOAD_SHA=$(sha256sum /data/payload | cut -d' ' -f1)"
            umount /data || say "FAIL umount /data after resume"
        fi
        swapoff /dev/vda || say "FAIL swapoff after resume"
    else
        fail "echo disk > /sys/power/state"
    fi
    ;;
boot)
    say "FRESH_BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)"
    if [ -n "$late" ]; then
        helper &
        hp=$!
        sleep "$late"
        say "LOADING virtio_blk"
        insmod "/lib/modules/$krel/virtio_blk.ko" || fail "insmod virtio_blk"
        wait $hp
    else
        n=${repeat:-1}
        while [ "$n" -gt 0 ]; do helper; n=$((n - 1)); done
    fi
    if [ -n "$(arg ht.calibrate)" ]; then
        # What emulation costs: a static no-op, and the helper's start-up alone.
        /usr/bin/ht-time /bin/busybox true 2>&1 | sed 's/^HT_TIMED/HT_CALIB_NOOP/'
        /usr/bin/ht-time /usr/sbin/hibernate-tool --help 2>&1 >/dev/null | sed 's/^HT_TIMED/HT_CALIB_HELP/'
    fi
    if [ -f /run/hibernate-tool/last-resume ]; then
        sed 's/^/HT_LAST_/' /run/hibernate-tool/last-resume
    else
        say "NO_LAST_RESUME"
    fi
    say "BOOT_CONTINUES"
    for a in $(echo "$after" | tr ',' ' '); do
        case $a in
        swapon)
            if swapon /dev/vda; then say "SWAPON_OK"; swapoff /dev/vda; else say "SWAPON_FAILED"; fi ;;
        mountdata)
            wait_blk vdb
            if mount -t ext4 /dev/vdb /data; then
                say "DATA_PAYLOAD_SHA=$(sha256sum /data/payload | cut -d' ' -f1)"
                umount /data
            else
                say "DATA_MOUNT_FAILED"
            fi ;;
        esac
    done
    ;;
*)
    fail "unknown ht.mode='$mode'"
    ;;
esac
sync
poweroff -f
sleep 60
EOF
}

# Build the busybox initramfs with the helper. Sets RT_BB_INITRD.
rt_build_bb_initrd() {
    local init stamp dir="$RT_DIR/bb"
    rt_prepare_modules
    rt_build_timer
    init=$(rt_bb_init | sed "s/@MODULES@/${RT_MODULES[*]}/")
    mkdir -p "$dir"
    RT_BB_INITRD="$dir/initrd.img"
    stamp=$({
        printf '%s\n' "$HT_KREL" "$init"
        sha256sum "$HT_BUSYBOX" "$HIBERNATE_TOOL" "$RT_TIMER" "$RT_MODDIR"/*.ko | cut -d' ' -f1
        { ldd "$HIBERNATE_TOOL" 2>/dev/null || true; } | sed "s/ (0x[0-9a-f]*)//"
    } | ht_sha)
    if [[ -f $RT_BB_INITRD && -f $dir/stamp && $(cat "$dir/stamp") == "$stamp" ]]; then
        ht_ok "busybox initramfs cached ($stamp)"
        return
    fi
    ht_log "Building busybox initramfs with hibernate-tool ($stamp)"
    local stage
    stage=$(mktemp -d "$dir/stage.XXXXXX")
    mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,data,sbin,usr/bin,usr/sbin,lib/modules/"$HT_KREL"}
    cp "$HT_BUSYBOX" "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    printf '%s\n' "$init" >"$stage/init"
    chmod 755 "$stage/init"
    cp "$RT_MODDIR"/*.ko "$stage/lib/modules/$HT_KREL/"
    cp "$RT_TIMER" "$stage/usr/bin/ht-time"
    rt_copy_exec "$stage" "$HIBERNATE_TOOL" /usr/sbin/hibernate-tool
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
    rt_pack_cpio "$stage" "$RT_BB_INITRD"
    rm -rf "$stage"
    printf '%s\n' "$stamp" >"$dir/stamp"
    ht_info "initrd: $RT_BB_INITRD ($(du -h "$RT_BB_INITRD" | cut -f1))"
}

# ---------------------------------------------------------------------------
# Disks
# ---------------------------------------------------------------------------

# rt_make_data FILE: empty ext4 data disk with a fixed UUID.
rt_make_data() {
    rm -f "$1"
    truncate -s "${RT_DATA_SIZE_MIB}M" "$1"
    mkfs.ext4 -q -F -U "$RT_DATA_UUID" -L htdata "$1" || ht_die "mkfs.ext4 $1"
}

# rt_copy SRC DST: sparse copy of a disk image.
rt_copy() { rm -f "$2"; cp --sparse=always "$1" "$2"; }

# ext4 superblock fields of an image file (dumpe2fs -h).
rt_ext_field() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2:[[:space:]]*//p"; }

# sha256 of a file inside an ext4 image (debugfs; no mount).
rt_ext_sha() { debugfs -R "cat $2" "$1" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# ---------------------------------------------------------------------------
# QEMU
# ---------------------------------------------------------------------------

# rt_boot LOG INITRD CMDLINE DISK...: boot the cached kernel with INITRD and the disks as
# virtio drives (vda, vdb, ...). Sets RT_RC and RT_SECONDS. Shows HT_/hibernate-tool/PM
# lines (everything with HT_VERBOSE=1); the whole console is in LOG.
rt_boot() {
    local log=$1 initrd=$2 extra=$3 t0 t1 d
    shift 3
    local -a cmd=(timeout --foreground -k 10 "${RT_BOOT_TIMEOUT:-$HT_BOOT_TIMEOUT}"
        "$HT_QEMU" -accel tcg -m "$HT_QEMU_MEM" -smp 1
        -nographic -no-reboot -nodefaults -serial stdio -monitor none
        -kernel "$HT_VMLINUZ" -initrd "$initrd"
        -append "$HT_BASE_CMDLINE $extra")
    for d in "$@"; do cmd+=(-drive "file=$d,format=raw,if=virtio,cache=unsafe"); done
    ht_info "qemu: -append \"$HT_BASE_CMDLINE $extra\" ($# disks)"
    printf '# %q ' "${cmd[@]}" >"$log"
    printf '\n' >>"$log"
    t0=$(date +%s.%N)
    set +e
    "${cmd[@]}" </dev/null 2>&1 | tr -d '\r' | tee -a "$log" |
        if [[ $HT_VERBOSE == 1 ]]; then sed -u 's/^/    | /'; else
            grep --line-buffered -E '^HT_|hibernate-tool|\] PM: (hibernation: |Image |Loading|Read|Using)|reboot: |Kernel panic' |
            sed -u 's/^/    | /'; fi >&2
    local -a st=("${PIPESTATUS[@]}")
    set -e
    t1=$(date +%s.%N)
    RT_RC=${st[0]}
    RT_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    ht_info "boot finished: rc=$RT_RC, ${RT_SECONDS}s wall"
}

# ---------------------------------------------------------------------------
# Root file system (for the initramfs-tools and dracut scenarios)
# ---------------------------------------------------------------------------

# /sbin/init of the root file system: a "real system" that hibernates (ht.mode=hibernate)
# or reports how it got here and powers off.
rt_root_init() {
    cat <<'EOF'
#!/bin/busybox sh
# hibernate-tool resume e2e root file system /sbin/init (generated by tests/e2e/resume-lib.sh)
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -e /sys/kernel ] || mount -t sysfs sysfs /sys
[ -e /dev/console ] || mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
grep -q ' /run ' /proc/mounts || mount -t tmpfs -o mode=0755 tmpfs /run

say()  { echo "HT_$*"; }
fail() { say "FAIL $*"; sync; poweroff -f; sleep 60; }
arg() {
    for x in $(cat /proc/cmdline); do
        case $x in "$1"=*) echo "${x#*=}"; return ;; "$1") echo 1; return ;; esac
    done
}
say "ROOT_REACHED $(grep ' / ' /proc/mounts | head -n1)"
if [ -f /run/hibernate-tool/last-resume ]; then
    sed 's/^/HT_LAST_/' /run/hibernate-tool/last-resume
else
    say "NO_LAST_RESUME"
fi
mode=$(arg ht.mode)
case "$mode" in
hibernate)
    mount -o remount,rw / || fail "remount / rw"
    swapon /dev/vda || fail "swapon /dev/vda"
    dd if=/dev/urandom of=/payload bs=4096 count=16 2>/dev/null || fail "write /payload"
    sync
    say "PAYLOAD_SHA=$(sha256sum /payload | cut -d' ' -f1)"
    MARKER=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "$MARKER" > /run/ht-marker
    BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
    say "MARKER=$MARKER"
    say "BOOT_ID=$BOOT_ID"
    @HELPER@ record
    say "RECORD_RC=$?"
    echo shutdown > /sys/power/disk || fail "echo shutdown > /sys/power/disk"
    say "HIBERNATING"
    if echo disk > /sys/power/state; then
        say "RESUMED MARKER=$MARKER FILE=$(cat /run/ht-marker) BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)"
        if [ "$MARKER" = "$(cat /run/ht-marker)" ] && [ "$BOOT_ID" = "$(cat /proc/sys/kernel/random/boot_id)" ]; then
            say "RESUME_OK"
        else
            say "FAIL marker/boot_id mismatch after resume"
        fi
        say "RESUMED_PAYLOAD_SHA=$(sha256sum /payload | cut -d' ' -f1)"
        swapoff /dev/vda || say "FAIL swapoff after resume"
    else
        fail "echo disk > /sys/power/state"
    fi
    ;;
esac
sync
mount -o remount,ro / 2>/dev/null
poweroff -f
sleep 60
EOF
}

# rt_build_rootfs HELPER_PATH: ext4 image with busybox, the helper (+ libraries) at
# HELPER_PATH and /sbin/init. Sets RT_ROOTFS (pristine; boot a copy).
rt_build_rootfs() {
    local helper_path=$1 dir="$RT_DIR/rootfs" init stamp
    init=$(rt_root_init | sed "s|@HELPER@|$helper_path|")
    RT_ROOTFS="$dir/root.img"
    mkdir -p "$dir"
    stamp=$({
        printf '%s\n' "$init" "$RT_ROOT_UUID" "$RT_ROOT_SIZE_MIB"
        sha256sum "$HT_BUSYBOX" "$HIBERNATE_TOOL" | cut -d' ' -f1
        { ldd "$HIBERNATE_TOOL" 2>/dev/null || true; } | sed "s/ (0x[0-9a-f]*)//"
    } | ht_sha)
    if [[ -f $RT_ROOTFS && -f $dir/stamp && $(cat "$dir/stamp") == "$stamp" ]]; then
        ht_ok "root file system cached ($stamp)"
        return
    fi
    ht_log "Building root file system image ($stamp)"
    local stage
    stage=$(mktemp -d "$dir/stage.XXXXXX")
    mkdir -p "$stage"/{bin,sbin,dev,proc,sys,run,tmp,etc,root,usr/bin,usr/sbin}
    cp "$HT_BUSYBOX" "$stage/bin/busybox"
    local a
    for a in $("$HT_BUSYBOX" --list); do
        [[ $a == busybox ]] || ln -sf busybox "$stage/bin/$a"
    done
    printf '%s\n' "$init" >"$stage/sbin/init"
    chmod 755 "$stage/sbin/init"
    rt_copy_exec "$stage" "$HIBERNATE_TOOL" "$helper_path"
    touch "$stage/etc/fstab"
    # systemd's switch-root only enters an OS tree (os-release).
    printf 'ID=hibernate-tool-e2e\nNAME="hibernate-tool e2e root"\n' >"$stage/etc/os-release"
    rm -f "$RT_ROOTFS.tmp"
    truncate -s "${RT_ROOT_SIZE_MIB}M" "$RT_ROOTFS.tmp"
    mkfs.ext4 -q -F -U "$RT_ROOT_UUID" -L htroot -d "$stage" "$RT_ROOTFS.tmp" || ht_die "mkfs.ext4 -d (root)"
    mv "$RT_ROOTFS.tmp" "$RT_ROOTFS"
    rm -rf "$stage"
    printf '%s\n' "$stamp" >"$dir/stamp"
}

# ---------------------------------------------------------------------------
# Debian chroots with the real initramfs generators
# ---------------------------------------------------------------------------

# rt_in_chroot DIR CMD...: run CMD in the chroot with /proc, /sys, /dev mounted in a
# private mount namespace (the mounts vanish with it).
rt_in_chroot() {
    local dir=$1
    shift
    unshare -m --propagation private -- /bin/sh -c '
        d=$1; shift
        mount -t proc proc "$d/proc" && mount -t sysfs sysfs "$d/sys" &&
        mount --rbind /dev "$d/dev" || exit 1
        exec chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
            DEBIAN_FRONTEND=noninteractive "$@"' rt-chroot "$dir" "$@"
}

# rt_base_chroot: debootstrap --variant=minbase (cached). Sets RT_BASE.
rt_base_chroot() {
    local mirror
    mirror=$(rt_mirror)
    RT_BASE="$RT_DIR/chroot/base-$RT_SUITE"
    local want="v$RT_CHROOT_VERSION $RT_SUITE $mirror"
    if [[ -f $RT_BASE/.ht-done && $(cat "$RT_BASE/.ht-done") == "$want" ]]; then
        ht_ok "base chroot cached: $RT_BASE"
        return
    fi
    command -v debootstrap >/dev/null || rt_skip "debootstrap is not installed (apt-get install debootstrap)"
    ht_log "debootstrap --variant=minbase $RT_SUITE from $mirror (once; cached)"
    rm -rf "$RT_BASE" "$RT_BASE.tmp"
    mkdir -p "$(dirname "$RT_BASE")"
    debootstrap --variant=minbase --include=kmod,libtomlplusplus3,zstd \
        "$RT_SUITE" "$RT_BASE.tmp" "$mirror" >"$RT_DIR/chroot/debootstrap.log" 2>&1 ||
        ht_die "debootstrap failed (see $RT_DIR/chroot/debootstrap.log)"
    printf '#!/bin/sh\nexit 101\n' >"$RT_BASE.tmp/usr/sbin/policy-rc.d"
    chmod 755 "$RT_BASE.tmp/usr/sbin/policy-rc.d"
    printf '%s\n' "$want" >"$RT_BASE.tmp/.ht-done"
    mv "$RT_BASE.tmp" "$RT_BASE"
}

# rt_tool_chroot NAME PACKAGE...: the base chroot plus PACKAGEs (apt-get in the chroot)
# and the kernel's modules (hardlinked from the unpacked package). Sets RT_CHROOT.
rt_tool_chroot() {
    local name=$1
    shift
    rt_base_chroot
    RT_CHROOT="$RT_DIR/chroot/$name"
    local want
    want="v$RT_CHROOT_VERSION $(cat "$RT_BASE/.ht-done") pkgs=$* kernel=$HT_KPKG $HT_KPKG_VERSION"
    if [[ -f $RT_CHROOT/.ht-done && $(cat "$RT_CHROOT/.ht-done") == "$want" ]]; then
        ht_ok "$name chroot cached: $RT_CHROOT"
        return
    fi
    ht_log "Preparing the $name chroot: apt-get install $* (once; cached)"
    local tmp="$RT_CHROOT.tmp"
    rm -rf "$RT_CHROOT" "$tmp"
    cp -a "$RT_BASE" "$tmp"
    rm -f "$tmp/.ht-done"
    {
        rt_in_chroot "$tmp" apt-get update &&
        rt_in_chroot "$tmp" apt-get install -y --no-install-recommends "$@" &&
        rt_in_chroot "$tmp" apt-get clean
    } >"$RT_DIR/chroot/$name.log" 2>&1 || ht_die "apt-get in the $name chroot failed (see $RT_DIR/chroot/$name.log)"
    mkdir -p "$tmp/lib/modules" "$tmp/boot"
    cp -al "$HT_KROOT/lib/modules/$HT_KREL" "$tmp/lib/modules/"
    cp "$HT_KROOT/boot/config-$HT_KREL" "$HT_KROOT/boot/System.map-$HT_KREL" "$tmp/boot/" 2>/dev/null ||
        cp "$HT_KROOT/boot/config-$HT_KREL" "$tmp/boot/"
    rt_in_chroot "$tmp" depmod -a "$HT_KREL" >>"$RT_DIR/chroot/$name.log" 2>&1 || ht_die "depmod in the $name chroot"
    printf '%s\n' "$want" >"$tmp/.ht-done"
    mv "$tmp" "$RT_CHROOT"
}

# rt_install_project CHROOT: the helper (+ generator) at their configured paths and the
# boot/ integration files at their installed paths, from the build tree.
rt_install_project() {
    local c=$1
    install -D -m 755 "$HIBERNATE_TOOL" "$c$RT_HELPER_PATH"
    if [[ -n ${HT_GENERATOR:-} && -x ${HT_GENERATOR:-} ]]; then
        install -D -m 755 "$HT_GENERATOR" "$c$RT_GENERATOR_PATH"
    fi
    install -D -m 755 "$HT_BOOT_BUILD/initramfs-tools-hook" "$c/usr/share/initramfs-tools/hooks/hibernate-tool"
    install -D -m 755 "$HT_BOOT_BUILD/initramfs-tools-local-premount" \
        "$c/usr/share/initramfs-tools/scripts/local-premount/hibernate-tool"
    install -D -m 755 "$HT_BOOT_BUILD/dracut-module-setup.sh" "$c/usr/lib/dracut/modules.d/90hibernate-tool/module-setup.sh"
    install -D -m 755 "$HT_BOOT_BUILD/dracut-hibernate-tool-resume.sh" \
        "$c/usr/lib/dracut/modules.d/90hibernate-tool/hibernate-tool-resume.sh"
    # not installed by the package: hibernate-tool setup writes it where the admin's go
    install -D -m 644 "$HT_SRC/boot/dracut/dracut.conf.d/90-hibernate-tool.conf" \
        "$c/etc/dracut.conf.d/90-hibernate-tool.conf"
}
