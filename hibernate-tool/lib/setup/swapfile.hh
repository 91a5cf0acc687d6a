// SPDX-License-Identifier: LGPL-2.1-or-later
// The swap area: the size policy, choosing an existing swap, creating a swap file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "result.hh"
#include "setup/context.hh"

namespace ht {

// ---- policy ----
inline constexpr uint64_t SETUP_SIZE_ALIGN = 64ull << 20;   // swap file sizes: multiples of 64 MiB
// --size auto: RAM + sqrt(RAM) with RAM in GiB (4 GiB → 6 GiB, 16 GiB → 20 GiB), rounded up
// to 64 MiB. Room for a full image of RAM (no reliance on compression or on image_size)
// plus the anonymous memory the kernel pushes to the same swap while shrinking.
uint64_t auto_swap_size(uint64_t ram_bytes);
// Space that must remain free on the filesystem after the swap file is allocated:
// max(64 MiB, 2 % of the filesystem).
uint64_t swap_file_margin(uint64_t fs_bytes);
uint64_t round_up_size(uint64_t bytes);  // to SETUP_SIZE_ALIGN, saturating

// ---- the swap setup uses ----
struct SwapInfo {
        bool file = false;
        std::string path;     // canonical in-root path (device or file)
        bool exists = true;   // file: already there
        uint64_t size = 0;
        std::string uuid;     // partition UUID or the file's filesystem UUID
        std::optional<uint64_t> offset;
        bool btrfs = false;
        std::string fs_source;  // file: the filesystem's device
        std::string fstab_source;  // what goes into fstab
};

// The filesystem UUID and device of the file system holding abs (mountinfo inside the root
// + libblkid).
Result<std::pair<std::string, std::string>> fs_uuid_of(const Ctx &c, const std::string &abs);
// The filesystem of dir_abs can hold a swap file for hibernation (sets s.btrfs).
Status check_fs_for_swapfile(const Ctx &c, const std::string &dir_abs, SwapInfo &s);
// Creates the swap file: temp name, NOCOW on btrfs before any data, fallocate (no holes),
// 0600, mkswap, rename. A kill at any point leaves PATH absent or complete.
Status create_swap_file(Ctx &c, SwapInfo &s);
// --swap, --swap-file, or the single suitable swap that is active or in fstab.
Status choose_swap(Ctx &c, SwapInfo &s, const std::optional<std::string> &fstab_text);

}  // namespace ht
