// SPDX-License-Identifier: LGPL-2.1-or-later
// Mount table access through libmount (mountinfo inside the root).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "devices.hh"
#include "result.hh"

namespace ht {

class Host;

struct MountEntry {
        std::string source;  // e.g. /dev/vda1
        std::string target;  // mount point
        std::string fstype;
        std::string options; // VFS + FS options
        std::string root;    // root of the mount within the filesystem (btrfs subvolumes)
        DevNum devnum;       // st_dev as mountinfo reports it (anonymous on btrfs)
        bool read_only = false;
};

// /proc/self/mountinfo inside the root, parsed with libmount.
Result<std::vector<MountEntry>> read_mountinfo(const Host &host);

// The mount that contains abs path (longest mount point prefix; the last one mounted wins).
std::optional<MountEntry> mount_containing(const std::vector<MountEntry> &mounts, const std::string &abs);

}  // namespace ht
