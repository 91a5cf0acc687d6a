// SPDX-License-Identifier: LGPL-2.1-or-later
// Swap lines in /etc/fstab: the ones there and the one setup adds. Reading is libmount's
// (the same parser mount, swapon and systemd-fstab-generator use); the new line is appended
// as text with its fields escaped as fstab(5) says, and the result is parsed back with
// libmount before it is written.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"
#include "setup/context.hh"

namespace ht {

// One fstab field as fstab(5) wants it: space \040, tab \011, newline \012, backslash \134
// (octal escapes, which libmount undoes); every other byte as it is.
std::string fstab_escape(std::string_view field);
// The line setup adds for a swap area (source unescaped), with its newline.
std::string fstab_swap_line(std::string_view source);
// fstab with that line appended (a newline is added first when the file lacks one).
std::string fstab_append_swap(std::string_view fstab, std::string_view source);

struct FstabEntry {
        std::string source;  // unescaped
        std::string target;
        std::string fstype;
};
struct FstabTable {
        std::vector<FstabEntry> entries;
        unsigned bad_lines = 0;  // lines libmount could not parse (skipped)
};
// Parses fstab text with libmount (mnt_table_parse_stream).
Result<FstabTable> fstab_parse(std::string_view text);
// The fstab setup is about to write parses with libmount (no line it cannot parse beyond
// those already in old_text) and holds a swap entry for source exactly once.
Status fstab_verify(std::string_view old_text, std::string_view new_text, std::string_view source);

struct FstabSwap {
        std::string source;
        std::string resolved;  // canonical in-root path, empty when unresolved
        bool file = false;
};
// The swap entries of an fstab text (nullopt: no fstab).
Result<std::vector<FstabSwap>> fstab_swaps(const Ctx &c, const std::optional<std::string> &text);

}  // namespace ht
