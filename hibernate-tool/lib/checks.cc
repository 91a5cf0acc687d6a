// SPDX-License-Identifier: LGPL-2.1-or-later
#include "checks.hh"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

#include "config.hh"
#include "crypttab.hh"
#include "devices.hh"
#include "estimate.hh"
#include "fiemap.hh"
#include "bootentry.hh"
#include "host.hh"
#include "initramfs.hh"
#include "sleep.hh"
#include "mounts.hh"
#include "prefetch.hh"
#include "resume.hh"
#include "resumer.hh"
#include "target.hh"

namespace ht {

const char *const CHECK_IDS[] = {"kernel-support",  "lockdown",  "noresume",    "swap-present", "resume-device",
                                 "resume-offset",   "encrypted-swap", "swap-size", "two-pageset", "image",
                                 "initramfs",       "bootloader",      "prefetch",     nullptr};

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

constexpr const char *EFI_SECUREBOOT = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

std::string join(const std::vector<std::string> &v, const char *sep = " ")
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

// ---- kernel-support -------------------------------------------------------------------

void check_kernel_support(Ctx &c)
{
        auto rel = c.host.read_line("/proc/sys/kernel/osrelease");
        if (rel)
                c.rep.kernel_release = *rel;
        auto disk = c.host.read_line("/sys/power/disk");
        if (disk) {
                auto cl = parse_choice_list(*disk);
                c.rep.kernel_modes = cl.items;
        }
        auto state = c.host.read_line("/sys/power/state");
        if (!state) {
                c.add("kernel-support", CheckStatus::Skip, "Cannot tell whether the kernel supports hibernation",
                      state.error().message);
                return;
        }
        auto states = parse_choice_list(*state).items;
        bool has_disk = std::find(states.begin(), states.end(), "disk") != states.end();
        c.rep.kernel_hibernation = has_disk && !c.rep.kernel_modes.empty();
        if (!has_disk) {
                c.add("kernel-support", CheckStatus::Fail,
                      "The running kernel does not offer hibernation (/sys/power/state: " + printable(*state) + ")",
                      "The kernel hides \"disk\" when it was built without CONFIG_HIBERNATION, when it is locked "
                      "down, or when booted with nohibernate.",
                      "See the lockdown and noresume checks; otherwise boot a kernel built with CONFIG_HIBERNATION=y.");
                return;
        }
        if (!disk) {
                c.add("kernel-support", CheckStatus::Fail, "The kernel offers \"disk\" but /sys/power/disk is unreadable",
                      disk.error().message, "Check that sysfs is mounted and readable.");
                return;
        }
        if (c.rep.kernel_modes.empty()) {
                c.add("kernel-support", CheckStatus::Fail, "The kernel lists no hibernation mode in /sys/power/disk",
                      {}, "Boot a kernel built with CONFIG_HIBERNATION=y.");
                return;
        }
        auto cl = parse_choice_list(*disk);
        c.add("kernel-support", CheckStatus::Pass,
              "Kernel " + (c.rep.kernel_release.empty() ? std::string("(release unknown)") : c.rep.kernel_release) +
                      " supports hibernation (modes: " + join(c.rep.kernel_modes) +
                      (cl.selected ? "; selected: " + *cl.selected : std::string()) + ")");
}

// ---- lockdown --------------------------------------------------------------------------

void check_lockdown(Ctx &c)
{
        auto ld = c.host.read_line("/sys/kernel/security/lockdown");
        if (!ld) {
                if (ld.error().code == ENOENT) {
                        auto dir = c.host.list_dir("/sys/kernel/security");
                        if (dir && !dir->empty()) {
                                c.add("lockdown", CheckStatus::Pass, "The kernel has no lockdown LSM");
                                return;
                        }
                        c.add("lockdown", CheckStatus::Skip, "Cannot read the kernel lockdown state",
                              "securityfs is not mounted at /sys/kernel/security");
                        return;
                }
                c.add("lockdown", CheckStatus::Skip, "Cannot read the kernel lockdown state", ld.error().message);
                return;
        }
        auto cl = parse_choice_list(*ld);
        std::string mode = cl.selected.value_or("");
        if (mode.empty() || mode == "none") {
                c.add("lockdown", CheckStatus::Pass, "Kernel lockdown is off");
                return;
        }
        std::string sb;
        auto var = c.host.read_file(EFI_SECUREBOOT, 64);
        if (var && var->size() >= 5)
                sb = (*var)[4] == 1 ? "on" : "off";
        std::string why;
        if (sb == "on")
                why = "Secure Boot is on; the kernel locks itself down when booted with Secure Boot, the usual cause.";
        else if (sb == "off")
                why = "Secure Boot is off, so lockdown was requested explicitly (lockdown= on the kernel command line "
                      "or a build-time default).";
        else
                why = "The Secure Boot state is unknown (no EFI SecureBoot variable: legacy BIOS boot or efivarfs "
                      "not mounted).";
        c.add("lockdown", CheckStatus::Fail, "Kernel lockdown (" + mode + ") disables hibernation", why,
              sb == "on" ? "Disable Secure Boot in the firmware setup (or, where the distribution allows it, "
                           "disable its lockdown-on-Secure-Boot policy); Linux 6.1 cannot hibernate while locked down."
                         : "Remove lockdown= from the kernel command line or boot a kernel without "
                           "CONFIG_LOCK_DOWN_KERNEL_FORCE_*; Linux 6.1 cannot hibernate while locked down.");
}

// ---- noresume --------------------------------------------------------------------------

void check_noresume(Ctx &c)
{
        if (!c.cmdline_text) {
                c.add("noresume", CheckStatus::Skip, "Cannot read the kernel command line",
                      c.cmdline_text.error().message);
                return;
        }
        std::vector<std::string> found;
        for (auto &a : c.cmdline.args()) {
                if (a.key == "noresume" || a.key == "nohibernate")
                        found.push_back(a.key);
                else if (a.key == "hibernate" && a.value && (*a.value == "no" || *a.value == "noresume"))
                        found.push_back("hibernate=" + *a.value);
        }
        if (found.empty()) {
                c.add("noresume", CheckStatus::Pass, "The kernel command line does not disable hibernation or resume");
                return;
        }
        c.add("noresume", CheckStatus::Fail,
              "The kernel command line disables " +
                      std::string(std::any_of(found.begin(), found.end(),
                                              [](auto &f) { return f != "noresume" && f != "hibernate=noresume"; })
                                          ? "hibernation"
                                          : "resume") +
                      " (" + join(found, ", ") + ")",
              {},
              "Remove " + join(found, " and ") +
                      " from the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub).");
}

// ---- swap-present ----------------------------------------------------------------------

void gather_swaps(Ctx &c)
{
        c.swaps_text = c.host.read_file("/proc/swaps");
        if (!c.swaps_text)
                return;
        c.swaps = parse_proc_swaps(*c.swaps_text);
        for (auto &e : c.swaps.entries) {
                SwapReport s;
                s.entry = e;
                // For a swap file this is the file's own swap header UUID.
                if (auto &p = c.probe_swap(e.path); p && p->uuid)
                        s.uuid = p->uuid;
                c.rep.swaps.push_back(std::move(s));
        }
}

void check_swap_present(Ctx &c)
{
        if (!c.swaps_text) {
                c.add("swap-present", CheckStatus::Skip, "Cannot read the active swap areas",
                      c.swaps_text.error().message);
                return;
        }
        std::string detail;
        for (auto &e : c.swaps.errors)
                detail += "/proc/swaps " + e + ", ignoring.\n";
        std::vector<std::string> unusable;
        uint64_t total = 0;
        size_t n = 0;
        for (auto &e : c.swaps.entries) {
                if (e.kind == SwapKind::Zram)
                        unusable.push_back(printable(e.path) + " (zram lives in RAM and is lost at power-off)");
                else if (e.deleted)
                        unusable.push_back(printable(e.path) + " (deleted swap file: no path to resume from)");
                else {
                        n++;
                        total += e.size_bytes;
                }
        }
        if (!unusable.empty())
                detail += "Cannot hold an image: " + join(unusable, ", ") + ".\n";
        if (!detail.empty())
                detail.pop_back();
        if (n == 0) {
                std::string zswap;
                if (auto z = c.host.read_line("/sys/module/zswap/parameters/enabled"); z && (*z == "Y" || *z == "1"))
                        zswap = " zswap is enabled, but it is only a compressed cache in front of a swap device.";
                c.add("swap-present", CheckStatus::Fail,
                      c.swaps.entries.empty() ? "No swap is active" : "No active swap can hold a hibernation image",
                      detail + zswap,
                      "Create a swap partition or swap file on disk at least as large as RAM and activate it "
                      "(hibernate-tool setup does this).");
                return;
        }
        c.add("swap-present", CheckStatus::Pass,
              std::to_string(n) + " usable swap area" + (n == 1 ? "" : "s") + " active (" + format_bytes(total) + ")",
              detail);
}

// ---- resume-device ---------------------------------------------------------------------


std::string spec_text(const ResumeTarget &t)
{
        return printable(t.spec.original.empty() ? t.spec.value : t.spec.original);
}

std::string suggest_resume(Ctx &c)
{
        // The best concrete advice: the largest usable swap with its UUID.
        const SwapReport *best = nullptr;
        for (auto &s : c.rep.swaps)
                if (c.eligible(s.entry) && s.entry.kind != SwapKind::File &&
                    (!best || s.entry.size_bytes > best->entry.size_bytes))
                        best = &s;
        if (!best)
                return "Add resume=UUID=<uuid of your swap partition> (or, for a swap file, resume=UUID=<filesystem "
                       "UUID> resume_offset=<page>) to the kernel command line; hibernate-tool setup does this.";
        std::string r = best->uuid ? "UUID=" + *best->uuid : best->entry.path;
        return "Add resume=" + r + " to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then "
               "update-grub) and to the initramfs configuration; hibernate-tool setup does both.";
}

void check_resume_device(Ctx &c)
{
        const char *id = "resume-device";
        if (c.target_error) {
                c.add(id, CheckStatus::Fail, *c.target_error, {}, suggest_resume(c));
                return;
        }
        if (!c.target) {
                if (!c.swaps_text) {
                        c.add(id, CheckStatus::Skip, "No resume target configured and the active swaps are unknown",
                              c.swaps_text.error().message);
                        return;
                }
                c.add(id, CheckStatus::Fail, "No resume target: nothing is configured and no usable swap is active",
                      {}, suggest_resume(c));
                return;
        }
        auto &t = *c.target;
        c.rep.resume_source = resume_source_name(t.source);
        c.rep.resume_offset = t.offset;
        if (c.device_error) {
                c.add(id, CheckStatus::Fail, "Resume target " + spec_text(t) + " does not resolve to a device",
                      *c.device_error, suggest_resume(c));
                return;
        }
        c.rep.resume_device = c.device->path;
        if (c.resume_swap && c.swaps.entries[*c.resume_swap].kind != SwapKind::File) {
                if (auto &p = c.probe_swap(c.device->path); p && p->uuid)
                        c.rep.resume_uuid = p->uuid;
        } else if (auto p = probe_device(c.host, c.device->path); p && p->uuid) {
                c.rep.resume_uuid = p->uuid;  // the filesystem holding the swap file, or whatever is there
        }
        std::string from = std::string(" (from ") +
                           (t.source == ResumeSource::Cmdline  ? "the kernel command line"
                            : t.source == ResumeSource::Sysfs  ? "/sys/power/resume"
                            : t.source == ResumeSource::Config ? "the configuration"
                                                               : "automatic selection") +
                           ")";
        if (!c.resume_swap) {
                std::string what;
                uint64_t off = t.offset.value_or(0) * c.page_size;
                if (auto p = probe_device(c.host, c.device->path, off)) {
                        if (p->type == "swsuspend")
                                what = "it holds a hibernation image waiting to be resumed";
                        else if (p->type == "swap")
                                what = "it is a swap area that is not active";
                        else if (!p->type.empty())
                                what = "it holds a " + p->type + " filesystem, not swap";
                        else
                                what = "no swap signature was found on it";
                } else
                        what = p.error().message;
                c.add(id, CheckStatus::Fail,
                      "Resume device " + spec_text(t) + " (" + c.device->path + ") is not an active swap" + from,
                      "Checked at byte offset " + std::to_string(off) + ": " + what + ".",
                      "Activate the swap on " + c.device->path + " (swapon) or point resume= at an active swap. " +
                              suggest_resume(c));
                return;
        }
        auto &e = c.swaps.entries[*c.resume_swap];
        std::string what = e.kind == SwapKind::File ? "holds the active swap file " + printable(e.path)
                                                    : "is the active swap partition " + printable(e.path);
        std::string summary = "Resume device " + spec_text(t) + " (" + c.device->path + ") " + what + from;
        if (t.source == ResumeSource::Auto) {
                c.add(id, CheckStatus::Warn, "No resume device is configured; automatic choice: " + c.device->path,
                      summary + ". Without resume= the next boot will not look for the image.",
                      suggest_resume(c));
                return;
        }
        c.add(id, CheckStatus::Pass, summary);
}

// ---- resume-offset ---------------------------------------------------------------------

void check_resume_offset(Ctx &c)
{
        const char *id = "resume-offset";
        if (!c.target || !c.device || !c.resume_swap) {
                c.add(id, CheckStatus::Skip, "No active resume swap to check the offset of");
                return;
        }
        auto &e = c.swaps.entries[*c.resume_swap];
        auto off = c.target->offset;
        if (e.kind != SwapKind::File) {
                if (off && *off != 0) {
                        c.add(id, CheckStatus::Fail,
                              "resume_offset=" + std::to_string(*off) + " is set but the resume device is a partition",
                              "The kernel would look for the image " + std::to_string(*off) +
                                      " pages into the partition, where there is none.",
                              "Remove resume_offset= from the kernel command line.");
                        return;
                }
                c.add(id, CheckStatus::Skip, "The resume device is a partition; no offset is needed");
                return;
        }
        if (!c.file_map) {
                bool perm = c.file_map_error && (c.file_map_error->find("Operation not permitted") != std::string::npos ||
                                                 c.file_map_error->find("Permission denied") != std::string::npos);
                c.add(id, perm ? CheckStatus::Skip : CheckStatus::Fail,
                      "Cannot find where swap file " + printable(e.path) + " starts on disk",
                      c.file_map_error.value_or("unknown error"),
                      perm ? "" : "Recreate the swap file fully allocated (hibernate-tool setup --swap-file).");
                return;
        }
        auto &m = *c.file_map;
        std::string how = m.btrfs ? "btrfs logical " + std::to_string(m.btrfs_logical) + " mapped through the chunk "
                                                                                         "tree to physical byte " +
                                            std::to_string(m.physical_byte)
                                  : "FIEMAP physical byte " + std::to_string(m.physical_byte);
        std::string detail = "Swap file " + printable(e.path) + " on " + m.fs_name + " starts at page " +
                             std::to_string(m.resume_offset) + " of " + c.device->path + " (" + how + ").";
        std::string fix = "Set resume_offset=" + std::to_string(m.resume_offset) +
                          " on the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub).";
        if (!off) {
                c.add(id, CheckStatus::Fail, "resume_offset= is not set for swap file " + printable(e.path), detail, fix);
                return;
        }
        if (*off != m.resume_offset) {
                c.add(id, CheckStatus::Fail,
                      "resume_offset=" + std::to_string(*off) + " is wrong for swap file " + printable(e.path) +
                              " (it starts at page " + std::to_string(m.resume_offset) + ")",
                      detail, fix);
                return;
        }
        c.add(id, CheckStatus::Pass, "resume_offset=" + std::to_string(*off) + " matches swap file " + printable(e.path),
              detail);
}

// ---- memory, pagesets --------------------------------------------------------------------

void gather_memory(Ctx &c)
{
        if (c.resume_swap) {
                auto &e = c.swaps.entries[*c.resume_swap];
                c.free_swap = e.size_bytes - std::min(e.used_bytes, e.size_bytes);
        }
        c.meminfo_text = c.host.read_file("/proc/meminfo");
        if (!c.meminfo_text)
                return;
        auto meminfo = parse_meminfo(*c.meminfo_text);
        if (c.cfg.image_size_bytes) {
                c.image_target = *c.cfg.image_size_bytes;
                c.target_from = "[check] image_size";
        } else if (auto is = c.host.read_line("/sys/power/image_size"); is && parse_u64(*is)) {
                c.image_target = *parse_u64(*is);
                c.target_from = "/sys/power/image_size";
        } else {
                c.image_target = meminfo.count("MemTotal") ? meminfo["MemTotal"] / 5 * 2 : 0;
                c.target_from = "the kernel default, 2/5 of RAM";
        }
        c.stock_estimate = estimate_image(meminfo, c.image_target, Pagesets::Stock);
        c.two_estimate = estimate_image(meminfo, c.image_target, Pagesets::Two);
        if (c.two_estimate) {
                c.rep.two_pageset_estimate = *c.two_estimate;
                if (c.free_swap)
                        c.two_fit = judge_fit(*c.free_swap, c.two_estimate->needed, c.cfg.swap_margin_percent);
        }
}

// The one decision of which pageset mode hibernating now uses (pre carries it out).
void plan_pagesets(Ctx &c)
{
        auto &p = c.rep.pagesets;
        p.config = c.cfg.pagesets;
        if (auto k = read_pagesets_kernel(c.host))
                p.kernel = *k;
        else
                p.kernel_error = k.error().message;
        std::optional<bool> fits;
        if (c.two_fit)
                fits = *c.two_fit == FitVerdict::Fits;
        p.decision = decide_pagesets(p.config, p.kernel.supported, fits);
}

// ---- swap-size -------------------------------------------------------------------------

void check_swap_size(Ctx &c)
{
        const char *id = "swap-size";
        if (!c.resume_swap) {
                c.add(id, CheckStatus::Skip, "No active resume swap to measure");
                return;
        }
        if (!c.meminfo_text) {
                c.add(id, CheckStatus::Skip, "Cannot read memory usage", c.meminfo_text.error().message);
                return;
        }
        bool two = c.rep.pagesets.decision.mode == Pagesets::Two;
        auto &est = two ? c.two_estimate : c.stock_estimate;
        if (!est) {
                c.add(id, CheckStatus::Skip, "Cannot estimate the image size", est.error().message);
                return;
        }
        auto &e = c.swaps.entries[*c.resume_swap];
        uint64_t free = *c.free_swap;
        auto verdict = judge_fit(free, est->needed, c.cfg.swap_margin_percent);
        std::string how;
        if (two)
                how = "; two-pageset hibernation saves all of it without shrinking: pageset 2 (page cache and "
                      "process memory) " + format_bytes(est->pageset2) + " written in place uncompressed, pageset 1 " +
                      format_bytes(est->pageset1) + " copied (LZO-compressed by default, which usually makes it "
                      "smaller; not counted). Estimated image " + format_bytes(est->image) + ".";
        else
                how = "; the kernel shrinks the image towards image_size " + format_bytes(est->target) + " (" +
                      c.target_from + "), dropping up to " + format_bytes(est->droppable) +
                      " of page cache and swapping out " + format_bytes(est->pushed_to_swap) +
                      " of anonymous memory. Estimated image " + format_bytes(est->image) +
                      " uncompressed (the kernel compresses with LZO by default, which usually makes it smaller; not "
                      "counted).";
        std::string detail = "Memory in use " + format_bytes(est->used) + " of " + format_bytes(est->mem_total) + how +
                             " Swap needed " + format_bytes(est->needed) + "; free on " + printable(e.path) + ": " +
                             format_bytes(free) + " of " + format_bytes(e.size_bytes) + ".";
        uint64_t ram = est->mem_total;
        std::string remedy = "Grow the resume swap: at least " + format_bytes(est->needed) +
                             " free now, and RAM-sized (" + format_bytes(ram) +
                             ") to hibernate whatever is running (hibernate-tool setup --swap-file PATH --size auto)" +
                             (two ? "; or set pagesets = \"auto\" or \"stock\" in the [kernel] section of "
                                    "/etc/hibernate-tool/hibernate.toml, so that the kernel shrinks the image."
                                  : ".");
        std::string what = two ? "the two-pageset image" : "the image";
        switch (verdict) {
        case FitVerdict::DoesNotFit:
                c.add(id, CheckStatus::Fail,
                      std::string("Swap is too small") + (two ? " for the two-pageset image" : "") + ": about " +
                              format_bytes(est->needed) + " needed, " + format_bytes(free) + " free",
                      detail, remedy);
                break;
        case FitVerdict::Tight:
                c.add(id, CheckStatus::Warn,
                      std::string("Swap is tight") + (two ? " for the two-pageset image" : "") + ": about " +
                              format_bytes(est->needed) + " needed, " + format_bytes(free) + " free (less than " +
                              std::to_string(c.cfg.swap_margin_percent) + "% spare)",
                      detail, remedy);
                break;
        case FitVerdict::Fits:
                c.add(id, CheckStatus::Pass,
                      "Swap can hold " + what + ": about " + format_bytes(est->needed) + " needed, " +
                              format_bytes(free) + " free",
                      detail);
                break;
        }
}

// ---- two-pageset -----------------------------------------------------------------------

void check_two_pageset(Ctx &c)
{
        const char *id = "two-pageset";
        auto &p = c.rep.pagesets;
        std::string cfg_text = std::string("pagesets = \"") + pagesets_pref_name(p.config) + "\"";
        if (!p.kernel_error.empty()) {
                c.add(id, CheckStatus::Skip, "Cannot tell whether the kernel offers two-pageset hibernation",
                      p.kernel_error + "; hibernate-tool leaves the kernel's setting alone.");
                return;
        }
        if (!p.kernel.supported) {
                c.add(id, CheckStatus::Skip,
                      "The kernel lacks two-pageset hibernation (no /sys/power/pagesets)",
                      p.config == PagesetsPref::Two ? cfg_text + " is configured; hibernation uses the stock mode."
                                                    : std::string());
                return;
        }
        std::string detail = "The kernel offers two-pageset hibernation (selected in the kernel now: " +
                             std::string(pagesets_name(p.kernel.selected)) + "); the configuration has " + cfg_text +
                             (p.config == PagesetsPref::Auto ? " (the default)" : "") + ", so hibernate-tool pre selects " +
                             pagesets_name(p.decision.mode) + ": " + p.decision.why + ".";
        std::string need, have;
        if (c.two_estimate) {
                auto &e = *c.two_estimate;
                need = format_bytes(e.needed);
                detail += " A two-pageset image holds all memory in use: about " + format_bytes(e.image) +
                          " (pageset 2, page cache and process memory: " + format_bytes(e.pageset2) +
                          ", written in place; pageset 1: " + format_bytes(e.pageset1) + ", copied).";
        } else if (!c.meminfo_text) {
                detail += " Memory usage cannot be read: " + c.meminfo_text.error().message + ".";
        } else {
                detail += " The two-pageset image cannot be estimated: " + c.two_estimate.error().message + ".";
        }
        if (c.free_swap) {
                have = format_bytes(*c.free_swap);
                detail += " Free on the resume swap: " + have + ".";
        } else {
                detail += " There is no active resume swap to measure.";
        }
        if (p.kernel.last_pageset2_pages)
                detail += *p.kernel.last_pageset2_pages
                                  ? " The last image written or restored had " +
                                            std::to_string(*p.kernel.last_pageset2_pages) + " pages in pageset 2."
                                  : std::string(" The last hibernation was stock (or there was none yet).");
        std::string grow = need.empty() ? std::string() : "Grow the resume swap to at least " + need + " free";
        std::string config_file = " in the [kernel] section of /etc/hibernate-tool/hibernate.toml";

        if (p.config == PagesetsPref::Stock) {
                c.add(id, CheckStatus::Warn,
                      "Two-pageset hibernation is available but configured off (" + cfg_text +
                              "): the page cache is dropped when hibernating",
                      detail,
                      "Set pagesets = \"auto\"" + config_file +
                              " to keep the page cache (and processes' memory) in RAM across hibernation.");
                return;
        }
        std::string sizes = need.empty() || have.empty() ? std::string() : "about " + need + " needed, " + have + " free";
        if (p.decision.mode == Pagesets::Two) {
                if (c.two_fit == FitVerdict::Fits) {
                        c.add(id, CheckStatus::Pass,
                              "Two-pageset hibernation will be used: the page cache stays warm (about " + need +
                                      " of swap needed, " + have + " free)",
                              detail);
                } else if (!c.two_fit) {
                        c.add(id, CheckStatus::Warn,
                              "Two-pageset hibernation will be used (" + cfg_text +
                                      "), but whether swap can hold its image cannot be told",
                              detail, "See the swap-size check.");
                } else {
                        bool tight = *c.two_fit == FitVerdict::Tight;
                        c.add(id, CheckStatus::Warn,
                              cfg_text + (tight ? ", but swap is tight for the two-pageset image: "
                                                : ", but swap is too small for the two-pageset image: ") +
                                      sizes +
                                      (tight ? " (less than " + std::to_string(c.cfg.swap_margin_percent) + "% spare)"
                                             : "; the kernel will refuse to hibernate (ENOSPC)"),
                              detail,
                              grow + ", or set pagesets = \"stock\" (or \"auto\", which falls back to stock)" +
                                      config_file + ".");
                }
                return;
        }
        // auto, falling back to stock
        c.add(id, CheckStatus::Warn,
              "Two-pageset hibernation is not used: " + p.decision.why + (sizes.empty() ? "" : " (" + sizes + ")") +
                      "; hibernation falls back to stock (the page cache is dropped)",
              detail,
              c.two_fit ? grow + " to keep the page cache across hibernation, or set pagesets = \"stock\"" +
                                  config_file + " to choose stock hibernation explicitly."
                        : std::string("See the swap-size check."));
}

// ---- encrypted-swap -------------------------------------------------------------------

// The dm-crypt mapping (its dm name) a block device is on: the device itself (dm/uuid
// "CRYPT-…") or a device below it through sysfs slaves (LVM on LUKS). Bounded depth.
std::optional<std::string> crypt_mapping(const Host &host, const std::string &name, int depth = 0)
{
        if (depth > 8 || name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
                return std::nullopt;
        std::string sys = "/sys/class/block/" + name;
        if (auto uuid = host.read_line(sys + "/dm/uuid"); uuid && uuid->rfind("CRYPT-", 0) == 0) {
                auto dmname = host.read_line(sys + "/dm/name");
                return dmname ? *dmname : name;
        }
        if (auto slaves = host.list_dir(sys + "/slaves"))
                for (auto &s : *slaves)
                        if (auto m = crypt_mapping(host, s, depth + 1))
                                return m;
        return std::nullopt;
}

std::string block_name(const Host &host, const std::string &dev)
{
        auto canon = host.canonicalize(dev);
        return std::string(path_basename(canon ? *canon : dev));
}

void check_swap_encryption(Ctx &c)
{
        const char *id = "encrypted-swap";
        if (!c.device) {
                c.add(id, CheckStatus::Skip, "No resume device to check the encryption of");
                return;
        }
        const std::string &dev = c.device->path;
        auto mapping = crypt_mapping(c.host, block_name(c.host, dev));
        CrypttabParse ct;
        if (auto t = c.host.read_file("/etc/crypttab", 1u << 20))
                ct = parse_crypttab(*t);
        if (mapping) {
                for (auto &e : ct.entries) {
                        if (e.name != *mapping)
                                continue;
                        if (auto why = e.random_key_reason(); !why.empty()) {
                                c.add(id, CheckStatus::Fail,
                                      "The resume swap " + dev + " (dm-crypt mapping " + printable(*mapping) +
                                              ") is encrypted anew at every boot: the image can never be resumed",
                                      "/etc/crypttab line " + std::to_string(e.line) + ": " + why +
                                              ", so the next boot cannot read what this one wrote.",
                                      "Encrypt the swap with LUKS and a persistent passphrase or key unlocked in the "
                                      "initramfs (crypttab: key none or a key file in the initramfs, options luks, "
                                      "without swap), or hibernate to another swap.");
                                return;
                        }
                        c.add(id, CheckStatus::Pass,
                              "The resume swap " + dev + " is encrypted (dm-crypt mapping " + printable(*mapping) +
                                      ", /etc/crypttab line " + std::to_string(e.line) + ")");
                        return;
                }
                c.add(id, CheckStatus::Pass,
                      "The resume swap " + dev + " is encrypted (dm-crypt mapping " + printable(*mapping) + ")",
                      "No /etc/crypttab entry names it; it must be unlocked in the initramfs before the resume.");
                return;
        }
        // Not encrypted: is the root filesystem?
        std::optional<std::string> root_mapping;
        if (!c.mounts) {
                auto m = read_mountinfo(c.host);
                c.mounts = m ? *m : std::vector<MountEntry>{};
        }
        for (auto &m : *c.mounts)
                if (m.target == "/" && m.source.rfind("/dev/", 0) == 0)
                        root_mapping = crypt_mapping(c.host, block_name(c.host, m.source));
        if (!root_mapping) {
                c.add(id, CheckStatus::Pass, "The resume swap " + dev + " is not encrypted, nor is the root filesystem");
                return;
        }
        std::string summary = "The resume swap " + dev + " is not encrypted, but the root filesystem is (dm-crypt "
                              "mapping " + printable(*root_mapping) + ")";
        std::string detail = "The image holds the system's memory, disk encryption keys included, in the clear. "
                             "[check] unencrypted_swap = \"" +
                             std::string(c.cfg.unencrypted_swap == Config::UnencryptedSwap::Fail     ? "fail"
                                         : c.cfg.unencrypted_swap == Config::UnencryptedSwap::Ignore ? "ignore"
                                                                                                     : "warn") +
                             "\".";
        std::string fix = "Put the swap on dm-crypt (LUKS with a persistent key, unlocked in the initramfs), or set "
                          "[check] unencrypted_swap = \"ignore\" to accept it.";
        switch (c.cfg.unencrypted_swap) {
        case Config::UnencryptedSwap::Fail: c.add(id, CheckStatus::Fail, summary, detail, fix); return;
        case Config::UnencryptedSwap::Warn: c.add(id, CheckStatus::Warn, summary, detail, fix); return;
        case Config::UnencryptedSwap::Ignore: c.add(id, CheckStatus::Pass, summary, detail); return;
        }
}

// ---- image -----------------------------------------------------------------------------

void check_image(Ctx &c)
{
        const char *id = "image";
        if (!c.device) {
                c.add(id, CheckStatus::Skip, "No resume device to look for an image on");
                return;
        }
        const std::string &dev = c.device->path;
        uint64_t base_page = c.target && c.target->offset ? *c.target->offset : 0;
        // An active swap file is read through the file itself (same bytes, no raw device
        // access needed); anything else through the device at resume_offset.
        std::string src = dev;
        uint64_t header_off = base_page * c.page_size;
        if (c.resume_swap && c.swaps.entries[*c.resume_swap].kind == SwapKind::File) {
                src = c.swaps.entries[*c.resume_swap].path;
                header_off = 0;
        }
        auto &probe = c.probe_swap(src, header_off);
        if (!probe) {
                c.add(id, CheckStatus::Skip, "Cannot probe " + printable(src) + " for a hibernation image",
                      probe.error().message);
                return;
        }
        if (probe->type != "swsuspend") {
                c.add(id, CheckStatus::Pass, "No hibernation image is waiting on " + printable(src));
                return;
        }
        auto page = c.host.read_at(src, header_off, c.page_size);
        if (!page) {
                c.add(id, CheckStatus::Skip, "Cannot read the swap header of " + printable(src), page.error().message);
                return;
        }
        auto hdr = parse_swsusp_header(*page);
        if (!hdr) {
                c.add(id, CheckStatus::Skip, "Cannot parse the swap header of " + printable(src), hdr.error().message);
                return;
        }
        ImageReport ir;
        ir.device = src;
        ir.header_offset = header_off;
        ir.header = *hdr;
        std::string remedy = "Boot with the resume target set to restore it (the session continues). Booting "
                             "without resuming discards it, and mounting its filesystems in between and then "
                             "resuming would corrupt them.";
        if (hdr->kind != SwapSignature::Hibernate) {
                ir.problem = "signature " + printable(hdr->sig) + " belongs to another hibernation tool";
                c.rep.image = ir;
                c.add(id, CheckStatus::Warn,
                      "A hibernation image by another tool (" + printable(hdr->sig) + ") is waiting on " + printable(src),
                      {}, "Resume it with the tool that wrote it, or discard it with mkswap.");
                return;
        }
        auto flags = describe_flags(hdr->flags);
        std::string detail = "Header flags: " + join(flags, ", ") + "; original signature " +
                             printable(hdr->orig_sig) + ".";
        if (hdr->flags & ~SF_KNOWN_6_1)
                detail += " Flags unknown to Linux 6.1 are set: it was written by a newer kernel (LZ4 images exist "
                          "from 6.9 on), and a 6.1 kernel cannot restore it.";
        // The image's first page: through the first swap map page.
        // Page offsets in the header are relative to the block device; reading them through
        // an (active) swap file would be wrong, so only the device is used here.
        std::string devsrc = dev;
        auto read_page = [&](uint64_t pg) -> Result<std::string> {
                if (pg == 0 || pg > (UINT64_MAX / c.page_size))
                        return Error{EINVAL, "page offset " + std::to_string(pg) + " is out of range"};
                return c.host.read_at(devsrc, pg * c.page_size, c.page_size);
        };
        std::string summary_tail;
        bool ps2_problem = false;
        auto mp = read_page(hdr->image);
        if (!mp) {
                ir.problem = "image map page " + std::to_string(hdr->image) + ": " + mp.error().message;
        } else if (auto head = parse_swap_map_page(*mp); !head) {
                ir.problem = "image map page " + std::to_string(hdr->image) + ": " + head.error().message;
        } else if (auto ip = read_page(head->first_entry); !ip) {
                ir.problem = "image header page " + std::to_string(head->first_entry) + ": " + ip.error().message;
        } else if (auto info = parse_swsusp_info(*ip, c.page_size); !info) {
                ir.problem = info.error().message;
        } else {
                ir.info = *info;
                summary_tail = ": " + std::to_string(info->pages) + " pages (" + format_bytes(info->size) + "), " +
                               std::to_string(info->image_pages) + " data pages";
                uint64_t limit = 0;
                if (hdr->flags & SF_TWO_PAGESETS)
                        if (auto &dp = c.probe_swap(devsrc, 0); dp)
                                limit = image_page_limit(*hdr, base_page * c.page_size, dp->size_bytes, c.page_size);
                if (auto ps2 = validate_pageset2(*hdr, *info, limit, c.page_size, read_page); !ps2) {
                        ir.problem = ps2.error().message;
                        ps2_problem = true;
                } else if (ps2->present) {
                        ir.pageset2 = *ps2;
                        summary_tail += ", two pagesets, " + std::to_string(ps2->pages) + " pages in pageset 2";
                        char crc[16];
                        std::snprintf(crc, sizeof crc, "%08x", info->ps2_crc32);
                        detail += " Two pagesets: " + std::to_string(ps2->pages) +
                                  " data pages in pageset 2 (page cache and process memory, written in place; map "
                                  "from page " + std::to_string(ps2->map_page) + ", CRC32 " + crc +
                                  "). A stock kernel can restore it too: the image's own kernel reloads pageset 2.";
                }
                detail += " Image: " + std::to_string(info->pages) + " pages (" + std::to_string(info->size) +
                          " bytes) including metadata, " + std::to_string(info->image_pages) +
                          " data pages, saved from a machine with " + std::to_string(info->num_physpages) +
                          " pages of RAM and " + std::to_string(info->cpus) + " CPUs.";
                if (info->x86_64_arch_record)
                        detail += " Written by an x86_64 kernel: the image carries an architecture record instead "
                                  "of the kernel release, so the release that wrote it is not in the image.";
                else if (!info->release.empty())
                        detail += " Written by Linux " + printable(info->release) + " (" + printable(info->machine) +
                                  ").";
        }
        if (!ir.problem.empty())
                detail += " The image could not be described: " + ir.problem +
                          (ps2_problem ? "; hibernate-tool's resume helper refuses it (the image's kernel could not "
                                         "reload pageset 2) and keeps it."
                                       : "; the kernel will refuse to resume it.");
        if (page->size() == 4096) {
                auto rec = decode_record(std::string_view(*page).substr(RECORD_OFFSET, RECORD_END - RECORD_OFFSET));
                if (!rec) {
                        ir.record_problem = rec.error().message;
                        detail += " Hibernation record: " + rec.error().message + ".";
                } else if (*rec) {
                        ir.record = **rec;
                        size_t covered = 0;
                        for (auto &f : (*rec)->filesystems)
                                covered += fs_kind_covered(f.kind);
                        detail += " Hibernation record: written by Linux " + printable((*rec)->kernel_release) +
                                  ((*rec)->boot_entry.empty() ? "" : " (boot entry " + printable((*rec)->boot_entry) + ")") +
                                  ", " + std::to_string((*rec)->filesystems.size()) + " filesystem(s) recorded, " +
                                  std::to_string(covered) + " verifiable at resume.";
                } else {
                        detail += " No hibernation record: the filesystems cannot be verified at resume.";
                }
        }
        c.rep.image = ir;
        c.add(id, CheckStatus::Warn, "A hibernation image is waiting on " + printable(src) + summary_tail, detail,
              remedy);
}

// ---- initramfs -------------------------------------------------------------------------

ShellVars read_shell_files(const Host &h, const std::vector<std::string> &files, const std::vector<std::string> &dirs,
                           const char *suffix, std::vector<std::string> &read)
{
        ShellVars v;
        auto one = [&](const std::string &p) {
                if (auto t = h.read_file(p, 1u << 20)) {
                        parse_shell_assignments(*t, v);
                        read.push_back(p);
                }
        };
        for (auto &f : files)
                one(f);
        for (auto &d : dirs)
                if (auto names = h.list_dir(d))
                        for (auto &n : *names) {
                                if (suffix && (n.size() < std::string_view(suffix).size() ||
                                               n.compare(n.size() - std::string_view(suffix).size(),
                                                         std::string_view(suffix).size(), suffix) != 0))
                                        continue;
                                one(path_join(d, n));
                        }
        return v;
}

bool target_matches(Ctx &c, const std::string &spec_text_, std::string *err)
{
        auto spec = parse_device_spec(spec_text_);
        if (!spec) {
                *err = spec.error().message;
                return false;
        }
        auto d = resolve_device(c.host, *spec, c.candidate_paths());
        if (!d) {
                *err = d.error().message;
                return false;
        }
        if (!c.device) {
                *err = "the resume target itself does not resolve";
                return false;
        }
        if (!c.same_device(*d, *c.device)) {
                *err = "it is " + d->path + ", the resume target is " + c.device->path;
                return false;
        }
        return true;
}

// What the running kernel's initramfs image contains (issue 10): read with the bounded cpio
// reader of lib/initramfs.cc, so fixture roots exercise the same code.
struct InitramfsContents {
        std::string path;            // the image looked at ("" when none exists)
        std::optional<std::string> error;  // unreadable: why
        bool read = false;
        bool ours = false;           // hibernate-tool's helper and boot script
        bool itools_resume = false;  // initramfs-tools' scripts/local-premount/resume
        bool dracut_resume = false;  // dracut's resume module hooks
        bool systemd_resume = false; // systemd-hibernate-resume (generator or service)
        bool any_resume() const { return ours || itools_resume || dracut_resume || systemd_resume; }
        std::string found() const
        {
                std::vector<std::string> f;
                if (ours)
                        f.emplace_back("hibernate-tool's helper");
                if (itools_resume)
                        f.emplace_back("initramfs-tools' resume script");
                if (dracut_resume)
                        f.emplace_back("dracut's resume module");
                if (systemd_resume)
                        f.emplace_back("systemd-hibernate-resume");
                return join(f, ", ");
        }
};

InitramfsContents inspect_initramfs(Ctx &c)
{
        InitramfsContents ic;
        if (c.rep.kernel_release.empty() || !c.cfg.inspect_initramfs_image)
                return ic;
        for (std::string p : {"/boot/initrd.img-" + c.rep.kernel_release, "/boot/initramfs-" + c.rep.kernel_release + ".img"})
                if (c.host.exists(p)) {
                        ic.path = p;
                        break;
                }
        if (ic.path.empty())
                return ic;
        auto names = list_initramfs(c.host, ic.path);
        if (!names) {
                ic.error = names.error().message;
                return ic;
        }
        ic.read = true;
        for (auto &n : *names) {
                std::string_view base = path_basename(n);
                if (base == "hibernate-tool" || base.rfind("hibernate-tool-resume", 0) == 0)
                        ic.ours = true;
                else if (n == "scripts/local-premount/resume")
                        ic.itools_resume = true;
                else if (n.find("dracut/hooks/") != std::string::npos && base.find("resume") != std::string_view::npos)
                        ic.dracut_resume = true;
                else if (base.rfind("systemd-hibernate-resume", 0) == 0)
                        ic.systemd_resume = true;
        }
        return ic;
}

void check_initramfs_paths(Ctx &c);

void check_initramfs(Ctx &c)
{
        check_initramfs_paths(c);
        if (!c.target || c.rep.checks.empty() || c.rep.checks.back().id != "initramfs")
                return;
        // Then what the image of the running kernel really holds.
        InitramfsContents ic = inspect_initramfs(c);
        auto &res = c.rep.checks.back();
        std::string fix = "Regenerate the initramfs (update-initramfs -u, or dracut -f) with resume support; "
                          "hibernate-tool setup installs its hook.";
        if (ic.read && !ic.any_resume()) {
                res.status = CheckStatus::Fail;
                res.detail = "Configuration: " + res.summary + ". " + res.detail;
                res.summary = "The initramfs of Linux " + c.rep.kernel_release + " (" + ic.path +
                              ") contains no resume code: no boot would find the image";
                res.remedy = fix;
        } else if (ic.read) {
                res.detail += std::string(res.detail.empty() ? "" : " ") + ic.path + " contains " + ic.found() + ".";
        } else if (ic.error) {
                if (res.status == CheckStatus::Pass)
                        res.status = CheckStatus::Warn;
                res.detail += std::string(res.detail.empty() ? "" : " ") + "Cannot read the initramfs image " + ic.path +
                              " to verify its resume support: " + *ic.error + ".";
        }
}

void check_initramfs_paths(Ctx &c)
{
        const char *id = "initramfs";
        bool cmdline_resume = c.cmdline.value("resume").has_value();
        bool itools = c.host.exists("/usr/sbin/update-initramfs") || c.host.exists("/etc/initramfs-tools/initramfs.conf");
        bool dracut = c.host.exists("/usr/bin/dracut") || c.host.exists("/etc/dracut.conf");
        bool mkinit = c.host.exists("/usr/bin/mkinitcpio") || c.host.exists("/etc/mkinitcpio.conf");
        if (!c.target) {
                c.add(id, CheckStatus::Skip, "No resume target to compare the initramfs configuration with");
                return;
        }
        if (itools) {
                std::vector<std::string> read;
                auto v = read_shell_files(c.host, {"/etc/initramfs-tools/initramfs.conf"},
                                          {"/etc/initramfs-tools/conf.d"}, nullptr, read);
                std::string where = read.empty() ? "/etc/initramfs-tools" : join(read, ", ");
                auto it = v.find("RESUME");
                std::string resume = it == v.end() ? "" : it->second;
                if (resume == "none") {
                        if (cmdline_resume)
                                c.add(id, CheckStatus::Warn,
                                      "initramfs-tools: RESUME=none, only resume= on the kernel command line enables "
                                      "resume",
                                      "Set in " + where + ".",
                                      "Set RESUME=" + spec_text(*c.target) +
                                              " in /etc/initramfs-tools/conf.d/resume and run update-initramfs -u.");
                        else
                                c.add(id, CheckStatus::Fail, "initramfs-tools: RESUME=none disables resume",
                                      "Set in " + where + "; no resume= on the kernel command line overrides it.",
                                      "Set RESUME=" + spec_text(*c.target) +
                                              " in /etc/initramfs-tools/conf.d/resume and run update-initramfs -u.");
                        return;
                }
                if (resume.empty() || resume == "auto") {
                        if (cmdline_resume)
                                c.add(id, CheckStatus::Pass,
                                      "initramfs-tools resumes from resume= on the kernel command line");
                        else
                                c.add(id, CheckStatus::Warn,
                                      "initramfs-tools picks the resume device automatically (largest swap at "
                                      "build time)",
                                      "RESUME is " + std::string(resume.empty() ? "unset" : "auto") + " in " + where + ".",
                                      "Set RESUME=" + spec_text(*c.target) +
                                              " in /etc/initramfs-tools/conf.d/resume and run update-initramfs -u.");
                        return;
                }
                std::string err;
                if (target_matches(c, resume, &err)) {
                        c.add(id, CheckStatus::Pass, "initramfs-tools resumes from RESUME=" + printable(resume),
                              "Set in " + where + ".");
                } else if (cmdline_resume) {
                        c.add(id, CheckStatus::Warn,
                              "initramfs-tools: RESUME=" + printable(resume) +
                                      " disagrees with the resume target; resume= on the command line overrides it",
                              err + ".",
                              "Set RESUME=" + spec_text(*c.target) +
                                      " in /etc/initramfs-tools/conf.d/resume and run update-initramfs -u.");
                } else {
                        c.add(id, CheckStatus::Fail,
                              "initramfs-tools: RESUME=" + printable(resume) + " is not the resume target", err + ".",
                              "Set RESUME=" + spec_text(*c.target) +
                                      " in /etc/initramfs-tools/conf.d/resume and run update-initramfs -u.");
                }
                return;
        }
        if (dracut) {
                std::vector<std::string> read;
                auto v = read_shell_files(c.host, {"/etc/dracut.conf"},
                                          {"/usr/lib/dracut/dracut.conf.d", "/etc/dracut.conf.d"}, ".conf", read);
                std::string omit = v.count("omit_dracutmodules") ? v["omit_dracutmodules"] : "";
                auto words = parse_cmdline(omit);
                bool omitted = std::any_of(words.begin(), words.end(), [](auto &a) { return a.key == "resume"; });
                if (omitted) {
                        c.add(id, CheckStatus::Fail, "dracut: the resume module is omitted",
                              "omit_dracutmodules contains resume (" + join(read, ", ") + ").",
                              "Remove resume from omit_dracutmodules and regenerate the initramfs (dracut -f).");
                        return;
                }
                if (cmdline_resume)
                        c.add(id, CheckStatus::Pass, "dracut resumes from resume= on the kernel command line");
                else if (c.cfg.resume_device && inspect_initramfs(c).ours)
                        c.add(id, CheckStatus::Pass,
                              "hibernate-tool's helper in the initramfs resumes from [resume] device = " +
                                      printable(*c.cfg.resume_device));
                else
                        c.add(id, CheckStatus::Fail,
                              "No boot path would find the image: dracut resumes only from resume= on the kernel "
                              "command line, and there is none",
                              "Neither resume= on the kernel command line nor [resume] device for hibernate-tool's "
                              "helper in the initramfs is set.",
                              "Add resume=" + spec_text(*c.target) + " to the kernel command line.");
                return;
        }
        if (mkinit) {
                auto t = c.host.read_file("/etc/mkinitcpio.conf", 1u << 20);
                ShellVars v;
                if (t)
                        parse_shell_assignments(*t, v);
                std::string hooks = v.count("HOOKS") ? v["HOOKS"] : "";
                // HOOKS=(base udev … ) is an array: strip the parentheses.
                for (auto &ch : hooks)
                        if (ch == '(' || ch == ')')
                                ch = ' ';
                auto words = parse_cmdline(hooks);
                bool ok = std::any_of(words.begin(), words.end(),
                                      [](auto &a) { return a.key == "resume" || a.key == "systemd"; });
                if (ok && cmdline_resume)
                        c.add(id, CheckStatus::Pass, "mkinitcpio resumes from resume= on the kernel command line");
                else if (ok)
                        c.add(id, CheckStatus::Fail,
                              "No boot path would find the image: mkinitcpio resumes only from resume= on the kernel "
                              "command line, and there is none",
                              {}, "Add resume=" + spec_text(*c.target) + " to the kernel command line.");
                else
                        c.add(id, CheckStatus::Fail, "mkinitcpio: no resume (or systemd) hook in HOOKS", {},
                              "Add resume to HOOKS in /etc/mkinitcpio.conf after udev and run mkinitcpio -P.");
                return;
        }
        c.add(id, CheckStatus::Skip, "No known initramfs generator (initramfs-tools, dracut, mkinitcpio) found");
}

// ---- bootloader ------------------------------------------------------------------------

void check_bootloader(Ctx &c)
{
        const char *id = "bootloader";
        if (!c.host.exists("/etc/default/grub")) {
                c.add(id, CheckStatus::Skip, "No GRUB configuration (/etc/default/grub) found");
                return;
        }
        std::vector<std::string> read;
        auto v = read_shell_files(c.host, {"/etc/default/grub"}, {"/etc/default/grub.d"}, ".cfg", read);
        std::string cl = v["GRUB_CMDLINE_LINUX"] + " " + v["GRUB_CMDLINE_LINUX_DEFAULT"];
        Cmdline grub_cmdline(cl);
        auto g_resume = grub_cmdline.value("resume");
        auto g_offset = grub_cmdline.value("resume_offset");

        std::optional<std::string> cfg_path = grub_config_path(c.host);
        std::optional<std::string> gen_resume, gen_offset;
        bool gen_known = false;
        std::string gen_title;
        if (cfg_path) {
                if (auto t = c.host.read_file(*cfg_path, 16u << 20)) {
                        auto entries = parse_grub_cfg(*t);
                        for (auto &e : entries) {
                                if (e.kernel.empty())
                                        continue;
                                Cmdline ec(e.cmdline);
                                gen_resume = ec.value("resume");
                                gen_offset = ec.value("resume_offset");
                                gen_known = true;
                                gen_title = e.title;
                                break;  // the first entry is the default one in a generated grub.cfg
                        }
                }
        }
        std::string detail = "GRUB command line (" + join(read, ", ") + "): resume=" + g_resume.value_or("(none)") +
                             " resume_offset=" + g_offset.value_or("(none)") + ".";
        if (gen_known)
                detail += " Generated " + *cfg_path + ", entry '" + printable(gen_title) +
                          "': resume=" + gen_resume.value_or("(none)") +
                          " resume_offset=" + gen_offset.value_or("(none)") + ".";
        std::string regen = "run update-grub (or grub-mkconfig -o " + cfg_path.value_or("/boot/grub/grub.cfg") + ").";
        std::string Regen = "R" + regen.substr(1);

        if (gen_known && (g_resume != gen_resume || g_offset != gen_offset)) {
                c.add(id, CheckStatus::Warn,
                      "/etc/default/grub and the generated grub.cfg disagree on resume= (regeneration pending)", detail,
                      Regen);
                return;
        }
        if (!g_resume) {
                bool initramfs_supplies = false;
                if (auto r = c.rep.find("initramfs"); r && r->status == CheckStatus::Pass &&
                                                      r->summary.find("RESUME=") != std::string::npos)
                        initramfs_supplies = true;
                bool needs_offset = c.resume_swap && c.swaps.entries[*c.resume_swap].kind == SwapKind::File;
                if (initramfs_supplies && !needs_offset) {
                        c.add(id, CheckStatus::Pass,
                              "GRUB passes no resume=; the initramfs configuration supplies the resume device", detail);
                        return;
                }
                if (!c.target) {
                        c.add(id, CheckStatus::Skip, "GRUB passes no resume= and there is no resume target to compare",
                              detail);
                        return;
                }
                std::string want = "resume=" + spec_text(*c.target);
                if (c.target->offset && *c.target->offset)
                        want += " resume_offset=" + std::to_string(*c.target->offset);
                c.add(id, CheckStatus::Warn, "GRUB does not pass resume= to the kernel", detail,
                      "Add " + want + " to GRUB_CMDLINE_LINUX in /etc/default/grub, then " + regen);
                return;
        }
        std::string err;
        if (!target_matches(c, *g_resume, &err)) {
                bool resolves = err.rfind("it is ", 0) == 0;
                c.add(id, resolves ? CheckStatus::Warn : CheckStatus::Fail,
                      "GRUB's resume=" + printable(*g_resume) + (resolves ? " is not the current resume target"
                                                                           : " does not resolve to a device"),
                      detail + " " + err + ".",
                      c.target ? "Set resume=" + spec_text(*c.target) + " in GRUB_CMDLINE_LINUX, then " + regen : Regen);
                return;
        }
        if (c.file_map && (!g_offset || parse_u64(*g_offset) != c.file_map->resume_offset)) {
                c.add(id, CheckStatus::Fail,
                      "GRUB's resume_offset=" + g_offset.value_or("(none)") + " does not match the swap file (page " +
                              std::to_string(c.file_map->resume_offset) + ")",
                      detail,
                      "Set resume_offset=" + std::to_string(c.file_map->resume_offset) +
                              " in GRUB_CMDLINE_LINUX, then " + regen);
                return;
        }
        c.add(id, CheckStatus::Pass, "GRUB passes resume=" + printable(*g_resume) + " to the kernel", detail);
}

// /run/hibernate-tool/last-resume and last-hibernate: KEY=value lines, values plain text
// (no shell quoting), read verbatim. `subject_key` (DEVICE, MODE) fills LastResume::device.
std::optional<LastResume> read_outcome_file(const Host &host, const char *path, const std::string &subject_key)
{
        auto text = host.read_file(path, 64 * 1024);
        if (!text)
                return std::nullopt;
        LastResume l;
        size_t pos = 0;
        while (pos < text->size()) {
                size_t nl = text->find('\n', pos);
                std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
                pos = nl == std::string::npos ? text->size() : nl + 1;
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
