// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/manifest.hh"

#include <algorithm>
#include <cstdio>
#include <set>

#include "parse.hh"
#include "setup/hash.hh"

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
bool abs_clean(const std::string &p)
{
        return !p.empty() && p[0] == '/' && p.find('\0') == std::string::npos;
}
bool sha_field(std::string_view s)
{
        if (s == "-")
                return true;
        if (s.size() != 64)
                return false;
        for (char c : s)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return false;
        return true;
}
}  // namespace

std::string format_manifest(const Manifest &m)
{
        std::string s = "hibernate-tool-setup-manifest 2\n";
        for (auto &d : m.created_dirs)
                s += "dir " + pct_encode(d) + "\n";
        for (auto &f : m.files) {
                char mode[16];
                std::snprintf(mode, sizeof mode, "%04o", f.mode & 07777);
                s += "file " + std::string(f.existed ? "1" : "0") + " " + mode + " " +
                     pct_encode(f.existed ? f.orig : std::string("-")) + " " + pct_encode(f.path) + " " +
                     (f.orig_sha.empty() ? std::string("?") : f.orig_sha) + "\n";
                for (auto &e : f.edits)
                        s += "edit " + pct_encode(f.path) + " " + e.before_sha + " " + e.after_sha + " " +
                             std::to_string(e.offset) + " " + (e.eol ? "1" : "0") + " " + pct_encode(e.removed) + " " +
                             pct_encode(e.added) + "\n";
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
        int version = 0;
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
                auto f = split_fields(line);
                if (!header) {
                        if (f.size() != 2 || f[0] != "hibernate-tool-setup-manifest")
                                return bad("not a hibernate-tool setup manifest");
                        if (f[1] != "1" && f[1] != "2")
                                return bad("manifest of an unknown (newer) format");
                        version = f[1] == "1" ? 1 : 2;
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
                } else if (f[0] == "file" && f.size() == (version == 1 ? 5u : 6u)) {
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
                        if (version >= 2 && f[5] != "?") {
                                if (!sha_field(f[5]) || (f[5] == "-") == mf.existed)
                                        return bad("bad hash of the original");
                                mf.orig_sha = std::string(f[5]);
                        }
                        m.files.push_back(std::move(mf));
                } else if (f[0] == "edit" && version >= 2 && f.size() == 8) {
                        auto p = pct_decode(f[1]);
                        if (!p || m.files.empty() || m.files.back().path != *p || m.files.back().orig_sha.empty())
                                return bad("an edit not right after its file's entry");
                        ManifestEdit e;
                        if (!sha_field(f[2]) || !sha_field(f[3]))
                                return bad("bad hash");
                        e.before_sha = std::string(f[2]);
                        e.after_sha = std::string(f[3]);
                        auto off = parse_u64(f[4]);
                        if (!off || (f[5] != "0" && f[5] != "1"))
                                return bad("bad edit position");
                        e.offset = *off;
                        e.eol = f[5] == "1";
                        auto removed = pct_decode(f[6]);
                        auto added = pct_decode(f[7]);
                        if (!removed || !added)
                                return bad("bad edit text");
                        e.removed = std::move(*removed);
                        e.added = std::move(*added);
                        m.files.back().edits.push_back(std::move(e));
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

std::string content_sha(const std::optional<std::string> &content)
{
        return content ? sha256_hex(*content) : std::string("-");
}

ManifestEdit make_edit(const std::optional<std::string> &before, const std::optional<std::string> &after)
{
        ManifestEdit e;
        e.before_sha = content_sha(before);
        e.after_sha = content_sha(after);
        std::string b = before.value_or(""), a = after.value_or("");
        // A final newline setup added to the content before (to append a line after it) is
        // part of neither side's lines: the edit is recorded against the content with it.
        if (!b.empty() && b.back() != '\n' && a.size() > b.size() && a.compare(0, b.size(), b) == 0 &&
            a[b.size()] == '\n') {
                b += '\n';
                e.eol = true;
        }
        size_t n = std::min(b.size(), a.size());
        size_t p = 0;
        while (p < n && b[p] == a[p])
                p++;
        while (p > 0 && b[p - 1] != '\n')  // whole lines only
                p--;
        size_t s = 0;
        while (s < b.size() - p && s < a.size() - p && b[b.size() - 1 - s] == a[a.size() - 1 - s])
                s++;
        auto line_start = [&](const std::string &t, size_t pos) { return pos == p || t[pos - 1] == '\n'; };
        while (s > 0 && !(line_start(b, b.size() - s) && line_start(a, a.size() - s)))
                s--;
        e.offset = p;
        e.removed = b.substr(p, b.size() - s - p);
        e.added = a.substr(p, a.size() - s - p);
        return e;
}

void add_edit(ManifestFile &f, ManifestEdit e)
{
        if (!f.edits.empty() && f.edits.back().before_sha == e.before_sha)
                f.edits.back() = std::move(e);
        else
                f.edits.push_back(std::move(e));
}

std::optional<std::string> replay_edits(const ManifestFile &f, const std::optional<std::string> &orig)
{
        std::optional<std::string> cur = orig;
        for (auto &e : f.edits) {
                std::string t = cur.value_or("");
                if (e.eol)
                        t += '\n';
                if (e.offset <= t.size() && t.compare(e.offset, e.removed.size(), e.removed) == 0)
                        t.replace(e.offset, e.removed.size(), e.added);
                cur = e.after_sha == "-" ? std::nullopt : std::optional<std::string>(std::move(t));
        }
        return cur;
}

namespace {
// The content before e, from the content exactly after it.
std::optional<std::string> reverse_exact(const ManifestEdit &e, const std::optional<std::string> &after)
{
        if (e.before_sha == "-")
                return std::nullopt;
        std::string t = after.value_or("");
        if (e.offset <= t.size() && t.compare(e.offset, e.added.size(), e.added) == 0)
                t.replace(e.offset, e.added.size(), e.removed);
        if (e.eol && !t.empty() && t.back() == '\n')
                t.pop_back();
        return t;
}
std::string excerpt(const std::string &s)
{
        std::string line = s.substr(0, s.find('\n'));
        if (line.size() > 80)
                line = line.substr(0, 77) + "...";
        return printable(line);
}
}  // namespace

Result<std::optional<std::string>> undo_edits(const ManifestFile &f, const std::optional<std::string> &orig,
                                              const std::optional<std::string> &current)
{
        auto h = content_sha(current);
        if (f.edits.empty() || h == f.orig_sha || h == f.edits.back().after_sha)
                return orig;  // never changed, already back, or exactly as setup left it
        if (!f.existed && !current)
                return orig;  // a file setup created, removed since
        std::optional<std::string> cur = current;
        for (auto it = f.edits.rbegin(); it != f.edits.rend(); ++it) {
                auto &e = *it;
                h = content_sha(cur);
                if (h == e.after_sha) {
                        cur = reverse_exact(e, cur);
                        continue;
                }
                if (h == e.before_sha)  // that run never wrote the file (it was killed)
                        continue;
                // Changed since: setup's own text must still be there, once, verbatim.
                if (e.added.empty() && e.removed.empty())
                        continue;
                std::string t = cur.value_or("");
                size_t pos = e.added.empty() ? std::string::npos : t.find(e.added);
                if (pos == std::string::npos)
                        return Error{EEXIST, "'" + printable(f.path) + "' was changed since setup and what setup " +
                                                     (e.added.empty() ? "removed cannot be put back"
                                                                      : "wrote there (\"" + excerpt(e.added) +
                                                                                "\") is no longer there as it wrote it")};
                if (t.find(e.added, pos + 1) != std::string::npos)
                        return Error{EEXIST, "'" + printable(f.path) + "' was changed since setup and what setup wrote "
                                                     "there (\"" + excerpt(e.added) + "\") is there more than once"};
                t.replace(pos, e.added.size(), e.removed);
                cur = std::move(t);
        }
        if (content_sha(cur) == f.orig_sha)
                return orig;
        if (!f.existed && cur && cur->empty())
                return std::optional<std::string>();  // nothing of the admin's left in a file setup created
        return cur;
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
