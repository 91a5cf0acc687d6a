// SPDX-License-Identifier: LGPL-2.1-or-later
// The checks of swap-present, swap-size, two-pageset: the swap areas, memory and the image size.
#include "checks/context.hh"

namespace ht::check_detail {

// ---- swap-present ----------------------------------------------------------------------

void gather_swaps(Ctx &c)
{
        c.swaps_text = c.host.read_file("/proc/swaps");
        if (!c.swaps_text)
                return;
        c.swaps = parse_proc_swaps(*c.swaps_text);
        for (auto &e : c.swaps.entries) {
                SwapReport s;
                s.entry = e;
                // For a swap file this is the file's own swap header UUID.
                if (auto &p = c.probe_swap(e.path); p && p->uuid)
                        s.uuid = p->uuid;
                c.rep.swaps.push_back(std::move(s));
        }
}

void check_swap_present(Ctx &c)
{
        if (!c.swaps_text) {
                c.add("swap-present", CheckStatus::Skip, "Cannot read the active swap areas",
                      c.swaps_text.error().message);
                return;
        }
        std::string detail;
        for (auto &e : c.swaps.errors)
                detail += "/proc/swaps " + e + ", ignoring.\n";
        std::vector<std::string> unusable;
        uint64_t total = 0;
        size_t n = 0;
        for (auto &e : c.swaps.entries) {
                if (e.kind == SwapKind::Zram)
                        unusable.push_back(printable(e.path) + " (zram lives in RAM and is lost at power-off)");
                else if (e.deleted)
                        unusable.push_back(printable(e.path) + " (deleted swap file: no path to resume from)");
                else {
                        n++;
                        total += e.size_bytes;
                }
        }
        if (!unusable.empty())
                detail += "Cannot hold an image: " + join(unusable, ", ") + ".\n";
        if (!detail.empty())
                detail.pop_back();
        if (n == 0) {
                std::string zswap;
                if (auto z = c.host.read_line("/sys/module/zswap/parameters/enabled"); z && (*z == "Y" || *z == "1"))
                        zswap = " zswap is enabled, but it is only a compressed cache in front of a swap device.";
                c.add("swap-present", CheckStatus::Fail,
                      c.swaps.entries.empty() ? "No swap is active" : "No active swap can hold a hibernation image",
                      detail + zswap,
                      "Create a swap partition or swap file on disk at least as large as RAM and activate it "
                      "(hibernate-tool setup does this).");
                return;
        }
        c.add("swap-present", CheckStatus::Pass,
              std::to_string(n) + " usable swap area" + (n == 1 ? "" : "s") + " active (" + format_bytes(total) + ")",
              detail);
}

// ---- memory, pagesets --------------------------------------------------------------------

void gather_memory(Ctx &c)
{
        if (c.resume_swap) {
                auto &e = c.swaps.entries[*c.resume_swap];
                c.free_swap = e.size_bytes - std::min(e.used_bytes, e.size_bytes);
        }
        c.meminfo_text = c.host.read_file("/proc/meminfo");
        if (!c.meminfo_text)
                return;
        auto meminfo = parse_meminfo(*c.meminfo_text);
        if (c.cfg.image_size_bytes) {
                c.image_target = *c.cfg.image_size_bytes;
                c.target_from = "[check] image_size";
        } else if (auto is = c.host.read_line("/sys/power/image_size"); is && parse_u64(*is)) {
                c.image_target = *parse_u64(*is);
                c.target_from = "/sys/power/image_size";
        } else {
                c.image_target = meminfo.count("MemTotal") ? meminfo["MemTotal"] / 5 * 2 : 0;
                c.target_from = "the kernel default, 2/5 of RAM";
        }
        c.stock_estimate = estimate_image(meminfo, c.image_target, Pagesets::Stock);
        c.two_estimate = estimate_image(meminfo, c.image_target, Pagesets::Two);
        if (c.two_estimate) {
                c.rep.two_pageset_estimate = *c.two_estimate;
                if (c.free_swap)
                        c.two_fit = judge_fit(*c.free_swap, c.two_estimate->needed, c.cfg.swap_margin_percent);
        }
}

// The one decision of which pageset mode hibernating now uses (pre carries it out).
void plan_pagesets(Ctx &c)
{
        auto &p = c.rep.pagesets;
        p.config = c.cfg.pagesets;
        if (auto k = read_pagesets_kernel(c.host))
                p.kernel = *k;
        else
                p.kernel_error = k.error().message;
        std::optional<bool> fits;
        if (c.two_fit)
                fits = *c.two_fit == FitVerdict::Fits;
        p.decision = decide_pagesets(p.config, p.kernel.supported, fits);
}

// ---- swap-size -------------------------------------------------------------------------

void check_swap_size(Ctx &c)
{
        const char *id = "swap-size";
        if (!c.resume_swap) {
                c.add(id, CheckStatus::Skip, "No active resume swap to measure");
                return;
        }
        if (!c.meminfo_text) {
                c.add(id, CheckStatus::Skip, "Cannot read memory usage", c.meminfo_text.error().message);
                return;
        }
        bool two = c.rep.pagesets.decision.mode == Pagesets::Two;
        auto &est = two ? c.two_estimate : c.stock_estimate;
        if (!est) {
                c.add(id, CheckStatus::Skip, "Cannot estimate the image size", est.error().message);
                return;
        }
        auto &e = c.swaps.entries[*c.resume_swap];
        uint64_t free = *c.free_swap;
        auto verdict = judge_fit(free, est->needed, c.cfg.swap_margin_percent);
        std::string how;
        if (two)
                how = "; two-pageset hibernation saves all of it without shrinking: pageset 2 (page cache and "
                      "process memory) " + format_bytes(est->pageset2) + " written in place uncompressed, pageset 1 " +
                      format_bytes(est->pageset1) + " copied (LZO-compressed by default, which usually makes it "
                      "smaller; not counted). Estimated image " + format_bytes(est->image) + ".";
        else
                how = "; the kernel shrinks the image towards image_size " + format_bytes(est->target) + " (" +
                      c.target_from + "), dropping up to " + format_bytes(est->droppable) +
                      " of page cache and swapping out " + format_bytes(est->pushed_to_swap) +
                      " of anonymous memory. Estimated image " + format_bytes(est->image) +
                      " uncompressed (the kernel compresses with LZO by default, which usually makes it smaller; not "
                      "counted).";
        std::string detail = "Memory in use " + format_bytes(est->used) + " of " + format_bytes(est->mem_total) + how +
                             " Swap needed " + format_bytes(est->needed) + "; free on " + printable(e.path) + ": " +
                             format_bytes(free) + " of " + format_bytes(e.size_bytes) + ".";
        uint64_t ram = est->mem_total;
        std::string remedy = "Grow the resume swap: at least " + format_bytes(est->needed) +
                             " free now, and RAM-sized (" + format_bytes(ram) +
                             ") to hibernate whatever is running (hibernate-tool setup --swap-file PATH --size auto)" +
                             (two ? "; or set pagesets = \"auto\" or \"stock\" in the [kernel] section of "
                                    "/etc/hibernate-tool/hibernate.toml, so that the kernel shrinks the image."
                                  : ".");
        std::string what = two ? "the two-pageset image" : "the image";
        switch (verdict) {
        case FitVerdict::DoesNotFit:
                c.add(id, CheckStatus::Fail,
                      std::string("Swap is too small") + (two ? " for the two-pageset image" : "") + ": about " +
                              format_bytes(est->needed) + " needed, " + format_bytes(free) + " free",
                      detail, remedy);
                break;
        case FitVerdict::Tight:
                c.add(id, CheckStatus::Warn,
                      std::string("Swap is tight") + (two ? " for the two-pageset image" : "") + ": about " +
                              format_bytes(est->needed) + " needed, " + format_bytes(free) + " free (less than " +
                              std::to_string(c.cfg.swap_margin_percent) + "% spare)",
                      detail, remedy);
                break;
        case FitVerdict::Fits:
                c.add(id, CheckStatus::Pass,
                      "Swap can hold " + what + ": about " + format_bytes(est->needed) + " needed, " +
                              format_bytes(free) + " free",
                      detail);
                break;
        }
}

// ---- two-pageset -----------------------------------------------------------------------

void check_two_pageset(Ctx &c)
{
        const char *id = "two-pageset";
        auto &p = c.rep.pagesets;
        std::string cfg_text = std::string("pagesets = \"") + pagesets_pref_name(p.config) + "\"";
        if (!p.kernel_error.empty()) {
                c.add(id, CheckStatus::Skip, "Cannot tell whether the kernel offers two-pageset hibernation",
                      p.kernel_error + "; hibernate-tool leaves the kernel's setting alone.");
                return;
        }
        if (!p.kernel.supported) {
                c.add(id, CheckStatus::Skip,
                      "The kernel lacks two-pageset hibernation (no /sys/power/pagesets)",
                      p.config == PagesetsPref::Two ? cfg_text + " is configured; hibernation uses the stock mode."
                                                    : std::string());
                return;
        }
        std::string detail = "The kernel offers two-pageset hibernation (selected in the kernel now: " +
                             std::string(pagesets_name(p.kernel.selected)) + "); the configuration has " + cfg_text +
                             (p.config == PagesetsPref::Auto ? " (the default)" : "") + ", so hibernate-tool pre selects " +
                             pagesets_name(p.decision.mode) + ": " + p.decision.why + ".";
        std::string need, have;
        if (c.two_estimate) {
                auto &e = *c.two_estimate;
                need = format_bytes(e.needed);
                detail += " A two-pageset image holds all memory in use: about " + format_bytes(e.image) +
                          " (pageset 2, page cache and process memory: " + format_bytes(e.pageset2) +
                          ", written in place; pageset 1: " + format_bytes(e.pageset1) + ", copied).";
        } else if (!c.meminfo_text) {
                detail += " Memory usage cannot be read: " + c.meminfo_text.error().message + ".";
        } else {
                detail += " The two-pageset image cannot be estimated: " + c.two_estimate.error().message + ".";
        }
        if (c.free_swap) {
                have = format_bytes(*c.free_swap);
                detail += " Free on the resume swap: " + have + ".";
        } else {
                detail += " There is no active resume swap to measure.";
        }
        if (p.kernel.last_pageset2_pages)
                detail += *p.kernel.last_pageset2_pages
                                  ? " The last image written or restored had " +
                                            std::to_string(*p.kernel.last_pageset2_pages) + " pages in pageset 2."
                                  : std::string(" The last hibernation was stock (or there was none yet).");
        std::string grow = need.empty() ? std::string() : "Grow the resume swap to at least " + need + " free";
        std::string config_file = " in the [kernel] section of /etc/hibernate-tool/hibernate.toml";

        if (p.config == PagesetsPref::Stock) {
                c.add(id, CheckStatus::Warn,
                      "Two-pageset hibernation is available but configured off (" + cfg_text +
                              "): the page cache is dropped when hibernating",
                      detail,
                      "Set pagesets = \"auto\"" + config_file +
                              " to keep the page cache (and processes' memory) in RAM across hibernation.");
                return;
        }
        std::string sizes = need.empty() || have.empty() ? std::string() : "about " + need + " needed, " + have + " free";
        if (p.decision.mode == Pagesets::Two) {
                if (c.two_fit == FitVerdict::Fits) {
                        c.add(id, CheckStatus::Pass,
                              "Two-pageset hibernation will be used: the page cache stays warm (about " + need +
                                      " of swap needed, " + have + " free)",
                              detail);
                } else if (!c.two_fit) {
                        c.add(id, CheckStatus::Warn,
                              "Two-pageset hibernation will be used (" + cfg_text +
                                      "), but whether swap can hold its image cannot be told",
                              detail, "See the swap-size check.");
                } else {
                        bool tight = *c.two_fit == FitVerdict::Tight;
                        c.add(id, CheckStatus::Warn,
                              cfg_text + (tight ? ", but swap is tight for the two-pageset image: "
                                                : ", but swap is too small for the two-pageset image: ") +
                                      sizes +
                                      (tight ? " (less than " + std::to_string(c.cfg.swap_margin_percent) + "% spare)"
                                             : "; the kernel will refuse to hibernate (ENOSPC)"),
                              detail,
                              grow + ", or set pagesets = \"stock\" (or \"auto\", which falls back to stock)" +
                                      config_file + ".");
                }
                return;
        }
        // auto, falling back to stock
        c.add(id, CheckStatus::Warn,
              "Two-pageset hibernation is not used: " + p.decision.why + (sizes.empty() ? "" : " (" + sizes + ")") +
                      "; hibernation falls back to stock (the page cache is dropped)",
              detail,
              c.two_fit ? grow + " to keep the page cache across hibernation, or set pagesets = \"stock\"" +
                                  config_file + " to choose stock hibernation explicitly."
                        : std::string("See the swap-size check."));
}

}  // namespace ht::check_detail
