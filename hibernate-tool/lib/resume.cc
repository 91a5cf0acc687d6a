// SPDX-License-Identifier: LGPL-2.1-or-later
#include "resume.hh"

#include "config.hh"

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

}  // namespace ht
