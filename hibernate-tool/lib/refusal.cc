// SPDX-License-Identifier: LGPL-2.1-or-later
#include "refusal.hh"


#include "config.hh"
#include "devices.hh"
#include "grubenv-disk.hh"
#include "host.hh"
#include "parse.hh"
#include "resumer.hh"

namespace ht {

const char *refusal_action_name(RefusalAction a)
{
        switch (a) {
        case RefusalAction::RebootToEntry: return "reboot-to-entry";
        case RefusalAction::Reboot: return "reboot";
        case RefusalAction::PowerOff: return "poweroff";
        case RefusalAction::Invalidate: return "invalidate";
        }
        return "invalidate";
}

namespace {

// Step 1: the record first (so that a cut power or a failed reboot cannot loop), then
// GRUB's block. Returns what failed, empty on success.
std::string set_one_shot_unmounted(const Host &host, const RefusalInput &in, const HibRecord &rec)
{
        HibRecord counted = rec;
        counted.reboots = static_cast<uint8_t>(rec.reboots + 1);
        auto page = page_with_record(in.header_page, &counted);
        if (!page)
                return "cannot count the reboot in the hibernation record: " + page.error().message;
        if (auto st = write_header_page(host, in.device, in.header_offset, *page); !st)
                return "cannot count the reboot in the hibernation record: " + st.error().message;
        DeviceSpec spec;
        spec.kind = SpecKind::Uuid;
        spec.value = spec.original = rec.grubenv->fs_uuid_str();
        auto dev = wait_for_device(host, spec, in.remaining_ms ? in.remaining_ms() : 0, in.fixture_devs);
        if (!dev)
                return "the filesystem holding GRUB's environment block (UUID=" + spec.value +
                       ") is not there: " + dev.error().message;
        if (auto st = grubenv_block_set_next_entry(host, dev->path, rec.grubenv->offset, rec.boot_entry); !st)
                return "cannot set GRUB's one-shot entry on " + dev->path + ": " + st.error().message;
        return {};
}

}  // namespace

RefusalOutcome handle_refusal(const Host &host, const Config &cfg, const RefusalInput &in, const ConsoleAsk &ask)
{
        RefusalOutcome o;
        const HibRecord *rec = in.record ? &*in.record : nullptr;
        if (in.needs_other_kernel && rec && rec->grubenv && !rec->boot_entry.empty() &&
            rec->kernel_release != in.running_release) {
                if (rec->reboots > 0) {
                        o.warnings.push_back("a reboot into boot entry " + printable(rec->boot_entry) +
                                             " was already tried for this image and Linux " + in.running_release +
                                             " booted again");
                } else if (auto failed = set_one_shot_unmounted(host, in, *rec); !failed.empty()) {
                        o.warnings.push_back(failed);
                } else {
                        o.action = RefusalAction::RebootToEntry;
                        o.text = "rebooting into boot entry " + printable(rec->boot_entry) + " (Linux " +
                                 printable(rec->kernel_release) + ", GRUB's one-shot entry), which can resume it";
                        return o;
                }
        }

        std::string fallback = cfg.refused == Config::Refused::PowerOff ? "power off" : "discard";
        std::string hint = rec && !rec->kernel_release.empty() && in.needs_other_kernel
                                   ? " (choose Linux " + printable(rec->kernel_release) + " in the boot menu)"
                                   : "";
        std::string question = "hibernate-tool: the hibernation image on " + in.device + " is not resumed: " +
                               in.reason + ". Booting on would destroy it. Type r to reboot" + hint +
                               ", p to power off (both keep it), d to discard it and boot [in " +
                               std::to_string(cfg.refused_ask_timeout_sec) + " s: " + fallback + "]:";
        if (ask && cfg.refused_ask_timeout_sec > 0)
                if (auto a = ask(question, cfg.refused_ask_timeout_sec)) {
                        std::string w = *a;
                        while (!w.empty() && (w.back() == ' ' || w.back() == '\t'))
                                w.pop_back();
                        while (!w.empty() && (w.front() == ' ' || w.front() == '\t'))
                                w.erase(0, 1);
                        if (w == "r" || w == "reboot") {
                                o.action = RefusalAction::Reboot;
                                o.text = "rebooting as asked on the console; image kept";
                                return o;
                        }
                        if (w == "p" || w == "poweroff") {
                                o.action = RefusalAction::PowerOff;
                                o.text = "powering off as asked on the console; image kept";
                                return o;
                        }
                        if (w == "d" || w == "discard") {
                                o.action = RefusalAction::Invalidate;
                                o.text = "discarded as asked on the console";
                                return o;
                        }
                        o.warnings.push_back("the answer '" + printable(w) + "' is none of r, p, d");
                }
        if (cfg.refused == Config::Refused::PowerOff) {
                o.action = RefusalAction::PowerOff;
                o.text = "powering off, image kept ([resume] refused = \"poweroff\"; boot with noresume to discard it)";
                return o;
        }
        o.action = RefusalAction::Invalidate;
        o.text = "keeping it while the boot goes on is not safe: [resume] refused";
        return o;
}

}  // namespace ht
