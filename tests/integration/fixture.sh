# Shared helpers for the integration tests: build fixture roots on the fly with real tools
# (mkswap images as device files, fake proc/sys text) and assert on hibernate-check's JSON.
# shellcheck shell=bash
set -euo pipefail

: "${HIBERNATE_CHECK:?set HIBERNATE_CHECK to the built hibernate-check}"
export NO_COLOR=1
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)"; exit 1; }

FAILURES=0
PASSES=0
TMPROOTS=()
# Every fixture root lives in one directory per test run, removed at exit. Roots are made in
# command substitutions (R=$(new_root)), a subshell whose TMPROOTS+= never reaches this
# shell: cleaning up by that list alone left every root behind in /tmp.
HT_FIXTURE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ht-fixture-XXXXXX")
cleanup_roots() {
        local r
        for r in "${TMPROOTS[@]}"; do rm -rf "$r"; done
        rm -rf "$HT_FIXTURE_DIR"
}
trap cleanup_roots EXIT

# Skip (exit 77) when something is missing — but never in CI, where everything must run.
skip_or_fail() {
        if [ -n "${HT_REQUIRE_ALL:-}" ]; then echo "FATAL: cannot run here and HT_REQUIRE_ALL is set: $*"; exit 1; fi
        echo "SKIP: $*"; exit 77
}

UUID_VDB=8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55
UUID_VDC=11111111-2222-4333-8444-555555555555
MEM_KB=4045436

# new_root: a healthy, fully configured machine with a 2 GiB swap partition /dev/vdb.
new_root() {
        local r; r=$(mktemp -d "$HT_FIXTURE_DIR/root-XXXXXX"); TMPROOTS+=("$r")
        mkdir -p "$r"/{proc/self,proc/sys/kernel,sys/power,sys/kernel/security,sys/firmware/efi/efivars,dev/disk/by-uuid,dev/disk/by-label,etc/default/grub.d,etc/initramfs-tools/conf.d,boot/grub,usr/sbin}
        echo "freeze mem disk" > "$r/sys/power/state"
        echo "[platform] shutdown reboot suspend test_resume" > "$r/sys/power/disk"
        echo "0:0" > "$r/sys/power/resume"
        echo 0 > "$r/sys/power/resume_offset"
        echo $((MEM_KB * 1024 * 2 / 5)) > "$r/sys/power/image_size"
        echo "[none] integrity confidentiality" > "$r/sys/kernel/security/lockdown"
        echo "6.1.0-56-amd64" > "$r/proc/sys/kernel/osrelease"
        echo "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=$UUID_VDC ro quiet resume=UUID=$UUID_VDB" > "$r/proc/cmdline"
        cat > "$r/proc/meminfo" <<MEM
MemTotal:        $MEM_KB kB
MemFree:         2045436 kB
MemAvailable:    3000000 kB
Active(anon):     600000 kB
Inactive(anon):   200000 kB
Active(file):     500000 kB
Inactive(file):   500000 kB
SReclaimable:     100000 kB
MEM
        cat > "$r/proc/self/mountinfo" <<MI
21 1 254:32 / / rw,relatime shared:1 - ext4 /dev/vdc rw
22 21 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=1000k
MI
        add_disk "$r" vdc 254 32 1M
        mkfs_marker "$r/dev/vdc"
        add_swap_disk "$r" vdb 254 16 2G "$UUID_VDB" hibswap
        printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/vdb                                partition\t%s\t\t0\t\t-2\n' \
                $(( (2 * 1024 * 1024) - 4 )) > "$r/proc/swaps"
        touch "$r/usr/sbin/update-initramfs"
        echo "MODULES=most" > "$r/etc/initramfs-tools/initramfs.conf"
        echo "RESUME=UUID=$UUID_VDB" > "$r/etc/initramfs-tools/conf.d/resume"
        cat > "$r/etc/default/grub" <<G
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="resume=UUID=$UUID_VDB"
G
        write_grub_cfg "$r" "resume=UUID=$UUID_VDB"
        echo "$r"
}

write_grub_cfg() {  # root, extra cmdline words
        cat > "$1/boot/grub/grub.cfg" <<G
set default="0"
menuentry 'Debian GNU/Linux' --class debian \$menuentry_id_option 'gnulinux-simple-$UUID_VDC' {
	linux	/boot/vmlinuz-6.1.0-56-amd64 root=UUID=$UUID_VDC ro $2 quiet
	initrd	/boot/initrd.img-6.1.0-56-amd64
}
G
}

# add_disk ROOT NAME MAJ MIN SIZE: an image file as /dev/NAME with its sysfs entries.
add_disk() {
        local r=$1 n=$2 maj=$3 min=$4 size=$5
        truncate -s "$size" "$r/dev/$n"
        mkdir -p "$r/sys/devices/pci0000:00/virtio/block/$n" "$r/sys/class/block" "$r/sys/dev/block"
        echo "$maj:$min" > "$r/sys/devices/pci0000:00/virtio/block/$n/dev"
        printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\nDEVTYPE=disk\n' "$maj" "$min" "$n" > "$r/sys/devices/pci0000:00/virtio/block/$n/uevent"
        ln -sfn "../../devices/pci0000:00/virtio/block/$n" "$r/sys/class/block/$n"
        ln -sfn "../../devices/pci0000:00/virtio/block/$n" "$r/sys/dev/block/$maj:$min"
}

mkfs_marker() { :; }  # the root filesystem's image stays blank: nothing reads it

# add_swap_disk ROOT NAME MAJ MIN SIZE UUID LABEL: a real mkswap image with udev links.
add_swap_disk() {
        local r=$1 n=$2 uuid=$6 label=$7
        add_disk "$r" "$n" "$3" "$4" "$5"
        mkswap -q -U "$uuid" -L "$label" "$r/dev/$n" >/dev/null
        ln -sfn "../../$n" "$r/dev/disk/by-uuid/$uuid"
        ln -sfn "../../$n" "$r/dev/disk/by-label/$label"
}

# run_check ROOT [ARGS…]: runs hibernate-check --json, keeps output in $OUT and exit in $RC.
run_check() {
        local r=$1; shift
        set +e
        OUT=$("$HIBERNATE_CHECK" --root "$r" --json "$@" 2>"$r.stderr")
        RC=$?
        set -e
        ERR=$(cat "$r.stderr"); rm -f "$r.stderr"
        if [ "$RC" -ne 2 ] && ! jq -e . >/dev/null 2>&1 <<<"$OUT"; then
                fail "output is not valid JSON (exit $RC): $OUT"
        fi
}

fail() { echo "  FAIL: $*"; FAILURES=$((FAILURES + 1)); }
ok() { PASSES=$((PASSES + 1)); }

# expect ID STATUS [REGEX-on-summary+detail+remedy]
expect() {
        local id=$1 want=$2 re=${3:-}
        local got; got=$(jq -r --arg id "$id" '.checks[] | select(.id==$id) | .status' <<<"$OUT")
        if [ "$got" != "$want" ]; then
                fail "[$CASE] check $id: expected $want, got '${got}': $(jq -c --arg id "$id" '.checks[] | select(.id==$id)' <<<"$OUT")"
                return
        fi
        if [ -n "$re" ]; then
                local text; text=$(jq -r --arg id "$id" '.checks[] | select(.id==$id) | [.summary, .detail // "", .remedy // ""] | join(" | ")' <<<"$OUT")
                if ! grep -Eq -- "$re" <<<"$text"; then fail "[$CASE] check $id text does not match /$re/: $text"; return; fi
        fi
        ok
}

expect_json() {  # jq expression that must be true
        if jq -e "$1" >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] JSON: $1 is not true: $(jq -c "${2:-.resume}" <<<"$OUT")"; fi
}

expect_rc() { if [ "$RC" -eq "$1" ]; then ok; else fail "[$CASE] exit status $RC, expected $1 (stderr: $ERR)"; fi; }

finish() {
        echo "$PASSES passed, $FAILURES failed"
        [ "$FAILURES" -eq 0 ]
}
