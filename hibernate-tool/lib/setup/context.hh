// SPDX-License-Identifier: LGPL-2.1-or-later
// What every step of hibernate-tool setup shares: the run context (options, Host, report,
// log), refusals, the planned file changes, the well-known paths, and running a command.
// The bottom room: it includes no other setup room but args.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host.hh"
#include "result.hh"
#include "testhooks.hh"
#include "setup/args.hh"

namespace ht {

// Exit codes of hibernate-tool setup.
inline constexpr int SETUP_OK = 0;       // done, or nothing to change
inline constexpr int SETUP_REFUSED = 1;  // unsafe or insufficient: nothing was changed
inline constexpr int SETUP_ERROR = 2;    // usage or internal error

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

inline constexpr std::string_view SETUP_STATE_DIR = "/var/lib/hibernate-tool/setup";

// The files setup writes.
inline constexpr std::string_view GRUB_DROPIN = "/etc/default/grub.d/hibernate-tool.cfg";
inline constexpr std::string_view GRUB_DEFAULT = "/etc/default/grub";
inline constexpr std::string_view ITOOLS_RESUME = "/etc/initramfs-tools/conf.d/resume";
inline constexpr std::string_view DRACUT_CONF = "/etc/dracut.conf.d/hibernate-tool-resume.conf";
inline constexpr std::string_view DRACUT_OMIT_RESUME = "/etc/dracut.conf.d/90-hibernate-tool.conf";
// hibernate-tool's dracut module, as dracut looks for it.
inline constexpr std::string_view DRACUT_MODULE = "/usr/lib/dracut/modules.d/90hibernate-tool/module-setup.sh";
inline constexpr std::string_view CONFIG_DROPIN = "/etc/hibernate-tool/hibernate.toml.d/50-setup.toml";
inline constexpr std::string_view FSTAB = "/etc/fstab";

// Largest configuration file setup reads whole (Ctx::read).
inline constexpr size_t SETUP_READ_MAX = 16u << 20;

// A word for a POSIX shell (quoted only when needed), and a whole command line of them.
std::string shell_word(const std::string &s);
std::string join_cmd(const std::vector<std::string> &argv);

// Runs argv (PATH search), stdout → stderr so JSON on stdout stays clean. With chroot_dir,
// inside that root; with capture, stdout is collected there; env: "NAME=value" for the
// command only. Returns the exit status.
Result<int> run_cmd(const std::vector<std::string> &argv, const std::string &chroot_dir = "",
                    std::string *capture = nullptr, const std::vector<std::string> &env = {});

// One file change: its content before (nullopt: absent) and after (nullopt: remove).
struct Planned {
        std::string path;
        std::optional<std::string> before;
        std::optional<std::string> after;  // nullopt: remove
        unsigned mode = 0644;
        std::string step;
};

struct Ctx {
        const SetupOptions &o;
        Host host;
        SetupReport &rep;
        void (*log)(const std::string &);
        size_t page = 4096;

        Ctx(const SetupOptions &opt, SetupReport &r, void (*l)(const std::string &));
        void say(const std::string &s) const
        {
                if (log)
                        log(s);
        }
        bool in_root() const { return !host.is_real_root(); }
        bool is_file(std::string_view p) const;
        bool is_dir(std::string_view p) const;
        // The content of a file setup reads (fstab, GRUB, initramfs configuration, …);
        // nullopt only when it does not exist (ENOENT). Every other failure — larger than
        // SETUP_READ_MAX, a directory, EIO, … — is an error: a file setup cannot read is
        // never taken for an absent one (it would be "created" over the real one).
        Result<std::optional<std::string>> read(std::string_view p) const;
        std::string display_cmd(const std::vector<std::string> &argv) const;
};

SetupReport &refuse(SetupReport &r, std::string msg, int code = SETUP_REFUSED);

// The parent directories of file_abs that do not exist yet, outermost first.
std::vector<std::string> missing_dirs(const Host &h, std::string_view file_abs);
// Writes (atomically) or removes one planned file.
Status write_planned(const Ctx &c, const Planned &p);
unsigned mode_of(const Ctx &c, std::string_view p, unsigned dflt);

}  // namespace ht
