#!/bin/bash
# Runs inside the Debian VM for tests/e2e/test-powercut-vm.sh (ht-e2e.service, output on the
# serial console as "HT-E2E: …"). The host cuts the power (kills QEMU) at chosen moments;
# the phase file (on the root filesystem, synced) says which cut the boot comes after.
#   (none)    boot A: a synced file, a marker in RAM, `systemctl hibernate`   -> cut mid-write
#   cut-write boot B: a normal boot is expected (checks), then hibernation    -> cut after the
#             image is complete (signature written), before the power-off
#   cut-done  (no new boot: boot C resumes boot B's hibernation, this process carries on):
#             resumed, marker intact (checks; a system-sleep hook printed the record the
#             helper had bound to this image, before our post cleared it); /boot mounted
#             again (mount count + 1, as after a reboot); then a hibernation by other means (`echo disk > /sys/power/state`: no pre, no record
#             of its own; the host then puts that bound record into its header)  -> power-off;
#             boot D's helper must ignore the stale record and resume: cut during that read
#   cut-read  boot E: a normal boot is expected (checks), then `systemctl hibernate` with
#             pre paused by the test hook right after its in-place grubenv write, before
#             the fdatasync                                                    -> cut there
#   cut-pre   boot F: a normal boot is expected (checks); done, power-off.
# Every check prints CHECK-OK/CHECK-FAIL NAME (counted by the host).
set -u
STATE=/var/lib/ht-e2e
PHASE_FILE=$STATE/phase
FILES=$STATE/synced.list
mkdir -p "$STATE"
say() { echo "$*"; }
check() {  # name, command… — prints CHECK-OK/CHECK-FAIL lines the host counts
        local name=$1; shift
        if "$@" >/dev/null 2>&1; then say "CHECK-OK $name"; else say "CHECK-FAIL $name"; fi
}
grubenv_next() { grub-editenv /boot/grub/grubenv list 2>/dev/null | sed -n 's/^next_entry=//p'; }
SWAP=/dev/vda3
set_phase() { echo "$1" > "$PHASE_FILE"; sync; }
new_synced_file() {  # a file written and synced before hibernating; its hash on record
        local f=$STATE/synced-$1
        head -c 1M /dev/urandom > "$f"
        echo "$f $(sha256sum < "$f" | cut -d' ' -f1)" >> "$FILES"
        sync
        say "synced file $f"
}
files_intact() {
        local f h
        [ -s "$FILES" ] || return 1
        while read -r f h; do
                [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$h" ] || { say "changed: $f"; return 1; }
        done < "$FILES"
}
swap_active() { swapon --show=NAME --noheadings | grep -qx "$SWAP"; }
wait_swap() { local _; for _ in $(seq 1 60); do swap_active && return 0; sleep 1; done; return 1; }
swap_signature() { [ "$(blkid -p -s TYPE -o value "$SWAP")" = swap ] && [ "$(dd if="$SWAP" bs=1 skip=4086 count=10 status=none | tr -d '\0')" = SWAPSPACE2 ]; }
swap_cycle() { swapoff "$SWAP" && swapon "$SWAP" && swap_active; }
wait_hibernated() {  # after `systemctl hibernate`: until our post wrote the outcome
        local _
        for _ in $(seq 1 900); do
                [ -e /run/hibernate-tool/last-hibernate ] &&
                        ! grep -q '^RESULT=hibernating$' /run/hibernate-tool/last-hibernate && return 0
                sleep 1
        done
        return 1
}
after_normal_boot() {  # $1: the cut this boot comes after; a normal (not resumed) boot
        local n=$1
        say "BOOTED-NORMALLY after $n kernel $(uname -r)"
        sed "s/^/last-resume: /" /run/hibernate-tool/last-resume 2>/dev/null
        sed "s/^/last-hibernate: /" /run/hibernate-tool/last-hibernate 2>/dev/null
        check "$n-not-resumed" test ! -e /dev/shm/marker
        check "$n-synced-files-intact" files_intact
        check "$n-swap-active" wait_swap
        check "$n-swap-signature-swapspace2" swap_signature
        check "$n-swapoff-swapon" swap_cycle
        check "$n-next-entry-cleared" test -z "$(grubenv_next)"
        check "$n-no-sleep-state" test ! -e /var/lib/hibernate-tool/sleep-state
        check "$n-root-mounted-rw" findmnt -n -O rw /
}
hibernate_now() {  # $1: the phase the next boot comes after
        new_synced_file "$1"
        head -c 4M /dev/urandom > /dev/shm/marker
        MARK=$(sha256sum < /dev/shm/marker)
        rm -f /run/hibernate-tool/last-hibernate
        set_phase "$1"
        echo 3 > /proc/sys/vm/drop_caches  # a smaller image: shorter writes and reads
        say "HIBERNATE $1 $(date +%s)"
        systemctl hibernate
}

case "$(cat "$PHASE_FILE" 2>/dev/null)" in
"")
        say "PHASE A kernel $(uname -r)"
        check A-swap-active wait_swap
        # After the resume of the next hibernation: print the header's record (the helper
        # bound it to the image) before our post (ExecStopPost) clears it.
        cat > /usr/lib/systemd/system-sleep/ht-powercut <<'HOOK'
#!/bin/sh
[ "$1" = post ] || exit 0
# O_DIRECT: this page cache of /dev/vda3 is the one from before the hibernation.
echo "HT-E2E: BOUND-RECORD $(dd if=/dev/vda3 bs=4096 count=1 iflag=direct status=none | tail -c +2049 | head -c 2008 | base64 -w0)" > /dev/ttyS0
HOOK
        chmod 755 /usr/lib/systemd/system-sleep/ht-powercut
        hibernate_now cut-write
        # The host cuts the power while the image is written: nothing below may run (the
        # wait ends only after a resume).
        wait_hibernated
        say "CHECK-FAIL A-still-running-after-the-cut"
        ;;
cut-write)
        after_normal_boot cut-write
        hibernate_now cut-done; rc=$?
        # Cut after the image was complete: boot C resumes this very process.
        check cut-done-systemctl-ok test "$rc" -eq 0
        check cut-done-resumed wait_hibernated
        say "RESUMED after cut-done kernel $(uname -r)"
        sed 's/^/last-hibernate: /' /run/hibernate-tool/last-hibernate
        check cut-done-result grep -q '^RESULT=resumed$' /run/hibernate-tool/last-hibernate
        check cut-done-marker test "$MARK" = "$(sha256sum < /dev/shm/marker)"
        check cut-done-synced-files-intact files_intact
        check cut-done-next-entry-cleared test -z "$(grubenv_next)"
        check cut-done-no-sleep-state test ! -e /var/lib/hibernate-tool/sleep-state
        check cut-done-swap-active swap_active
        check cut-done-swap-signature-swapspace2 swap_signature
        # Scenario 5, stale record: /boot mounted again (its ext4 mount count goes up, as
        # after a reboot: the printed record no longer matches it), then a hibernation by
        # other means; the resume target as systemd-sleep sets it, then the kernel's own
        # interface.
        rm -f /usr/lib/systemd/system-sleep/ht-powercut
        say "/boot mount count before: $(dumpe2fs -h "$(findmnt -no SOURCE /boot)" 2>/dev/null | sed -n 's/^Mount count: *//p')"
        for _ in $(seq 60); do umount /boot 2>/dev/null && break; sleep 1; done
        mount /boot
        say "/boot mount count after: $(dumpe2fs -h "$(findmnt -no SOURCE /boot)" 2>/dev/null | sed -n 's/^Mount count: *//p')"
        check stale-record-boot-remounted findmnt /boot
        cat /sys/class/block/vda3/dev > /sys/power/resume
        echo 0 > /sys/power/resume_offset
        echo shutdown > /sys/power/disk
        new_synced_file stale-record
        head -c 4M /dev/urandom > /dev/shm/marker
        set_phase cut-read
        echo 3 > /proc/sys/vm/drop_caches
        say "HIBERNATE stale-record $(date +%s)"
        echo disk > /sys/power/state
        say "CHECK-FAIL C-resumed-although-the-read-was-cut"
        ;;
cut-read)
        after_normal_boot cut-read
        # pre stops (test hook) right after writing grubenv in place, before its fdatasync.
        mkdir -p /run/systemd/system/systemd-hibernate.service.d
        printf '[Service]\nEnvironment=HIBERNATE_TOOL_TEST_PAUSE_AT=grubenv-written\n' \
                > /run/systemd/system/systemd-hibernate.service.d/99-powercut.conf
        systemctl daemon-reload
        hibernate_now cut-pre
        wait_hibernated
        say "CHECK-FAIL E-still-running-after-the-cut"
        ;;
cut-pre)
        after_normal_boot cut-pre
        journalctl -b -u hibernate-tool-cleanup.service -o cat --no-pager | sed 's/^/cleanup journal: /'
        set_phase "done"
        say "PHASE done"
        ;;
*)
        say "CHECK-FAIL unexpected-phase $(cat "$PHASE_FILE")"
        ;;
esac
sync
exit 0
