// SPDX-License-Identifier: LGPL-2.1-or-later
// The one implementation of "which device will the kernel resume from": shared by
// hibernate-check, the initrd helper, the generator and the sleep hook.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "parse.hh"
#include "result.hh"

namespace ht {

struct Config;

enum class ResumeSource { Cmdline, Sysfs, Config, Auto };
const char *resume_source_name(ResumeSource s);

struct ResumeTarget {
        DeviceSpec spec;
        ResumeSource source = ResumeSource::Cmdline;
        std::optional<uint64_t> offset;  // pages; nullopt = not given (the kernel uses 0)
        std::string offset_origin;       // "cmdline", "sysfs", "config" or "" when not given
};

// Inputs that the caller reads from the root (proc/cmdline, sys/power/resume{,_offset}).
struct ResumeInputs {
        Cmdline cmdline;
        std::optional<std::string> sysfs_resume;         // "MAJ:MIN", "0:0" when unset
        std::optional<std::string> sysfs_resume_offset;  // decimal pages
};

// The configured resume target in priority order (kernel command line, sysfs, config).
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

}  // namespace ht
