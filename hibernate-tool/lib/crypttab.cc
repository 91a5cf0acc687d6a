// SPDX-License-Identifier: LGPL-2.1-or-later
#include "crypttab.hh"

#include "parse.hh"

namespace ht {

namespace {

std::string unescape(std::string_view s)
{
        std::string o;
        for (size_t i = 0; i < s.size(); i++) {
                if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        o.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                        i += 3;
                } else {
                        o.push_back(s[i]);
                }
        }
        return o;
}

bool random_device(std::string_view k)
{
        return k == "/dev/urandom" || k == "/dev/random" || k == "/dev/hwrng";
}

}  // namespace

bool CrypttabEntry::has_option(std::string_view o) const
{
        for (auto &x : options)
                if (x == o || (x.size() > o.size() && x.compare(0, o.size(), o) == 0 && x[o.size()] == '='))
                        return true;
        return false;
}

std::optional<std::string> CrypttabEntry::option_value(std::string_view o) const
{
        for (auto &x : options)
                if (x.size() > o.size() && x.compare(0, o.size(), o) == 0 && x[o.size()] == '=')
                        return x.substr(o.size() + 1);
        return std::nullopt;
}

std::string CrypttabEntry::random_key_reason() const
{
        if (random_device(key))
                return "its key file is " + key + ": a new random key at every boot";
        if (auto k = option_value("keyfile"); k && random_device(*k))
                return "keyfile=" + *k + ": a new random key at every boot";
        if (has_option("swap"))
                return "the swap option re-creates the swap area (mkswap) at every boot";
        return {};
}

CrypttabParse parse_crypttab(std::string_view text)
{
        CrypttabParse p;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                if (line.size() > CRYPTTAB_MAX_LINE) {
                        p.warnings.push_back("line " + std::to_string(lines.number()) + ": longer than " +
                                             std::to_string(CRYPTTAB_MAX_LINE) + " bytes, ignoring");
                        continue;
                }
                std::vector<std::string_view> f;
                size_t i = 0;
                while (i < line.size() && f.size() < 5) {
                        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
                                i++;
                        if (i >= line.size() || line[i] == '#')
                                break;
                        size_t j = i;
                        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r')
                                j++;
                        f.push_back(line.substr(i, j - i));
                        i = j;
                }
                if (f.empty())
                        continue;
                if (f.size() < 2 || f.size() > 4) {
                        p.warnings.push_back("line " + std::to_string(lines.number()) + ": expected 2 to 4 fields, ignoring");
                        continue;
                }
                if (p.entries.size() >= CRYPTTAB_MAX_ENTRIES) {
                        p.warnings.push_back("more than " + std::to_string(CRYPTTAB_MAX_ENTRIES) +
                                             " entries, ignoring the rest");
                        break;
                }
                CrypttabEntry e;
                e.line = static_cast<unsigned>(lines.number());
                e.name = unescape(f[0]);
                e.device = unescape(f[1]);
                if (f.size() > 2)
                        e.key = std::string(f[2]);
                if (f.size() > 3) {
                        std::string_view o = f[3];
                        size_t s = 0;
                        while (s <= o.size()) {
                                size_t c = o.find(',', s);
                                std::string_view opt = o.substr(s, c == std::string_view::npos ? std::string_view::npos : c - s);
                                if (!opt.empty())
                                        e.options.emplace_back(opt);
                                if (c == std::string_view::npos)
                                        break;
                                s = c + 1;
                        }
                }
                p.entries.push_back(std::move(e));
        }
        return p;
}

}  // namespace ht
