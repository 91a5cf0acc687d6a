// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/manifest.hh"

#include <algorithm>
#include <cstdio>
#include <set>

namespace ht {

namespace {
std::string pct_encode(std::string_view s)
{
        static const char hex[] = "0123456789ABCDEF";
        std::string out;
        for (unsigned char c : s) {
                if (c <= 0x20 || c == '%' || c >= 0x7f) {
                        out += '%';
                        out += hex[c >> 4];
                        out += hex[c & 15];
                } else {
                        out += static_cast<char>(c);
                }
        }
        return out.empty() ? "%" : out;  // "%" alone: the empty string
}
std::optional<std::string> pct_decode(std::string_view s)
{
        if (s == "%")
                return std::string();
        std::string out;
        for (size_t i = 0; i < s.size(); i++) {
                if (s[i] != '%') {
                        out += s[i];
                        continue;
                }
                if (i + 2 >= s.size())
                        return std::nullopt;
                auto hv = [](char c) -> int {
                        if (c >= '0' && c <= '9')
                                return c - '0';
                        if (c >= 'A' && c <= 'F')
                                return c - 'A' + 10;
                        if (c >= 'a' && c <= 'f')
                                return c - 'a' + 10;
                        return -1;
                };
                int h = hv(s[i + 1]), l = hv(s[i + 2]);
                if (h < 0 || l < 0)
                        return std::nullopt;
                out += static_cast<char>(h * 16 + l);
                i += 2;
        }
        return out;
}
std::vector<std::string_view> fields(std::string_view line)
{
        std::vector<std::string_view> f;
        size_t i = 0;
        while (i < line.size()) {
                while (i < line.size() && line[i] == ' ')
                        i++;
                size_t j = i;
                while (j < line.size() && line[j] != ' ')
                        j++;
                if (j > i)
                        f.push_back(line.substr(i, j - i));
                i = j;
        }
        return f;
}
bool abs_clean(const std::string &p)
{
        return !p.empty() && p[0] == '/' && p.find('\0') == std::string::npos;
}
}  // namespace

std::string format_manifest(const Manifest &m)
{
        std::string s = "hibernate-tool-setup-manifest 1\n";
        for (auto &d : m.created_dirs)
                s += "dir " + pct_encode(d) + "\n";
        for (auto &f : m.files) {
                char mode[16];
                std::snprintf(mode, sizeof mode, "%04o", f.mode & 07777);
                s += "file " + std::string(f.existed ? "1" : "0") + " " + mode + " " +
                     pct_encode(f.existed ? f.orig : std::string("-")) + " " + pct_encode(f.path) + "\n";
        }
        for (auto &f : m.created_swap_files)
                s += "swapfile " + pct_encode(f) + "\n";
        if (m.grubby)
                s += "grubby " + pct_encode(m.grubby_args) + "\n";
        s += "end\n";
        return s;
}

Result<Manifest> parse_manifest(std::string_view text)
{
        Manifest m;
        size_t i = 0;
        unsigned lineno = 0;
        bool header = false, end = false;
        std::set<std::string> seen;
        while (i < text.size()) {
                size_t nl = text.find('\n', i);
                if (nl == std::string_view::npos)
                        return Error{EINVAL, "setup manifest is truncated (no final newline)"};
                std::string_view line = text.substr(i, nl - i);
                i = nl + 1;
                lineno++;
                auto bad = [&](const char *why) {
                        return Error{EINVAL, "setup manifest line " + std::to_string(lineno) + ": " + why};
                };
                if (end)
                        return bad("data after 'end'");
                auto f = fields(line);
                if (!header) {
                        if (f.size() != 2 || f[0] != "hibernate-tool-setup-manifest")
                                return bad("not a hibernate-tool setup manifest");
                        if (f[1] != "1")
                                return bad("manifest of an unknown (newer) format");
                        header = true;
                        continue;
                }
                if (f.empty())
                        return bad("empty line");
                if (f[0] == "end" && f.size() == 1) {
                        end = true;
                } else if (f[0] == "dir" && f.size() == 2) {
                        auto p = pct_decode(f[1]);
                        if (!p || !abs_clean(*p))
                                return bad("bad directory path");
                        m.created_dirs.push_back(*p);
                } else if (f[0] == "file" && f.size() == 5) {
                        ManifestFile mf;
                        if (f[1] != "0" && f[1] != "1")
                                return bad("bad existed flag");
                        mf.existed = f[1] == "1";
                        unsigned mode = 0;
                        if (f[2].size() != 4)
                                return bad("bad mode");
                        for (char c : f[2]) {
                                if (c < '0' || c > '7')
                                        return bad("bad mode");
                                mode = mode * 8 + static_cast<unsigned>(c - '0');
                        }
                        mf.mode = mode;
                        auto orig = pct_decode(f[3]);
                        auto p = pct_decode(f[4]);
                        if (!orig || !p || !abs_clean(*p))
                                return bad("bad file entry");
                        if (mf.existed) {
                                if (orig->empty() || orig->find('/') != std::string::npos || *orig == "." ||
                                    *orig == ".." || *orig == "manifest")
                                        return bad("bad saved-copy name");
                                mf.orig = *orig;
                        } else if (*orig != "-") {
                                return bad("a new file has no saved copy");
                        }
                        mf.path = *p;
                        if (!seen.insert(mf.path).second)
                                return bad("file listed twice");
                        m.files.push_back(std::move(mf));
                } else if (f[0] == "swapfile" && f.size() == 2) {
                        auto p = pct_decode(f[1]);
                        if (!p || !abs_clean(*p) ||
                            std::find(m.created_swap_files.begin(), m.created_swap_files.end(), *p) !=
                                    m.created_swap_files.end())
                                return bad("bad swapfile entry");
                        m.created_swap_files.push_back(*p);
                } else if (f[0] == "grubby" && f.size() == 2) {
                        auto a = pct_decode(f[1]);
                        if (!a || m.grubby)
                                return bad("bad grubby entry");
                        m.grubby = true;
                        m.grubby_args = *a;
                } else {
                        return bad("unknown entry");
                }
        }
        if (!header)
                return Error{EINVAL, "setup manifest is empty"};
        if (!end)
                return Error{EINVAL, "setup manifest is truncated (no 'end')"};
        return m;
}

Result<Manifest> load_manifest(const Ctx &c)
{
        std::string p = std::string(SETUP_STATE_DIR) + "/manifest";
        auto t = c.host.read_file(p, 4u << 20);
        if (!t) {
                if (t.error().code == ENOENT)
                        return Error{ENOENT, "no setup state"};
                return t.error();
        }
        auto m = parse_manifest(*t);
        if (!m)
                return Error{EINVAL, p + ": " + m.error().message};
        return m;
}

}  // namespace ht
