// SPDX-License-Identifier: LGPL-2.1-or-later
// The pure parsing layer: text in, structures out. No I/O here; every function is
// bounds-checked and total (any input gives a value or an Error, never a crash).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace ht {

// ---- kernel command line -------------------------------------------------------------
// Split like the kernel's next_arg(): whitespace separates words, double quotes group
// (and are removed), a quote may start in the middle of a word ("foo=\"a b\"").
struct CmdlineArg {
        std::string key;
        std::optional<std::string> value;  // nullopt for a bare flag
};
std::vector<CmdlineArg> parse_cmdline(std::string_view text);

class Cmdline {
public:
        Cmdline() = default;
        explicit Cmdline(std::string_view text) : args_(parse_cmdline(text)) {}
        // Last occurrence wins, as with the kernel's __setup handlers.
        std::optional<std::string> value(std::string_view key) const;
        bool has_flag(std::string_view key) const;  // key present, with or without value
        const std::vector<CmdlineArg> &args() const { return args_; }

private:
        std::vector<CmdlineArg> args_;
};

// ---- /proc/swaps -------------------------------------------------------------------
enum class SwapKind { Partition, File, Zram };
struct SwapEntry {
        std::string path;           // unescaped, " (deleted)" removed
        std::string type;           // as the kernel says: "partition" or "file"
        SwapKind kind = SwapKind::Partition;
        bool deleted = false;
        uint64_t size_bytes = 0;
        uint64_t used_bytes = 0;
        int priority = 0;
};
struct SwapsParse {
        std::vector<SwapEntry> entries;
        std::vector<std::string> errors;  // one message per malformed line
};
SwapsParse parse_proc_swaps(std::string_view text);
std::string unescape_octal(std::string_view s);  // "\040" → " " as the kernel escapes paths
bool path_is_zram(std::string_view path);

// ---- /proc/meminfo -----------------------------------------------------------------
// Values converted to bytes ("kB" suffix), keyed by field name.
std::map<std::string, uint64_t> parse_meminfo(std::string_view text);

// ---- numbers -----------------------------------------------------------------------
std::optional<uint64_t> parse_u64(std::string_view s);  // decimal, whole string, no overflow
std::optional<int64_t> parse_i64(std::string_view s);
// "8G", "512M", "1024", "2.5G" are not accepted (fractional); K/M/G/T binary suffixes,
// optional trailing "iB" or "B".
std::optional<uint64_t> parse_size(std::string_view s);
std::optional<std::pair<unsigned, unsigned>> parse_devnum(std::string_view s);  // "MAJ:MIN"

// ---- resume= specification ------------------------------------------------------------
enum class SpecKind { Path, Uuid, PartUuid, Label, PartLabel, Devnum };
struct DeviceSpec {
        SpecKind kind = SpecKind::Path;
        std::string value;  // path, UUID, label, …; for Devnum "MAJ:MIN"
        unsigned major = 0, minor = 0;
        std::string original;
};
// Accepts UUID=, PARTUUID= (with optional /PARTNROFF=, rejected with a message),
// LABEL=, PARTLABEL=, /dev/… paths, MAJ:MIN and the kernel's hexadecimal encoded dev_t.
Result<DeviceSpec> parse_device_spec(std::string_view s);

// ---- sysfs "[selected] other" lists ---------------------------------------------------
struct ChoiceList {
        std::vector<std::string> items;
        std::optional<std::string> selected;
};
ChoiceList parse_choice_list(std::string_view text);

// ---- shell-style assignment files (/etc/default/grub, initramfs-tools conf) ------------
// Understands NAME=value with single/double quotes, backslash escapes, $VAR and ${VAR}
// expansion from earlier assignments, comments, `export`. Anything else is ignored.
using ShellVars = std::map<std::string, std::string>;
void parse_shell_assignments(std::string_view text, ShellVars &vars);

// ---- generated grub.cfg -------------------------------------------------------------
struct GrubEntry {
        std::string title;
        std::string id;            // --id / $menuentry_id_option value, may be empty
        std::string submenu_path;  // "Advanced options for Debian GNU/Linux>" style prefix ids
        std::string kernel;        // path on the linux line
        std::string cmdline;       // rest of the linux line
};
std::vector<GrubEntry> parse_grub_cfg(std::string_view text);

// The fields of a line separated by runs of sep (no empty fields): the record formats
// (working set, setup manifest) are single-space separated with escaped values.
std::vector<std::string_view> split_fields(std::string_view line, char sep = ' ');

// The lines of a text, one at a time, without their '\n' (a last line without one counts;
// an empty text has none), numbered from 1 — the one line loop of every parser:
//     LineReader lines(text);
//     while (auto line = lines.next()) { … *line … lines.number() … }
class LineReader {
public:
        explicit LineReader(std::string_view text) : text_(text) {}
        std::optional<std::string_view> next()
        {
                if (pos_ >= text_.size())
                        return std::nullopt;
                size_t nl = text_.find('\n', pos_);
                std::string_view line = text_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_);
                pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
                n_++;
                return line;
        }
        size_t number() const { return n_; }

private:
        std::string_view text_;
        size_t pos_ = 0;
        size_t n_ = 0;
};

// Makes arbitrary bytes printable for text output (invalid UTF-8 → \xNN).
std::string printable(std::string_view s);

}  // namespace ht
