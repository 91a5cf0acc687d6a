// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate.toml: /etc/hibernate-tool/hibernate.toml plus drop-ins
// /etc/hibernate-tool/hibernate.toml.d/*.toml in lexical order (later wins), all under the
// root prefix. A file that does not parse or has a key of the wrong type is an error with
// file:line:column; nothing of a half-read configuration is ever used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pagesets.hh"
#include "result.hh"

namespace ht {

class Host;

struct Config {
        // Not from the file: whether the initramfs check decompresses the running kernel's
        // initramfs image. hibernate-check does; the gate and pre do not (decompressing
        // keeps /boot busy for seconds after every change they watch, so pre's own
        // unmount of /boot failed with EBUSY).
        bool inspect_initramfs_image = true;
        // Not from the file: whether the checks include "logind" (sleep.conf and logind's
        // CanHibernate over D-Bus). hibernate-check does; the gate and pre do not: logind's
        // answer reflects the gate itself, and pre runs after logind already agreed.
        bool ask_logind = true;
        // [resume]
        std::optional<std::string> resume_device;  // device spec, used when neither the kernel
                                                   // command line nor sysfs names one
        std::optional<uint64_t> resume_offset;     // pages, for a swap file
        unsigned resume_timeout_sec = 10;          // how long the resume helper waits for the device
                                                   // (resumedelay= overrides, resumewait: no bound)
        bool require_record = false;               // refuse images without a hibernation record
        // An image the helper will not resume is never kept while the boot goes on read-write
        // (lib/refusal.hh): after a reboot into the recorded entry (when that can help) and the
        // console question (ask_timeout_sec, 0: never ask), this decides.
        enum class Refused { Invalidate, PowerOff } refused = Refused::Invalidate;
        unsigned refused_ask_timeout_sec = 30;
        // [check]
        unsigned swap_margin_percent = 10;  // swap-size: warn unless free swap exceeds the
                                            // estimate by this much
        // encrypted-swap: hibernating to an unencrypted swap while the root filesystem is on
        // dm-crypt (the image holds memory, keys included, in the clear)
        enum class UnencryptedSwap { Warn, Fail, Ignore } unencrypted_swap = UnencryptedSwap::Warn;
        std::optional<uint64_t> image_size_bytes;  // override of /sys/power/image_size for the
                                                   // estimate (what the sleep hook will set)
        // [kernel]
        PagesetsPref pagesets = PagesetsPref::Auto;  // two-pageset hibernation: two, stock or
                                                     // auto (two when supported and swap holds it)
        bool image_size_fit = false;  // "fit": pre raises /sys/power/image_size (stock mode) to the
                                      // largest image the free swap holds in the worst case
                                      // (estimate.hh fit_image_size), post puts it back; "keep"
        // [prefetch] (lib/prefetch.hh): warm resume on stock kernels
        bool prefetch_enabled = true;                 // pre records the working set, post starts
                                                      // hibernate-tool-prefetch.service after resume
        unsigned prefetch_record_deadline_ms = 100;   // time pre may spend recording
        uint64_t prefetch_max_bytes = 4ull << 30;     // cap on the bytes recorded (files + anonymous)
        uint64_t prefetch_min_available = 256ull << 20;  // the prefetch stops below this MemAvailable

        std::vector<std::string> files;     // files that were read, in order
        std::vector<std::string> warnings;  // unknown keys (ignored)
};

inline constexpr std::string_view CONFIG_MAIN = "/etc/hibernate-tool/hibernate.toml";
inline constexpr std::string_view CONFIG_DROPIN_DIR = "/etc/hibernate-tool/hibernate.toml.d";

// Applies one file's text on top of cfg. On error cfg is left untouched.
Status apply_config_text(std::string_view text, std::string_view source_name, Config &cfg);

// Loads the main file (or main_override, a host path, when given) and the drop-ins.
// A missing main file is fine (defaults); a missing --config file is an error.
Result<Config> load_config(const Host &host, const std::optional<std::string> &main_override);

}  // namespace ht
