// SPDX-License-Identifier: LGPL-2.1-or-later
// Where a swap file's first page lives on its block device — the value resume_offset=
// must carry. FIEMAP on ext4/xfs/…; on btrfs FIEMAP reports btrfs *logical* addresses,
// which are mapped to the device through the chunk tree (BTRFS_IOC_TREE_SEARCH).
#pragma once

#include <cstdint>
#include <string>

#include "result.hh"

namespace ht {

class Host;

struct SwapFileMapping {
        uint64_t physical_byte = 0;   // byte offset of file offset 0 on the block device
        uint64_t resume_offset = 0;   // physical_byte / page size
        bool btrfs = false;
        uint64_t btrfs_logical = 0;   // what FIEMAP said, on btrfs
        std::string fs_name;          // "ext4", "btrfs", "xfs", or the magic in hex
};

Result<SwapFileMapping> map_swap_file(const Host &host, const std::string &abs, size_t page_size);

}  // namespace ht
