#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hibernate-tool-resume-generator, in the style of systemd's test-fstab-generator.sh:
#   1. for a range of kernel command lines, the whole output tree is compared with
#      tests/integration/expected/generator/<case>/ (GENERATOR_REGEN=1 rewrites them);
#   2. side by side with systemd 252's systemd-hibernate-resume-generator on the same
#      command lines: the same .device unit from the same resume=, the same ordering and
#      enablement (every dependency of systemd-hibernate-resume@.service is in ours);
#   3. `systemd-analyze verify` of every generated unit, failing on any message about them;
#   4. nothing outside the initrd; the configuration, usage and I/O errors, kmsg logging.
#
# Deliberate differences from systemd 252 (also in hibernate-tool-resume-generator(8)):
#   - one plain unit, hibernate-tool-resume.service, instead of the template instance
#     systemd-hibernate-resume@<escaped device>.service; enabled the same way (a link in
#     sysinit.target.wants) and ordered the same way (Wants= and Before=local-fs-pre.target),
#     plus explicit Before=sysroot.mount systemd-fsck-root.service (implied by
#     local-fs-pre.target in systemd's ordering) and StandardOutput=journal+console;
#   - device timeout: systemd waits forever (JobTimeoutSec=0); we wait 30 s by default,
#     resumedelay=N seconds, resumewait forever, x-systemd.device-timeout= in resumeflags=
#     as systemd (converted to seconds); rootflags= is not a fallback for resumeflags=;
#   - garbage resume= (resume=UUID=zzzz, resume=/etc/x, resume=foo%bar): systemd writes units
#     for a device that can never appear; we write nothing and log why;
#   - resume=MAJ:MIN: systemd binds to "254:16.device", which never appears; systemd makes
#     no unit for /dev/block/MAJ:MIN links either (src/core/device.c skips them), so we
#     bind to no device: the service runs after systemd-udev-trigger.service and the helper
#     waits for the device itself (bounded);
#   - bare kernel names (resume=vdb): systemd binds to "vdb.device" (never appears); we use
#     /dev/vdb like the kernel;
#   - UUID=/PARTUUID= values are lower-cased (udev's by-uuid links of swap, ext4, btrfs and
#     xfs are lower case); systemd keeps the case given;
#   - [resume] device in the configuration is used when there is no resume=;
#     hibernate_tool.generator=always|off changes where it acts.
set -uo pipefail

: "${GENERATOR:?set GENERATOR to the built hibernate-tool-resume-generator}"
: "${SRCDIR:?set SRCDIR to the source tree}"
HELPER=${1:?usage: test-generator.sh INSTALLED-HELPER-PATH BUILT-HIBERNATE-TOOL}
BUILT_TOOL=${2:?usage: test-generator.sh INSTALLED-HELPER-PATH BUILT-HIBERNATE-TOOL}
EXPECTED=$SRCDIR/tests/integration/expected/generator
SD_GEN=/usr/lib/systemd/system-generators/systemd-hibernate-resume-generator
SD_TEMPLATE=/usr/lib/systemd/system/systemd-hibernate-resume@.service
[ -e "$SD_TEMPLATE" ] || SD_TEMPLATE=/lib/systemd/system/systemd-hibernate-resume@.service
export SYSTEMD_LOG_TARGET=console LC_ALL=C.UTF-8
unset SYSTEMD_LOG_LEVEL

FAILURES=0
PASSES=0
TMP=$(mktemp -d /tmp/ht-generator-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

skip_or_fail() {
        if [ -n "${HT_REQUIRE_ALL:-}" ]; then echo "FATAL: cannot run here and HT_REQUIRE_ALL is set: $*"; exit 1; fi
        echo "SKIP: $*"; exit 77
}
pass() { PASSES=$((PASSES + 1)); }
fail() { FAILURES=$((FAILURES + 1)); echo "FAIL [$CASE]: $*"; }

for tool in "$SD_GEN" "$SD_TEMPLATE" "$(command -v systemd-escape)" "$(command -v systemd-analyze)"; do
        [ -n "$tool" ] && [ -e "$tool" ] || skip_or_fail "systemd 252's generator, template unit, systemd-escape and systemd-analyze are needed"
done
[ -x "$GENERATOR" ] || { echo "FATAL: $GENERATOR is not executable"; exit 1; }

# Our generator reads /etc (initrd-release, the configuration): it runs with a private /etc
# (a bind mount in its own mount namespace) so that the host's files never matter.
EMPTY_ETC=$TMP/etc-empty
new_etc() { mkdir -p "$1"; [ -e /etc/ld.so.cache ] && cp /etc/ld.so.cache "$1/"; true; }
new_etc "$EMPTY_ETC"
PRIVATE_ETC=1
if ! unshare --mount --propagation private bash -c 'mount --bind "$1" /etc' _ "$EMPTY_ETC" 2>/dev/null; then
        PRIVATE_ETC=
        [ -e /etc/hibernate-tool ] && skip_or_fail "cannot unshare a mount namespace and /etc/hibernate-tool exists on this host"
        echo "NOTE: no private /etc (unshare failed); the configuration and /etc/initrd-release cases are skipped"
fi

# run_gen OUT ETC [VAR=value…] -- CMDLINE: runs our generator with three output dirs; sets RC, LOG.
run_gen() {
        local out=$1 etc=$2; shift 2
        local envs=()
        while [ "$1" != "--" ]; do envs+=("$1"); shift; done
        shift
        mkdir -p "$out"
        if [ -n "$PRIVATE_ETC" ]; then
                env SYSTEMD_LOG_LEVEL=debug "${envs[@]}" SYSTEMD_PROC_CMDLINE="$1" unshare --mount --propagation private \
                        bash -c 'mount --bind "$1" /etc && shift && exec "$@"' _ "$etc" \
                        "$GENERATOR" "$out/normal" "$out/early" "$out/late" 2>"$out/log"
        else
                env SYSTEMD_LOG_LEVEL=debug "${envs[@]}" SYSTEMD_PROC_CMDLINE="$1" "$GENERATOR" "$out/normal" "$out/early" "$out/late" 2>"$out/log"
        fi
        RC=$?
        LOG=$(cat "$out/log")
}

tree_listing() {  # types, names and link targets, sorted
        (cd "$1" && find . -mindepth 1 \( -type l -printf '%y %p -> %l\n' \) -o \( ! -type l -printf '%y %p\n' \) | LC_ALL=C sort)
}

common_checks() {  # OUT: exit 0, nothing in early/late, no temporary files, modes
        local out=$1
        [ "$RC" = 0 ] || fail "exit status $RC: $LOG"
        [ ! -e "$out/early" ] && [ ! -e "$out/late" ] || fail "wrote into the early or late directory"
        if [ -d "$out/normal" ]; then
                [ -z "$(find "$out/normal" -name '.#*')" ] || fail "temporary files left behind"
                [ -z "$(find "$out/normal" -type f ! -perm 0644)" ] || fail "generated files are not 0644"
                [ -z "$(find "$out/normal" -type d ! -perm 0755)" ] || fail "generated directories are not 0755"
        fi
}

# check_tree CASE CMDLINE [VAR=value…]: output equals expected/generator/CASE (initrd by default).
check_tree() {
        CASE=$1; local cmdline=$2; shift 2
        local out=$TMP/$CASE
        run_gen "$out" "$EMPTY_ETC" SYSTEMD_IN_INITRD=1 "$@" -- "$cmdline"
        common_checks "$out"
        [ -f "$out/normal/hibernate-tool-resume.service" ] || { fail "no service generated: $LOG"; return; }
        # The helper path depends on the configured prefix; the expected trees say /usr/sbin.
        sed -i "s|^ExecStart=$HELPER |ExecStart=/usr/sbin/hibernate-tool |" "$out/normal/hibernate-tool-resume.service"
        if [ -n "${GENERATOR_REGEN:-}" ]; then
                rm -rf "${EXPECTED:?}/$CASE"; mkdir -p "$EXPECTED"; cp -a "$out/normal" "$EXPECTED/$CASE"
        fi
        if [ ! -d "$EXPECTED/$CASE" ]; then fail "no expected tree $EXPECTED/$CASE"; return; fi
        local d
        if d=$(diff -u <(tree_listing "$EXPECTED/$CASE") <(tree_listing "$out/normal")) &&
           d=$(diff -ru --no-dereference "$EXPECTED/$CASE" "$out/normal"); then
                pass
        else
                fail "output differs from $EXPECTED/$CASE:"; echo "$d"
        fi
}

# check_nothing CASE CMDLINE REGEX [VAR=value…]: nothing generated, the log matches REGEX.
check_nothing() {
        CASE=$1; local cmdline=$2 re=$3; shift 3
        local out=$TMP/$CASE etc=${NOTHING_ETC:-$EMPTY_ETC}
        run_gen "$out" "$etc" "$@" -- "$cmdline"
        common_checks "$out"
        if [ -e "$out/normal" ] && [ -n "$(ls -A "$out/normal")" ]; then
                fail "generated something: $(tree_listing "$out/normal" | tr '\n' ' ')"
        elif ! grep -Eq -- "$re" <<<"$LOG"; then
                fail "log does not match /$re/: $LOG"
        else
                pass
        fi
        [ ! -d "$EXPECTED/$CASE" ] || fail "an expected tree exists for a case that generates nothing"
}

UUID=8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55
BASE="BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=11111111-2222-4333-8444-555555555555 ro quiet"

# ---- 1. output trees ---------------------------------------------------------------------
check_tree uuid "$BASE resume=UUID=$UUID"
check_tree label-space "$BASE resume=\"LABEL=my swap\""
check_tree partuuid "$BASE resume=PARTUUID=0a1b2c3d-02"
check_tree partlabel "$BASE resume=PARTLABEL=swap"
check_tree path "$BASE resume=/dev/vdb"
check_tree devnum "$BASE resume=254:16"
check_tree resumedelay "$BASE resume=/dev/vdb resumedelay=5"
check_tree resumewait "$BASE resume=/dev/vdb resumewait"
check_tree resumeflags "$BASE resume=/dev/vdb resumeflags=x-systemd.device-timeout=2min"
check_tree bare-name "$BASE resume=vdb"
check_tree uuid-uppercase "$BASE resume=UUID=${UUID^^}"
check_tree last-resume-wins "$BASE resume=/dev/vda resume=/dev/vdb"
check_tree outside-initrd-always "$BASE hibernate_tool.generator=always resume=/dev/vdb" SYSTEMD_IN_INITRD=0

check_nothing noresume "$BASE resume=/dev/vdb noresume" '"noresume" on the kernel command line' SYSTEMD_IN_INITRD=1
check_nothing nohibernate "$BASE resume=/dev/vdb nohibernate" '"nohibernate"' SYSTEMD_IN_INITRD=1
check_nothing hibernate-no "$BASE resume=/dev/vdb hibernate=no" '"hibernate=no"' SYSTEMD_IN_INITRD=1
check_nothing hibernate-noresume "$BASE resume=/dev/vdb hibernate=noresume" '"hibernate=noresume"' SYSTEMD_IN_INITRD=1
check_nothing no-resume-device "$BASE" 'No resume device' SYSTEMD_IN_INITRD=1
check_nothing empty-cmdline "" 'No resume device' SYSTEMD_IN_INITRD=1
check_nothing garbage-uuid "$BASE resume=UUID=zzzz" "not a UUID.*not generating" SYSTEMD_IN_INITRD=1
check_nothing garbage-path "$BASE resume=/etc/passwd" 'must be under /dev/.*not generating' SYSTEMD_IN_INITRD=1
check_nothing garbage-chars "$BASE resume=foo%bar" 'Invalid device specification.*not generating' SYSTEMD_IN_INITRD=1
check_nothing garbage-empty "$BASE resume=" 'empty.*not generating' SYSTEMD_IN_INITRD=1
check_nothing garbage-dotdot "$BASE resume=/dev/../etc/x" 'not a normalized path.*not generating' SYSTEMD_IN_INITRD=1
check_nothing garbage-offset "$BASE resume=/dev/vdb resume_offset=-1" 'not a page number.*not generating' SYSTEMD_IN_INITRD=1
check_nothing garbage-toolong "$BASE resume=LABEL=$(printf 'x%.0s' {1..240})" 'more than 255.*not generating' SYSTEMD_IN_INITRD=1
check_nothing generator-off "$BASE hibernate_tool.generator=off resume=/dev/vdb" 'generator=off' SYSTEMD_IN_INITRD=1

# ---- 4. not in the initrd --------------------------------------------------------------------
check_nothing not-initrd "$BASE resume=/dev/vdb" 'Not running in the initrd' SYSTEMD_IN_INITRD=0
check_nothing not-initrd-no 'resume=/dev/vdb' 'Not running in the initrd' SYSTEMD_IN_INITRD=no
if [ -n "$PRIVATE_ETC" ]; then
        # No SYSTEMD_IN_INITRD (or not a boolean): /etc/initrd-release decides, as for systemd.
        check_nothing not-initrd-file "$BASE resume=/dev/vdb" 'Not running in the initrd'
        check_nothing not-initrd-bad-env "$BASE resume=/dev/vdb" 'Ignoring SYSTEMD_IN_INITRD=maybe' SYSTEMD_IN_INITRD=maybe
        CASE=initrd-release-file
        ETC=$TMP/etc-initrd; new_etc "$ETC"; touch "$ETC/initrd-release"
        run_gen "$TMP/$CASE" "$ETC" -- "resume=/dev/vdb"
        common_checks "$TMP/$CASE"
        grep -qx 'BindsTo=dev-vdb.device' "$TMP/$CASE/normal/hibernate-tool-resume.service" 2>/dev/null && pass ||
                fail "/etc/initrd-release did not make it act: $LOG"
        CASE=initrd-env-overrides-file
        run_gen "$TMP/$CASE" "$ETC" SYSTEMD_IN_INITRD=0 -- "resume=/dev/vdb"
        [ ! -e "$TMP/$CASE/normal" ] && pass || fail "SYSTEMD_IN_INITRD=0 did not win over /etc/initrd-release"

        # The configuration: [resume] device when there is no resume=; errors generate nothing.
        ETC=$TMP/etc-config; new_etc "$ETC"; mkdir -p "$ETC/hibernate-tool"
        printf '[resume]\ndevice = "LABEL=cfgswap"\n' > "$ETC/hibernate-tool/hibernate.toml"
        CASE=config-device
        run_gen "$TMP/$CASE" "$ETC" SYSTEMD_IN_INITRD=1 -- "$BASE"
        common_checks "$TMP/$CASE"
        grep -qx 'BindsTo=dev-disk-by\\x2dlabel-cfgswap.device' "$TMP/$CASE/normal/hibernate-tool-resume.service" 2>/dev/null &&
                grep -q 'from \[resume\] device in the configuration' "$TMP/$CASE/normal/hibernate-tool-resume.service" && pass ||
                fail "[resume] device was not used: $LOG"
        CASE=config-cmdline-wins
        run_gen "$TMP/$CASE" "$ETC" SYSTEMD_IN_INITRD=1 -- "$BASE resume=/dev/vdb"
        grep -qx 'BindsTo=dev-vdb.device' "$TMP/$CASE/normal/hibernate-tool-resume.service" 2>/dev/null && pass ||
                fail "resume= did not win over the configuration: $LOG"
        CASE=config-timeout
        printf '[resume]\ntimeout_sec = 45\n' > "$ETC/hibernate-tool/hibernate.toml"
        run_gen "$TMP/$CASE" "$ETC" SYSTEMD_IN_INITRD=1 -- "$BASE resume=/dev/vdb"
        grep -qx 'JobRunningTimeoutSec=45s' "$TMP/$CASE/normal/dev-vdb.device.d/40-hibernate-tool-resume.conf" 2>/dev/null &&
                pass || fail "[resume] timeout_sec was not the device timeout: $LOG"
        ETC=$TMP/etc-badconfig; new_etc "$ETC"; mkdir -p "$ETC/hibernate-tool/hibernate.toml.d"
        printf '[resume]\ndevice = "LABEL=cfgswap"\n' > "$ETC/hibernate-tool/hibernate.toml"
        printf '[resume]\noffset = "ten"\n' > "$ETC/hibernate-tool/hibernate.toml.d/50-bad.toml"
        NOTHING_ETC=$ETC check_nothing config-error "$BASE resume=/dev/vdb" \
                'Configuration: .*50-bad.toml:2:[0-9]+: .*not generating' SYSTEMD_IN_INITRD=1
        # Outside the initrd the configuration is not even read (its error is not logged).
        NOTHING_ETC=$ETC check_nothing config-error-not-initrd "$BASE resume=/dev/vdb" 'Not running in the initrd' \
                SYSTEMD_IN_INITRD=0
        grep -q Configuration <<<"$LOG" && fail "the configuration was read outside the initrd: $LOG"
fi

# ---- usage and I/O errors -------------------------------------------------------------------
CASE=usage
"$GENERATOR" >/dev/null 2>&1; [ $? = 2 ] && pass || fail "no arguments: exit status is not 2"
"$GENERATOR" a b >/dev/null 2>&1; [ $? = 2 ] && pass || fail "two arguments: exit status is not 2"
"$GENERATOR" --help | grep -q "Usage: hibernate-tool-resume-generator" && pass || fail "--help"
"$GENERATOR" --version | grep -q "^hibernate-tool-resume-generator [0-9]" && pass || fail "--version"
CASE=single-dir
mkdir -p "$TMP/$CASE"
SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="resume=/dev/vdb" "$GENERATOR" "$TMP/$CASE/normal" 2>/dev/null &&
        [ -f "$TMP/$CASE/normal/hibernate-tool-resume.service" ] && pass || fail "one directory argument"
CASE=rerun-same-dir  # a second run replaces its files atomically and gives the same tree
before=$(tree_listing "$TMP/single-dir/normal")
SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="resume=/dev/vdb" "$GENERATOR" "$TMP/single-dir/normal" 2>/dev/null &&
        [ "$before" = "$(tree_listing "$TMP/single-dir/normal")" ] && pass || fail "second run differs or failed"
CASE=unwritable-output
: > "$TMP/a-file"
SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="resume=/dev/vdb" "$GENERATOR" "$TMP/a-file/normal" 2>"$TMP/unwritable.log"
rc=$?
[ $rc = 1 ] && grep -q "Failed to generate hibernate-tool-resume.service: cannot create directory" "$TMP/unwritable.log" &&
        pass || fail "exit status $rc, $(cat "$TMP/unwritable.log")"
CASE=partial-output-removed  # the service dir is writable, the drop-in dir is not: nothing stays
mkdir -p "$TMP/$CASE/normal"; : > "$TMP/$CASE/normal/dev-vdb.device.d"
SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="resume=/dev/vdb" "$GENERATOR" "$TMP/$CASE/normal" 2>/dev/null
rc=$?
[ $rc = 1 ] && [ "$(ls -A "$TMP/$CASE/normal")" = "dev-vdb.device.d" ] && pass ||
        fail "exit status $rc, left: $(ls -A "$TMP/$CASE/normal" | tr '\n' ' ')"

# ---- 2. side by side with systemd's generator -------------------------------------------------
# tokens KEY FILE: the space-separated values of every KEY= line, one a line (no subprocess).
tokens() {
        local line w words
        while IFS= read -r line; do
                [[ $line == "$1="* ]] || continue
                read -ra words <<<"${line#"$1="}"
                for w in "${words[@]}"; do printf '%s\n' "$w"; done
        done <"$2"
}

# compare_systemd CASE CMDLINE: same .device unit, systemd's dependencies all present in ours.
compare_systemd() {
        CASE="systemd:$1"; local cmdline=$2
        local ours=$TMP/sd-ours-$1 theirs=$TMP/sd-theirs-$1
        run_gen "$ours" "$EMPTY_ETC" SYSTEMD_IN_INITRD=1 -- "$cmdline"
        SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="$cmdline" "$SD_GEN" "$theirs/normal" "$theirs/early" "$theirs/late" 2>/dev/null
        local unit=$ours/normal/hibernate-tool-resume.service
        [ -f "$unit" ] || { fail "we generated nothing: $LOG"; return; }
        local sd_link our_dev sd_dev inst
        sd_link=$(ls "$theirs/normal/sysinit.target.wants/" 2>/dev/null)
        inst=${sd_link#systemd-hibernate-resume@}; inst=${inst%.service}
        sd_dev=$(cd "$theirs/normal" && ls -d -- *.device.d 2>/dev/null); sd_dev=${sd_dev%.d}
        our_dev=$(sed -n 's/^BindsTo=//p' "$unit")
        if [ -z "$sd_dev" ] || [ "$sd_dev" != "$our_dev" ] || [ "$inst.device" != "$our_dev" ]; then
                fail "device unit: systemd '$sd_dev' (instance '$inst'), ours '$our_dev'"; return
        fi
        # Enabled the same way: a link in sysinit.target.wants.
        [ -L "$ours/normal/sysinit.target.wants/hibernate-tool-resume.service" ] || fail "not in sysinit.target.wants"
        # Every dependency and ordering of systemd's template (instantiated) is in ours.
        local key t tpl=$TMP/template-$1.service
        sed "s/%i/$(printf '%s' "$inst" | sed 's/[\\&/]/\\&/g')/g" "$SD_TEMPLATE" > "$tpl"
        local ourtok
        for key in DefaultDependencies BindsTo After Wants Before Requires AssertPathExists Type; do
                ourtok=$'\n'$(tokens "$key" "$unit")$'\n'
                while IFS= read -r t; do
                        [[ $ourtok == *$'\n'"$t"$'\n'* ]] || fail "$key=$t of systemd's unit is missing in ours"
                done < <(tokens "$key" "$tpl")
        done
        # Our additions to the ordering: still before the root file system is checked and mounted.
        ourtok=$'\n'$(tokens Before "$unit")$'\n'
        for t in local-fs-pre.target sysroot.mount systemd-fsck-root.service; do
                [[ $ourtok == *$'\n'"$t"$'\n'* ]] || fail "Before=$t missing"
        done
        pass
}
compare_systemd uuid "$BASE resume=UUID=$UUID"
compare_systemd label-space "$BASE resume=\"LABEL=my swap\""
compare_systemd label-quoted-value "$BASE resume=LABEL=\"my swap\""
compare_systemd label-slash "$BASE resume=LABEL=a/b"
compare_systemd label-utf8 "$BASE resume=LABEL=café"
compare_systemd label-percent "$BASE resume=LABEL=100%"
compare_systemd label-punct "$BASE resume=LABEL=x-y_z.w:v+#@="
compare_systemd partuuid "$BASE resume=PARTUUID=0a1b2c3d-02"
compare_systemd partlabel "$BASE resume=\"PARTLABEL=Linux swap\""
compare_systemd path "$BASE resume=/dev/vdb"
compare_systemd path-mapper "$BASE resume=/dev/mapper/vg0-swap"
compare_systemd path-by-id "$BASE resume=/dev/disk/by-id/wwn-0x5000c500a1b2c3d4-part2"
compare_systemd resumedelay "$BASE resume=/dev/vdb resumedelay=5"
compare_systemd resumewait "$BASE resume=/dev/vdb resumewait"
compare_systemd resumeflags "$BASE resume=/dev/vdb resumeflags=x-systemd.device-timeout=2min"

# Where both generate nothing.
for c in "noresume resume=/dev/vdb" "$BASE"; do
        CASE="systemd-nothing:$c"
        o=$TMP/sd-nothing-$RANDOM
        SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="$c" "$SD_GEN" "$o/sd" 2>/dev/null
        run_gen "$o/ours" "$EMPTY_ETC" SYSTEMD_IN_INITRD=1 -- "$c"
        [ -z "$(ls -A "$o/sd" 2>/dev/null)" ] && [ ! -e "$o/ours/normal" ] && pass || fail "one of the two generated something"
done
CASE="systemd-nothing:not-initrd"
SYSTEMD_IN_INITRD=0 SYSTEMD_PROC_CMDLINE="resume=/dev/vdb" "$SD_GEN" "$TMP/sd-notinitrd" 2>/dev/null
[ -z "$(ls -A "$TMP/sd-notinitrd" 2>/dev/null)" ] && pass || fail "systemd's generator acted outside the initrd"

# Unit-name escaping of paths against systemd-escape --path itself.
for p in /dev/vdb /dev/mapper/vg0-swap "/dev//a/./b/" /dev/.hidden /dev/x_y.z:w "/dev/a@b~c+d,e" /dev/é \
         "/dev/a b" '/dev/a\b' '/dev/100%' /dev/disk/by-id/wwn-0x5000c500a1b2c3d4-part2 /dev/sr0 "/dev/a'b"; do
        CASE="systemd-escape:$p"
        o=$TMP/esc-$RANDOM
        run_gen "$o" "$EMPTY_ETC" SYSTEMD_IN_INITRD=1 -- "resume=\"$p\""
        want=$(systemd-escape --path --suffix=device -- "$p")
        got=$(sed -n 's/^BindsTo=//p' "$o/normal/hibernate-tool-resume.service" 2>/dev/null)
        [ "$got" = "$want" ] && pass || fail "systemd-escape gives '$want', we '$got' ($LOG)"
done

# ---- 3. systemd-analyze verify ------------------------------------------------------------
# The man pages named in Documentation= come from this tree; hibernate-tool(8) may not exist yet.
MANDIR=$TMP/man; mkdir -p "$MANDIR/man8"
for m in hibernate-tool-resume-generator.8 hibernate-tool.8; do
        [ -f "$SRCDIR/man/$m" ] && cp "$SRCDIR/man/$m" "$MANDIR/man8/"
done
for c in uuid label-space partuuid partlabel path devnum resumedelay resumewait resumeflags outside-initrd-always config-device; do
        [ -d "$TMP/$c/normal" ] || continue
        CASE="verify:$c"
        u=$TMP/verify-$c; cp -a "$TMP/$c/normal" "$u"
        # ExecStart must name an executable: the built helper.
        sed -i "s|^ExecStart=[^ ]*|ExecStart=$BUILT_TOOL|" "$u/hibernate-tool-resume.service"
        out=$(cd "$u" && MANPATH=$MANDIR SYSTEMD_UNIT_PATH="$u:" systemd-analyze verify --man=yes \
                "$u/hibernate-tool-resume.service" 2>&1)
        rc=$?
        if [ ! -f "$MANDIR/man8/hibernate-tool.8" ]; then
                out=$(grep -v "Command 'man hibernate-tool(8)' failed" <<<"$out")
                [ "$c" = uuid ] && echo "NOTE: man/hibernate-tool.8 is not in the tree yet; its Documentation= check is skipped"
        fi
        dev=$(sed -n 's/^BindsTo=//p' "$u/hibernate-tool-resume.service")
        about=$(grep -F -e "$u" -e hibernate-tool-resume ${dev:+-e "$dev"} <<<"$out")
        if [ $rc != 0 ] || [ -n "$about" ]; then
                fail "systemd-analyze verify (exit $rc):"; echo "$out"
        else
                pass
                [ -z "$out" ] || echo "NOTE [$CASE]: systemd-analyze verify said, not about our units: $out"
        fi
done
# verify must catch problems in our drop-in too: a deliberately broken copy is reported.
CASE="verify:self-test"
u=$TMP/verify-selftest; cp -a "$TMP/path/normal" "$u"
sed -i "s|^ExecStart=[^ ]*|ExecStart=$BUILT_TOOL|" "$u/hibernate-tool-resume.service"
sed -i 's/^JobRunningTimeoutSec=.*/JobRunningTimeoutSec=bogus/' "$u/dev-vdb.device.d/40-hibernate-tool-resume.conf"
out=$(cd "$u" && SYSTEMD_UNIT_PATH="$u:" systemd-analyze verify --man=no "$u/hibernate-tool-resume.service" 2>&1)
grep -q "40-hibernate-tool-resume.conf.*JobRunningTimeoutSec" <<<"$out" && pass || fail "verify missed a broken drop-in: $out"

# ---- logging to /dev/kmsg (the default when stderr is not a terminal) -------------------------
CASE=kmsg
if [ -w /dev/kmsg ] && dmesg >/dev/null 2>&1; then
        marker=zz$RANDOM$RANDOM
        SYSTEMD_LOG_TARGET=kmsg SYSTEMD_IN_INITRD=1 SYSTEMD_PROC_CMDLINE="resume=UUID=$marker" "$GENERATOR" "$TMP/kmsg" 2>"$TMP/kmsg.log"
        dmesg | grep -q "hibernate-tool-resume-generator\[[0-9]*\]: .*UUID=$marker.*not a UUID" && [ ! -s "$TMP/kmsg.log" ] &&
                pass || fail "message not in the kernel log"
else
        echo "NOTE: /dev/kmsg not writable or dmesg not readable here; kmsg logging not tested"
fi

echo "test-generator.sh: $PASSES passed, $FAILURES failed"
[ "$FAILURES" = 0 ]
