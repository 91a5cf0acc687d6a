#!/bin/bash
# Warm resume on stock kernels (issue 13, part 2) on this machine, with its real /proc and
# page cache: `hibernate-tool prefetch --record` (what pre does) records the working set of
# the running processes; a file a helper process holds open, dropped from the page cache
# with posix_fadvise(DONTNEED) (dd iflag=nocache), is resident again after
# `hibernate-tool prefetch`; anonymous ranges go through process_madvise; a pid reused, a
# process that exited, a file that vanished or changed are skipped and counted; bad and
# stale records are skipped with one message; the MemAvailable threshold stops it.
# Runs in a private mount namespace (unshare -m) with tmpfs on /var/lib and /run, so the
# record and the lock never touch the machine's own. Needs root, unshare, fincore, dd.
# A swapped-out buffer coming back needs swap (this machine has none): the e2e VM's part.
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v fincore >/dev/null; then
        skip_or_fail "test-prefetch.sh needs root, unshare and fincore"
fi
if [ -z "${HT_PREFETCH_NS:-}" ]; then
        exec env HT_PREFETCH_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
mount -t tmpfs -o mode=0755 ht-varlib /var/lib
mount -t tmpfs -o mode=0755 ht-run /run
REC=/var/lib/hibernate-tool/workingset
LAST=/run/hibernate-tool/last-hibernate

D=$(mktemp -d /var/tmp/ht-prefetch-XXXXXX)  # a disk file system: tmpfs pages cannot be dropped
HELPERS=()
cleanup() {
        local p; for p in "${HELPERS[@]}"; do kill "$p" 2>/dev/null || true; done
        rm -rf "$D"; cleanup_roots
}
trap cleanup EXIT

resident() { fincore -nb -o RES "$1" | tr -d ' '; }
drop() {  # posix_fadvise(POSIX_FADV_DONTNEED) on the whole file
        dd if="$1" iflag=nocache count=0 status=none
}
make_file() {  # path MiB: written, synced, read into the cache
        head -c "$(($2 << 20))" /dev/urandom > "$1"; sync "$1"; cat "$1" >/dev/null
}
hold() {  # path: a helper process that holds the file open; sets HELPER
        sleep 600 3<"$1" &
        HELPER=$!; HELPERS+=("$HELPER")
        for _ in $(seq 50); do [ -e "/proc/$HELPER/fd/3" ] && return; sleep 0.1; done
}
fix_crc() {  # rewrites the end line of $REC after an edit (CRC-32 IEEE as gzip computes it)
        grep -v '^end ' "$REC" > "$D/body"
        local crc n
        crc=$(gzip -c < "$D/body" | tail -c8 | od -An -tx4 -N4 | tr -d ' ')
        n=$(wc -l < "$D/body")
        { cat "$D/body"; echo "end $n $crc"; } > "$REC"
}
run() {  # ARGS…: $OUT $ERR $RC
        set +e
        OUT=$("$HIBERNATE_TOOL" "$@" 2>"$D/err"); RC=$?
        set -e
        ERR=$(cat "$D/err")
}
jqe() {  # filter: against $OUT
        if jq -e "$1" >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] $1: $OUT"; fi
}
wait_resident() {  # path bytes: up to 10 s (WILLNEED starts reads, it does not wait for them)
        local r
        for _ in $(seq 100); do
                r=$(resident "$1"); [ "$r" -ge "$2" ] && return 0; sleep 0.1
        done
        return 1
}

# The recording's deadline (100 ms by default) is for pre; here the machine may be busy with
# other work (QEMU guests, builds: the busiest processes are recorded first, within 4 GiB)
# and every file of the test must be recorded.
printf '[prefetch]\nrecord_deadline_ms = 10000\nmax_bytes = "1T"\n' > "$D/ht.toml"

# ---- a dropped file comes back ------------------------------------------------------------
CASE=file-comes-back
F=$D/held; make_file "$F" 8
hold "$F"; H1=$HELPER
run prefetch --record --config "$D/ht.toml"
expect_rc 0
grep -q "^hibernate-tool: working set: [0-9]* files" <<<"$OUT" && ok || fail "[$CASE] record output: $OUT"
grep -q "^file o [0-9]* $(stat -c %i "$F") $((8 << 20)) [0-9]* $F\$" "$REC" && ok || fail "[$CASE] $F not in the record: $(grep "$F" "$REC")"
grep -A1 "^file o .* $F\$" "$REC" | grep -qx "r 0 2048" && ok || fail "[$CASE] ranges: $(grep -A3 "$F" "$REC")"
grep -q "^proc $H1 " "$REC" && ok || fail "[$CASE] the helper's anonymous memory is not in the record"
drop "$F"
[ "$(resident "$F")" = 0 ] && ok || fail "[$CASE] could not drop $F from the page cache ($(resident "$F") bytes resident)"
run prefetch --json
expect_rc 0
jqe '.ran == true and .files.done >= 1 and .files.bytes >= 8388608 and .stopped == null'
jqe '.process_madvise == true and .processes.done >= 1 and .processes.bytes > 0'
wait_resident "$F" $((8 << 20)) && ok || fail "[$CASE] $F not resident after prefetch: $(resident "$F") bytes"
[ ! -e "$REC" ] && ok || fail "[$CASE] the record was not consumed"
grep -q '^PREFETCH=brought back ' "$LAST" && ok || fail "[$CASE] last-hibernate: $(cat "$LAST" 2>/dev/null)"
CASE=no-record
run prefetch
expect_rc 0
[ "$OUT" = "hibernate-tool: nothing to prefetch: no working-set record ($REC)" ] && ok || fail "[$CASE] $OUT"

# ---- skipped, never an error: exited, pid reused, vanished, changed --------------------------
CASE=skipped
G=$D/gone; make_file "$G" 1
C=$D/changed; make_file "$C" 1
make_file "$F" 4  # the same file (inode) H1 holds, new contents
hold "$G"
hold "$C"
hold /dev/null; H_EXIT=$HELPER   # a process that will exit
sleep 600 & H_REUSE=$!; HELPERS+=("$H_REUSE")
sleep 0.2
run prefetch --record --config "$D/ht.toml"
expect_rc 0
for p in "$H_EXIT" "$H_REUSE"; do grep -q "^proc $p " "$REC" && ok || fail "[$CASE] process $p not recorded"; done
kill "$H_EXIT"; wait "$H_EXIT" 2>/dev/null || true
rm -f "$G"
echo more >> "$C"
# The pid's start time as if another process had taken the pid since.
sed -i "s/^proc $H_REUSE \([0-9]*\) /proc $H_REUSE 1\1 /" "$REC"; fix_crc
drop "$F"
[ "$(resident "$F")" = 0 ] && ok || fail "[$CASE] could not drop $F"
run prefetch --json
expect_rc 0
jqe '.ran == true and .files.vanished >= 1 and .files.changed >= 1'
jqe '.processes.exited >= 1 and .processes.reused >= 1'
jqe '.message | test("files vanished") and test("pids reused") and test("processes exited")'
wait_resident "$F" $((4 << 20)) && ok || fail "[$CASE] $F not resident after prefetch: $(resident "$F") bytes"

# ---- bad and stale records -----------------------------------------------------------------
CASE=bad-record
mkdir -p "${REC%/*}"
printf 'hibernate-tool-workingset 1\ncreated 1\nfile m 1 2' > "$REC"
run prefetch
expect_rc 0
[ "$OUT" = "hibernate-tool: nothing to prefetch: $REC: line 3: truncated (no newline at the end), skipped" ] && ok || fail "[$CASE] $OUT"
[ ! -e "$REC" ] && ok || fail "[$CASE] the bad record was left behind"
head -c 4096 /dev/urandom > "$REC"
run prefetch
expect_rc 0
grep -q "skipped$" <<<"$OUT" && [ "$(wc -l <<<"$OUT")" = 1 ] && ok || fail "[$CASE] random bytes: $OUT $ERR"

CASE=stale-record
run prefetch --record --config "$D/ht.toml"
sed -i 's/^boot_id .*/boot_id 00000000-0000-0000-0000-000000000000/' "$REC"; fix_crc
run prefetch
expect_rc 0
grep -q "stale record (recorded before a reboot" <<<"$OUT" && ok || fail "[$CASE] $OUT"

# ---- limits and configuration -------------------------------------------------------------
CASE=memory-threshold
printf '[prefetch]\nmin_available = "64T"\n' > "$D/tight.toml"
run prefetch --record --config "$D/ht.toml"
drop "$F"
run prefetch --json --config "$D/tight.toml"
expect_rc 0
jqe '.stopped == "memory" and .files.bytes == 0 and .processes.bytes == 0'
sleep 0.5
[ "$(resident "$F")" = 0 ] && ok || fail "[$CASE] $F came back although memory was 'tight'"

CASE=sigterm
# A record of 60000 one-page ranges of one file: the prefetch checks memory before each
# piece, so it takes seconds (about 9 s here); SIGTERM stops it between two pieces, cleanly
# (exit 0, the outcome recorded, the record consumed).
S=$D/sparse; make_file "$S" 480
read -r MT DEV INO SIZE < <(stat -c '%.9Y %d %i %s' "$S")
{
        echo "hibernate-tool-workingset 1"
        echo "created $(date +%s)"
        echo "boot_id $(cat /proc/sys/kernel/random/boot_id)"
        echo "page_size $(getconf PAGESIZE)"
        echo "elapsed_us 1"
        echo "truncated 0"
        echo "file m $DEV $INO $SIZE ${MT/./} $S"
        awk 'BEGIN { for (i = 0; i < 60000; i++) print "r", i * 2, 1 }'
} > "$REC"
fix_crc
drop "$S"
"$HIBERNATE_TOOL" prefetch --json > "$D/term.json" 2>"$D/term.err" &
PF=$!
sleep "${HT_TEST_SIGTERM_AFTER:-0.3}"
kill -TERM "$PF" 2>/dev/null || true
set +e; wait "$PF"; RC=$?; set -e
OUT=$(cat "$D/term.json"); ERR=$(cat "$D/term.err")
expect_rc 0
jqe '.ran == true and .stopped == "signal" and .files.done == 0 and .files.bytes > 0 and .files.bytes < 60000 * 4096'
jqe '.message | test("stopped on request")'
[ ! -e "$REC" ] && ok || fail "[$CASE] the record was left behind"
grep -q '^PREFETCH=.*stopped on request' "$LAST" && ok || fail "[$CASE] last-hibernate: $(cat "$LAST")"

CASE=disabled
printf '[prefetch]\nenabled = false\n' > "$D/off.toml"
run prefetch --record --config "$D/off.toml"
expect_rc 0
[ ! -e "$REC" ] && ok || fail "[$CASE] recorded although disabled"
grep -q "disabled" <<<"$OUT" && ok || fail "[$CASE] $OUT"

CASE=usage
run pre --record
expect_rc 2
grep -q -- "--record applies to prefetch only" <<<"$ERR" && ok || fail "[$CASE] $ERR"

finish
