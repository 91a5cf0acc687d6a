#!/bin/bash
# shellcheck disable=SC2016  # bash -c '…' _ "$x": expanded by the inner shell
# Power cuts around hibernation in a full Debian 12 VM (tests/e2e/debian-vm.sh; issue 10,
# "Proof in QEMU" 1-4, and 5's stale record): the host kills QEMU (SIGKILL, dvm_boot's
# DVM_KILL_ON_RE: no flush, no further guest write) at four moments, then boots again, on ONE
# clone, 6 boots, all of the default (newer) kernel:
#   boot A  hibernation #1; cut mid-write, on "PM: Image saving progress: 40%" (or later)
#           -> Linux writes the S1SUSPEND signature only after the whole image
#              (swap_writer_finish -> mark_swapfiles): the header still says SWAPSPACE2
#   boot B  a NORMAL boot: the helper finds no image (and clears pre's record); then
#           hibernation #2; cut after the image is complete, on "PM: S|" (mark_swapfiles
#           done), before the power-off (-no-shutdown: QEMU stays until the cut even if the
#           guest got to power off) -> S1SUSPEND on the disk: the image is complete
#   boot C  RESUMES #2 through our helper (marker intact; boot B's step carries on); a
#           system-sleep hook prints the record the helper bound to #2 before our post
#           clears it; then hibernation #3 by `echo disk > /sys/power/state` (no pre, no
#           record of its own), power-off. Scenario 5: the host puts #2's bound record into
#           #3's header (two hibernations and mount counts old)
#   boot D  the helper must ignore that record ("belongs to an earlier image") and resume
#           (judged by it, the image would be invalidated: the root was mounted since);
#           cut during the resume read, on "PM: Image loading progress: 30%" (or later)
#           -> Linux 6.1 resets the signature to SWAPSPACE2 (swsusp_check) before it reads
#              the image: the image is gone, the header says SWAPSPACE2
#   boot E  a NORMAL boot; then `systemctl hibernate` with pre stopped (test hook
#           HIBERNATE_TOOL_TEST_PAUSE_AT=grubenv-written, -Dtest_hooks=true builds only)
#           right after its in-place grubenv write, before the fdatasync; cut on its line
#           -> no image; GRUB's block holds the old or the new grubenv (logged)
#   boot F  a NORMAL boot (the boot-time cleanup restores the boot entry); power-off.
# After each cut the next boot checks (guest, tests/e2e/vm/powercut-step.sh): resumed with
# the marker intact, or a normal boot with the swap active, signature SWAPSPACE2, swapoff +
# swapon working; every file written and synced before a hibernation intact; GRUB's
# next_entry cleared; no sleep-state left. The host checks after each cut: that QEMU was
# killed by the trigger and at the right moment (e.g. no "Image saving done" before a
# mid-write cut), the swap header's signature (read through a loop device, nothing
# mounted); which kernel each boot ran; and after the final power-off: e2fsck -fn of /boot
# and / clean, grub-editenv list without next_entry, the swap header SWAPSPACE2.
#
# The VM is a clone of the prepared image of tests/e2e/debian-vm-prepared.sh (the Debian
# package of this tree built with the test hooks, build profile pkg.hibernate-tool.test-hooks,
# installed with dpkg -i; its trigger regenerated the default kernel's initramfs with our
# hook), shared with test-latefs-vm.sh and cached in $DVM_DIR/prepared/ (a warm run with
# unchanged sources only clones it).
set -euo pipefail

HT_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HT_E2E_DIR/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HT_E2E_DIR/lib.sh"
# shellcheck source=tests/e2e/debian-vm.sh
. "$HT_E2E_DIR/debian-vm.sh"
# shellcheck source=tests/e2e/debian-vm-prepared.sh
. "$HT_E2E_DIR/debian-vm-prepared.sh"

[[ $EUID -eq 0 ]] || skip "needs root (loop devices, chroot)"
for c in "$HT_QEMU" debootstrap sfdisk losetup grub-editenv e2fsck debugfs base64 unshare dpkg-buildpackage; do
        command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/hibernate-dev installs the DEPS)"
done

DIR="$DVM_DIR/powercut"
mkdir -p "$DIR"
exec 8>"$DIR/.lock"
flock -w 3600 8 || ht_die "another test-powercut-vm.sh holds $DIR/.lock"
trap dvm_cleanup EXIT
T0=$SECONDS

NPASS=0 NFAIL=0
SCEN=setup
TMO=${HT_POWERCUT_BOOT_TIMEOUT:-900}  # per boot (the boots take 70-160 s on a loaded 2-core host)

BASE=$(dvm_base) || ht_die "dvm_base failed"
dvm_load_env "$BASE"
ht_info "kernel: default $DVM_KERNEL_NEW (hibernates and resumes)"

WORK="$DIR/work.img"
LOGS="$DIR/logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"
rm -f "$DIR"/prepared-*   # made here before debian-vm-prepared.sh
dvm_prepared_clone "$SRC" "$WORK"
dvm_set_step "$WORK" "$HT_E2E_DIR/vm/powercut-step.sh"

# swap_sig: the signature of the swap partition's header, through a loop device (read only,
# nothing mounted: a cut image's journals stay as the cut left them).
swap_sig() {
        local loop
        loop=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$loop")
        ht_read_header "${loop}p3"
        dvm_loop_detach "$loop"
        printf '%s\n' "$HDR_SIG"
}
# boot NAME TIMEOUT [CUT_RE] [QEMU_ARGS...]: one boot; LOG=its log
boot() {
        local name=$1 tmo=$2 re=${3:-}
        shift $(($# < 3 ? $# : 3))
        LOG="$LOGS/$name.log"
        DVM_KILL_ON_RE=$re dvm_boot "$WORK" "$LOG" "$tmo" "$@" || true
}
not_in_log() { ! grep -aEq -- "$2" "$1"; }
record_magic() { dd if="$1" bs=1 skip=2048 count=8 status=none | tr -d '\0'; }  # the record's first 8 bytes in a swap header

# ---- boot A: cut mid-write ------------------------------------------------------------------
SCEN=A-cut-write
boot A "$TMO" 'PM: Image saving progress: +([4-9]0|100)%' -no-shutdown
check "boots the default kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "QEMU killed on the progress line (power cut)" test "$DVM_BOOT_KILLED" = 1
check "cut before the image was complete (no 'Image saving done')" not_in_log "$LOG" 'PM: Image saving done'
guest_checks "$LOG"
check "after the cut: no signature (SWAPSPACE2)" test "$(swap_sig)" = SWAPSPACE2

# ---- boot B: normal boot; cut after the image is complete -----------------------------------
SCEN=B-after-write-cut
boot B "$TMO" 'PM: S\|$' -no-shutdown
check "boots the default kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "helper: no image, a normal boot; pre's record cleared" \
        log_has "$LOG" 'hibernate-tool: not resuming: no hibernation image on /dev/vda3; stale hibernation record cleared'
check "no image load" not_in_log "$LOG" 'PM: (Loading|Image loading)'
check "the step ran anew (normal boot)" log_has "$LOG" 'HT-E2E: BOOTED-NORMALLY after cut-write'
guest_checks "$LOG"
SCEN=B-cut-done
check "QEMU killed on 'PM: S|' (signature written)" test "$DVM_BOOT_KILLED" = 1
check "the image was complete ('Image saving done')" log_has "$LOG" 'PM: Image saving done'
check "after the cut: the image is there (S1SUSPEND)" test "$(swap_sig)" = S1SUSPEND

# ---- boot C: resumes; a hibernation without pre ---------------------------------------------
SCEN=C-resume
boot C "$TMO"
check "boots the default kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "our helper resumes" log_has "$LOG" 'hibernate-tool: resuming from /dev/vda3'
check "the whole image loaded" log_has "$LOG" 'PM: Image loading done'
check "resumed (boot B's step carried on)" log_has "$LOG" 'HT-E2E: RESUMED after cut-done'
check "the step did not run anew" not_in_log "$LOG" 'HT-E2E: BOOTED-NORMALLY'
guest_checks "$LOG"
# The record the helper bound to image #2, as the system-sleep hook saw it after the resume.
STALE_REC="$LOGS/stale-record.bin"
sed -n 's/^HT-E2E: BOUND-RECORD \([A-Za-z0-9+/=]*\)$/\1/p' "$LOG" | head -n1 | base64 -d >"$STALE_REC" 2>/dev/null || true
check "the helper had bound pre's record to image #2 (HTRECORD, state 1 = bound)" \
        test "$(head -c 8 "$STALE_REC")/$(od -An -t u1 -j 92 -N 1 "$STALE_REC" | tr -d ' ')" = HTRECORD/1
SCEN=C-stale-record
check "echo disk (no pre): the image written, powered off" \
        bash -c 'grep -aq "HIBERNATE stale-record" "$1" && grep -aq "reboot: Power down" "$1"' _ "$LOG"
check "QEMU exited by itself (power-off)" test "$DVM_BOOT_KILLED/$DVM_BOOT_RC" = 0/0
# Scenario 5 (issue 10, point 1): the image has no record of its own; the host puts image #2's
# bound record into its header (written two hibernations and mount counts ago), as if nothing
# had cleared it. The helper must see that it speaks for another image and resume.
LOOP=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$LOOP")
ht_read_header "${LOOP}p3"
check "an image is waiting (S1SUSPEND)" test "$HDR_SIG" = S1SUSPEND
check "no record in its header (no pre; post cleared #2's)" \
        test "$(record_magic "${LOOP}p3")" = ""
[[ -s $STALE_REC ]] && dd if="$STALE_REC" of="${LOOP}p3" bs=1 seek=2048 conv=notrunc,fsync status=none
check "the stale record is in the header" \
        test "$(record_magic "${LOOP}p3")" = HTRECORD
dvm_loop_detach "$LOOP"

# ---- boot D: the helper resumes despite the stale record; cut during the read ------------------
SCEN=D-stale-record
boot D "$TMO" 'PM: Image loading progress: +([3-9]0|100)%'
check "boots the default kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "helper: the record belongs to an earlier image, ignored" \
        log_has "$LOG" 'hibernate-tool: warning: the hibernation record on /dev/vda3 .* belongs to an earlier image; ignoring it'
check "our helper resumes (not invalidated by the old record)" log_has "$LOG" 'hibernate-tool: resuming from /dev/vda3'
SCEN=D-cut-read
check "QEMU killed on the loading progress line (power cut)" test "$DVM_BOOT_KILLED" = 1
check "cut before the image was read ('Image loading done' missing)" not_in_log "$LOG" 'PM: Image loading done'
guest_checks "$LOG"
check "after the cut: the kernel had reset the signature (SWAPSPACE2)" test "$(swap_sig)" = SWAPSPACE2
LOOP=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$LOOP")
check "the helper cleared the stale record before handing over" \
        test "$(record_magic "${LOOP}p3")" = ""
dvm_loop_detach "$LOOP"

# ---- boot E: normal boot; cut while pre writes the boot entry -------------------------------
SCEN=E-after-read-cut
boot E "$TMO" 'hibernate-tool: test hook: paused at grubenv-written'
check "boots the default kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "helper: no image, no record (boot D's helper cleared the stale one), a normal boot" \
        log_has "$LOG" 'hibernate-tool: not resuming: no hibernation image on /dev/vda3$'
check "the step ran anew (normal boot)" log_has "$LOG" 'HT-E2E: BOOTED-NORMALLY after cut-read'
guest_checks "$LOG"
SCEN=E-cut-pre
check "QEMU killed on pre's pause line (power cut)" test "$DVM_BOOT_KILLED" = 1
check "no hibernation started" not_in_log "$LOG" 'PM: hibernation: hibernation entry'
check "after the cut: no image (SWAPSPACE2)" test "$(swap_sig)" = SWAPSPACE2
# Which grubenv the cut left on the disk (either is fine; boot F must end without next_entry).
LOOP=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$LOOP")
GE=$(mktemp)
debugfs -R "cat /grub/grubenv" "${LOOP}p1" >"$GE" 2>/dev/null || true
GEL=$(grub-editenv "$GE" list 2>&1 | tr '\n' ' ')
ht_info "grubenv on the disk after the cut (through the filesystem, journal not replayed): ${GEL:-no variables}"
rm -f "$GE"
dvm_loop_detach "$LOOP"

# ---- boot F: normal boot; power-off ------------------------------------------------------------
SCEN=F-after-pre-cut
boot F "$TMO"
check "boots the default kernel" test "$(booted_kernel "$LOG")" = "$DVM_KERNEL_NEW"
check "helper: no image, no record (pre stopped before writing it), a normal boot" \
        log_has "$LOG" 'hibernate-tool: not resuming: no hibernation image on /dev/vda3$'
check "the step ran anew (normal boot)" log_has "$LOG" 'HT-E2E: BOOTED-NORMALLY after cut-pre'
check "the step finished, clean power-off" log_has "$LOG" 'HT-E2E: PHASE done'
check "QEMU exited by itself (power-off)" test "$DVM_BOOT_KILLED/$DVM_BOOT_RC" = 0/0
guest_checks "$LOG"

# ---- host, after the final power-off ----------------------------------------------------------
SCEN=final
LOOP=$(dvm_loop_attach "$WORK"); DVM_LOOPS+=("$LOOP")
for p in 1 2; do
        check "e2fsck -fn of p$p is clean" bash -c 'e2fsck -fn "$1" >"$2" 2>&1' _ "${LOOP}p$p" "$LOGS/e2fsck-p$p.log"
done
ht_read_header "${LOOP}p3"
check "swap header SWAPSPACE2" test "$HDR_SIG" = SWAPSPACE2
dvm_loop_detach "$LOOP"
ENVL=$(dvm_grubenv "$WORK" list 2>&1 || echo "grub-editenv failed")
printf '%s\n' "$ENVL" | sed 's/^/    grubenv: /' >&2
check "grubenv on the host: readable, no next_entry" \
        bash -c '! grep -q "^next_entry=.\|grub-editenv failed" <<<"$1"' _ "$ENVL"

ht_info "test-powercut-vm.sh took $((SECONDS - T0)) s"
echo "$NPASS passed, $NFAIL failed"
[[ $NFAIL -eq 0 ]]
