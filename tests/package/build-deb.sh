#!/bin/bash
# Builds the Debian package of this source tree (`dpkg-buildpackage -us -uc -b` in a scratch
# copy: the tracked files and the untracked ones git does not ignore, no build directories)
# and prints the path of the .deb. The result is cached by the content of that tree under
# $HT_CACHE/deb/<hash>/ (the .deb, .changes, .buildinfo and build.log), so that the package
# test and the VM tests that install the package build it once per source tree.
#   tests/package/build-deb.sh            # prints …/hibernate-tool_<version>_amd64.deb
# HT_DEB_CHECK=1: also build and run the unit tests (debian/rules: dh_auto_test); not cached.
# HT_DEB_PROFILE=test-hooks: the package with the test hooks compiled in (build profile
# pkg.hibernate-tool.test-hooks, for the power-cut VM test); cached apart from the plain one.
# Exit status: 0 built or cached, 1 the build failed (its log's tail on stderr).
set -uo pipefail
SRC=$(cd "${SRCDIR:-$(dirname "$0")/../..}" && pwd)
CACHE_ROOT="${HT_CACHE:-/var/cache/hibernate-tool-tests}/deb"

files() {  # NUL-separated: what gets packaged
        if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
                (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
                        grep -zEv '^(debian/(\.debhelper/|hibernate-tool/|tmp/|files$|debhelper-build-stamp$|.*\.substvars$|.*\.debhelper\.log$)|obj-)')
        else
                (cd "$SRC" && find . -path './build*' -prune -o -path ./.git -prune -o -type f -print0 | sed -z 's|^\./||')
        fi
}
PROFILES=
case ${HT_DEB_PROFILE:-} in
        "") ;;
        test-hooks) PROFILES=pkg.hibernate-tool.test-hooks ;;
        *) echo "build-deb: unknown HT_DEB_PROFILE '$HT_DEB_PROFILE' (known: test-hooks)" >&2; exit 1 ;;
esac
HASH=$( (cd "$SRC" && files | sort -z | xargs -0 -r sha256sum 2>/dev/null; echo "profiles=$PROFILES") | sha256sum | cut -c1-16)
OUT="$CACHE_ROOT/$HASH"
if [ -z "${HT_DEB_CHECK:-}" ]; then
        deb=$(ls "$OUT"/hibernate-tool_*.deb 2>/dev/null | head -n1)
        if [ -n "$deb" ] && [ -f "$OUT/.complete" ]; then
                echo "build-deb: cached $deb (source $HASH)" >&2
                echo "$deb"; exit 0
        fi
fi

T=$(mktemp -d /tmp/ht-deb-XXXXXX); trap 'rm -rf "$T"' EXIT
B="$T/hibernate-tool"
mkdir -p "$B"
(cd "$SRC" && files | xargs -0 tar --no-recursion -cf - 2>/dev/null) | tar -xf - -C "$B" || { echo "build-deb: cannot copy $SRC" >&2; exit 1; }
# nocheck: the unit tests are built and run by the unit suite already, and compiling them
# again is about a third of the package build.
# noautodbgsym: the -dbgsym package is not what is tested or installed.
opts="parallel=$(nproc 2>/dev/null || echo 1) noautodbgsym"
[ -n "${HT_DEB_CHECK:-}" ] || opts="$opts nocheck"
start=$(date +%s)
if ! (cd "$B" && DEB_BUILD_OPTIONS="$opts ${DEB_BUILD_OPTIONS:-}" DEB_BUILD_PROFILES="$PROFILES" dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; then
        tail -n 60 "$T/build.log" >&2
        echo "build-deb: dpkg-buildpackage -us -uc -b failed" >&2; exit 1
fi
echo "build-deb: DEB_BUILD_OPTIONS='$opts' DEB_BUILD_PROFILES='$PROFILES' dpkg-buildpackage -us -uc -b took $(($(date +%s) - start)) s (source $HASH)" >&2
[ -n "${HT_DEB_CHECK:-}" ] && OUT="$T/out.$$"
rm -rf "$OUT.tmp"; mkdir -p "$OUT.tmp"
# Every file the .changes lists stays next to it (lintian reads them all).
cp "$T"/*.deb "$T"/*.changes "$T"/*.buildinfo "$T/build.log" "$OUT.tmp/" ||
        { echo "build-deb: no .deb/.changes in $T" >&2; exit 1; }
touch "$OUT.tmp/.complete"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
if [ -n "${HT_DEB_CHECK:-}" ]; then
        # not cached: a copy next to the scratch tree's parent the caller owns
        keep=$(mktemp -d /tmp/ht-deb-out-XXXXXX); cp -a "$OUT"/. "$keep"/; OUT=$keep
fi
ls "$OUT"/hibernate-tool_*.deb | head -n1
