// SPDX-License-Identifier: LGPL-2.1-or-later
#include "swsusp.hh"

#include <algorithm>
#include <cstring>

namespace ht {

namespace {

uint32_t le32(std::string_view s, size_t off)
{
        uint32_t v = 0;
        for (size_t i = 0; i < 4; i++)
                v |= static_cast<uint32_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
        return v;
}

uint64_t le64(std::string_view s, size_t off)
{
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v |= static_cast<uint64_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
        return v;
}

std::string cstr(std::string_view s, size_t off, size_t maxlen)
{
        std::string_view f = s.substr(off, maxlen);
        auto nul = f.find('\0');
        return std::string(f.substr(0, nul));
}

bool valid_page_size(size_t n)
{
        return n >= 4096 && n <= 65536 && (n & (n - 1)) == 0;
}

}  // namespace

Result<SwsuspHeader> parse_swsusp_header(std::string_view page)
{
        if (!valid_page_size(page.size()))
                return Error{EINVAL, "swap header page has " + std::to_string(page.size()) +
                                             " bytes, expected a page size"};
        using L = SwsuspLayout;
        const size_t n = page.size();
        SwsuspHeader h;
        h.sig = cstr(page, n - L::from_end_sig, L::sig_len);
        h.orig_sig = cstr(page, n - L::from_end_orig_sig, L::sig_len);
        h.flags = le32(page, n - L::from_end_flags);
        h.image = le64(page, n - L::from_end_image);
        h.crc32 = le32(page, n - L::from_end_crc32);
        h.hw_sig = le32(page, n - L::from_end_hw_sig);
        if (le32(page, 1024) == 1)
                h.swap_last_page = le32(page, 1028);
        if (h.sig == "SWAPSPACE2" || h.sig == "SWAP-SPACE")
                h.kind = SwapSignature::Swap;
        else if (h.sig == "S1SUSPEND")
                h.kind = SwapSignature::Hibernate;
        else if (h.sig == "S2SUSPEND" || h.sig == "ULSUSPEND" || h.sig == "LINHIB0001" ||
                 std::memcmp(page.data() + n - 10, "\xed\xc3\x02\xe9\x98\x56\xe5\x0c", 8) == 0)
                h.kind = SwapSignature::OtherImage;
        else
                h.kind = SwapSignature::None;
        return h;
}

std::vector<std::string> describe_flags(uint32_t flags)
{
        std::vector<std::string> out;
        if (flags & SF_PLATFORM_MODE)
                out.emplace_back("platform");
        if (flags & SF_NOCOMPRESS_MODE)
                out.emplace_back("nocompress");
        else if (flags & SF_COMPRESSION_ALG_LZ4)
                out.emplace_back("lz4");
        else
                out.emplace_back("lzo");
        if (flags & SF_CRC32_MODE)
                out.emplace_back("crc32");
        if (flags & SF_HW_SIG)
                out.emplace_back("hw-signature");
        if (flags & SF_TWO_PAGESETS)
                out.emplace_back("two-pagesets");
        uint32_t unknown = flags & ~(SF_KNOWN_6_1 | SF_COMPRESSION_ALG_LZ4);
        for (unsigned bit = 0; bit < 32; bit++)
                if (unknown & (1u << bit))
                        out.push_back("unknown-" + std::to_string(1u << bit));
        return out;
}

Result<SwapMapHead> parse_swap_map_page(std::string_view page)
{
        if (!valid_page_size(page.size()))
                return Error{EINVAL, "swap map page has a bad size"};
        SwapMapHead m;
        m.first_entry = le64(page, 0);
        m.next_swap = le64(page, page.size() - 8);
        if (m.first_entry == 0)
                return Error{EINVAL, "swap map page has no first entry"};
        return m;
}

Result<SwsuspInfo> parse_swsusp_info(std::string_view page, size_t page_size)
{
        if (!valid_page_size(page_size) || page.size() != page_size)
                return Error{EINVAL, "image header page has a bad size"};
        // struct new_utsname: six fields of 65 bytes (390), then u32 version_code at 392,
        // unsigned long num_physpages at 400, int cpus at 408, image_pages 416, pages 424,
        // size 432 (x86_64/aarch64 LP64 alignment).
        constexpr size_t uts_field = 65;
        SwsuspInfo info;
        uint64_t magic = le64(page, 24);
        if (magic == X86_64_RESTORE_MAGIC) {
                info.x86_64_arch_record = true;
        } else if (cstr(page, 0, uts_field) == "Linux") {
                info.release = cstr(page, 2 * uts_field, uts_field);
                info.machine = cstr(page, 4 * uts_field, uts_field);
                info.version_code = le32(page, 392);
        }
        info.num_physpages = le64(page, 400);
        info.cpus = static_cast<int32_t>(le32(page, 408));
        info.image_pages = le64(page, 416);
        info.pages = le64(page, 424);
        info.size = le64(page, 432);
        info.ps2_pages = le64(page, 440);
        info.ps2_start = le64(page, 448);
        info.ps2_crc32 = le32(page, 456);
        info.ps2_version = le32(page, 460);
        if (info.pages == 0 || info.image_pages == 0 || info.image_pages >= info.pages)
                return Error{EINVAL, "image header page is inconsistent (pages " + std::to_string(info.pages) +
                                             ", data pages " + std::to_string(info.image_pages) + ")"};
        if (info.num_physpages != 0 && info.pages > info.num_physpages)
                return Error{EINVAL, "image header page claims more pages than the machine had"};
        if (info.pages > UINT64_MAX / page_size || info.size != info.pages * page_size)
                return Error{EINVAL, "image header page has a size that does not match its page count"};
        return info;
}

uint64_t image_page_limit(const SwsuspHeader &h, uint64_t header_offset, uint64_t device_bytes, size_t page_size)
{
        if (page_size == 0)
                return 0;
        uint64_t limit = device_bytes / page_size;
        if (header_offset == 0 && h.swap_last_page != 0) {
                uint64_t area = static_cast<uint64_t>(h.swap_last_page) + 1;
                if (limit == 0 || area < limit)
                        limit = area;
        }
        return limit;
}

Result<Pageset2Layout> validate_pageset2(const SwsuspHeader &h, const SwsuspInfo &info, uint64_t page_limit,
                                         size_t page_size, const PageReader &read_page)
{
        Pageset2Layout l;
        auto n = [](uint64_t v) { return std::to_string(v); };
        if (!(h.flags & SF_TWO_PAGESETS)) {
                if (info.ps2_pages || info.ps2_start || info.ps2_crc32 || info.ps2_version)
                        return Error{EINVAL, "the image header page has pageset-2 fields, but the header lacks "
                                             "the two-pageset flag"};
                return l;
        }
        if (!valid_page_size(page_size))
                return Error{EINVAL, "pageset 2: bad page size"};
        if (info.ps2_version != PS2_VERSION)
                return Error{EINVAL, "pageset 2 has format version " + n(info.ps2_version) +
                                             ", this hibernate-tool knows version " + n(PS2_VERSION)};
        if (info.ps2_pages == 0)
                return Error{EINVAL, "the header flags two pagesets, but pageset 2 is empty"};
        // MAX_PHYSMEM_BITS is 52 at most: no machine has more page frames than 2^40.
        constexpr uint64_t max_frames = 1ULL << 40;
        if (info.ps2_pages > max_frames || (info.num_physpages != 0 && info.ps2_pages > info.num_physpages))
                return Error{EINVAL, "pageset 2 claims " + n(info.ps2_pages) + " pages, more than the machine had"};
        auto in_range = [&](uint64_t pg) { return pg != 0 && (page_limit == 0 || pg < page_limit); };
        std::string area = page_limit ? " (the swap area has " + n(page_limit) + " pages)" : std::string();
        if (!in_range(info.ps2_start))
                return Error{EINVAL, "pageset 2's first map page " + n(info.ps2_start) + " is outside the swap area" + area};

        const uint64_t per_index = page_size / 8;
        const uint64_t per_map = page_size / 8 - 1;
        l.present = true;
        l.pages = info.ps2_pages;
        l.map_page = info.ps2_start;
        l.entries = info.ps2_pages + (info.ps2_pages + per_index - 1) / per_index;

        auto mp = read_page(info.ps2_start);
        if (!mp)
                return Error{EINVAL, "pageset 2 map page " + n(info.ps2_start) + ": " + mp.error().message};
        if (mp->size() != page_size)
                return Error{EINVAL, "pageset 2 map page " + n(info.ps2_start) + " has a bad size"};
        uint64_t in_first = std::min(l.entries, per_map);
        for (uint64_t i = 0; i < in_first; i++)
                if (uint64_t e = le64(*mp, i * 8); !in_range(e))
                        return Error{EINVAL, "pageset 2 map page " + n(info.ps2_start) + ": entry " + n(i) + " (page " +
                                                     n(e) + ") is outside the swap area" + area};
        if (l.entries > per_map)
                if (uint64_t next = le64(*mp, page_size - 8); !in_range(next))
                        return Error{EINVAL, "pageset 2 map page " + n(info.ps2_start) + ": the link to the next map "
                                             "page (page " + n(next) + ") is outside the swap area" + area};

        // The first chunk's index page: its PFNs.
        uint64_t index_pg = le64(*mp, 0);
        auto ip = read_page(index_pg);
        if (!ip)
                return Error{EINVAL, "pageset 2 index page " + n(index_pg) + ": " + ip.error().message};
        if (ip->size() != page_size)
                return Error{EINVAL, "pageset 2 index page " + n(index_pg) + " has a bad size"};
        // PFNs run past the RAM size where the firmware leaves holes (the PCI hole below
        // 4 GiB, and more): allow four times the RAM plus 8 GiB worth of frames.
        uint64_t pfn_limit = info.num_physpages != 0 && info.num_physpages < max_frames
                                     ? std::min<uint64_t>(max_frames, info.num_physpages * 4 + (8ULL << 30) / page_size)
                                     : max_frames;
        uint64_t used = std::min(info.ps2_pages, per_index);
        for (uint64_t i = 0; i < per_index; i++) {
                uint64_t pfn = le64(*ip, i * 8);
                if (i >= used) {
                        if (pfn != PS2_UNUSED_PFN)
                                return Error{EINVAL, "pageset 2 index page " + n(index_pg) + ": entry " + n(i) +
                                                             " past the last page is not unused"};
                        continue;
                }
                if (pfn >= pfn_limit)
                        return Error{EINVAL, "pageset 2 index page " + n(index_pg) + ": page frame " + n(pfn) +
                                                     " is beyond the machine's memory"};
                if (i > 0 && pfn <= l.last_pfn_first_index)
                        return Error{EINVAL, "pageset 2 index page " + n(index_pg) + ": page frames are not in "
                                             "ascending order at entry " + n(i)};
                if (i == 0)
                        l.first_pfn = pfn;
                l.last_pfn_first_index = pfn;
        }
        return l;
}

}  // namespace ht
