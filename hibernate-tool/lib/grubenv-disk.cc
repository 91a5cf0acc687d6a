// SPDX-License-Identifier: LGPL-2.1-or-later
#include "grubenv-disk.hh"

#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bootentry.hh"
#include "devices.hh"
#include "fiemap.hh"
#include "host.hh"
#include "mounts.hh"
#include "parse.hh"

#ifndef F2FS_SUPER_MAGIC
#define F2FS_SUPER_MAGIC 0xF2F52010
#endif

namespace ht {

Result<std::optional<uint64_t>> grubenv_block_physical(const Host &host, int fd, const std::string &abs)
{
        using R = Result<std::optional<uint64_t>>;
        struct ::stat fst;
        if (::fstat(fd, &fst) < 0)
                return Error::from_errno(errno, "cannot stat " + abs);
        if (!S_ISREG(fst.st_mode) || fst.st_size != static_cast<off_t>(GRUBENV_SIZE))
                return R(std::nullopt);
        struct ::statfs sfs;
        if (::fstatfs(fd, &sfs) < 0)
                return Error::from_errno(errno, "cannot statfs " + abs);
        auto magic = static_cast<unsigned long>(sfs.f_type);
        if (magic == BTRFS_SUPER_MAGIC || magic == F2FS_SUPER_MAGIC)
                return R(std::nullopt);  // copy-on-write / log-structured: a write never lands where the data was
        // ext4 data journalling (chattr +j or data=journal) puts the bytes in the journal
        // first, which GRUB does not read.
        int attr = 0;
        if (::ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_JOURNAL_DATA_FL))
                return R(std::nullopt);
        if (auto m = read_mountinfo(host)) {
                auto canon = host.canonicalize(abs);
                if (auto mp = canon ? mount_containing(*m, *canon) : std::nullopt;
                    mp && mp->options.find("data=journal") != std::string::npos)
                        return R(std::nullopt);
        }
        auto ext = file_extents(fd, GRUBENV_SIZE);
        if (!ext || ext->empty())
                return R(std::nullopt);  // no FIEMAP here (tmpfs): the location cannot be verified
        uint64_t covered = 0;
        for (auto &e : *ext) {
                if (!e.plain() || e.logical != covered)
                        return R(std::nullopt);
                covered += e.length;
        }
        if (covered < GRUBENV_SIZE || (*ext)[0].length < GRUBENV_SIZE)
                return R(std::nullopt);  // the block must be contiguous on disk
        return R((*ext)[0].physical);
}

std::optional<GrubEnvLocation> locate_grubenv_block(const Host &host, const std::string &abs, std::string *why)
{
        auto no = [&](std::string w) -> std::optional<GrubEnvLocation> {
                if (why)
                        *why = std::move(w);
                return std::nullopt;
        };
        auto fd = host.open(abs, O_RDONLY);
        if (!fd)
                return no(fd.error().message);
        auto phys = grubenv_block_physical(host, fd->get(), abs);
        if (!phys)
                return no(phys.error().message);
        if (!*phys)
                return no(abs + " cannot be rewritten in place (not one plain 1024-byte block GRUB reads directly)");
        struct ::stat st;
        if (::fstat(fd->get(), &st) < 0)
                return no("cannot stat " + abs);
        DevNum dn{major(st.st_dev), minor(st.st_dev)};
        auto mounts = read_mountinfo(host);
        auto canon = host.canonicalize(abs);
        if (!mounts || !canon)
                return no("cannot read the mount table");
        auto m = mount_containing(*mounts, *canon);
        if (!m || m->source.rfind("/dev/", 0) != 0)
                return no("the filesystem of " + abs + " is not on a block device");
        auto src = device_number(host, m->source);
        if (!src || !(*src == dn))
                return no("the filesystem of " + abs + " is not the device " + m->source + " it is mounted from");
        auto probe = probe_device(host, m->source);
        if (!probe || !probe->uuid)
                return no("the filesystem on " + m->source + " has no UUID");
        auto u = parse_uuid(*probe->uuid);
        if (!u || *u == std::array<uint8_t, 16>{})
                return no("the filesystem on " + m->source + " has no usable UUID (" + printable(*probe->uuid) + ")");
        GrubEnvLocation loc;
        loc.fs_uuid = *u;
        loc.offset = **phys;
        if (loc.offset % 512 != 0)
                return no(abs + " does not start on a sector boundary");
        return loc;
}

Status grubenv_block_set_next_entry(const Host &host, const std::string &dev, uint64_t offset,
                                    const std::string &entry)
{
        // Never under a mounted filesystem: its cache and ours would disagree. On the real
        // root, a mount table that cannot be read is a refusal, not a guess.
        if (host.is_real_root()) {
                auto dn = device_number(host, dev);
                if (!dn)
                        return dn.error();
                auto mounts = read_mountinfo(host);
                if (!mounts)
                        return Error{mounts.error().code, "cannot tell whether " + dev +
                                                                  " is mounted: " + mounts.error().message};
                for (auto &m : *mounts)
                        if (m.devnum == *dn)
                                return Error{EBUSY, dev + " is mounted on " + m.target};
        }
        auto cur = host.read_at(dev, offset, GRUBENV_SIZE);
        if (!cur)
                return cur.error();
        if (cur->size() != GRUBENV_SIZE)
                return Error{EIO, "short read of the GRUB environment block on " + dev};
        auto env = parse_grubenv(*cur);
        if (!env)
                return Error{EINVAL, "no GRUB environment block at byte " + std::to_string(offset) + " of " + dev +
                                             " (" + env.error().message + ")"};
        env->set("next_entry", entry);
        auto bytes = format_grubenv(*env);
        if (!bytes)
                return Error{bytes.error().code, "GRUB environment block on " + dev + ": " + bytes.error().message};
        auto fd = host.open(dev, O_RDWR | O_CLOEXEC);
        if (!fd)
                return fd.error();
        if (auto st = pwrite_full(fd->get(), *bytes, offset, dev); !st)
                return st;
        if (::fsync(fd->get()) < 0)
                return Error::from_errno(errno, "cannot sync " + dev);
        (void) ::posix_fadvise(fd->get(), static_cast<off_t>(offset), GRUBENV_SIZE, POSIX_FADV_DONTNEED);
        auto back = host.read_at(dev, offset, GRUBENV_SIZE);
        if (!back || *back != *bytes)
                return Error{EIO, "the GRUB environment block on " + dev + " does not read back what was written"};
        return ok_status();
}

}  // namespace ht
