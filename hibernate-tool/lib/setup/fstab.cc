// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/fstab.hh"

#include <cstdio>
#include <memory>

#include <libmount.h>

#include "devices.hh"
#include "parse.hh"

namespace ht {

std::string fstab_escape(std::string_view field)
{
        std::string out;
        for (char ch : field) {
                switch (ch) {
                case ' ':
                        out += "\\040";
                        break;
                case '\t':
                        out += "\\011";
                        break;
                case '\n':
                        out += "\\012";
                        break;
                case '\\':
                        out += "\\134";
                        break;
                default:
                        out += ch;
                }
        }
        return out;
}

std::string fstab_swap_line(std::string_view source)
{
        return fstab_escape(source) + " none swap defaults 0 0\n";
}

std::string fstab_append_swap(std::string_view fstab, std::string_view source)
{
        std::string out(fstab);
        if (!out.empty() && out.back() != '\n')
                out += '\n';
        out += fstab_swap_line(source);
        return out;
}

namespace {
int count_bad_line(libmnt_table *tb, const char *, int)
{
        auto *n = static_cast<unsigned *>(mnt_table_get_userdata(tb));
        if (n)
                (*n)++;
        return 1;  // skip the line, go on
}
}  // namespace

Result<FstabTable> fstab_parse(std::string_view text)
{
        std::unique_ptr<libmnt_table, void (*)(libmnt_table *)> tb(mnt_new_table(), mnt_unref_table);
        if (!tb)
                return Error{ENOMEM, "cannot parse fstab: out of memory"};
        FstabTable out;
        mnt_table_set_userdata(tb.get(), &out.bad_lines);
        mnt_table_set_parser_errcb(tb.get(), count_bad_line);
        // libmount reads a FILE*: the text through fmemopen (an empty text needs no parsing).
        if (!text.empty()) {
                FILE *f = ::fmemopen(const_cast<char *>(text.data()), text.size(), "r");
                if (!f)
                        return Error::from_errno(errno, "cannot parse fstab: fmemopen");
                int rc = mnt_table_parse_stream(tb.get(), f, "fstab");
                std::fclose(f);
                if (rc < 0)
                        return Error{-rc, "libmount cannot parse the fstab"};
        }
        std::unique_ptr<libmnt_iter, void (*)(libmnt_iter *)> it(mnt_new_iter(MNT_ITER_FORWARD), mnt_free_iter);
        if (!it)
                return Error{ENOMEM, "cannot parse fstab: out of memory"};
        libmnt_fs *fs = nullptr;
        while (mnt_table_next_fs(tb.get(), it.get(), &fs) == 0) {
                FstabEntry e;
                if (const char *s = mnt_fs_get_source(fs))
                        e.source = s;
                if (const char *s = mnt_fs_get_target(fs))
                        e.target = s;
                if (const char *s = mnt_fs_get_fstype(fs))
                        e.fstype = s;
                out.entries.push_back(std::move(e));
        }
        return out;
}

Status fstab_verify(std::string_view old_text, std::string_view new_text, std::string_view source)
{
        auto before = fstab_parse(old_text);
        auto after = fstab_parse(new_text);
        if (!before)
                return before.error();
        if (!after)
                return after.error();
        if (after->bad_lines > before->bad_lines)
                return Error{EINVAL, "the new /etc/fstab would have a line libmount cannot parse; not written"};
        unsigned n = 0;
        for (auto &e : after->entries)
                n += e.fstype == "swap" && e.source == source;
        if (n != 1)
                return Error{EINVAL, "the new /etc/fstab would hold the swap entry for '" + printable(source) + "' " +
                                             std::to_string(n) + " times when parsed with libmount; not written"};
        return ok_status();
}

Result<std::vector<FstabSwap>> fstab_swaps(const Ctx &c, const std::optional<std::string> &text)
{
        std::vector<FstabSwap> out;
        if (!text)
                return out;
        auto tab = fstab_parse(*text);
        if (!tab)
                return tab.error();
        for (auto &fe : tab->entries) {
                if (fe.fstype != "swap")
                        continue;
                FstabSwap e;
                e.source = fe.source;
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
        return out;
}

}  // namespace ht
