// SPDX-License-Identifier: LGPL-2.1-or-later
#include "efivar.hh"

#include <cerrno>

#include "host.hh"
#include "json.hh"
#include "parse.hh"

namespace ht {

namespace {

constexpr size_t MAX_VAR = 64 * 1024;

// UTF-16LE → UTF-8; stops at the first NUL. Unpaired surrogates are an error.
Result<std::string> utf16le_to_utf8(std::string_view b)
{
        if (b.size() % 2)
                return Error{EBADMSG, "odd number of bytes for UTF-16"};
        std::string out;
        for (size_t i = 0; i + 1 < b.size(); i += 2) {
                uint32_t u = static_cast<uint8_t>(b[i]) | (static_cast<uint32_t>(static_cast<uint8_t>(b[i + 1])) << 8);
                if (u == 0)
                        break;
                if (u >= 0xd800 && u <= 0xdbff) {
                        if (i + 3 >= b.size())
                                return Error{EBADMSG, "truncated UTF-16 surrogate pair"};
                        uint32_t lo = static_cast<uint8_t>(b[i + 2]) |
                                      (static_cast<uint32_t>(static_cast<uint8_t>(b[i + 3])) << 8);
                        if (lo < 0xdc00 || lo > 0xdfff)
                                return Error{EBADMSG, "unpaired UTF-16 surrogate"};
                        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                        i += 2;
                } else if (u >= 0xdc00 && u <= 0xdfff) {
                        return Error{EBADMSG, "unpaired UTF-16 surrogate"};
                }
                if (u < 0x80) {
                        out += static_cast<char>(u);
                } else if (u < 0x800) {
                        out += static_cast<char>(0xc0 | (u >> 6));
                        out += static_cast<char>(0x80 | (u & 0x3f));
                } else if (u < 0x10000) {
                        out += static_cast<char>(0xe0 | (u >> 12));
                        out += static_cast<char>(0x80 | ((u >> 6) & 0x3f));
                        out += static_cast<char>(0x80 | (u & 0x3f));
                } else {
                        out += static_cast<char>(0xf0 | (u >> 18));
                        out += static_cast<char>(0x80 | ((u >> 12) & 0x3f));
                        out += static_cast<char>(0x80 | ((u >> 6) & 0x3f));
                        out += static_cast<char>(0x80 | (u & 0x3f));
                }
        }
        return out;
}

bool hexdigit(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// sd_id128 accepts the UUID form and 32 plain hex digits; we give back the UUID form.
std::optional<std::string> normalize_uuid(const std::string &s)
{
        std::string hex;
        if (s.size() == 36) {
                for (size_t i = 0; i < 36; i++) {
                        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                        if (dash ? s[i] != '-' : !hexdigit(s[i]))
                                return std::nullopt;
                        if (!dash)
                                hex += s[i];
                }
        } else if (s.size() == 32) {
                for (char c : s)
                        if (!hexdigit(c))
                                return std::nullopt;
                hex = s;
        } else {
                return std::nullopt;
        }
        for (auto &c : hex)
                if (c >= 'A' && c <= 'F')
                        c = static_cast<char>(c - 'A' + 'a');
        return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
               hex.substr(20);
}

std::optional<std::string> opt_string(const Json &j, const char *key)
{
        auto it = j.find(key);
        if (it == j.end() || !it->is_string())
                return std::nullopt;  // systemd: permissive, a wrong type is ignored
        return it->get<std::string>();
}

// os-release value of KEY (quotes removed), nullopt when absent.
std::optional<std::string> os_release_value(std::string_view text, std::string_view key)
{
        std::optional<std::string> found;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == '=') {
                        std::string_view v = line.substr(key.size() + 1);
                        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
                                v = v.substr(1, v.size() - 2);
                        found = std::string(v);
                }
        }
        return found;
}

}  // namespace

Result<HibernateLocation> parse_hibernate_location(std::string_view bytes)
{
        if (bytes.size() > MAX_VAR)
                return Error{EFBIG, "HibernateLocation is larger than 64 KiB"};
        if (bytes.size() < 4)
                return Error{EBADMSG, "HibernateLocation is shorter than its attributes"};
        auto text = utf16le_to_utf8(bytes.substr(4));
        if (!text)
                return Error{EBADMSG, "HibernateLocation is not UTF-16: " + text.error().message};
        Json j;
        try {
                j = Json::parse(*text);
        } catch (const std::exception &) {
                return Error{EBADMSG, "HibernateLocation is not JSON"};
        }
        if (!j.is_object())
                return Error{EBADMSG, "HibernateLocation is not a JSON object"};
        HibernateLocation loc;
        auto u = j.find("uuid");
        if (u == j.end() || !u->is_string())
                return Error{EBADMSG, "HibernateLocation has no \"uuid\" string"};
        auto norm = normalize_uuid(u->get<std::string>());
        if (!norm)
                return Error{EBADMSG, "HibernateLocation's uuid '" + printable(u->get<std::string>()) + "' is not a UUID"};
        loc.uuid = *norm;
        auto o = j.find("offset");
        if (o == j.end())
                return Error{EBADMSG, "HibernateLocation has no \"offset\""};
        if (o->is_number_unsigned()) {
                loc.offset = o->get<uint64_t>();
        } else if (o->is_number_integer() && o->get<int64_t>() >= 0) {
                loc.offset = static_cast<uint64_t>(o->get<int64_t>());
        } else if (o->is_string()) {
                auto v = parse_u64(o->get<std::string>());
                if (!v)
                        return Error{EBADMSG, "HibernateLocation's offset is not a page number"};
                loc.offset = *v;
        } else {
                return Error{EBADMSG, "HibernateLocation's offset is not a page number"};
        }
        loc.kernel_version = opt_string(j, "kernelVersion");
        loc.os_id = opt_string(j, "osReleaseId");
        loc.os_image_id = opt_string(j, "osReleaseImageId");
        loc.os_version_id = opt_string(j, "osReleaseVersionId");
        loc.os_image_version = opt_string(j, "osReleaseImageVersion");
        return loc;
}

Result<std::optional<HibernateLocation>> read_hibernate_location(const Host &host)
{
        auto b = host.read_file_if_exists(HIBERNATE_LOCATION_EFIVAR, MAX_VAR + 1);
        if (!b)
                return b.error();
        if (!*b)
                return std::optional<HibernateLocation>{};
        auto loc = parse_hibernate_location(**b);
        if (!loc)
                return loc.error();
        return std::optional<HibernateLocation>{*loc};
}

bool hibernate_location_matches(const HibernateLocation &loc, std::string_view os_release, std::string *why)
{
        auto id = os_release_value(os_release, "ID");
        auto image_id = os_release_value(os_release, "IMAGE_ID");
        if (id == loc.os_id && image_id == loc.os_image_id)
                return true;
        if (why)
                *why = "it was written by " + printable(loc.os_id.value_or("an unnamed system")) +
                       (loc.os_image_id ? " (image " + printable(*loc.os_image_id) + ")" : "") + ", this system is " +
                       printable(id.value_or("unnamed")) + (image_id ? " (image " + printable(*image_id) + ")" : "");
        return false;
}

std::optional<HibernateLocation> usable_hibernate_location(const Host &host, std::string *note)
{
        auto loc = read_hibernate_location(host);
        if (!loc) {
                if (note)
                        *note = "HibernateLocation EFI variable ignored: " + loc.error().message;
                return std::nullopt;
        }
        if (!*loc)
                return std::nullopt;
        std::string why;
        if (!hibernate_location_matches(**loc, read_os_release(host), &why)) {
                if (note)
                        *note = "HibernateLocation EFI variable ignored, as systemd ignores it: " + why;
                return std::nullopt;
        }
        return *loc;
}

std::string read_os_release(const Host &host)
{
        for (const char *p : {"/etc/os-release", "/usr/lib/os-release"})
                if (auto t = host.read_file(p, 64 * 1024))
                        return *t;
        return {};
}

}  // namespace ht
