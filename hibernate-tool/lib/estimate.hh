// SPDX-License-Identifier: LGPL-2.1-or-later
// How much swap a hibernation needs now: a pure model of what Linux 6.1 does in
// hibernate_preallocate_memory() (kernel/power/snapshot.c), and of the two-pageset mode
// (pagesets.hh), which does not shrink. See estimate.cc for the reasoning;
// man/hibernate-check.8 documents the same model for users.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "pagesets.hh"
#include "result.hh"

namespace ht {

struct ImageEstimate {
        uint64_t mem_total = 0;
        uint64_t used = 0;           // MemTotal - MemFree: what the kernel would have to save
        uint64_t droppable = 0;      // file LRU + reclaimable slab: freed without swap
        uint64_t anon = 0;           // anon LRU (incl. shmem/tmpfs): can only go to swap
        uint64_t target = 0;         // image_size the kernel aims for (stock mode only)
        Pagesets mode = Pagesets::Stock;
        uint64_t pageset2 = 0;       // two: LRU pages, written in place, uncompressed
        uint64_t pageset1 = 0;       // two: the rest, copied (and compressed like a stock image)
        uint64_t image = 0;          // estimated image (uncompressed, with metadata)
        uint64_t pushed_to_swap = 0; // anon pages the kernel swaps out to shrink the image
        uint64_t needed = 0;         // image + pushed_to_swap: swap space the hibernation uses
};

// meminfo in bytes (parse_meminfo); image_size_target in bytes (/sys/power/image_size),
// ignored in two-pageset mode.
Result<ImageEstimate> estimate_image(const std::map<std::string, uint64_t> &meminfo, uint64_t image_size_target,
                                     Pagesets mode = Pagesets::Stock);

// [kernel] image_size = "fit": the largest /sys/power/image_size (stock mode) whose worst
// case still fits the free swap with margin_percent to spare. The worst case of a target S:
// the image (S + 1% metadata) plus everything the kernel frees to get there pushed to swap
// as anonymous memory (min(anon, used - S)), not dropped as page cache. The result is never
// below `current` (a raise only: no worse than the kernel's own setting) nor above MemTotal.
struct ImageSizeFit {
        uint64_t target = 0;   // what to write to /sys/power/image_size
        bool raised = false;   // target > current
        uint64_t dropped = 0;  // what the kernel still frees at this target (used - target, or 0)
        uint64_t needed = 0;   // worst-case swap the hibernation uses at this target
};
Result<ImageSizeFit> fit_image_size(const std::map<std::string, uint64_t> &meminfo, uint64_t free_swap,
                                    uint64_t current, unsigned margin_percent);

enum class FitVerdict { Fits, Tight, DoesNotFit };
FitVerdict judge_fit(uint64_t free_swap, uint64_t needed, unsigned margin_percent);

std::string format_bytes(uint64_t bytes);  // "1.5 GiB"

}  // namespace ht
