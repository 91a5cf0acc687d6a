#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seeds for fuzz-resume-decision (fuzz/corpus/resume-decision/): synthetic resume devices,
# 4 KiB pages — page 0 the swap header page (record v2 at 2048, swsusp header in the last
# 40 bytes), page 1 the first swap_map_page, page 2 struct swsusp_info (x86_64 record),
# pages 3.. ext4 superblocks at byte 1024 (the harness reads a recorded filesystem's
# superblock from page 1 + uuid[1] % 8). And seeds for fuzz-crypttab.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 - "$here/corpus/resume-decision" <<'PY'
import os, struct, sys, zlib
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
PAGE = 4096

def record(state=0, image_id=0, fs=(), release=b"6.1.0-56-amd64", entry=b"gnulinux-simple"):
    n = len(fs)
    length = 104 + len(entry) + 32 * n
    b = bytearray(length)
    b[0:8] = b"HTRECORD"
    struct.pack_into("<HH", b, 8, 2, length)
    struct.pack_into("<Q", b, 16, 1700000000)
    b[24:24 + len(release)] = release
    b[89] = n
    struct.pack_into("<H", b, 90, len(entry))
    b[92] = state
    struct.pack_into("<Q", b, 96, image_id)
    b[104:104 + len(entry)] = entry
    o = 104 + len(entry)
    for uuid, count, last in fs:
        b[o:o + 16] = uuid
        b[o + 16] = 1
        struct.pack_into("<HQ", b, o + 18, count, 0)
        struct.pack_into("<Q", b, o + 24, last)
        o += 32
    struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[16:])) & 0xffffffff)
    return bytes(b)

def superblock(uuid, count, last):
    sb = bytearray(1024)
    struct.pack_into("<I", sb, 0x2C, last)
    struct.pack_into("<HH", sb, 0x34, count, 0xEF53)
    sb[0x68:0x78] = uuid
    return bytes(sb)

def device(rec=b"", sig=b"S1SUSPEND\0", crc=0x11111111, flags=4, pages=9, sbs=()):
    d = bytearray(PAGE * 4)
    d[1024:1028] = struct.pack("<I", 1)
    struct.pack_into("<I", d, 1028, 9)
    d[2048:2048 + len(rec)] = rec
    d[4056:4096] = struct.pack("<IIQI", 0, crc, 1, flags) + b"SWAPSPACE2" + sig
    for i in range(8):
        struct.pack_into("<Q", d, PAGE + 8 * i, 2 + i)
    struct.pack_into("<QQQQI", d, 2 * PAGE, 0xffffffff81000000, 0x1000000, 0x2000000, 0x23456789ABCDEF02, 0)
    struct.pack_into("<QiIQQQ", d, 2 * PAGE + 400, 1011359, 2, 0, pages - 2, pages, pages * PAGE)
    for page, sb in sbs:
        d[page * PAGE + 1024:page * PAGE + 2048] = sb
    return bytes(d)

u_ok = bytes([0, 2]) + bytes(range(14))       # observed present, superblock on page 3
u_missing = bytes([1, 0]) + bytes(range(14))
u_unread = bytes([2, 0]) + bytes(range(14))
seeds = {
    "no-record": device(),
    "armed-unchanged": device(record(fs=[(u_ok, 7, 100)]), sbs=[(3, superblock(u_ok, 7, 100))]),
    "armed-mounted": device(record(fs=[(u_ok, 7, 100)]), sbs=[(3, superblock(u_ok, 8, 200))]),
    "armed-missing": device(record(fs=[(u_missing, 7, 100)])),
    "armed-unreadable": device(record(fs=[(u_unread, 7, 100)])),
    "armed-foreign-sb": device(record(fs=[(u_ok, 7, 100)]), sbs=[(3, superblock(bytes(16), 7, 100))]),
    "bound-stale": device(record(state=1, image_id=0x1234, fs=[(u_ok, 7, 100)]), sbs=[(3, superblock(u_ok, 8, 200))]),
    "swap-with-record": device(record(fs=[(u_ok, 7, 100)]), sig=b"SWAPSPACE2"),
    "lz4-flags": device(record(), flags=0x14),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
c=$here/corpus/crypttab
mkdir -p "$c"
printf '# <target name> <source device> <key file> <options>\ncryptswap /dev/disk/by-partuuid/0001 /dev/urandom swap,cipher=aes-xts-plain64,size=256\n' > "$c/random-swap"
printf 'luks\\040root UUID=0123-4567 none luks,discard\ncryptswap UUID=89ab none luks,swap\n' > "$c/luks"
printf 'plain1\t/dev/vdb\t-\tplain,keyfile=/dev/random,offset=0\n  # comment\n\nbroken\n' > "$c/plain-keyfile"
# A tiny initramfs: a newc archive with the stock resume script, then a zstd magic.
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
mkdir -p "$d/scripts/local-premount"; echo '#!/bin/sh' > "$d/scripts/local-premount/resume"
(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible 2>/dev/null || find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$c/initramfs-newc"
printf '\x28\xb5\x2f\xfd' >> "$c/initramfs-newc"
