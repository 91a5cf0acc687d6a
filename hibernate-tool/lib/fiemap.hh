// SPDX-License-Identifier: LGPL-2.1-or-later
// Where a swap file's first page lives on its block device — the value resume_offset=
// must carry. FIEMAP on ext4/xfs/…; on btrfs FIEMAP reports btrfs *logical* addresses,
// which are mapped to the device through the chunk tree (BTRFS_IOC_TREE_SEARCH).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// The extents FIEMAP reports for bytes [0, length) of an open file (at most 64; data
// flushed first, FIEMAP_FLAG_SYNC). `plain` tells whether an extent is an ordinary
// allocated on-disk extent that a write overwrites where it is (no delayed allocation,
// inline data, unwritten, encoded or unknown location).
struct FileExtent {
        uint64_t logical = 0, physical = 0, length = 0;
        uint32_t flags = 0;
        bool plain() const;
        bool operator==(const FileExtent &) const = default;
};
Result<std::vector<FileExtent>> file_extents(int fd, uint64_t length);

}  // namespace ht
