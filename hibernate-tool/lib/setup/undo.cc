// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/undo.hh"

#include <algorithm>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.hh"
#include "setup/cmdline.hh"
#include "setup/diff.hh"
#include "setup/kernelinstall.hh"
#include "setup/manifest.hh"
#include "setup/regenerate.hh"

namespace ht {

void run_undo(Ctx &c)
{
        auto &rep = c.rep;
        auto m = load_manifest(c);
        if (!m) {
                if (m.error().code == ENOENT) {
                        c.say("nothing to undo: hibernate-tool setup has not changed this system");
                        return;
                }
                refuse(rep, m.error().message, SETUP_ERROR);
                return;
        }
        std::string state = std::string(SETUP_STATE_DIR);
        // Every file is decided before any is changed: one that cannot be undone stops it all.
        std::vector<Planned> plan;
        std::string refusals;
        for (auto &f : m->files) {
                Planned p;
                p.path = f.path;
                auto cur = c.read(f.path);
                if (!cur) {  // never taken for "absent": nothing is changed
                        refuse(rep, cur.error().message + "; nothing was undone");
                        return;
                }
                p.before = std::move(*cur);
                std::optional<std::string> orig;
                if (f.existed) {
                        auto o = c.host.read_file(state + "/" + f.orig, 1u << 30);
                        if (!o) {
                                refuse(rep, "the saved copy of '" + f.path + "' is missing: " + o.error().message,
                                       SETUP_ERROR);
                                return;
                        }
                        orig = std::move(*o);
                }
                bool exact = true;  // back to the original, byte for byte and mode for mode
                if (f.orig_sha.empty()) {  // format 1 (or grubby's files): the saved bytes
                        p.after = orig;
                } else {
                        auto r = undo_edits(f, orig, p.before);
                        if (!r) {
                                refusals += "\n" + r.error().message + ":\n" +
                                            unified_diff(f.path, replay_edits(f, orig), p.before);
                                continue;
                        }
                        p.after = std::move(*r);
                        exact = p.after == orig;
                }
                p.mode = exact ? f.mode : mode_of(c, f.path, f.mode);
                p.step = exact ? "restore" : "modify";
                bool mode_differs = exact && p.after && p.before && mode_of(c, f.path, 0) != f.mode;
                if (p.before == p.after && !mode_differs)
                        continue;
                plan.push_back(std::move(p));
        }
        if (!refusals.empty()) {
                while (!refusals.empty() && refusals.back() == '\n')
                        refusals.pop_back();
                refuse(rep, "undo refused, nothing was changed: setup's own lines were altered since setup; put them "
                            "back as setup wrote them (the diff: as setup left the file, and now), then run --undo "
                            "again" + refusals);
                return;
        }
        std::vector<std::string> swap_present;  // created swap files still there
        for (auto &f : m->created_swap_files) {
                if (c.host.lstat(f) || c.host.lstat(f + ".hibernate-tool-new"))
                        swap_present.push_back(f);
        }
        // Which of them are active (running system): known before anything changes.
        SwapsParse active;
        if (!swap_present.empty() && !c.in_root()) {
                auto sw = c.read("/proc/swaps");
                if (!sw) {
                        refuse(rep, sw.error().message + "; nothing was undone");
                        return;
                }
                if (*sw)
                        active = parse_proc_swaps(**sw);
        }
        for (auto &p : plan) {
                SetupFileAction a{p.path,
                                  p.after ? (p.before ? (p.step == "modify" ? "modify" : "restore") : "create") : "remove",
                                  ""};
                if (c.o.dry_run)
                        a.diff = unified_diff(p.path, p.before, p.after);
                rep.files.push_back(a);
        }
        bool changes = !plan.empty() || !swap_present.empty();
        auto regen = regen_commands(c, true, true, false);
        // The entries were written from /etc/kernel/cmdline: kernel-install writes them again
        // from the restored file.
        if (!m->grubby && std::any_of(m->files.begin(), m->files.end(),
                                      [](const ManifestFile &f) { return f.path == KERNEL_CMDLINE; }))
                for (auto &cmd : kernel_install_commands(c))
                        regen.push_back(cmd);
        if (c.o.dry_run) {
                rep.changed = changes;
                for (auto &f : swap_present) {
                        if (!c.in_root())
                                rep.commands.push_back("swapoff " + shell_word(f) + " (if active)");
                        rep.commands.push_back("rm " + shell_word(c.host.path(f)));
                }
                if (m->grubby && has_grubby(c)) {
                        rep.commands.push_back(c.display_cmd({"grubby", "--update-kernel=ALL", "--remove-args=resume resume_offset"}));
                        rep.changed = changes = true;
                }
                if (changes && !c.o.no_regenerate)
                        for (auto &cmd : regen)
                                rep.commands.push_back(c.display_cmd(cmd));
                return;
        }
        for (auto &f : swap_present) {
                std::string swap_h = c.host.path(f);
                rep.swap_kind = "file";
                rep.swap_path = f;
                for (auto &e : active.entries)
                        if (e.path == f) {
                                rep.commands.push_back("swapoff " + shell_word(e.path));
                                auto r = run_cmd({"swapoff", e.path});
                                if (!r || *r != 0) {
                                        refuse(rep, "swapoff " + e.path + " failed; nothing restored", SETUP_ERROR);
                                        return;
                                }
                        }
                // Removed inside the root, never through a symlink (a link put there is
                // removed itself, not its target).
                (void) c.host.remove(f + ".hibernate-tool-new");
                if (auto st = c.host.remove(f); !st) {
                        refuse(rep, "cannot remove the swap file '" + f + "': " + st.error().message, SETUP_ERROR);
                        return;
                }
                rep.commands.push_back("rm " + shell_word(swap_h));
                c.say("removed the swap file " + f);
                kill_point("undo-swapfile");
        }
        if (m->grubby && has_grubby(c)) {
                // Entries added since setup (new kernels) lose the arguments; the saved ones
                // are then put back byte for byte below, with whatever they had before.
                std::vector<std::string> cmd = {"grubby", "--update-kernel=ALL", "--remove-args=resume resume_offset"};
                std::string shown = c.display_cmd(cmd);
                rep.commands.push_back(shown);
                ChrootMounts mounts;
                if (c.in_root())
                        if (auto st = mounts.mount_all(c.host); !st) {
                                refuse(rep, st.error().message, SETUP_ERROR);
                                return;
                        }
                auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "");
                if (!r || *r != 0) {
                        refuse(rep, "'" + shown + "' failed; nothing restored yet (run --undo again)", SETUP_ERROR);
                        return;
                }
                changes = true;
        }
        for (size_t i = 0; i < plan.size(); i++) {
                auto st = write_planned(c, plan[i]);
                if (!st) {
                        refuse(rep, st.error().message + " (run --undo again)", SETUP_ERROR);
                        return;
                }
                c.say((plan[i].after ? (plan[i].step == "modify" ? "removed setup's changes from "
                                                                  : "restored ")
                                     : "removed ") +
                      plan[i].path);
                kill_point("undo-file-" + std::to_string(i));
        }
        rep.changed = changes;
        if (changes && !c.o.no_regenerate) {
                if (finish_regenerate(c, regen) != SETUP_OK)
                        return;
                kill_point("undo-regenerate");
        }
        // Drop the state: the manifest first (a rerun then finds nothing to undo), then the
        // saved copies and the directories setup created.
        (void) c.host.remove(state + "/manifest");
        if (auto names = c.host.list_dir(state))
                for (auto &n : *names)
                        (void) c.host.remove(state + "/" + n);
        for (auto it = m->created_dirs.rbegin(); it != m->created_dirs.rend(); ++it)
                (void) c.host.remove_dir(*it);
        kill_point("undo-state");
        if (!changes)
                c.say("nothing to undo: every file is as it was before setup");
}

// Setup ------------------------------------------------------------------------------

}  // namespace ht
