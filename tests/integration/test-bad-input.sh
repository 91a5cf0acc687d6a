#!/bin/bash
# Bad input never crashes or hangs hibernate-check: each case gives a clear message in the
# affected check (exit 0/1 with valid JSON) or exit 2 for bad arguments/config.
source "$(dirname "$0")/fixture.sh"

CASE=malformed-proc-swaps
R=$(new_root)
printf 'Filename Type Size Used Priority\n/dev/vdb partition 2097148 0 -2\nonly three fields\n/dev/x partition -5 0 1\n/dev/y partition 10 0 99999999999\n\x01\xff\xfe garbage\n' > "$R/proc/swaps"
run_check "$R"
expect_rc 0
expect swap-present pass 'line 3: expected 5 fields'
expect_json '.swap | length == 1'

CASE=garbage-resume
for v in 'resume=foo%bar' 'resume=UUID=zzzz' 'resume=/etc/passwd' 'resume="/dev/vdb extra"' 'resume=' 'resume=PARTUUID=ab/PARTNROFF=1' 'resume_offset=-1 resume=/dev/vdb' 'resume_offset=99999999999999999999999 resume=/dev/vdb'; do
        R=$(new_root)
        echo "root=/dev/vdc $v" > "$R/proc/cmdline"
        run_check "$R"
        expect_rc 1
        expect resume-device fail 'resume|Invalid|not a page'
done

CASE=truncated-swap-image
R=$(new_root)
printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"   # inactive: the kernel could not use it
truncate -s 100 "$R/dev/vdb"
run_check "$R"
expect_rc 1
expect resume-device fail 'not an active swap.*no swap signature'
expect image pass
CASE=zero-length-swap-image
: > "$R/dev/vdb"
run_check "$R"
expect_rc 1
expect resume-device fail 'not an active swap'
CASE=device-is-directory
rm -f "$R/dev/vdb"; mkdir "$R/dev/vdb"
run_check "$R"
expect_rc 1
expect resume-device fail 'neither a block device'

CASE=symlink-loop
R=$(new_root)
rm "$R/dev/disk/by-uuid/$UUID_VDB"
ln -s "loop-b" "$R/dev/disk/by-uuid/$UUID_VDB"
ln -s "$UUID_VDB" "$R/dev/disk/by-uuid/loop-b"
run_check "$R"
expect_rc 1
expect resume-device fail 'symbolic links'
CASE=symlink-escape
R=$(new_root)
rm "$R/dev/disk/by-uuid/$UUID_VDB"
ln -s "../../../../../../../../../dev/vdb" "$R/dev/disk/by-uuid/$UUID_VDB"
run_check "$R"
expect resume-device pass '/dev/vdb'   # resolved inside the root, like chroot would

CASE=non-utf8-label
R=$(new_root)
mkswap -q -U "$UUID_VDB" -L $'bad\xff\xfelabel' "$R/dev/vdb" >/dev/null
sed -i "s/resume=UUID=$UUID_VDB/resume=LABEL=bad$(printf '\xff\xfe')label/" "$R/proc/cmdline"
rm -rf "$R/dev/disk/by-label"
run_check "$R"
expect resume-device pass '/dev/vdb'
if jq -r '.checks[] | select(.id=="resume-device") | .summary' <<<"$OUT" | grep -qF 'LABEL=bad\xff\xfelabel'; then ok; else fail "[$CASE] label bytes not escaped: $OUT"; fi

CASE=unreadable-sysfs
R=$(new_root)
for f in sys/power/state sys/power/disk sys/power/resume sys/power/image_size sys/kernel/security/lockdown proc/cmdline proc/meminfo; do
        rm -f "$R/$f"; mkdir -p "$R/$f"   # a directory where a file should be: read fails with EISDIR
done
run_check "$R"
[ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] && ok || fail "[$CASE] exit $RC"
expect kernel-support skip 'Is a directory'
expect lockdown skip
expect noresume skip
expect swap-size skip

CASE=empty-root
R=$(mktemp -d /tmp/ht-empty-XXXXXX); TMPROOTS+=("$R")
run_check "$R"
expect_rc 1
expect swap-present skip
expect_json '.ready == false'

CASE=fifo-does-not-hang
R=$(new_root)
rm "$R/proc/meminfo"; mkfifo "$R/proc/meminfo"
rm "$R/proc/cmdline"; mkfifo "$R/proc/cmdline"
set +e; OUT=$(timeout 10 "$HIBERNATE_CHECK" --root "$R" --json 2>/dev/null); RC=$?; set -e
if [ "$RC" -eq 124 ]; then fail "[$CASE] hung on a FIFO"; else ok; fi

CASE=huge-file
R=$(new_root)
truncate -s 64M "$R/proc/cmdline"
run_check "$R"
expect noresume skip 'large'

CASE=image-header-garbage
R=$(new_root)
# A hibernation signature with an out-of-range image sector: reported, never "repaired".
printf 'S1SUSPEND\0' | dd of="$R/dev/vdb" bs=1 seek=4086 conv=notrunc status=none
printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$R/dev/vdb" bs=1 seek=4064 conv=notrunc status=none
printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
BEFORE=$(sha256sum < "$R/dev/vdb")
run_check "$R"
expect image warn 'could not be described.*out of range'
[ "$BEFORE" = "$(sha256sum < "$R/dev/vdb")" ] && ok || fail "[$CASE] device changed"
printf '\0\0\0\0\0\0\0\0' | dd of="$R/dev/vdb" bs=1 seek=4064 conv=notrunc status=none
run_check "$R"
expect image warn 'out of range'

finish
