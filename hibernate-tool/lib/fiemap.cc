// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fiemap.hh"

#include <cstring>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <memory>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "host.hh"

namespace ht {

namespace {

std::string fs_name(unsigned long magic)
{
        switch (magic) {
        case EXT4_SUPER_MAGIC: return "ext4";  // same magic for ext2/3
        case BTRFS_SUPER_MAGIC: return "btrfs";
        case XFS_SUPER_MAGIC: return "xfs";
        case TMPFS_MAGIC: return "tmpfs";
        case F2FS_SUPER_MAGIC: return "f2fs";
        default: {
                char buf[32];
                std::snprintf(buf, sizeof buf, "0x%lx", magic);
                return buf;
        }
        }
}

// Maps a btrfs logical address to the physical byte on the (single) device.
Result<uint64_t> btrfs_logical_to_physical(int fd, uint64_t logical)
{
        struct btrfs_ioctl_search_args args;
        std::memset(&args, 0, sizeof args);
        auto &k = args.key;
        k.tree_id = BTRFS_CHUNK_TREE_OBJECTID;
        k.min_objectid = k.max_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID;
        k.min_type = k.max_type = BTRFS_CHUNK_ITEM_KEY;
        k.min_offset = 0;
        k.max_offset = UINT64_MAX;
        k.min_transid = 0;
        k.max_transid = UINT64_MAX;
        for (unsigned rounds = 0; rounds < 100000; rounds++) {
                k.nr_items = 4096;
                if (::ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) < 0)
                        return Error::from_errno(errno, "Failed to search the btrfs chunk tree (needs CAP_SYS_ADMIN)");
                if (k.nr_items == 0)
                        break;
                size_t off = 0;
                uint64_t last_offset = 0;
                for (unsigned i = 0; i < k.nr_items; i++) {
                        struct btrfs_ioctl_search_header sh;
                        if (off + sizeof sh > sizeof args.buf)
                                return Error{EIO, "btrfs chunk tree search result is truncated"};
                        std::memcpy(&sh, args.buf + off, sizeof sh);
                        off += sizeof sh;
                        if (off + sh.len > sizeof args.buf)
                                return Error{EIO, "btrfs chunk tree search result is truncated"};
                        last_offset = sh.offset;
                        if (sh.type == BTRFS_CHUNK_ITEM_KEY && sh.len >= sizeof(struct btrfs_chunk)) {
                                struct btrfs_chunk chunk;
                                std::memcpy(&chunk, args.buf + off, sizeof chunk);
                                uint64_t start = sh.offset;
                                uint64_t len = le64toh(chunk.length);
                                if (logical >= start && logical - start < len) {
                                        uint64_t type = le64toh(chunk.type);
                                        uint64_t profile = type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
                                        if (profile != 0 && profile != BTRFS_BLOCK_GROUP_DUP)
                                                return Error{EOPNOTSUPP, "the swap file lies in a btrfs chunk with a "
                                                                         "multi-device profile; the kernel cannot "
                                                                         "hibernate to it"};
                                        if (le16toh(chunk.num_stripes) < 1)
                                                return Error{EIO, "btrfs chunk has no stripes"};
                                        return le64toh(chunk.stripe.offset) + (logical - start);
                                }
                        }
                        off += sh.len;
                }
                if (last_offset == UINT64_MAX)
                        break;
                k.min_offset = last_offset + 1;
        }
        return Error{ENOENT, "no btrfs chunk maps logical address " + std::to_string(logical)};
}

}  // namespace

bool FileExtent::plain() const
{
        constexpr uint32_t bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED |
                                 FIEMAP_EXTENT_DATA_ENCRYPTED | FIEMAP_EXTENT_NOT_ALIGNED |
                                 FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_UNWRITTEN |
                                 FIEMAP_EXTENT_SHARED;  // reflinked: a write is copied elsewhere
        return (flags & bad) == 0;
}

Result<std::vector<FileExtent>> file_extents(int fd, uint64_t length)
{
        constexpr unsigned MAX = 64;
        alignas(struct fiemap) char buf[sizeof(struct fiemap) + MAX * sizeof(struct fiemap_extent)];
        std::memset(buf, 0, sizeof buf);
        auto *fm = reinterpret_cast<struct fiemap *>(buf);
        fm->fm_start = 0;
        fm->fm_length = length;
        fm->fm_flags = FIEMAP_FLAG_SYNC;
        fm->fm_extent_count = MAX;
        if (::ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
                return Error::from_errno(errno, "FIEMAP failed");
        std::vector<FileExtent> out;
        for (unsigned i = 0; i < fm->fm_mapped_extents && i < MAX; i++) {
                const struct fiemap_extent &e = fm->fm_extents[i];
                out.push_back({e.fe_logical, e.fe_physical, e.fe_length, e.fe_flags});
        }
        return out;
}

Result<SwapFileMapping> map_swap_file(const Host &host, const std::string &abs, size_t page_size)
{
        auto ofd = host.open_read(abs);
        if (!ofd)
                return ofd.error();
        Fd fd(*ofd);
        struct ::statfs sfs;
        if (::fstatfs(fd.get(), &sfs) < 0)
                return Error::from_errno(errno, "Failed to statfs '" + abs + "'");
        SwapFileMapping m;
        m.fs_name = fs_name(static_cast<unsigned long>(sfs.f_type));
        m.btrfs = static_cast<unsigned long>(sfs.f_type) == BTRFS_SUPER_MAGIC;

        // One extent is enough: the one holding file offset 0.
        auto ext = file_extents(fd.get(), page_size);
        if (!ext)
                return Error{ext.error().code, ext.error().message + " on '" + abs + "' (" + m.fs_name + ")"};
        if (ext->empty())
                return Error{ENODATA, "'" + abs + "' has no data at offset 0 (a hole): mkswap a fully allocated file"};
        const FileExtent &e = ext->front();
        if (e.logical != 0)
                return Error{ENODATA, "'" + abs + "' starts with a hole"};
        if (!e.plain())
                return Error{EINVAL, "'" + abs + "' first extent is not a plain on-disk extent (FIEMAP flags 0x" +
                                             [&] {
                                                     char b[16];
                                                     std::snprintf(b, sizeof b, "%x", e.flags);
                                                     return std::string(b);
                                             }() + ")"};
        uint64_t phys = e.physical;
        if (m.btrfs) {
                m.btrfs_logical = phys;
                auto p = btrfs_logical_to_physical(fd.get(), phys);
                if (!p)
                        return Error{p.error().code, "Cannot map '" + abs + "' on btrfs: " + p.error().message};
                phys = *p;
        }
        if (phys % page_size != 0)
                return Error{EINVAL, "'" + abs + "' does not start on a page boundary of its device"};
        m.physical_byte = phys;
        m.resume_offset = phys / page_size;
        return m;
}

}  // namespace ht
