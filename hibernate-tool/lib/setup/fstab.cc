// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/fstab.hh"

#include <cstdio>

#include <libmount.h>

#include "devices.hh"
#include "parse.hh"

namespace ht {

std::string fstab_append_swap(std::string_view fstab, std::string_view source)
{
        std::string out(fstab);
        if (!out.empty() && out.back() != '\n')
                out += '\n';
        out += std::string(source) + " none swap defaults 0 0\n";
        return out;
}

std::vector<FstabSwap> fstab_swaps(const Ctx &c, const std::optional<std::string> &text)
{
        std::vector<FstabSwap> out;
        if (!text)
                return out;
        libmnt_table *tb = mnt_new_table();
        if (!tb)
                return out;
        // Parse from a copy on the host's /tmp: libmount wants a file or FILE*.
        FILE *f = ::fmemopen(const_cast<char *>(text->data()), text->size(), "r");
        if (f) {
                (void) mnt_table_parse_stream(tb, f, "fstab");
                std::fclose(f);
        }
        libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        libmnt_fs *fs = nullptr;
        while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_fstype(fs);
                if (!t || std::string(t) != "swap")
                        continue;
                FstabSwap e;
                const char *src = mnt_fs_get_source(fs);
                e.source = src ? src : "";
                auto spec = parse_device_spec(e.source);
                if (spec && spec->kind != SpecKind::Path) {
                        if (auto d = resolve_device(c.host, *spec))
                                e.resolved = d->path;
                } else if (!e.source.empty() && e.source[0] == '/') {
                        if (auto cn = c.host.canonicalize(e.source))
                                e.resolved = *cn;
                        else
                                e.resolved = e.source;
                        e.file = e.source.rfind("/dev/", 0) != 0;
                }
                out.push_back(e);
        }
        if (it)
                mnt_free_iter(it);
        mnt_unref_table(tb);
        return out;
}

}  // namespace ht
