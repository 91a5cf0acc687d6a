#include <catch2/catch.hpp>
#include <cstring>

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
