// SPDX-License-Identifier: LGPL-2.1-or-later
#include "parse.hh"

#include <algorithm>
#include <cctype>
#include <limits>

namespace ht {

namespace {

bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s)
{
        while (!s.empty() && is_space(s.front()))
                s.remove_prefix(1);
        while (!s.empty() && is_space(s.back()))
                s.remove_suffix(1);
        return s;
}

std::vector<std::string_view> split_ws(std::string_view s)
{
        std::vector<std::string_view> out;
        size_t i = 0;
        while (i < s.size()) {
                while (i < s.size() && is_space(s[i]))
                        i++;
                size_t j = i;
                while (j < s.size() && !is_space(s[j]))
                        j++;
                if (j > i)
                        out.push_back(s.substr(i, j - i));
                i = j;
        }
        return out;
}

}  // namespace

// ---- kernel command line ---------------------------------------------------------------

std::vector<CmdlineArg> parse_cmdline(std::string_view text)
{
        std::vector<CmdlineArg> out;
        size_t i = 0;
        while (i < text.size()) {
                while (i < text.size() && is_space(text[i]))
                        i++;
                if (i >= text.size())
                        break;
                // One word: quotes group whitespace and are dropped, as the kernel does.
                std::string word;
                bool in_quote = false;
                size_t eq = std::string::npos;
                for (; i < text.size(); i++) {
                        char c = text[i];
                        if (c == '"') {
                                in_quote = !in_quote;
                                continue;
                        }
                        if (!in_quote && is_space(c))
                                break;
                        if (c == '=' && eq == std::string::npos)
                                eq = word.size();
                        word.push_back(c);
                }
                if (word == "--")  // everything after "--" belongs to init
                        break;
                CmdlineArg a;
                if (eq == std::string::npos) {
                        a.key = word;
                } else {
                        a.key = word.substr(0, eq);
                        a.value = word.substr(eq + 1);
                }
                if (!a.key.empty())
                        out.push_back(std::move(a));
        }
        return out;
}

std::optional<std::string> Cmdline::value(std::string_view key) const
{
        std::optional<std::string> v;
        for (auto &a : args_)
                if (a.key == key && a.value)
                        v = a.value;
        return v;
}

bool Cmdline::has_flag(std::string_view key) const
{
        for (auto &a : args_)
                if (a.key == key)
                        return true;
        return false;
}

// ---- numbers ---------------------------------------------------------------------------

std::optional<uint64_t> parse_u64(std::string_view s)
{
        if (s.empty() || s.size() > 20)
                return std::nullopt;
        uint64_t v = 0;
        for (char c : s) {
                if (c < '0' || c > '9')
                        return std::nullopt;
                unsigned d = static_cast<unsigned>(c - '0');
                if (v > (std::numeric_limits<uint64_t>::max() - d) / 10)
                        return std::nullopt;
                v = v * 10 + d;
        }
        return v;
}

std::optional<int64_t> parse_i64(std::string_view s)
{
        bool neg = false;
        if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
                neg = s[0] == '-';
                s.remove_prefix(1);
        }
        auto u = parse_u64(s);
        if (!u)
                return std::nullopt;
        if (neg) {
                if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1)
                        return std::nullopt;
                return static_cast<int64_t>(0 - *u);
        }
        if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                return std::nullopt;
        return static_cast<int64_t>(*u);
}

std::optional<uint64_t> parse_size(std::string_view s)
{
        s = trim(s);
        size_t n = 0;
        while (n < s.size() && s[n] >= '0' && s[n] <= '9')
                n++;
        auto num = parse_u64(s.substr(0, n));
        if (!num)
                return std::nullopt;
        std::string_view suf = s.substr(n);
        if (!suf.empty() && suf.front() == ' ')
                suf.remove_prefix(1);
        unsigned shift = 0;
        if (!suf.empty()) {
                switch (std::toupper(static_cast<unsigned char>(suf[0]))) {
                case 'K': shift = 10; break;
                case 'M': shift = 20; break;
                case 'G': shift = 30; break;
                case 'T': shift = 40; break;
                case 'B': shift = 0; break;
                default: return std::nullopt;
                }
                std::string_view rest = suf.substr(1);
                if (suf[0] == 'B' || suf[0] == 'b') {
                        if (!rest.empty())
                                return std::nullopt;
                } else if (!(rest.empty() || rest == "B" || rest == "iB" || rest == "b"))
                        return std::nullopt;
        }
        if (shift && *num > (std::numeric_limits<uint64_t>::max() >> shift))
                return std::nullopt;
        return *num << shift;
}

std::optional<std::pair<unsigned, unsigned>> parse_devnum(std::string_view s)
{
        auto colon = s.find(':');
        if (colon == std::string_view::npos)
                return std::nullopt;
        auto ma = parse_u64(s.substr(0, colon));
        auto mi = parse_u64(s.substr(colon + 1));
        if (!ma || !mi || *ma > 0xfff || *mi > 0xfffff)
                return std::nullopt;
        return std::make_pair(static_cast<unsigned>(*ma), static_cast<unsigned>(*mi));
}

// ---- /proc/swaps -----------------------------------------------------------------------

std::string unescape_octal(std::string_view s)
{
        std::string out;
        out.reserve(s.size());
        auto oct = [](char c) { return c >= '0' && c <= '7'; };
        for (size_t i = 0; i < s.size(); i++) {
                if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
                        int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
                        if (v <= 0xff) {
                                out.push_back(static_cast<char>(v));
                                i += 3;
                                continue;
                        }
                }
                out.push_back(s[i]);
        }
        return out;
}

SwapsParse parse_proc_swaps(std::string_view text)
{
        SwapsParse r;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                if (trim(line).empty())
                        continue;
                auto f = split_ws(line);
                if (lines.number() == 1 && !f.empty() && f[0] == "Filename")
                        continue;
                // "(deleted)" may follow the (escaped) path as its own word on old kernels.
                bool deleted = false;
                if (f.size() == 6 && f[1] == "(deleted)") {
                        deleted = true;
                        f.erase(f.begin() + 1);
                }
                if (f.size() != 5) {
                        r.errors.push_back("line " + std::to_string(lines.number()) + ": expected 5 fields, got " +
                                           std::to_string(f.size()));
                        continue;
                }
                SwapEntry e;
                e.path = unescape_octal(f[0]);
                const std::string del = " (deleted)";
                if (e.path.size() > del.size() && e.path.compare(e.path.size() - del.size(), del.size(), del) == 0) {
                        deleted = true;
                        e.path.resize(e.path.size() - del.size());
                }
                e.deleted = deleted;
                e.type = std::string(f[1]);
                auto size = parse_u64(f[2]);
                auto used = parse_u64(f[3]);
                auto prio = parse_i64(f[4]);
                if (!size || !used || !prio || *prio < std::numeric_limits<int>::min() ||
                    *prio > std::numeric_limits<int>::max() || *size > (UINT64_MAX >> 10) ||
                    *used > *size || (e.type != "partition" && e.type != "file")) {
                        r.errors.push_back("line " + std::to_string(lines.number()) + ": malformed entry for '" +
                                           printable(e.path) + "'");
                        continue;
                }
                e.size_bytes = *size << 10;
                e.used_bytes = *used << 10;
                e.priority = static_cast<int>(*prio);
                if (e.type == "file")
                        e.kind = SwapKind::File;
                else if (path_is_zram(e.path))
                        e.kind = SwapKind::Zram;
                else
                        e.kind = SwapKind::Partition;
                r.entries.push_back(std::move(e));
        }
        return r;
}

bool path_is_zram(std::string_view p)
{
        constexpr std::string_view pre = "/dev/zram";
        return p.substr(0, pre.size()) == pre;
}

// ---- /proc/meminfo ---------------------------------------------------------------------

std::map<std::string, uint64_t> parse_meminfo(std::string_view text)
{
        std::map<std::string, uint64_t> m;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                auto colon = line.find(':');
                if (colon == std::string_view::npos || colon == 0)
                        continue;
                auto f = split_ws(line.substr(colon + 1));
                if (f.empty() || f.size() > 2)
                        continue;
                auto v = parse_u64(f[0]);
                if (!v)
                        continue;
                uint64_t bytes = *v;
                if (f.size() == 2) {
                        if (f[1] != "kB" || bytes > (UINT64_MAX >> 10))
                                continue;
                        bytes <<= 10;
                }
                m[std::string(line.substr(0, colon))] = bytes;
        }
        return m;
}

// ---- device specifications ---------------------------------------------------------------

Result<DeviceSpec> parse_device_spec(std::string_view raw)
{
        std::string_view s = trim(raw);
        DeviceSpec d;
        d.original = std::string(raw);
        auto bad = [&](std::string why) {
                return Error{EINVAL, "Invalid device specification '" + printable(raw) + "': " + why};
        };
        if (s.empty())
                return bad("empty");
        for (char c : s)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                        return bad("contains control characters");
        struct Tag {
                std::string_view prefix;
                SpecKind kind;
        };
        static constexpr Tag tags[] = {
                {"UUID=", SpecKind::Uuid},
                {"PARTUUID=", SpecKind::PartUuid},
                {"LABEL=", SpecKind::Label},
                {"PARTLABEL=", SpecKind::PartLabel},
        };
        for (auto &t : tags) {
                if (s.substr(0, t.prefix.size()) == t.prefix) {
                        d.kind = t.kind;
                        d.value = std::string(s.substr(t.prefix.size()));
                        if (d.value.size() >= 2 && (d.value.front() == '"' || d.value.front() == '\'') &&
                            d.value.back() == d.value.front())
                                d.value = d.value.substr(1, d.value.size() - 2);
                        if (d.value.empty())
                                return bad("no value after " + std::string(t.prefix));
                        if (d.kind == SpecKind::PartUuid && d.value.find('/') != std::string::npos)
                                return bad("PARTUUID=…/PARTNROFF= is not supported for resume devices");
                        if (d.kind == SpecKind::Uuid || d.kind == SpecKind::PartUuid) {
                                for (char c : d.value)
                                        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-')
                                                return bad("'" + printable(d.value) + "' is not a UUID");
                                for (auto &c : d.value)
                                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                        }
                        return d;
                }
        }
        if (s.front() == '/') {
                if (s.substr(0, 5) != "/dev/")
                        return bad("a device path must be under /dev/");
                d.kind = SpecKind::Path;
                d.value = std::string(s);
                return d;
        }
        if (auto dn = parse_devnum(s)) {
                d.kind = SpecKind::Devnum;
                d.major = dn->first;
                d.minor = dn->second;
                d.value = std::to_string(d.major) + ":" + std::to_string(d.minor);
                return d;
        }
        bool all_hex = s.size() <= 8;
        for (char c : s)
                all_hex = all_hex && std::isxdigit(static_cast<unsigned char>(c));
        if (all_hex) {  // the kernel's encoded dev_t, e.g. "fe01" (new_decode_dev)
                uint32_t v = static_cast<uint32_t>(std::stoul(std::string(s), nullptr, 16));
                d.kind = SpecKind::Devnum;
                d.major = (v & 0xfff00u) >> 8;
                d.minor = (v & 0xffu) | ((v >> 12) & 0xfff00u);
                d.value = std::to_string(d.major) + ":" + std::to_string(d.minor);
                return d;
        }
        for (char c : s)
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                      c == '!' || c == '+'))
                        return bad("not a UUID=, PARTUUID=, LABEL=, PARTLABEL=, /dev path or MAJ:MIN");
        d.kind = SpecKind::Path;  // bare kernel name such as "sda2", as the kernel accepts
        d.value = "/dev/" + std::string(s);
        return d;
}

// ---- choice lists ----------------------------------------------------------------------

ChoiceList parse_choice_list(std::string_view text)
{
        ChoiceList c;
        for (auto w : split_ws(text)) {
                if (w.size() >= 2 && w.front() == '[' && w.back() == ']') {
                        w = w.substr(1, w.size() - 2);
                        c.selected = std::string(w);
                }
                if (!w.empty())
                        c.items.emplace_back(w);
        }
        return c;
}

// ---- shell assignments -----------------------------------------------------------------

namespace {

// Values longer than this are truncated (no real configuration comes close).
constexpr size_t MAX_SHELL_VALUE = 64 * 1024;

bool valid_name_char(char c, bool first)
{
        return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
               (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Expands $VAR / ${VAR} at s[i] (s[i] == '$'); appends to out, returns new index.
size_t expand_var(std::string_view s, size_t i, const ShellVars &vars, std::string &out)
{
        size_t j = i + 1;
        std::string name;
        if (j < s.size() && s[j] == '{') {
                size_t close = s.find('}', j);
                if (close == std::string_view::npos) {
                        out.push_back('$');
                        return i + 1;
                }
                name = std::string(s.substr(j + 1, close - j - 1));
                // ${VAR:-default} and friends: take the name, ignore the operator.
                auto op = name.find_first_of(":-+=?");
                if (op != std::string::npos)
                        name.resize(op);
                j = close + 1;
        } else {
                while (j < s.size() && valid_name_char(s[j], j == i + 1))
                        name.push_back(s[j++]);
                if (name.empty()) {
                        out.push_back('$');
                        return i + 1;
                }
        }
        auto it = vars.find(name);
        if (it != vars.end())  // bounded: A=$A$A repeated must not grow without limit
                out.append(it->second, 0, std::min(it->second.size(), MAX_SHELL_VALUE - std::min(out.size(), MAX_SHELL_VALUE)));
        return j;
}

}  // namespace

void parse_shell_assignments(std::string_view text, ShellVars &vars)
{
        size_t pos = 0;
        while (pos < text.size()) {
                // Logical line (backslash-newline continues outside single quotes; quoted
                // newlines are kept).
                size_t i = pos;
                while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
                        i++;
                auto skip_line = [&]() {
                        size_t nl = text.find('\n', i);
                        pos = nl == std::string_view::npos ? text.size() : nl + 1;
                };
                if (i >= text.size())
                        break;
                if (text[i] == '#' || text[i] == '\n') {
                        skip_line();
                        continue;
                }
                if (text.substr(i, 7) == "export " || text.substr(i, 7) == "export\t") {
                        i += 7;
                        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
                                i++;
                }
                size_t n = i;
                while (n < text.size() && valid_name_char(text[n], n == i))
                        n++;
                bool append = n + 1 < text.size() && text[n] == '+' && text[n + 1] == '=';
                if (n == i || n >= text.size() || (text[n] != '=' && !append)) {
                        skip_line();
                        continue;
                }
                std::string name(text.substr(i, n - i));
                std::string value;
                if (append) {
                        if (auto prev = vars.find(name); prev != vars.end())
                                value = prev->second;
                        n++;
                }
                size_t k = n + 1;
                bool ok = true;
                while (k < text.size() && !is_space(text[k]) && text[k] != ';') {
                        char c = text[k];
                        if (c == '\'') {
                                size_t close = text.find('\'', k + 1);
                                if (close == std::string_view::npos) {
                                        ok = false;
                                        k = text.size();
                                        break;
                                }
                                value += text.substr(k + 1, close - k - 1);
                                k = close + 1;
                        } else if (c == '"') {
                                k++;
                                bool closed = false;
                                while (k < text.size()) {
                                        char d = text[k];
                                        if (d == '"') {
                                                closed = true;
                                                k++;
                                                break;
                                        }
                                        if (d == '\\' && k + 1 < text.size()) {
                                                char e = text[k + 1];
                                                if (e == '$' || e == '`' || e == '"' || e == '\\') {
                                                        value.push_back(e);
                                                        k += 2;
                                                        continue;
                                                }
                                                if (e == '\n') {
                                                        k += 2;
                                                        continue;
                                                }
                                        }
                                        if (d == '$') {
                                                k = expand_var(text, k, vars, value);
                                                continue;
                                        }
                                        value.push_back(d);
                                        k++;
                                }
                                if (!closed) {
                                        ok = false;
                                        break;
                                }
                        } else if (c == '\\' && k + 1 < text.size()) {
                                if (text[k + 1] != '\n')
                                        value.push_back(text[k + 1]);
                                k += 2;
                        } else if (c == '$') {
                                k = expand_var(text, k, vars, value);
                        } else if (c == '`') {  // command substitution: not evaluated
                                ok = false;
                                break;
                        } else {
                                value.push_back(c);
                                k++;
                        }
                }
                if (value.size() > MAX_SHELL_VALUE)
                        value.resize(MAX_SHELL_VALUE);
                if (ok)
                        vars[name] = value;
                i = k;
                size_t nl = text.find('\n', i);
                pos = nl == std::string_view::npos ? text.size() : nl + 1;
        }
}

// ---- grub.cfg --------------------------------------------------------------------------

namespace {

// Splits a grub.cfg line into words with grub's quoting (single, double, backslash).
std::vector<std::string> grub_words(std::string_view line)
{
        std::vector<std::string> words;
        size_t i = 0;
        while (i < line.size()) {
                while (i < line.size() && is_space(line[i]))
                        i++;
                if (i >= line.size() || line[i] == '#')
                        break;
                std::string w;
                while (i < line.size() && !is_space(line[i])) {
                        char c = line[i];
                        if (c == '\'') {
                                size_t close = line.find('\'', i + 1);
                                if (close == std::string_view::npos)
                                        close = line.size();
                                w += line.substr(i + 1, close - i - 1);
                                i = close < line.size() ? close + 1 : close;
                        } else if (c == '"') {
                                i++;
                                while (i < line.size() && line[i] != '"') {
                                        if (line[i] == '\\' && i + 1 < line.size())
                                                i++;
                                        w.push_back(line[i++]);
                                }
                                if (i < line.size())
                                        i++;
                        } else if (c == '\\' && i + 1 < line.size()) {
                                w.push_back(line[i + 1]);
                                i += 2;
                        } else {
                                w.push_back(c);
                                i++;
                        }
                }
                words.push_back(std::move(w));
        }
        return words;
}

}  // namespace

std::vector<GrubEntry> parse_grub_cfg(std::string_view text)
{
        std::vector<GrubEntry> out;
        struct Frame {
                bool is_entry = false, is_submenu = false;
                size_t entry_index = 0;
                std::string id;
        };
        std::vector<Frame> stack;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                auto w = grub_words(line);
                if (w.empty())
                        continue;
                bool opens = w.back() == "{" || (!w.back().empty() && w.back().back() == '{');
                if (w[0] == "menuentry" || w[0] == "submenu") {
                        Frame f;
                        std::string title = w.size() > 1 ? w[1] : "";
                        std::string id;
                        for (size_t k = 2; k + 1 < w.size(); k++)
                                if (w[k] == "--id" || w[k] == "$menuentry_id_option" ||
                                    w[k] == "${menuentry_id_option}")
                                        id = w[k + 1];
                        std::string prefix;
                        for (auto &s : stack)
                                if (s.is_submenu)
                                        prefix += s.id + ">";
                        if (w[0] == "menuentry") {
                                GrubEntry e;
                                e.title = title;
                                e.id = id;
                                e.submenu_path = prefix;
                                out.push_back(std::move(e));
                                f.is_entry = true;
                                f.entry_index = out.size() - 1;
                        } else {
                                f.is_submenu = true;
                                f.id = id.empty() ? title : id;
                        }
                        if (opens)
                                stack.push_back(std::move(f));
                        continue;
                }
                if (w[0] == "}") {
                        if (!stack.empty())
                                stack.pop_back();
                        continue;
                }
                if ((w[0] == "linux" || w[0] == "linuxefi" || w[0] == "linux16") && w.size() >= 2) {
                        for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
                                if (!it->is_entry)
                                        continue;
                                auto &e = out[it->entry_index];
                                e.kernel = w[1];
                                std::string cl;
                                for (size_t k = 2; k < w.size(); k++) {
                                        if (!cl.empty())
                                                cl += ' ';
                                        cl += w[k];
                                }
                                e.cmdline = cl;
                                break;
                        }
                        continue;
                }
                if (opens)  // if/function blocks
                        stack.push_back(Frame{});
        }
        return out;
}

// ---- escaping --------------------------------------------------------------------------

namespace {

// Length of a valid UTF-8 sequence at s[i], or 0.
size_t utf8_len(std::string_view s, size_t i)
{
        auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
        unsigned char c = b(i);
        size_t n;
        uint32_t cp;
        if (c < 0x80)
                return 1;
        if ((c & 0xe0) == 0xc0) {
                n = 2;
                cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
                n = 3;
                cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
                n = 4;
                cp = c & 0x07;
        } else
                return 0;
        if (i + n > s.size())
                return 0;
        for (size_t k = 1; k < n; k++) {
                if ((b(i + k) & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (b(i + k) & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

}  // namespace

std::vector<std::string_view> split_fields(std::string_view line, char sep)
{
        std::vector<std::string_view> f;
        size_t i = 0;
        while (i < line.size()) {
                while (i < line.size() && line[i] == sep)
                        i++;
                size_t j = i;
                while (j < line.size() && line[j] != sep)
                        j++;
                if (j > i)
                        f.push_back(line.substr(i, j - i));
                i = j;
        }
        return f;
}

std::string printable(std::string_view s)
{
        std::string out;
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < s.size();) {
                unsigned char c = static_cast<unsigned char>(s[i]);
                size_t n = utf8_len(s, i);
                if (n > 1) {
                        out += s.substr(i, n);
                        i += n;
                        continue;
                }
                if (n == 0 || c < 0x20 || c == 0x7f) {
                        out += "\\x";
                        out.push_back(hex[c >> 4]);
                        out.push_back(hex[c & 15]);
                } else
                        out.push_back(static_cast<char>(c));
                i++;
        }
        return out;
}

}  // namespace ht
