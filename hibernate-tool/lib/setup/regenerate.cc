// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/regenerate.hh"

#include <sys/mount.h>
#include <sys/stat.h>

namespace ht {

Status ChrootMounts::mount_all(const std::string &root)
{
        for (const char *d : {"/dev", "/proc", "/sys"}) {
                std::string dst = root + d;
                struct ::stat st;
                if (::stat(dst.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
                        return Error{ENOENT, "'" + dst + "' is not a directory; cannot bind-mount " + d};
                // Already a mount point (an installer prepared the target's /dev, /proc,
                // /sys, e.g. with udev's /dev/disk links): use it as it is.
                struct ::stat rst;
                if (::stat(root.c_str(), &rst) == 0 && rst.st_dev != st.st_dev)
                        continue;
                if (::mount(d, dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
                        return Error::from_errno(errno, std::string("Failed to bind-mount ") + d + " on '" + dst + "'");
                mounted.push_back(dst);
        }
        return ok_status();
}

ChrootMounts::~ChrootMounts()
{
        for (auto it = mounted.rbegin(); it != mounted.rend(); ++it)
                (void) ::umount2(it->c_str(), MNT_DETACH);
}

int finish_regenerate(Ctx &c, const std::vector<std::vector<std::string>> &cmds)
{
        if (cmds.empty())
                return SETUP_OK;
        ChrootMounts mounts;
        if (c.in_root()) {
                auto st = mounts.mount_all(c.host.root());
                if (!st) {
                        refuse(c.rep, "files were changed, but regeneration cannot run: " + st.error().message +
                                              "; run the commands inside the target yourself", SETUP_ERROR);
                        return SETUP_ERROR;
                }
        }
        for (auto &cmd : cmds) {
                std::string shown = c.display_cmd(cmd);
                c.say("running " + shown);
                c.rep.commands.push_back(shown);
                auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "");
                if (!r || *r != 0) {
                        refuse(c.rep, "files were changed, but '" + shown + "' failed" +
                                              (r ? " (exit status " + std::to_string(*r) + ")" : ": " + r.error().message) +
                                              "; fix it and run it again (or hibernate-tool setup --undo)",
                               SETUP_ERROR);
                        return SETUP_ERROR;
                }
                c.rep.regenerated.push_back(shown);
        }
        return SETUP_OK;
}

std::vector<std::vector<std::string>> regen_commands(const Ctx &c, bool grub_changed, bool initramfs_changed,
                                                     bool bls)
{
        std::vector<std::vector<std::string>> cmds;
        if (grub_changed && !bls) {
                if (c.is_file("/usr/sbin/update-grub"))
                        cmds.push_back({"update-grub"});
                else if (c.is_file("/usr/sbin/grub-mkconfig"))
                        cmds.push_back({"grub-mkconfig", "-o", "/boot/grub/grub.cfg"});
                else if (c.is_file("/usr/sbin/grub2-mkconfig"))
                        cmds.push_back({"grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"});
        }
        if (initramfs_changed) {
                if (c.is_file("/usr/sbin/update-initramfs"))
                        cmds.push_back({"update-initramfs", "-u", "-k", "all"});
                if (c.is_file("/usr/bin/dracut") || c.is_file("/usr/sbin/dracut"))
                        cmds.push_back({"dracut", "--regenerate-all", "-f"});
        }
        return cmds;
}

}  // namespace ht
