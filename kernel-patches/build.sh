#!/bin/bash
# Build the stock and the two-pageset kernel for the QEMU tests from the same
# Debian linux-source-6.1 tree, with tinyconfig + qemu.config.
#
#   kernel-patches/build.sh            build what is missing, print the two bzImage paths
#   kernel-patches/build.sh --check    also run checkpatch.pl --strict on the series
#
# One source tree and one object directory under $HT_CACHE/kernel-build: the stock
# kernel is built first; the series is then applied to the same tree and the patched
# kernel is an incremental build of it. When the series changes, the previously
# applied copy is reverse-applied first (that touches the files, so make rebuilds
# them). Results are cached, keyed by the tarball, the config fragment, this script
# and the series; nothing is written to the repository.
#
# Output (stdout, two lines):  STOCK=<path to bzImage>  PATCHED=<path to bzImage>
# Exit: 0 built or cached, 1 build/patch/checkpatch failure, 2 usage.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HT_CACHE=${HT_CACHE:-/var/cache/hibernate-tool-tests}
C=$HT_CACHE/kernel-build
TARBALL=${HT_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${HT_JOBS:-$(nproc)}
CHECK=0
case "${1:-}" in
"") ;;
--check) CHECK=1 ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'kernel-patches/build.sh: %s\n' "$*" >&2; exit 1; }

if [ ! -f "$TARBALL" ]; then
        log "installing linux-source-6.1"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-6.1 >/dev/null
fi
for c in make gcc flex bison bc perl patch xz; do
        command -v "$c" >/dev/null || die "missing build tool '$c' (tools/hibernate-dev installs it)"
done

series_files() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$HERE/series"; }
hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

src_ver=$(stat -c '%s-%Y' "$TARBALL")
stock_key=$(printf '%s\n' "$src_ver" | cat - "$HERE/qemu.config" "$HERE/build.sh" | sha256sum | cut -c1-16)
mapfile -t PATCHES < <(series_files)
patched_key=$( { echo "$stock_key"; cat "$HERE/series"; for p in "${PATCHES[@]}"; do cat "$HERE/$p"; done; } | sha256sum | cut -c1-16)

mkdir -p "$C"
exec 9>"$C/.lock"
flock 9

SRC=$C/src
OBJ=$C/obj
APPLIED=$C/applied

if [ ! -f "$C/src.stamp" ] || [ "$(cat "$C/src.stamp")" != "$src_ver" ]; then
        log "extracting $TARBALL"
        rm -rf "$SRC" "$OBJ" "$APPLIED" "$C"/stock "$C"/patched "$C"/*.stamp
        mkdir -p "$SRC"
        tar -xf "$TARBALL" -C "$SRC" --strip-components=1
        echo "$src_ver" > "$C/src.stamp"
fi

unapply() {  # reverse-apply what is currently applied, newest first
        [ -f "$APPLIED/series" ] || return 0
        local list p
        mapfile -t list < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$APPLIED/series")
        for ((i = ${#list[@]} - 1; i >= 0; i--)); do
                p=${list[i]}
                patch -d "$SRC" -p1 -R -s -f < "$APPLIED/$p" || die "cannot reverse-apply $p; remove $C and rerun"
        done
        rm -rf "$APPLIED"
}

configure() {
        if [ ! -f "$C/config.stamp" ] || [ "$(cat "$C/config.stamp")" != "$stock_key" ]; then
                log "configuring (tinyconfig + qemu.config)"
                mkdir -p "$OBJ"
                make -s -C "$SRC" O="$OBJ" tinyconfig >/dev/null
                "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$HERE/qemu.config" >/dev/null
                make -s -C "$SRC" O="$OBJ" olddefconfig >/dev/null
                local opt
                while IFS= read -r opt; do
                        case "$opt" in CONFIG_*=*) ;; *) continue ;; esac
                        grep -qx -- "$opt" "$OBJ/.config" || die "config fragment option not set: $opt"
                done < "$HERE/qemu.config"
                echo "$stock_key" > "$C/config.stamp"
        fi
}

build() {  # name
        local name=$1 t0 t1
        log "building the $name kernel (make -j$JOBS bzImage)"
        t0=$(date +%s)
        if ! make -C "$SRC" O="$OBJ" -j"$JOBS" bzImage > "$C/$name.log" 2>&1; then
                tail -n 40 "$C/$name.log" >&2
                die "$name kernel build failed (log: $C/$name.log)"
        fi
        t1=$(date +%s)
        mkdir -p "$C/$name"
        cp "$OBJ/arch/x86/boot/bzImage" "$C/$name/bzImage"
        grep -E 'warning:' "$C/$name.log" > "$C/$name.warnings" || true
        log "$name kernel built in $((t1 - t0)) s ($(wc -l < "$C/$name.warnings") warnings)"
}

if [ ! -f "$C/stock.stamp" ] || [ "$(cat "$C/stock.stamp")" != "$stock_key" ]; then
        unapply
        configure
        build stock
        echo "$stock_key" > "$C/stock.stamp"
fi

if [ ! -f "$C/patched.stamp" ] || [ "$(cat "$C/patched.stamp")" != "$patched_key" ]; then
        unapply
        configure
        mkdir -p "$APPLIED"
        for p in "${PATCHES[@]}"; do
                log "applying $p"
                # Dry run first: a patch that does not apply leaves the tree as it was.
                if ! patch -d "$SRC" -p1 -s -N --dry-run < "$HERE/$p" > "$C/patch.log" 2>&1; then
                        head -n 20 "$C/patch.log" >&2
                        unapply
                        die "$p does not apply"
                fi
                patch -d "$SRC" -p1 -s -N < "$HERE/$p"
                cp "$HERE/$p" "$APPLIED/"
                printf '%s\n' "$p" >> "$APPLIED/series"
        done
        build patched
        # The patched build only recompiles what the series touches: any warning
        # there is a new one (the stock build of the same files had none).
        if [ -s "$C/patched.warnings" ]; then
                cat "$C/patched.warnings" >&2
                die "the patched build has new warnings"
        fi
        echo "$patched_key" > "$C/patched.stamp"
fi

if [ "$CHECK" = 1 ]; then
        log "checkpatch.pl --strict"
        fail=0
        for p in "${PATCHES[@]}"; do
                out=$(cd "$SRC" && scripts/checkpatch.pl --strict -q "$HERE/$p" 2>&1) || true
                if [ -n "$out" ]; then
                        echo "$out" >&2
                        fail=1
                else
                        log "  $p: clean"
                fi
        done
        [ "$fail" = 0 ] || die "checkpatch found problems"
fi

echo "STOCK=$C/stock/bzImage"
echo "PATCHED=$C/patched/bzImage"
