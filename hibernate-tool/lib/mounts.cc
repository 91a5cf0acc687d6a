// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mounts.hh"

#include <cstdio>

#include <libmount.h>
#include <memory>
#include <sys/sysmacros.h>

#include "host.hh"

namespace ht {

namespace {
struct TableDeleter {
        void operator()(libmnt_table *t) const { mnt_unref_table(t); }
};
struct IterDeleter {
        void operator()(libmnt_iter *i) const { mnt_free_iter(i); }
};
std::string s(const char *p) { return p ? std::string(p) : std::string(); }
}  // namespace

Result<std::vector<MountEntry>> read_mountinfo(const Host &host)
{
        const std::string file = "/proc/self/mountinfo";
        auto fd = host.open_read(file);
        if (!fd)
                return fd.error();
        std::unique_ptr<FILE, int (*)(FILE *)> f(::fdopen(*fd, "re"), &::fclose);
        if (!f) {
                ::close(*fd);
                return Error::from_errno(errno, "Failed to open '" + file + "'");
        }
        std::unique_ptr<libmnt_table, TableDeleter> tb(mnt_new_table());
        if (!tb)
                return Error{ENOMEM, "Failed to allocate a libmount table"};
        int r = mnt_table_parse_stream(tb.get(), f.get(), host.path(file).c_str());
        if (r < 0)
                return Error::from_errno(-r, "Failed to parse '" + file + "'");
        std::unique_ptr<libmnt_iter, IterDeleter> it(mnt_new_iter(MNT_ITER_FORWARD));
        std::vector<MountEntry> out;
        libmnt_fs *fs = nullptr;
        while (mnt_table_next_fs(tb.get(), it.get(), &fs) == 0) {
                MountEntry m;
                m.source = s(mnt_fs_get_srcpath(fs));
                if (m.source.empty())
                        m.source = s(mnt_fs_get_source(fs));
                m.target = s(mnt_fs_get_target(fs));
                m.fstype = s(mnt_fs_get_fstype(fs));
                m.options = s(mnt_fs_get_options(fs));
                m.root = s(mnt_fs_get_root(fs));
                dev_t d = mnt_fs_get_devno(fs);
                m.devnum = DevNum{major(d), minor(d)};
                const char *vfs = mnt_fs_get_vfs_options(fs);
                m.read_only = vfs && mnt_optstr_get_option(vfs, "ro", nullptr, nullptr) == 0;
                out.push_back(std::move(m));
        }
        return out;
}

std::optional<MountEntry> mount_containing(const std::vector<MountEntry> &mounts, const std::string &abs)
{
        std::optional<MountEntry> best;
        for (auto &m : mounts) {
                const std::string &t = m.target;
                bool prefix = t == "/" || abs == t ||
                              (abs.size() > t.size() && abs.compare(0, t.size(), t) == 0 && abs[t.size()] == '/');
                if (!prefix)
                        continue;
                if (!best || t.size() >= best->target.size())
                        best = m;
        }
        return best;
}

}  // namespace ht
