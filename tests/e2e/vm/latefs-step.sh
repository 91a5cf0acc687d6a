#!/bin/bash
# Runs inside the Debian VM for tests/e2e/test-latefs-vm.sh (ht-e2e.service, output on the
# serial console as "HT-E2E: …"). An extra ext4 disk (UUID in /etc/ht-e2e-late.uuid) is
# mounted on /mnt/late (fstab, nofail); the host boots without it and hot-adds it while our
# helper waits for it in the initramfs. The phase file (root filesystem, synced) says where
# the run is:
#   (none)   run 1: synced marker files on / and on /mnt/late, a marker in RAM,
#            `systemctl hibernate` (our pre records /mnt/late's filesystem)     -> power-off
#            run 2 resumes this process (the disk hot-added late, unchanged): checks; then
#            a second hibernation                                              -> power-off
#   hib-2    run 3: the host mounted the disk image in between (mount count + 1) and
#            hot-added it late: the helper must have invalidated the image; a normal boot
#            (checks); then a third hibernation                                 -> power-off
#   hib-3    run 4: the disk never comes: the helper gave up after the bound and
#            invalidated; a normal boot without /mnt/late (checks); done, power-off.
# Every check prints CHECK-OK/CHECK-FAIL NAME (counted by the host).
set -u
STATE=/var/lib/ht-e2e
PHASE_FILE=$STATE/phase
LATE=/mnt/late
SWAP=/dev/vda3
mkdir -p "$STATE"
say() { echo "$*"; }
check() {  # name, command… — prints CHECK-OK/CHECK-FAIL lines the host counts
        local name=$1; shift
        if "$@" >/dev/null 2>&1; then say "CHECK-OK $name"; else say "CHECK-FAIL $name"; fi
}
set_phase() { echo "$1" > "$PHASE_FILE"; sync; }
late_dev() { findfs "UUID=$(cat /etc/ht-e2e-late.uuid)"; }
late_mounted() { [ -n "$(late_dev)" ] && [ "$(findmnt -n -o SOURCE --mountpoint "$LATE")" = "$(late_dev)" ]; }
wait_late() { local _; for _ in $(seq 1 30); do late_mounted && return 0; sleep 1; done; return 1; }
hash_of() { sha256sum < "$1" | cut -d' ' -f1; }
root_marker_intact() { [ "$(hash_of "$STATE/root-marker")" = "$(cat "$STATE/root-marker.sha")" ]; }
late_marker_intact() { [ "$(hash_of "$LATE/marker")" = "$(cat "$STATE/late-marker.sha")" ]; }
swap_active() { swapon --show=NAME --noheadings | grep -qx "$SWAP"; }
wait_swap() { local _; for _ in $(seq 1 60); do swap_active && return 0; sleep 1; done; return 1; }
swap_signature() { [ "$(dd if="$SWAP" bs=1 skip=4086 count=10 status=none | tr -d '\0')" = SWAPSPACE2 ]; }
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
hibernate_now() {  # $1: the phase of the next boot
        head -c 4M /dev/urandom > /dev/shm/marker
        MARK=$(hash_of /dev/shm/marker)
        rm -f /run/hibernate-tool/last-hibernate
        set_phase "$1"
        echo 3 > /proc/sys/vm/drop_caches  # a smaller image: shorter writes and reads
        say "HIBERNATE $1 $(date +%s)"
        systemctl hibernate
}
after_normal_boot() {  # $1: the run
        local n=$1
        say "BOOTED-NORMALLY $n kernel $(uname -r)"
        sed 's/^/last-resume: /' /run/hibernate-tool/last-resume 2>/dev/null
        check "$n-not-resumed" test ! -e /dev/shm/marker
        check "$n-helper-invalidated" grep -qx 'RESULT=invalidated' /run/hibernate-tool/last-resume
        check "$n-root-marker-intact" root_marker_intact
        check "$n-swap-active" wait_swap
        check "$n-swap-signature-swapspace2" swap_signature
        check "$n-swapoff-swapon" swap_cycle
        check "$n-no-sleep-state" test ! -e /var/lib/hibernate-tool/sleep-state
}

case "$(cat "$PHASE_FILE" 2>/dev/null)" in
"")
        say "PHASE 1 kernel $(uname -r)"
        check run1-late-mounted wait_late
        say "findmnt /mnt/late: $(findmnt -n /mnt/late)"
        head -c 1M /dev/urandom > "$STATE/root-marker"; hash_of "$STATE/root-marker" > "$STATE/root-marker.sha"
        head -c 1M /dev/urandom > "$LATE/marker"; hash_of "$LATE/marker" > "$STATE/late-marker.sha"
        sync
        say "late mount count before hibernating: $(dumpe2fs -h "$(late_dev)" 2>/dev/null | sed -n 's/^Mount count: *//p')"
        hibernate_now hib-1; rc=$?
        # (systemctl returns once the job is queued) run 2 resumes here, the disk hot-added
        # while the helper waited for it
        check run1-systemctl-hibernate-ok test "$rc" -eq 0
        check run2-resumed wait_hibernated
        say "RESUMED run2 kernel $(uname -r)"
        sed 's/^/last-hibernate: /' /run/hibernate-tool/last-hibernate
        check run2-result grep -q '^RESULT=resumed$' /run/hibernate-tool/last-hibernate
        check run2-ram-marker test "$MARK" = "$(hash_of /dev/shm/marker)"
        check run2-root-marker-intact root_marker_intact
        check run2-late-still-mounted late_mounted
        check run2-late-marker-intact late_marker_intact
        check run2-late-writable bash -c "echo resumed > $LATE/after-resume && sync && grep -qx resumed $LATE/after-resume"
        check run2-swap-active wait_swap
        say "late mount count before hibernating again: $(dumpe2fs -h "$(late_dev)" 2>/dev/null | sed -n 's/^Mount count: *//p')"
        hibernate_now hib-2
        wait_hibernated
        say "CHECK-FAIL run3-resumed-although-the-late-filesystem-changed"
        ;;
hib-2)
        after_normal_boot run3
        check run3-reason-names-the-changed-fs grep -q "^MESSAGE=not resuming: filesystem UUID=$(cat /etc/ht-e2e-late.uuid) on .* was mounted since hibernation" /run/hibernate-tool/last-resume
        check run3-late-mounted wait_late
        check run3-late-marker-intact late_marker_intact
        hibernate_now hib-3
        wait_hibernated
        say "CHECK-FAIL run4-resumed-although-the-late-filesystem-never-came"
        ;;
hib-3)
        after_normal_boot run4
        check run4-reason-not-present grep -q "^MESSAGE=not resuming: filesystem UUID=$(cat /etc/ht-e2e-late.uuid) recorded at hibernation is not present" /run/hibernate-tool/last-resume
        check run4-late-not-mounted bash -c '! findmnt /mnt/late'
        set_phase "done"
        say "PHASE done"
        ;;
*)
        say "CHECK-FAIL unexpected-phase $(cat "$PHASE_FILE")"
        ;;
esac
sync
exit 0
