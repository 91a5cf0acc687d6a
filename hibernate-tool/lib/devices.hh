// SPDX-License-Identifier: LGPL-2.1-or-later
// Block devices inside the root: libblkid probing, spec resolution through
// /dev/disk/by-* links, and MAJ:MIN <-> path through sysfs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "parse.hh"
#include "result.hh"

namespace ht {

class Host;

struct DevNum {
        unsigned major = 0, minor = 0;
        bool operator==(const DevNum &o) const { return major == o.major && minor == o.minor; }
        std::string str() const { return std::to_string(major) + ":" + std::to_string(minor); }
};

struct ProbeInfo {
        std::string type;  // libblkid TYPE: "swap", "swsuspend", "ext4", …; empty when unknown
        std::optional<std::string> uuid, label, version;
        std::optional<std::string> part_uuid, part_label;
        uint64_t size_bytes = 0;
};

// Probes the device (or fixture file) at abs path inside the root with libblkid, starting
// at byte offset (for a swap file on a block device: resume_offset * page size).
// With swap_only, only the swap and hibernation-image probers run (a fraction of the I/O).
Result<ProbeInfo> probe_device(const Host &host, const std::string &abs, uint64_t offset = 0, bool swap_only = false);

// Size in bytes of a block device (BLKGETSIZE64); for anything else (a stand-in file in a
// fixture root), /sys/class/block/NAME/size inside the root. ENODATA: unknown.
Result<uint64_t> device_size(const Host &host, const std::string &abs);

// Device number of a device path: st_rdev for a block device node; for a regular file in a
// fixture root, /sys/class/block/<name>/dev inside the root.
Result<DevNum> device_number(const Host &host, const std::string &abs);

// /dev path of MAJ:MIN from /sys/dev/block/MAJ:MIN inside the root (uevent DEVNAME).
Result<std::string> devnum_to_path(const Host &host, DevNum dn);

// udev's encoding of names in /dev/disk/by-label etc. (space → \x20).
std::string udev_encode(std::string_view s);

struct ResolvedDevice {
        std::string path;            // canonical /dev path inside the root
        std::optional<DevNum> devnum;
};

// Resolves UUID=/PARTUUID=/LABEL=/PARTLABEL=/path/MAJ:MIN inside the root. Tag lookups use
// /dev/disk/by-* links first, then probe the candidate paths given (e.g. active swaps).
Result<ResolvedDevice> resolve_device(const Host &host, const DeviceSpec &spec,
                                      const std::vector<std::string> &candidates = {});

}  // namespace ht
