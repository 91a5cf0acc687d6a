#!/bin/bash
# The install directories follow --prefix: a scratch configure of this source tree with
# --prefix=/usr/local installs everything (units, the cleanup unit's sysinit.target.wants
# link, the sleep-service drop-ins, the generator, the preset) under /usr/local, systemd's
# directories under /usr/local/lib/systemd; with --prefix=/usr they are systemd.pc's own;
# -Dsystemdsystemunitdir= overrides. Configures only (meson introspect --installed), builds nothing.
set -uo pipefail
SRC=${SRCDIR:-$(dirname "$0")/../..}
for c in meson jq pkg-config; do
        command -v "$c" >/dev/null || {
                [ -n "${HT_REQUIRE_ALL:-}" ] && { echo "FATAL: $c missing"; exit 1; }
                echo "SKIP: $c missing"; exit 77; }
done
T=$(mktemp -d /tmp/ht-meson-prefix-XXXXXX)
trap 'rm -rf "$T"' EXIT
P=0 F=0
ok() { P=$((P + 1)); echo "ok   $*"; }
fail() { F=$((F + 1)); echo "FAIL $*"; }

configure() {  # name, meson args… → $T/name.json (install path of every installed file)
        local name=$1; shift
        if ! meson setup "$T/$name" "$SRC" -Dtests=false "$@" >"$T/$name.log" 2>&1; then
                cat "$T/$name.log"; fail "[$name] meson setup $*"; return 1
        fi
        meson introspect --installed "$T/$name" | jq -r '.[]' | sort >"$T/$name.list"
}
has() {  # name, path
        if grep -qxF -- "$2" "$T/$1.list"; then ok "[$1] $2"; else fail "[$1] $2 not installed"; fi
}

U=/usr/local/lib/systemd
if configure local --prefix=/usr/local; then
        has local $U/system/hibernate-tool-gate.service
        has local $U/system/hibernate-tool-cleanup.service
        has local $U/system/hibernate-tool-prefetch.service
        for m in hibernate hybrid-sleep suspend-then-hibernate; do
                has local $U/system/systemd-$m.service.d/50-hibernate-tool.conf
        done
        has local $U/system-generators/hibernate-tool-resume-generator
        has local $U/system-preset/90-hibernate-tool.preset
        has local /usr/local/lib/systemd/catalog/hibernate-tool.catalog
        has local /usr/local/sbin/hibernate-tool
        has local /usr/local/sbin/hibernate-check
        has local $U/system/sysinit.target.wants/hibernate-tool-cleanup.service  # the link
        outside=$(grep -v '^/usr/local/' "$T/local.list")
        if [ -z "$outside" ]; then ok "[local] nothing outside /usr/local"; else fail "[local] outside /usr/local: $outside"; fi
        # The units run the helper from the prefix.
        if grep -q '^ExecStart=/usr/local/sbin/hibernate-tool gate --watch$' "$T/local/units/hibernate-tool-gate.service"; then
                ok "[local] ExecStart= in /usr/local/sbin"
        else fail "[local] gate's ExecStart=: $(grep ExecStart "$T/local/units/hibernate-tool-gate.service")"; fi
fi

# --prefix=/usr: systemd.pc's own directory (Debian 12: /lib/systemd/system).
if pkg-config --exists systemd && configure usr --prefix=/usr; then
        has usr "$(pkg-config --variable=systemdsystemunitdir systemd)/hibernate-tool-gate.service"
        has usr "$(pkg-config --variable=systemdsystemgeneratordir systemd)/hibernate-tool-resume-generator"
        has usr "$(pkg-config --variable=catalogdir systemd)/hibernate-tool.catalog"
fi

# Each directory can be set.
if configure opt --prefix=/usr/local -Dsystemdsystemunitdir=/opt/units -Dsystemdsystemgeneratordir=/opt/gen \
        -Dsystemdsystempresetdir=/opt/preset -Dbashcompletiondir=/opt/bc; then
        has opt /opt/units/hibernate-tool-gate.service
        has opt /opt/units/systemd-hibernate.service.d/50-hibernate-tool.conf
        has opt /opt/gen/hibernate-tool-resume-generator
        has opt /opt/preset/90-hibernate-tool.preset
        has opt /opt/bc/hibernate-tool
fi
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
