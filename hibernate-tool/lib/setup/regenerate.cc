// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/regenerate.hh"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

namespace ht {

Status ChrootMounts::mount_all(const Host &outer)
{
        // This process moves to a mount namespace of its own, with private propagation,
        // before mounting anything: the bind mounts never propagate to the host's other
        // mounts (a container's rootfs, say), and they die with the process even when it is
        // killed before the destructor runs.
        if (::unshare(CLONE_NEWNS) < 0)
                return Error::from_errno(errno, "Failed to create a private mount namespace for the regeneration");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
                return Error::from_errno(errno, "Failed to make the mount namespace private");
        // The root fd was opened in the old namespace (a mount target must be in ours):
        // look everything up again from a root opened here.
        Host host(outer.root());
        if (host.root_fd() < 0)
                return Error{ENOENT, "Failed to open the root '" + outer.root() + "' in the new mount namespace"};
        struct ::stat rst;
        if (::fstat(host.root_fd(), &rst) < 0)
                return Error::from_errno(errno, "Failed to stat the root '" + host.root() + "'");
        for (const char *d : {"/dev", "/proc", "/sys"}) {
                // The mount point is looked up inside the root and never followed: a target
                // whose /sys is a symbolic link (to anywhere) is refused, and the mount is
                // attached to the directory fd itself (open_tree + move_mount), so nothing
                // swapped in after the lookup is mounted over.
                auto c = host.chase(d, CHASE_NOFOLLOW);
                if (!c)
                        return Error{c.error().code, "cannot bind-mount " + std::string(d) + ": " + c.error().message};
                struct ::stat st;
                if (::fstat(c->fd.get(), &st) < 0)
                        return Error::from_errno(errno, "Failed to stat '" + host.path(d) + "'");
                if (S_ISLNK(st.st_mode))
                        return Error{ELOOP, "'" + host.path(d) + "' is a symbolic link; refusing to mount " + d + " over it"};
                if (!S_ISDIR(st.st_mode))
                        return Error{ENOTDIR, "'" + host.path(d) + "' is not a directory; cannot bind-mount " + d};
                // Already a mount point (an installer prepared the target's /dev, /proc,
                // /sys, e.g. with udev's /dev/disk links): use it as it is.
                if (rst.st_dev != st.st_dev)
                        continue;
                Fd tree(::open_tree(AT_FDCWD, d, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
                if (!tree.valid())
                        return Error::from_errno(errno, std::string("Failed to clone the mount ") + d);
                if (::move_mount(tree.get(), "", c->fd.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return Error::from_errno(errno, std::string("Failed to bind-mount ") + d + " on '" + host.path(d) + "'");
                // The tree fd now refers to the attached mount: unmounted through it, never
                // by a path that could have been replaced meanwhile.
                mounted.push_back(std::move(tree));
        }
        return ok_status();
}

ChrootMounts::~ChrootMounts()
{
        for (auto it = mounted.rbegin(); it != mounted.rend(); ++it) {
                std::string self = "/proc/self/fd/" + std::to_string(it->get());
                (void) ::umount2(self.c_str(), MNT_DETACH);
        }
}

int finish_regenerate(Ctx &c, const std::vector<std::vector<std::string>> &cmds)
{
        if (cmds.empty())
                return SETUP_OK;
        ChrootMounts mounts;
        if (c.in_root()) {
                auto st = mounts.mount_all(c.host);
                if (!st) {
                        refuse(c.rep, "files were changed, but regeneration cannot run: " + st.error().message +
                                              "; run the commands inside the target yourself", SETUP_ERROR);
                        return SETUP_ERROR;
                }
        }
        // The commands run the kernel-install plugin (kernel-install add, and Debian's
        // initramfs post-update hook of systemd-boot): its `boot-entry` check would wait for
        // the lock this setup holds, then warn falsely. It skips when it sees this (set for
        // these commands only); setup checks the entries itself afterwards.
        const std::vector<std::string> env = {"HIBERNATE_TOOL_SETUP_RUNNING=1"};
        for (auto &cmd : cmds) {
                std::string shown = c.display_cmd(cmd);
                c.say("running " + shown);
                c.rep.commands.push_back(shown);
                auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "", nullptr, env);
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
