// SPDX-License-Identifier: LGPL-2.1-or-later
// The --dry-run diff: a unified diff of a file's content before and after (diff -u, or the
// whole files when diff(1) is missing).
#pragma once

#include <optional>
#include <string>

namespace ht {

// nullopt: the file is absent on that side (/dev/null).
std::string unified_diff(const std::string &path, const std::optional<std::string> &before,
                         const std::optional<std::string> &after);

}  // namespace ht
