// SPDX-License-Identifier: LGPL-2.1-or-later
// The driver of hibernate-tool setup: plan, apply, report. The steps live in setup/.
#include "setup.hh"


#include <algorithm>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "estimate.hh"
#include "fiemap.hh"
#include "json.hh"
#include "parse.hh"
#include "setup/kernelinstall.hh"

namespace ht {

SetupReport run_setup(const SetupOptions &o, void (*log)(const std::string &))
{
        SetupReport rep;
        rep.dry_run = o.dry_run;
        rep.undo = o.undo;
        struct ::stat rst;
        if (::stat(o.root.c_str(), &rst) < 0 || !S_ISDIR(rst.st_mode))
                return refuse(rep, "--root '" + printable(o.root) + "' is not a directory", SETUP_ERROR);
        if (!o.dry_run && ::geteuid() != 0)
                return refuse(rep, "setup changes system files and must run as root", SETUP_ERROR);
        Ctx c(o, rep, log);
        // One run at a time per root (setup, --undo and the sleep verbs share the lock): a
        // second setup must not save the first one's output as "the original". A dry run
        // changes nothing and takes no lock.
        std::optional<RootLock> lock;
        if (!o.dry_run) {
                auto l = RootLock::take(c.host, o.undo ? "setup --undo" : "setup");
                if (!l)
                        return refuse(rep, l.error().message, SETUP_REFUSED);
                lock.emplace(std::move(*l));
        }
        if (o.undo) {
                run_undo(c);
                return rep;
        }
        // A manifest that does not parse means an undo might be impossible: stop.
        auto old_manifest = load_manifest(c);
        if (!old_manifest && old_manifest.error().code != ENOENT)
                return refuse(rep, old_manifest.error().message, SETUP_ERROR);

        // Every file setup reads: read errors other than "does not exist" stop it here,
        // before anything changes (a file that cannot be read is never taken for absent).
        auto fstab_read = c.read(FSTAB);
        if (!fstab_read)
                return refuse(rep, fstab_read.error().message);
        const std::optional<std::string> fstab_text = *fstab_read;
        SwapInfo s;
        if (auto st = choose_swap(c, s, fstab_text); !st)
                return refuse(rep, st.error().message);
        rep.swap_kind = s.file ? "file" : "partition";
        rep.swap_path = s.path;
        rep.swap_size = s.size;
        rep.swap_created = s.file && !s.exists;
        rep.uuid = s.uuid;
        rep.resume_device = "UUID=" + s.uuid;
        rep.offset = s.offset;

        // Boot loader mode. systemd-boot (LoaderInfo says so) or a kernel-install layout
        // without GRUB: /etc/kernel/cmdline and kernel-install.
        bool bls = is_bls(c);
        bool grub_default_exists = c.is_file(GRUB_DEFAULT);
        bool grub_present = grub_default_exists || c.is_file("/usr/sbin/grub-mkconfig") ||
                            c.is_file("/usr/sbin/grub2-mkconfig");
        bool kinstall = uses_kernel_install(c, grub_present || bls);
        bool dropin = false;
        // /etc/kernel/cmdline as it is, or (absent) what kernel-install would have used.
        std::optional<std::string> kcmd_base;
        if (kinstall) {
                bls = false;
                rep.bootloader = "kernel-install";
                auto cur = c.read(KERNEL_CMDLINE);
                if (!cur)
                        return refuse(rep, cur.error().message);
                if (*cur) {
                        kcmd_base = **cur;
                } else {
                        std::string from;
                        auto b = kernel_cmdline_base(c, &from);
                        if (!b)
                                return refuse(rep, b.error().message);
                        kcmd_base = *b;
                        rep.notes.push_back(std::string(KERNEL_CMDLINE) + " is created from " + from +
                                            ", as kernel-install would read it");
                }
        } else if (bls) {
                rep.bootloader = "grubby";
        } else if (grub_default_exists || c.is_file("/usr/sbin/grub-mkconfig") || c.is_file("/usr/sbin/grub2-mkconfig")) {
                dropin = c.is_dir("/etc/default/grub.d");
                for (const char *mk : {"/usr/sbin/grub-mkconfig", "/usr/sbin/grub2-mkconfig"})
                        if (!dropin)
                                if (c.is_file(mk)) {
                                        auto t = c.read(mk);
                                        if (!t)
                                                return refuse(rep, t.error().message);
                                        dropin = *t && (*t)->find("/etc/default/grub.d") != std::string::npos;
                                }
                rep.bootloader = dropin ? "grub-dropin" : "grub-block";
                if (!dropin && !grub_default_exists)
                        return refuse(rep, "GRUB is installed but /etc/default/grub is missing; cannot set resume=");
        } else {
                return refuse(rep, "no supported boot loader configuration: neither /etc/default/grub (GRUB), "
                                   "nor BLS entries with grubby, nor systemd-boot / kernel-install entries on "
                                   "/efi, /boot or /boot/efi; add " + resume_kernel_args(s.uuid, s.offset) +
                                   " to the kernel command line yourself");
        }
        bool itools = c.is_file("/usr/sbin/update-initramfs") || c.is_dir("/etc/initramfs-tools");
        bool dracut = c.is_file("/usr/bin/dracut") || c.is_file("/usr/sbin/dracut") || c.is_dir("/etc/dracut.conf.d");
        if (itools)
                rep.initramfs.push_back("initramfs-tools");
        if (dracut)
                rep.initramfs.push_back("dracut");
        bool dracut_module = dracut && c.is_file(DRACUT_MODULE);

        // The planned file contents for a given offset.
        auto plan_for = [&](std::optional<uint64_t> offset, bool placeholder) -> Result<std::vector<Planned>> {
                std::vector<Planned> plan;
                std::string args = resume_kernel_args(s.uuid, offset);
                if (placeholder)
                        args = "resume=UUID=" + s.uuid + " resume_offset=<offset-after-allocation>";
                auto add = [&](std::string_view path, std::optional<std::string> after, const char *step) -> Status {
                        Planned p;
                        p.path = std::string(path);
                        auto before = c.read(path);
                        if (!before)
                                return before.error();
                        p.before = std::move(*before);
                        p.after = std::move(after);
                        p.mode = mode_of(c, path, 0644);
                        p.step = step;
                        plan.push_back(std::move(p));
                        return ok_status();
                };
                {
                        bool present = false;
                        auto in_fstab = fstab_swaps(c, fstab_text);
                        if (!in_fstab)
                                return in_fstab.error();
                        for (auto &f : *in_fstab)
                                if (f.resolved == s.path || (!s.file && f.source == s.fstab_source))
                                        present = true;
                        if (!present) {
                                std::string old_text = fstab_text.value_or("");
                                std::string new_text = fstab_append_swap(old_text, s.fstab_source);
                                // Parsed back before anything is written: one entry, no new bad line.
                                if (auto st = fstab_verify(old_text, new_text, s.fstab_source); !st)
                                        return st.error();
                                if (auto st = add(FSTAB, std::move(new_text), "fstab"); !st)
                                        return st.error();
                        }
                }
                if (kinstall) {
                        if (auto st = add(KERNEL_CMDLINE, kernel_cmdline_with(*kcmd_base, args), "kernel-cmdline"); !st)
                                return st.error();
                } else if (!bls) {
                        if (dropin) {
                                if (auto st = add(GRUB_DROPIN, grub_dropin_text(args), "grub"); !st)
                                        return st.error();
                        } else {
                                auto r = c.read(GRUB_DEFAULT);
                                if (!r)
                                        return r.error();
                                std::string t = r->value_or("");
                                auto without = grub_default_without_block(t);
                                if (!without)
                                        return Error{EINVAL, "/etc/default/grub has a broken '# BEGIN hibernate-tool' "
                                                             "block (no matching END); fix it by hand"};
                                auto with = grub_default_with_block(t, grub_resume_assignments(args));
                                if (!with)
                                        return Error{EINVAL, "/etc/default/grub has a broken hibernate-tool block"};
                                if (auto st = add(GRUB_DEFAULT, *with, "grub"); !st)
                                        return st.error();
                        }
                }
                if (itools)
                        if (auto st = add(ITOOLS_RESUME, initramfs_tools_resume_text(s.uuid, offset), "initramfs-tools"); !st)
                                return st.error();
                if (dracut)
                        if (auto st = add(DRACUT_CONF, dracut_resume_text(s.uuid, offset), "dracut"); !st)
                                return st.error();
                // Our module resumes, so dracut's own (unchecked) one is left out — only on a
                // dracut machine that has our module.
                if (dracut_module)
                        if (auto st = add(DRACUT_OMIT_RESUME, dracut_omit_resume_text(), "dracut-omit"); !st)
                                return st.error();
                if (auto st = add(CONFIG_DROPIN, config_dropin_text(s.uuid, offset), "config"); !st)
                        return st.error();
                // Drop unchanged files.
                std::vector<Planned> changed;
                for (auto &p : plan)
                        if (p.before != p.after)
                                changed.push_back(std::move(p));
                return changed;
        };

        bool placeholder = s.file && !s.exists;
        auto plan0 = plan_for(s.offset, placeholder);
        if (!plan0)
                return refuse(rep, plan0.error().message);
        std::string args_final = resume_kernel_args(s.uuid, s.offset);
        bool grubby_needed = false;
        if (bls && !placeholder) {
                auto have = bls_entries_have(c, args_final);
                if (!have)
                        return refuse(rep, have.error().message);
                grubby_needed = !*have;
        } else if (bls) {
                grubby_needed = true;
        }

        bool kinstall_needed = false;
        if (kinstall) {
                std::vector<std::string> ukis;
                kinstall_needed = placeholder || !loader_entries_have(c, args_final, &ukis);
                for (auto &u : ukis)
                        rep.notes.push_back("the unified kernel image " + u + " has its command line built in, without " +
                                            args_final + "; rebuild it (UKI builders read " +
                                            std::string(KERNEL_CMDLINE) + ")");
        }

        auto regen = regen_commands(c, !kinstall, true, bls);
        // kernel-install last: it copies the regenerated initrd and writes each entry's
        // options from /etc/kernel/cmdline.
        if (kinstall)
                for (auto &cmd : kernel_install_commands(c))
                        regen.push_back(cmd);
        bool anything = !plan0->empty() || rep.swap_created || grubby_needed || kinstall_needed;
        std::vector<std::vector<std::string>> grubby_cmds;
        if (grubby_needed) {
                std::string a = placeholder ? "resume=UUID=" + s.uuid + " resume_offset=<offset-after-allocation>" : args_final;
                grubby_cmds.push_back({"grubby", "--update-kernel=ALL", "--remove-args=resume resume_offset"});
                grubby_cmds.push_back({"grubby", "--update-kernel=ALL", "--args=" + a});
        }

        if (o.dry_run) {
                rep.changed = anything;
                if (rep.swap_created) {
                        rep.commands.push_back("create " + shell_word(c.host.path(s.path)) + " (" + std::to_string(s.size) +
                                               " bytes, mode 0600" + (s.btrfs ? ", NOCOW, uncompressed" : "") +
                                               ", fallocate(2))");
                        rep.commands.push_back(join_cmd({"mkswap", c.host.path(s.path)}));
                        rep.notes.push_back("resume_offset is known once the file is allocated");
                }
                for (auto &p : *plan0)
                        rep.files.push_back({p.path, p.before ? "modify" : "create", unified_diff(p.path, p.before, p.after)});
                for (auto &cmd : grubby_cmds)
                        rep.commands.push_back(c.display_cmd(cmd));
                if (anything && !o.no_regenerate)
                        for (auto &cmd : regen)
                                rep.commands.push_back(c.display_cmd(cmd));
                if (!anything)
                        c.say("nothing to change: hibernation is already set up this way");
                return rep;
        }
        if (!anything) {
                c.say("nothing to change: hibernation is already set up this way");
                return rep;
        }

        // ---- undo state, written before anything else changes --------------------------
        Manifest man = old_manifest ? *old_manifest : Manifest{};
        std::string state(SETUP_STATE_DIR);
        std::set<std::string> known;
        for (auto &f : man.files)
                known.insert(f.path);
        std::set<std::string> dirs_known(man.created_dirs.begin(), man.created_dirs.end());
        auto note_dirs = [&](std::string_view file) {
                for (auto &d : missing_dirs(c.host, file))
                        if (dirs_known.insert(d).second)
                                man.created_dirs.push_back(d);
        };
        note_dirs(state + "/manifest");
        std::vector<std::pair<std::string, std::string>> saves;  // state name, bytes
        // three_way: the original's hash is kept, and each run's edit (below), so that --undo
        // can keep what the admin changed since. Files grubby edits are restored byte for byte.
        auto remember = [&](const std::string &path, bool three_way) -> Status {
                if (known.count(path))
                        return ok_status();
                known.insert(path);
                ManifestFile f;
                f.path = path;
                auto before = c.host.read_file(path, 1u << 30);
                if (before) {
                        f.existed = true;
                        f.mode = mode_of(c, path, 0644);
                        f.orig = "orig-" + std::to_string(man.files.size());
                        saves.emplace_back(f.orig, *before);
                } else if (before.error().code != ENOENT) {
                        return Error{before.error().code, "cannot save '" + path + "': " + before.error().message};
                } else {
                        note_dirs(path);
                }
                if (three_way)
                        f.orig_sha = content_sha(before ? std::optional<std::string>(*before) : std::nullopt);
                man.files.push_back(f);
                return ok_status();
        };
        for (auto &p : *plan0)
                if (auto st = remember(p.path, true); !st)
                        return refuse(rep, st.error().message, SETUP_ERROR);
        if (grubby_needed) {
                auto files = grubby_files(c);
                if (!files)
                        return refuse(rep, files.error().message);
                for (auto &f : *files) {
                        if (auto st = remember(f, false); !st)
                                return refuse(rep, st.error().message, SETUP_ERROR);
                        for (auto &mf : man.files)
                                if (mf.path == f) {
                                        mf.orig_sha.clear();
                                        mf.edits.clear();
                                }
                }
                man.grubby = true;
                man.grubby_args = args_final;
        }
        if (rep.swap_created && std::find(man.created_swap_files.begin(), man.created_swap_files.end(), s.path) ==
                                         man.created_swap_files.end())
                man.created_swap_files.push_back(s.path);
        for (auto &[name, bytes] : saves)
                if (auto st = c.host.write_file_atomic(state + "/" + name, bytes, 0600); !st)
                        return refuse(rep, "cannot save the undo state: " + st.error().message, SETUP_ERROR);
        if (auto st = c.host.write_file_atomic(state + "/manifest", format_manifest(man), 0600); !st)
                return refuse(rep, "cannot save the undo state: " + st.error().message, SETUP_ERROR);
        kill_point("state");
        rep.changed = true;

        // ---- swap file ----------------------------------------------------------------
        if (rep.swap_created) {
                c.say("creating the swap file " + s.path + " (" + format_bytes(s.size) + ")");
                if (auto st = create_swap_file(c, s); !st)
                        return refuse(rep, st.error().message + " (hibernate-tool setup --undo cleans up)", SETUP_ERROR);
                auto mp = map_swap_file(c.host, s.path, c.page);
                if (!mp)
                        return refuse(rep, "the new swap file cannot be mapped: " + mp.error().message, SETUP_ERROR);
                s.offset = mp->resume_offset;
                rep.offset = s.offset;
                args_final = resume_kernel_args(s.uuid, s.offset);
        }
        auto plan = plan_for(s.offset, false);
        if (!plan)
                return refuse(rep, plan.error().message, SETUP_ERROR);
        // This run's edits, recorded before the first file is written.
        bool edits = false;
        for (auto &p : *plan)
                for (auto &mf : man.files)
                        if (mf.path == p.path && !mf.orig_sha.empty()) {
                                add_edit(mf, make_edit(p.before, p.after));
                                edits = true;
                        }
        if (edits)
                if (auto st = c.host.write_file_atomic(state + "/manifest", format_manifest(man), 0600); !st)
                        return refuse(rep, "cannot save the undo state: " + st.error().message, SETUP_ERROR);
        for (auto &p : *plan) {
                if (!known.count(p.path))  // cannot happen: the same files with the offset filled in
                        return refuse(rep, "internal error: '" + p.path + "' is not in the undo state", SETUP_ERROR);
                if (auto st = write_planned(c, p); !st)
                        return refuse(rep, st.error().message + " (run setup again, or --undo)", SETUP_ERROR);
                rep.files.push_back({p.path, p.before ? "modify" : "create", ""});
                c.say((p.before ? "updated " : "created ") + p.path);
                kill_point(p.step);
        }
        if (grubby_needed) {
                grubby_cmds.back().back() = "--args=" + args_final;
                ChrootMounts mounts;
                if (c.in_root())
                        if (auto st = mounts.mount_all(c.host); !st)
                                return refuse(rep, st.error().message, SETUP_ERROR);
                for (auto &cmd : grubby_cmds) {
                        std::string shown = c.display_cmd(cmd);
                        rep.commands.push_back(shown);
                        auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "");
                        if (!r || *r != 0)
                                return refuse(rep, "'" + shown + "' failed (run setup again, or --undo)", SETUP_ERROR);
                }
                kill_point("grubby");
        }
        if (rep.swap_created && !c.in_root()) {
                std::vector<std::string> cmd = {"swapon", s.path};
                rep.commands.push_back(join_cmd(cmd));
                auto r = run_cmd(cmd);
                if (!r || *r != 0)
                        rep.notes.push_back("swapon " + s.path + " failed; it is activated at the next boot");
        }
        if (!o.no_regenerate) {
                if (finish_regenerate(c, regen) != SETUP_OK)
                        return rep;
                kill_point("regenerate");
                // What the kernel-install plugin checks for each kernel it installs (it skips
                // its check under setup, which holds the lock boot-entry needs).
                if (kinstall && !placeholder && !loader_entries_have(c, args_final, nullptr))
                        rep.notes.push_back("warning: after kernel-install, not every installed kernel has a boot "
                                            "entry with " + args_final + "; hibernating while it runs will be refused");
        } else {
                rep.notes.push_back("not regenerated (--no-regenerate): run " +
                                    [&] {
                                            std::string s2;
                                            for (auto &cmd : regen)
                                                    s2 += (s2.empty() ? "" : "; ") + c.display_cmd(cmd);
                                            return s2.empty() ? std::string("nothing") : s2;
                                    }());
        }
        return rep;
}

std::string setup_report_json(const SetupReport &r, JsonStyle style)
{
        Json j = json_document();
        j["changed"] = r.changed;
        j["dry_run"] = r.dry_run;
        j["undo"] = r.undo;
        if (r.swap_kind.empty())
                j["swap"] = nullptr;
        else
                j["swap"] = {{"kind", r.swap_kind}, {"path", r.swap_path}, {"created", r.swap_created}, {"size", r.swap_size}};
        if (r.uuid.empty())
                j["resume"] = nullptr;
        else
                j["resume"] = {{"device", r.resume_device},
                               {"uuid", r.uuid},
                               {"offset", r.offset ? Json(*r.offset) : Json(nullptr)}};
        j["bootloader"] = json_nonempty(r.bootloader);
        j["initramfs"] = json_list(r.initramfs);
        Json files = Json::array();
        for (auto &f : r.files) {
                Json e = {{"path", f.path}, {"action", f.action}};
                if (r.dry_run)
                        e["diff"] = f.diff;
                files.push_back(std::move(e));
        }
        j["files"] = std::move(files);
        j["commands"] = json_list(r.commands);
        j["regenerated"] = json_list(r.regenerated);
        j["notes"] = json_list(r.notes);
        j["error"] = json_opt(r.error);
        j["exit"] = r.exit_code;
        return json_dump(j, style);
}

}  // namespace ht
