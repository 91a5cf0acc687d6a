// SPDX-License-Identifier: LGPL-2.1-or-later
// Command-line parsing of the programs, in the library so that it is unit-tested and fuzzed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json.hh"
#include "result.hh"

namespace ht {

// The one option scanner of every program (hibernate-check, hibernate-tool, hibernate-tool
// setup): "--opt=value" and "--opt value"; with ends_at_dashdash, "--" ends the options.
//
//     ArgScanner s(args);
//     while (s.next()) {
//             if (s.is("--root")) { auto v = s.value(); … }
//             else if (s.is("--json")) { if (auto st = s.flag(o.json); !st) return st.error(); }
//             else return s.unexpected();
//     }
class ArgScanner {
public:
        explicit ArgScanner(const std::vector<std::string> &args, bool ends_at_dashdash = false)
                : args_(args), dashdash_(ends_at_dashdash)
        {
        }
        // Moves to the next argument; false at the end (or at "--" when that ends options).
        bool next();
        // The current argument without its "=value" (for "--opt=value").
        const std::string &arg() const { return name_; }
        bool is(const char *name) const { return name_ == name; }
        // The option's value: the inline "=value" or the next argument.
        Result<std::string> value();
        // An option without a value: an inline "=value" is an error; with once, a second
        // occurrence is too. Sets dst.
        Status flag(bool &dst, bool once = false);
        // The inline "=value" of the current argument, if it has one.
        const std::optional<std::string> &inline_value() const { return inline_; }
        // Nothing but an error when the current argument has an inline value.
        Status no_value() const;
        // "unknown option '…'" or "unexpected argument '…'" for the current argument.
        Error unexpected() const;

private:
        const std::vector<std::string> &args_;
        bool dashdash_;
        size_t i_ = 0;
        bool started_ = false;
        std::string name_;
        std::optional<std::string> inline_;
};

// The options every program takes, handled in one place (scan_common_option).
struct CommonOptions {
        std::string root = "/";
        std::optional<std::string> config;
        JsonStyle json = JsonStyle::Off;
        bool help = false;
        bool version = false;
};

// --root DIR, --config FILE (unless !takes_config), --json[=pretty|short|off] (a plain
// --json means plain_json), -h/--help and --version: true when the scanner's current
// argument was one of them, false when it is not a common option, an error for a bad or
// repeated value.
Result<bool> scan_common_option(ArgScanner &a, CommonOptions &o, JsonStyle plain_json, bool takes_config = true);

struct CheckOptions : CommonOptions {
        bool verbose = false;
};

// argv without the program name. Accepts --opt=value and --opt value; "--" ends options.
Result<CheckOptions> parse_check_args(const std::vector<std::string> &args);

extern const char CHECK_USAGE[];

// hibernate-tool VERB [OPTIONS]
struct ToolOptions : CommonOptions {
        std::string verb;  // resume, record, invalidate, pre, post, gate, boot-entry, prefetch
        std::string mode;  // pre: hibernate, hybrid-sleep, suspend-then-hibernate
        bool boot = false;   // post --boot
        bool watch = false;  // gate --watch
        bool record = false;  // prefetch --record
        std::string boot_entry;  // record: --boot-entry ID
        std::string kernel;      // boot-entry: --kernel RELEASE
        bool dry_run = false;
};
Result<ToolOptions> parse_tool_args(const std::vector<std::string> &args);
// The general help (no verb) or one verb's own help ("hibernate-tool VERB --help").
std::string tool_usage(const std::string &verb = std::string());

// Colour only when the stream is a terminal and NO_COLOR is unset (https://no-color.org).
bool want_color(int fd);

}  // namespace ht
