// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool setup: one command that configures hibernation — a swap area (an
// existing partition or a new swap file), the resume target on the kernel command line
// (GRUB drop-in, marked block or grubby), the initramfs configuration and the project's
// configuration — with a dry run, idempotence and an exact undo.
//
// The pure parts (argument parsing, the size policy, the text editing, the undo
// manifest) are separate functions so they are unit-tested and fuzzed; run_setup() does
// the I/O, always through Host (every path inside --root).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse.hh"
#include "result.hh"

namespace ht {

class Host;

struct SetupOptions {
        std::string root = "/";
        bool dry_run = false;
        std::optional<std::string> swap;       // --swap DEVICE (spec as given)
        std::optional<std::string> swap_file;  // --swap-file PATH (absolute, inside the root)
        bool size_auto = true;                 // --size auto (the default)
        uint64_t size_bytes = 0;               // --size SIZE when !size_auto
        bool size_given = false;
        bool no_regenerate = false;
        bool undo = false;
        bool json = false;
        bool help = false;
};

// argv after "setup". Accepts --opt=value and --opt value; "--" is not needed (no operands).
Result<SetupOptions> parse_setup_args(const std::vector<std::string> &args);
extern const char SETUP_USAGE[];

// Exit codes of hibernate-tool setup.
inline constexpr int SETUP_OK = 0;       // done, or nothing to change
inline constexpr int SETUP_REFUSED = 1;  // unsafe or insufficient: nothing was changed
inline constexpr int SETUP_ERROR = 2;    // usage or internal error

// ---- policy ----------------------------------------------------------------------------
inline constexpr uint64_t SETUP_SIZE_ALIGN = 64ull << 20;   // swap file sizes: multiples of 64 MiB
inline constexpr uint64_t SETUP_MIN_SIZE = 16ull << 20;     // smallest --size accepted
// --size auto: RAM + sqrt(RAM) with RAM in GiB (4 GiB → 6 GiB, 16 GiB → 20 GiB), rounded up
// to 64 MiB. Room for a full image of RAM (no reliance on compression or on image_size)
// plus the anonymous memory the kernel pushes to the same swap while shrinking.
uint64_t auto_swap_size(uint64_t ram_bytes);
// Space that must remain free on the filesystem after the swap file is allocated:
// max(64 MiB, 2 % of the filesystem).
uint64_t swap_file_margin(uint64_t fs_bytes);
uint64_t round_up_size(uint64_t bytes);  // to SETUP_SIZE_ALIGN, saturating

// ---- text editing (pure) -----------------------------------------------------------
inline constexpr std::string_view GRUB_BLOCK_BEGIN = "# BEGIN hibernate-tool";
inline constexpr std::string_view GRUB_BLOCK_END = "# END hibernate-tool";

// "resume=UUID=… resume_offset=N" (offset only for a swap file).
std::string resume_kernel_args(std::string_view uuid, std::optional<uint64_t> offset);
// The words of a kernel command line without resume= and resume_offset=; nullopt when it
// has none of them (then the value is left alone).
std::optional<std::string> strip_resume_words(std::string_view cmdline);
// "…" with \ " $ ` escaped, for a POSIX shell assignment.
std::string shell_double_quote(std::string_view s);
// The assignments that put args on every kernel line GRUB generates (GRUB_CMDLINE_LINUX,
// used by normal and recovery entries). vars: /etc/default/grub and the other grub.d files
// as grub-mkconfig would see them *without* ours. Without an existing resume= the variable is
// extended ("${GRUB_CMDLINE_LINUX} resume=…"); with one, GRUB_CMDLINE_LINUX (and
// GRUB_CMDLINE_LINUX_DEFAULT when it has one) are set to their value without those words.
std::string grub_resume_assignments(const ShellVars &vars, std::string_view args);
// Content of /etc/default/grub.d/hibernate-tool.cfg.
std::string grub_dropin_text(const ShellVars &vars, std::string_view args);
// /etc/default/grub with our marked block removed (text unchanged when there is none, or
// when the block is unterminated: then nullopt, refuse to edit).
std::optional<std::string> grub_default_without_block(std::string_view text);
// /etc/default/grub with the marked block holding `assignments` at the end (replacing the
// previous block in place); empty assignments remove the block. nullopt: malformed block.
std::optional<std::string> grub_default_with_block(std::string_view text, std::string_view assignments);

// /etc/initramfs-tools/conf.d/resume. Debian's init sources conf.d after `export
// resume_offset=` and before it parses the command line, so a lowercase resume_offset=
// here is the default that resume_offset= on the command line overrides; RESUME_OFFSET
// is not read by Debian's initramfs-tools.
std::string initramfs_tools_resume_text(std::string_view uuid, std::optional<uint64_t> offset);
// /etc/dracut.conf.d/hibernate-tool-resume.conf
std::string dracut_resume_text(std::string_view uuid, std::optional<uint64_t> offset);
// /etc/hibernate-tool/hibernate.toml.d/50-setup.toml
std::string config_dropin_text(std::string_view uuid, std::optional<uint64_t> offset);
// fstab with one swap line appended (a newline is added first when the file lacks one).
std::string fstab_append_swap(std::string_view fstab, std::string_view source);

// ---- undo state ------------------------------------------------------------------------
inline constexpr std::string_view SETUP_STATE_DIR = "/var/lib/hibernate-tool/setup";

struct ManifestFile {
        std::string path;     // absolute, inside the root
        bool existed = false;
        unsigned mode = 0644;  // of the original
        std::string orig;     // state file name under SETUP_STATE_DIR (existed only)
};
struct Manifest {
        std::vector<ManifestFile> files;
        std::vector<std::string> created_dirs;       // parents we created, outermost first
        std::vector<std::string> created_swap_files;  // swap files setup created
        bool grubby = false;                          // BLS entries were edited with grubby
        std::string grubby_args;                      // what was added
};
std::string format_manifest(const Manifest &m);
Result<Manifest> parse_manifest(std::string_view text);

// ---- the run -------------------------------------------------------------------------
struct SetupFileAction {
        std::string path;
        std::string action;  // create, modify, remove, restore, unchanged
        std::string diff;    // dry run: unified diff
};
struct SetupReport {
        bool changed = false;
        bool dry_run = false;
        bool undo = false;
        // swap
        std::string swap_kind;  // "partition" or "file"
        std::string swap_path;  // device or file path inside the root
        bool swap_created = false;
        uint64_t swap_size = 0;
        // resume
        std::string resume_device;  // "UUID=…"
        std::string uuid;
        std::optional<uint64_t> offset;
        std::string bootloader;  // "grub-dropin", "grub-block", "grubby", "none"
        std::vector<std::string> initramfs;  // "initramfs-tools", "dracut"
        std::vector<SetupFileAction> files;
        std::vector<std::string> commands;     // run (or, dry run: would run)
        std::vector<std::string> regenerated;  // regeneration commands that ran
        std::vector<std::string> notes;
        std::optional<std::string> error;
        int exit_code = SETUP_OK;
};

// Runs setup (or undo). Never throws; the report says what happened. Text lines for a
// human go to `log` (may be null).
SetupReport run_setup(const SetupOptions &o, void (*log)(const std::string &) = nullptr);
std::string setup_report_json(const SetupReport &r);

}  // namespace ht
