// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The model (Linux 6.1, stock swsusp):
//  * Everything in use must end up either in the image or somewhere the kernel can drop
//    or page it back from: used = MemTotal - MemFree.
//  * Before taking the snapshot the kernel shrinks memory towards /sys/power/image_size
//    (default 2/5 of RAM). It cannot go below minimum_image_size(): used minus what is
//    reclaimable (file LRU, anon LRU, reclaimable slab).
//  * Dropping page cache and reclaimable slab costs no swap; shrinking anonymous memory
//    (including tmpfs/shmem) means swapping it out — onto the same swap the image goes to.
//  * The image is written LZO-compressed by default. Compression ratios vary wildly
//    (encrypted or already-compressed data do not shrink), so the estimate assumes none:
//    it is an upper bound, and the compression saving is the real-world safety margin.
//  * Metadata (PFN lists, swap map pages) adds well under 1%; 1% is added.
//
// Two-pageset mode (pagesets.hh): nothing is shrunk, image_size does not apply. Pageset 2,
// the LRU pages (Active + Inactive: page cache and anonymous memory), is written in place,
// uncompressed; pageset 1, everything else in use, is copied into their frames and written
// like a stock image. So the image is all of used memory (+1% metadata: PFN index pages
// and swap map pages), and nothing is swapped out besides it.
#include "estimate.hh"

#include <algorithm>
#include <cstdio>

namespace ht {

namespace {
uint64_t get(const std::map<std::string, uint64_t> &m, const char *k)
{
        auto it = m.find(k);
        return it == m.end() ? 0 : it->second;
}
}  // namespace

Result<ImageEstimate> estimate_image(const std::map<std::string, uint64_t> &m, uint64_t target, Pagesets mode)
{
        if (!m.count("MemTotal") || !m.count("MemFree"))
                return Error{ENODATA, "/proc/meminfo lacks MemTotal or MemFree"};
        ImageEstimate e;
        e.mem_total = get(m, "MemTotal");
        uint64_t free = get(m, "MemFree");
        if (free > e.mem_total)
                return Error{EINVAL, "/proc/meminfo reports more free memory than there is"};
        e.used = e.mem_total - free;
        e.droppable = get(m, "Active(file)") + get(m, "Inactive(file)") + get(m, "SReclaimable");
        e.anon = get(m, "Active(anon)") + get(m, "Inactive(anon)");
        e.target = target;
        e.mode = mode;
        if (mode == Pagesets::Two) {
                uint64_t lru = m.count("Active") && m.count("Inactive")
                                       ? get(m, "Active") + get(m, "Inactive")
                                       : get(m, "Active(file)") + get(m, "Inactive(file)") + e.anon;
                e.pageset2 = std::min(e.used, lru);
                e.pageset1 = e.used - e.pageset2;
                e.image = e.used + e.used / 100;
                e.needed = e.image;
                return e;
        }
        uint64_t reclaimable = std::min(e.used, e.droppable + e.anon);
        uint64_t minimum = e.used - reclaimable;
        uint64_t image = e.used <= target ? e.used : std::max(target, minimum);
        uint64_t freed = e.used - image;
        uint64_t from_cache = std::min(freed, e.droppable);
        e.pushed_to_swap = freed - from_cache;
        e.image = image + image / 100;
        e.needed = e.image + e.pushed_to_swap;
        return e;
}

Result<ImageSizeFit> fit_image_size(const std::map<std::string, uint64_t> &m, uint64_t free_swap, uint64_t current,
                                    unsigned margin_percent)
{
        if (!m.count("MemTotal") || !m.count("MemFree"))
                return Error{ENODATA, "/proc/meminfo lacks MemTotal or MemFree"};
        uint64_t total = get(m, "MemTotal"), mfree = get(m, "MemFree");
        if (mfree > total)
                return Error{EINVAL, "/proc/meminfo reports more free memory than there is"};
        uint64_t used = total - mfree;
        uint64_t anon = get(m, "Active(anon)") + get(m, "Inactive(anon)");
        // Worst-case swap use at target s (monotonic in s: +1.01 per byte below `anon` freed,
        // +0.01 above), so the largest fitting s is found by bisection.
        auto worst = [&](uint64_t s) {
                uint64_t image = std::min(s, used);
                image += image / 100;
                uint64_t freed = used > s ? used - s : 0;
                return image + std::min(anon, freed);
        };
        auto fits = [&](uint64_t s) { return judge_fit(free_swap, worst(s), margin_percent) == FitVerdict::Fits; };
        ImageSizeFit f;
        uint64_t lo = std::min(current, total), hi = total;
        if (current >= total || !fits(lo)) {
                f.target = current;  // nothing to gain, or even the kernel's own setting is tight
        } else {
                while (hi - lo > 4096) {  // invariant: fits(lo)
                        uint64_t mid = lo + (hi - lo) / 2;
                        if (fits(mid))
                                lo = mid;
                        else
                                hi = mid;
                }
                f.target = fits(hi) ? hi : lo;
                f.target -= f.target % 4096;
                f.target = std::max(f.target, current);
        }
        f.raised = f.target > current;
        f.dropped = used > f.target ? used - f.target : 0;
        f.needed = worst(f.target);
        return f;
}

FitVerdict judge_fit(uint64_t free_swap, uint64_t needed, unsigned margin_percent)
{
        if (free_swap < needed)
                return FitVerdict::DoesNotFit;
        // needed * (1 + margin/100), saturating
        uint64_t extra = needed / 100 * margin_percent + (needed % 100) * margin_percent / 100;
        uint64_t want = needed > UINT64_MAX - extra ? UINT64_MAX : needed + extra;
        if (free_swap < want)
                return FitVerdict::Tight;
        return FitVerdict::Fits;
}

std::string format_bytes(uint64_t b)
{
        static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = static_cast<double>(b);
        unsigned u = 0;
        while (v >= 1024.0 && u < 5) {
                v /= 1024.0;
                u++;
        }
        char buf[32];
        if (u == 0)
                std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
        else
                std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
        return buf;
}

}  // namespace ht
