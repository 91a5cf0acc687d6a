// SPDX-License-Identifier: LGPL-2.1-or-later
// The hibernate path: what runs around systemd-sleep (hibernate, hybrid-sleep,
// suspend-then-hibernate). `pre` refuses an unsafe hibernation (the same checks as
// hibernate-check, plus "the next boot runs this kernel"), sets the one-shot boot entry,
// the kernel's resume target and the hibernation record; `post` undoes every temporary
// change; `gate` keeps systemd's sleep.conf gate current so that `systemctl hibernate`
// and desktops only offer hibernation when it is safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bootentry.hh"
#include "pagesets.hh"
#include "result.hh"

namespace ht {

class Host;
struct Config;

// Everything that decides whether a hibernation may go ahead. mount_boot: allowed to mount
// a separate /boot to look at the boot loader (pre yes, the periodic gate no).
struct Verdict {
        bool safe = false;
        std::vector<std::string> reasons;   // why not (one line each)
        std::vector<std::string> warnings;
        std::optional<BootTarget> boot;     // the entry that boots the running kernel
        std::string kernel_release;
        PagesetsPlan pagesets;              // the pageset mode to select (hibernate-check's plan)
};
Verdict evaluate_hibernation(const Host &host, const Config &cfg, bool boot_visible);

// Persistent state between pre and post (and a later boot, when the image was not
// resumed): /var/lib/hibernate-tool/sleep-state, KEY=value lines, written atomically
// before anything is changed.
inline constexpr const char *SLEEP_STATE_FILE = "/var/lib/hibernate-tool/sleep-state";
struct SleepState {
        std::string mode;
        std::string loader;        // grub, systemd-boot, none
        std::string entry_id;      // what pre set as the one-shot entry
        std::string env_path;      // grubenv
        std::optional<std::string> prev_next_entry;
        std::string pagesets;      // pageset mode selected in the kernel: two, stock ("" before)
        std::optional<uint64_t> prev_image_size;  // /sys/power/image_size before pre raised it
        uint64_t time = 0;
};
std::string format_sleep_state(const SleepState &s);
Result<SleepState> parse_sleep_state(std::string_view text);

struct SleepOutcome {
        bool ok = false;
        std::string message;             // one line for the journal
        std::vector<std::string> reasons;  // refusal reasons
        std::vector<std::string> steps;    // what was done, in order
};

SleepOutcome sleep_pre(const Host &host, const Config &cfg, const std::string &mode, bool dry_run);
// service_result / exit_status: $SERVICE_RESULT and $EXIT_STATUS of the sleep service
// (empty when unknown). at_boot: the system booted instead of resuming. Also clears a
// hibernation record no image speaks for any more (clear_stale_record), with or without
// a sleep state.
SleepOutcome sleep_post(const Host &host, const Config &cfg, const std::string &service_result,
                        const std::string &exit_status, bool at_boot);

// /run/hibernate-tool/last-hibernate, read by hibernate-check: RESULT (hibernating after a
// successful pre, then resumed, failed, refused, not-resumed), MODE, PAGESETS (the pageset
// mode pre selected), PAGESET2_PAGES (/sys/power/pageset2_pages after resume), MESSAGE, TIME.
inline constexpr const char *LAST_HIBERNATE_FILE = "/run/hibernate-tool/last-hibernate";

// The gate: /run/systemd/sleep.conf.d/50-hibernate-tool.conf disallows hibernation
// (AllowHibernation=no, AllowHybridSleep=no, AllowSuspendThenHibernate=no) while it is not
// safe, and is absent while it is. Returns true when the file changed.
inline constexpr const char *GATE_FILE = "/run/systemd/sleep.conf.d/50-hibernate-tool.conf";
Result<bool> gate_apply(const Host &host, const Verdict &v);
Status gate_remove(const Host &host);
// Re-evaluates on /proc/swaps and mount table changes, configuration changes and every
// 60 s, until SIGTERM/SIGINT; then removes the gate file.
int gate_watch(const Host &host, const Config &cfg, const std::optional<std::string> &config_override);

}  // namespace ht
