#!/usr/bin/env bash
# Produce REAL Linux hibernation images (swap partitions holding a swsusp
# image) by booting Debian's kernel in QEMU (TCG) with a busybox initramfs and
# letting it hibernate to a virtio swap disk. See tests/e2e/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Bump when the meaning of the produced artefacts changes.
HT_HARNESS_VERSION=1

# name -> extra kernel command line for the hibernating boot
declare -A IMAGE_CMDLINE=(
    [lzo]="ht.mode=hibernate"
    [nocompress]="ht.mode=hibernate hibernate=nocompress"
)
ALL_IMAGES=(lzo nocompress)

usage() {
    cat <<EOF
Usage: $0 [--force] [--verify-resume] [--only NAME]... [-h]

Builds hibernation images in \$HT_CACHE (default /var/cache/hibernate-tool-tests):
  images/lzo.img         default (LZO-compressed) image, + lzo.env / lzo.log
  images/nocompress.img  image written with hibernate=nocompress, + .env / .log

Options:
  --force          rebuild the initramfs and re-run every boot, ignoring caches
  --verify-resume  also boot a sparse copy of each image with /sys/power/resume
                   set and check the RAM marker survived (records NAME.resume.env)
  --only NAME      restrict to one image (lzo|nocompress); may be repeated
  -h, --help       this help

Environment: HT_CACHE HT_BOOT_TIMEOUT(=$HT_BOOT_TIMEOUT) HT_QEMU_MEM(=$HT_QEMU_MEM)
             HT_SWAP_SIZE_MIB(=$HT_SWAP_SIZE_MIB) HT_VERBOSE=1 (stream whole serial console)
EOF
}

FORCE=0
VERIFY=0
SELECTED=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --force) FORCE=1 ;;
        --verify-resume) VERIFY=1 ;;
        --only)
            [[ $# -ge 2 && -n ${IMAGE_CMDLINE[${2:-}]+x} ]] || ht_die "--only needs one of: ${ALL_IMAGES[*]}"
            SELECTED+=("$2"); shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; ht_die "unknown argument: $1" ;;
    esac
    shift
done
[[ ${#SELECTED[@]} -gt 0 ]] || SELECTED=("${ALL_IMAGES[@]}")

# KEY=VALUE writer: bare when safe, otherwise single-quoted.
env_kv() {
    if [[ $2 =~ ^[A-Za-z0-9._:/+@%=-]*$ ]]; then printf '%s=%s\n' "$1" "$2"
    else printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; fi
}

image_inputs_hash() {
    local name=$1
    {
        printf 'harness=%s\nkrel=%s\nkpkg=%s %s\ninitrd=%s\n' \
            "$HT_HARNESS_VERSION" "$HT_KREL" "$HT_KPKG" "$HT_KPKG_VERSION" "$HT_INITRD_HASH"
        printf 'cmdline=%s %s\nmem=%s\nswap=%s %s %s\n' "$HT_BASE_CMDLINE" "${IMAGE_CMDLINE[$name]}" \
            "$HT_QEMU_MEM" "$HT_SWAP_SIZE_MIB" "$HT_SWAP_UUID" "$HT_SWAP_LABEL"
        sha256sum "$HT_VMLINUZ" | cut -d' ' -f1
    } | ht_sha
}

# Read one KEY from a .env file without sourcing it into our namespace.
# shellcheck disable=SC1090
env_get() { ( set +u; . "$1"; eval "printf '%s' \"\${$2:-}\"" ); }

# ---------------------------------------------------------------------------
make_image() {
    local name=$1 imgdir="$HT_CACHE/images"
    local img="$imgdir/$name.img" env="$imgdir/$name.env" log="$imgdir/$name.log"
    local hash compressed=1
    [[ ${IMAGE_CMDLINE[$name]} != *hibernate=nocompress* ]] || compressed=0
    hash=$(image_inputs_hash "$name")

    ht_log "Image '$name' (inputs $hash)"
    if [[ $FORCE != 1 && -f $env && $(env_get "$env" INPUTS_HASH) == "$hash" ]] && ht_has_image "$img"; then
        ht_ok "cached: $img (S1SUSPEND present, metadata up to date)"
        return
    fi

    mkdir -p "$imgdir"
    rm -f "$env" "$imgdir/$name.resume.env"
    local tmp="$img.tmp"
    ht_make_swap "$tmp"
    ht_info "swap: $tmp (${HT_SWAP_SIZE_MIB} MiB, UUID $HT_SWAP_UUID, label $HT_SWAP_LABEL)"
    ht_log "Booting '$name' to hibernate"
    ht_boot "$log" "$tmp" "${IMAGE_CMDLINE[$name]}"

    # --- did the kernel really write an image and power off by itself? ---
    local why=""
    case $HT_BOOT_RC in
        0) ;;
        124|137) why="VM timed out after ${HT_BOOT_TIMEOUT}s" ;;
        *) why="qemu exited with status $HT_BOOT_RC" ;;
    esac
    [[ -n $why ]] || ! grep -q '^HT_FAIL' "$log" || why="guest: $(grep -m1 '^HT_FAIL' "$log")"
    [[ -n $why ]] || grep -q '^HT_HIBERNATING' "$log" || why="guest never reached 'echo disk > /sys/power/state'"
    [[ -n $why ]] || ! grep -q '^HT_RESUMED' "$log" || why="echo disk returned in the hibernating boot (no power-off)"
    [[ -n $why ]] || ! grep -q 'Kernel panic' "$log" || why="kernel panic: $(grep -m1 'Kernel panic' "$log")"
    [[ -n $why ]] || grep -q 'PM: Image saving done' "$log" || why="kernel never printed 'PM: Image saving done'"
    [[ -n $why ]] || grep -q 'reboot: Power down' "$log" || why="VM did not power off on its own ('reboot: Power down' missing)"
    if [[ -n $why ]]; then
        ht_die "image '$name' NOT written: $why (serial log: $log)"
    fi

    local copied saved marker boot_id wrote
    copied=$(ht_log_value "$log" '.*PM: hibernation: Image created (\([0-9]*\) pages copied).*')
    if [[ $compressed == 1 ]]; then
        saved=$(ht_log_value "$log" '.*PM: Compressing and saving image data (\([0-9]*\) pages).*')
    else
        saved=$(ht_log_value "$log" '.*PM: Saving image data pages (\([0-9]*\) pages).*')
    fi
    wrote=$(ht_log_value "$log" '.*PM: hibernation: Wrote \([0-9]* kbytes in [0-9.]* seconds\).*')
    marker=$(ht_log_value "$log" '^HT_MARKER=\([0-9a-f]*\)$')
    boot_id=$(ht_log_value "$log" '^HT_BOOT_ID=\([0-9a-f-]*\)$')
    [[ $copied =~ ^[0-9]+$ ]] || ht_die "no 'Image created (N pages copied)' line in $log"
    [[ $saved =~ ^[0-9]+$ ]] || ht_die "no '$([[ $compressed == 1 ]] && echo 'Compressing and saving image data' || echo 'Saving image data pages') (N pages)' line in $log (compression mode wrong?)"
    [[ -n $marker ]] || ht_die "no HT_MARKER in $log"

    ht_read_header "$tmp"
    [[ $HDR_SIG == S1SUSPEND ]] || ht_die "swap header sig is '$HDR_SIG', expected S1SUSPEND: kernel did not write an image"
    [[ $HDR_ORIG_SIG == SWAPSPACE2 ]] || ht_die "swap header orig_sig is '$HDR_ORIG_SIG', expected SWAPSPACE2"
    [[ $HDR_IMAGE -gt 0 ]] || ht_die "swap header image sector is 0"
    if (( (HDR_FLAGS & 2) != (compressed == 1 ? 0 : 2) )); then
        ht_die "swap header flags=$HDR_FLAGS disagree with COMPRESSED=$compressed"
    fi

    mv "$tmp" "$img"
    chmod 644 "$img"   # fixtures: readable by unprivileged test runs
    {
        echo "# Generated by tests/e2e/make-hibernation-image.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        env_kv NAME "$name"
        env_kv IMAGE_FILE "$img"
        env_kv KERNEL_PACKAGE "$HT_KPKG"
        env_kv KERNEL_PACKAGE_VERSION "$HT_KPKG_VERSION"
        env_kv KERNEL_RELEASE "$HT_KREL"
        env_kv SWAP_UUID "$HT_SWAP_UUID"
        env_kv SWAP_LABEL "$HT_SWAP_LABEL"
        env_kv SWAP_SIZE_BYTES "$(stat -c %s "$img")"
        env_kv COMPRESSED "$compressed"
        env_kv IMAGE_PAGES_COPIED "$copied"
        env_kv SAVED_DATA_PAGES "$saved"
        env_kv HEADER_SIG "$HDR_SIG"
        env_kv HEADER_ORIG_SIG "$HDR_ORIG_SIG"
        env_kv HEADER_FLAGS "$HDR_FLAGS"
        env_kv HEADER_IMAGE_SECTOR "$HDR_IMAGE"
        env_kv HEADER_CRC32 "$HDR_CRC32"
        env_kv HEADER_HW_SIG "$HDR_HW_SIG"
        env_kv KERNEL_WROTE "$wrote"
        env_kv MARKER "$marker"
        env_kv HIBERNATE_BOOT_ID "$boot_id"
        env_kv KERNEL_CMDLINE "$HT_BASE_CMDLINE ${IMAGE_CMDLINE[$name]}"
        env_kv QEMU_MEM_MIB "$HT_QEMU_MEM"
        env_kv BOOT_SECONDS "$HT_BOOT_SECONDS"
        env_kv INPUTS_HASH "$hash"
    } >"$env.tmp"
    mv "$env.tmp" "$env"
    ht_ok "image '$name': $copied pages copied, $saved data pages saved, header flags=$HDR_FLAGS image=$HDR_IMAGE (boot ${HT_BOOT_SECONDS}s)"
}

# ---------------------------------------------------------------------------
verify_resume() {
    local name=$1 imgdir="$HT_CACHE/images"
    local img="$imgdir/$name.img" env="$imgdir/$name.env"
    local renv="$imgdir/$name.resume.env" log="$imgdir/$name.resume.log"
    local hash marker saved hib_boot_id
    [[ -f $env ]] || ht_die "no metadata $env"
    hash=$(env_get "$env" INPUTS_HASH)
    marker=$(env_get "$env" MARKER)
    saved=$(env_get "$env" SAVED_DATA_PAGES)
    hib_boot_id=$(env_get "$env" HIBERNATE_BOOT_ID)

    ht_log "Resume check for '$name'"
    if [[ $FORCE != 1 && -f $renv && $(env_get "$renv" INPUTS_HASH) == "$hash" &&
          $(env_get "$renv" MARKER) == "$marker" && $(env_get "$renv" RESUME_VERIFIED) == 1 ]]; then
        ht_ok "cached: resume of this exact image already verified ($renv)"
        return
    fi
    ht_has_image "$img" || ht_die "$img has no S1SUSPEND signature (was it consumed?) - rerun with --force"

    mkdir -p "$HT_CACHE/work"
    local copy="$HT_CACHE/work/$name-resume.img"
    rm -f "$renv" "$copy"
    cp --sparse=always "$img" "$copy"
    ht_info "copy: $copy ($(du -h "$copy" | cut -f1) allocated)"
    ht_boot "$log" "$copy" "ht.mode=resume"

    local why=""
    case $HT_BOOT_RC in
        0) ;;
        124|137) why="VM timed out after ${HT_BOOT_TIMEOUT}s" ;;
        *) why="qemu exited with status $HT_BOOT_RC" ;;
    esac
    [[ -n $why ]] || ! grep -q '^HT_FAIL' "$log" || why="guest: $(grep -m1 '^HT_FAIL' "$log")"
    [[ -n $why ]] || grep -q '^HT_RESUME_OK' "$log" || why="restored system did not report HT_RESUME_OK"
    local got_marker got_boot_id fresh_boot_id loaded
    got_marker=$(ht_log_value "$log" '^HT_RESUMED MARKER=\([0-9a-f]*\) .*')
    got_boot_id=$(ht_log_value "$log" '^HT_RESUMED .* BOOT_ID=\([0-9a-f-]*\)$')
    fresh_boot_id=$(ht_log_value "$log" '^HT_FRESH_BOOT_ID=\([0-9a-f-]*\)$')
    loaded=$(ht_log_value "$log" '.*PM: Load[a-z ]* image data[a-z ]* (\([0-9]*\) pages).*')
    [[ -n $why || $got_marker == "$marker" ]] || why="marker after resume '$got_marker' != hibernated '$marker'"
    [[ -n $why || $got_boot_id == "$hib_boot_id" ]] || why="boot_id after resume '$got_boot_id' != hibernating boot '$hib_boot_id'"
    [[ -n $why || $fresh_boot_id != "$hib_boot_id" ]] || why="resume boot had the same boot_id as the hibernating boot?!"
    [[ -n $why || $loaded == "$saved" ]] || why="kernel loaded '$loaded' pages, image metadata says $saved were saved"
    [[ -n $why ]] || grep -q 'reboot: Power down' "$log" || why="restored VM did not power off"
    [[ -z $why ]] || ht_die "resume of '$name' FAILED: $why (serial log: $log)"

    ht_read_header "$copy"
    local post_sig=$HDR_SIG
    rm -f "$copy"
    {
        echo "# Generated by tests/e2e/make-hibernation-image.sh --verify-resume on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        env_kv RESUME_VERIFIED 1
        env_kv MARKER "$got_marker"
        env_kv LOADED_DATA_PAGES "$loaded"
        env_kv POST_RESUME_HEADER_SIG "$post_sig"
        env_kv RESUME_BOOT_SECONDS "$HT_BOOT_SECONDS"
        env_kv INPUTS_HASH "$hash"
    } >"$renv.tmp"
    mv "$renv.tmp" "$renv"
    ht_ok "resume of '$name' verified: marker $got_marker survived, $loaded pages loaded, header now '$post_sig' (boot ${HT_BOOT_SECONDS}s)"
}

# ---------------------------------------------------------------------------
mkdir -p "$HT_CACHE"
exec 9>"$HT_CACHE/.lock"
flock -n 9 || ht_die "another run holds $HT_CACHE/.lock"

T_START=$(date +%s)
ht_log "Cache: $HT_CACHE"
ht_fetch_kernel
ht_build_initramfs "$FORCE"
for n in "${SELECTED[@]}"; do make_image "$n"; done
if [[ $VERIFY == 1 ]]; then
    for n in "${SELECTED[@]}"; do verify_resume "$n"; done
fi

ht_log "Done in $(( $(date +%s) - T_START ))s. Artefacts:"
for n in "${SELECTED[@]}"; do
    ht_info "$HT_CACHE/images/$n.img  (+ $n.env, $n.log$([[ -f $HT_CACHE/images/$n.resume.env ]] && echo ", $n.resume.env"))"
done
