// SPDX-License-Identifier: LGPL-2.1-or-later
// The checks of kernel-support, lockdown, noresume: what the running kernel allows.
#include "checks/context.hh"

namespace ht::check_detail {

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

}  // namespace ht::check_detail
