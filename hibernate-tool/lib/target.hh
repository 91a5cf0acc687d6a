// SPDX-License-Identifier: LGPL-2.1-or-later
// Resolution of the resume target to a device and to the active swap it is: the one
// implementation behind hibernate-check, the record writer, the resume helper and the
// sleep hook.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "devices.hh"
#include "fiemap.hh"
#include "mounts.hh"
#include "parse.hh"
#include "resume.hh"

namespace ht {

class Host;
struct Config;

struct TargetResolver {
        const Host &host;
        const Config &cfg;
        size_t page_size = 4096;

        // Inputs: set them (or call load_inputs()) before resolve().
        Cmdline cmdline;
        SwapsParse swaps;
        std::optional<std::vector<MountEntry>> mounts;

        // Results of resolve().
        std::optional<ResumeTarget> target;        // nullopt: nothing configured, no candidate
        std::optional<std::string> target_error;   // garbage configuration
        std::optional<ResolvedDevice> device;      // resolved resume device
        std::optional<std::string> device_error;
        std::optional<size_t> resume_swap;         // index into swaps.entries of the active swap
        std::optional<SwapFileMapping> file_map;   // when the resume swap is a file
        std::optional<std::string> file_map_error;
        std::vector<std::string> notes;            // inputs ignored on the way (a bad EFI variable)

        TargetResolver(const Host &h, const Config &c);
        virtual ~TargetResolver() = default;

        // Reads /proc/cmdline and /proc/swaps inside the root; errors are returned for the
        // caller to report and leave the inputs empty.
        Status load_inputs();
        void resolve();
        // load_inputs() then resolve(), for the writing verbs: a garbage target is an error.
        // inputs_required = false goes on without /proc/swaps (an image waiting: the swap is
        // not active).
        Status load_and_resolve(bool inputs_required = true);

        // Byte offset of the swap header on the resume device.
        uint64_t header_offset() const { return target && target->offset ? *target->offset * page_size : 0; }

        std::vector<std::string> candidate_paths() const;
        static bool eligible(const SwapEntry &e) { return e.kind != SwapKind::Zram && !e.deleted; }
        std::optional<ResolvedDevice> file_device(const SwapEntry &e);
        static bool same_device(const ResolvedDevice &a, const ResolvedDevice &b);
};

}  // namespace ht
