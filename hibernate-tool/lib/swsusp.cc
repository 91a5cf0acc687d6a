// SPDX-License-Identifier: LGPL-2.1-or-later
#include "swsusp.hh"

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
        if (info.pages == 0 || info.image_pages == 0 || info.image_pages >= info.pages)
                return Error{EINVAL, "image header page is inconsistent (pages " + std::to_string(info.pages) +
                                             ", data pages " + std::to_string(info.image_pages) + ")"};
        if (info.num_physpages != 0 && info.pages > info.num_physpages)
                return Error{EINVAL, "image header page claims more pages than the machine had"};
        if (info.pages > UINT64_MAX / page_size || info.size != info.pages * page_size)
                return Error{EINVAL, "image header page has a size that does not match its page count"};
        return info;
}

}  // namespace ht
