// SPDX-License-Identifier: LGPL-2.1-or-later
// Kernel command line: parse_cmdline / Cmdline, resume_disabled, select_resume_target and
// parse_device_spec on every value.
//
// Input: the command line, optionally followed by NUL-separated extra fields
//   <cmdline> \0 <sysfs resume> \0 <sysfs resume_offset> \0 <config [resume] device>
// so that the sysfs and config branches of select_resume_target are reached too. A
// missing field is "not readable" (nullopt).
#include <cstddef>
#include <cstdint>

#include "config.hh"
#include "parse.hh"
#include "resume.hh"

#include "fuzz-common.hh"

namespace {

void check_spec(std::string_view s)
{
        auto spec = ht::parse_device_spec(s);
        if (!spec) {
                FUZZ_CHECK(!spec.error().message.empty());
                return;
        }
        FUZZ_CHECK(!spec->value.empty());
        FUZZ_CHECK(spec->original == s);
        if (spec->kind == ht::SpecKind::Devnum) {
                FUZZ_CHECK(spec->major <= 0xfff && spec->minor <= 0xfffff);
                // The canonical "MAJ:MIN" form must parse back to the same device.
                auto again = ht::parse_device_spec(spec->value);
                FUZZ_CHECK(again && again->kind == ht::SpecKind::Devnum && again->major == spec->major &&
                           again->minor == spec->minor);
        }
}

void check_target(const ht::ResumeInputs &in, const ht::Config &cfg)
{
        auto t = ht::select_resume_target(in, cfg);
        if (!t) {
                FUZZ_CHECK(!t.error().message.empty());
                return;
        }
        if (!t->has_value())
                return;
        const ht::ResumeTarget &r = **t;
        (void)ht::resume_source_name(r.source);
        FUZZ_CHECK(r.offset.has_value() == !r.offset_origin.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        auto fields = fuzz::split(fuzz::as_view(data, size), '\0');
        std::string_view text = fields[0];

        auto args = ht::parse_cmdline(text);
        ht::Cmdline cl(text);
        FUZZ_CHECK(cl.args().size() == args.size());
        for (auto &a : args) {
                FUZZ_CHECK(!a.key.empty());
                FUZZ_CHECK(cl.has_flag(a.key));
                if (a.value) {
                        FUZZ_CHECK(cl.value(a.key).has_value());
                        check_spec(*a.value);
                }
        }

        std::string why;
        if (ht::resume_disabled(cl, &why))
                FUZZ_CHECK(!why.empty());
        (void)ht::resume_disabled(cl, nullptr);

        ht::ResumeInputs in;
        in.cmdline = cl;
        if (fields.size() > 1)
                in.sysfs_resume = std::string(fields[1]);
        if (fields.size() > 2)
                in.sysfs_resume_offset = std::string(fields[2]);

        ht::Config cfg;  // defaults
        check_target(in, cfg);

        if (fields.size() > 3) {
                check_spec(fields[3]);
                ht::Config with_device;
                with_device.resume_device = std::string(fields[3]);
                with_device.resume_offset = size;
                check_target(in, with_device);
                // Config alone (no cmdline, no sysfs): its device is what counts.
                ht::ResumeInputs none;
                check_target(none, with_device);
        }
        return 0;
}
