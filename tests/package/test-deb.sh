#!/bin/bash
# The Debian package (debian/): `dpkg-buildpackage -us -uc -b` in a scratch copy of the
# source tree (tracked and untracked files, no build directories), lintian with no error
# or warning, and the package's contents: binaries, units, the cleanup unit's
# sysinit.target.wants link, the sleep-service drop-ins, man pages, the initramfs-tools
# hook, the dracut module, the generator, bash completion; the maintainer scripts that
# debhelper generated (gate enabled and started, systemd reloaded, update-initramfs trigger).
# The .deb is built by tests/package/build-deb.sh (cached per source tree).
set -uo pipefail
SRC=$(cd "${SRCDIR:-$(dirname "$0")/../..}" && pwd)
need() {
        if [ -n "${HT_REQUIRE_ALL:-}" ]; then echo "FATAL: cannot run here and HT_REQUIRE_ALL is set: $*"; exit 1; fi
        echo "SKIP: $*"; exit 77
}
for c in dpkg-buildpackage dh lintian dpkg-deb; do command -v "$c" >/dev/null || need "$c missing (apt-get install debhelper lintian dpkg-dev)"; done
[ -f "$SRC/debian/control" ] || need "no debian/ in $SRC"

T=$(mktemp -d /tmp/ht-deb-XXXXXX); trap 'rm -rf "$T"' EXIT
P=0 F=0
ok() { P=$((P + 1)); echo "ok   $*"; }
fail() { F=$((F + 1)); echo "FAIL $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

# The build (tests/package/build-deb.sh): a scratch copy of what git knows about (the work
# in progress is what gets packaged), cached by that tree's content so the VM tests that
# install the package reuse it; nocheck unless HT_DEB_CHECK=1.
if DEB=$(bash "$SRC/tests/package/build-deb.sh" 2>"$T/build.err"); then
        ok "dpkg-buildpackage -us -uc -b: $(grep -E 'took|cached' "$T/build.err" | tail -n1)"
else
        cat "$T/build.err"; fail "dpkg-buildpackage -us -uc -b"
        echo "$P passed, $F failed"; exit 1
fi
CHANGES=$(ls "$(dirname "$DEB")"/hibernate-tool_*.changes 2>/dev/null | head -n1)
[ -n "$DEB" ] && [ -f "$DEB" ] && [ -n "$CHANGES" ] || { fail "no .deb/.changes from build-deb.sh"; echo "$P passed, $F failed"; exit 1; }

# lintian: no error, no warning (info and pedantic are printed, not fatal).
start=$(date +%s)
if lintian --fail-on error,warning --info "$CHANGES" >"$T/lintian.log" 2>&1; then
        ok "lintian --fail-on error,warning ($(($(date +%s) - start)) s)"
else
        fail "lintian --fail-on error,warning"
fi
sed 's/^/  lintian: /' "$T/lintian.log"

# Contents.
dpkg -c "$DEB" | awk '{ p = $6; sub(/^\./, "", p); print p ($7 == "->" ? " -> " $8 : "") }' >"$T/contents"
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
GENDIR=$(pkg-config --variable=systemdsystemgeneratordir systemd 2>/dev/null || echo /lib/systemd/system-generators)
expect() {  # path [-> target]
        if grep -qxF -- "$*" "$T/contents"; then ok "ships $*"; else fail "does not ship $*"; fi
}
expect /usr/sbin/hibernate-tool
expect /usr/sbin/hibernate-check
expect "$UNITDIR/hibernate-tool-gate.service"
expect "$UNITDIR/hibernate-tool-cleanup.service"
expect "$UNITDIR/hibernate-tool-prefetch.service"
expect "$UNITDIR/sysinit.target.wants/hibernate-tool-cleanup.service -> ../hibernate-tool-cleanup.service"
for m in hibernate hybrid-sleep suspend-then-hibernate; do
        expect "$UNITDIR/systemd-$m.service.d/50-hibernate-tool.conf"
done
expect "${UNITDIR%/system}/system-preset/90-hibernate-tool.preset"
expect "$GENDIR/hibernate-tool-resume-generator"
expect /usr/share/initramfs-tools/hooks/hibernate-tool
expect /usr/share/initramfs-tools/scripts/local-premount/hibernate-tool
expect /usr/lib/dracut/modules.d/90hibernate-tool/module-setup.sh
expect /usr/lib/dracut/modules.d/90hibernate-tool/hibernate-tool-resume.sh
# The kernel-install plugin (runs after 90-loaderentry.install).
expect /usr/lib/kernel/install.d/95-hibernate-tool.install
# The drop-in that leaves out dracut's own resume module is written by `setup` when it
# configures a dracut machine, never shipped always-on: only an example is installed.
expect /usr/share/hibernate-tool/examples/dracut.conf.d/90-hibernate-tool.conf
check "no always-on dracut drop-in" bash -c '! grep -q "dracut.conf.d/90-hibernate-tool.conf" <(grep -v /examples/ "$1")' _ "$T/contents"
for m in man8/hibernate-check.8.gz man8/hibernate-tool.8.gz man8/hibernate-tool-resume-generator.8.gz \
         man5/hibernate-tool.toml.5.gz; do
        expect "/usr/share/man/$m"
done
expect /usr/share/bash-completion/completions/hibernate-tool
expect /usr/lib/systemd/catalog/hibernate-tool.catalog
expect /usr/share/bash-completion/completions/hibernate-check
expect /usr/share/doc/hibernate-tool/copyright
# dh_compress leaves documentation under 4 kB uncompressed.
if grep -qx /usr/share/doc/hibernate-tool/README.Debian.gz "$T/contents"; then expect /usr/share/doc/hibernate-tool/README.Debian.gz
else expect /usr/share/doc/hibernate-tool/README.Debian; fi
# Nothing from the build tree or the tests.
check "no test binaries or fixtures shipped" bash -c '! grep -Eq "unit-tests|/tests/|\.a$" "$1"' _ "$T/contents"

# The installed files' contents: units run the helper from /usr/sbin, static cleanup unit.
X="$T/extract"; dpkg-deb -x "$DEB" "$X"; dpkg-deb -e "$DEB" "$X/DEBIAN"
check "gate ExecStart=/usr/sbin/hibernate-tool" grep -qx 'ExecStart=/usr/sbin/hibernate-tool gate --watch' \
        "$X$UNITDIR/hibernate-tool-gate.service"
check "cleanup unit is static (no [Install])" bash -c '! grep -q "^\[Install\]" "$1"' _ "$X$UNITDIR/hibernate-tool-cleanup.service"
check "prefetch unit is static (no [Install]) and idle" bash -c '! grep -q "^\[Install\]" "$1" && grep -qx "CPUSchedulingPolicy=idle" "$1"' _ "$X$UNITDIR/hibernate-tool-prefetch.service"
check "the binaries run" "$X/usr/sbin/hibernate-tool" --version
# Maintainer scripts, all generated by debhelper.
check "postinst enables and starts the gate" bash -c 'grep -q "deb-systemd-helper.*enable.*hibernate-tool-gate.service" "$1" &&
        grep -q "deb-systemd-invoke.*hibernate-tool-gate.service" "$1"' _ "$X/DEBIAN/postinst"
check "no maintainer script touches the cleanup unit" bash -c '! grep -q "hibernate-tool-cleanup" "$@"' _ \
        "$X"/DEBIAN/p*
check "daemon-reload on install and removal" bash -c 'grep -q "daemon-reload" "$1" && grep -q "daemon-reload" "$2"' _ \
        "$X/DEBIAN/postinst" "$X/DEBIAN/postrm"
check "postrm: purge keeps setup's undo record" bash -c 'grep -q "rm -f /var/lib/hibernate-tool/sleep-state" "$1" &&
        ! grep -q "rm -rf /var/lib/hibernate-tool" "$1"' _ "$X/DEBIAN/postrm"
check "update-initramfs trigger (activate-noawait)" grep -qx 'activate-noawait update-initramfs' "$X/DEBIAN/triggers"
check "Depends: from shlibs (libc6, libblkid1, libmount1)" bash -c 'd=$(dpkg-deb -f "$1" Depends);
        [[ $d == *libc6* && $d == *libblkid1* && $d == *libmount1* ]]' _ "$DEB"
check "Recommends: initramfs-tools | dracut" bash -c '[ "$(dpkg-deb -f "$1" Recommends)" = "initramfs-tools | dracut" ]' _ "$DEB"
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
