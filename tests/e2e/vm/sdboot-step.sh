#!/bin/bash
# Runs inside the UEFI / systemd-boot Debian VM (tests/e2e/test-sdboot-vm.sh; ht-e2e.service,
# output on the serial console as "HT-E2E: …"). /etc/ht-e2e-sdboot.env (written by the host)
# names the kernels and their entry ids. One phase per boot (/var/lib/ht-e2e/phase):
#   boot1  the default entry (newer kernel) booted; `bootctl set-oneshot <older entry>`,
#          reboot
#   boot2  systemd-boot took the one-shot: the older kernel; a marker in RAM, `systemctl
#          hibernate` (our pre must set LoaderEntryOneShot to this kernel's entry) …
#          … after the resume (same process, next QEMU run): the older kernel again, our
#          helper resumed, marker intact, no one-shot left; power-off
#   final  the default entry again (newer kernel), nothing left behind
set -u
. /etc/ht-e2e-sdboot.env   # KERNEL_NEW KERNEL_OLD ENTRY_NEW ENTRY_OLD
PHASE_FILE=/var/lib/ht-e2e/phase
mkdir -p /var/lib/ht-e2e
LOADER_GUID=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
say() { echo "$*"; }
check() {  # name, command… — prints CHECK-OK/CHECK-FAIL lines the host counts
        local name=$1; shift
        if "$@" >/dev/null 2>&1; then say "CHECK-OK $name"; else say "CHECK-FAIL $name"; fi
}
# efivar NAME: the UTF-16 string of a systemd-boot variable as ASCII ("" when not set).
efivar() {
        local f=/sys/firmware/efi/efivars/$1-$LOADER_GUID
        [ -e "$f" ] || return 0
        # shellcheck disable=SC2002  # through a pipe: tail cannot seek in an efivarfs file
        cat "$f" | tail -c +5 | tr -d '\000'
}
wait_hibernated() {  # after `systemctl hibernate`: until our post wrote the outcome
        local i
        for i in $(seq 1 900); do
                [ -e /run/hibernate-tool/last-hibernate ] &&
                        ! grep -q '^RESULT=hibernating$' /run/hibernate-tool/last-hibernate && return 0
                sleep 1
        done
        return 1
}
phase=$(cat $PHASE_FILE 2>/dev/null || echo boot1)
say "PHASE $phase kernel $(uname -r) LoaderEntrySelected=$(efivar LoaderEntrySelected) LoaderEntryOneShot=$(efivar LoaderEntryOneShot)"

case $phase in
boot1)
        check boot1-default-kernel test "$(uname -r)" = "$KERNEL_NEW"
        check boot1-loader-is-sdboot sh -c "bootctl status --no-pager 2>/dev/null | grep -q 'Product: systemd-boot'"
        check boot1-selected-default test "$(efivar LoaderEntrySelected)" = "$ENTRY_NEW"
        check boot1-no-oneshot test -z "$(efivar LoaderEntryOneShot)"
        check boot1-esp-mounted sh -c "findmnt -n -o FSTYPE /boot/efi | grep -qx vfat"
        check boot1-entry-has-resume grep -q "resume=UUID=" "/boot/efi/loader/entries/$ENTRY_OLD"
        check boot1-kinstall-cmdline grep -q "resume=UUID=" /etc/kernel/cmdline
        bootctl set-oneshot "$ENTRY_OLD"; rc=$?
        say "bootctl set-oneshot $ENTRY_OLD: rc=$rc"
        check boot1-oneshot-set test "$(efivar LoaderEntryOneShot)" = "$ENTRY_OLD"
        echo boot2 >$PHASE_FILE
        sync
        systemctl reboot
        exit 0
        ;;
boot2)
        check boot2-older-kernel test "$(uname -r)" = "$KERNEL_OLD"
        check boot2-selected-oneshot test "$(efivar LoaderEntrySelected)" = "$ENTRY_OLD"
        check boot2-oneshot-consumed test -z "$(efivar LoaderEntryOneShot)"
        hibernate-check 2>&1 | sed 's/^/check: /'
        check boot2-ready hibernate-check
        hibernate-tool boot-entry 2>&1 | sed 's/^/boot-entry: /'
        check boot2-boot-entry-is-running sh -c "hibernate-tool boot-entry --json | grep -qF '\"$ENTRY_OLD\"'"
        head -c 4M /dev/urandom >/dev/shm/marker
        MARK=$(sha256sum </dev/shm/marker)
        say "marker $MARK"
        echo hibernated >$PHASE_FILE
        sync
        rm -f /run/hibernate-tool/last-hibernate
        say "HIBERNATE $(date +%s)"
        systemctl hibernate; rc=$?
        check hib-systemctl-ok test "$rc" -eq 0
        check hib-resumed wait_hibernated
        say "RESUMED kernel $(uname -r) LoaderEntrySelected=$(efivar LoaderEntrySelected) LoaderEntryOneShot=$(efivar LoaderEntryOneShot)"
        sed 's/^/last-hibernate: /' /run/hibernate-tool/last-hibernate
        journalctl -b -u systemd-hibernate.service -o cat --no-pager | grep -i 'hibernate-tool\|LoaderEntry\|Ready to' |
                tail -n 8 | sed 's/^/sleep journal: /'
        check hib-result grep -q '^RESULT=resumed$' /run/hibernate-tool/last-hibernate
        check hib-marker test "$MARK" = "$(sha256sum </dev/shm/marker)"
        check hib-same-kernel test "$(uname -r)" = "$KERNEL_OLD"
        check hib-pre-set-oneshot sh -c "journalctl -b -u systemd-hibernate.service -o cat | grep -qF 'systemd-boot LoaderEntryOneShot=$ENTRY_OLD'"
        check hib-resume-boot-selected test "$(efivar LoaderEntrySelected)" = "$ENTRY_OLD"
        check hib-no-oneshot-left test -z "$(efivar LoaderEntryOneShot)"
        check hib-no-state test ! -e /var/lib/hibernate-tool/sleep-state
        echo done >$PHASE_FILE
        sync
        exit 0
        ;;
done)
        check final-default-kernel test "$(uname -r)" = "$KERNEL_NEW"
        check final-selected-default test "$(efivar LoaderEntrySelected)" = "$ENTRY_NEW"
        check final-no-oneshot test -z "$(efivar LoaderEntryOneShot)"
        check final-no-state test ! -e /var/lib/hibernate-tool/sleep-state
        echo final >$PHASE_FILE
        sync
        exit 0
        ;;
*)
        say "CHECK-FAIL unexpected-phase-$phase"
        exit 1
        ;;
esac
