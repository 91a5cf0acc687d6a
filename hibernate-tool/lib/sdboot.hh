// SPDX-License-Identifier: LGPL-2.1-or-later
// systemd-boot's entries as systemd-boot itself sees them: Boot Loader Specification Type #1
// entries (loader/entries/*.conf, what kernel-install writes) and Type #2 entries (unified
// kernel images, EFI/Linux/*.efi) on the ESP and XBOOTLDR partitions. On the running system
// `bootctl --json=short list` names them (it finds the partitions the way the boot loader
// does); under --root, or without bootctl, the files are read directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootentry.hh"
#include "result.hh"

namespace ht {

class Host;
struct UkiInfo;

struct LoaderEntry {
        int type = 1;                // 1: loader/entries/*.conf; 2: EFI/Linux/*.efi
        std::string id;              // as systemd-boot ids it (LoaderEntryOneShot's value)
        std::string path;            // the file (inside the root)
        std::string title;
        std::string version;         // Type #1 "version"; Type #2 os-release VERSION_ID
        std::string kernel_release;  // Type #1: version; Type #2: .uname, else the bzImage's
        std::string linux;           // Type #1 "linux" (relative to its partition); Type #2 the file
        std::string options;         // kernel command line
};

// The partitions kernel-install and bootctl look at, as mounted in the root: /efi, /boot,
// /boot/efi (those that exist, each directory once).
std::vector<std::string> boot_partition_dirs(const Host &host);

// An entry's id as systemd-boot makes it from the file name: the boot counting suffix
// ("+3" or "+3-1" before .conf/.efi) is not part of it.
std::string boot_entry_id(std::string_view file_name);

// A Type #2 entry from a UKI's sections (file name, the partition-relative path).
LoaderEntry uki_entry(const std::string &file_name, const std::string &path, const UkiInfo &uki);

// `bootctl --json=short list`: systemd 252 prints one JSON object per entry and line,
// later versions one array; both are read. Entries without a file (auto-*, reported by the
// firmware) are left out. EINVAL: not JSON of that shape.
Result<std::vector<LoaderEntry>> parse_bootctl_list(std::string_view text);

// Every Type #1 and Type #2 entry in the partitions, newest first. Unreadable or
// malformed files are skipped (the boot loader skips them too).
std::vector<LoaderEntry> read_loader_entries(const Host &host);

// The entries from bootctl (running system, bootctl installed and working) or from the
// files; *source says which ("bootctl" or "files").
std::vector<LoaderEntry> list_loader_entries(const Host &host, std::string *source = nullptr);

// LoaderInfo (EFI variable of the running firmware, under --root the root's efivars) names
// systemd-boot.
bool efi_loader_is_sdboot(const Host &host);
// A partition has loader/entries/ or EFI/Linux/ (kernel-install's or systemd-boot's layout).
bool has_loader_entries(const Host &host);

// The entry that boots kernel `release` among Type #1 and Type #2 entries (recovery ones
// last). ENOENT: no entries at all; ESRCH: none boots it.
Result<BootTarget> find_sdboot_target(const Host &host, const std::string &release);

}  // namespace ht
