// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pe.hh"

#include <algorithm>
#include <sys/stat.h>

#include "bootentry.hh"
#include "host.hh"
#include "parse.hh"

namespace ht {

namespace {

uint16_t le16(std::string_view b, size_t off)
{
        return static_cast<uint16_t>(static_cast<unsigned char>(b[off]) | (static_cast<unsigned char>(b[off + 1]) << 8));
}
uint32_t le32(std::string_view b, size_t off)
{
        return static_cast<uint32_t>(le16(b, off)) | (static_cast<uint32_t>(le16(b, off + 2)) << 16);
}

Error bad(const std::string &what)
{
        return Error{EINVAL, "not a valid PE image: " + what};
}

}  // namespace

Result<std::vector<PeSection>> pe_parse_sections(std::string_view head, uint64_t file_size)
{
        // DOS header: "MZ", e_lfanew at 0x3c.
        if (head.size() < 0x40 || head.substr(0, 2) != "MZ")
                return bad("no MZ header");
        uint64_t pe = le32(head, 0x3c);
        // "PE\0\0", then the COFF file header (20 bytes).
        if (pe + 24 > head.size())
                return bad("the PE header lies outside the bytes read");
        if (head.substr(pe, 4) != std::string_view("PE\0\0", 4))
                return bad("no PE signature");
        uint16_t nsect = le16(head, pe + 6);
        uint16_t opt_size = le16(head, pe + 20);
        if (nsect == 0)
                return bad("no sections");
        if (nsect > PE_MAX_SECTIONS)
                return bad(std::to_string(nsect) + " sections (more than " + std::to_string(PE_MAX_SECTIONS) + ")");
        uint64_t table = pe + 24 + opt_size;
        uint64_t table_end = table + uint64_t(nsect) * 40;
        if (table_end > head.size())
                return bad("the section table lies outside the bytes read");
        if (table_end > file_size)
                return bad("the section table lies outside the file");
        std::vector<PeSection> out;
        out.reserve(nsect);
        for (unsigned i = 0; i < nsect; i++) {
                size_t s = static_cast<size_t>(table + uint64_t(i) * 40);
                PeSection sec;
                std::string_view name = head.substr(s, 8);
                sec.name = std::string(name.substr(0, std::min(name.find('\0'), name.size())));
                sec.virtual_size = le32(head, s + 8);
                sec.virtual_address = le32(head, s + 12);
                sec.raw_size = le32(head, s + 16);
                sec.raw_offset = le32(head, s + 20);
                if (sec.raw_size && uint64_t(sec.raw_offset) + sec.raw_size > file_size)
                        return bad("section '" + printable(sec.name) + "' extends past the end of the file");
                out.push_back(std::move(sec));
        }
        return out;
}

static const PeSection *find_section(const std::vector<PeSection> &sections, std::string_view name)
{
        for (auto &s : sections)
                if (s.name == name)
                        return &s;
        return nullptr;
}

static std::string trim_nul(std::string s)
{
        while (!s.empty() && s.back() == '\0')
                s.pop_back();
        return s;
}

std::optional<std::string> pe_section_data(std::string_view file, const std::vector<PeSection> &sections,
                                           std::string_view name)
{
        const PeSection *s = find_section(sections, name);
        if (!s)
                return std::nullopt;
        uint64_t end = uint64_t(s->raw_offset) + s->data_size();
        if (end > file.size())
                return std::nullopt;
        return trim_nul(std::string(file.substr(s->raw_offset, s->data_size())));
}

Result<UkiInfo> read_uki(const Host &host, const std::string &abs, size_t max_section)
{
        auto st = host.stat(abs);
        if (!st)
                return st.error();
        if (!S_ISREG(st->st_mode))
                return Error{EINVAL, "'" + abs + "' is not a regular file"};
        uint64_t size = static_cast<uint64_t>(st->st_size);
        auto head = host.read_at(abs, 0, static_cast<size_t>(std::min<uint64_t>(size, PE_HEAD_MAX)));
        if (!head)
                return head.error();
        auto sections = pe_parse_sections(*head, size);
        if (!sections)
                return Error{ENOEXEC, "'" + abs + "': " + sections.error().message};
        const PeSection *lx = find_section(*sections, ".linux");
        if (!lx)
                return Error{ENOEXEC, "'" + abs + "' is a PE image without a .linux section, not a unified kernel image"};
        UkiInfo info;
        auto read = [&](std::string_view name, std::optional<std::string> &into) -> Status {
                const PeSection *s = find_section(*sections, name);
                if (!s)
                        return ok_status();
                if (s->data_size() > max_section)
                        return Error{EFBIG, "'" + abs + "': section " + std::string(name) + " is larger than " +
                                                    std::to_string(max_section) + " bytes"};
                auto d = host.read_at(abs, s->raw_offset, s->data_size());
                if (!d)
                        return d.error();
                into = trim_nul(std::move(*d));
                return ok_status();
        };
        for (auto [name, field] : {std::pair{".osrel", &info.osrel}, {".cmdline", &info.cmdline}, {".uname", &info.uname}})
                if (auto r = read(name, *field); !r)
                        return r.error();
        // The kernel's own release string, in the bzImage header of the .linux section.
        if (lx->data_size() >= 0x210) {
                auto k = host.read_at(abs, lx->raw_offset, std::min<size_t>(lx->data_size(), 0x4000));
                if (k)
                        info.linux_release = bzimage_release(*k);
        }
        return info;
}

std::optional<std::string> os_release_value(std::string_view text, std::string_view key)
{
        LineReader lines(text);
        std::optional<std::string> found;
        while (auto l = lines.next()) {
                std::string_view line = *l;
                while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
                        line.remove_prefix(1);
                if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != '=')
                        continue;
                std::string_view v = line.substr(key.size() + 1);
                while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
                        v.remove_suffix(1);
                std::string out;
                char q = 0;
                if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
                        q = v.front();
                        v.remove_prefix(1);
                        if (!v.empty() && v.back() == q)
                                v.remove_suffix(1);
                }
                for (size_t i = 0; i < v.size(); i++) {
                        if (v[i] == '\\' && q != '\'' && i + 1 < v.size())
                                i++;
                        out += v[i];
                }
                found = std::move(out);  // the last assignment wins, as in a shell
        }
        return found;
}

}  // namespace ht
