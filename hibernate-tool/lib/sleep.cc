// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sleep.hh"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <unistd.h>

#include "checks.hh"
#include "config.hh"
#include "devices.hh"
#include "estimate.hh"
#include "grubenv-disk.hh"
#include "host.hh"
#include "parse.hh"
#include "prefetch.hh"
#include "resume.hh"
#include "resumer.hh"
#include "systemd.hh"
#include "target.hh"
#include "testhooks.hh"

namespace ht {

namespace {

std::string one_line(std::string s)
{
        for (auto &c : s)
                if (c == '\n' || c == '\r')
                        c = ' ';
        return s;
}

// A plain write of a kernel attribute (sysfs: no temporary file, no rename), resolved
// inside the root. O_TRUNC is ignored by sysfs and keeps a fixture's file exact.
Status write_sysfs(const Host &host, const std::string &abs, const std::string &value)
{
        auto fd = host.open(abs, O_WRONLY | O_TRUNC);
        if (!fd)
                return Error::from_errno(fd.error().code, "cannot open " + abs);
        ssize_t n = ::write(fd->get(), value.data(), value.size());
        int e = errno;
        if (n != static_cast<ssize_t>(value.size()))
                return Error::from_errno(n < 0 ? e : EIO, "cannot write '" + value + "' to " + abs);
        return ok_status();
}

}  // namespace

// ---- the verdict ----------------------------------------------------------------------------

Verdict evaluate_hibernation(const Host &host, const Config &cfg, bool boot_visible)
{
        Verdict v;
        Config quick = cfg;
        quick.inspect_initramfs_image = false;  // see Config: keeps /boot free for pre's unmount
        quick.ask_logind = false;               // see Config: logind's answer follows the gate
        Report rep = run_checks(host, quick);
        v.kernel_release = rep.kernel_release;
        v.pagesets = rep.pagesets;
        for (auto &c : rep.checks)
                if (c.status == CheckStatus::Fail)
                        v.reasons.push_back(c.id + ": " + one_line(c.summary));
        if (v.reasons.empty() && rep.undetermined())
                for (const char *id : {"kernel-support", "swap-present", "resume-device"})
                        if (auto c = rep.find(id); c && c->status == CheckStatus::Skip)
                                v.reasons.push_back(std::string(id) + ": " + one_line(c->summary));
        if (rep.image && rep.image->header.kind == SwapSignature::Hibernate)
                v.reasons.push_back("image: a hibernation image already waits on " + rep.image->device +
                                    "; hibernating again would overwrite it");

        if (!boot_visible) {
                v.warnings.push_back("boot loader not inspected (/boot is not mounted)");
        } else if (auto bt = find_boot_target(host, v.kernel_release); !bt) {
                if (bt.error().code == ENOENT)
                        v.warnings.push_back("boot loader unknown, the next boot's kernel cannot be chosen: " +
                                             bt.error().message);
                else
                        v.reasons.push_back("boot-entry: " + bt.error().message +
                                            " (the next boot could not restore this image)");
        } else {
                v.boot = *bt;
                Cmdline ec(bt->cmdline);
                std::string why;
                if (resume_disabled(ec, &why))
                        v.reasons.push_back("boot-entry: the entry '" + printable(bt->title) + "' boots with " + why +
                                            ", so the image would be discarded");
                if (auto r = ec.value("resume"); r && !r->empty()) {
                        TargetResolver t(host, cfg);
                        if (t.load_inputs()) {
                                t.resolve();
                                auto spec = parse_device_spec(*r);
                                std::optional<ResolvedDevice> d;
                                if (spec)
                                        if (auto rd = resolve_device(host, *spec, t.candidate_paths()))
                                                d = *rd;
                                if (!d)
                                        v.reasons.push_back("boot-entry: the entry's resume=" + printable(*r) +
                                                            " does not resolve to a device");
                                else if (t.device && !TargetResolver::same_device(*d, *t.device))
                                        v.reasons.push_back("boot-entry: the entry's resume=" + printable(*r) + " is " +
                                                            d->path + ", not the resume device " + t.device->path);
                                auto off = ec.value("resume_offset");
                                uint64_t want = t.target && t.target->offset ? *t.target->offset : 0;
                                uint64_t have = off ? parse_u64(*off).value_or(UINT64_MAX) : 0;
                                if (d && t.device && TargetResolver::same_device(*d, *t.device) && have != want)
                                        v.reasons.push_back("boot-entry: the entry's resume_offset=" +
                                                            (off ? printable(*off) : std::string("(none)")) +
                                                            " differs from the resume target's offset " +
                                                            std::to_string(want));
                        }
                }
                if (bt->env && !bt->env->grub_can_write)
                        v.warnings.push_back("grubenv: " + bt->env->why_not +
                                             "; next_entry is cleared by hibernate-tool after resume or at the next boot");
        }
        v.safe = v.reasons.empty();
        return v;
}

// ---- state ----------------------------------------------------------------------------------

std::string format_sleep_state(const SleepState &s)
{
        std::string o = "MODE=" + one_line(s.mode) + "\nLOADER=" + one_line(s.loader) + "\nENTRY=" +
                        one_line(s.entry_id) + "\nENV=" + one_line(s.env_path) + "\n";
        if (s.prev_next_entry)
                o += "PREV_NEXT_ENTRY=" + one_line(*s.prev_next_entry) + "\n";
        if (!s.pagesets.empty())
                o += "PAGESETS=" + one_line(s.pagesets) + "\n";
        if (s.prev_image_size)
                o += "PREV_IMAGE_SIZE=" + std::to_string(*s.prev_image_size) + "\n";
        o += "TIME=" + std::to_string(s.time) + "\n";
        return o;
}

Result<SleepState> parse_sleep_state(std::string_view text)
{
        SleepState s;
        bool have_loader = false;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                auto eq = line.find('=');
                if (eq == std::string_view::npos)
                        continue;
                auto k = line.substr(0, eq);
                std::string val(line.substr(eq + 1));
                if (k == "MODE")
                        s.mode = val;
                else if (k == "LOADER") {
                        s.loader = val;
                        have_loader = true;
                } else if (k == "ENTRY")
                        s.entry_id = val;
                else if (k == "ENV")
                        s.env_path = val;
                else if (k == "PREV_NEXT_ENTRY")
                        s.prev_next_entry = val;
                else if (k == "PAGESETS" && (val == "two" || val == "stock"))
                        s.pagesets = val;  // anything else: unknown, as in state files from before
                else if (k == "PREV_IMAGE_SIZE")
                        s.prev_image_size = parse_u64(val);  // garbage: nothing to put back
                else if (k == "TIME")
                        s.time = parse_u64(val).value_or(0);
        }
        if (!have_loader)
                return Error{EINVAL, "sleep state without LOADER="};
        if (s.loader != "grub" && s.loader != "systemd-boot" && s.loader != "none")
                return Error{EINVAL, "sleep state names an unknown boot loader '" + printable(s.loader) + "'"};
        if (s.loader == "grub" && (s.env_path.empty() || s.env_path[0] != '/'))
                return Error{EINVAL, "sleep state: GRUB without an absolute grubenv path"};
        return s;
}

// ---- undo -----------------------------------------------------------------------------------

namespace {

// Puts the boot loader back as it was, unless somebody (GRUB itself, at boot) already
// consumed or replaced our one-shot entry.
Status restore_boot(const Host &host, const SleepState &s, std::vector<std::string> &steps)
{
        if (s.loader == "grub") {
                auto boot = BootAccess::open(host);
                if (!boot)
                        return boot.error();
                GrubEnvPlace place;
                place.path = s.env_path;
                auto cur = grubenv_next_entry(host, place);
                if (cur && *cur == s.entry_id) {
                        auto r = grubenv_set_next_entry(host, place, s.prev_next_entry);
                        if (!r)
                                return r.error();
                        steps.push_back(s.prev_next_entry ? "restored GRUB next_entry=" + *s.prev_next_entry
                                                          : "removed GRUB next_entry");
                } else {
                        steps.push_back("GRUB next_entry already consumed");
                }
                if (boot->mounted_by_us())
                        steps.push_back("unmounted /boot again");
                return boot->close();
        }
        if (s.loader == "systemd-boot") {
                if (auto v = read_loader_efi_string(host, "LoaderEntryOneShot"); v && *v == s.entry_id) {
                        if (auto st = sdboot_set_oneshot(host, ""); !st)
                                return st;
                        steps.push_back("cleared systemd-boot LoaderEntryOneShot");
                        return ok_status();
                }
                steps.push_back("systemd-boot one-shot entry already consumed");
        }
        return ok_status();
}

Status remove_file(const Host &host, const std::string &abs)
{
        if (auto st = host.remove(abs); !st)
                return st;
        return host.sync_dir(path_dirname(abs));
}

void write_last_hibernate(const Host &host, const std::string &result, const std::string &mode,
                          const std::string &message, const std::string &pagesets = {},
                          std::optional<uint64_t> pageset2_pages = std::nullopt, const std::string &workingset = {})
{
        std::string s = "RESULT=" + result + "\nMODE=" + one_line(mode) + "\n";
        if (!pagesets.empty())
                s += "PAGESETS=" + one_line(pagesets) + "\n";
        if (pageset2_pages)
                s += "PAGESET2_PAGES=" + std::to_string(*pageset2_pages) + "\n";
        if (!workingset.empty())
                s += "WORKINGSET=" + one_line(workingset) + "\n";
        s += "MESSAGE=" + one_line(message) + "\nTIME=" + std::to_string(std::time(nullptr)) + "\n";
        (void)host.write_file_atomic(LAST_HIBERNATE_FILE, s);
}

std::string pagesets_label(Pagesets p)
{
        return p == Pagesets::Two ? "two-pageset hibernation" : "stock hibernation";
}

// The pageset mode when the kernel has no choice to make (and, for the dry run, the choice
// pre would make): one line, a warning when configured two-pageset hibernation cannot be had.
void describe_pagesets(const PagesetsPlan &p, bool dry_run, std::vector<std::string> &steps)
{
        const auto &d = p.decision;
        if (!p.kernel_error.empty()) {
                steps.push_back("warning: " + p.kernel_error + "; the kernel's pageset setting is left alone");
                return;
        }
        if (!p.kernel.supported) {
                if (d.fallback)
                        steps.push_back("warning: pagesets = \"two\" is configured, but " + d.why +
                                        ": falling back to stock hibernation");
                else
                        steps.push_back("stock hibernation (" + d.why + ")");
                return;
        }
        if (dry_run)
                steps.push_back("would select " + pagesets_label(d.mode) + ": " + d.why);
}

// Selects the decided mode in the kernel (a plain sysfs write). Never refuses: when the
// write fails, stock is selected instead where possible, and the mode the kernel then
// reports is what the hibernation uses.
// [kernel] image_size = "fit": raises /sys/power/image_size to the largest image whose worst
// case fits the resume swap's free space (estimate.hh); saves the old value in the state
// first (post puts it back). Returns the step to report ("" when nothing applies).
std::string raise_image_size(const Host &host, const Config &cfg, const TargetResolver &t, SleepState &s)
{
        auto cur_line = host.read_line("/sys/power/image_size");
        auto cur = cur_line ? parse_u64(*cur_line) : std::nullopt;
        if (!cur)
                return "warning: image_size not raised: /sys/power/image_size is not readable";
        if (!t.resume_swap || *t.resume_swap >= t.swaps.entries.size())
                return "warning: image_size not raised: the resume swap is not active";
        const SwapEntry &sw = t.swaps.entries[*t.resume_swap];
        uint64_t free_swap = sw.size_bytes > sw.used_bytes ? sw.size_bytes - sw.used_bytes : 0;
        auto mi = host.read_file("/proc/meminfo", 64 * 1024);
        if (!mi)
                return "warning: image_size not raised: " + mi.error().message;
        auto f = fit_image_size(parse_meminfo(*mi), free_swap, *cur, cfg.swap_margin_percent);
        if (!f)
                return "warning: image_size not raised: " + f.error().message;
        if (!f->raised)
                return "image_size " + format_bytes(*cur) + " kept: a larger image could outgrow the free swap (" +
                       format_bytes(free_swap) + ")";
        s.prev_image_size = *cur;
        if (auto st = host.write_file_atomic(SLEEP_STATE_FILE, format_sleep_state(s), 0600); !st) {
                s.prev_image_size.reset();
                return "warning: image_size not raised: cannot save the sleep state: " + st.error().message;
        }
        if (auto st = write_sysfs(host, "/sys/power/image_size", std::to_string(f->target)); !st) {
                s.prev_image_size.reset();
                (void)host.write_file_atomic(SLEEP_STATE_FILE, format_sleep_state(s), 0600);
                return "warning: image_size not raised: " + st.error().message;
        }
        return "image_size " + format_bytes(f->target) + " (was " + format_bytes(*cur) + "): the kernel " +
               (f->dropped ? "drops about " + format_bytes(f->dropped) + " of memory in use" : "keeps all memory in use") +
               "; worst case " + format_bytes(f->needed) + " of " + format_bytes(free_swap) + " free swap";
}

Pagesets select_pagesets(const Host &host, const PagesetsPlan &p, std::vector<std::string> &steps)
{
        if (!p.kernel_error.empty() || !p.kernel.supported)
                return Pagesets::Stock;
        Pagesets want = p.decision.mode;
        auto st = write_sysfs(host, PAGESETS_FILE, pagesets_name(want));
        if (st) {
                steps.push_back(pagesets_label(want) + " selected (" + PAGESETS_FILE + " = " + pagesets_name(want) +
                                "): " + p.decision.why);
                return want;
        }
        std::string w = "warning: cannot select " + pagesets_label(want) + ": " + st.error().message;
        if (want == Pagesets::Two)
                (void)write_sysfs(host, PAGESETS_FILE, "stock");
        auto now = read_pagesets_kernel(host);
        Pagesets got = now && now->supported ? now->selected : Pagesets::Stock;
        if (got == want)
                w += " (the kernel has it selected already)";
        else if (got == Pagesets::Stock)
                w += "; falling back to stock hibernation";
        else
                w += "; the kernel keeps two-pageset hibernation selected";
        steps.push_back(w);
        return got;
}

}  // namespace

// ---- pre ------------------------------------------------------------------------------------

SleepOutcome sleep_pre(const Host &host, const Config &cfg, const std::string &mode, bool dry_run)
{
        SleepOutcome out;
        // A state file left by an earlier pre without post (crash, power loss): undo first.
        if (!dry_run)
                if (auto t = host.read_file(SLEEP_STATE_FILE, 64 * 1024))
                        if (auto s = parse_sleep_state(*t)) {
                                if (auto st = restore_boot(host, *s, out.steps); st)
                                        (void)remove_file(host, SLEEP_STATE_FILE);
                        }

        auto boot = BootAccess::open(host);
        if (!boot) {
                out.reasons.push_back("boot: " + boot.error().message);
                out.message = "Refusing to " + mode + ": " + out.reasons.front();
                return out;
        }
        if (boot->mounted_by_us())
                out.steps.push_back("mounted /boot");
        Verdict v = evaluate_hibernation(host, cfg, true);
        if (!v.safe) {
                out.reasons = v.reasons;
                std::string all;
                for (auto &r : v.reasons)
                        all += (all.empty() ? "" : "; ") + r;
                out.message = "Refusing to " + mode + ": " + all;
                (void)boot->close();
                if (!dry_run)
                        write_last_hibernate(host, "refused", mode, out.message);
                return out;
        }
        for (auto &w : v.warnings)
                out.steps.push_back("warning: " + w);

        SleepState s;
        s.mode = mode;
        s.time = static_cast<uint64_t>(std::time(nullptr));
        s.loader = v.boot ? boot_loader_name(v.boot->loader) : "none";
        if (v.boot) {
                s.entry_id = v.boot->entry_id;
                if (v.boot->env) {
                        s.env_path = v.boot->env->path;
                        s.prev_next_entry = grubenv_next_entry(host, *v.boot->env);
                }
        }
        describe_pagesets(v.pagesets, dry_run, out.steps);
        s.pagesets = pagesets_name(v.pagesets.decision.mode);
        if (dry_run) {
                if (cfg.image_size_fit && s.pagesets == "stock")
                        out.steps.push_back("would raise /sys/power/image_size to what the free swap holds "
                                            "([kernel] image_size = \"fit\")");
                out.ok = true;
                out.message = "Would " + mode + ": next boot " +
                              (v.boot ? "'" + v.boot->title + "' (" + v.boot->entry_id + ")"
                                      : std::string("unchanged (boot loader unknown)")) +
                              ", pagesets: " + s.pagesets;
                return out;
        }
        auto fail = [&](const std::string &why) {
                out.reasons.push_back(why);
                std::vector<std::string> undo_steps;
                Status restored = ok_status();
                if (v.boot)
                        restored = restore_boot(host, s, undo_steps);
                // The state file is what lets post (or the cleanup at the next boot) restore
                // the boot entry: it goes only once the boot entry is restored.
                if (restored)
                        (void)remove_file(host, SLEEP_STATE_FILE);
                else
                        out.reasons.push_back("the one-shot boot entry could not be restored (" +
                                              restored.error().message +
                                              "); the next boot's cleanup retries from " + SLEEP_STATE_FILE);
                out.message = "Refusing to " + mode + ": " + why;
                write_last_hibernate(host, "refused", mode, out.message);
                return out;
        };
        if (auto st = host.write_file_atomic(SLEEP_STATE_FILE, format_sleep_state(s), 0600); !st)
                return fail("cannot save the sleep state: " + st.error().message);
        kill_point("pre-state");

        std::optional<GrubEnvLocation> grubenv_loc;
        if (v.boot && v.boot->loader == BootLoader::Grub) {
                bool in_place = false;
                auto r = grubenv_set_next_entry(host, *v.boot->env, v.boot->entry_id, &in_place);
                if (!r)
                        return fail("cannot set the GRUB one-shot entry: " + r.error().message);
                out.steps.push_back("GRUB next_entry=" + v.boot->entry_id + " (" + v.boot->env->path + " on disk, " +
                                    (in_place ? "rewritten in place" : "replaced") + ")");
                // Where the block lies, while /boot is mounted: the resume helper can set the
                // entry again without mounting it when another kernel booted (record.hh).
                std::string why_not;
                grubenv_loc = locate_grubenv_block(host, v.boot->env->path, &why_not);
                if (!grubenv_loc)
                        out.steps.push_back("warning: the resume helper will not be able to set the one-shot entry "
                                            "again if another kernel boots: " + why_not);
        } else if (v.boot && v.boot->loader == BootLoader::SystemdBoot) {
                if (auto st = sdboot_set_oneshot(host, v.boot->entry_id); !st)
                        return fail("cannot set the systemd-boot one-shot entry: " + st.error().message);
                out.steps.push_back("systemd-boot LoaderEntryOneShot=" + v.boot->entry_id);
        }
        kill_point("pre-boot-entry");
        if (auto st = boot->close(); !st)
                return fail(st.error().message);
        if (boot->mounted_by_us())
                out.steps.push_back("unmounted /boot");

        // The kernel's resume target: the offset first (the kernel reads it when resume is set).
        TargetResolver t(host, cfg);
        if (auto st = t.load_inputs(); !st)
                return fail(st.error().message);
        t.resolve();
        if (!t.device || !t.device->devnum)
                return fail("the resume device does not resolve");
        uint64_t off = t.target && t.target->offset ? *t.target->offset : 0;
        if (host.exists("/sys/power/resume_offset"))
                if (auto st = write_sysfs(host, "/sys/power/resume_offset", std::to_string(off)); !st)
                        return fail(st.error().message);
        std::string dn = std::to_string(t.device->devnum->major) + ":" + std::to_string(t.device->devnum->minor);
        if (auto st = write_sysfs(host, "/sys/power/resume", dn); !st)
                return fail(st.error().message);
        out.steps.push_back("kernel resume target " + dn + " offset " + std::to_string(off));
        kill_point("pre-resume-target");

        auto rec = write_record(host, cfg, s.entry_id, grubenv_loc);
        if (!rec)
                return fail("cannot write the hibernation record: " + rec.error().message);
        out.steps.push_back("hibernation record on " + rec->device);
        kill_point("pre-record");

        // Last: the pageset mode. Nothing to undo; a failure falls back, never refuses.
        std::string selected = pagesets_name(select_pagesets(host, v.pagesets, out.steps));
        if (selected != s.pagesets) {
                s.pagesets = selected;
                (void)host.write_file_atomic(SLEEP_STATE_FILE, format_sleep_state(s), 0600);
        }
        // Then image_size ([kernel] image_size = "fit", stock mode): like the pageset mode, a
        // failure is a warning. The old value is in the state before the kernel's changes.
        if (cfg.image_size_fit && selected == "stock")
                if (auto step = raise_image_size(host, cfg, t, s); !step.empty())
                        out.steps.push_back(step);
        out.ok = true;
        out.message = "Ready to " + mode + " (kernel " + v.kernel_release + ", next boot " +
                      (v.boot ? "'" + v.boot->title + "'" : std::string("unchanged")) + ", pagesets: " + s.pagesets + ")";
        // The working set for the prefetch after resume: last, closest to the snapshot; a
        // failure is a warning, never a refusal.
        std::string ws_summary;
        if (auto step = record_for_prefetch(host, cfg, ws_summary); !step.empty())
                out.steps.push_back(step);
        write_last_hibernate(host, "hibernating", mode, out.message, s.pagesets, std::nullopt, ws_summary);
        kill_point("pre-done");
        return out;
}

// ---- post -----------------------------------------------------------------------------------

SleepOutcome sleep_post(const Host &host, const Config &cfg, const std::string &service_result,
                        const std::string &exit_status, bool at_boot)
{
        SleepOutcome out;
        // The record spoke for the hibernation that just ended (or never happened): once no
        // image waits, it speaks for nothing and must not judge a later image.
        if (auto c = clear_stale_record(host, cfg); !c)
                out.steps.push_back("warning: cannot clear the hibernation record: " + c.error().message);
        else if (*c)
                out.steps.push_back("hibernation record on " + **c + " cleared");
        auto t = host.read_file(SLEEP_STATE_FILE, 64 * 1024);
        if (!t) {
                out.ok = true;
                out.message = at_boot ? "No hibernation state left behind" : "Nothing to undo";
                return out;
        }
        auto s = parse_sleep_state(*t);
        if (!s) {
                out.message = std::string(SLEEP_STATE_FILE) + ": " + s.error().message + "; removed";
                (void)remove_file(host, SLEEP_STATE_FILE);
                return out;
        }
        auto st = restore_boot(host, *s, out.steps);
        if (!st) {
                out.message = "Cannot undo the boot entry change: " + st.error().message;
                return out;  // keep the state: the next post/boot retries
        }
        // The kernel that resumed (or failed to hibernate) still has pre's image_size; a
        // fresh boot has its own default.
        if (s->prev_image_size && !at_boot) {
                if (auto w = write_sysfs(host, "/sys/power/image_size", std::to_string(*s->prev_image_size)); w)
                        out.steps.push_back("image_size " + format_bytes(*s->prev_image_size) + " again");
                else
                        out.steps.push_back("warning: cannot put image_size back: " + w.error().message);
        }
        (void)remove_file(host, SLEEP_STATE_FILE);
        std::string result;
        if (at_boot)
                result = "not-resumed";
        else if (service_result == "success" || (service_result.empty() && (exit_status.empty() || exit_status == "0")))
                result = "resumed";
        else
                result = "failed";
        out.ok = true;
        out.message = at_boot ? "The " + s->mode + " of the previous boot was not resumed; boot entry restored"
                              : (result == "resumed" ? "Resumed from " + s->mode + "; temporary changes undone"
                                                     : "The " + s->mode + " failed (" + service_result +
                                                               (exit_status.empty() ? "" : ", status " + exit_status) +
                                                               "); temporary changes undone");
        // Pageset 2 of the image just restored (after a boot that did not resume, the
        // running kernel never wrote or restored one).
        std::optional<uint64_t> ps2 = at_boot ? std::nullopt : read_pageset2_pages(host);
        if (ps2)
                out.steps.push_back("pageset 2 of the last image: " + std::to_string(*ps2) + " pages");
        if (result == "resumed" && s->pagesets == "two" && ps2 && *ps2 == 0)
                out.message += "; two-pageset hibernation was selected, but the kernel reports an empty pageset 2 "
                               "(it hibernated stock)";
        // What pre recorded stays in the outcome; the prefetch adds what it brought back.
        std::string ws_summary;
        if (auto prev = host.read_file(LAST_HIBERNATE_FILE, 64 * 1024)) {
                auto at = prev->find("\nWORKINGSET=");
                if (at != std::string::npos) {
                        auto end = prev->find('\n', at + 1);
                        ws_summary = prev->substr(at + 12, end == std::string::npos ? std::string::npos : end - at - 12);
                }
        }
        if (auto step = start_prefetch_after(host, cfg, result == "resumed"); !step.empty())
                out.steps.push_back(step);
        write_last_hibernate(host, result, s->mode, out.message, s->pagesets, ps2, ws_summary);
        return out;
}

// ---- gate -----------------------------------------------------------------------------------

Result<bool> gate_apply(const Host &host, const Verdict &v)
{
        auto cur = host.read_file(GATE_FILE, 64 * 1024);
        if (v.safe) {
                if (!cur)
                        return false;
                if (auto st = remove_file(host, GATE_FILE); !st)
                        return st.error();
                return true;
        }
        std::string s = "# Written by hibernate-tool gate (hibernate-tool-gate.service): hibernation is not safe now.\n";
        for (auto &r : v.reasons)
                s += "#   " + one_line(r) + "\n";
        s += "# It is removed as soon as hibernation is safe again; see hibernate-check.\n"
             "[Sleep]\nAllowHibernation=no\nAllowHybridSleep=no\nAllowSuspendThenHibernate=no\n";
        if (cur && *cur == s)
                return false;
        if (auto st = host.write_file_atomic(GATE_FILE, s); !st)
                return st.error();
        return true;
}

Status gate_remove(const Host &host)
{
        return remove_file(host, GATE_FILE);
}

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
}  // namespace

int gate_watch(const Host &host, const Config &initial, const std::optional<std::string> &config_override)
{
        Config cfg = initial;
        struct sigaction sa = {};
        sa.sa_handler = on_signal;
        ::sigaction(SIGTERM, &sa, nullptr);
        ::sigaction(SIGINT, &sa, nullptr);

        int swaps = host.open_read("/proc/swaps").value_or(-1);
        int mounts = host.open_read("/proc/self/mountinfo").value_or(-1);
        int ino = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino >= 0)
                for (const char *d : {"/etc/hibernate-tool", "/etc/default", "/etc/default/grub.d", "/boot/grub",
                                      "/etc/initramfs-tools/conf.d", "/etc/dracut.conf.d"})
                        (void)::inotify_add_watch(ino, host.path(d).c_str(),
                                                  IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_CREATE);
        bool first = true;
        std::string last;
        while (!g_stop) {
                // The configuration is one of the watched files: reload it each round; a bad
                // one keeps the last good one (and says so once).
                if (!first) {
                        auto c = load_config(host, config_override);
                        if (c)
                                cfg = std::move(*c);
                        else
                                std::fprintf(stderr, "hibernate-tool gate: %s; keeping the previous configuration\n",
                                             c.error().message.c_str());
                }
                Verdict v = evaluate_hibernation(host, cfg, grub_config_path(host).has_value());
                std::string summary = v.safe ? "safe" : "";
                for (auto &r : v.reasons)
                        summary += (summary.empty() ? "" : "; ") + r;
                Result<bool> ch = false;
                if (auto lock = RootLock::take(host, "gate", 5000))
                        ch = gate_apply(host, v);
                else
                        ch = lock.error();
                if (!ch)
                        std::fprintf(stderr, "hibernate-tool gate: %s\n", ch.error().message.c_str());
                if (first || summary != last) {
                        sd::JournalEntry e;
                        e.priority = v.safe ? LOG_INFO : LOG_NOTICE;
                        e.message_id = sd::MSG_GATE_CHANGED;
                        e.message = v.safe ? "gate: hibernation is safe: offered"
                                           : "gate: hibernation is not safe, disallowed: " + summary;
                        e.fields.emplace_back("HIBERNATE_TOOL_SAFE", v.safe ? "1" : "0");
                        for (auto &r : v.reasons)
                                e.fields.emplace_back("HIBERNATE_TOOL_REASON", r);
                        sd::log_event(e);
                        // Type=notify: ready once the first verdict is applied; STATUS= says why.
                        sd::notify(std::string(first ? "READY=1\n" : "") + "STATUS=" +
                                   (v.safe ? "Hibernation offered" : "Hibernation disallowed: " + summary));
                }
                first = false;
                last = summary;
                // Wait for a change (swaps and mountinfo signal POLLPRI|POLLERR) or 60 s.
                struct pollfd p[3] = {{swaps, POLLPRI, 0}, {mounts, POLLPRI, 0}, {ino, POLLIN, 0}};
                int r = ::poll(p, 3, 60000);
                if (r > 0) {
                        char buf[4096];
                        if (p[2].revents & POLLIN)
                                while (::read(ino, buf, sizeof buf) > 0) {
                                }
                        for (int fd : {swaps, mounts})
                                if (fd >= 0) {
                                        ::lseek(fd, 0, SEEK_SET);
                                        while (::read(fd, buf, sizeof buf) > 0) {
                                        }
                                }
                        ::usleep(300 * 1000);  // let a burst of changes settle
                }
        }
        sd::notify("STOPPING=1");
        {
                auto lock = RootLock::take(host, "gate", 5000);
                (void)gate_remove(host);
        }
        std::fprintf(stderr, "hibernate-tool gate: stopped, gate removed\n");
        for (int fd : {swaps, mounts, ino})
                if (fd >= 0)
                        ::close(fd);
        return 0;
}

}  // namespace ht
