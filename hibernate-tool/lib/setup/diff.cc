// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/diff.hh"

#include <cstdlib>
#include <unistd.h>

#include "setup/context.hh"

namespace ht {

std::string unified_diff(const std::string &path, const std::optional<std::string> &before,
                         const std::optional<std::string> &after)
{
        char a[] = "/tmp/hibernate-tool-diff-a-XXXXXX";
        char b[] = "/tmp/hibernate-tool-diff-b-XXXXXX";
        int fa = ::mkstemp(a), fb = ::mkstemp(b);
        std::string out;
        if (fa >= 0 && fb >= 0) {
                auto put = [](int fd, const std::optional<std::string> &s) {
                        if (!s)
                                return;
                        size_t off = 0;
                        while (off < s->size()) {
                                ssize_t n = ::write(fd, s->data() + off, s->size() - off);
                                if (n <= 0)
                                        return;
                                off += static_cast<size_t>(n);
                        }
                };
                put(fa, before);
                put(fb, after);
                auto r = run_cmd({"diff", "-u", "--label", before ? "a" + path : "/dev/null", "--label",
                                  after ? "b" + path : "/dev/null", a, b},
                                 "", &out);
                if (!r || (*r != 0 && *r != 1))
                        out.clear();
        }
        if (fa >= 0) {
                ::close(fa);
                ::unlink(a);
        }
        if (fb >= 0) {
                ::close(fb);
                ::unlink(b);
        }
        if (out.empty() && before != after) {  // no diff(1): whole files
                out = "--- " + (before ? "a" + path : std::string("/dev/null")) + "\n+++ " +
                      (after ? "b" + path : std::string("/dev/null")) + "\n";
                auto lines = [&](const std::optional<std::string> &s, char mark) {
                        if (!s)
                                return;
                        size_t i = 0;
                        while (i < s->size()) {
                                size_t nl = s->find('\n', i);
                                size_t e = nl == std::string::npos ? s->size() : nl;
                                out += mark + s->substr(i, e - i) + "\n";
                                i = e + 1;
                        }
                };
                lines(before, '-');
                lines(after, '+');
        }
        return out;
}

}  // namespace ht
