// SPDX-License-Identifier: LGPL-2.1-or-later
// Reader for the kernel's hibernation image header (kernel/power/swap.c: struct
// swsusp_header at the end of the swap's first page; struct swap_map_page; and
// kernel/power/power.h: struct swsusp_info, the image's first data page) and of pageset 2
// of a two-pageset image. Pure: bytes in, fields out, every offset bounds-checked; further
// pages only through the caller's page reader. Layout of Linux 6.1 on 64-bit little-endian.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace ht {

// swsusp_header->flags (kernel/power/power.h)
enum : uint32_t {
        SF_PLATFORM_MODE = 1,
        SF_NOCOMPRESS_MODE = 2,
        SF_CRC32_MODE = 4,
        SF_HW_SIG = 8,
        SF_COMPRESSION_ALG_LZ4 = 16,  // Linux 6.9+
        SF_TWO_PAGESETS = 0x100,      // two-pageset hibernation patch set (kernel-patches/)
};
// Flags a Linux 6.1 kernel can restore; anything else was written by a newer kernel.
// SF_TWO_PAGESETS is among them: a stock boot kernel restores pageset 1 and jumps into the
// image's own (patched) kernel, which reloads pageset 2 itself.
constexpr uint32_t SF_KNOWN_6_1 = SF_PLATFORM_MODE | SF_NOCOMPRESS_MODE | SF_CRC32_MODE | SF_HW_SIG | SF_TWO_PAGESETS;

// Offsets from the end of the header page (valid for any PAGE_SIZE).
struct SwsuspLayout {
        static constexpr size_t sig_len = 10;
        static constexpr size_t from_end_sig = 10;
        static constexpr size_t from_end_orig_sig = 20;
        static constexpr size_t from_end_flags = 24;
        static constexpr size_t from_end_image = 32;  // sector_t (u64)
        static constexpr size_t from_end_crc32 = 36;
        static constexpr size_t from_end_hw_sig = 40;
};

enum class SwapSignature {
        None,       // not a swap header we know
        Swap,       // SWAPSPACE2 / SWAP-SPACE
        Hibernate,  // S1SUSPEND (Linux swsusp)
        OtherImage, // S2SUSPEND, ULSUSPEND, LINHIB0001, old TuxOnIce: written by another tool
};

struct SwsuspHeader {
        SwapSignature kind = SwapSignature::None;
        std::string sig;       // the 10 signature bytes without trailing NULs
        std::string orig_sig;  // what the kernel restores on resume ("SWAPSPACE2")
        uint32_t flags = 0;
        uint64_t image = 0;    // page offset (in the resume device) of the first swap map page
        uint32_t crc32 = 0;
        uint32_t hw_sig = 0;
        // The swap header mkswap wrote at the start of the same page (union swap_header:
        // version u32 @1024, last_page u32 @1028); the kernel's hibernation header leaves it
        // alone. 0 when it is not a version-1 swap header.
        uint32_t swap_last_page = 0;
};

// Parses the first page of a swap area (page_size bytes). Errors only for a wrong size.
Result<SwsuspHeader> parse_swsusp_header(std::string_view page);

std::vector<std::string> describe_flags(uint32_t flags);  // "platform", "nocompress", …

// First entry of a swap_map_page (the page offset of the swsusp_info page) and the link
// to the next map page. Zero entries are errors (an image always has a first page).
struct SwapMapHead {
        uint64_t first_entry = 0;
        uint64_t next_swap = 0;
};
Result<SwapMapHead> parse_swap_map_page(std::string_view page);

// struct swsusp_info (the image's first page). On x86_64 the utsname field holds the
// architecture's restore record (jump address, cr3, magic, e820 checksum) instead.
struct SwsuspInfo {
        bool x86_64_arch_record = false;  // restore_data_record with RESTORE_MAGIC
        std::string release;              // utsname.release where the kernel stores it
        std::string machine;
        uint32_t version_code = 0;        // LINUX_VERSION_CODE, 0 when not stored
        uint64_t num_physpages = 0;
        int32_t cpus = 0;
        uint64_t image_pages = 0;         // nr_copy_pages: data pages
        uint64_t pages = 0;               // image pages + metadata pages + this header page
        uint64_t size = 0;                // pages << PAGE_SHIFT
        // Two-pageset images (SF_TWO_PAGESETS); all zero in stock images.
        uint64_t ps2_pages = 0;           // data pages in pageset 2
        uint64_t ps2_start = 0;           // page offset of pageset 2's first swap_map_page
        uint32_t ps2_crc32 = 0;           // CRC32 of pageset 2's data pages in stream order
        uint32_t ps2_version = 0;         // pageset 2 stream format, 1
};
Result<SwsuspInfo> parse_swsusp_info(std::string_view page, size_t page_size);

// Exclusive upper bound for the page offsets an image on this resume device may use: the
// swap area (the swap header's last_page) when the header is at the start of the device
// (a partition), otherwise the device (a swap file: its pages are device offsets).
// device_bytes 0: unknown; the result 0: no bound known.
uint64_t image_page_limit(const SwsuspHeader &h, uint64_t header_offset, uint64_t device_bytes, size_t page_size);

// ---- pageset 2 of a two-pageset image ------------------------------------------------------
// Its own swap_map_page chain starting at info.ps2_start (same struct as pageset 1's), whose
// entries are chunks of one index page (page_size/8 u64 PFNs, strictly ascending across the
// whole stream, unused entries ~0 and only in the last chunk) followed by the data pages it
// lists: ps2_pages + ceil(ps2_pages / (page_size/8)) entries in all.
constexpr uint32_t PS2_VERSION = 1;
constexpr uint64_t PS2_UNUSED_PFN = ~0ULL;

// Reads one page of the resume device by page offset (the caller's primitive).
using PageReader = std::function<Result<std::string>(uint64_t page)>;

struct Pageset2Layout {
        bool present = false;      // the image has two pagesets
        uint64_t pages = 0;        // ps2_pages
        uint64_t entries = 0;      // swap map entries of the chain (index + data pages)
        uint64_t map_page = 0;     // ps2_start
        uint64_t first_pfn = 0, last_pfn_first_index = 0;
};

// Checks what can be checked without reading the whole of pageset 2: the header flag and
// the info fields agree (a stock image has them all zero), version 1, a non-empty pageset
// not larger than the machine's RAM, the first map page inside the swap area (page_limit,
// 0 = unknown) with its entries in range and, when the chain continues, its link; the
// first index page's PFNs strictly ascending and plausible for the machine's RAM.
Result<Pageset2Layout> validate_pageset2(const SwsuspHeader &h, const SwsuspInfo &info, uint64_t page_limit,
                                         size_t page_size, const PageReader &read_page);

// x86_64 RESTORE_MAGIC (arch/x86/power/hibernate.c)
constexpr uint64_t X86_64_RESTORE_MAGIC = 0x23456789ABCDEF02ULL;

}  // namespace ht
