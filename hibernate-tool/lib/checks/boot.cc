// SPDX-License-Identifier: LGPL-2.1-or-later
// The checks of initramfs, bootloader: whether the next boot looks for the image.
#include "checks/context.hh"

namespace ht::check_detail {

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

}  // namespace ht::check_detail
