// SPDX-License-Identifier: LGPL-2.1-or-later
// /etc/crypttab (crypttab(5)): a small bounded parser (pure), and whether a mapping gets a
// new random key at every boot — swap encrypted that way can never be resumed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ht {

inline constexpr size_t CRYPTTAB_MAX_ENTRIES = 1024;
inline constexpr size_t CRYPTTAB_MAX_LINE = 4096;

struct CrypttabEntry {
        unsigned line = 0;           // 1-based line number
        std::string name;            // the mapping: /dev/mapper/<name>
        std::string device;          // UUID=…, /dev/…
        std::string key;             // key file, "none" or "-" (empty when absent)
        std::vector<std::string> options;

        bool has_option(std::string_view o) const;                     // "o" or "o=…"
        std::optional<std::string> option_value(std::string_view o) const;  // "o=value"
        // Why the mapping is re-keyed randomly (or re-created) at every boot; "" when not.
        std::string random_key_reason() const;
};

struct CrypttabParse {
        std::vector<CrypttabEntry> entries;
        std::vector<std::string> warnings;  // "line N: …", lines ignored
};

// Fields separated by blanks, '#' comments, at most CRYPTTAB_MAX_ENTRIES entries and lines
// of CRYPTTAB_MAX_LINE bytes (longer lines are ignored with a warning). Octal escapes
// (\040) in the first two fields are decoded.
CrypttabParse parse_crypttab(std::string_view text);

}  // namespace ht
