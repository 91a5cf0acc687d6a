// SPDX-License-Identifier: LGPL-2.1-or-later
#include "resume.hh"

#include "config.hh"

#include <cctype>

namespace ht {

const char *resume_source_name(ResumeSource s)
{
        switch (s) {
        case ResumeSource::Cmdline: return "cmdline";
        case ResumeSource::Efi: return "efi";
        case ResumeSource::Sysfs: return "sysfs";
        case ResumeSource::Config: return "config";
        case ResumeSource::Auto: return "auto";
        }
        return "auto";
}

Result<uint64_t> resume_offset_bytes(uint64_t pages, size_t page_size, uint64_t device_bytes, const std::string &device)
{
        if (page_size == 0 || pages > (UINT64_MAX - page_size) / page_size)
                return Error{ERANGE, "resume_offset=" + std::to_string(pages) + " is out of range: its byte position "
                                     "overflows 64 bits"};
        uint64_t bytes = pages * page_size;
        if (device_bytes && bytes + page_size > device_bytes)
                return Error{ERANGE, "resume_offset=" + std::to_string(pages) + " lies outside " +
                                             (device.empty() ? std::string("the resume device") : device) + " (" +
                                             std::to_string(device_bytes / page_size) + " pages of " +
                                             std::to_string(page_size) + " bytes)"};
        return bytes;
}

namespace {

// Rejects offsets whose byte position overflows for the smallest page size (4096).
Status offset_in_range(uint64_t v, const std::string &where)
{
        if (auto b = resume_offset_bytes(v, 4096, 0, {}); !b)
                return Error{ERANGE, b.error().message + " (" + where + ")"};
        return ok_status();
}

}  // namespace

bool resume_disabled(const Cmdline &c, std::string *why)
{
        if (c.has_flag("noresume")) {
                if (why)
                        *why = "noresume";
                return true;
        }
        if (c.has_flag("nohibernate")) {
                if (why)
                        *why = "nohibernate";
                return true;
        }
        if (auto h = c.value("hibernate")) {
                if (*h == "no" || *h == "noresume") {
                        if (why)
                                *why = "hibernate=" + *h;
                        return true;
                }
        }
        return false;
}

Result<std::optional<ResumeTarget>> select_resume_target(const ResumeInputs &in, const Config &cfg)
{
        ResumeTarget t;
        bool have = false;

        if (auto r = in.cmdline.value("resume")) {
                auto spec = parse_device_spec(*r);
                if (!spec)
                        return Error{EINVAL, "resume= on the kernel command line: " + spec.error().message};
                t.spec = *spec;
                t.source = ResumeSource::Cmdline;
                have = true;
        } else if (in.efi) {
                auto spec = parse_device_spec("UUID=" + in.efi->uuid);
                if (!spec)
                        return Error{EINVAL, "HibernateLocation: " + spec.error().message};
                if (auto st = offset_in_range(in.efi->offset, "HibernateLocation EFI variable"); !st)
                        return st.error();
                t.spec = *spec;
                t.source = ResumeSource::Efi;
                t.offset = in.efi->offset;  // systemd: the variable's own offset, resume_offset= ignored
                t.offset_origin = "efi";
                return std::optional<ResumeTarget>{t};
        } else if (in.sysfs_resume && *in.sysfs_resume != "0:0" && !in.sysfs_resume->empty()) {
                auto spec = parse_device_spec(*in.sysfs_resume);
                if (!spec || spec->kind != SpecKind::Devnum)
                        return Error{EINVAL, "/sys/power/resume holds '" + printable(*in.sysfs_resume) +
                                                     "', not MAJ:MIN"};
                t.spec = *spec;
                t.source = ResumeSource::Sysfs;
                have = true;
        } else if (cfg.resume_device) {
                auto spec = parse_device_spec(*cfg.resume_device);
                if (!spec)
                        return Error{EINVAL, "[resume] device in the configuration: " + spec.error().message};
                t.spec = *spec;
                t.source = ResumeSource::Config;
                have = true;
        }

        // The offset: the command line wins, then what the kernel holds, then the config.
        if (auto o = in.cmdline.value("resume_offset")) {
                auto v = parse_u64(*o);
                if (!v)
                        return Error{EINVAL, "resume_offset=" + printable(*o) + " on the kernel command line is not a "
                                                     "page number"};
                if (auto st = offset_in_range(*v, "kernel command line"); !st)
                        return st.error();
                t.offset = *v;
                t.offset_origin = "cmdline";
        } else if (in.sysfs_resume_offset && have && t.source != ResumeSource::Config) {
                auto v = parse_u64(*in.sysfs_resume_offset);
                if (!v)
                        return Error{EINVAL, "/sys/power/resume_offset holds '" + printable(*in.sysfs_resume_offset) +
                                                     "'"};
                if (auto st = offset_in_range(*v, "/sys/power/resume_offset"); !st)
                        return st.error();
                if (*v != 0 || t.source == ResumeSource::Sysfs) {
                        t.offset = *v;
                        t.offset_origin = "sysfs";
                }
        }
        if (!t.offset && cfg.resume_offset) {
                if (auto st = offset_in_range(*cfg.resume_offset, "[resume] offset in the configuration"); !st)
                        return st.error();
                t.offset = cfg.resume_offset;
                t.offset_origin = "config";
        }
        if (!have)
                return std::optional<ResumeTarget>{};
        return std::optional<ResumeTarget>{t};
}

std::optional<TimeSpan> parse_timespan(std::string_view s)
{
        while (!s.empty() && s.front() == ' ')
                s.remove_prefix(1);
        while (!s.empty() && s.back() == ' ')
                s.remove_suffix(1);
        if (s == "infinity")
                return TimeSpan{true, 0};
        if (s.empty())
                return std::nullopt;
        struct UnitDef {
                std::string_view name;
                uint64_t usec;
        };
        static constexpr UnitDef units[] = {
                {"seconds", 1000000},  {"second", 1000000}, {"sec", 1000000},     {"s", 1000000},
                {"minutes", 60000000}, {"minute", 60000000}, {"min", 60000000},   {"m", 60000000},
                {"hours", 3600000000}, {"hour", 3600000000}, {"hr", 3600000000},  {"h", 3600000000},
                {"msec", 1000},        {"ms", 1000},         {"usec", 1},         {"us", 1},
        };
        uint64_t total = 0;
        while (!s.empty()) {
                size_t n = 0;
                while (n < s.size() && s[n] >= '0' && s[n] <= '9')
                        n++;
                auto num = parse_u64(s.substr(0, n));
                if (!num || *num > 1000000000ull)  // more than 31 years in one term: refuse
                        return std::nullopt;
                s.remove_prefix(n);
                while (!s.empty() && s.front() == ' ')
                        s.remove_prefix(1);
                size_t u = 0;
                while (u < s.size() && std::isalpha(static_cast<unsigned char>(s[u])))
                        u++;
                std::string_view unit = s.substr(0, u);
                uint64_t mult = 1000000;  // a bare number is seconds
                if (!unit.empty()) {
                        bool found = false;
                        for (auto &d : units)
                                if (d.name == unit) {
                                        mult = d.usec;
                                        found = true;
                                }
                        if (!found)
                                return std::nullopt;
                }
                s.remove_prefix(u);
                while (!s.empty() && s.front() == ' ')
                        s.remove_prefix(1);
                total += *num * mult;  // ≤ 1e9 * 3.6e9 per term: no overflow for a handful of terms
                if (total > (1ull << 62))
                        return std::nullopt;
        }
        if (total == 0)
                return TimeSpan{true, 0};
        return TimeSpan{false, (total + 999999) / 1000000};
}

namespace {

// x-systemd.device-timeout= out of resumeflags= (comma-separated, last one wins).
std::optional<std::string> device_timeout_option(std::string_view flags)
{
        constexpr std::string_view key = "x-systemd.device-timeout=";
        std::optional<std::string> v;
        size_t pos = 0;
        while (pos <= flags.size()) {
                size_t comma = flags.find(',', pos);
                std::string_view opt = flags.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                                                        : comma - pos);
                if (opt.substr(0, key.size()) == key)
                        v = std::string(opt.substr(key.size()));
                if (comma == std::string_view::npos)
                        break;
                pos = comma + 1;
        }
        return v;
}

}  // namespace

ResumeWait resume_wait_bound(const Cmdline &c, const Config &cfg)
{
        ResumeWait w;
        if (c.has_flag("resumewait")) {
                w.unbounded = true;
                w.origin = "resumewait";
                return w;
        }
        if (auto flags = c.value("resumeflags")) {
                if (auto t = device_timeout_option(*flags)) {
                        if (auto span = parse_timespan(*t)) {
                                w.unbounded = span->infinite;
                                w.seconds = span->seconds;
                                w.origin = "x-systemd.device-timeout= in resumeflags=";
                                return w;
                        }
                        w.warnings.push_back("Ignoring x-systemd.device-timeout=" + printable(*t) +
                                             " in resumeflags=: not a time span.");
                }
        }
        if (auto d = c.value("resumedelay")) {
                auto v = parse_u64(*d);
                if (v && *v <= 86400) {
                        w.seconds = *v;
                        w.origin = "resumedelay=" + std::to_string(*v);
                        return w;
                }
                w.warnings.push_back("Ignoring resumedelay=" + printable(*d) +
                                     ": not a number of seconds from 0 to 86400.");
        }
        w.seconds = cfg.resume_timeout_sec;
        w.origin = "[resume] timeout_sec";
        return w;
}

}  // namespace ht
