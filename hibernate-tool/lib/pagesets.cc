// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pagesets.hh"

#include "host.hh"
#include "parse.hh"

namespace ht {

const char *pagesets_name(Pagesets p)
{
        return p == Pagesets::Two ? "two" : "stock";
}

const char *pagesets_pref_name(PagesetsPref p)
{
        switch (p) {
        case PagesetsPref::Auto: return "auto";
        case PagesetsPref::Two: return "two";
        case PagesetsPref::Stock: return "stock";
        }
        return "auto";
}

Result<Pagesets> parse_pagesets_selection(std::string_view text)
{
        auto c = parse_choice_list(text);
        bool items_ok = c.items.size() == 2 && ((c.items[0] == "stock" && c.items[1] == "two") ||
                                               (c.items[0] == "two" && c.items[1] == "stock"));
        size_t brackets = 0;
        for (char ch : text)
                brackets += ch == '[';
        if (!items_ok || !c.selected || brackets != 1) {
                std::string_view shown = text.substr(0, text.find('\n'));
                return Error{EINVAL, std::string(PAGESETS_FILE) + " reads '" + printable(shown) +
                                             "', not \"[stock] two\" or \"stock [two]\""};
        }
        return *c.selected == "two" ? Pagesets::Two : Pagesets::Stock;
}

std::optional<uint64_t> read_pageset2_pages(const Host &host)
{
        auto t = host.read_line(PAGESET2_PAGES_FILE);
        if (!t)
                return std::nullopt;
        return parse_u64(*t);
}

Result<PagesetsKernel> read_pagesets_kernel(const Host &host)
{
        PagesetsKernel k;
        auto t = host.read_file(PAGESETS_FILE, 4096);
        if (!t) {
                if (t.error().code == ENOENT)
                        return k;
                return Error{t.error().code, std::string("cannot read ") + PAGESETS_FILE + ": " + t.error().message};
        }
        auto sel = parse_pagesets_selection(*t);
        if (!sel)
                return sel.error();
        k.supported = true;
        k.selected = *sel;
        k.last_pageset2_pages = read_pageset2_pages(host);
        return k;
}

PagesetsDecision decide_pagesets(PagesetsPref pref, bool supported, std::optional<bool> two_fits)
{
        PagesetsDecision d;
        if (pref == PagesetsPref::Stock) {
                d.why = "pagesets = \"stock\" in the configuration";
                return d;
        }
        if (!supported) {
                d.fallback = pref == PagesetsPref::Two;
                d.why = "the kernel lacks two-pageset hibernation";
                return d;
        }
        if (pref == PagesetsPref::Two) {
                d.mode = Pagesets::Two;
                d.why = "pagesets = \"two\" in the configuration";
                return d;
        }
        if (two_fits && *two_fits) {
                d.mode = Pagesets::Two;
                d.why = "the resume swap can hold the two-pageset image";
                return d;
        }
        d.fallback = true;
        d.why = two_fits ? "the resume swap cannot hold the two-pageset image with the configured margin"
                         : "the two-pageset image size cannot be estimated";
        return d;
}

}  // namespace ht
