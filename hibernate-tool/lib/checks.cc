// SPDX-License-Identifier: LGPL-2.1-or-later
// run_checks(): gathers the context once and runs every check in the documented order (the
// checks themselves live in checks/, one file per subject; logind in check-logind.cc).
#include "checks.hh"

#include "checks/context.hh"

#include <algorithm>

#include "host.hh"
#include "parse.hh"
#include "prefetch.hh"
#include "resumer.hh"
#include "sleep.hh"

namespace ht {

const char *const CHECK_IDS[] = {"kernel-support",  "lockdown",  "noresume",    "swap-present", "resume-device",
                                 "resume-offset",   "encrypted-swap", "swap-size", "two-pageset", "image",
                                 "initramfs",       "bootloader",      "logind",    "prefetch", nullptr};

const char *check_status_name(CheckStatus s)
{
        switch (s) {
        case CheckStatus::Pass: return "pass";
        case CheckStatus::Warn: return "warn";
        case CheckStatus::Fail: return "fail";
        case CheckStatus::Skip: return "skip";
        }
        return "skip";
}

bool Report::undetermined() const
{
        // Without these facts nothing can be promised, even though nothing failed.
        for (const char *id : {"kernel-support", "swap-present", "resume-device"})
                if (auto *c = find(id); !c || c->status == CheckStatus::Skip)
                        return true;
        return false;
}

bool Report::ready() const
{
        return std::none_of(checks.begin(), checks.end(), [](auto &c) { return c.status == CheckStatus::Fail; }) &&
               !undetermined();
}

const CheckResult *Report::find(const std::string &id) const
{
        for (auto &c : checks)
                if (c.id == id)
                        return &c;
        return nullptr;
}

namespace {


// /run/hibernate-tool/last-resume and last-hibernate: KEY=value lines, values plain text
// (no shell quoting), read verbatim. `subject_key` (DEVICE, MODE) fills LastResume::device.
std::optional<LastResume> read_outcome_file(const Host &host, const char *path, const std::string &subject_key)
{
        auto text = host.read_file(path, 64 * 1024);
        if (!text)
                return std::nullopt;
        LastResume l;
        LineReader lines(*text);
        while (auto next = lines.next()) {
                std::string line(*next);
                auto eq = line.find('=');
                if (eq == std::string::npos)
                        continue;
                std::string k = line.substr(0, eq), val = line.substr(eq + 1);
                if (k == "RESULT")
                        l.result = val;
                else if (k == "MESSAGE")
                        l.message = val;
                else if (k == subject_key)
                        l.device = val;
                else if (k == "TIME")
                        l.time = parse_u64(val).value_or(0);
                else if (k == "WARNING")
                        l.warnings.push_back(val);
                else if (k == "PAGESETS")
                        l.pagesets = val;
                else if (k == "PAGESET2_PAGES")
                        l.pageset2_pages = parse_u64(val);
                else if (k == "WORKINGSET")
                        l.workingset = val;
                else if (k == "PREFETCH")
                        l.prefetch = val;
        }
        if (l.result.empty())
                return std::nullopt;
        return l;
}

}  // namespace

Report run_checks(const Host &host, const Config &cfg)
{
        using namespace check_detail;
        Report rep;
        Ctx c(host, cfg, rep);
        long ps = ::sysconf(_SC_PAGESIZE);
        c.page_size = ps > 0 ? static_cast<size_t>(ps) : 4096;
        rep.notes = cfg.warnings;

        c.cmdline_text = host.read_file("/proc/cmdline", 1u << 20);
        if (c.cmdline_text)
                c.cmdline = Cmdline(*c.cmdline_text);
        gather_swaps(c);
        c.resolve();
        rep.notes.insert(rep.notes.end(), c.notes.begin(), c.notes.end());
        gather_memory(c);
        plan_pagesets(c);

        check_kernel_support(c);
        check_lockdown(c);
        check_noresume(c);
        check_swap_present(c);
        check_resume_device(c);
        check_resume_offset(c);
        check_swap_encryption(c);
        check_swap_size(c);
        check_two_pageset(c);
        check_image(c);
        check_initramfs(c);
        check_bootloader(c);
        if (cfg.ask_logind)
                rep.checks.push_back(check_logind(host, rep.notes));
        rep.checks.push_back(check_prefetch(host, cfg));

        rep.last_resume = read_outcome_file(host, LAST_RESUME_FILE, "DEVICE");
        rep.last_hibernate = read_outcome_file(host, LAST_HIBERNATE_FILE, "MODE");
        return rep;
}

}  // namespace ht
