#include "catch.hh"
#include <cstring>
#include <map>

#include "swsusp.hh"

using namespace ht;

namespace {
void put64(std::string &s, size_t off, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put32(std::string &s, size_t off, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
std::string header(const char *sig, uint32_t flags, uint64_t image)
{
        std::string p(4096, '\0');
        std::memcpy(&p[4086], sig, std::strlen(sig));
        std::memcpy(&p[4076], "SWAPSPACE2", 10);
        put32(p, 4072, flags);
        put64(p, 4064, image);
        put32(p, 4060, 0xdeadbeef);
        return p;
}
}  // namespace

// A two-pageset image on a device of `pages` pages: header page 0, map page 1 -> info
// page 2, pageset 2's map page at 10 -> index page 11, data pages 12…
struct Ps2Image {
        std::map<uint64_t, std::string> pages;
        std::map<uint64_t, std::string> unreadable;  // page -> error
        uint64_t device_pages = 1000;
        SwsuspHeader hdr;
        SwsuspInfo info;

        explicit Ps2Image(uint64_t ps2_pages = 3)
        {
                std::string h = header("S1SUSPEND", SF_CRC32_MODE | SF_TWO_PAGESETS, 1);
                put32(h, 1024, 1);                   // swap header version 1
                put32(h, 1028, device_pages - 1);    // last_page
                hdr = *parse_swsusp_header(h);
                std::string in(4096, '\0');
                put64(in, 24, X86_64_RESTORE_MAGIC);
                put64(in, 400, 262144);  // 1 GiB of RAM
                put64(in, 416, 5);
                put64(in, 424, 7);
                put64(in, 432, 7 * 4096);
                put64(in, 440, ps2_pages);
                put64(in, 448, 10);
                put32(in, 456, 0xc0ffee11);
                put32(in, 460, PS2_VERSION);
                info = *parse_swsusp_info(in, 4096);
                std::string map(4096, '\0'), index(4096, '\xff');
                uint64_t entries = ps2_pages + (ps2_pages + 511) / 512;
                for (uint64_t i = 0; i < entries && i < 511; i++)
                        put64(map, i * 8, 11 + i);
                if (entries > 511)
                        put64(map, 4088, 900);
                for (uint64_t i = 0; i < ps2_pages && i < 512; i++)
                        put64(index, i * 8, 100 + 3 * i);
                pages[10] = map;
                pages[11] = index;
        }
        PageReader reader()
        {
                return [this](uint64_t pg) -> Result<std::string> {
                        if (pg >= device_pages)
                                return Error{EIO, "truncated"};
                        if (unreadable.count(pg))
                                return Error{EIO, unreadable[pg]};
                        auto it = pages.find(pg);
                        return it == pages.end() ? std::string(4096, '\0') : it->second;
                };
        }
        Result<Pageset2Layout> validate() { return validate_pageset2(hdr, info, image_page_limit(hdr, 0, device_pages * 4096, 4096), 4096, reader()); }
};

TEST_CASE("swsusp header fields at the 6.1 offsets")
{
        auto h = parse_swsusp_header(header("S1SUSPEND", SF_CRC32_MODE | SF_PLATFORM_MODE, 1));
        REQUIRE(h);
        CHECK(h->kind == SwapSignature::Hibernate);
        CHECK(h->orig_sig == "SWAPSPACE2");
        CHECK(h->flags == 5);
        CHECK(h->image == 1);
        CHECK(h->crc32 == 0xdeadbeef);
        CHECK(describe_flags(h->flags) == std::vector<std::string>{"platform", "lzo", "crc32"});
        CHECK(parse_swsusp_header(header("SWAPSPACE2", 0, 0))->kind == SwapSignature::Swap);
        CHECK(parse_swsusp_header(header("ULSUSPEND", 0, 0))->kind == SwapSignature::OtherImage);
        CHECK(parse_swsusp_header(std::string(4096, '\0'))->kind == SwapSignature::None);
        CHECK_FALSE(parse_swsusp_header(std::string(100, '\0')));
        CHECK_FALSE(parse_swsusp_header(""));
        CHECK(describe_flags(SF_NOCOMPRESS_MODE) == std::vector<std::string>{"nocompress"});
        auto lz4 = describe_flags(SF_COMPRESSION_ALG_LZ4 | 64);
        CHECK(lz4 == std::vector<std::string>{"lz4", "unknown-64"});
        CHECK(describe_flags(SF_TWO_PAGESETS | SF_CRC32_MODE) == std::vector<std::string>{"lzo", "crc32", "two-pagesets"});
        CHECK(describe_flags(512) == std::vector<std::string>{"lzo", "unknown-512"});
        // A stock 6.1 boot kernel restores a two-pageset image: not a flag to refuse.
        CHECK((SF_KNOWN_6_1 & SF_TWO_PAGESETS) != 0);
        CHECK((SF_KNOWN_6_1 & SF_COMPRESSION_ALG_LZ4) == 0);
}

TEST_CASE("swap header last_page and the image page limit")
{
        auto p = header("S1SUSPEND", 0, 1);
        CHECK(parse_swsusp_header(p)->swap_last_page == 0);  // no version-1 swap header
        put32(p, 1028, 524287);
        CHECK(parse_swsusp_header(p)->swap_last_page == 0);
        put32(p, 1024, 1);
        auto h = *parse_swsusp_header(p);
        CHECK(h.swap_last_page == 524287);
        CHECK(image_page_limit(h, 0, 4ull << 30, 4096) == 524288);         // partition: the swap area
        CHECK(image_page_limit(h, 0, 1ull << 30, 4096) == 262144);         // a shorter device still bounds it
        CHECK(image_page_limit(h, 8192 * 4096, 4ull << 30, 4096) == 1048576);  // swap file: the device
        CHECK(image_page_limit(h, 8192 * 4096, 0, 4096) == 0);             // unknown
        h.swap_last_page = 0;
        CHECK(image_page_limit(h, 0, 0, 4096) == 0);
}

TEST_CASE("two-pageset image: swsusp_info fields and pageset 2 validation")
{
        Ps2Image img;
        CHECK(img.info.ps2_pages == 3);
        CHECK(img.info.ps2_start == 10);
        CHECK(img.info.ps2_crc32 == 0xc0ffee11);
        CHECK(img.info.ps2_version == 1);
        auto l = img.validate();
        REQUIRE(l);
        CHECK(l->present);
        CHECK(l->pages == 3);
        CHECK(l->entries == 4);  // one index page + 3 data pages
        CHECK(l->map_page == 10);
        CHECK(l->first_pfn == 100);
        CHECK(l->last_pfn_first_index == 106);

        // A full first chunk and a chain that continues: 600 pages, 602 entries.
        Ps2Image big(600);
        l = big.validate();
        REQUIRE(l);
        CHECK(l->entries == 602);
        CHECK(l->last_pfn_first_index == 100 + 3 * 511);

        auto refused = [](Ps2Image &i, const std::string &what) {
                auto r = i.validate();
                REQUIRE_FALSE(r);
                INFO(r.error().message);
                CHECK(r.error().message.find(what) != std::string::npos);
        };
        Ps2Image v;
        v.info.ps2_version = 2;
        refused(v, "pageset 2 has format version 2, this hibernate-tool knows version 1");
        Ps2Image e;
        e.info.ps2_pages = 0;
        refused(e, "pageset 2 is empty");
        Ps2Image many;
        many.info.ps2_pages = 262145;
        refused(many, "more than the machine had");
        Ps2Image zero;
        zero.info.ps2_start = 0;
        refused(zero, "first map page 0 is outside the swap area");
        Ps2Image far;
        far.info.ps2_start = 1000;
        refused(far, "first map page 1000 is outside the swap area (the swap area has 1000 pages)");
        Ps2Image hole;
        put64(hole.pages[10], 2 * 8, 0);
        refused(hole, "pageset 2 map page 10: entry 2 (page 0) is outside the swap area");
        Ps2Image out;
        put64(out.pages[10], 3 * 8, 5000);
        refused(out, "entry 3 (page 5000)");
        Ps2Image link(600);
        put64(link.pages[10], 4088, 0);
        refused(link, "the link to the next map page (page 0) is outside the swap area");
        Ps2Image order;
        put64(order.pages[11], 8, 100);
        refused(order, "not in ascending order at entry 1");
        Ps2Image beyond;
        put64(beyond.pages[11], 16, 1ull << 40);
        refused(beyond, "page frame 1099511627776 is beyond the machine's memory");
        Ps2Image unused;
        put64(unused.pages[11], 511 * 8, 0);
        refused(unused, "entry 511 past the last page is not unused");
        Ps2Image bad_index;
        bad_index.unreadable[11] = "Input/output error";
        refused(bad_index, "pageset 2 index page 11: Input/output error");
        Ps2Image bad_map;
        bad_map.unreadable[10] = "truncated";
        refused(bad_map, "pageset 2 map page 10: truncated");

        // Stock images: nothing to check, but fields without the flag are inconsistent.
        Ps2Image stock;
        stock.hdr.flags &= ~SF_TWO_PAGESETS;
        refused(stock, "has pageset-2 fields, but the header lacks the two-pageset flag");
        stock.info.ps2_pages = stock.info.ps2_start = 0;
        stock.info.ps2_crc32 = stock.info.ps2_version = 0;
        auto s = stock.validate();
        REQUIRE(s);
        CHECK_FALSE(s->present);
        // The flag with all-zero fields: version 0.
        Ps2Image flagonly;
        flagonly.info.ps2_pages = flagonly.info.ps2_start = 0;
        flagonly.info.ps2_crc32 = flagonly.info.ps2_version = 0;
        refused(flagonly, "format version 0");
}

TEST_CASE("swap map page and swsusp_info")
{
        std::string map(4096, '\0');
        CHECK_FALSE(parse_swap_map_page(map));
        put64(map, 0, 2);
        put64(map, 4088, 77);
        auto m = parse_swap_map_page(map);
        REQUIRE(m);
        CHECK(m->first_entry == 2);
        CHECK(m->next_swap == 77);

        std::string info(4096, '\0');
        put64(info, 24, X86_64_RESTORE_MAGIC);
        put64(info, 400, 131072);
        put32(info, 408, 2);
        put64(info, 416, 20769);
        put64(info, 424, 20811);
        put64(info, 432, 20811ull * 4096);
        auto i = parse_swsusp_info(info, 4096);
        REQUIRE(i);
        CHECK(i->x86_64_arch_record);
        CHECK(i->release.empty());
        CHECK(i->image_pages == 20769);
        CHECK(i->pages == 20811);
        CHECK(i->cpus == 2);

        std::string uts = info;
        std::memset(&uts[0], 0, 400);
        std::memcpy(&uts[0], "Linux", 5);
        std::memcpy(&uts[130], "6.1.0-56-arm64", 14);
        std::memcpy(&uts[260], "aarch64", 7);
        auto a = parse_swsusp_info(uts, 4096);
        REQUIRE(a);
        CHECK_FALSE(a->x86_64_arch_record);
        CHECK(a->release == "6.1.0-56-arm64");
        CHECK(a->machine == "aarch64");

        std::string bad = info;
        put64(bad, 432, 1);  // size does not match pages
        CHECK_FALSE(parse_swsusp_info(bad, 4096));
        bad = info;
        put64(bad, 424, 0);
        CHECK_FALSE(parse_swsusp_info(bad, 4096));
        bad = info;
        put64(bad, 424, UINT64_MAX);
        put64(bad, 400, 0);
        CHECK_FALSE(parse_swsusp_info(bad, 4096));
        CHECK_FALSE(parse_swsusp_info(info.substr(0, 4000), 4096));
}
