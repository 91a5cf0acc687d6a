#!/bin/bash
# Runs inside the Debian VM with /boot on the root filesystem (tests/e2e/test-grubenv-root-vm.sh;
# output on the serial console as "HT-E2E: …", CHECK-OK/CHECK-FAIL lines count).
# Boot 1 (the OLDER kernel, brought up once by the host's one-shot; the default entry boots the
#   newer one): grubenv is a file of "/", next_entry already consumed by GRUB; an ftrace of
#   freeze_super/thaw_super (proven to see a freeze on a scratch loop ext4 first); the phase
#   file and grubenv's extent are synced; then `hibernate-tool pre --mode hibernate` (what the
#   sleep service's ExecStartPre= runs) sets next_entry to this kernel's entry, in place; "/"
#   is still writable, no freeze_super was called; then the power is cut: sysrq "o" (power
#   off at once: no sync, no unmount, "/" is left with an unreplayed journal).
# Boot 2 (whatever GRUB chose; the host checks it is the older kernel, and that the
#   initramfs' fsck had to replay the root's journal: the power cut was real),
#   hibernate-tool-cleanup (post --boot)
#   found the entry consumed by GRUB, next_entry is unset, grubenv is still one valid
#   1024-byte block in the same place.
set -u
PHASE_FILE=/var/lib/ht-e2e/phase
mkdir -p /var/lib/ht-e2e
say() { echo "$*"; }
check() {  # name, command… — prints CHECK-OK/CHECK-FAIL lines the host counts
        local name=$1; shift
        if "$@" >/dev/null 2>&1; then say "CHECK-OK $name"; else say "CHECK-FAIL $name"; fi
}
ENV=/boot/grub/grubenv
grubenv_next() { grub-editenv $ENV list 2>/dev/null | sed -n 's/^next_entry=//p'; }
extent() { filefrag -v $ENV 2>/dev/null | sed -n 's/^ *0: *\(.*\)$/\1/p' | tr -s ' '; }
T=/sys/kernel/tracing
freezes() { grep -v '^#' $T/trace | grep -Ec 'freeze_super|thaw_super'; }
pre_says() { printf '%s' "$out" | grep -q -- "$1"; }
pre_lacks() { ! pre_says "$1"; }

if [ "$(cat $PHASE_FILE 2>/dev/null)" = cut ]; then
        say "PHASE after-cut kernel $(uname -r)"
        check after-cleanup-ran systemctl is-active -q hibernate-tool-cleanup.service
        journalctl -b -u hibernate-tool-cleanup.service -o cat --no-pager | sed 's/^/cleanup: /'
        check after-entry-consumed-by-grub sh -c "journalctl -b -u hibernate-tool-cleanup.service -o cat | grep -q 'GRUB next_entry already consumed'"
        sed 's/^/last-hibernate: /' /run/hibernate-tool/last-hibernate 2>/dev/null
        check after-outcome grep -q '^RESULT=not-resumed$' /run/hibernate-tool/last-hibernate
        check after-no-state test ! -e /var/lib/hibernate-tool/sleep-state
        grub-editenv $ENV list | sed 's/^/grubenv: /'
        check after-grubenv-valid grub-editenv $ENV list
        check after-grubenv-1024 test "$(stat -c %s $ENV)" = 1024
        check after-no-next-entry test -z "$(grubenv_next)"
        check after-grubenv-same-blocks test "$(extent)" = "$(cat /var/lib/ht-e2e/extent)"
        check after-no-boot-mount sh -c '! findmnt /boot'
        echo "done" > $PHASE_FILE
        sync
        exit 0
fi

say "PHASE cut kernel $(uname -r)"
check cut-no-boot-mount sh -c '! findmnt /boot'
check cut-grubenv-on-root test "$(findmnt -n -o TARGET -T $ENV)" = /
check cut-root-is-vda2 test "$(findmnt -n -o SOURCE /)" = /dev/vda2
grub-editenv $ENV list | sed 's/^/grubenv before pre: /'
# GRUB consumed the host's one-shot itself (save_env, in place): an entry left over here
# would make the next boot's kernel prove nothing.
check cut-host-oneshot-consumed test -z "$(grubenv_next)"
say "grubenv extent before pre: $(extent) inode $(stat -c %i $ENV)"

# ftrace on freeze_super/thaw_super: every FIFREEZE/FITHAW goes through them.
mountpoint -q $T || mount -t tracefs tracefs $T
echo 0 > $T/tracing_on
echo 'freeze_super thaw_super' > $T/set_ftrace_filter
echo function > $T/current_tracer
echo > $T/trace
echo 1 > $T/tracing_on
# Positive control: a freeze of a scratch ext4 is seen.
truncate -s 16M /run/ctl.img && mkfs.ext4 -q -F /run/ctl.img && mkdir -p /run/ctl &&
        mount -o loop /run/ctl.img /run/ctl && fsfreeze -f /run/ctl && fsfreeze -u /run/ctl
umount /run/ctl 2>/dev/null; rm -f /run/ctl.img
check cut-ftrace-sees-a-freeze test "$(freezes)" -ge 2
echo > $T/trace

extent > /var/lib/ht-e2e/extent
INODE=$(stat -c %i $ENV)
echo cut > $PHASE_FILE
sync   # the phase file and the extent reach the disk; nothing is synced after pre

out=$(hibernate-tool pre --mode hibernate --json=short 2>&1); rc=$?
say "pre: rc=$rc $out"
# "/" is not frozen: a write there returns at once (it would block until the thaw).
check cut-root-writable-after-pre timeout 10 sh -c 'echo written > /var/lib/ht-e2e/after-pre'
echo 0 > $T/tracing_on
say "freeze_super/thaw_super calls during pre: $(freezes)"
grep -E 'freeze_super|thaw_super' $T/trace | head -n 5 | sed 's/^/trace: /'
check cut-pre-ok test "$rc" -eq 0
check cut-pre-in-place pre_says 'GRUB next_entry=[^"]* on disk, rewritten in place'
check cut-pre-no-boot-mount pre_lacks 'mounted /boot'
check cut-no-freeze test "$(freezes)" -eq 0
check cut-next-entry-set test -n "$(grubenv_next)"
say "next_entry after pre: $(grubenv_next)"
check cut-same-inode test "$(stat -c %i $ENV)" = "$INODE"
check cut-same-blocks test "$(extent)" = "$(cat /var/lib/ht-e2e/extent)"
say "POWER-CUT $(date +%s)"
sleep 1   # let the console catch up
echo o > /proc/sysrq-trigger
sleep 60
