// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool setup's command line (pure): the options and their parser, which uses the
// one option scanner of every program (cli.hh).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hh"
#include "result.hh"

namespace ht {

struct SetupOptions : CommonOptions {  // --config is not taken
        bool dry_run = false;
        std::optional<std::string> swap;       // --swap DEVICE (spec as given)
        std::optional<std::string> swap_file;  // --swap-file PATH (absolute, inside the root)
        bool size_auto = true;                 // --size auto (the default)
        uint64_t size_bytes = 0;               // --size SIZE when !size_auto
        bool size_given = false;
        bool no_regenerate = false;
        bool undo = false;
};

inline constexpr uint64_t SETUP_MIN_SIZE = 16ull << 20;  // smallest --size accepted

// argv after "setup". Accepts --opt=value and --opt value; "--" is not needed (no operands).
Result<SetupOptions> parse_setup_args(const std::vector<std::string> &args);
extern const char SETUP_USAGE[];

}  // namespace ht
