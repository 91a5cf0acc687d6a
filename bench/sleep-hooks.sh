#!/bin/bash
# Cost of the hibernate path's pre + post work (issue 4 target: < 100 ms added to
# `systemctl hibernate`, excluding regeneration): `hibernate-tool pre` followed by
# `hibernate-tool post` on a fixture root with a Debian-style grub.cfg (run checks, find
# the entry, write grubenv durably, set the kernel's resume target, write the record on a
# real mkswap image; then undo), next to `grub-reboot`-equivalent `grub-editenv set` +
# `unset` (what any one-shot tool must do at least) and `hibernate-check`, in the same run.
# The QEMU end-to-end test prints the same figure measured inside the Debian VM (TCG).
#   bench/sleep-hooks.sh [BUILD_DIR] [RUNS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
RUNS=${2:-100}
export HIBERNATE_CHECK=$BUILD/hibernate-tool/hibernate-check
TOOL=$BUILD/hibernate-tool/hibernate-tool
[ -x "$TOOL" ] || { echo "build first: meson setup build && ninja -C build"; exit 2; }
for c in hyperfine grub-editenv jq bc; do command -v $c >/dev/null || { echo "needs $c"; exit 2; }; done
# shellcheck source=../tests/integration/fixture.sh
source "$SRC/tests/integration/fixture.sh"
R=$(new_root)
cat > "$R/boot/grub/grub.cfg" <<G
menuentry 'Debian GNU/Linux' \$menuentry_id_option 'gnulinux-simple-X' {
	linux	/boot/vmlinuz-6.1.0-99-amd64 root=UUID=$UUID_VDC ro resume=UUID=$UUID_VDB
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-X' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-56-amd64' \$menuentry_id_option 'gnulinux-6.1.0-56-amd64-advanced-X' {
		linux	/boot/vmlinuz-6.1.0-56-amd64 root=UUID=$UUID_VDC ro resume=UUID=$UUID_VDB
	}
}
G
touch "$R/boot/vmlinuz-6.1.0-56-amd64" "$R/boot/vmlinuz-6.1.0-99-amd64"
grub-editenv "$R/boot/grub/grubenv" create

measure() {  # label, shell command
        local label=$1 cmd=$2
        local j; j=$(mktemp)
        hyperfine --shell=bash --warmup 5 --runs "$RUNS" -i --export-json "$j" -- "$cmd" >/dev/null 2>&1
        jq -r '.results[0] | "\(.median * 1e6 | floor) \(.times | sort | .[(length * 9 / 10 | floor)] * 1e6 | floor)"' "$j" |
                { read -r med p90; printf '%-52s median %7.2f ms   p90 %7.2f ms\n' "$label" "$(bc -l <<<"$med/1000")" "$(bc -l <<<"$p90/1000")"; }
        rm -f "$j"
}
echo "pre + post on a fixture root, $RUNS runs each ($(nproc) cores; times include bash's fork/exec)"
measure "hibernate-tool pre + post" "$TOOL pre --root $R >/dev/null && $TOOL post --root $R >/dev/null"
measure "peer: grub-editenv set next_entry + unset" "grub-editenv $R/boot/grub/grubenv set next_entry=x && grub-editenv $R/boot/grub/grubenv unset next_entry"
measure "hibernate-check (the checks alone)" "$HIBERNATE_CHECK --root $R >/dev/null || true"
measure "baseline: /bin/true twice" "/bin/true && /bin/true"
"$TOOL" pre --root "$R" && "$TOOL" post --root "$R"
