// SPDX-License-Identifier: LGPL-2.1-or-later
// The resume path: the hibernation record writer (called by the sleep hook and
// `hibernate-tool record`), image invalidation, and the initramfs resume helper's
// decision and hand-over to the kernel (`hibernate-tool resume`).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devices.hh"
#include "record.hh"
#include "result.hh"
#include "swsusp.hh"

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
// not an active swap or the header has no room. grubenv: where GRUB's environment block lies
// (grubenv-disk.hh), so that the helper can make boot_entry the one-shot entry unmounted.
Result<RecordResult> write_record(const Host &host, const Config &cfg, const std::string &boot_entry,
                                  const std::optional<GrubEnvLocation> &grubenv = std::nullopt);

// ---- invalidation -----------------------------------------------------------------------
// Turns a waiting image back into swap: sig := orig_sig, record cleared, one synced
// write. Refuses a header it does not understand.
Status invalidate_image(const Host &host, const std::string &dev, uint64_t header_offset);
// Same, for the configured resume target (`hibernate-tool invalidate`).
Result<std::string> invalidate_target(const Host &host, const Config &cfg);

// Clears a hibernation record that speaks for no image any more: when the resume target's
// header page holds our record and no image of ours waits there (after resume, a failed or
// refused hibernation, and at the next boot: `post`). Returns the device cleared, or
// nullopt when there was nothing to clear.
Result<std::optional<std::string>> clear_stale_record(const Host &host, const Config &cfg);

// Waits, event-driven (inotify on /dev and /dev/disk/by-*), until the spec resolves to a
// device node, or the bound passes (timeout_ms < 0: no bound). extra: more candidate paths
// (fixture roots).
Result<ResolvedDevice> wait_for_device(const Host &host, const DeviceSpec &spec, long timeout_ms,
                                       const std::vector<std::string> &extra);

// ---- the decision (pure) -------------------------------------------------------------------
// What the helper saw of one recorded filesystem when it looked for it (after waiting for
// it within the resume bound, like the resume device).
struct FsObservation {
        enum class State { Present, Missing, Unreadable } state = State::Missing;
        std::string path;        // where it was found (Present, Unreadable)
        std::string superblock;  // bytes [1024, 2048) of the filesystem (Present, ext2/3/4)
        std::string error;       // Missing, Unreadable: why, for the message
};

struct DecisionInput {
        std::string device;             // for messages
        std::string_view header_page;   // the swap header page at resume_offset (4096 bytes)
        uint64_t header_offset = 0;     // its byte position on the device
        uint64_t device_bytes = 0;      // bytes of the device from header_offset on; 0: unknown
        PageReader read_page;           // the device's pages by page offset
        std::function<FsObservation(const FsMark &)> observe;  // a recorded filesystem now
        std::string running_release;
        bool require_record = false;
};

struct Decision {
        enum class Kind {
                NoImage,     // not ours to resume (another tool's image): message
                Refuse,      // image kept, nothing written: message
                Invalidate,  // image invalidated: why
                Resume,      // hand over to the kernel
        } kind = Kind::Refuse;
        std::string text;                   // NoImage/Refuse: the whole message; Invalidate: why
        std::string reason;                 // Refuse: why, one line ("not resuming" and "kept" left out)
        std::vector<std::string> warnings;
        std::optional<HibRecord> record;    // the record speaking for this image (nullopt: none)
        bool stale_record = false;          // a record is there but speaks for another image
        bool needs_other_kernel = false;    // Refuse: the kernel that wrote it can restore it
        uint64_t fingerprint = 0;           // of this image (image_fingerprint)
        SwsuspInfo info;
        Pageset2Layout pageset2;
};

// Decides on a waiting image (signature S1SUSPEND at header_page): record (format, whether it
// speaks for this image), kernel compatibility, the image's own structure, the recorded
// filesystems. No I/O but through the callbacks.
Decision decide_resume(const DecisionInput &in);

// ---- resume ------------------------------------------------------------------------------
struct ResumeOptions {
        bool dry_run = false;  // decide and report, write nothing
        // The console question after a refusal (refusal.hh); empty: the root's /dev/console.
        std::function<std::optional<std::string>(const std::string &, unsigned)> ask;
        // Called with the outcome before the helper reboots or powers off (it does not
        // return then): the caller reports it as it reports every other outcome.
        std::function<void(const struct ResumeOutcome &)> announce;
        // Called with one line when the helper starts waiting for a recorded filesystem that
        // is not there yet (the boot pauses up to the bound: the console says why). Also in
        // the kernel log.
        std::function<void(const std::string &)> notice;
};

struct ResumeOutcome {
        // resumed-failed: the kernel returned from the resume write (it failed);
        // no-image, no-target, no-device, disabled, invalidated, refused, error,
        // would-resume (dry run); after a refusal (refusal.hh): rebooting, powering-off
        // (the image kept) or invalidated
        std::string result;
        std::string message;   // the one line printed and logged
        std::string device;
        std::string action;    // after a refusal: reboot-to-entry, reboot, poweroff, invalidate
        std::vector<std::string> warnings;
};

ResumeOutcome run_resume(const Host &host, const Config &cfg, const ResumeOptions &opts);

// /run/hibernate-tool/last-resume inside the root (KEY=value lines), written atomically.
inline constexpr const char *LAST_RESUME_FILE = "/run/hibernate-tool/last-resume";
Status write_last_resume(const Host &host, const ResumeOutcome &o);

// Flags a kernel release understands in the swsusp header (6.9 added LZ4).
uint32_t known_swsusp_flags(const std::string &kernel_release);

}  // namespace ht
