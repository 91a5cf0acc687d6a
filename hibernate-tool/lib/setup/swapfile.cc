// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/swapfile.hh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <map>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "devices.hh"
#include "estimate.hh"
#include "fiemap.hh"
#include "mounts.hh"
#include "parse.hh"
#include "setup/fstab.hh"

namespace ht {

uint64_t round_up_size(uint64_t bytes)
{
        if (bytes > std::numeric_limits<uint64_t>::max() - SETUP_SIZE_ALIGN)
                return std::numeric_limits<uint64_t>::max() / SETUP_SIZE_ALIGN * SETUP_SIZE_ALIGN;
        return (bytes + SETUP_SIZE_ALIGN - 1) / SETUP_SIZE_ALIGN * SETUP_SIZE_ALIGN;
}

uint64_t auto_swap_size(uint64_t ram_bytes)
{
        constexpr double GiB = 1024.0 * 1024.0 * 1024.0;
        if (ram_bytes > (1ull << 52))
                ram_bytes = 1ull << 52;
        double extra = std::sqrt(static_cast<double>(ram_bytes) / GiB) * GiB;
        uint64_t total = ram_bytes + static_cast<uint64_t>(std::ceil(extra));
        return std::max(round_up_size(total), SETUP_SIZE_ALIGN);
}

uint64_t swap_file_margin(uint64_t fs_bytes)
{
        return std::max<uint64_t>(64ull << 20, fs_bytes / 50);
}

namespace {
std::string lower(std::string s)
{
        for (auto &c : s)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
}

}  // namespace

Result<std::pair<std::string, std::string>> fs_uuid_of(const Ctx &c, const std::string &abs)
{
        auto mi = read_mountinfo(c.host);
        if (!mi)
                return Error{mi.error().code, "cannot read the mount table: " + mi.error().message};
        auto m = mount_containing(*mi, abs);
        if (!m || m->source.empty() || m->source[0] != '/')
                return Error{ENODEV, "cannot tell which block device holds '" + printable(abs) + "' (mount table)"};
        auto info = probe_device(c.host, m->source);
        if (!info) {
                // Not readable here (device cgroup, …): udev's by-uuid links know the UUID too.
                auto src = c.host.canonicalize(m->source);
                if (src)
                        if (auto names = c.host.list_dir("/dev/disk/by-uuid"))
                                for (auto &n : *names) {
                                        auto t = c.host.canonicalize("/dev/disk/by-uuid/" + n);
                                        if (t && *t == *src)
                                                return std::make_pair(lower(n), m->source);
                                }
                return Error{info.error().code, "cannot probe '" + printable(m->source) + "', the device of '" +
                                                        printable(abs) + "': " + info.error().message};
        }
        if (!info->uuid || info->uuid->empty())
                return Error{ENODEV, "the filesystem on '" + printable(m->source) + "' has no UUID"};
        return std::make_pair(lower(*info->uuid), m->source);
}

Status check_fs_for_swapfile(const Ctx &c, const std::string &dir_abs, SwapInfo &s)
{
        auto dfd = c.host.open_dir(dir_abs);
        if (!dfd)
                return Error{dfd.error().code, "the directory of the swap file: " + dfd.error().message};
        Fd fd = std::move(*dfd);
        struct ::statfs sfs;
        if (::fstatfs(fd.get(), &sfs) < 0)
                return Error::from_errno(errno, "statfs '" + printable(dir_abs) + "'");
        auto magic = static_cast<unsigned long>(sfs.f_type);
        if (magic != EXT4_SUPER_MAGIC && magic != XFS_SUPER_MAGIC && magic != BTRFS_SUPER_MAGIC &&
            magic != F2FS_SUPER_MAGIC) {
                char b[32];
                std::snprintf(b, sizeof b, "0x%lx", magic);
                return Error{EOPNOTSUPP, "'" + printable(dir_abs) + "' is on a filesystem (magic " + b +
                                                 ") that cannot hold a swap file for hibernation; use ext4, xfs, "
                                                 "btrfs or f2fs"};
        }
        s.btrfs = magic == BTRFS_SUPER_MAGIC;
        if (sfs.f_bsize > 0 && static_cast<uint64_t>(sfs.f_bsize) < c.page)
                return Error{EOPNOTSUPP, "'" + printable(dir_abs) + "' is on a filesystem with " +
                                                 std::to_string(sfs.f_bsize) + "-byte blocks, smaller than the " +
                                                 std::to_string(c.page) + "-byte page: the swap file's first page "
                                                 "need not be page-aligned on the device, which resume_offset requires"};
        if (s.btrfs) {
                struct btrfs_ioctl_fs_info_args fi;
                std::memset(&fi, 0, sizeof fi);
                if (::ioctl(fd.get(), BTRFS_IOC_FS_INFO, &fi) < 0)
                        return Error::from_errno(errno, "BTRFS_IOC_FS_INFO on '" + printable(dir_abs) + "'");
                if (fi.num_devices != 1)
                        return Error{EOPNOTSUPP, "'" + printable(dir_abs) + "' is on a btrfs filesystem with " +
                                                         std::to_string(fi.num_devices) +
                                                         " devices; resume= names one device, so a swap file "
                                                         "for hibernation needs a single-device btrfs"};
                struct btrfs_ioctl_get_subvol_info_args si;
                std::memset(&si, 0, sizeof si);
                if (::ioctl(fd.get(), BTRFS_IOC_GET_SUBVOL_INFO, &si) >= 0) {  // returns 1 on success on 6.1
                        if (si.flags & BTRFS_SUBVOL_RDONLY)
                                return Error{EROFS, "'" + printable(dir_abs) + "' is in a read-only btrfs subvolume"};
                        bool snap = false;
                        for (auto b : si.parent_uuid)
                                snap |= b != 0;
                        if (snap)
                                return Error{EOPNOTSUPP, "'" + printable(dir_abs) +
                                                                 "' is in a btrfs snapshot subvolume; put the swap file "
                                                                 "in a dedicated subvolume (btrfs refuses to snapshot "
                                                                 "a subvolume with an active swap file, and extents "
                                                                 "shared with snapshots cannot be swapped to)"};
                }
        }
        return ok_status();
}

// Creates the swap file: temp name, NOCOW on btrfs before any data, fallocate (no holes),
// 0600, mkswap, rename. A kill at any point leaves PATH absent or complete.
Status create_swap_file(Ctx &c, SwapInfo &s)
{
        // Everything happens relative to the directory fd found inside the root: a path
        // component swapped for a symlink meanwhile cannot redirect the file, mkswap
        // (which gets the open file as /proc/self/fd/N) or the rename.
        auto where = c.host.chase(s.path, CHASE_NOFOLLOW | CHASE_MISSING_OK);
        if (!where)
                return Error{where.error().code, "cannot create '" + printable(s.path) + "': " + where.error().message};
        if (where->exists())
                return Error{EEXIST, "'" + printable(s.path) + "' already exists"};
        int dirfd = where->dir.get();
        std::string name = where->name;
        std::string tmp = name + ".hibernate-tool-new";
        std::string hpath = c.host.path(s.path);
        (void) ::unlinkat(dirfd, tmp.c_str(), 0);
        Fd fd(::openat(dirfd, tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid())
                return Error::from_errno(errno, "cannot create '" + printable(s.path) + "'");
        // Every failure from here on removes the (possibly huge) temporary file.
        struct TmpGuard {
                int dir;
                const std::string &name;
                bool armed = true;
                ~TmpGuard()
                {
                        if (armed)
                                (void) ::unlinkat(dir, name.c_str(), 0);
                }
        } guard{dirfd, tmp};
        if (::fchmod(fd.get(), 0600) < 0)
                return Error::from_errno(errno, "chmod 0600 '" + printable(s.path) + "'");
        if (s.btrfs) {
                int flags = 0;
                if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) < 0)
                        return Error::from_errno(errno, "FS_IOC_GETFLAGS on '" + printable(s.path) + "'");
                flags = (flags | FS_NOCOW_FL) & ~FS_COMPR_FL;
                if (::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) < 0)
                        return Error::from_errno(errno, "cannot set NOCOW on '" + printable(s.path) + "'");
                int check = 0;
                if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &check) < 0 || !(check & FS_NOCOW_FL) || (check & FS_COMPR_FL))
                        return Error{EINVAL, "'" + printable(s.path) + "' is still copy-on-write or compressed "
                                                                       "after FS_IOC_SETFLAGS"};
        }
        kill_point("swapfile-create");
        if (int e = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(s.size)); e != 0)
                return Error::from_errno(e, "cannot allocate " + std::to_string(s.size) + " bytes for '" +
                                                    printable(s.path) + "'");
        if (::fsync(fd.get()) < 0)
                return Error::from_errno(errno, "fsync '" + printable(s.path) + "'");
        kill_point("swapfile-allocate");
        c.rep.commands.push_back(join_cmd({"mkswap", hpath}));
        {
                Fd inherit(::fcntl(fd.get(), F_DUPFD, 3));  // no O_CLOEXEC: mkswap gets it
                if (!inherit.valid())
                        return Error::from_errno(errno, "cannot pass '" + printable(s.path) + "' to mkswap");
                auto r = run_cmd({"mkswap", "/proc/self/fd/" + std::to_string(inherit.get())});
                if (!r || *r != 0)
                        return Error{EIO, "mkswap failed on '" + printable(s.path) + "'" +
                                                  (r ? " (exit status " + std::to_string(*r) + ")" : ": " + r.error().message)};
        }
        if (::fsync(fd.get()) < 0)
                return Error::from_errno(errno, "fsync '" + printable(s.path) + "'");
        fd = Fd();
        kill_point("swapfile-mkswap");
        // RENAME_NOREPLACE: a file that appeared at the name meanwhile is never overwritten.
        if (::renameat2(dirfd, tmp.c_str(), dirfd, name.c_str(), RENAME_NOREPLACE) < 0)
                return Error::from_errno(errno, "rename into '" + printable(s.path) + "'");
        guard.armed = false;
        Fd d(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d.valid() || ::fsync(d.get()) < 0)
                return Error::from_errno(errno, "'" + printable(s.path) + "' was created, but syncing its directory failed");
        kill_point("swapfile");
        return ok_status();
}

Status choose_swap(Ctx &c, SwapInfo &s, const std::optional<std::string> &fstab_text)
{
        auto &o = c.o;
        SwapsParse swaps;
        auto swaps_text = c.read("/proc/swaps");
        if (!swaps_text)
                return swaps_text.error();
        if (*swaps_text)
                swaps = parse_proc_swaps(**swaps_text);

        auto setup_partition = [&](const std::string &given) -> Status {
                auto spec = parse_device_spec(given);
                if (!spec)
                        return Error{EINVAL, "--swap: " + spec.error().message};
                std::vector<std::string> cands;
                for (auto &e : swaps.entries)
                        if (e.kind == SwapKind::Partition)
                                cands.push_back(e.path);
                auto d = resolve_device(c.host, *spec, cands);
                if (!d)
                        return Error{ENODEV, "swap device " + printable(given) + ": " + d.error().message};
                auto st = c.host.stat(d->path);
                if (st && S_ISREG(st->st_mode) && d->path.rfind("/dev/", 0) != 0)
                        return Error{EINVAL, "'" + printable(d->path) + "' is a regular file; use --swap-file"};
                auto info = probe_device(c.host, d->path);
                if (!info)
                        return Error{info.error().code, "cannot probe '" + printable(d->path) + "': " + info.error().message};
                if (info->type == "swsuspend")
                        return Error{EBUSY, "'" + printable(d->path) + "' holds a hibernation image; resume or "
                                                                       "invalidate it first (hibernate-tool invalidate)"};
                if (info->type != "swap")
                        return Error{EINVAL, "'" + printable(d->path) + "' has no swap signature (" +
                                                     (info->type.empty() ? std::string("no signature")
                                                                         : "it is " + printable(info->type)) +
                                                     "); run mkswap on it first if it is meant to be swap"};
                if (!info->uuid || info->uuid->empty())
                        return Error{EINVAL, "the swap area on '" + printable(d->path) +
                                                     "' has no UUID; give it one (swaplabel -U $(uuidgen) DEVICE)"};
                s.file = false;
                s.path = d->path;
                s.size = info->size_bytes;
                s.uuid = lower(*info->uuid);
                s.fstab_source = "UUID=" + s.uuid;
                return ok_status();
        };

        auto setup_file = [&](const std::string &given, bool from_cli) -> Status {
                auto canon = c.host.canonicalize(given, true);
                if (!canon)
                        return Error{canon.error().code, "swap file " + printable(given) + ": " + canon.error().message};
                s.file = true;
                s.path = *canon;
                std::string dir = s.path.substr(0, s.path.rfind('/'));
                if (dir.empty())
                        dir = "/";
                if (!c.is_dir(dir))
                        return Error{ENOENT, "the directory of the swap file, '" + printable(dir) + "', does not exist"};
                if (auto st = check_fs_for_swapfile(c, dir, s); !st)
                        return st;
                auto st = c.host.stat(s.path);
                s.exists = st.ok();
                if (s.exists) {
                        if (!S_ISREG(st->st_mode))
                                return Error{EINVAL, "'" + printable(s.path) + "' exists and is not a regular file"};
                        auto info = probe_device(c.host, s.path, 0, true);
                        if (!info || info->type != "swap")
                                return Error{EINVAL, "'" + printable(s.path) +
                                                             "' exists and is not a swap area; remove it or choose another path"};
                        if (st->st_mode & 077)
                                return Error{EPERM, "'" + printable(s.path) + "' is readable by others (mode " +
                                                            [&] {
                                                                    char b[8];
                                                                    std::snprintf(b, sizeof b, "%04o", st->st_mode & 07777);
                                                                    return std::string(b);
                                                            }() + "); chmod 0600 it first"};
                        s.size = static_cast<uint64_t>(st->st_size);
                        if (from_cli && o.size_given && !o.size_auto && o.size_bytes != s.size)
                                return Error{EEXIST, "'" + printable(s.path) + "' already exists with " +
                                                             std::to_string(s.size) + " bytes; drop --size or remove it"};
                        auto mp = map_swap_file(c.host, s.path, c.page);
                        if (!mp)
                                return Error{mp.error().code, mp.error().message};
                        s.offset = mp->resume_offset;
                } else {
                        if (!from_cli)
                                return Error{ENOENT, "the swap file '" + printable(s.path) + "' in /etc/fstab does not exist"};
                        if (o.size_auto) {
                                auto mi = c.host.read_file("/proc/meminfo", 1u << 20);
                                auto mem = mi ? parse_meminfo(*mi) : std::map<std::string, uint64_t>{};
                                auto it = mem.find("MemTotal");
                                if (it == mem.end() || it->second == 0)
                                        return Error{ENODATA, "cannot read MemTotal from /proc/meminfo for --size auto; give --size"};
                                s.size = auto_swap_size(it->second);
                        } else {
                                s.size = (o.size_bytes + c.page - 1) / c.page * c.page;
                        }
                        struct ::statvfs sv;
                        auto cdir = c.host.canonicalize(dir);
                        auto dirfd = cdir ? c.host.open_dir(*cdir) : Result<Fd>(cdir.error());
                        if (!dirfd || ::fstatvfs(dirfd->get(), &sv) < 0)
                                return Error::from_errno(errno, "statvfs '" + printable(dir) + "'");
                        uint64_t avail = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
                        uint64_t total = static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize;
                        uint64_t need = s.size + swap_file_margin(total);
                        if (avail < need)
                                return Error{ENOSPC, "not enough space for a " + format_bytes(s.size) + " swap file in '" +
                                                             printable(dir) + "': " + format_bytes(avail) +
                                                             " available, " + format_bytes(need) +
                                                             " needed (the file plus a margin of " +
                                                             format_bytes(swap_file_margin(total)) + ")"};
                }
                auto u = fs_uuid_of(c, s.path);
                if (!u)
                        return u.error();
                s.uuid = u->first;
                s.fs_source = u->second;
                s.fstab_source = s.path;
                return ok_status();
        };

        if (o.swap)
                return setup_partition(*o.swap);
        if (o.swap_file)
                return setup_file(*o.swap_file, true);

        // Neither: the single suitable swap that is active or in fstab.
        struct Cand {
                std::string path;
                bool file;
                std::string from;
        };
        std::vector<Cand> cands;
        auto add = [&](const std::string &p, bool file, const std::string &from) {
                for (auto &x : cands)
                        if (x.path == p) {
                                x.from += ", " + from;
                                return;
                        }
                cands.push_back({p, file, from});
        };
        for (auto &e : swaps.entries) {
                if (e.kind == SwapKind::Zram || e.deleted)
                        continue;
                auto cn = c.host.canonicalize(e.path);
                add(cn ? *cn : e.path, e.kind == SwapKind::File, "active");
        }
        auto in_fstab = fstab_swaps(c, fstab_text);
        if (!in_fstab)
                return in_fstab.error();
        for (auto &f : *in_fstab) {
                if (f.resolved.empty())
                        continue;
                if (path_is_zram(f.resolved))
                        continue;
                add(f.resolved, f.file, "in /etc/fstab");
        }
        if (cands.size() != 1) {
                std::string msg = cands.empty()
                                          ? "no swap is active or in /etc/fstab; choose one with --swap DEVICE or "
                                            "create one with --swap-file PATH"
                                          : "several swap areas could be used; choose one with --swap or --swap-file:";
                for (auto &x : cands)
                        msg += " " + printable(x.path) + " (" + (x.file ? "file, " : "partition, ") + x.from + ");";
                if (!cands.empty())
                        msg.pop_back();
                return Error{cands.empty() ? ENODEV : EEXIST, msg};
        }
        if (cands[0].file)
                return setup_file(cands[0].path, false);
        return setup_partition(cands[0].path);
}

}  // namespace ht
