#!/bin/bash
# hibernate-tool pre / post / gate / boot-entry on fixture roots: refusal leaves everything
# unchanged, pre sets GRUB's next_entry (read back by the real grub-editenv), the kernel's
# resume target and the record; post restores exactly what was there.
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"
command -v grub-editenv >/dev/null || skip_or_fail "grub-editenv missing (apt-get install grub2-common)"

ENTRY="gnulinux-advanced-X>gnulinux-6.1.0-56-amd64-advanced-X"
# A Debian-style grub.cfg: the newest kernel (6.1.0-99) is the default; the running one
# (6.1.0-56) is in the submenu.
debian_grub() {  # root, extra words for the 6.1.0-56 entry
        cat > "$1/boot/grub/grub.cfg" <<G
menuentry 'Debian GNU/Linux' --class debian \$menuentry_id_option 'gnulinux-simple-X' {
	linux	/boot/vmlinuz-6.1.0-99-amd64 root=UUID=$UUID_VDC ro resume=UUID=$UUID_VDB
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-X' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-99-amd64' \$menuentry_id_option 'gnulinux-6.1.0-99-amd64-advanced-X' {
		linux	/boot/vmlinuz-6.1.0-99-amd64 root=UUID=$UUID_VDC ro resume=UUID=$UUID_VDB
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-56-amd64 (recovery mode)' \$menuentry_id_option 'gnulinux-6.1.0-56-amd64-recovery-X' {
		linux	/boot/vmlinuz-6.1.0-56-amd64 root=UUID=$UUID_VDC ro single
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-56-amd64' \$menuentry_id_option 'gnulinux-6.1.0-56-amd64-advanced-X' {
		linux	/boot/vmlinuz-6.1.0-56-amd64 root=UUID=$UUID_VDC ro resume=UUID=$UUID_VDB ${2:-}
	}
}
G
        touch "$1/boot/vmlinuz-6.1.0-56-amd64" "$1/boot/vmlinuz-6.1.0-99-amd64"
        grub-editenv "$1/boot/grub/grubenv" create
}

run_tool() {  # root, args…
        local r=$1; shift
        set +e
        OUT=$("$HIBERNATE_TOOL" "$@" --root "$r" 2>"$r.stderr")
        RC=$?
        set -e
        ERR=$(cat "$r.stderr"); rm -f "$r.stderr"
}
tree_sum() {  # every file, except our own outcome and lock files under run/: name, size,
        # modification time (ns, changed by any write) and the bytes of its first MiB (the
        # 2 GiB sparse device images would take minutes to hash whole on a loaded machine)
        (cd "$1" && find . -path ./run/hibernate-tool -prune -o -type f -print0 | sort -z |
                while IFS= read -r -d '' f; do
                        printf '%s %s %s\n' "$f" "$(stat -c '%s %.9Y' -- "$f")" "$(head -c 1048576 -- "$f" | sha256sum)"
                done) | sha256sum
}
expect_out() { if grep -Eq -- "$1" <<<"$OUT$ERR"; then ok; else fail "[$CASE] output does not match /$1/: $OUT $ERR"; fi; }
expect_env() {  # grub-editenv list line, or "none" for no next_entry
        local got; got=$(grub-editenv "$R/boot/grub/grubenv" list | grep '^next_entry=' || echo none)
        if [ "$got" = "$1" ]; then ok; else fail "[$CASE] grubenv: expected '$1', got '$got'"; fi
}

CASE=boot-entry
R=$(new_root); debian_grub "$R"
run_tool "$R" boot-entry --json
expect_rc 0
if jq -e --arg e "$ENTRY" '.loader == "grub" and .id == $e and .grubenv.next_entry == null' >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] $OUT"; fi

CASE=pre-post-healthy
R=$(new_root); debian_grub "$R"
# A process of the fixture's /proc mapping a file of the root: pre records it (working set).
mkdir -p "$R/proc/4242" "$R/usr/lib"
head -c 20000 /dev/urandom > "$R/usr/lib/libfake.so"; cat "$R/usr/lib/libfake.so" >/dev/null
echo "4242 (fake) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0" > "$R/proc/4242/stat"
echo "55d0c0000000-55d0c0005000 r-xp 00000000 fe:01 $(stat -c %i "$R/usr/lib/libfake.so") /usr/lib/libfake.so" > "$R/proc/4242/maps"
run_tool "$R" pre --mode hibernate
expect_rc 0
expect_out "working set: 1 files \(0.0 MiB\), 0 processes"
grep -q "^file m [0-9]* [0-9]* 20000 [0-9]* /usr/lib/libfake.so$" "$R/var/lib/hibernate-tool/workingset" && ok || fail "[$CASE] working-set record: $(cat "$R/var/lib/hibernate-tool/workingset")"
grep -q '^WORKINGSET=1 files ' "$R/run/hibernate-tool/last-hibernate" && ok || fail "[$CASE] last-hibernate: $(cat "$R/run/hibernate-tool/last-hibernate")"
expect_out "Ready to hibernate \(kernel 6.1.0-56-amd64"
expect_env "next_entry=$ENTRY"
if [ "$(cat "$R/sys/power/resume")" = "254:16" ] && [ "$(cat "$R/sys/power/resume_offset")" = 0 ]; then ok; else
        fail "[$CASE] kernel resume target: $(cat "$R/sys/power/resume") $(cat "$R/sys/power/resume_offset")"; fi
if [ "$(dd if="$R/dev/vdb" bs=1 skip=2048 count=8 status=none)" = HTRECORD ]; then ok; else fail "[$CASE] no record on the swap header"; fi
if grep -q "^ENTRY=$ENTRY$" "$R/var/lib/hibernate-tool/sleep-state"; then ok; else fail "[$CASE] sleep state"; fi
[ "$(stat -c %s "$R/boot/grub/grubenv")" = 1024 ] && ok || fail "[$CASE] grubenv is not 1024 bytes"
SERVICE_RESULT=success EXIT_STATUS=0 run_tool "$R" post
expect_rc 0
expect_env none
[ ! -e "$R/var/lib/hibernate-tool/sleep-state" ] && ok || fail "[$CASE] sleep state left behind"
grep -q '^RESULT=resumed$' "$R/run/hibernate-tool/last-hibernate" && ok || fail "[$CASE] last-hibernate: $(cat "$R/run/hibernate-tool/last-hibernate")"
# Not the running system: no prefetch service started, the record removed, the summary kept.
[ ! -e "$R/var/lib/hibernate-tool/workingset" ] && ok || fail "[$CASE] working-set record left behind"
# hibernate-check reports it
OUT=$("$HIBERNATE_CHECK" --root "$R" --json || true)
jq -e '.last_hibernate.result == "resumed" and .last_hibernate.mode == "hibernate"' >/dev/null <<<"$OUT" && ok || fail "[$CASE] hibernate-check: $(jq -c .last_hibernate <<<"$OUT")"
jq -e '(.last_hibernate.workingset | startswith("1 files")) and .last_hibernate.prefetch == null' >/dev/null <<<"$OUT" && ok || fail "[$CASE] hibernate-check workingset: $(jq -c .last_hibernate <<<"$OUT")"
"$HIBERNATE_CHECK" --root "$R" | grep -q '^Last hibernation: resumed: Resumed from hibernate' && ok || fail "[$CASE] text report"

CASE=previous-next-entry-kept
R=$(new_root); debian_grub "$R"
grub-editenv "$R/boot/grub/grubenv" set next_entry=users-choice
run_tool "$R" pre
expect_rc 0
expect_env "next_entry=$ENTRY"
run_tool "$R" post
expect_env "next_entry=users-choice"

CASE=grub-consumed-entry
R=$(new_root); debian_grub "$R"
run_tool "$R" pre
grub-editenv "$R/boot/grub/grubenv" unset next_entry   # what GRUB's save_env does at boot
BEFORE=$(sha256sum < "$R/boot/grub/grubenv")
run_tool "$R" post
expect_rc 0
expect_out "already consumed"
[ "$BEFORE" = "$(sha256sum < "$R/boot/grub/grubenv")" ] && ok || fail "[$CASE] grubenv rewritten needlessly"

CASE=post-failed-hibernation
R=$(new_root); debian_grub "$R"
run_tool "$R" pre
SERVICE_RESULT=exit-code EXIT_STATUS=1 run_tool "$R" post
expect_env none
grep -q '^RESULT=failed$' "$R/run/hibernate-tool/last-hibernate" && ok || fail "[$CASE] last-hibernate"

CASE=post-at-boot
R=$(new_root); debian_grub "$R"
run_tool "$R" pre
run_tool "$R" post --boot
expect_env none
grep -q '^RESULT=not-resumed$' "$R/run/hibernate-tool/last-hibernate" && ok || fail "[$CASE] last-hibernate"
run_tool "$R" post --boot
expect_rc 0
expect_out "No hibernation state"

CASE=stale-state-undone-by-next-pre
R=$(new_root); debian_grub "$R"
run_tool "$R" pre
run_tool "$R" pre     # no post in between (crash): the second pre undoes, then sets again
expect_rc 0
expect_env "next_entry=$ENTRY"
run_tool "$R" post
expect_env none

# kill -9 of pre after each of its steps (test builds: HIBERNATE_TOOL_TEST_KILL_AT): GRUB's
# environment block stays valid, the next boot's cleanup (post --boot) leaves no one-shot
# entry and no state behind, and the next pre and post work as on a healthy machine.
if [ "${HT_TEST_HOOKS:-0}" = 1 ]; then
        for step in pre-state pre-boot-entry pre-resume-target pre-record pre-done; do
                CASE=kill-pre-$step
                R=$(new_root); debian_grub "$R"
                HIBERNATE_TOOL_TEST_KILL_AT=$step run_tool "$R" pre
                [ "$RC" = 137 ] && ok || fail "[$CASE] pre was not killed at $step (exit $RC: $OUT $ERR)"
                grub-editenv "$R/boot/grub/grubenv" list >/dev/null 2>&1 && ok || fail "[$CASE] grubenv unreadable for GRUB's tools"
                [ "$(stat -c %s "$R/boot/grub/grubenv")" = 1024 ] && ok || fail "[$CASE] grubenv is not one 1024-byte block"
                case $step in
                pre-state) expect_env none ;;
                *) expect_env "next_entry=$ENTRY" ;;   # written before the kill: the boot would honour it
                esac
                [ -e "$R/var/lib/hibernate-tool/sleep-state" ] && ok || fail "[$CASE] no sleep-state for the cleanup"
                run_tool "$R" post --boot               # the next boot, which did not resume
                expect_rc 0
                expect_env none
                [ ! -e "$R/var/lib/hibernate-tool/sleep-state" ] && ok || fail "[$CASE] sleep-state left after the cleanup"
                run_tool "$R" pre
                expect_rc 0
                expect_env "next_entry=$ENTRY"
                run_tool "$R" post
                expect_rc 0
                expect_env none
        done
        # A kill between the in-place write of the block and its fdatasync (on a filesystem
        # where the block is rewritten in place; elsewhere the checkpointed replacement runs
        # and this step never comes).
        CASE=kill-grubenv-written
        R=$(new_root); debian_grub "$R"
        HIBERNATE_TOOL_TEST_KILL_AT=grubenv-written run_tool "$R" pre
        if [ "$RC" = 137 ]; then
                grub-editenv "$R/boot/grub/grubenv" list >/dev/null 2>&1 && ok || fail "[$CASE] grubenv unreadable"
                run_tool "$R" post --boot
                expect_rc 0
                expect_env none
        elif [ "$RC" = 0 ]; then
                echo "  note: [$CASE] grubenv not rewritten in place on $(stat -f -c %T "$R") (checkpointed path)"
                expect_env "next_entry=$ENTRY"
        else
                fail "[$CASE] pre exit $RC: $OUT $ERR"
        fi
elif [ -n "${HT_REQUIRE_ALL:-}" ]; then
        fail "kill tests need a test build (meson -Dtest_hooks=true) and HT_REQUIRE_ALL is set"
else
        echo "  note: kill tests not run: not a test build (meson -Dtest_hooks=true)"
fi

refused() {  # root, regex — pre must fail and change nothing
        local before; before=$(tree_sum "$1")
        run_tool "$1" pre
        expect_rc 1
        expect_out "Refusing to hibernate: .*$2"
        if [ "$before" = "$(tree_sum "$1")" ]; then ok; else fail "[$CASE] files changed by a refused pre"; fi
        grep -q '^RESULT=refused$' "$1/run/hibernate-tool/last-hibernate" && ok || fail "[$CASE] last-hibernate"
}

CASE=refuse-swap-too-small
R=$(new_root); debian_grub "$R"
sed -i 's/^MemFree:.*/MemFree:           45436 kB/; s/^Active(anon):.*/Active(anon):    3500000 kB/' "$R/proc/meminfo"
printf 'Filename Type Size Used Priority\n/dev/vdb partition 2097148 1000000 -2\n' > "$R/proc/swaps"
refused "$R" "swap-size"

CASE=refuse-resume-not-active
R=$(new_root); debian_grub "$R"
printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
refused "$R" "swap-present"

CASE=refuse-lockdown
R=$(new_root); debian_grub "$R"
echo "none [integrity] confidentiality" > "$R/sys/kernel/security/lockdown"
refused "$R" "lockdown"

CASE=refuse-no-entry-for-running-kernel
R=$(new_root); debian_grub "$R"
sed -i '/6.1.0-56-amd64/d' "$R/boot/grub/grub.cfg"
refused "$R" "boot-entry: no entry in /boot/grub/grub.cfg boots the running kernel 6.1.0-56-amd64"

CASE=refuse-entry-noresume
R=$(new_root); debian_grub "$R" noresume
refused "$R" "boot-entry: .* boots with noresume"

CASE=refuse-entry-other-resume
R=$(new_root); debian_grub "$R"
add_swap_disk "$R" vdd 254 48 64M 99999999-2222-4333-8444-555555555555 other
sed -i 's/ resume=UUID=[^ ]* *$/ resume=UUID=99999999-2222-4333-8444-555555555555/' "$R/boot/grub/grub.cfg"
grep -q 'resume=UUID=9999' "$R/boot/grub/grub.cfg" || fail "[$CASE] fixture edit"
refused "$R" "boot-entry: the entry's resume=UUID=9999.* is /dev/vdd, not the resume device /dev/vdb"

CASE=refuse-bad-grubenv
R=$(new_root); debian_grub "$R"
echo garbage > "$R/boot/grub/grubenv"
refused "$R" "cannot set the GRUB one-shot entry"
[ "$(cat "$R/boot/grub/grubenv")" = garbage ] && ok || fail "[$CASE] grubenv touched"

CASE=dry-run
R=$(new_root); debian_grub "$R"
BEFORE=$(tree_sum "$R")
run_tool "$R" pre --dry-run
expect_rc 0
expect_out "Would hibernate: next boot 'Debian GNU/Linux, with Linux 6.1.0-56-amd64'"
[ "$BEFORE" = "$(tree_sum "$R")" ] && ok || fail "[$CASE] dry run changed files"

CASE=gate
R=$(new_root); debian_grub "$R"
run_tool "$R" gate --json
expect_rc 0
jq -e '.safe == true and .changed == false' >/dev/null <<<"$OUT" && ok || fail "[$CASE] $OUT"
[ ! -e "$R/run/systemd/sleep.conf.d/50-hibernate-tool.conf" ] && ok || fail "[$CASE] gate file on a safe system"
echo "none [integrity] confidentiality" > "$R/sys/kernel/security/lockdown"
run_tool "$R" gate --json
jq -e '.safe == false and .changed == true and (.reasons[0] | startswith("lockdown"))' >/dev/null <<<"$OUT" && ok || fail "[$CASE] $OUT"
G="$R/run/systemd/sleep.conf.d/50-hibernate-tool.conf"
if grep -q '^AllowHibernation=no$' "$G" && grep -q '^AllowHybridSleep=no$' "$G" && grep -q '^AllowSuspendThenHibernate=no$' "$G"; then ok; else fail "[$CASE] gate file: $(cat "$G")"; fi
run_tool "$R" gate --json
jq -e '.changed == false' >/dev/null <<<"$OUT" && ok || fail "[$CASE] rewritten without a change"
echo "[none] integrity confidentiality" > "$R/sys/kernel/security/lockdown"
run_tool "$R" gate
[ ! -e "$G" ] && ok || fail "[$CASE] gate file kept after the problem went away"

# gate --watch under a service manager (Type=notify): READY=1 after the first verdict,
# STATUS= saying why, a new STATUS= when the verdict changes, STOPPING=1 on SIGTERM. The
# notification socket is a plain datagram socket read by python3 (what systemd provides).
CASE=gate-notify
if command -v python3 >/dev/null; then
        R=$(new_root); debian_grub "$R"
        SOCK=$R/notify.sock
        python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30)
with open(sys.argv[2], "a") as f:
    while True:
        try: m = s.recv(4096).decode()
        except socket.timeout: break
        f.write(m.replace("\n", "|") + "\n"); f.flush()
        if "STOPPING=1" in m: break
' "$SOCK" "$R/notify.log" &
        LISTENER=$!
        for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
        NOTIFY_SOCKET=$SOCK "$HIBERNATE_TOOL" --root "$R" gate --watch 2>"$R/gate.stderr" &
        GATE=$!
        wait_for() {  # pattern: a line of notify.log matching it within 20 s
                for _ in $(seq 200); do grep -q -- "$1" "$R/notify.log" 2>/dev/null && return 0; sleep 0.1; done
                return 1
        }
        wait_for '^READY=1|STATUS=Hibernation offered$' && ok || fail "[$CASE] no READY=1 with STATUS=: $(cat "$R/notify.log" 2>/dev/null)"
        echo "none [integrity] confidentiality" > "$R/sys/kernel/security/lockdown"
        # /sys is not watched (poll wakes on swaps/mounts/config or every 60 s): touch a watched file
        touch "$R/etc/default/grub"
        wait_for '^STATUS=Hibernation disallowed: lockdown' && ok || fail "[$CASE] no new STATUS=: $(cat "$R/notify.log")"
        [ -e "$R/run/systemd/sleep.conf.d/50-hibernate-tool.conf" ] && ok || fail "[$CASE] gate file not written"
        kill -TERM "$GATE"; wait "$GATE"; GRC=$?
        [ "$GRC" -eq 0 ] && ok || fail "[$CASE] gate --watch exit $GRC after SIGTERM"
        wait_for '^STOPPING=1' && ok || fail "[$CASE] no STOPPING=1: $(cat "$R/notify.log")"
        [ ! -e "$R/run/systemd/sleep.conf.d/50-hibernate-tool.conf" ] && ok || fail "[$CASE] gate file left after stop"
        # not the journal (no $JOURNAL_STREAM): one line per verdict on stderr
        grep -q '^hibernate-tool: gate: hibernation is not safe, disallowed: lockdown' "$R/gate.stderr" && ok ||
                fail "[$CASE] stderr: $(cat "$R/gate.stderr")"
        wait "$LISTENER" 2>/dev/null || true
else
        skip_or_fail "python3 missing"
fi

# Two-pageset hibernation: pre selects the mode in /sys/power/pagesets (a plain file here,
# so what pre wrote is its whole content), records it; post records pageset 2's size.
# The fixture's 2.0 GiB swap holds a two-pageset image (all 1.9 GiB in use, +1%) only
# without the 10% margin: "auto" falls back to stock unless more memory is free.
more_free() { sed -i 's/^MemFree:.*/MemFree:         2545436 kB/' "$R/proc/meminfo"; }
less_free() { sed -i 's/^MemFree:.*/MemFree:         1045436 kB/' "$R/proc/meminfo"; }
config() { mkdir -p "$R/etc/hibernate-tool"; printf '[kernel]\npagesets = "%s"\n' "$1" > "$R/etc/hibernate-tool/hibernate.toml"; }
pagesets_root() {  # selection line
        R=$(new_root); debian_grub "$R"
        echo "$1" > "$R/sys/power/pagesets"
        echo 0 > "$R/sys/power/pageset2_pages"
}
expect_file() {  # path, exact content
        if [ "$(cat "$1")" = "$2" ]; then ok; else fail "[$CASE] $1: expected '$2', got '$(cat "$1")'"; fi
}
expect_line() {  # file, line
        if grep -qxF -- "$2" "$1"; then ok; else fail "[$CASE] $1 lacks '$2': $(tr '\n' '|' < "$1")"; fi
}
LAST=run/hibernate-tool/last-hibernate
STATE=var/lib/hibernate-tool/sleep-state

CASE=pagesets-unsupported-kernel
R=$(new_root); debian_grub "$R"
run_tool "$R" pre
expect_rc 0
expect_out 'Ready to hibernate \(kernel 6.1.0-56-amd64, .*pagesets: stock\)'
expect_out '^  stock hibernation \(the kernel lacks two-pageset hibernation\)$'
[ ! -e "$R/sys/power/pagesets" ] && ok || fail "[$CASE] /sys/power/pagesets created"
expect_line "$R/$STATE" PAGESETS=stock
expect_line "$R/$LAST" RESULT=hibernating
expect_line "$R/$LAST" PAGESETS=stock
SERVICE_RESULT=success run_tool "$R" post
expect_rc 0
expect_line "$R/$LAST" RESULT=resumed
expect_line "$R/$LAST" PAGESETS=stock
grep -q '^PAGESET2_PAGES=' "$R/$LAST" && fail "[$CASE] PAGESET2_PAGES without the kernel file" || ok
CASE=pagesets-unsupported-kernel-config-two
R=$(new_root); debian_grub "$R"; config two
run_tool "$R" pre
expect_rc 0
expect_out '^  warning: pagesets = "two" is configured, but the kernel lacks two-pageset hibernation: falling back to stock hibernation$'
expect_line "$R/$STATE" PAGESETS=stock

CASE=pagesets-auto-two
pagesets_root "[stock] two"; more_free
run_tool "$R" pre
expect_rc 0
expect_out 'Ready to hibernate .*pagesets: two\)'
expect_out '^  two-pageset hibernation selected \(/sys/power/pagesets = two\): the resume swap can hold the two-pageset image$'
expect_file "$R/sys/power/pagesets" two
expect_line "$R/$STATE" PAGESETS=two
expect_line "$R/$LAST" PAGESETS=two
echo 54321 > "$R/sys/power/pageset2_pages"      # what the resumed kernel reports
SERVICE_RESULT=success run_tool "$R" post
expect_rc 0
expect_out 'pageset 2 of the last image: 54321 pages'
expect_line "$R/$LAST" RESULT=resumed
expect_line "$R/$LAST" PAGESETS=two
expect_line "$R/$LAST" PAGESET2_PAGES=54321
echo "stock [two]" > "$R/sys/power/pagesets"   # as the kernel reads it back
OUT=$("$HIBERNATE_CHECK" --root "$R" --json || true)
jq -e '.last_hibernate.result == "resumed" and .last_hibernate.pagesets == "two" and .last_hibernate.pageset2_pages == 54321 and .pagesets.last_pageset2_pages == 54321' >/dev/null <<<"$OUT" && ok || fail "[$CASE] hibernate-check: $(jq -c '[.last_hibernate, .pagesets]' <<<"$OUT")"
"$HIBERNATE_CHECK" --root "$R" | grep -qxF 'Last hibernation: resumed: Resumed from hibernate; temporary changes undone (pagesets: two, 54321 pages in pageset 2)' && ok || fail "[$CASE] text report: $("$HIBERNATE_CHECK" --root "$R" | grep '^Last')"

CASE=pagesets-auto-falls-back
pagesets_root "stock [two]"      # hibernate_pagesets=two on the command line
run_tool "$R" pre
expect_rc 0
expect_out '^  stock hibernation selected \(/sys/power/pagesets = stock\): the resume swap cannot hold the two-pageset image with the configured margin$'
expect_file "$R/sys/power/pagesets" stock
expect_line "$R/$STATE" PAGESETS=stock
SERVICE_RESULT=success run_tool "$R" post
expect_line "$R/$LAST" PAGESET2_PAGES=0

CASE=pagesets-config-stock
pagesets_root "stock [two]"; more_free; config stock
run_tool "$R" pre
expect_rc 0
expect_out 'stock hibernation selected \(/sys/power/pagesets = stock\): pagesets = "stock" in the configuration'
expect_file "$R/sys/power/pagesets" stock

CASE=pagesets-config-two-tight
pagesets_root "[stock] two"; config two
run_tool "$R" pre
expect_rc 0
expect_out 'two-pageset hibernation selected \(/sys/power/pagesets = two\): pagesets = "two" in the configuration'
expect_file "$R/sys/power/pagesets" two

CASE=pagesets-config-two-too-small
pagesets_root "[stock] two"; less_free; config two
refused "$R" "swap-size: Swap is too small for the two-pageset image"
expect_file "$R/sys/power/pagesets" "[stock] two"

CASE=pagesets-config-auto-too-small
pagesets_root "[stock] two"; less_free
run_tool "$R" pre       # stock: the kernel shrinks the image, and that fits
expect_rc 0
expect_file "$R/sys/power/pagesets" stock

CASE=pagesets-dry-run
pagesets_root "[stock] two"; more_free
BEFORE=$(tree_sum "$R")
run_tool "$R" pre --dry-run
expect_rc 0
expect_out "Would hibernate: next boot .*, pagesets: two$"
expect_out '^  would select two-pageset hibernation: the resume swap can hold the two-pageset image$'
[ "$BEFORE" = "$(tree_sum "$R")" ] && ok || fail "[$CASE] dry run changed files"

CASE=pagesets-unreadable
pagesets_root "two"      # not what the kernel's file reads like: left alone
run_tool "$R" pre
expect_rc 0
expect_out 'warning: /sys/power/pagesets reads .two., not "\[stock\] two" or "stock \[two\]"; the kernel.s pageset setting is left alone'
expect_file "$R/sys/power/pagesets" two
expect_line "$R/$STATE" PAGESETS=stock

CASE=pagesets-write-fails
pagesets_root "[stock] two"; more_free
if chattr +i "$R/sys/power/pagesets" 2>/dev/null; then
        run_tool "$R" pre
        chattr -i "$R/sys/power/pagesets"
        expect_rc 0
        expect_out '^  warning: cannot select two-pageset hibernation: cannot open /sys/power/pagesets: Operation not permitted; falling back to stock hibernation$'
        expect_out 'Ready to hibernate .*pagesets: stock\)'
        expect_file "$R/sys/power/pagesets" "[stock] two"
        expect_line "$R/$STATE" PAGESETS=stock
        expect_env "next_entry=$ENTRY"       # the hibernation goes ahead
else
        [ -n "${HT_REQUIRE_ALL:-}" ] && fail "[$CASE] chattr +i is not supported under /tmp" || echo "  (skipped: chattr +i not supported under /tmp)"
fi

CASE=pagesets-two-selected-but-stock-image
pagesets_root "[stock] two"; more_free
run_tool "$R" pre
SERVICE_RESULT=success run_tool "$R" post      # pageset2_pages still 0
expect_out 'two-pageset hibernation was selected, but the kernel reports an empty pageset 2'
CASE=pagesets-post-at-boot
pagesets_root "[stock] two"; more_free
run_tool "$R" pre
echo 777 > "$R/sys/power/pageset2_pages"      # a fresh boot's value says nothing about the image
run_tool "$R" post --boot
expect_line "$R/$LAST" RESULT=not-resumed
expect_line "$R/$LAST" PAGESETS=two
grep -q '^PAGESET2_PAGES=' "$R/$LAST" && fail "[$CASE] PAGESET2_PAGES recorded at boot" || ok

# [kernel] image_size = "fit": pre raises /sys/power/image_size (stock mode) to the largest
# image whose worst case (everything the kernel frees pushed to swap) fits the free swap
# with the margin; post puts the old value back. Fixture: 3.9 GiB RAM, 2 GiB swap, 0.8 GiB
# anonymous memory, image_size 2/5 of RAM.
fit_config() { mkdir -p "$R/etc/hibernate-tool"; printf '[kernel]\nimage_size = "%s"\n%b' "$1" "${2:-}" > "$R/etc/hibernate-tool/hibernate.toml"; }
IMG0=$(( MEM_KB * 1024 * 2 / 5 ))
CASE=image-size-fit-raised
R=$(new_root); debian_grub "$R"; more_free; fit_config fit      # 1.4 GiB in use: it all fits
run_tool "$R" pre
expect_rc 0
expect_out '^  image_size 3\.9 GiB \(was 1\.5 GiB\): the kernel keeps all memory in use; worst case 1\.4 GiB of 2\.0 GiB free swap$'
expect_file "$R/sys/power/image_size" $(( MEM_KB * 1024 ))
expect_line "$R/$STATE" "PREV_IMAGE_SIZE=$IMG0"
SERVICE_RESULT=success run_tool "$R" post
expect_rc 0
expect_out '^  image_size 1\.5 GiB again$'
expect_file "$R/sys/power/image_size" "$IMG0"
CASE=image-size-fit-failed-hibernation-restored
R=$(new_root); debian_grub "$R"; more_free; fit_config fit
run_tool "$R" pre
SERVICE_RESULT=exit-code EXIT_STATUS=1 run_tool "$R" post
expect_file "$R/sys/power/image_size" "$IMG0"
CASE=image-size-fit-kept
R=$(new_root); debian_grub "$R"; fit_config fit                 # 1.9 GiB in use: even 2/5 of RAM is tight
run_tool "$R" pre
expect_rc 0
expect_out '^  image_size 1\.5 GiB kept: a larger image could outgrow the free swap \(2\.0 GiB\)$'
expect_file "$R/sys/power/image_size" "$IMG0"
grep -q '^PREV_IMAGE_SIZE=' "$R/$STATE" && fail "[$CASE] PREV_IMAGE_SIZE without a change" || ok
CASE=image-size-keep-default
R=$(new_root); debian_grub "$R"; more_free                      # no configuration: "keep"
run_tool "$R" pre
expect_rc 0
if grep -q 'image_size' <<<"$OUT$ERR"; then fail "[$CASE] image_size mentioned: $OUT"; else ok; fi
expect_file "$R/sys/power/image_size" "$IMG0"
CASE=image-size-fit-post-at-boot
R=$(new_root); debian_grub "$R"; more_free; fit_config fit
run_tool "$R" pre
echo 999999 > "$R/sys/power/image_size"                        # a fresh boot's own value: left alone
run_tool "$R" post --boot
expect_rc 0
expect_file "$R/sys/power/image_size" 999999
CASE=image-size-fit-two-pagesets
pagesets_root "[stock] two"; more_free; fit_config fit 'pagesets = "two"\n'
run_tool "$R" pre
expect_rc 0
expect_file "$R/sys/power/pagesets" two
expect_file "$R/sys/power/image_size" "$IMG0"                  # image_size does not apply
CASE=image-size-fit-dry-run
R=$(new_root); debian_grub "$R"; more_free; fit_config fit
BEFORE=$(tree_sum "$R")
run_tool "$R" pre --dry-run
expect_rc 0
expect_out 'would raise /sys/power/image_size to what the free swap holds'
[ "$BEFORE" = "$(tree_sum "$R")" ] && ok || fail "[$CASE] dry run changed files"
CASE=image-size-bad-config
R=$(new_root); debian_grub "$R"; fit_config huge
BEFORE=$(tree_sum "$R")
run_tool "$R" pre
[ "$RC" -ne 0 ] && ok || fail "[$CASE] pre accepted image_size = \"huge\""
expect_out 'image_size.*"keep" or "fit"'
[ "$BEFORE" = "$(tree_sum "$R")" ] && ok || fail "[$CASE] a bad configuration changed files"

CASE=bad-usage
R=$(new_root)
for args in "pre --mode sleep" "post --mode hibernate" "gate --boot" "pre --watch" "boot-entry --dry-run"; do
        # shellcheck disable=SC2086
        run_tool "$R" $args
        expect_rc 2
done

finish
