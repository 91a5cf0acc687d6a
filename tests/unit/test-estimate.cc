#include "catch.hh"

#include "estimate.hh"
#include "host.hh"
#include "temp-root.hh"

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

TEST_CASE("image estimate, two pagesets: all memory in use, nothing shrunk or swapped out")
{
        // 7 GiB used: 2 GiB cache, 4.5 GiB anon, 0.5 GiB unreclaimable; image_size 3.2 GiB is
        // what the stock mode would shrink to, and does not apply.
        auto m = mi(8 * G, G, 2 * G, 4 * G + G / 2, 0);
        auto stock = estimate_image(m, 3 * G + G / 5, Pagesets::Stock);
        auto two = estimate_image(m, 3 * G + G / 5, Pagesets::Two);
        REQUIRE(stock);
        REQUIRE(two);
        CHECK(stock->mode == Pagesets::Stock);
        CHECK(two->mode == Pagesets::Two);
        CHECK(two->used == 7 * G);
        CHECK(two->pageset2 == 6 * G + G / 2);  // LRU: file + anon
        CHECK(two->pageset1 == G / 2);
        CHECK(two->image == 7 * G + 7 * G / 100);
        CHECK(two->pushed_to_swap == 0);
        CHECK(two->needed == two->image);
        // Stock drops the 2 GiB of page cache (and swaps 1.8 GiB of anon out); two keeps it all.
        CHECK(stock->needed == stock->image + (7 * G - (3 * G + G / 5) - 2 * G));
        CHECK(two->needed > stock->needed);

        // Active/Inactive totals win over the per-type fields when present; LRU > used is clamped.
        m["Active"] = 3 * G;
        m["Inactive"] = G;
        two = estimate_image(m, 0, Pagesets::Two);
        REQUIRE(two);
        CHECK(two->pageset2 == 4 * G);
        CHECK(two->pageset1 == 3 * G);
        m["Active"] = 9 * G;
        two = estimate_image(m, 0, Pagesets::Two);
        REQUIRE(two);
        CHECK(two->pageset2 == 7 * G);
        CHECK(two->pageset1 == 0);

        // Nothing to shrink: both modes save all of it.
        auto small = mi(8 * G, 6 * G, G / 2, G, 100 * M);
        CHECK(estimate_image(small, 8 * G / 5 * 2, Pagesets::Two)->needed ==
              estimate_image(small, 8 * G / 5 * 2, Pagesets::Stock)->needed);
        CHECK_FALSE(estimate_image({{"MemTotal", 1}}, 0, Pagesets::Two));
}

TEST_CASE("pageset mode: kernel file and the decision")
{
        CHECK(parse_pagesets_selection("[stock] two\n").value() == Pagesets::Stock);
        CHECK(parse_pagesets_selection("stock [two]").value() == Pagesets::Two);
        for (const char *bad : {"", "two", "[two]", "[stock] [two]", "stock two", "[stock] two three", "[stock] other"}) {
                auto r = parse_pagesets_selection(bad);
                REQUIRE_FALSE(r);
                CHECK(r.error().message.find("/sys/power/pagesets reads '") == 0);
        }
        CHECK(parse_pagesets_selection("[stock] two\nmore").error().message.find("'[stock] two'") != std::string::npos);

        auto d = decide_pagesets(PagesetsPref::Auto, true, true);
        CHECK((d.mode == Pagesets::Two && !d.fallback));
        d = decide_pagesets(PagesetsPref::Auto, true, false);
        CHECK((d.mode == Pagesets::Stock && d.fallback));
        CHECK(d.why == "the resume swap cannot hold the two-pageset image with the configured margin");
        d = decide_pagesets(PagesetsPref::Auto, true, std::nullopt);
        CHECK((d.mode == Pagesets::Stock && d.fallback));
        d = decide_pagesets(PagesetsPref::Auto, false, true);
        CHECK((d.mode == Pagesets::Stock && !d.fallback));
        d = decide_pagesets(PagesetsPref::Two, true, false);  // the user's choice, even if it will not fit
        CHECK((d.mode == Pagesets::Two && !d.fallback));
        d = decide_pagesets(PagesetsPref::Two, false, true);
        CHECK((d.mode == Pagesets::Stock && d.fallback));
        CHECK(d.why == "the kernel lacks two-pageset hibernation");
        d = decide_pagesets(PagesetsPref::Stock, true, true);
        CHECK((d.mode == Pagesets::Stock && !d.fallback));
        CHECK(std::string(pagesets_name(Pagesets::Two)) == "two");
        CHECK(std::string(pagesets_pref_name(PagesetsPref::Auto)) == "auto");
}

TEST_CASE("pageset mode: read through the root")
{
        TempRoot r;
        r.mkdir("/sys/power");
        Host h(r.dir);
        auto k = read_pagesets_kernel(h);
        REQUIRE(k);
        CHECK_FALSE(k->supported);  // an unpatched kernel
        CHECK_FALSE(k->last_pageset2_pages);
        r.write("/sys/power/pagesets", "stock [two]\n");
        r.write("/sys/power/pageset2_pages", "123456\n");
        k = read_pagesets_kernel(h);
        REQUIRE(k);
        CHECK(k->supported);
        CHECK(k->selected == Pagesets::Two);
        CHECK(k->last_pageset2_pages == std::optional<uint64_t>(123456));
        r.write("/sys/power/pageset2_pages", "lots\n");
        CHECK_FALSE(read_pagesets_kernel(h)->last_pageset2_pages);
        r.write("/sys/power/pagesets", "garbage\n");
        CHECK_FALSE(read_pagesets_kernel(h));
        r.mkdir("/sys/power/x");
        (void)std::system(("rm '" + r.dir + "/sys/power/pagesets' && mkdir '" + r.dir + "/sys/power/pagesets'").c_str());
        auto dir = read_pagesets_kernel(h);  // unreadable: an error, not "unsupported"
        REQUIRE_FALSE(dir);
        CHECK(dir.error().message.find("cannot read /sys/power/pagesets") == 0);
}

TEST_CASE("image_size fit: everything fits a large swap: the target is all of RAM, nothing dropped")
{
        // 8 GiB RAM, 5 GiB used, 10 GiB free swap: even a whole-RAM target fits.
        auto f = fit_image_size(mi(8 * G, 3 * G, 2 * G, 2 * G, 0), 10 * G, 8 * G / 5 * 2, 10);
        REQUIRE(f);
        CHECK(f->target == 8 * G);
        CHECK(f->raised);
        CHECK(f->dropped == 0);
        CHECK(f->needed == 5 * G + 5 * G / 100);
}

TEST_CASE("image_size fit: a swap smaller than used memory: the worst case (freed memory swapped out) fits")
{
        // 8 GiB RAM, 7 GiB used (5 GiB cache, 1 GiB anon), 5 GiB free swap, 10 % margin:
        // target + 1 % + 1 GiB (all anon swapped out) must stay within 5 GiB / 1.1.
        auto m = mi(8 * G, G, 5 * G, G, 0);
        auto f = fit_image_size(m, 5 * G, 8 * G / 5 * 2, 10);
        REQUIRE(f);
        CHECK(f->raised);
        CHECK(f->target > 8 * G / 5 * 2);
        CHECK(f->target < 7 * G);
        CHECK(f->target % 4096 == 0);
        CHECK(f->dropped == 7 * G - f->target);
        // The worst case fits with the margin; a page more would not.
        CHECK(judge_fit(5 * G, f->needed, 10) == FitVerdict::Fits);
        auto more = fit_image_size(m, 5 * G, 0, 10);
        REQUIRE(more);
        CHECK(more->target == f->target);  // the same answer from any lower start
        auto worse = fit_image_size(m, 5 * G, f->target + 8192, 10);  // a caller already above
        REQUIRE(worse);
        CHECK(worse->target == f->target + 8192);  // never lowered
        CHECK_FALSE(worse->raised);
        CHECK(judge_fit(5 * G, worse->needed, 10) != FitVerdict::Fits);  // the largest that fits
        // The kernel's own model at the chosen target needs no more than the worst case.
        auto e = estimate_image(m, f->target);
        REQUIRE(e);
        CHECK(e->needed <= f->needed);
}

TEST_CASE("image_size fit: when even the kernel's setting is tight, it is kept")
{
        // Mostly anonymous memory on a swap smaller than used memory: whatever the target,
        // the worst case is all of it in swap; nothing to raise.
        auto f = fit_image_size(mi(8 * G, G, 0, 6 * G, 0), 3 * G, 8 * G / 5 * 2, 10);
        REQUIRE(f);
        CHECK(f->target == 8 * G / 5 * 2);
        CHECK_FALSE(f->raised);
        CHECK_FALSE(fit_image_size({{"MemTotal", 1}}, G, 0, 10));
        CHECK_FALSE(fit_image_size({{"MemTotal", 1}, {"MemFree", 2}}, G, 0, 10));
        // No swap at all, huge numbers: no overflow, nothing raised.
        auto z = fit_image_size(mi(UINT64_MAX / 2, 0, 0, UINT64_MAX / 4, 0), 0, 0, 10);
        REQUIRE(z);
        CHECK_FALSE(z->raised);
}
