// SPDX-License-Identifier: LGPL-2.1-or-later
// What the checks share (internal to lib/checks/ and checks.cc): the context gathered once
// (the resume target, swaps, probes, memory estimates) and the check functions, one file per
// subject: kernel.cc, swap.cc, resume.cc, boot.cc. run_checks() in checks.cc runs them.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

#include "bootentry.hh"
#include "checks.hh"
#include "config.hh"
#include "crypttab.hh"
#include "devices.hh"
#include "estimate.hh"
#include "fiemap.hh"
#include "host.hh"
#include "initramfs.hh"
#include "mounts.hh"
#include "resume.hh"
#include "resumer.hh"
#include "sleep.hh"
#include "target.hh"

namespace ht::check_detail {

inline constexpr const char *EFI_SECUREBOOT = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

inline std::string join(const std::vector<std::string> &v, const char *sep = " ")
{
        std::string s;
        for (auto &x : v) {
                if (!s.empty())
                        s += sep;
                s += x;
        }
        return s;
}

// Everything gathered once and shared by the checks.
struct Ctx : TargetResolver {
        Report &rep;

        Result<std::string> cmdline_text = Error{ENODATA, ""};
        Result<std::string> swaps_text = Error{ENODATA, ""};

        std::map<std::pair<std::string, uint64_t>, Result<ProbeInfo>> swap_probes;

        // Memory and the image size estimates (gather_memory), for swap-size and two-pageset.
        Result<std::string> meminfo_text = Error{ENODATA, ""};
        uint64_t image_target = 0;
        std::string target_from;
        Result<ImageEstimate> stock_estimate = Error{ENODATA, ""};
        Result<ImageEstimate> two_estimate = Error{ENODATA, ""};
        std::optional<uint64_t> free_swap;       // on the resume swap
        std::optional<FitVerdict> two_fit;       // two-pageset estimate against free_swap

        Ctx(const Host &h, const Config &c, Report &r) : TargetResolver(h, c), rep(r) {}

        // Swap/image probes are asked for by several checks: probe each place once.
        const Result<ProbeInfo> &probe_swap(const std::string &path, uint64_t offset = 0)
        {
                auto key = std::make_pair(path, offset);
                auto it = swap_probes.find(key);
                if (it == swap_probes.end())
                        it = swap_probes.emplace(key, probe_device(host, path, offset, true)).first;
                return it->second;
        }

        void add(std::string id, CheckStatus st, std::string summary, std::string detail = {},
                 std::string remedy = {})
        {
                rep.checks.push_back(CheckResult{std::move(id), st, std::move(summary), std::move(detail),
                                                 std::move(remedy)});
        }

};

// "UUID=…" / "/dev/…" of the target, for messages (resume.cc).
std::string spec_text(const ResumeTarget &t);

void check_kernel_support(Ctx &c);
void check_lockdown(Ctx &c);
void check_noresume(Ctx &c);
void gather_swaps(Ctx &c);
void check_swap_present(Ctx &c);
void gather_memory(Ctx &c);
void plan_pagesets(Ctx &c);
void check_swap_size(Ctx &c);
void check_two_pageset(Ctx &c);
void check_resume_device(Ctx &c);
void check_resume_offset(Ctx &c);
void check_swap_encryption(Ctx &c);
void check_image(Ctx &c);
void check_initramfs(Ctx &c);
void check_initramfs_paths(Ctx &c);
void check_bootloader(Ctx &c);

}  // namespace ht::check_detail
