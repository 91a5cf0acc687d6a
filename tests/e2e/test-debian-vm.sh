#!/bin/bash
# Smoke test of the Debian 12 VM harness (tests/e2e/debian-vm.sh): boots a clone of the
# cached base image under QEMU (TCG) through SeaBIOS + GRUB + the stock initramfs.
#   default    GRUB's default entry boots the newest kernel, ht-e2e.service runs the step
#   oldkernel  grubenv next_entry (set from the host) boots the older kernel once ...
#   newagain   ... and the boot after it is back on the newest kernel (GRUB cleared it)
#   hibernate  the step writes a RAM-only marker to /dev/shm and runs `systemctl
#              hibernate` (stock kernel + initramfs-tools, resume=UUID of p3)
#   resume     the next boot resumes the image; the step continues with the marker intact
# Needs root (loop devices, debootstrap on the first run). Exit 77 when it cannot run,
# unless HT_REQUIRE_ALL is set (then it fails).
set -euo pipefail

HT_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HT_E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/debian-vm.sh
. "$HT_E2E_DIR/debian-vm.sh"

skip() {
    if [[ -n ${HT_REQUIRE_ALL:-} ]]; then ht_die "cannot run here and HT_REQUIRE_ALL is set: $*"; fi
    echo "SKIP: $*"
    exit 77
}
[[ $EUID -eq 0 ]] || skip "needs root (loop devices, debootstrap)"
for c in "$HT_QEMU" debootstrap sfdisk losetup partx mkfs.ext4 mkswap grub-editenv unshare timeout apt-cache; do
    command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/hibernate-dev installs the DEPS)"
done

BOOT_TIMEOUT=${DVM_SMOKE_BOOT_TIMEOUT:-360}
DIR="$DVM_DIR/smoke"
mkdir -p "$DIR"
exec 8>"$DIR/.lock"
flock -w 1800 8 || ht_die "another test-debian-vm.sh holds $DIR/.lock"
trap dvm_cleanup EXIT

NPASS=0 NFAIL=0
FAILED=() TIMINGS=()
SCEN=setup
pass() { NPASS=$((NPASS + 1)); ht_ok "[$SCEN] $*"; }
bad() { NFAIL=$((NFAIL + 1)); FAILED+=("[$SCEN] $*"); printf '%sFAIL%s [%s] %s\n' "$_ht_c_r" "$_ht_c_0" "$SCEN" "$*" >&2; }
check() { local desc=$1; shift; if "$@"; then pass "$desc"; else bad "$desc"; fi; }
log_has() { grep -aEq -- "$2" "$1"; }
log_val() { sed -n "s/$2/\\1/p" "$1" | head -n1; }
# The kernel release the boot ran ("Linux version 6.1.0-56-amd64 (...").
booted_kernel() { log_val "$1" '.*Linux version \([^ ]*\) .*'; }

T_START=$SECONDS
BASE=$(dvm_base) || ht_die "dvm_base failed"
T_BASE=$((SECONDS - T_START))
dvm_load_env "$BASE"
ht_info "base: $BASE (${T_BASE}s); kernels new=$DVM_KERNEL_NEW old=$DVM_KERNEL_OLD"
ht_info "GRUB: default '$DVM_ENTRY_DEFAULT', old kernel '$(dvm_grub_entry_for "$DVM_KERNEL_OLD")'"

WORK="$DIR/work.img"
LOGS="$DIR/logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
dvm_clone "$BASE" "$WORK"

# Nothing of the project is installed: this is the harness on stock Debian (the product's VM
# tests install the built Debian package: test-hibernate-vm, test-grubenv-root-vm,
# test-powercut-vm).

# boot NAME: boot WORK, log to $LOGS/NAME.log, record the time; sets LOG.
boot() {
    SCEN=$1
    LOG="$LOGS/$1.log"
    ht_log "[$SCEN] boot"
    local rc=0
    dvm_boot "$WORK" "$LOG" "$BOOT_TIMEOUT" || rc=$?
    TIMINGS+=("$(printf '%-10s %6ss  kernel %s' "$SCEN" "$DVM_BOOT_SECONDS" "$(booted_kernel "$LOG")")")
    case $rc in
        0) pass "QEMU exited by itself (${DVM_BOOT_SECONDS}s)" ;;
        124|137) bad "timed out after ${BOOT_TIMEOUT}s (log: $LOG)" ;;
        *) bad "qemu exited with status $rc (log: $LOG)" ;;
    esac
    if log_has "$LOG" 'Kernel panic'; then bad "kernel panic: $(grep -a -m1 'Kernel panic' "$LOG")"; fi
}

# --- the step used by the plain boots: report and power off ---
cat >"$DIR/step-report.sh" <<'EOF'
#!/bin/bash
echo "REPORT kernel=$(uname -r) cmdline=$(cat /proc/cmdline)"
echo "REPORT logind=$(systemctl is-active systemd-logind) dbus=$(systemctl is-active dbus)"
echo "REPORT swaps=$(tail -n +2 /proc/swaps | awk '{printf "%s:%s ", $1, $2}')"
echo "REPORT sleep=$(cat /sys/power/state) disk=$(cat /sys/power/disk)"
echo "REPORT uptime=$(cut -d' ' -f1 /proc/uptime)"
systemctl poweroff
EOF
dvm_set_step "$WORK" "$DIR/step-report.sh"

# (a) default boot: newest kernel, the step ran
boot default
check "GRUB's default entry booted the newest kernel ($DVM_KERNEL_NEW)" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "the step ran (HT-E2E: REPORT kernel=$DVM_KERNEL_NEW)" log_has "$LOG" "^HT-E2E: REPORT kernel=$DVM_KERNEL_NEW "
check "root=UUID and resume=UUID on the command line" log_has "$LOG" "^HT-E2E: REPORT kernel=.*root=UUID=$DVM_ROOT_UUID .*resume=UUID=$DVM_SWAP_UUID"
check "systemd-logind and dbus are active" log_has "$LOG" '^HT-E2E: REPORT logind=active dbus=active$'
check "p3 is the active swap, p4 is not" log_has "$LOG" '^HT-E2E: REPORT swaps=/dev/vda3:partition $'
check "the step exited 0" log_has "$LOG" '^HT-E2E: \[step exited rc=0 '
check "the guest powered off" log_has "$LOG" 'reboot: Power down'
ht_info "guest uptime at the step: $(log_val "$LOG" '^HT-E2E: REPORT uptime=\(.*\)$')s"

# (b) next_entry from the host: the older kernel once, then the newest again
SCEN=oldkernel
dvm_grubenv "$WORK" set "next_entry=$(dvm_grub_entry_for "$DVM_KERNEL_OLD")"
check "grubenv next_entry set from the host" \
    test "$(dvm_grubenv "$WORK" list | sed -n 's/^next_entry=//p')" = "$DVM_ENTRY_OLD"
boot oldkernel
check "next_entry booted the older kernel ($DVM_KERNEL_OLD)" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_OLD"
check "the step ran on the older kernel" log_has "$LOG" "^HT-E2E: REPORT kernel=$DVM_KERNEL_OLD "
check "GRUB cleared next_entry (save_env)" test -z "$(dvm_grubenv "$WORK" list | sed -n 's/^next_entry=//p')"
boot newagain
check "the following boot is back on the newest kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "the step ran" log_has "$LOG" "^HT-E2E: REPORT kernel=$DVM_KERNEL_NEW "

# (c) plain kernel hibernation round trip (stock initramfs-tools resume, no hibernate-tool)
cat >"$DIR/step-hibernate.sh" <<'EOF'
#!/bin/bash
head -c 4M /dev/urandom >/dev/shm/ht-marker
echo "MARKER-BEFORE $(sha256sum /dev/shm/ht-marker | cut -c1-64) boot_id=$(cat /proc/sys/kernel/random/boot_id)"
if ! /usr/lib/ht-e2e/hibernate; then
    echo "HIBERNATE-FAILED"
    journalctl -b --no-pager -u systemd-hibernate.service -u systemd-logind | tail -n 20
    exit 1
fi
echo "MARKER-AFTER $(sha256sum /dev/shm/ht-marker | cut -c1-64) boot_id=$(cat /proc/sys/kernel/random/boot_id)"
echo "RESUMED-SWAPS $(tail -n +2 /proc/swaps | awk '{printf "%s:%s ", $1, $2}')"
# The system-sleep hook that said "resumed" runs inside systemd-sleep, before the sleep
# service's ExecStopPost= (hibernate-tool post) has finished: until then logind refuses a
# power-off ("already a shutdown or sleep operation in progress"). Wait for the job (60 s).
for _ in $(seq 300); do
    systemctl list-jobs --no-legend 2>/dev/null | grep -q -e hibernate -e sleep.target || break
    sleep 0.2
done
systemctl poweroff
EOF
dvm_set_step "$WORK" "$DIR/step-hibernate.sh"
boot hibernate
MARK=$(log_val "$LOG" '^HT-E2E: MARKER-BEFORE \([0-9a-f]*\) .*')
BOOTID=$(log_val "$LOG" '^HT-E2E: MARKER-BEFORE .* boot_id=\(.*\)$')
check "the step wrote the marker" test -n "$MARK"
check "the step started hibernation" log_has "$LOG" '^HT-E2E: \[hibernating\]'
check "the kernel created an image (PM: Creating image / Image created)" log_has "$LOG" 'PM: (hibernation: )?(Creating image|Image created)'
check "the kernel wrote the image (PM: Image saving done)" log_has "$LOG" 'PM: Image saving done'
check "the VM powered off after writing the image" log_has "$LOG" 'reboot: Power down'
check "the step did not continue in this boot" bash -c "! grep -aq '^HT-E2E: MARKER-AFTER' '$LOG'"

boot resume
check "the stock initramfs loaded the image (PM: Image loading done)" log_has "$LOG" 'PM: Image loading done'
check "the image was read (PM: hibernation: Read N kbytes)" log_has "$LOG" 'PM: (hibernation: )?Read [0-9]+ kbytes'
check "the step continued after the resume ([resumed])" log_has "$LOG" '^HT-E2E: \[resumed\]'
check "marker checksum after resume = before ($MARK)" log_has "$LOG" "^HT-E2E: MARKER-AFTER $MARK boot_id=$BOOTID\$"
check "no fresh start of the step in the resume boot" bash -c "! grep -aq '^HT-E2E: \[step start' '$LOG'"
check "the step exited 0 after the resume" log_has "$LOG" '^HT-E2E: \[step exited rc=0 '
check "the VM powered off" log_has "$LOG" 'reboot: Power down'

printf '\nBoot timings (TCG, -m %s -smp %s; wall seconds from QEMU start to QEMU exit):\n' "$DVM_MEM" "$DVM_SMP" >&2
printf '  %s\n' "${TIMINGS[@]}" >&2
printf '  base image: %ss (0 = cached); whole test %ss\n' "$T_BASE" "$((SECONDS - T_START))" >&2
if ((NFAIL > 0)); then
    printf '  failed: %s\n' "${FAILED[@]}" >&2
    printf '%s passed, %s failed (logs: %s)\n' "$NPASS" "$NFAIL" "$LOGS"
    exit 1
fi
printf '%s passed, %s failed\n' "$NPASS" "$NFAIL"
rm -f "$WORK" "$WORK.env"
