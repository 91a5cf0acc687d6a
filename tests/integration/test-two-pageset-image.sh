#!/bin/bash
# Two-pageset images (SF_TWO_PAGESETS = 0x100, pageset 2 reached through its own swap map
# chain) on fixture roots: hibernate-check describes them, the resume helper resumes them
# (the flag is not refused: the image's own kernel reloads pageset 2), and a pageset 2
# that does not check out is refused, never "repaired": kept only when the machine powers off
# ([resume] refused = "poweroff"), else invalidated (lib/refusal.hh).
source "$(dirname "$0")/fixture.sh"
: "${HIBERNATE_TOOL:?set HIBERNATE_TOOL to the built hibernate-tool}"
command -v python3 >/dev/null || skip_or_fail "python3 is required"

# two_pageset_image DEVICE [key=value…]: writes a synthetic image into the mkswap'ed DEVICE,
# as the patched 6.1 kernel lays it out (4 KiB pages):
#   page 0: the swap header, with swsusp_header in its last 40 bytes (flags, image = 1)
#   page 1: pageset 1's swap_map_page -> page 2: struct swsusp_info (x86_64 record), with
#           ps2_pages @440, ps2_start @448, ps2_crc32 @456, ps2_version @460
#   page 10: pageset 2's swap_map_page: the index page (11), then the data pages
#   page 11: the first index page: ascending PFNs, unused entries all ones
# Keys: flags, version, pages (ps2_pages), start (ps2_start), pfns (comma-separated).
two_pageset_image() {
        python3 - "$@" <<'PY'
import struct, sys
dev, opts = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
PAGE = 4096
flags = int(opts.get("flags", "0x104"), 0)
ps2 = int(opts.get("pages", "3"))
start = int(opts.get("start", "10"))
version = int(opts.get("version", "1"))
pfns = [int(x, 0) for x in opts["pfns"].split(",")] if "pfns" in opts else [0x1000 + 5 * i for i in range(min(ps2, 512))]
with open(dev, "r+b") as f:
    def page(n, data):
        f.seek(n * PAGE)
        f.write(data)
    f.seek(4056)
    f.write(struct.pack("<IIQI", 0, 0x1234abcd, 1, flags) + b"SWAPSPACE2" + b"S1SUSPEND\0")
    m = bytearray(PAGE)
    for i in range(8):
        struct.pack_into("<Q", m, 8 * i, 2 + i)
    page(1, m)
    info = bytearray(PAGE)
    struct.pack_into("<QQQQI", info, 0, 0xffffffff81000000, 0x1000000, 0x2000000, 0x23456789ABCDEF02, 0)
    struct.pack_into("<QiIQQQ", info, 400, 1011359, 2, 0, 7, 9, 9 * PAGE)
    struct.pack_into("<QQII", info, 440, ps2, start, 0x9a3f0c1d, version)
    page(2, info)
    entries = ps2 + (ps2 + 511) // 512
    m = bytearray(PAGE)
    for i in range(min(entries, 511)):
        struct.pack_into("<Q", m, 8 * i, 11 + i)
    if entries > 511:
        struct.pack_into("<Q", m, PAGE - 8, 11 + 511)
    page(10, m)
    idx = bytearray(b"\xff" * PAGE)
    for i, p in enumerate(pfns):
        struct.pack_into("<Q", idx, 8 * i, p)
    page(11, idx)
PY
}
sig() { dd if="$1" bs=1 skip=4086 count=9 status=none; }
head_sum() { dd if="$1" bs=4096 count=16 status=none | sha256sum; }   # the image's pages (the device is 2 GiB)
tool() { set +e; OUT=$("$HIBERNATE_TOOL" "$@" 2>"$TMPERR"); RC=$?; ERR=$(cat "$TMPERR"); set -e; }
TMPERR=$(mktemp); TMPROOTS+=("$TMPERR")
expect_out() { if grep -Eq -- "$1" <<<"$OUT"; then ok; else fail "[$CASE] output does not match /$1/: $OUT (stderr: $ERR)"; fi; }

image_root() {  # key=value… for two_pageset_image; the swap holds the image, so it is not active
        R=$(new_root)
        two_pageset_image "$R/dev/vdb" "$@"
        printf 'Filename Type Size Used Priority\n' > "$R/proc/swaps"
}

CASE=valid-check
image_root
run_check "$R"
expect image warn 'waiting on /dev/vdb: 9 pages \(36.0 KiB\), 7 data pages, two pagesets, 3 pages in pageset 2 \| .*Header flags: lzo, crc32, two-pagesets;.*Two pagesets: 3 data pages in pageset 2 .*map from page 10, CRC32 9a3f0c1d\)\. A stock kernel can restore it too'
expect_json '.image.flags == 260 and (.image.flag_names | index("two-pagesets")) and .image.pageset2_pages == 3 and .image.pageset2_map_page == 10 and .image.problem == null' '.image'
CASE=valid-resume
BEFORE=$(head_sum "$R/dev/vdb")
tool resume --root "$R" --dry-run
expect_out '^hibernate-tool: would resume from /dev/vdb \(9 pages written by an unrecorded kernel, two pagesets: 3 pages in pageset 2\)$'
tool resume --root "$R"
expect_out 'resume failed: the kernel returned'        # a fixture's sysfs is a file: the "kernel" returns
[ "$(cat "$R/sys/power/resume")" = "254:16" ] && ok || fail "[$CASE] not handed to the kernel: $(cat "$R/sys/power/resume")"
[ "$BEFORE" = "$(head_sum "$R/dev/vdb")" ] && ok || fail "[$CASE] the image was changed"
CASE=valid-chain
image_root pages=600
run_check "$R"
expect image warn 'two pagesets, 600 pages in pageset 2'
tool resume --root "$R" --dry-run
expect_out 'two pagesets: 600 pages in pageset 2'

refused() {  # regex of the reason; key=value… for the image
        local why=$1; shift
        image_root "$@"
        local before; before=$(head_sum "$R/dev/vdb")
        run_check "$R"
        expect image warn "could not be described: .*$why.*resume helper refuses it"
        expect_json '.image.problem != null and .image.pageset2_pages != null' '.image'
        # Kept only by a machine that powers off ([resume] refused = "poweroff"); kept as it was.
        mkdir -p "$R/etc/hibernate-tool"; printf '[resume]\nrefused = "poweroff"\n' > "$R/etc/hibernate-tool/hibernate.toml"
        tool resume --root "$R"
        expect_out "^hibernate-tool: not resuming: the image on /dev/vdb is corrupt \\(.*$why.*\\); powering off, image kept \\(\\[resume\\] refused = \"poweroff\"; boot with noresume to discard it\\)$"
        [ "$(cat "$R/sys/power/resume")" = "0:0" ] && ok || fail "[$CASE] resume was triggered"
        [ "$(sig "$R/dev/vdb")" = S1SUSPEND ] && [ "$before" = "$(head_sum "$R/dev/vdb")" ] && ok || fail "[$CASE] image not kept as it was"
        grep -q '^RESULT=powering-off$' "$R/run/hibernate-tool/last-resume" && ok || fail "[$CASE] last-resume"
        # By default a boot that goes on never keeps it: invalidated, never "repaired".
        rm -f "$R/etc/hibernate-tool/hibernate.toml"
        tool resume --root "$R"
        expect_out "^hibernate-tool: not resuming: the image on /dev/vdb is corrupt \\(.*$why.*\\); image on /dev/vdb invalidated \\(keeping it while the boot goes on is not safe: \\[resume\\] refused\\)$"
        [ "$(sig "$R/dev/vdb")" = SWAPSPACE ] && ok || fail "[$CASE] not invalidated: $(sig "$R/dev/vdb")"
        grep -q '^RESULT=invalidated$' "$R/run/hibernate-tool/last-resume" && ok || fail "[$CASE] last-resume after the default"
}
CASE=bad-version;          refused 'pageset 2 has format version 2, this hibernate-tool knows version 1' version=2
CASE=empty-pageset;        refused 'the header flags two pagesets, but pageset 2 is empty' pages=0
CASE=start-outside;        refused "pageset 2's first map page 600000 is outside the swap area \\(the swap area has 524288 pages\\)" start=600000
CASE=start-zero;           refused "first map page 0 is outside the swap area" start=0
CASE=unsorted-pfns;        refused 'pageset 2 index page 11: page frames are not in ascending order at entry 2' pfns=0x1000,0x2000,0x1800
CASE=pfn-beyond-memory;    refused 'page frame 1099511627776 is beyond the machine.s memory' pfns=0x1000,0x2000,0x10000000000
CASE=fields-without-flag;  refused 'pageset-2 fields, but the header lacks the two-pageset flag' flags=4
CASE=more-than-ram;        refused 'pageset 2 claims 2000000 pages, more than the machine had' pages=2000000

CASE=flag-with-newer-flags
image_root flags=0x114      # + LZ4: only the flag the running 6.1 kernel lacks is named
tool resume --root "$R"
expect_out 'not resuming: the image uses header flags 0x10 that Linux 6.1.0-56-amd64 does not understand'

finish
