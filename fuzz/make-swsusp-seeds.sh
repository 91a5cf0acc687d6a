#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the seed corpus of the swsusp fuzz target (fuzz/corpus/swsusp/): small synthetic
# resume-device images in the Linux 6.1 x86_64 layout (4 KiB pages), and, when the QEMU
# harness has made one, the first pages of a real hibernation image.
#
#   page 0: swap header; struct swsusp_header at the end of the page:
#           sig "S1SUSPEND" @4086, orig_sig "SWAPSPACE2" @4076, flags u32 @4072,
#           image u64 @4064 (page of the first swap_map_page), crc32 @4060, hw_sig @4056
#   page 1: swap_map_page: entries[0] (u64) = page of the swsusp_info page, next_swap at
#           the last u64
#   page 2: struct swsusp_info: x86_64 RESTORE_MAGIC 0x23456789ABCDEF02 @24 (or a
#           utsname), num_physpages @400, cpus @408, image_pages @416, pages @424,
#           size @432 (u64 little-endian); two-pageset images (flag 0x100) also
#           ps2_pages @440, ps2_start @448 (u64), ps2_crc32 @456, ps2_version @460 (u32)
#   two-pageset images: page 3: pageset 2's swap_map_page (entries: the index page, then
#           the data pages), page 4: its first index page (512 ascending u64 PFNs, unused
#           entries all ones); the data pages themselves are not in the seed
#
# Usage: fuzz/make-swsusp-seeds.sh [OUTDIR] [REAL_IMAGE_DIR]
# Deterministic: rerunning it rewrites identical files. Seeds of real images are only
# (re)written when the image exists, so a committed one survives on machines without it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus/swsusp}
real_dir=${2:-/var/cache/hibernate-tool-tests/images}
mkdir -p "$out"

exec python3 - "$out" "$real_dir" <<'PY'
import os
import struct
import sys

out, real_dir = sys.argv[1], sys.argv[2]
PAGE = 4096
MAGIC = 0x23456789ABCDEF02
SF_PLATFORM, SF_NOCOMPRESS, SF_CRC32, SF_HW_SIG, SF_LZ4, SF_TWO = 1, 2, 4, 8, 16, 0x100
LIMIT = 20 * 1024


def swap_header(sig=b"S1SUSPEND", orig=b"SWAPSPACE2", flags=SF_CRC32, image=1,
                crc32=0x00f4c6af, hw_sig=0, last_page=65535,
                uuid=bytes.fromhex("8d5f1c2e4b7a4e1f9c3d2a6b0e7f1a55"), label=b"hibswap"):
    p = bytearray(PAGE)
    # union swap_header info (mkswap): version 1, last_page, nr_badpages, uuid, label
    struct.pack_into("<III", p, 1024, 1, last_page, 0)
    p[1036:1052] = uuid
    p[1052:1052 + len(label)] = label
    struct.pack_into("<I", p, 4056, hw_sig)
    struct.pack_into("<I", p, 4060, crc32)
    struct.pack_into("<Q", p, 4064, image)
    struct.pack_into("<I", p, 4072, flags)
    p[4076:4086] = orig.ljust(10, b"\0")[:10]
    p[4086:4096] = sig.ljust(10, b"\0")[:10]
    return bytes(p)


def map_page(first=2, count=8, next_swap=0):
    p = bytearray(PAGE)
    for i in range(count):
        struct.pack_into("<Q", p, 8 * i, first + i if first else 0)
    struct.pack_into("<Q", p, PAGE - 8, next_swap)
    return bytes(p)


def info_page(image_pages=20769, pages=20811, size=None, num_physpages=130939, cpus=0,
              x86=True, release=b"6.1.0-18-amd64", machine=b"x86_64", version_code=0x060100,
              ps2_pages=0, ps2_start=0, ps2_crc32=0, ps2_version=0):
    p = bytearray(PAGE)
    if x86:
        # struct restore_data_record: jump_address, jump_address_phys, cr3, magic, e820 crc
        struct.pack_into("<QQQQI", p, 0, 0xffffffffa31d5000, 0x185d5000, 0x10620000, MAGIC, 0xd6b6c699)
    else:
        uts = [b"Linux", b"debian", release, b"#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1", machine, b"(none)"]
        for i, f in enumerate(uts):
            p[65 * i:65 * i + len(f)] = f
        struct.pack_into("<I", p, 392, version_code)
    struct.pack_into("<Q", p, 400, num_physpages)
    struct.pack_into("<i", p, 408, cpus)
    struct.pack_into("<QQQ", p, 416, image_pages, pages, pages * PAGE if size is None else size)
    struct.pack_into("<QQII", p, 440, ps2_pages, ps2_start, ps2_crc32, ps2_version)
    return bytes(p)


def ps2_map_page(ps2_pages, first=4):
    entries = ps2_pages + (ps2_pages + 511) // 512
    p = bytearray(PAGE)
    for i in range(min(entries, 511)):
        struct.pack_into("<Q", p, 8 * i, first + i)
    if entries > 511:
        struct.pack_into("<Q", p, PAGE - 8, first + 511)
    return bytes(p)


def ps2_index_page(ps2_pages, pfns=None):
    p = bytearray(b"\xff" * PAGE)
    for i, pfn in enumerate(pfns if pfns is not None else [0x1000 + 7 * i for i in range(min(ps2_pages, 512))]):
        struct.pack_into("<Q", p, 8 * i, pfn)
    return bytes(p)


def two_pagesets(ps2_pages=3, version=1, flags=SF_CRC32 | SF_TWO, ps2_start=3, pfns=None, **info):
    return (swap_header(flags=flags) + map_page() +
            info_page(ps2_pages=ps2_pages, ps2_start=ps2_start, ps2_crc32=0x9a3f0c1d, ps2_version=version, **info) +
            ps2_map_page(ps2_pages) + ps2_index_page(ps2_pages, pfns))


def write(name, data):
    assert len(data) <= LIMIT, name
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


seeds = {
    # well-formed images as the 6.1 kernel writes them
    "lzo-crc32-3pages.bin": swap_header() + map_page() + info_page(),
    "nocompress-platform-3pages.bin":
        swap_header(flags=SF_NOCOMPRESS | SF_PLATFORM) + map_page() + info_page(image_pages=64000, pages=64123),
    "lz4-hwsig-3pages.bin":
        swap_header(flags=SF_LZ4 | SF_CRC32 | SF_HW_SIG, hw_sig=0x5a17c0de) + map_page() + info_page(),
    "unknown-flags-3pages.bin": swap_header(flags=0x80000020 | SF_CRC32) + map_page() + info_page(),
    # non-x86 swsusp_info: a utsname with release and machine
    "utsname-aarch64-3pages.bin":
        swap_header() + map_page() + info_page(x86=False, release=b"6.1.0-18-arm64", machine=b"aarch64", cpus=4),
    # map page later on the device, info page before it
    "map-at-page2-3pages.bin": swap_header(image=2) + info_page() + map_page(first=1),
    # a map chain: next_swap set
    "map-next-swap-3pages.bin": swap_header() + map_page(next_swap=513) + info_page(),
    # two-pageset images (SF_TWO_PAGESETS): a small pageset 2, and one whose chain continues
    "two-pagesets-5pages.bin": two_pagesets(),
    "two-pagesets-chain-5pages.bin": two_pagesets(ps2_pages=600),
    "two-pagesets-nocompress-5pages.bin": two_pagesets(ps2_pages=512, flags=SF_NOCOMPRESS | SF_TWO),
    # broken two-pageset images
    "two-pagesets-version2-5pages.bin": two_pagesets(version=2),
    "two-pagesets-unsorted-5pages.bin": two_pagesets(pfns=[0x2000, 0x1000, 0x3000]),
    "two-pagesets-pfn-huge-5pages.bin": two_pagesets(pfns=[0x1000, 1 << 40, 1 << 41]),
    "two-pagesets-start-out-of-range-5pages.bin": two_pagesets(ps2_start=1 << 20),
    "two-pagesets-too-many-5pages.bin": two_pagesets(ps2_pages=200000),
    "two-pagesets-fields-no-flag-5pages.bin": two_pagesets(flags=SF_CRC32),
    "two-pagesets-flag-no-fields-3pages.bin": swap_header(flags=SF_CRC32 | SF_TWO) + map_page() + info_page(),
    # broken images
    "info-inconsistent-3pages.bin": swap_header() + map_page() + info_page(image_pages=30000, pages=20811),
    "info-size-mismatch-3pages.bin": swap_header() + map_page() + info_page(size=12345),
    "info-too-many-pages-3pages.bin": swap_header() + map_page() + info_page(num_physpages=1000),
    "info-zero-3pages.bin": swap_header() + map_page() + bytes(PAGE),
    "map-no-first-entry-2pages.bin": swap_header() + map_page(first=0),
    "map-out-of-range-1page.bin": swap_header(image=1 << 40),
    "info-out-of-range-2pages.bin": swap_header() + map_page(first=99999),
    "image-zero-1page.bin": swap_header(image=0),
    # plain swap and other tools' signatures
    "swapspace2-1page.bin": swap_header(sig=b"SWAPSPACE2", orig=b"\0", flags=0, image=0, crc32=0),
    "swap-space-old-1page.bin": swap_header(sig=b"SWAP-SPACE", orig=b"\0", flags=0, image=0, crc32=0),
    "s2suspend-1page.bin": swap_header(sig=b"S2SUSPEND"),
    "ulsuspend-1page.bin": swap_header(sig=b"ULSUSPEND"),
    "linhib0001-1page.bin": swap_header(sig=b"LINHIB0001"),
    "tuxonice-1page.bin": swap_header(sig=b"\xed\xc3\x02\xe9\x98\x56\xe5\x0c\0\0"),
    "zero-1page.bin": bytes(PAGE),
    # not a page multiple / too short
    "short-100bytes.bin": swap_header()[-100:],
    "odd-size-5000bytes.bin": (swap_header() + map_page())[:5000],
}
for name, data in seeds.items():
    write(name, data)

# Real images from tests/e2e/make-hibernation-image.sh: the first pages, verbatim when the
# map and info pages are within the first three; otherwise a compacted copy whose
# header.image and map entries[0] are rewritten to 1 and 2 (recorded in the notes file).
notes = []
for name in ("lzo", "nocompress"):
    path = os.path.join(real_dir, name + ".img")
    if not os.path.exists(path):
        continue
    with open(path, "rb") as f:
        hdr = f.read(PAGE)
        image = struct.unpack_from("<Q", hdr, 4064)[0]
        if hdr[4086:4095] != b"S1SUSPEND" or image == 0:
            notes.append(f"real-{name}-3pages.bin: {path} holds no hibernation image, not written")
            continue
        f.seek(image * PAGE)
        mp = f.read(PAGE)
        first = struct.unpack_from("<Q", mp, 0)[0]
        if image < 3 and 0 < first < 3:
            f.seek(0)
            data = f.read(3 * PAGE)
            notes.append(f"real-{name}-3pages.bin: first 3 pages of {os.path.basename(path)} verbatim "
                         f"(map page {image}, info page {first}); no offsets rewritten")
        else:
            f.seek(first * PAGE)
            info = f.read(PAGE)
            h = bytearray(hdr)
            struct.pack_into("<Q", h, 4064, 1)
            m = bytearray(mp)
            struct.pack_into("<Q", m, 0, 2)
            data = bytes(h) + bytes(m) + info
            notes.append(f"real-{name}-3pages.bin: COMPACTED copy of {os.path.basename(path)}: header page, "
                         f"map page (was page {image}) as page 1, info page (was page {first}) as page 2; "
                         f"header.image rewritten {image}->1 and map entries[0] {first}->2, other bytes "
                         f"verbatim (the header's crc32 covers the data, not the header, so it stays valid)")
    write(f"real-{name}-3pages.bin", data)

if notes:
    with open(os.path.join(out, "..", "swsusp-real-seeds.txt"), "w") as f:
        f.write("# Written by fuzz/make-swsusp-seeds.sh: where the real-image seeds of corpus/swsusp/ come from.\n")
        for n in notes:
            f.write(n + "\n")
print(f"wrote {len(seeds)} synthetic seeds" + "".join("\n" + n for n in notes))
PY
