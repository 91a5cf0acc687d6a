#include <catch2/catch.hpp>

#include "estimate.hh"

using namespace ht;

namespace {
std::map<std::string, uint64_t> mi(uint64_t total, uint64_t free, uint64_t file, uint64_t anon, uint64_t slab)
{
        return {{"MemTotal", total}, {"MemFree", free}, {"Active(file)", file / 2}, {"Inactive(file)", file - file / 2},
                {"Active(anon)", anon}, {"Inactive(anon)", 0}, {"SReclaimable", slab}};
}
constexpr uint64_t G = 1ull << 30;
constexpr uint64_t M = 1ull << 20;
}  // namespace

TEST_CASE("image estimate: used memory below image_size is saved whole")
{
        auto e = estimate_image(mi(8 * G, 6 * G, G / 2, G, 100 * M), 8 * G / 5 * 2);
        REQUIRE(e);
        CHECK(e->used == 2 * G);
        CHECK(e->pushed_to_swap == 0);
        CHECK(e->image == 2 * G + 2 * G / 100);
        CHECK(e->needed == e->image);
}

TEST_CASE("image estimate: shrinking drops cache first, then swaps anon out")
{
        // 7 GiB used: 2 GiB cache, 4.5 GiB anon, 0.5 GiB unreclaimable; target 3.2 GiB.
        auto e = estimate_image(mi(8 * G, G, 2 * G, 4 * G + G / 2, 0), 3 * G + G / 5);
        REQUIRE(e);
        uint64_t target = 3 * G + G / 5;
        CHECK(e->image == target + target / 100);
        CHECK(e->pushed_to_swap == 7 * G - target - 2 * G);
        CHECK(e->needed == e->image + e->pushed_to_swap);
}

TEST_CASE("image estimate: unreclaimable memory sets a floor above image_size")
{
        auto e = estimate_image(mi(8 * G, G, 0, 0, 0), G);
        REQUIRE(e);
        CHECK(e->image == 7 * G + 7 * G / 100);
        CHECK(e->pushed_to_swap == 0);
        CHECK_FALSE(estimate_image({{"MemTotal", 1}}, 0));
        CHECK_FALSE(estimate_image({{"MemTotal", 1}, {"MemFree", 2}}, 0));
}

TEST_CASE("fit verdicts and byte formatting")
{
        CHECK(judge_fit(100, 101, 10) == FitVerdict::DoesNotFit);
        CHECK(judge_fit(105, 100, 10) == FitVerdict::Tight);
        CHECK(judge_fit(110, 100, 10) == FitVerdict::Fits);
        CHECK(judge_fit(UINT64_MAX - 1, UINT64_MAX - 10, 10) == FitVerdict::Tight);
        CHECK(format_bytes(512) == "512 B");
        CHECK(format_bytes(3 * G / 2) == "1.5 GiB");
}
