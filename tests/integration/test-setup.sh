#!/bin/bash
# hibernate-tool setup on fixture roots built with real tools: a mkswap'd partition image
# under dev/, a loop-mounted ext4 and btrfs under mnt/ for swap files. Asserts: dry run
# changes nothing, a second run changes nothing, --undo restores byte for byte, bad input
# changes nothing, and a kill -9 after every step leaves each file old or new and both a
# rerun and --undo recover. Needs root (loop mounts, mknod).
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"
PAGE=$(getconf PAGESIZE)

if [ "$(id -u)" != 0 ] || ! command -v mkfs.btrfs >/dev/null || ! command -v mkfs.ext4 >/dev/null; then
        skip_or_fail "test-setup.sh needs root, e2fsprogs and btrfs-progs"
fi

MOUNTS=()
LOOPS=()
cleanup_all() {
        local m l
        for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
        for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
        cleanup_roots
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

# mount_img ROOT DIR FSTYPE SIZE: a loop-mounted filesystem at ROOT/DIR, in the fixture's
# mountinfo with its real loop device node under ROOT/dev.
mount_img() {
        local r=$1 d=$2 t=$3 size=$4 img dev majmin
        img=$(mktemp "/tmp/ht-setup-$t-XXXXXX.img"); TMPROOTS+=("$img")
        truncate -s "$size" "$img"
        if [ "$t" = btrfs ]; then mkfs.btrfs -q -f "$img" >/dev/null; else mkfs.ext4 -q -F -b 4096 "$img" >/dev/null; fi
        dev=$(losetup -f --show "$img"); LOOPS+=("$dev")
        mkdir -p "$r$d"
        mount "$dev" "$r$d" || skip_or_fail "cannot mount a $t loop device"
        MOUNTS=("$r$d" "${MOUNTS[@]}")
        majmin=$(( 0x$(stat -c %t "$dev") )):$(( 0x$(stat -c %T "$dev") ))
        mknod "$r$dev" b "${majmin%:*}" "${majmin#*:}"
        echo "$(( 40 + ${#MOUNTS[@]} )) 21 $majmin / $d rw,relatime shared:9 - $t $dev rw" >> "$r/proc/self/mountinfo"
}

# a small swap partition: the tree is hashed after every step
shrink_vdb() {
        truncate -s 0 "$1/dev/vdb"; truncate -s 16M "$1/dev/vdb"
        mkswap -q -U "$UUID_VDB" -L hibswap "$1/dev/vdb" >/dev/null
}

# A fixture for setup: new_root plus fstab with comments and odd spacing, update-grub,
# an ext4 and a btrfs filesystem for swap files. Sets SR (no subshell: the mounts must be
# recorded for the cleanup).
setup_root() {
        local r; r=$(new_root); TMPROOTS+=("$r")
        printf '# /etc/fstab: static file system information.\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID=%s   /    ext4   errors=remount-ro   0   1\n\n# tmp\ntmpfs\t/tmp\ttmpfs\tdefaults\t0\t0\n' "$UUID_VDC" > "$r/etc/fstab"
        touch "$r/usr/sbin/update-grub"
        mkdir -p "$r/usr/bin"; touch "$r/usr/bin/dracut"
        shrink_vdb "$r"
        chmod 0640 "$r/etc/default/grub"
        mount_img "$r" /mnt/ext4 ext4 256M
        mount_img "$r" /mnt/btrfs btrfs 512M
        # data first, so btrfs logical and physical addresses differ
        dd if=/dev/urandom of="$r/mnt/btrfs/filler" bs=1M count=8 status=none
        sync
        SR=$r
}

# tree ROOT: type, mode and path of everything, plus the content hash of every file.
# run/ is left out: it holds only the lock every writing run takes (run/hibernate-tool/lock).
tree() {
        (cd "$1" && find . -path ./run -prune -o -printf '%y %m %p\n' | sort && find . -path ./run -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

# setup ROOT ARGS…: runs setup --json; output in $OUT, exit status in $RC, stderr in $ERR.
setup() {
        local r=$1; shift
        set +e
        OUT=$("$HIBERNATE_TOOL" setup --root "$r" --json "$@" 2>"$r.stderr")
        RC=$?
        set -e
        ERR=$(cat "$r.stderr"); rm -f "$r.stderr"
        if [ "$RC" -lt 128 ] && ! jq -e . >/dev/null 2>&1 <<<"$OUT"; then
                fail "[$CASE] output is not valid JSON (exit $RC): $OUT / $ERR"
        fi
}
expect_js() { if jq -e "$1" >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] JSON: $1 is not true: $OUT"; fi; }
# grub_cmdline ROOT: the two variables as grub-mkconfig's /bin/sh sees them after sourcing
# /etc/default/grub and /etc/default/grub.d/*.cfg: "LINUX|LINUX_DEFAULT".
grub_cmdline() {
        sh -c '. "$1/etc/default/grub"; for f in "$1"/etc/default/grub.d/*.cfg; do [ -e "$f" ] && . "$f"; done
               printf "%s|%s" "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"' sh "$1"
}
same_tree() {  # label, before, after
        if [ "$2" = "$3" ]; then ok; else fail "[$CASE] $1: tree differs: $(diff <(echo "$2") <(echo "$3") | head -20)"; fi
}

setup_root; R=$SR
T0=$(tree "$R")

# ---- partition --------------------------------------------------------------------------
CASE=partition-dry-run
setup "$R" --swap /dev/vdb --dry-run
expect_rc 0
expect_js '.dry_run and .changed and .swap.kind == "partition" and .resume.device == "UUID='$UUID_VDB'" and .resume.offset == null'
expect_js '.files | map(.path) | sort == ["/etc/default/grub.d/hibernate-tool.cfg","/etc/dracut.conf.d/hibernate-tool-resume.conf","/etc/fstab","/etc/hibernate-tool/hibernate.toml.d/50-setup.toml","/etc/initramfs-tools/conf.d/resume"]'
expect_js '(.files[] | select(.path == "/etc/fstab") | .diff) | test("\\+UUID='$UUID_VDB' none swap defaults 0 0")'
expect_js '.commands == ["chroot '"$R"' update-grub", "chroot '"$R"' update-initramfs -u -k all", "chroot '"$R"' dracut --regenerate-all -f"]'
same_tree "dry run" "$T0" "$(tree "$R")"
setup "$R" --swap /dev/vdb --dry-run --no-regenerate
expect_js '.commands == []'
# the text form: diffs and commands
set +e; TXT=$("$HIBERNATE_TOOL" setup --root "$R" --swap UUID=$UUID_VDB --dry-run); set -e
if grep -q "^+++ b/etc/default/grub.d/hibernate-tool.cfg" <<<"$TXT" && grep -q "^would run: chroot $R update-grub" <<<"$TXT"; then ok; else fail "[$CASE] text dry run: $TXT"; fi
same_tree "text dry run" "$T0" "$(tree "$R")"

CASE=partition-setup
setup "$R" --swap LABEL=hibswap --no-regenerate
expect_rc 0
expect_js '.changed and .resume.uuid == "'$UUID_VDB'" and .error == null and .exit == 0'
if grep -qx "RESUME=UUID=$UUID_VDB" "$R/etc/initramfs-tools/conf.d/resume"; then ok; else fail "[$CASE] initramfs conf"; fi
# the original resume= in GRUB_CMDLINE_LINUX is replaced, not duplicated
if [ "$(grub_cmdline "$R")" = " resume=UUID=$UUID_VDB|quiet" ]; then ok; else fail "[$CASE] grub drop-in: $(grub_cmdline "$R")"; fi
# fstab: every original line kept byte for byte, one line appended
ORIG_FSTAB=$(printf '# /etc/fstab: static file system information.\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID=%s   /    ext4   errors=remount-ro   0   1\n\n# tmp\ntmpfs\t/tmp\ttmpfs\tdefaults\t0\t0\nUUID=%s none swap defaults 0 0' "$UUID_VDC" "$UUID_VDB")
if [ "$(cat "$R/etc/fstab")" = "$ORIG_FSTAB" ]; then ok; else fail "[$CASE] fstab: $(cat "$R/etc/fstab")"; fi
# hibernate-check reads the result the same way
run_check "$R"
expect initramfs pass "RESUME=UUID=$UUID_VDB"
T1=$(tree "$R")

CASE=partition-twice
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
expect_js '.changed == false and .files == []'
same_tree "second run" "$T1" "$(tree "$R")"
setup "$R" --no-regenerate   # no --swap: the one swap that is active and in fstab
expect_rc 0
expect_js '.changed == false and .swap.path == "/dev/vdb"'

CASE=second-swap-file   # a later setup with another swap adds to the undo state
setup "$R" --swap-file /mnt/ext4/swapfile --size 64M --no-regenerate
expect_rc 0
setup "$R" --swap-file /mnt/btrfs/swapfile --size 64M --no-regenerate
expect_rc 0
expect_js '.changed and .swap.created'
grep -c "^swapfile " "$R/var/lib/hibernate-tool/setup/manifest" | grep -qx 2 && ok || fail "[$CASE] manifest: $(cat "$R/var/lib/hibernate-tool/setup/manifest")"
T1=$(tree "$R")

CASE=partition-undo
setup "$R" --undo --dry-run
expect_rc 0
expect_js '.changed and (.files | length == 5)'
same_tree "undo dry run" "$T1" "$(tree "$R")"
setup "$R" --undo --no-regenerate
expect_rc 0
same_tree "undo" "$T0" "$(tree "$R")"
setup "$R" --undo --no-regenerate
expect_rc 0
expect_js '.changed == false'

# ---- bad input: one message, exit 1 or 2, nothing changed ---------------------------------
CASE=bad-input
printf 'not swap' > "$R/mnt/ext4/notswap"; chmod 600 "$R/mnt/ext4/notswap"
T0=$(tree "$R")
bad() {  # expected-exit, args…
        local want=$1; shift
        setup "$R" "$@" --no-regenerate
        if [ "$RC" -ne "$want" ]; then fail "[$CASE] setup $*: exit $RC, expected $want ($OUT $ERR)"; return; fi
        local msg
        if [ "$RC" -eq 2 ] && [ -z "$OUT" ]; then msg=$ERR; else msg=$(jq -r .error <<<"$OUT"); fi
        if [ -z "$msg" ] || [ "$msg" = null ] || [ "$(wc -l <<<"$msg")" -ne 2 -a "$(wc -l <<<"$msg")" -ne 1 ]; then
                fail "[$CASE] setup $*: no single clear message: '$msg'"; return
        fi
        same_tree "setup $*" "$T0" "$(tree "$R")"
}
bad 1 --swap /dev/nonexistent
bad 1 --swap /dev/vdc                      # no swap signature
bad 1 --swap UUID=00000000-0000-4000-8000-000000000000
bad 1 --swap-file /mnt/ext4/swapfile --size 10G   # no space
bad 1 --swap-file /mnt/ext4/swapfile --size 200M  # no space once the margin is kept
bad 1 --swap-file /mnt/ext4/notswap        # exists, not swap
bad 1 --swap-file /nonexistent-dir/swapfile
bad 2 --swap-file relative/swapfile
bad 2 --swap /dev/vdb --swap-file /mnt/ext4/swapfile
bad 2 --size 64M
bad 2 --swap-file /mnt/ext4/swapfile --size 12x
bad 2 --swap-file /mnt/ext4/swapfile --size 1M
bad 2 --undo --swap /dev/vdb
bad 2 --bogus
bad 2 --swap 254:16
setup /nonexistent-root --swap /dev/vdb
if [ "$RC" -eq 2 ]; then ok; else fail "[$CASE] bad --root: exit $RC"; fi
# two candidates (vdb active, a swap file in fstab): ambiguous
cp "$R/etc/fstab" "$R/fstab.orig"
truncate -s 16M "$R/mnt/ext4/other2"; mkswap -q "$R/mnt/ext4/other2" >/dev/null; chmod 600 "$R/mnt/ext4/other2"
echo "/mnt/ext4/other2 none swap defaults 0 0" >> "$R/etc/fstab"
T0=$(tree "$R")
setup "$R" --no-regenerate
expect_rc 1
expect_js '.error | test("several swap areas.*/dev/vdb.*/mnt/ext4/other2")'
same_tree "ambiguous" "$T0" "$(tree "$R")"
# none at all
printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
cp "$R/fstab.orig" "$R/etc/fstab"
T0=$(tree "$R")
setup "$R" --no-regenerate
expect_rc 1
expect_js '.error | test("no swap is active or in /etc/fstab")'
same_tree "no swap" "$T0" "$(tree "$R")"
rm -f "$R/mnt/ext4/notswap" "$R/mnt/ext4/other2" "$R/fstab.orig"
printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/vdb                                partition\t%s\t\t0\t\t-2\n' $(( (2 * 1024 * 1024) - 4 )) > "$R/proc/swaps"

# ---- swap files -------------------------------------------------------------------------
T0=$(tree "$R")
TRACKED=(etc/fstab etc/default/grub.d/hibernate-tool.cfg etc/initramfs-tools/conf.d/resume etc/dracut.conf.d/hibernate-tool-resume.conf etc/hibernate-tool/hibernate.toml.d/50-setup.toml)
hashes() { local f; for f in "${TRACKED[@]}" "$2"; do if [ -e "$1/$f" ]; then sha256sum < "$1/$f" | cut -d" " -f1; else echo absent; fi; done; }

swapfile_case() {  # fs, size
        local fs=$1 size=$2 f=/mnt/$1/swapfile
        CASE=$fs-swapfile-dry-run
        setup "$R" --swap-file "$f" --size "$size" --dry-run
        expect_rc 0
        expect_js '.swap.kind == "file" and .swap.created and .resume.offset == null and (.commands | map(select(test("^mkswap "))) | length == 1)'
        same_tree "dry run" "$T0" "$(tree "$R")"

        CASE=$fs-swapfile
        setup "$R" --swap-file "$f" --size "$size" --no-regenerate
        expect_rc 0
        expect_js '.changed and .swap.created and .swap.size == '$(( ${size%M} * 1024 * 1024 ))
        local off uuid; off=$(jq -r .resume.offset <<<"$OUT"); uuid=$(jq -r .resume.uuid <<<"$OUT")
        [ "$uuid" = "$(blkid -s UUID -o value "$(findmnt -n -o SOURCE "$R/mnt/$fs")")" ] && ok || fail "[$CASE] uuid $uuid"
        [ "$(stat -c %a "$R$f")" = 600 ] && ok || fail "[$CASE] mode $(stat -c %a "$R$f")"
        [ "$(blkid -p -s TYPE -o value "$R$f")" = swap ] && ok || fail "[$CASE] no swap signature"
        # no holes: allocated blocks cover the size
        [ $(( $(stat -c %b "$R$f") * $(stat -c %B "$R$f") )) -ge "$(stat -c %s "$R$f")" ] && ok || fail "[$CASE] sparse file"
        local want
        if [ "$fs" = btrfs ]; then
                want=$(btrfs inspect-internal map-swapfile -r "$R$f")
                lsattr "$R$f" | grep -q '^[^ ]*C' && ok || fail "[$CASE] not NOCOW: $(lsattr "$R$f")"
        else
                local first bs; bs=$(stat -f -c %S "$R$f")
                first=$(filefrag -v "$R$f" | awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4; exit }')
                want=$(( first * bs / PAGE ))
        fi
        [ "$off" = "$want" ] && ok || fail "[$CASE] resume_offset $off, expected $want"
        [ "$(grub_cmdline "$R")" = " resume=UUID=$uuid resume_offset=$off|quiet" ] && ok || fail "[$CASE] grub: $(grub_cmdline "$R")"
        grep -qx "resume_offset=$off" "$R/etc/initramfs-tools/conf.d/resume" && ok || fail "[$CASE] initramfs conf"
        grep -qx "offset = $off" "$R/etc/hibernate-tool/hibernate.toml.d/50-setup.toml" && ok || fail "[$CASE] config"
        tail -n 1 "$R/etc/fstab" | grep -qx "$f none swap defaults 0 0" && ok || fail "[$CASE] fstab"
        local T1; T1=$(tree "$R")
        CASE=$fs-swapfile-twice
        setup "$R" --swap-file "$f" --no-regenerate
        expect_rc 0
        expect_js '.changed == false and .resume.offset == '"$off"
        setup "$R" --swap-file "$f" --size "$size" --no-regenerate
        expect_js '.changed == false'
        same_tree "second run" "$T1" "$(tree "$R")"
        CASE=$fs-swapfile-undo
        setup "$R" --undo --no-regenerate
        expect_rc 0
        same_tree "undo" "$T0" "$(tree "$R")"
        [ ! -e "$R$f" ] && ok || fail "[$CASE] swap file left behind"
}
swapfile_case ext4 64M
swapfile_case btrfs 128M

# ---- kill -9 after every step -------------------------------------------------------------
# The kill points exist only in test builds (meson -Dtest_hooks=true, as tools/hibernate-dev
# test builds); without them these cases cannot run: a failure under HT_REQUIRE_ALL.
if [ "${HT_TEST_HOOKS:-0}" != 1 ]; then
        if [ "${HT_REQUIRE_ALL:-0}" = 1 ]; then
                CASE=kill-tests; fail "[$CASE] this build has no test hooks (configure with -Dtest_hooks=true)"
        else
                echo "SKIP: kill tests (build without -Dtest_hooks=true)"
        fi
fi
[ "${HT_TEST_HOOKS:-0}" = 1 ] && {
STEPS=(state swapfile-create swapfile-allocate swapfile-mkswap swapfile fstab grub initramfs-tools dracut config)
for fs in ext4 btrfs; do
        f=/mnt/$fs/swapfile
        for step in "${STEPS[@]}"; do
                for recover in rerun undo; do
                        CASE=kill-$fs-$step-$recover
                        before=$(hashes "$R" "$f")
                        set +e
                        { HIBERNATE_TOOL_TEST_KILL_AT=$step "$HIBERNATE_TOOL" setup --root "$R" --swap-file "$f" --size 64M --no-regenerate --json >/dev/null 2>&1; rc=$?; } 2>/dev/null
                        set -e
                        [ "$rc" -eq 137 ] && ok || fail "[$CASE] not killed (exit $rc)"
                        killed=$(hashes "$R" "$f")
                        if [ "$recover" = rerun ]; then
                                setup "$R" --swap-file "$f" --size 64M --no-regenerate
                                expect_rc 0
                                after=$(hashes "$R" "$f")
                                # each tracked file: old or new (the swap file: absent or the final one)
                                paste <(echo "$before") <(echo "$killed") <(echo "$after") | while read -r b k a; do
                                        [ "$k" = "$b" ] || [ "$k" = "$a" ] || echo "torn"
                                done | grep -q torn && fail "[$CASE] a file is neither old nor new" || ok
                                [ -z "$(find "$R" \( -name '*.hibernate-tool-new' -o -name '.*.??????' \) -print)" ] && ok || fail "[$CASE] temporary files left"
                                setup "$R" --swap-file "$f" --no-regenerate
                                expect_js '.changed == false'
                        fi
                        setup "$R" --undo --no-regenerate
                        expect_rc 0
                        same_tree "recovered by $recover, then undo" "$T0" "$(tree "$R")"
                done
        done
done

# kill during --undo: a rerun of --undo completes it
for step in undo-swapfile undo-file-0 undo-file-1 undo-file-2 undo-file-3 undo-file-4 undo-state; do
        CASE=kill-$step
        setup "$R" --swap-file /mnt/ext4/swapfile --size 64M --no-regenerate
        set +e
        { HIBERNATE_TOOL_TEST_KILL_AT=$step "$HIBERNATE_TOOL" setup --root "$R" --undo --no-regenerate >/dev/null 2>&1; rc=$?; } 2>/dev/null
        set -e
        [ "$rc" -eq 137 ] && ok || fail "[$CASE] not killed (exit $rc)"
        setup "$R" --undo --no-regenerate
        expect_rc 0
        same_tree "undo rerun" "$T0" "$(tree "$R")"
done
}

# ---- btrfs locations btrfs forbids ----------------------------------------------------------
CASE=btrfs-snapshot
btrfs -q subvolume create "$R/mnt/btrfs/sv" >/dev/null
btrfs -q subvolume snapshot "$R/mnt/btrfs/sv" "$R/mnt/btrfs/snap" >/dev/null
T0=$(tree "$R")
setup "$R" --swap-file /mnt/btrfs/snap/swapfile --size 64M --no-regenerate
expect_rc 1
expect_js '.error | test("snapshot")'
same_tree "snapshot refused" "$T0" "$(tree "$R")"
setup "$R" --swap-file /mnt/btrfs/sv/swapfile --size 64M --dry-run   # the plain subvolume is fine
expect_rc 0

CASE=btrfs-multi-device
R2=$(new_root); TMPROOTS+=("$R2"); shrink_vdb "$R2"
i1=$(mktemp /tmp/ht-setup-md1-XXXXXX.img); i2=$(mktemp /tmp/ht-setup-md2-XXXXXX.img); TMPROOTS+=("$i1" "$i2")
truncate -s 300M "$i1"; truncate -s 300M "$i2"
d1=$(losetup -f --show "$i1"); LOOPS+=("$d1"); d2=$(losetup -f --show "$i2"); LOOPS+=("$d2")
mkfs.btrfs -q -f -d single -m single "$d1" "$d2" >/dev/null
mkdir -p "$R2/mnt/md"
mount -o device="$d2" "$d1" "$R2/mnt/md"; MOUNTS=("$R2/mnt/md" "${MOUNTS[@]}")
mknod "$R2$d1" b $(( 0x$(stat -c %t "$d1") )) $(( 0x$(stat -c %T "$d1") ))
echo "60 21 0:99 / /mnt/md rw - btrfs $d1 rw" >> "$R2/proc/self/mountinfo"
T2=$(tree "$R2")
setup "$R2" --swap-file /mnt/md/swapfile --size 64M --no-regenerate
expect_rc 1
expect_js '.error | test("2 devices")'
same_tree "multi-device refused" "$T2" "$(tree "$R2")"

# ---- other boot configurations ----------------------------------------------------------------
CASE=grub-marked-block
R3=$(new_root); TMPROOTS+=("$R3"); shrink_vdb "$R3"
rmdir "$R3/etc/default/grub.d"
printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX=""\n# trailing comment' > "$R3/etc/default/grub"
touch "$R3/usr/bin/dracut" 2>/dev/null || { mkdir -p "$R3/usr/bin"; touch "$R3/usr/bin/dracut"; }
T3=$(tree "$R3")
setup "$R3" --swap /dev/vdb --no-regenerate
expect_rc 0
expect_js '.bootloader == "grub-block" and .initramfs == ["initramfs-tools","dracut"]'
# the admin's lines kept as they were, the marked block appended, resume= relative
want=$(printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX=""\n# trailing comment\n# BEGIN hibernate-tool')
[ "$(head -n 5 "$R3/etc/default/grub")" = "$want" ] && [ "$(tail -n 1 "$R3/etc/default/grub")" = "# END hibernate-tool" ] && ok || fail "[$CASE] /etc/default/grub: $(cat "$R3/etc/default/grub")"
[ "$(grub_cmdline "$R3")" = " resume=UUID=$UUID_VDB|quiet splash" ] && ok || fail "[$CASE] grub: $(grub_cmdline "$R3")"
grep -q 'install_items+=" /etc/hibernate-tool/hibernate.toml.d/50-setup.toml "' "$R3/etc/dracut.conf.d/hibernate-tool-resume.conf" && ok || fail "[$CASE] dracut conf"
setup "$R3" --swap /dev/vdb --dry-run
expect_js '.changed == false and .commands == []'
setup "$R3" --undo --dry-run
expect_js '.commands == ["chroot '"$R3"' update-initramfs -u -k all", "chroot '"$R3"' dracut --regenerate-all -f"]'
setup "$R3" --undo --no-regenerate
same_tree "undo" "$T3" "$(tree "$R3")"

CASE=bls-grubby
R4=$(new_root); TMPROOTS+=("$R4"); shrink_vdb "$R4"
rm -f "$R4/etc/default/grub"; rmdir "$R4/etc/default/grub.d"
mkdir -p "$R4/boot/loader/entries"; printf 'title Fedora\nlinux /vmlinuz\noptions root=UUID=%s ro resume=/dev/old\n' "$UUID_VDC" > "$R4/boot/loader/entries/a.conf"
touch "$R4/usr/sbin/grubby"
setup "$R4" --swap /dev/vdb --dry-run
expect_rc 0
expect_js '.bootloader == "grubby" and .commands == ["chroot '"$R4"' grubby --update-kernel=ALL '"'"'--remove-args=resume resume_offset'"'"'", "chroot '"$R4"' grubby --update-kernel=ALL --args=resume=UUID='$UUID_VDB'", "chroot '"$R4"' update-initramfs -u -k all"]'
expect_js '[.files[].path] | index("/etc/default/grub.d/hibernate-tool.cfg") == null'

CASE=auto-size
setup_root; R5=$SR
sed -i 's/^MemTotal:.*/MemTotal: 20480 kB/' "$R5/proc/meminfo"
# 20 MiB RAM + sqrt(20/1024) GiB (143.1 MiB) = 163.1 MiB -> 192 MiB: with the 64 MiB margin
# more than the 256 MiB ext4 holds, fine on the 512 MiB btrfs
setup "$R5" --swap-file /mnt/ext4/swapfile --dry-run
expect_rc 1
expect_js '.error | test("not enough space")'
setup "$R5" --swap-file /mnt/btrfs/swapfile --size auto --dry-run
expect_rc 0
expect_js '.swap.size == 201326592'

finish
