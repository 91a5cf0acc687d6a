// SPDX-License-Identifier: LGPL-2.1-or-later
// The one implementation of "which device will the kernel resume from": shared by
// hibernate-check, the initrd helper, the generator and the sleep hook.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "efivar.hh"
#include "parse.hh"
#include "result.hh"

namespace ht {

struct Config;

enum class ResumeSource { Cmdline, Efi, Sysfs, Config, Auto };
const char *resume_source_name(ResumeSource s);

struct ResumeTarget {
        DeviceSpec spec;
        ResumeSource source = ResumeSource::Cmdline;
        std::optional<uint64_t> offset;  // pages; nullopt = not given (the kernel uses 0)
        std::string offset_origin;       // "cmdline", "efi", "sysfs", "config" or "" when not given
};

// Inputs that the caller reads from the root (proc/cmdline, sys/power/resume{,_offset}).
struct ResumeInputs {
        Cmdline cmdline;
        std::optional<std::string> sysfs_resume;         // "MAJ:MIN", "0:0" when unset
        std::optional<std::string> sysfs_resume_offset;  // decimal pages
        // systemd's HibernateLocation EFI variable, only when it is usable on this system
        // (efivar.hh: usable_hibernate_location).
        std::optional<HibernateLocation> efi;
};

// The configured resume target in priority order: resume= on the kernel command line, then
// systemd's HibernateLocation EFI variable (with its own offset; systemd gives it the same
// place), then sysfs, then the configuration.
// nullopt: nothing configured (the caller may pick an automatic candidate). Error: what is
// configured is garbage (e.g. resume=foo bar, resume_offset=-1).
Result<std::optional<ResumeTarget>> select_resume_target(const ResumeInputs &in, const Config &cfg);

// The byte position of the page resume_offset on its device (the swap header of a swap
// file). Error, with one message naming the offset: its byte position overflows 64 bits, or
// (device_bytes known, non-zero) the page does not lie entirely inside the device.
Result<uint64_t> resume_offset_bytes(uint64_t offset_pages, size_t page_size, uint64_t device_bytes,
                                     const std::string &device);

// True when the kernel command line disables resume or hibernation; why names the token.
bool resume_disabled(const Cmdline &c, std::string *why);

// How long the boot waits for the resume device and every recorded filesystem — one bound
// for the helper's own wait and the generator's device job, in priority order: resumewait
// (no bound); x-systemd.device-timeout= in resumeflags= (systemd's option; 0 and infinity
// mean no bound, as systemd reads them); resumedelay= seconds (0-86400); [resume] timeout_sec.
// A value that cannot be read is ignored with a warning and the next source decides.
struct ResumeWait {
        bool unbounded = false;
        uint64_t seconds = 0;
        std::string origin;  // "resumewait", "resumedelay=120", "[resume] timeout_sec", …
        std::vector<std::string> warnings;
};
ResumeWait resume_wait_bound(const Cmdline &c, const Config &cfg);

// A systemd time span as x-systemd.device-timeout= takes it ("7", "7s", "1min 30s", "500ms",
// "infinity"), in whole seconds rounded up; 0 or infinity: no bound (systemd's
// parse_sec_fix_0()). nullopt: not a time span.
struct TimeSpan {
        bool infinite = false;
        uint64_t seconds = 0;
};
std::optional<TimeSpan> parse_timespan(std::string_view s);

}  // namespace ht
