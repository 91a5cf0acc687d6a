#!/bin/bash
# hibernate-tool setup and --undo around files that are not as setup expects them: read
# errors are not "absent" (issue 11.5), fstab fields are escaped and parsed back (11.6),
# the GRUB drop-in edits resume= relative to the admin's current value (11.7), --undo keeps
# the admin's later edits or refuses (11.4), and the dracut drop-in that leaves out dracut's
# resume module is written only for a dracut machine with our module (11). Needs root.
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"

if [ "$(id -u)" != 0 ] || ! command -v mkfs.ext4 >/dev/null || ! command -v findmnt >/dev/null; then
        skip_or_fail "test-setup-edits.sh needs root, e2fsprogs and findmnt"
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

mount_ext4() {  # ROOT DIR: a loop-mounted ext4 at ROOT/DIR, in the fixture's mountinfo
        local r=$1 d=$2 img dev
        img=$(mktemp /tmp/ht-edits-ext4-XXXXXX.img); TMPROOTS+=("$img")
        truncate -s 256M "$img"
        mkfs.ext4 -q -F -b 4096 "$img" >/dev/null
        dev=$(losetup -f --show "$img"); LOOPS+=("$dev")
        mkdir -p "$r$d"
        mount "$dev" "$r$d" || skip_or_fail "cannot mount an ext4 loop device"
        MOUNTS=("$r$d" "${MOUNTS[@]}")
        mknod "$r$dev" b $(( 0x$(stat -c %t "$dev") )) $(( 0x$(stat -c %T "$dev") ))
        echo "$(( 40 + ${#MOUNTS[@]} )) 21 $(( 0x$(stat -c %t "$dev") )):$(( 0x$(stat -c %T "$dev") )) / $d rw,relatime shared:9 - ext4 $dev rw" >> "$r/proc/self/mountinfo"
}

small_root() {  # a fixture with a 16 MiB swap partition /dev/vdb; prints the root
        local r; r=$(new_root)
        truncate -s 0 "$r/dev/vdb"; truncate -s 16M "$r/dev/vdb"
        mkswap -q -U "$UUID_VDB" -L hibswap "$r/dev/vdb" >/dev/null
        printf '# static file system information\nUUID=%s / ext4 errors=remount-ro 0 1\n' "$UUID_VDC" > "$r/etc/fstab"
        touch "$r/usr/sbin/update-grub"
        echo "$r"
}

# run/ is left out: it holds only the lock every writing run takes (run/hibernate-tool/lock).
tree() { (cd "$1" && find . -path ./run -prune -o -printf '%y %m %p\n' | sort && find . -path ./run -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
setup() {  # ROOT ARGS…: setup --json; $OUT, $RC, $ERR
        local r=$1; shift
        set +e
        OUT=$("$HIBERNATE_TOOL" setup --root "$r" --json --no-regenerate "$@" 2>"$r.stderr")
        RC=$?
        set -e
        ERR=$(cat "$r.stderr"); rm -f "$r.stderr"
        jq -e . >/dev/null 2>&1 <<<"$OUT" || fail "[$CASE] output is not valid JSON (exit $RC): $OUT / $ERR"
}
expect_js() { if jq -e "$1" >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] JSON: $1 is not true: $OUT"; fi; }
same_tree() { if [ "$2" = "$3" ]; then ok; else fail "[$CASE] $1: tree differs: $(diff <(echo "$2") <(echo "$3") | head -20)"; fi; }
one_message() {  # the refusal is one line
        local msg; msg=$(jq -r .error <<<"$OUT")
        if [ -n "$msg" ] && [ "$msg" != null ]; then ok; else fail "[$CASE] no message: $OUT"; fi
}

# ---- 11.5: read errors are not "absent" ---------------------------------------------------
CASE=fstab-too-big
R=$(small_root)
{ cat "$R/etc/fstab"; head -c $(( 17 * 1024 * 1024 )) /dev/zero | tr '\0' '#' | fold -w 100; echo; } > "$R/fstab.big"
mv "$R/fstab.big" "$R/etc/fstab"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
[ "$RC" -eq 1 ] || [ "$RC" -eq 2 ] && ok || fail "[$CASE] exit $RC: $OUT"
expect_js '.error | test("/etc/fstab")'
expect_js '.changed == false and .files == []'
one_message
same_tree "refused" "$T0" "$(tree "$R")"
setup "$R" --swap /dev/vdb --dry-run
[ "$RC" -ne 0 ] && ok || fail "[$CASE] dry run: exit $RC"
same_tree "dry run refused" "$T0" "$(tree "$R")"

CASE=fstab-is-a-directory
R=$(small_root)
rm "$R/etc/fstab"; mkdir "$R/etc/fstab"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
[ "$RC" -ne 0 ] && ok || fail "[$CASE] exit $RC: $OUT"
expect_js '.error | test("/etc/fstab")'
same_tree "refused" "$T0" "$(tree "$R")"

CASE=grub-too-big   # the marked block in /etc/default/grub: the file is read and edited
R=$(small_root)
rmdir "$R/etc/default/grub.d"
head -c $(( 17 * 1024 * 1024 )) /dev/zero | tr '\0' '#' | fold -w 100 >> "$R/etc/default/grub"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
[ "$RC" -ne 0 ] && ok || fail "[$CASE] exit $RC: $OUT"
expect_js '.error | test("/etc/default/grub")'
same_tree "refused" "$T0" "$(tree "$R")"

CASE=undo-fstab-too-big
R=$(small_root)
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
expect_rc 0
cp "$R/etc/fstab" "$R/fstab.setup"
head -c $(( 17 * 1024 * 1024 )) /dev/zero | tr '\0' '#' | fold -w 100 >> "$R/etc/fstab"
T1=$(tree "$R")
setup "$R" --undo
[ "$RC" -ne 0 ] && ok || fail "[$CASE] exit $RC: $OUT"
expect_js '.error | test("/etc/fstab")'
one_message
same_tree "undo refused" "$T1" "$(tree "$R")"
cp "$R/fstab.setup" "$R/etc/fstab"; rm "$R/fstab.setup"
setup "$R" --undo
expect_rc 0
same_tree "undo after the fix" "$T0" "$(tree "$R")"

# ---- 11.6: fstab fields escaped, parsed back, not appended twice --------------------------
R=$(small_root)
mount_ext4 "$R" /mnt/data
T0=$(tree "$R")
for name in "my swap" 'back\slash' "swäp ünï" "two  spaces"; do
        CASE="fstab-escape-$name"
        f="/mnt/data/$name"
        setup "$R" --swap-file "$f" --size 16M
        expect_rc 0
        expect_js '.changed and .swap.created'
        esc=$(printf '%s' "$f" | sed -e 's/\\/\\134/g' -e 's/ /\\040/g')
        last=$(tail -n 1 "$R/etc/fstab")
        [ "$last" = "$esc none swap defaults 0 0" ] && ok || fail "[$CASE] fstab line: '$last'"
        # util-linux reads the file back: the source is the file's name
        got=$(findmnt --fstab --tab-file "$R/etc/fstab" -J -o SOURCE,FSTYPE | jq -r '.filesystems[] | select(.fstype == "swap") | .source')
        [ "$got" = "$f" ] && ok || fail "[$CASE] findmnt: '$got', expected '$f'"
        setup "$R" --swap-file "$f"
        expect_rc 0
        expect_js '.changed == false'
        [ "$(grep -c ' none swap ' "$R/etc/fstab")" = 1 ] && ok || fail "[$CASE] rerun appended: $(cat "$R/etc/fstab")"
        setup "$R" --undo
        expect_rc 0
        same_tree "undo" "$T0" "$(tree "$R")"
done

# ---- 11.7: the GRUB drop-in edits resume= relative to the admin's current values ----------
grub_cmdline() {  # ROOT: "LINUX|LINUX_DEFAULT" as grub-mkconfig's /bin/sh sees them
        sh -c '. "$1/etc/default/grub"; for f in "$1"/etc/default/grub.d/*.cfg; do [ -e "$f" ] && . "$f"; done
               printf "%s|%s" "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"' sh "$1"
}
for mode in dropin block; do
        CASE=grub-relative-$mode
        R=$(small_root)
        [ "$mode" = block ] && rmdir "$R/etc/default/grub.d"
        # resume= already there (GRUB_CMDLINE_LINUX="resume=UUID=…" in the fixture)
        setup "$R" --swap /dev/vdb
        expect_rc 0
        [ "$(grub_cmdline "$R")" = " resume=UUID=$UUID_VDB|quiet" ] && ok || fail "[$CASE] after setup: $(grub_cmdline "$R")"
        # the admin edits /etc/default/grub afterwards
        # (the admin's own line: the first one, above our block)
        sed -i '0,/^GRUB_CMDLINE_LINUX=/s/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="resume=\/dev\/old mitigations=off $(echo x)"/' "$R/etc/default/grub"
        sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="quiet resume_offset=99 splash"/' "$R/etc/default/grub"
        got=$(grub_cmdline "$R")
        [ "$got" = "mitigations=off x resume=UUID=$UUID_VDB|quiet splash" ] && ok || fail "[$CASE] after the admin's edit: '$got'"
        [ "$(tr ' |' '\n\n' <<<"$got" | grep -c '^resume=')" = 1 ] && ok || fail "[$CASE] not one resume=: $got"
        ours=$(cat "$R/etc/default/grub.d/hibernate-tool.cfg" 2>/dev/null; sed -n '/^# BEGIN hibernate-tool/,/^# END hibernate-tool/p' "$R/etc/default/grub")
        grep -q -e 'echo x' -e mitigations <<<"$ours" && fail "[$CASE] the admin's words copied into ours: $ours" || ok
        setup "$R" --swap /dev/vdb   # a rerun leaves it as it is
        expect_rc 0
        expect_js '.changed == false'
done

# ---- 11.4: three-way undo -------------------------------------------------------------------
CASE=undo-keeps-admin-line
R=$(small_root)
T0=$(tree "$R")
ORIG_FSTAB=$(cat "$R/etc/fstab")
setup "$R" --swap /dev/vdb
expect_rc 0
grep -q '^hibernate-tool-setup-manifest 2$' "$R/var/lib/hibernate-tool/setup/manifest" && ok || fail "[$CASE] manifest format"
grep -q '^edit /etc/fstab ' "$R/var/lib/hibernate-tool/setup/manifest" && ok || fail "[$CASE] no fstab edit in the manifest"
echo "tmpfs /scratch tmpfs defaults 0 0" >> "$R/etc/fstab"
echo "# admin" >> "$R/etc/default/grub.d/hibernate-tool.cfg"
setup "$R" --undo --dry-run
expect_rc 0
expect_js '[.files[] | select(.path == "/etc/fstab") | .action] == ["modify"]'
setup "$R" --undo
expect_rc 0
want=$(printf '%s\ntmpfs /scratch tmpfs defaults 0 0' "$ORIG_FSTAB")
[ "$(cat "$R/etc/fstab")" = "$want" ] && ok || fail "[$CASE] fstab: $(cat "$R/etc/fstab")"
[ "$(cat "$R/etc/default/grub.d/hibernate-tool.cfg")" = "# admin" ] && ok || fail "[$CASE] drop-in: $(cat "$R/etc/default/grub.d/hibernate-tool.cfg")"
[ ! -e "$R/etc/hibernate-tool/hibernate.toml.d/50-setup.toml" ] && [ ! -e "$R/var/lib/hibernate-tool" ] && ok || fail "[$CASE] left behind"
# everything else as before setup
same_tree "the rest" "$(grep -v -e ' ./etc/fstab$' -e 'hibernate-tool.cfg$' <<<"$T0")" "$(tree "$R" | grep -v -e ' ./etc/fstab$' -e 'hibernate-tool.cfg$')"

CASE=undo-refuses-altered-line
R=$(small_root)
setup "$R" --swap /dev/vdb
expect_rc 0
sed -i 's/ none swap defaults 0 0$/ none swap pri=5 0 0/' "$R/etc/fstab"
echo "tmpfs /scratch tmpfs defaults 0 0" >> "$R/etc/fstab"
T1=$(tree "$R")
setup "$R" --undo
expect_rc 1
expect_js '.error | test("/etc/fstab") and test("\\+UUID='$UUID_VDB' none swap pri=5 0 0") and test("-UUID='$UUID_VDB' none swap defaults 0 0")'
expect_js '.changed == false'
same_tree "refused" "$T1" "$(tree "$R")"
set +e; TXT=$("$HIBERNATE_TOOL" setup --root "$R" --undo --no-regenerate 2>&1); set -e
grep -q '^--- a/etc/fstab' <<<"$TXT" && ok || fail "[$CASE] text: no diff: $TXT"
# put our line back as it was: the undo goes through and keeps the admin's line
sed -i 's/ none swap pri=5 0 0$/ none swap defaults 0 0/' "$R/etc/fstab"
setup "$R" --undo
expect_rc 0
tail -n 1 "$R/etc/fstab" | grep -qx "tmpfs /scratch tmpfs defaults 0 0" && ! grep -q ' swap ' "$R/etc/fstab" && ok || fail "[$CASE] fstab: $(cat "$R/etc/fstab")"

CASE=undo-byte-exact
R=$(small_root)
printf 'no final newline' >> "$R/etc/fstab"; chmod 0600 "$R/etc/fstab"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
expect_rc 0
setup "$R" --undo
expect_rc 0
same_tree "undo" "$T0" "$(tree "$R")"

CASE=undo-old-manifest   # format 1 (no hashes): the saved bytes, as before
R=$(small_root)
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
expect_rc 0
M="$R/var/lib/hibernate-tool/setup/manifest"
sed -i -e '1s/ 2$/ 1/' -e '/^edit /d' -e 's/^\(file [01] [0-7]* [^ ]* [^ ]*\) [^ ]*$/\1/' "$M"
echo "tmpfs /scratch tmpfs defaults 0 0" >> "$R/etc/fstab"
setup "$R" --undo
expect_rc 0
same_tree "undo" "$T0" "$(tree "$R")"

# ---- the dracut drop-in that leaves out dracut's resume module ---------------------------------
CASE=dracut-omit-resume
R=$(small_root)
mkdir -p "$R/usr/bin"; touch "$R/usr/bin/dracut"
setup "$R" --swap /dev/vdb   # dracut, but not our module: dracut's resume module stays
expect_rc 0
[ ! -e "$R/etc/dracut.conf.d/90-hibernate-tool.conf" ] && ok || fail "[$CASE] written without our module"
setup "$R" --undo
expect_rc 0
mkdir -p "$R/usr/lib/dracut/modules.d/90hibernate-tool"; touch "$R/usr/lib/dracut/modules.d/90hibernate-tool/module-setup.sh"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb
expect_rc 0
expect_js '[.files[].path] | index("/etc/dracut.conf.d/90-hibernate-tool.conf") != null'
grep -qx 'omit_dracutmodules+=" resume "' "$R/etc/dracut.conf.d/90-hibernate-tool.conf" && ok || fail "[$CASE] no omit line"
grep -q '^edit /etc/dracut.conf.d/90-hibernate-tool.conf ' "$R/var/lib/hibernate-tool/setup/manifest" && ok || fail "[$CASE] not in the manifest"
setup "$R" --swap /dev/vdb
expect_js '.changed == false'
setup "$R" --undo
expect_rc 0
same_tree "undo" "$T0" "$(tree "$R")"

finish
