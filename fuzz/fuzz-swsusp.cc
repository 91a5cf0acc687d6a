// SPDX-License-Identifier: LGPL-2.1-or-later
// Hibernation image reader. The input is the start of a resume device (4 KiB pages):
// page 0 is the swap header (swsusp_header at its end); header.image is the page of the
// first swap_map_page; its first entry is the page of the swsusp_info header. For a
// two-pageset image, info.ps2_start is pageset 2's map page and its first entry the first
// index page. Every page the harness follows is bounds-checked here against the input;
// the parsers get exactly one page, so any read beyond it is an ASan report.
#include <cstddef>
#include <cstdint>

#include "swsusp.hh"

#include "fuzz-common.hh"

namespace {

constexpr size_t PAGE = 4096;

// Page number p of the input, or an empty view when it is not wholly inside.
std::string_view page_at(std::string_view dev, uint64_t p)
{
        uint64_t pages = dev.size() / PAGE;
        if (p >= pages)
                return {};
        return dev.substr(static_cast<size_t>(p) * PAGE, PAGE);
}

// Pageset 2 through the reader the resume helper and hibernate-check give it: pages of
// the input, an error past its end. The limit is the swap area of the header (the device's
// size is not known here: a real device is larger than the input).
void check_pageset2(const ht::SwsuspHeader &hdr, const ht::SwsuspInfo &info, std::string_view dev)
{
        uint64_t limit = ht::image_page_limit(hdr, 0, 0, PAGE);
        auto reader = [dev](uint64_t p) -> ht::Result<std::string> {
                auto v = page_at(dev, p);
                if (v.empty())
                        return ht::Error{EIO, "truncated"};
                return std::string(v);
        };
        auto l = ht::validate_pageset2(hdr, info, limit, PAGE, reader);
        if (!l) {
                FUZZ_CHECK(!l.error().message.empty());
                return;
        }
        if (!l->present) {
                FUZZ_CHECK(!(hdr.flags & ht::SF_TWO_PAGESETS));
                FUZZ_CHECK(info.ps2_pages == 0 && info.ps2_start == 0 && info.ps2_crc32 == 0 && info.ps2_version == 0);
                return;
        }
        FUZZ_CHECK(hdr.flags & ht::SF_TWO_PAGESETS);
        FUZZ_CHECK(info.ps2_version == ht::PS2_VERSION);
        FUZZ_CHECK(l->pages == info.ps2_pages && l->pages > 0);
        FUZZ_CHECK(info.num_physpages == 0 || l->pages <= info.num_physpages);
        FUZZ_CHECK(l->map_page == info.ps2_start && l->map_page != 0 && (limit == 0 || l->map_page < limit));
        FUZZ_CHECK(l->entries == l->pages + (l->pages + 511) / 512);
        FUZZ_CHECK(l->first_pfn <= l->last_pfn_first_index);
        FUZZ_CHECK(!page_at(dev, l->map_page).empty());  // it was read
}

void check_info(std::string_view page, size_t page_size)
{
        auto info = ht::parse_swsusp_info(page, page_size);
        if (!info) {
                FUZZ_CHECK(!info.error().message.empty());
                return;
        }
        FUZZ_CHECK(info->pages != 0 && info->image_pages != 0 && info->image_pages < info->pages);
        FUZZ_CHECK(info->size == info->pages * page_size);
        FUZZ_CHECK(info->num_physpages == 0 || info->pages <= info->num_physpages);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view dev = fuzz::as_view(data, size);

        // Size checks: whatever the input length, the parsers must only error out.
        {
                auto h = ht::parse_swsusp_header(dev);
                auto m = ht::parse_swap_map_page(dev);
                (void)h;
                (void)m;
                check_info(dev, size);
                check_info(dev, PAGE);
        }

        if (size < PAGE)
                return 0;

        std::string_view first = dev.substr(0, PAGE);
        check_info(first, PAGE);

        auto hdr = ht::parse_swsusp_header(first);
        FUZZ_CHECK(hdr.ok());  // a page-sized page always parses
        FUZZ_CHECK(hdr->sig.size() <= 10 && hdr->orig_sig.size() <= 10);
        auto flags = ht::describe_flags(hdr->flags);
        FUZZ_CHECK(!flags.empty());

        std::string_view map = page_at(dev, hdr->image);
        if (map.empty())
                return 0;
        auto head = ht::parse_swap_map_page(map);
        if (!head) {
                FUZZ_CHECK(!head.error().message.empty());
                return 0;
        }
        FUZZ_CHECK(head->first_entry != 0);

        std::string_view info = page_at(dev, head->first_entry);
        if (info.empty())
                return 0;
        check_info(info, PAGE);
        if (auto in = ht::parse_swsusp_info(info, PAGE))
                check_pageset2(*hdr, *in, dev);
        return 0;
}
