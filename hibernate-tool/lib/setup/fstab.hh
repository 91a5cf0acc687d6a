// SPDX-License-Identifier: LGPL-2.1-or-later
// Swap lines in /etc/fstab: the ones there (parsed with libmount) and the one setup adds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "setup/context.hh"

namespace ht {

// fstab with one swap line appended (a newline is added first when the file lacks one).
std::string fstab_append_swap(std::string_view fstab, std::string_view source);

struct FstabSwap {
        std::string source;
        std::string resolved;  // canonical in-root path, empty when unresolved
        bool file = false;
};
// The swap entries of an fstab text (nullopt: no fstab).
std::vector<FstabSwap> fstab_swaps(const Ctx &c, const std::optional<std::string> &text);

}  // namespace ht
