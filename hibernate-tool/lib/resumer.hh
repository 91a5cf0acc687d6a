// SPDX-License-Identifier: LGPL-2.1-or-later
// The resume path: the hibernation record writer (called by the sleep hook and
// `hibernate-tool record`), image invalidation, and the initramfs resume helper's
// decision and hand-over to the kernel (`hibernate-tool resume`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "record.hh"
#include "result.hh"

namespace ht {

class Host;
struct Config;

// ---- record ------------------------------------------------------------------------------
// Builds the record of the running system: kernel release, boot entry and every
// filesystem mounted read-write from a block device.
Result<HibRecord> build_record(const Host &host, const std::string &boot_entry);

struct RecordResult {
        std::string device;       // where it was written
        uint64_t header_offset = 0;
        HibRecord record;
};
// Writes the record into the resume swap's header page. Refuses when the resume target is
// not an active swap or the header has no room.
Result<RecordResult> write_record(const Host &host, const Config &cfg, const std::string &boot_entry);

// ---- invalidation -----------------------------------------------------------------------
// Turns a waiting image back into swap: sig := orig_sig, record cleared, one synced
// write. Refuses a header it does not understand.
Status invalidate_image(const Host &host, const std::string &dev, uint64_t header_offset);
// Same, for the configured resume target (`hibernate-tool invalidate`).
Result<std::string> invalidate_target(const Host &host, const Config &cfg);

// ---- resume ------------------------------------------------------------------------------
struct ResumeOptions {
        bool dry_run = false;  // decide and report, write nothing
};

struct ResumeOutcome {
        // resumed-failed: the kernel returned from the resume write (it failed);
        // no-image, no-target, no-device, disabled, invalidated, refused, error,
        // would-resume (dry run)
        std::string result;
        std::string message;   // the one line printed and logged
        std::string device;
        std::vector<std::string> warnings;
};

ResumeOutcome run_resume(const Host &host, const Config &cfg, const ResumeOptions &opts);

// /run/hibernate-tool/last-resume inside the root (KEY=value lines), written atomically.
inline constexpr const char *LAST_RESUME_FILE = "/run/hibernate-tool/last-resume";
Status write_last_resume(const Host &host, const ResumeOutcome &o);

// Flags a kernel release understands in the swsusp header (6.9 added LZ4).
uint32_t known_swsusp_flags(const std::string &kernel_release);

}  // namespace ht
