// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/kernelinstall.hh"

#include <algorithm>
#include <set>
#include <sys/stat.h>

#include "parse.hh"
#include "sdboot.hh"
#include "setup/cmdline.hh"

namespace ht {

bool uses_kernel_install(const Ctx &c, bool grub_present)
{
        if (efi_loader_is_sdboot(c.host))
                return true;
        if (grub_present)
                return false;
        bool ki = c.is_file("/usr/bin/kernel-install") || c.is_file("/bin/kernel-install");
        return ki && has_loader_entries(c.host);
}

std::string kernel_install_proc_words(std::string_view proc)
{
        // tr -s "$IFS" '\n' | grep -ve '^BOOT_IMAGE=' -e '^initrd=' | tr '\n' ' ', as
        // 90-loaderentry.install does (words split on blanks, no quoting).
        std::string out;
        size_t i = 0;
        while (i < proc.size()) {
                size_t a = proc.find_first_not_of(" \t\n", i);
                if (a == std::string_view::npos)
                        break;
                size_t b = proc.find_first_of(" \t\n", a);
                std::string_view w = proc.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a);
                i = b == std::string_view::npos ? proc.size() : b;
                if (w.rfind("BOOT_IMAGE=", 0) == 0 || w.rfind("initrd=", 0) == 0)
                        continue;
                if (!out.empty())
                        out += ' ';
                out += w;
        }
        return out;
}

std::string kernel_cmdline_with(std::string_view text, std::string_view args)
{
        std::vector<std::string> lines;
        LineReader r(text);
        while (auto l = r.next())
                lines.emplace_back(*l);
        size_t last = lines.size();
        for (size_t i = 0; i < lines.size(); i++) {
                if (auto s = strip_resume_words(lines[i]))
                        lines[i] = *s;
                if (lines[i].find_first_not_of(" \t\r") != std::string::npos)
                        last = i;
        }
        if (last == lines.size()) {
                lines.clear();
                lines.emplace_back(args);
        } else {
                std::string &l = lines[last];
                while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r'))
                        l.pop_back();
                l += ' ';
                l += args;
        }
        std::string out;
        for (auto &l : lines)
                out += l + "\n";
        return out;
}

Result<std::string> kernel_cmdline_base(const Ctx &c, std::string *from)
{
        auto usr = c.read("/usr/lib/kernel/cmdline");
        if (!usr)
                return usr.error();
        if (*usr) {
                *from = "/usr/lib/kernel/cmdline";
                return **usr;
        }
        if (!c.in_root()) {
                auto proc = c.read("/proc/cmdline");
                if (!proc)
                        return proc.error();
                if (*proc) {
                        *from = "/proc/cmdline";
                        return kernel_install_proc_words(**proc) + "\n";
                }
        }
        for (auto &e : read_loader_entries(c.host))
                if (e.type == 1 && !e.options.empty()) {
                        *from = e.path;
                        return e.options + "\n";
                }
        return Error{ENOENT, std::string(KERNEL_CMDLINE) + " does not exist and there is nothing to start it from "
                             "(no /usr/lib/kernel/cmdline, no boot entry with options); write the kernel command "
                             "line (root=… and the rest) into it, then run setup again"};
}

std::vector<InstalledKernel> installed_kernels(const Ctx &c)
{
        std::vector<InstalledKernel> out;
        std::set<std::string> seen;
        for (const char *mods : {"/usr/lib/modules", "/lib/modules"}) {
                auto names = c.host.list_dir(mods);
                if (!names)
                        continue;
                for (auto &rel : *names) {
                        if (rel.empty() || rel[0] == '.' || !seen.insert(rel).second)
                                continue;
                        InstalledKernel k;
                        k.release = rel;
                        for (std::string img : {"/boot/vmlinuz-" + rel, std::string(mods) + "/" + rel + "/vmlinuz"})
                                if (k.image.empty() && c.is_file(img))
                                        k.image = img;
                        if (k.image.empty())
                                continue;
                        if (c.is_file("/boot/initrd.img-" + rel))
                                k.initrd = "/boot/initrd.img-" + rel;
                        out.push_back(std::move(k));
                }
        }
        std::sort(out.begin(), out.end(), [](auto &a, auto &b) { return a.release < b.release; });
        return out;
}

std::vector<std::vector<std::string>> kernel_install_commands(const Ctx &c)
{
        std::vector<std::vector<std::string>> cmds;
        for (auto &k : installed_kernels(c)) {
                std::vector<std::string> cmd = {"kernel-install", "add", k.release, k.image};
                if (!k.initrd.empty())
                        cmd.push_back(k.initrd);
                cmds.push_back(std::move(cmd));
        }
        return cmds;
}

bool loader_entries_have(const Ctx &c, const std::string &args, std::vector<std::string> *ukis_without)
{
        std::set<std::string> releases;
        for (auto &k : installed_kernels(c))
                releases.insert(k.release);
        auto has_args = [&](const std::string &options) { return cmdline_has_resume_args(options, args); };
        std::set<std::string> good;
        bool all = true;
        for (auto &e : read_loader_entries(c.host)) {
                if (e.type == 2) {
                        if (!has_args(e.options) && ukis_without)
                                ukis_without->push_back(e.path);
                        continue;
                }
                if (!releases.count(e.kernel_release))
                        continue;
                if (has_args(e.options))
                        good.insert(e.kernel_release);
                else
                        all = false;
        }
        return all && good.size() == releases.size();
}

}  // namespace ht
