// SPDX-License-Identifier: LGPL-2.1-or-later
// Two-pageset hibernation (kernel-patches/): page cache and processes' anonymous pages
// (the LRU pages, "pageset 2") are written to swap in place, the rest ("pageset 1") is
// copied atomically into their frames, so the image holds nearly all of RAM and the page
// cache is warm after resume. Patched kernels have /sys/power/pagesets ("[stock] two" or
// "stock [two]", writable) and /sys/power/pageset2_pages (pages in pageset 2 of the last
// image written or restored, 0 for stock). The one place that reads them and decides which
// mode hibernate-tool selects; hibernate-check describes the decision, `pre` carries it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.hh"

namespace ht {

class Host;

enum class Pagesets { Stock, Two };
const char *pagesets_name(Pagesets p);  // "stock", "two"

// [kernel] pagesets in the configuration.
enum class PagesetsPref { Auto, Two, Stock };
const char *pagesets_pref_name(PagesetsPref p);  // "auto", "two", "stock"

inline constexpr const char *PAGESETS_FILE = "/sys/power/pagesets";
inline constexpr const char *PAGESET2_PAGES_FILE = "/sys/power/pageset2_pages";

// "[stock] two" / "stock [two]" (a trailing newline is fine); anything else is an error.
Result<Pagesets> parse_pagesets_selection(std::string_view text);

struct PagesetsKernel {
        bool supported = false;                   // /sys/power/pagesets exists
        Pagesets selected = Pagesets::Stock;      // its bracketed choice
        std::optional<uint64_t> last_pageset2_pages;  // /sys/power/pageset2_pages
};
// A missing /sys/power/pagesets is a kernel without the feature (supported = false); one
// that cannot be read or does not read as the contract says is an error.
Result<PagesetsKernel> read_pagesets_kernel(const Host &host);
// /sys/power/pageset2_pages, nullopt when absent or not a number.
std::optional<uint64_t> read_pageset2_pages(const Host &host);

// Which mode hibernating now uses. two_fit: whether the resume swap holds the two-pageset
// image with the configured margin (true), does not (false), or cannot be told (nullopt).
//   stock → stock;  two → two when the kernel supports it, else stock (fallback);
//   auto  → two when supported and it fits, else stock (a fallback when supported).
struct PagesetsDecision {
        Pagesets mode = Pagesets::Stock;
        bool fallback = false;  // two-pageset hibernation was wanted but stock is used
        std::string why;        // one clause, e.g. "the kernel lacks two-pageset hibernation"
};
PagesetsDecision decide_pagesets(PagesetsPref pref, bool supported, std::optional<bool> two_fits);

// Everything hibernate-check reports and `pre` acts on.
struct PagesetsPlan {
        PagesetsKernel kernel;
        std::string kernel_error;  // /sys/power/pagesets exists but is unreadable or garbage
        PagesetsPref config = PagesetsPref::Auto;
        PagesetsDecision decision;
};

}  // namespace ht
