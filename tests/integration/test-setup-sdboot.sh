#!/bin/bash
# hibernate-tool setup on systemd-boot / kernel-install layouts (issue 14): resume= goes into
# /etc/kernel/cmdline (created as kernel-install would read the command line, or edited),
# recorded for a byte-exact --undo that keeps the admin's later edits or refuses; the entries
# are regenerated with kernel-install add (chrooted under --root); pre/boot-entry find the
# running kernel among Type #1 entries and unified kernel images; the kernel-install plugin,
# run by the real kernel-install, checks a new kernel's entry. Needs root (mkswap, losetup-free).
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"
: "${SRCDIR:?set SRCDIR to the source tree}"
PLUGIN=${KINSTALL_PLUGIN:-$(dirname "$HIBERNATE_TOOL")/../boot/kernel-install-95-hibernate-tool.install}
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

if [ "$(id -u)" != 0 ]; then
        skip_or_fail "test-setup-sdboot.sh needs root"
fi
for t in objcopy kernel-install jq; do
        command -v "$t" >/dev/null || { echo "FATAL: $t is missing (tools/hibernate-dev deps)"; exit 1; }
done
[ -r "$STUB" ] || { echo "FATAL: $STUB is missing (Debian package systemd-boot-efi)"; exit 1; }
[ -r "$PLUGIN" ] || { echo "FATAL: the built plugin $PLUGIN is missing"; exit 1; }

KVER=6.1.0-56-amd64      # the fixture's running kernel
OLD=6.1.0-55-amd64
TOKEN=0123456789abcdef0123456789abcdef
ARGS="resume=UUID=$UUID_VDB"

bzimage() {  # FILE RELEASE: a bzImage head carrying RELEASE
        python3 - "$1" "$2" <<'PY'
import sys
b = bytearray(0x1000)
b[0x202:0x206] = b"HdrS"
b[0x20e] = 0x00; b[0x20f] = 0x01
v = (sys.argv[2] + " (debian-kernel@lists.debian.org)").encode()
b[0x300:0x300 + len(v)] = v
open(sys.argv[1], "wb").write(bytes(b))
PY
}

loader_info() {  # ROOT: LoaderInfo says systemd-boot (UTF-16LE after the attribute word)
        printf '\x06\x00\x00\x00' > "$1/sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
        printf 'systemd-boot 252' | iconv -f ascii -t utf-16le >> "$1/sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
        printf '\x00\x00' >> "$1/sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
}

entry() {  # ROOT RELEASE OPTIONS: the Type #1 entry kernel-install's 90-loaderentry writes
        mkdir -p "$1/efi/loader/entries" "$1/efi/$TOKEN/$2"
        cp "$1/boot/vmlinuz-$2" "$1/efi/$TOKEN/$2/linux"
        printf 'title      Debian GNU/Linux 12 (bookworm)\nversion    %s\nmachine-id %s\nsort-key   debian\noptions    %s\nlinux      /%s/%s/linux\ninitrd     /%s/%s/initrd.img-%s\n' \
                "$2" "$TOKEN" "$3" "$TOKEN" "$2" "$TOKEN" "$2" "$2" > "$1/efi/loader/entries/$TOKEN-$2.conf"
}

# A systemd-boot machine: no GRUB, two installed kernels with their entries on /efi.
sd_root() {
        local r k; r=$(new_root)
        rm -rf "$r/etc/default" "$r/boot/grub"
        truncate -s 0 "$r/dev/vdb"; truncate -s 16M "$r/dev/vdb"
        mkswap -q -U "$UUID_VDB" -L hibswap "$r/dev/vdb" >/dev/null
        printf 'UUID=%s / ext4 errors=remount-ro 0 1\nUUID=ABCD-1234 /efi vfat umask=0077 0 1\n' "$UUID_VDC" > "$r/etc/fstab"
        mkdir -p "$r/usr/bin" "$r/etc/kernel" "$r/usr/lib/kernel/install.d"
        touch "$r/usr/bin/kernel-install"
        echo "$TOKEN" > "$r/etc/machine-id"
        for k in $OLD $KVER; do
                mkdir -p "$r/usr/lib/modules/$k"
                bzimage "$r/boot/vmlinuz-$k" "$k"
                echo initrd > "$r/boot/initrd.img-$k"
                entry "$r" "$k" "root=UUID=$UUID_VDC ro quiet"
        done
        loader_info "$r"
        echo "$r"
}

tree() { (cd "$1" && find . -path ./run -prune -o -printf '%y %m %p\n' | sort && find . -path ./run -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
setup() {  # ROOT ARGS…: setup --json; $OUT, $RC, $ERR
        local r=$1; shift
        set +e
        OUT=$("$HIBERNATE_TOOL" setup --root "$r" --json "$@" 2>"$r.stderr")
        RC=$?
        set -e
        ERR=$(cat "$r.stderr"); rm -f "$r.stderr"
        jq -e . >/dev/null 2>&1 <<<"$OUT" || fail "[$CASE] output is not valid JSON (exit $RC): $OUT / $ERR"
}
expect_rc() { if [ "$RC" -eq "$1" ]; then ok; else fail "[$CASE] exit $RC, expected $1: $OUT / $ERR"; fi; }
expect_js() { if jq -e "$1" >/dev/null <<<"$OUT"; then ok; else fail "[$CASE] JSON: $1 is not true: $OUT"; fi; }
same_tree() { if [ "$2" = "$3" ]; then ok; else fail "[$CASE] $1: tree differs: $(diff <(echo "$2") <(echo "$3") | head -20)"; fi; }
expect_file() {  # FILE CONTENT
        local got; got=$(cat "$1" 2>/dev/null || echo "<absent>")
        if [ "$got" = "$2" ]; then ok; else fail "[$CASE] $1: '$got', expected '$2'"; fi
}

# ---- /etc/kernel/cmdline absent: created as kernel-install would read the command line ----
CASE=cmdline-absent
R=$(sd_root)
T0=$(tree "$R")
setup "$R" --swap /dev/vdb --dry-run
expect_rc 0
expect_js '.bootloader == "kernel-install" and .changed == true'
expect_js '[.files[] | select(.path == "/etc/kernel/cmdline" and .action == "create")] | length == 1'
# Under --root the entries are regenerated chrooted in the target, one kernel-install per kernel.
expect_js ".commands | map(select(startswith(\"chroot $R kernel-install add $KVER /boot/vmlinuz-$KVER /boot/initrd.img-$KVER\"))) | length == 1"
expect_js ".commands | map(select(test(\"kernel-install add $OLD \"))) | length == 1"
expect_js '.notes | map(select(test("/etc/kernel/cmdline is created from /efi/loader/entries/"))) | length == 1'
same_tree "dry run" "$T0" "$(tree "$R")"
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
# The newest entry's options (under --root the running kernel's /proc/cmdline is not the
# target's), and our words.
expect_file "$R/etc/kernel/cmdline" "root=UUID=$UUID_VDC ro quiet $ARGS"
expect_js '.notes | map(select(test("not regenerated.*kernel-install add"))) | length == 1'
# The regeneration is what changes the entries: done by hand here as kernel-install would.
for k in $OLD $KVER; do entry "$R" "$k" "$(cat "$R/etc/kernel/cmdline")"; done
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
expect_js '.changed == false'
setup "$R" --undo --no-regenerate
expect_rc 0
for k in $OLD $KVER; do entry "$R" "$k" "root=UUID=$UUID_VDC ro quiet"; done
same_tree "undo" "$T0" "$(tree "$R")"
[ ! -e "$R/etc/kernel/cmdline" ] && ok || fail "[$CASE] /etc/kernel/cmdline left after undo"

# ---- entries without resume= but /etc/kernel/cmdline already right: only kernel-install ----
CASE=entries-stale
R=$(sd_root)
printf 'root=UUID=%s ro quiet %s\n' "$UUID_VDC" "$ARGS" > "$R/etc/kernel/cmdline"
setup "$R" --swap /dev/vdb --dry-run
expect_rc 0
expect_js '.changed == true'
expect_js '[.files[] | select(.path == "/etc/kernel/cmdline")] | length == 0'
expect_js ".commands | map(select(test(\"kernel-install add $KVER \"))) | length == 1"

# ---- /etc/kernel/cmdline present: edited in place, restored byte for byte ----------------
CASE=cmdline-present
R=$(sd_root)
printf 'root=UUID=%s  ro quiet splash resume=/dev/sda9\n' "$UUID_VDC" > "$R/etc/kernel/cmdline"
chmod 0600 "$R/etc/kernel/cmdline"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
expect_file "$R/etc/kernel/cmdline" "root=UUID=$UUID_VDC ro quiet splash $ARGS"
[ "$(stat -c %a "$R/etc/kernel/cmdline")" = 600 ] && ok || fail "[$CASE] mode not kept"
setup "$R" --undo --no-regenerate
expect_rc 0
same_tree "undo" "$T0" "$(tree "$R")"

# ---- the admin edits /etc/kernel/cmdline after setup ------------------------------------
CASE=admin-adds-a-line   # kept by --undo
R=$(sd_root)
printf 'root=UUID=%s ro quiet\n' "$UUID_VDC" > "$R/etc/kernel/cmdline"
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
echo "loglevel=3" >> "$R/etc/kernel/cmdline"
setup "$R" --undo --no-regenerate
expect_rc 0
expect_file "$R/etc/kernel/cmdline" "root=UUID=$UUID_VDC ro quiet
loglevel=3"

CASE=admin-edits-setups-line   # never dropped silently: undo refuses and shows the diff
R=$(sd_root)
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
sed -i 's/ quiet / quiet splash /' "$R/etc/kernel/cmdline"
T1=$(tree "$R")
setup "$R" --undo --no-regenerate
expect_rc 1
expect_js '.error | test("undo refused") and test("/etc/kernel/cmdline") and test("splash")'
same_tree "undo refused" "$T1" "$(tree "$R")"

CASE=setup-again-after-admin-edit   # a second setup keeps the admin's word, undo then works
R=$(sd_root)
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
sed -i "s/ $ARGS/ splash/" "$R/etc/kernel/cmdline"   # the admin dropped resume= and added splash
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
expect_file "$R/etc/kernel/cmdline" "root=UUID=$UUID_VDC ro quiet splash $ARGS"

# ---- no source for the command line under --root: refused, nothing changed ---------------
CASE=no-cmdline-source
R=$(sd_root)
rm -rf "$R/efi/loader/entries"/*
mkdir -p "$R/efi/EFI/Linux"
T0=$(tree "$R")
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 1
expect_js '.error | test("/etc/kernel/cmdline does not exist")'
same_tree "refused" "$T0" "$(tree "$R")"
# /usr/lib/kernel/cmdline, which kernel-install reads next, is the base then.
echo "root=UUID=$UUID_VDC rw" > "$R/usr/lib/kernel/cmdline"
setup "$R" --swap /dev/vdb --no-regenerate
expect_rc 0
expect_file "$R/etc/kernel/cmdline" "root=UUID=$UUID_VDC rw $ARGS"

# ---- a kernel-install layout without LoaderInfo (a chroot, an installer's target) -------
CASE=no-loaderinfo
R=$(sd_root)
rm -f "$R"/sys/firmware/efi/efivars/LoaderInfo-*
setup "$R" --swap /dev/vdb --dry-run
expect_rc 0
expect_js '.bootloader == "kernel-install"'
rm "$R/usr/bin/kernel-install"   # no kernel-install, no GRUB: nothing setup knows
setup "$R" --swap /dev/vdb --dry-run
expect_rc 1
expect_js '.error | test("no supported boot loader configuration")'

# ---- boot-entry: Type #1 and Type #2 (UKI) entries -----------------------------------------
CASE=boot-entry-uki
R=$(sd_root)
mkdir -p "$R/efi/EFI/Linux"
W=$(mktemp -d); TMPROOTS+=("$W")
printf 'ID=debian\nPRETTY_NAME="Debian UKI"\nVERSION_ID=12\n' > "$W/osrel"
printf 'root=UUID=%s ro %s' "$UUID_VDC" "$ARGS" > "$W/cmdline"
printf '6.1.0-57-amd64' > "$W/uname"
bzimage "$W/linux" 6.1.0-57-amd64
objcopy --add-section .osrel="$W/osrel" --change-section-vma .osrel=0x20000 \
        --add-section .cmdline="$W/cmdline" --change-section-vma .cmdline=0x30000 \
        --add-section .uname="$W/uname" --change-section-vma .uname=0x40000 \
        --add-section .linux="$W/linux" --change-section-vma .linux=0x2000000 \
        "$STUB" "$R/efi/EFI/Linux/debian-6.1.0-57-amd64+3.efi"
echo 6.1.0-57-amd64 > "$R/proc/sys/kernel/osrelease"
set +e
OUT=$("$HIBERNATE_TOOL" boot-entry --root "$R" --json 2>&1); RC=$?
set -e
expect_rc 0
expect_js '.loader == "systemd-boot" and .id == "debian-6.1.0-57-amd64.efi" and .title == "Debian UKI"'
expect_js ".cmdline == \"root=UUID=$UUID_VDC ro $ARGS\""
set +e
OUT=$("$HIBERNATE_TOOL" boot-entry --root "$R" --kernel "$OLD" --json 2>&1); RC=$?
set -e
expect_rc 0
expect_js ".id == \"$TOKEN-$OLD.conf\""
set +e
OUT=$("$HIBERNATE_TOOL" boot-entry --root "$R" --kernel 6.1.0-1-amd64 2>&1); RC=$?
set -e
expect_rc 1
grep -q "no systemd-boot entry" <<<"$OUT" && ok || fail "[$CASE] $OUT"
# pre's decision sees the UKI's command line.
set +e
OUT=$("$HIBERNATE_TOOL" pre --root "$R" --dry-run --json 2>&1); RC=$?
set -e
grep -q "debian-6.1.0-57-amd64.efi" <<<"$OUT" && ok || fail "[$CASE] pre --dry-run does not name the UKI entry: $OUT"

# ---- the kernel-install plugin, run by the real kernel-install -----------------------------
CASE=plugin
R=$(sd_root)
printf 'root=UUID=%s ro quiet %s\n' "$UUID_VDC" "$ARGS" > "$R/etc/kernel/cmdline"
mkdir -p "$R/var/lib/hibernate-tool/setup" "$R/kconf"
echo "# format 2" > "$R/var/lib/hibernate-tool/setup/manifest"
cp "$R/etc/kernel/cmdline" "$R/kconf/cmdline"
printf 'layout=bls\nBOOT_ROOT=%s/efi\nMACHINE_ID=%s\n' "$R" "$TOKEN" > "$R/kconf/install.conf"
echo "$TOKEN" > "$R/kconf/entry-token"
NEW=6.1.0-58-amd64
# As meson installs it: executable (the configured file in the build tree is not).
install -m 0755 "$PLUGIN" "$R/kconf/95-hibernate-tool.install"
PLUGIN="$R/kconf/95-hibernate-tool.install"
bzimage "$R/boot/vmlinuz-$NEW" "$NEW"
kinstall() {  # the real kernel-install with the 90-loaderentry plugin and ours
        set +e
        OUT=$(KERNEL_INSTALL_CONF_ROOT="$R/kconf" KERNEL_INSTALL_PLUGINS="/usr/lib/kernel/install.d/90-loaderentry.install $PLUGIN" \
              HIBERNATE_TOOL_ROOT="$R" HIBERNATE_TOOL="$HIBERNATE_TOOL" kernel-install "$@" 2>&1)
        RC=$?
        set -e
}
kinstall add "$NEW" "$R/boot/vmlinuz-$NEW"
expect_rc 0
[ -f "$R/efi/loader/entries/$TOKEN-$NEW.conf" ] && ok || fail "[$CASE] kernel-install wrote no entry: $OUT"
grep -q "^options .*$ARGS" "$R/efi/loader/entries/$TOKEN-$NEW.conf" && ok || fail "[$CASE] entry without resume="
if grep -q "warning" <<<"$OUT"; then fail "[$CASE] warning for a good entry: $OUT"; else ok; fi
# Under setup's own regeneration (setup holds the lock; its commands run kernel-install,
# directly and through Debian's initramfs hook): the plugin must not wait for that lock and
# warn falsely; setup checks the entries itself afterwards.
mkdir -p "$R/run/hibernate-tool"
flock -o "$R/run/hibernate-tool/lock" sleep 60 >/dev/null 2>&1 &
holder=$!
sleep 0.3
SECONDS=0
HIBERNATE_TOOL_SETUP_RUNNING=1 HIBERNATE_TOOL_LOCK_WAIT=2 kinstall add "$NEW" "$R/boot/vmlinuz-$NEW"
expect_rc 0
if [ -z "$OUT" ] && [ "$SECONDS" -lt 2 ]; then ok; else fail "[$CASE] under setup's lock: ${SECONDS}s, $OUT"; fi
kill $holder 2>/dev/null || true; wait $holder 2>/dev/null || true
# The configuration kernel-install reads lacks resume=: the plugin warns, the install goes on.
printf 'root=UUID=%s ro quiet\n' "$UUID_VDC" > "$R/kconf/cmdline"
kinstall add "$NEW" "$R/boot/vmlinuz-$NEW"
expect_rc 0
grep -q "KERNEL_INSTALL_CONF_ROOT=.*no resume=" <<<"$OUT" && ok || fail "[$CASE] no warning about the conf root: $OUT"
grep -q "boot entry of $NEW has no resume=" <<<"$OUT" && ok || fail "[$CASE] no warning about the entry: $OUT"
# No entry for the kernel (another layout wrote none): warned, not failed.
set +e
OUT=$(HIBERNATE_TOOL_ROOT="$R" HIBERNATE_TOOL="$HIBERNATE_TOOL" sh "$PLUGIN" add 6.1.0-1-amd64 /nonexistent /x 2>&1); RC=$?
set -e
expect_rc 0
grep -q "no boot entry boots 6.1.0-1-amd64" <<<"$OUT" && ok || fail "[$CASE] $OUT"
# Not configured by setup: silent.
rm "$R/var/lib/hibernate-tool/setup/manifest"
kinstall add "$NEW" "$R/boot/vmlinuz-$NEW"
expect_rc 0
[ -z "$OUT" ] && ok || fail "[$CASE] output without setup: $OUT"
# remove: the plugin does nothing, 90-loaderentry removes the entry.
kinstall remove "$NEW"
expect_rc 0
[ ! -e "$R/efi/loader/entries/$TOKEN-$NEW.conf" ] && ok || fail "[$CASE] entry not removed"

echo "test-setup-sdboot.sh: $PASSES passed, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
