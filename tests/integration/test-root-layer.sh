#!/bin/bash
# The root layer and the lock, with the real binaries on fixture roots (issue 11):
# - concurrent setups, and setup racing --undo: one waits (or is refused with a message
#   naming the lock), and a final --undo gives back the exact original tree;
# - a held lock: the writing verbs stop with one message, nothing changed;
# - /etc/fstab a symlink: setup writes its target, the link stays, undo restores the target;
# - the target's /sys a symlink to a host directory: regeneration refuses to mount over it
#   (run inside unshare -m), nothing is mounted outside the root;
# - a swap file's directory replaced by an absolute symlink to a host directory before
#   --undo: the host file survives.
# Needs root (mknod, unshare -m).
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v flock >/dev/null; then
        skip_or_fail "test-root-layer.sh needs root, unshare and flock"
fi
trap cleanup_roots EXIT

small_root() {  # a fixture with a 16 MiB swap partition /dev/vdb; prints the root
        local r; r=$(new_root)
        truncate -s 0 "$r/dev/vdb"; truncate -s 16M "$r/dev/vdb"
        mkswap -q -U "$UUID_VDB" -L hibswap "$r/dev/vdb" >/dev/null
        printf '# static file system information\nUUID=%s / ext4 errors=remount-ro 0 1\n' "$UUID_VDC" > "$r/etc/fstab"
        touch "$r/usr/sbin/update-grub"
        echo "$r"
}
# run/ holds only the lock.
tree() { (cd "$1" && find . -path ./run -prune -o -printf '%y %m %p %l\n' | sort && find . -path ./run -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
same_tree() { if [ "$2" = "$3" ]; then ok; else fail "[$CASE] $1: tree differs: $(diff <(echo "$2") <(echo "$3") | head -20)"; fi; }
run() {  # ROOT ARGS…: $OUT $ERR $RC
        local r=$1; shift
        set +e
        OUT=$("$HIBERNATE_TOOL" setup --root "$r" "$@" 2>"$r.err"); RC=$?
        set -e
        ERR=$(cat "$r.err"); rm -f "$r.err"
}

# ---- concurrency ---------------------------------------------------------------------------
CASE=two-setups
R=$(small_root); T0=$(tree "$R")
for i in 1 2 3 4 5; do
        rm -f "$R".r1 "$R".r2
        ( "$HIBERNATE_TOOL" setup --root "$R" --swap /dev/vdb --no-regenerate --json >/dev/null 2>"$R.e1"; echo $? >"$R.r1" ) &
        ( "$HIBERNATE_TOOL" setup --root "$R" --swap /dev/vdb --no-regenerate --json >/dev/null 2>"$R.e2"; echo $? >"$R.r2" ) &
        wait
        r1=$(cat "$R.r1"); r2=$(cat "$R.r2")
        if [ "$r1" = 0 ] && [ "$r2" = 0 ]; then ok; else fail "[$CASE] round $i: exit $r1/$r2: $(cat "$R.e1" "$R.e2")"; fi
        run "$R" --undo --no-regenerate
        expect_rc 0
        same_tree "round $i: undo after two concurrent setups" "$T0" "$(tree "$R")"
done

CASE=setup-vs-undo
for i in 1 2 3 4 5; do
        run "$R" --swap /dev/vdb --no-regenerate
        ( "$HIBERNATE_TOOL" setup --root "$R" --undo --no-regenerate >/dev/null 2>&1 ) &
        ( "$HIBERNATE_TOOL" setup --root "$R" --swap /dev/vdb --no-regenerate >/dev/null 2>&1 ) &
        wait
        run "$R" --undo --no-regenerate
        expect_rc 0
        same_tree "round $i: final undo after setup raced --undo" "$T0" "$(tree "$R")"
done

CASE=lock-held
mkdir -p "$R/run/hibernate-tool"
flock -o "$R/run/hibernate-tool/lock" sleep 60 >/dev/null 2>&1 &
holder=$!
sleep 0.5
before=$(tree "$R")
export HIBERNATE_TOOL_LOCK_WAIT=1
run "$R" --swap /dev/vdb --no-regenerate
expect_rc 1
if grep -q "holds the lock /run/hibernate-tool/lock" <<<"$OUT$ERR"; then ok; else fail "[$CASE] setup: no lock message: $OUT $ERR"; fi
for verb in pre post record boot-entry invalidate; do
        set +e; ERR=$("$HIBERNATE_TOOL" $verb --root "$R" 2>&1 >/dev/null); RC=$?; set -e
        expect_rc 1
        if grep -q "holds the lock" <<<"$ERR" && [ "$(grep -c . <<<"$ERR")" = 1 ]; then ok; else fail "[$CASE] $verb: not one lock message: $ERR"; fi
done
same_tree "nothing changed while the lock was held" "$before" "$(tree "$R")"
unset HIBERNATE_TOOL_LOCK_WAIT
kill $holder 2>/dev/null || true; wait $holder 2>/dev/null || true  # flock -o: the lock dies with flock

# ---- symlinked fstab -----------------------------------------------------------------------
CASE=fstab-symlink
R=$(small_root)
mv "$R/etc/fstab" "$R/etc/fstab.real"; ln -s fstab.real "$R/etc/fstab"
T0=$(tree "$R")
run "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
[ -L "$R/etc/fstab" ] && [ "$(readlink "$R/etc/fstab")" = fstab.real ] && ok || fail "[$CASE] /etc/fstab is no longer the link"
grep -q "^UUID=$UUID_VDB none swap" "$R/etc/fstab.real" && ok || fail "[$CASE] the swap line is not in the link's target: $(cat "$R/etc/fstab.real")"
findmnt --fstab --tab-file "$R/etc/fstab.real" >/dev/null && ok || fail "[$CASE] findmnt cannot parse the result"
run "$R" --undo --no-regenerate
expect_rc 0
same_tree "undo keeps the link and restores its target" "$T0" "$(tree "$R")"

# ---- /sys of the target a symlink to a host directory: no mount over it ---------------------
CASE=sys-symlink
R=$(small_root)
OUTSIDE=$(mktemp -d /tmp/ht-outside-XXXXXX); TMPROOTS+=("$OUTSIDE")
rm -rf "$R/sys" && ln -s "$OUTSIDE" "$R/sys"
mkdir -p "$R/dev" "$R/proc"
set +e
res=$(unshare -m --propagation private bash -c '
        "$1" setup --root "$2" --swap /dev/vdb --json >"$2.err" 2>&1; rc=$?
        if findmnt -n "$3" >/dev/null 2>&1 || [ -e "$3/power" ] || [ -e "$3/kernel" ]; then m=MOUNTED; else m=CLEAN; fi
        echo "$rc $m"' _ "$HIBERNATE_TOOL" "$R" "$OUTSIDE")
set -e
ERR=$(cat "$R.err" 2>/dev/null); rm -f "$R.err"
[ "${res#* }" = CLEAN ] && ok || fail "[$CASE] something was mounted on the host directory ($res): $ERR"
[ "${res%% *}" = 2 ] && ok || fail "[$CASE] exit status ${res%% *}, expected 2: $ERR"
grep -q "symbolic link" <<<"$ERR" && ok || fail "[$CASE] no message about the symlink: $ERR"
[ -z "$(ls -A "$OUTSIDE")" ] && ok || fail "[$CASE] the host directory changed: $(ls -A "$OUTSIDE")"

# ---- undo after the swap file's directory became a symlink to a host directory ------------
CASE=undo-symlinked-dir
R=$(small_root)
mkdir -p "$R/mnt/data"
img=$(mktemp /tmp/ht-rl-ext4-XXXXXX.img); TMPROOTS+=("$img")
truncate -s 256M "$img"; mkfs.ext4 -q -F -b 4096 "$img" >/dev/null
dev=$(losetup -f --show "$img")
mount "$dev" "$R/mnt/data"
mknod "$R$dev" b $(( 0x$(stat -c %t "$dev") )) $(( 0x$(stat -c %T "$dev") ))
echo "40 21 $(( 0x$(stat -c %t "$dev") )):$(( 0x$(stat -c %T "$dev") )) / /mnt/data rw,relatime shared:9 - ext4 $dev rw" >> "$R/proc/self/mountinfo"
run "$R" --swap-file /mnt/data/swapfile --size 64M --no-regenerate
expect_rc 0
umount "$R/mnt/data"; losetup -d "$dev"
HOSTDIR=$(mktemp -d /tmp/ht-hostdir-XXXXXX); TMPROOTS+=("$HOSTDIR")
echo precious > "$HOSTDIR/swapfile"
rmdir "$R/mnt/data" && ln -s "$HOSTDIR" "$R/mnt/data"
run "$R" --undo --no-regenerate
[ "$(cat "$HOSTDIR/swapfile" 2>/dev/null)" = precious ] && ok || fail "[$CASE] undo removed a host file outside the root (exit $RC: $ERR)"

finish
