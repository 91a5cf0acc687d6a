// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/context.hh"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.hh"
#include "spawn.hh"

namespace ht {

std::string shell_word(const std::string &s)
{
        if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,+@") ==
                                  std::string::npos)
                return s;
        std::string o = "'";
        for (char c : s) {
                if (c == '\'')
                        o += "'\\''";
                else
                        o += c;
        }
        return o + "'";
}

std::string join_cmd(const std::vector<std::string> &argv)
{
        std::string s;
        for (auto &a : argv) {
                if (!s.empty())
                        s += ' ';
                s += shell_word(a);
        }
        return s;
}

// Runs argv (PATH search), stdout → stderr so JSON on stdout stays clean. With chroot_dir,
Result<int> run_cmd(const std::vector<std::string> &argv, const std::string &chroot_dir, std::string *capture,
                    const std::vector<std::string> &env)
{
        SpawnOptions so;
        so.env = env;
        so.out = capture ? SpawnOptions::Out::Capture : SpawnOptions::Out::ToStderr;
        so.chroot_dir = chroot_dir;
        so.standard_path = true;
        auto r = spawn_wait(argv, so);
        if (!r)
                return r.error();
        if (capture)
                *capture = std::move(r->out);
        return r->status;
}

// Bind mounts /dev /proc /sys into a target root for the duration of a chroot command and
Ctx::Ctx(const SetupOptions &opt, SetupReport &r, void (*l)(const std::string &))
        : o(opt), host(opt.root), rep(r), log(l)
{
        long p = ::sysconf(_SC_PAGESIZE);
        if (p > 0)
                page = static_cast<size_t>(p);
}

bool Ctx::is_file(std::string_view p) const
{
        auto st = host.stat(p);
        return st && S_ISREG(st->st_mode);
}

bool Ctx::is_dir(std::string_view p) const
{
        auto st = host.stat(p);
        return st && S_ISDIR(st->st_mode);
}

Result<std::optional<std::string>> Ctx::read(std::string_view p) const
{
        auto r = host.read_file(p, SETUP_READ_MAX);
        if (r)
                return std::optional<std::string>(std::move(*r));
        if (r.error().code == ENOENT)
                return std::optional<std::string>();
        if (r.error().code == EFBIG)
                return Error{EFBIG, "cannot read '" + printable(p) + "': it is larger than " +
                                            std::to_string(SETUP_READ_MAX >> 20) +
                                            " MiB, the most setup reads of a configuration file"};
        return Error{r.error().code, "cannot read '" + printable(p) + "': " + r.error().message};
}

std::string Ctx::display_cmd(const std::vector<std::string> &argv) const
{
        return in_root() ? "chroot " + shell_word(host.root()) + " " + join_cmd(argv) : join_cmd(argv);
}

SetupReport &refuse(SetupReport &r, std::string msg, int code)
{
        r.error = std::move(msg);
        r.exit_code = code;
        return r;
}

std::vector<std::string> missing_dirs(const Host &h, std::string_view file_abs)
{
        std::vector<std::string> out;
        std::string a(file_abs);
        auto slash = a.rfind('/');
        std::string dir = slash == 0 ? "/" : a.substr(0, slash);
        std::string cur;
        size_t i = 1;
        while (i <= dir.size()) {
                size_t j = dir.find('/', i);
                if (j == std::string::npos)
                        j = dir.size();
                if (j > i) {
                        cur += "/" + dir.substr(i, j - i);
                        if (!h.exists(cur))
                                out.push_back(cur);
                }
                i = j + 1;
        }
        return out;
}

Status write_planned(const Ctx &c, const Planned &p)
{
        if (!p.after) {
                // The file itself (a symlink stays a symlink: setup never removes a link's target).
                return c.host.remove(p.path);
        }
        return c.host.write_file_atomic(p.path, *p.after, p.mode);
}

unsigned mode_of(const Ctx &c, std::string_view p, unsigned dflt)
{
        auto st = c.host.stat(p);
        return st ? (st->st_mode & 07777) : dflt;
}

}  // namespace ht
