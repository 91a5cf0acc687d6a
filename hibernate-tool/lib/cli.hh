// SPDX-License-Identifier: LGPL-2.1-or-later
// Command-line parsing of the programs, in the library so that it is unit-tested and fuzzed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "result.hh"

namespace ht {

struct CheckOptions {
        std::string root = "/";
        std::optional<std::string> config;
        bool json = false;
        bool verbose = false;
        bool help = false;
        bool version = false;
};

// argv without the program name. Accepts --opt=value and --opt value; "--" ends options.
Result<CheckOptions> parse_check_args(const std::vector<std::string> &args);

extern const char CHECK_USAGE[];

// hibernate-tool VERB [OPTIONS]
struct ToolOptions {
        std::string verb;  // resume, record, invalidate, pre, post, gate, boot-entry
        std::string mode;  // pre: hibernate, hybrid-sleep, suspend-then-hibernate
        bool boot = false;   // post --boot
        bool watch = false;  // gate --watch
        std::string root = "/";
        std::optional<std::string> config;
        std::string boot_entry;  // record: --boot-entry ID
        bool json = false;
        bool dry_run = false;
        bool help = false;
        bool version = false;
};
Result<ToolOptions> parse_tool_args(const std::vector<std::string> &args);
extern const char TOOL_USAGE[];

// Colour only when the stream is a terminal and NO_COLOR is unset (https://no-color.org).
bool want_color(int fd);

}  // namespace ht
