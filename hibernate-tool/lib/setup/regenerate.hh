// SPDX-License-Identifier: LGPL-2.1-or-later
// grub.cfg and initramfs regeneration, in a chroot of the target when --root is not /.
#pragma once

#include <string>
#include <vector>

#include "setup/context.hh"

namespace ht {

// Bind mounts /dev /proc /sys into a target root for the duration of a chroot command and
// unmounts them again on every path (destructor).
// The mounts are made and removed by fd (open_tree/move_mount; umount through the fd), and a
// mount point that is a symbolic link is refused.
struct ChrootMounts {
        std::vector<Fd> mounted;
        Status mount_all(const Host &host);
        ChrootMounts() = default;
        ChrootMounts(const ChrootMounts &) = delete;
        ChrootMounts &operator=(const ChrootMounts &) = delete;
        ~ChrootMounts();
};

// The commands that regenerate what changed (update-grub or grub-mkconfig unless BLS;
// update-initramfs and/or dracut).
std::vector<std::vector<std::string>> regen_commands(const Ctx &c, bool grub_changed, bool initramfs_changed,
                                                     bool bls);
// Runs them (in the chroot); SETUP_OK or SETUP_ERROR with the report's error set.
int finish_regenerate(Ctx &c, const std::vector<std::vector<std::string>> &cmds);

}  // namespace ht
