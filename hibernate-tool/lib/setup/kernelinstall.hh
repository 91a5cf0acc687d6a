// SPDX-License-Identifier: LGPL-2.1-or-later
// resume= for systemd-boot and every kernel-install-managed layout: /etc/kernel/cmdline
// (what kernel-install's 90-loaderentry.install and UKI builders read), and the entries
// regenerated with `kernel-install add` for the installed kernels.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "setup/context.hh"

namespace ht {

inline constexpr std::string_view KERNEL_CMDLINE = "/etc/kernel/cmdline";

// setup configures the command line through kernel-install: the firmware's LoaderInfo names
// systemd-boot, or (no GRUB here) kernel-install exists and a boot partition has its layout
// (loader/entries/ or EFI/Linux/ on /efi, /boot, /boot/efi). force_sdboot: LoaderInfo only.
bool uses_kernel_install(const Ctx &c, bool grub_present);

// The words of a kernel command line without the ones kernel-install drops from
// /proc/cmdline (BOOT_IMAGE=, initrd=).
std::string kernel_install_proc_words(std::string_view proc_cmdline);

// /etc/kernel/cmdline with args: resume= and resume_offset= taken out of every line and
// args appended to the last line that has words ("args\n" for an empty file). Other lines,
// words and spacing stay as they are.
std::string kernel_cmdline_with(std::string_view text, std::string_view args);

// The content /etc/kernel/cmdline starts from when it does not exist, as kernel-install
// would have used: /usr/lib/kernel/cmdline; else, on the running system, /proc/cmdline
// without BOOT_IMAGE= and initrd=; else (--root: the running kernel's command line is not
// the target's) the newest Type #1 entry's options. *from names the source. ENOENT: none.
Result<std::string> kernel_cmdline_base(const Ctx &c, std::string *from);

// Installed kernels: /usr/lib/modules/<release> with an image (/boot/vmlinuz-<release>,
// else /usr/lib/modules/<release>/vmlinuz), and /boot/initrd.img-<release> when present.
struct InstalledKernel {
        std::string release, image, initrd;
};
std::vector<InstalledKernel> installed_kernels(const Ctx &c);

// `kernel-install add <release> <image> [<initrd>]` for each installed kernel.
std::vector<std::vector<std::string>> kernel_install_commands(const Ctx &c);

// Every Type #1 entry of an installed kernel has exactly args' resume words (false: one
// lacks them or there is none). Notes about UKIs, whose command line is built in, go to
// *ukis_without.
bool loader_entries_have(const Ctx &c, const std::string &args, std::vector<std::string> *ukis_without);

}  // namespace ht
