#!/bin/bash
# Runs inside the Debian VM (ht-e2e.service, output on the serial console as "HT-E2E: …").
# Boot 1 (running the OLDER kernel, the default entry boots the newer one):
#   refusals — swap too small: `systemctl hibernate` fails at once (the gate); with the
#   gate out of the way the sleep service's ExecStartPre refuses; nothing changed —
#   then a marker in RAM and `systemctl hibernate` (#1).
# After resume #1 (same process): marker intact, one-shot entry gone, pre/post timing;
#   /boot unmounted, `systemctl hibernate` (#2).
# After resume #2: marker intact, /boot still unmounted; done (power-off).
# Boot 2 (a normal boot): back on the default entry, nothing left behind.
# After the host purged the package: stock hibernation (systemd + initramfs-tools), resumed.
set -u
PHASE_FILE=/var/lib/ht-e2e/phase
mkdir -p /var/lib/ht-e2e
say() { echo "$*"; }
check() {  # name, command… — prints CHECK-OK/CHECK-FAIL lines the host counts
        local name=$1; shift
        if "$@" >/dev/null 2>&1; then say "CHECK-OK $name"; else say "CHECK-FAIL $name"; fi
}
grubenv_next() { grub-editenv /boot/grub/grubenv list 2>/dev/null | sed -n 's/^next_entry=//p'; }
wait_hibernated() {  # after `systemctl hibernate`: until our post wrote the outcome
        # (pre leaves RESULT=hibernating there; post replaces it after the resume)
        local i
        for i in $(seq 1 900); do
                [ -e /run/hibernate-tool/last-hibernate ] &&
                        ! grep -q '^RESULT=hibernating$' /run/hibernate-tool/last-hibernate && return 0
                sleep 1
        done
        return 1
}
gate=/run/systemd/sleep.conf.d/50-hibernate-tool.conf
wait_gate() {  # present|absent
        local i
        for i in $(seq 1 30); do
                if [ "$1" = present ] && [ -e $gate ]; then return 0; fi
                if [ "$1" = absent ] && [ ! -e $gate ]; then return 0; fi
                sleep 1
        done
        return 1
}
SWAP_P3=$(blkid -t TYPE=swap -o device | grep -E 'vda3$')
SWAP_P4=$(blkid -t TYPE=swap -o device | grep -E 'vda4$')

# After the host purged the package (test-hibernate-vm.sh, run 5): nothing of ours is left
# and hibernation is stock Debian's (systemd-sleep, initramfs-tools' own resume script).
if [ "$(cat $PHASE_FILE 2>/dev/null)" = purged ]; then
        say "PHASE purged kernel $(uname -r)"
        check purged-no-tool sh -c '! command -v hibernate-tool && ! command -v hibernate-check'
        check purged-no-dropin sh -c '! systemctl cat systemd-hibernate.service --no-pager | grep -q hibernate-tool'
        check purged-no-units sh -c '! systemctl list-unit-files --no-legend | grep -q hibernate-tool'
        check purged-no-gate test ! -e $gate
        check purged-initramfs-clean sh -c '! lsinitramfs /boot/initrd.img-$(uname -r) | grep -q hibernate-tool'
        check purged-initramfs-stock-resume sh -c 'lsinitramfs /boot/initrd.img-$(uname -r) | grep -q "scripts/local-premount/resume"'
        head -c 4M /dev/urandom > /dev/shm/marker
        MARK=$(sha256sum < /dev/shm/marker)
        echo stock-hibernated > $PHASE_FILE; sync
        say "HIBERNATE-STOCK $(date +%s)"
        /usr/lib/ht-e2e/hibernate; rc=$?
        check stock-hibernate-ok test "$rc" -eq 0
        say "RESUMED-STOCK kernel $(uname -r)"
        check stock-marker test "$MARK" = "$(sha256sum < /dev/shm/marker)"
        check stock-swap-usable sh -c 'swapon --show=NAME --noheadings | grep -q .'
        echo stock-done > $PHASE_FILE; sync
        exit 0
fi

if [ "$(cat $PHASE_FILE 2>/dev/null)" = done ]; then
        say "PHASE final kernel $(uname -r)"
        check final-no-state test ! -e /var/lib/hibernate-tool/sleep-state
        check final-no-next-entry test -z "$(grubenv_next)"
        check final-boot-mounted findmnt /boot
        check final-gate-absent test ! -e $gate
        exit 0
fi

say "PHASE boot1 kernel $(uname -r)"
systemctl is-active hibernate-tool-gate.service | sed 's/^/gate service: /'
hibernate-check | sed 's/^/check: /'
check boot1-ready hibernate-check
check boot1-gate-absent wait_gate absent
check boot1-logind sh -c "hibernate-check | grep -Eq '^PASS +logind +logind offers hibernation'"
check boot1-gate-notify sh -c "systemctl show -P StatusText hibernate-tool-gate.service | grep -q '^Hibernation offered'"
check boot1-dropin systemctl cat systemd-hibernate.service --no-pager
# setup inside the VM: the host already set the machine up, so nothing is left to change.
out=$(hibernate-tool setup --swap "$SWAP_P3" --json --no-regenerate 2>/dev/null)
say "setup in the VM: $out"
check boot1-setup-idempotent sh -c "printf '%s' '$out' | grep -q '\"changed\": *false'"

# ---- refusal 1: resume swap not active (a tiny swap instead): the gate fails systemctl ----
GRUBENV_SUM=$(sha256sum < /boot/grub/grubenv)
swapoff "$SWAP_P3"
swapon "$SWAP_P4"
check refuse1-gate-written wait_gate present
sed 's/^/gate file: /' $gate
out=$(systemctl hibernate 2>&1); rc=$?
say "systemctl hibernate (swap): rc=$rc: $out"
check refuse1-systemctl-fails test "$rc" -ne 0
check refuse1-gate-journal sh -c "journalctl -b -u hibernate-tool-gate.service -o cat | grep -q 'hibernation is not safe, disallowed: .*resume-device'"
check refuse1-gate-message-id sh -c "journalctl -b MESSAGE_ID=d92596643962459da1cf2a51d091cc69 HIBERNATE_TOOL_SAFE=0 -o cat | grep -q 'disallowed: .*resume-device'"
check refuse1-gate-status sh -c "systemctl show -P StatusText hibernate-tool-gate.service | grep -q '^Hibernation disallowed: .*resume-device'"
check refuse1-logind-warns sh -c "hibernate-check | grep -Eq '^WARN +logind +hibernate-tool.s gate disallows'"
swapoff "$SWAP_P4"
swapon "$SWAP_P3"
check refuse1-gate-lifted wait_gate absent

# ---- refusal 2: a kernel update removed the running kernel's boot entry --------------------
# (systemd's own checks pass here; only ours know the next boot could not resume.)
cp -a /boot/grub/grub.cfg /root/grub.cfg.orig
sed -i "s/$(uname -r)/6.1.0-0-gone/g" /boot/grub/grub.cfg
check refuse2-gate-written wait_gate present
sed 's/^/gate file: /' $gate
out=$(systemctl hibernate 2>&1); rc=$?
say "systemctl hibernate (entry, gate): rc=$rc: $out"
check refuse2-gate-systemctl-fails test "$rc" -ne 0
journalctl -b -u hibernate-tool-gate.service -o cat --no-pager | tail -n 2 | sed 's/^/gate journal: /'
check refuse2-gate-journal sh -c "journalctl -b -u hibernate-tool-gate.service -o cat | grep -q 'disallowed: .*boot-entry: no entry'"
# Without the gate: logind accepts, the sleep service's ExecStartPre= refuses.
systemctl stop hibernate-tool-gate.service
check refuse2-gate-removed-on-stop test ! -e $gate
rm -f /run/hibernate-tool/last-hibernate
out=$(systemctl hibernate 2>&1); rc=$?
say "systemctl hibernate (entry, no gate): rc=$rc: $out"
for i in $(seq 1 60); do
        systemctl is-failed -q systemd-hibernate.service && break
        sleep 1
done
check refuse2-pre-service-failed systemctl is-failed -q systemd-hibernate.service
journalctl -b -u systemd-hibernate.service -o cat --no-pager | grep -i 'refusing' | tail -n 2 | sed 's/^/sleep journal: /'
check refuse2-pre-journal sh -c "journalctl -b -u systemd-hibernate.service -o cat | grep -q 'Refusing to hibernate: boot-entry: no entry in /boot/grub/grub.cfg boots the running kernel'"
check refuse2-pre-message-id sh -c "journalctl -b -p warning MESSAGE_ID=4133b5c123514166b7dc303e95bb73fc -o cat | grep -q 'Refusing to hibernate: boot-entry'"
check refuse2-still-running true
check refuse2-grubenv-unchanged test "$GRUBENV_SUM" = "$(sha256sum < /boot/grub/grubenv)"
check refuse2-no-state test ! -e /var/lib/hibernate-tool/sleep-state
check refuse2-outcome grep -q '^RESULT=refused$' /run/hibernate-tool/last-hibernate
cp -a /root/grub.cfg.orig /boot/grub/grub.cfg
systemctl reset-failed systemd-hibernate.service hibernate.target 2>/dev/null
systemctl start hibernate-tool-gate.service
check restored-gate-absent wait_gate absent
check restored-ready hibernate-check

# ---- hibernation #1: the one-shot entry must bring this (older, non-default) kernel back
head -c 4M /dev/urandom > /dev/shm/marker
MARK=$(sha256sum < /dev/shm/marker)
say "marker $MARK"
rm -f /run/hibernate-tool/last-hibernate
KREL=$(uname -r)
say "HIBERNATE-1 $(date +%s)"
systemctl hibernate; rc=$?
check hib1-systemctl-ok test "$rc" -eq 0
check hib1-resumed wait_hibernated
say "RESUMED-1 kernel $(uname -r)"
sed 's/^/last-hibernate: /' /run/hibernate-tool/last-hibernate
check hib1-result grep -q '^RESULT=resumed$' /run/hibernate-tool/last-hibernate
check hib1-marker test "$MARK" = "$(sha256sum < /dev/shm/marker)"
check hib1-same-kernel test "$KREL" = "$(uname -r)"
check hib1-next-entry-cleared test -z "$(grubenv_next)"
check hib1-no-state test ! -e /var/lib/hibernate-tool/sleep-state
journalctl -b -u systemd-hibernate.service -o cat --no-pager | grep -i 'hibernate-tool\|Ready to' | tail -n 4 | sed 's/^/sleep journal: /'
sed 's/^/last-resume: /' /run/hibernate-tool/last-resume 2>/dev/null

# pre + post cost (the same code the drop-ins run; this VM is emulated: TCG)
for i in 1 2 3 4 5; do
        t0=$(date +%s%N); hibernate-tool pre >/dev/null 2>&1; t1=$(date +%s%N)
        hibernate-tool post >/dev/null 2>&1; t2=$(date +%s%N)
        say "TIMING pre_ms=$(( (t1 - t0) / 1000000 )) post_ms=$(( (t2 - t1) / 1000000 ))"
done
check timing-left-nothing test -z "$(grubenv_next)"
# the record written by those timing runs is harmless: the header says SWAPSPACE2

# ---- hibernation #2 with /boot unmounted ------------------------------------------------
# The gate re-runs every check after the changes above; its initramfs check decompresses
# /boot/initrd.img-* (seconds under TCG), which keeps /boot busy meanwhile: retry.
for i in $(seq 60); do umount /boot 2>/dev/null && break; sleep 1; done
check hib2-boot-unmounted sh -c '! findmnt /boot'
rm -f /run/hibernate-tool/last-hibernate
say "HIBERNATE-2 $(date +%s)"
systemctl hibernate; rc=$?
check hib2-systemctl-ok test "$rc" -eq 0
check hib2-resumed wait_hibernated
say "RESUMED-2 kernel $(uname -r)"
check hib2-result grep -q '^RESULT=resumed$' /run/hibernate-tool/last-hibernate
check hib2-marker test "$MARK" = "$(sha256sum < /dev/shm/marker)"
check hib2-boot-still-unmounted sh -c '! findmnt /boot'
journalctl -b -u systemd-hibernate.service -o cat --no-pager | grep -i 'mounted\|next_entry' | tail -n 6 | sed 's/^/sleep journal: /'
check hib2-pre-mounted-boot sh -c "journalctl -b -u systemd-hibernate.service -o cat | grep -q '^  mounted /boot'"
check hib2-pre-unmounted-boot sh -c "journalctl -b -u systemd-hibernate.service -o cat | grep -q '^  unmounted /boot'"
mount /boot
check hib2-next-entry-cleared test -z "$(grubenv_next)"
echo done > $PHASE_FILE
sync
exit 0
