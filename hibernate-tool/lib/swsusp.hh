// SPDX-License-Identifier: LGPL-2.1-or-later
// Reader for the kernel's hibernation image header (kernel/power/swap.c: struct
// swsusp_header at the end of the swap's first page; struct swap_map_page; and
// kernel/power/power.h: struct swsusp_info, the image's first data page). Pure: bytes in,
// fields out, every offset bounds-checked. Layout of Linux 6.1 on 64-bit little-endian.
#pragma once

#include <cstdint>
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
};
// Flags a Linux 6.1 kernel understands; anything else was written by a newer kernel.
constexpr uint32_t SF_KNOWN_6_1 = SF_PLATFORM_MODE | SF_NOCOMPRESS_MODE | SF_CRC32_MODE | SF_HW_SIG;

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
};
Result<SwsuspInfo> parse_swsusp_info(std::string_view page, size_t page_size);

// x86_64 RESTORE_MAGIC (arch/x86/power/hibernate.c)
constexpr uint64_t X86_64_RESTORE_MAGIC = 0x23456789ABCDEF02ULL;

}  // namespace ht
