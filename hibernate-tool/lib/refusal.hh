// SPDX-License-Identifier: LGPL-2.1-or-later
// What the resume helper does with an image it will not resume. Keeping such an image while
// the boot goes on read-write is never safe: the boot mounts the filesystems the image still
// has open (resuming it later corrupts them), and util-linux swapon rewrites the swap
// signature of a hibernation image when the swap is activated (the image is destroyed in
// the same boot while a message said it was kept). So the boot never goes on with it:
//
//   1. reboot into the kernel that wrote it — when that kernel can restore it and this one
//      cannot (e.g. header flags this kernel does not know), the record names its boot entry
//      and where GRUB's environment block lies (record.hh v3): next_entry is set in that
//      block in place, as GRUB's own save_env does, without mounting anything; at most once
//      per image (the record counts it, before the block is written);
//   2. else ask, bounded ([resume] ask_timeout_sec) — through systemd's password agents,
//      plymouth or the console (ask.hh): reboot or power off, both keeping the image, or
//      discard it and boot;
//   3. else (no console, no answer) [resume] refused: invalidate (the default, one clear
//      message) or poweroff (the image kept, the machine off until someone decides).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "record.hh"

namespace ht {

class Host;
struct Config;

enum class RefusalAction {
        RebootToEntry,  // next_entry set from the initramfs: reboot, image kept
        Reboot,         // the console asked for a reboot, image kept
        PowerOff,       // image kept, power off
        Invalidate,     // discard the image and boot on
};
const char *refusal_action_name(RefusalAction a);

struct RefusalInput {
        std::string device;         // the resume device (path inside the root)
        uint64_t header_offset = 0;
        std::string header_page;    // as read (the record is rewritten in it)
        std::string reason;         // why the image is not resumed (one line, no "image kept")
        bool needs_other_kernel = false;
        std::optional<HibRecord> record;  // the record that speaks for this image
        std::string running_release;
        std::function<long()> remaining_ms;  // of the boot's wait bound; -1: no bound
        std::vector<std::string> fixture_devs;
};

struct RefusalOutcome {
        RefusalAction action = RefusalAction::Invalidate;
        std::string text;                  // what is done and why (the message's second half)
        std::vector<std::string> warnings; // a step that was tried and failed
};

// The question: the answer line, or nullopt (nobody to ask, timeout, cancelled). The resume
// helper asks with ask_user (ask.hh): password agents, plymouth or the console.
using ConsoleAsk = std::function<std::optional<std::string>(const std::string &question, unsigned timeout_sec)>;

// Decides, and does the writes of step 1 (record, then GRUB's block); the caller performs
// the action (reboot, power off, invalidation).
RefusalOutcome handle_refusal(const Host &host, const Config &cfg, const RefusalInput &in, const ConsoleAsk &ask);

}  // namespace ht
