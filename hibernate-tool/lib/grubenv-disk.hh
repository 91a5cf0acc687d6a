// SPDX-License-Identifier: LGPL-2.1-or-later
// GRUB's environment block (grubenv) as blocks on a disk: where its one 1024-byte block lies,
// and rewriting it there — what GRUB's own save_env does, and what lets the resume helper in
// the initramfs set the one-shot entry without mounting /boot.
//
// A block may be rewritten in place only where a write lands on the bytes GRUB reads: a
// regular 1024-byte file whose FIEMAP extents are plain, allocated, unshared and cover it,
// on a filesystem that does not relocate on write (not btrfs, not f2fs) and does not route
// file data through its journal (no ext4 data journalling) — GRUB reads the block without
// replaying any journal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record.hh"
#include "result.hh"

namespace ht {

class Host;

// The byte position, on its filesystem's device, of the open grubenv file `fd` (path abs
// inside the root, for messages and the mount table) when a write there is what GRUB reads;
// nullopt when it is not (see above). Errors only for I/O failures.
Result<std::optional<uint64_t>> grubenv_block_physical(const Host &host, int fd, const std::string &abs);

// The block's place for the hibernation record: the filesystem's UUID and the byte position
// on its device. nullopt (why says why) when the block cannot be rewritten in place or the
// filesystem's device or UUID cannot be told.
std::optional<GrubEnvLocation> locate_grubenv_block(const Host &host, const std::string &abs, std::string *why);

// Sets next_entry in the block at loc on the device dev (a path inside the root), in place:
// the 1024 bytes there must be a GRUB environment block, the device must not be mounted;
// then one write, fsync, and a read-back. The rest of the block is kept as GRUB wrote it.
Status grubenv_block_set_next_entry(const Host &host, const std::string &dev, uint64_t offset,
                                    const std::string &entry);

}  // namespace ht
