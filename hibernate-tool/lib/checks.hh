// SPDX-License-Identifier: LGPL-2.1-or-later
// The checks behind hibernate-check (and, later, the sleep hook's refusal logic).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "estimate.hh"
#include "json.hh"
#include "pagesets.hh"
#include "parse.hh"
#include "record.hh"
#include "swsusp.hh"

namespace ht {

class Host;
struct Config;

enum class CheckStatus { Pass, Warn, Fail, Skip };
const char *check_status_name(CheckStatus s);

struct CheckResult {
        std::string id;
        CheckStatus status = CheckStatus::Skip;
        std::string summary;
        std::string detail;  // optional
        std::string remedy;  // optional; set for warn/fail where there is something to do
};

struct SwapReport {
        SwapEntry entry;
        std::optional<std::string> uuid;
};

struct ImageReport {
        std::string device;
        uint64_t header_offset = 0;  // bytes
        SwsuspHeader header;
        std::optional<SwsuspInfo> info;
        std::optional<Pageset2Layout> pageset2;  // with info, when pageset 2 checked out
        std::string problem;         // why the image could not be read, if so
        std::optional<HibRecord> record;  // hibernation record next to the header, if any
        std::string record_problem;
};

// /run/hibernate-tool/last-resume, as the initramfs helper left it.
struct LastResume {
        std::string result, message, device;
        uint64_t time = 0;
        std::vector<std::string> warnings;
        // last-hibernate only: the pageset mode pre selected, and pageset 2's page count
        // the resumed kernel reported (/sys/power/pageset2_pages).
        std::string pagesets;
        std::optional<uint64_t> pageset2_pages;
        // last-hibernate only: the working set pre recorded, what the prefetch brought back.
        std::string workingset, prefetch;
};

struct Report {
        std::vector<CheckResult> checks;
        std::optional<std::string> resume_device, resume_uuid, resume_source;
        std::optional<uint64_t> resume_offset;
        std::vector<SwapReport> swaps;
        std::string kernel_release;
        bool kernel_hibernation = false;
        std::vector<std::string> kernel_modes;
        std::optional<ImageReport> image;
        std::vector<std::string> notes;  // configuration warnings etc.
        std::optional<LastResume> last_resume;
        // /run/hibernate-tool/last-hibernate, as `hibernate-tool pre/post` left it:
        // result (resumed, failed, refused, not-resumed) in `result`, the mode in `device`.
        std::optional<LastResume> last_hibernate;
        // Two-pageset hibernation: the kernel's offer, the configuration, and the mode
        // hibernating now uses (what `hibernate-tool pre` selects); the two-pageset image
        // estimate when memory and the resume swap could be read.
        PagesetsPlan pagesets;
        std::optional<ImageEstimate> two_pageset_estimate;

        // ready: no check failed and the essential checks (kernel-support, swap-present,
        // resume-device) could run. undetermined: one of those was skipped.
        bool ready() const;
        bool undetermined() const;
        const CheckResult *find(const std::string &id) const;
};

// The check ids, in the order they run and are reported.
extern const char *const CHECK_IDS[];

Report run_checks(const Host &host, const Config &cfg);

// logind: sleep.conf's AllowHibernation= and logind's CanHibernate (check-logind.cc).
CheckResult check_logind(const Host &host, std::vector<std::string> &notes);

std::string render_json(const Report &r, JsonStyle style = JsonStyle::Pretty);
std::string render_text(const Report &r, bool color, bool verbose);

}  // namespace ht
