// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/initramfs.hh"

namespace ht {

std::string initramfs_tools_resume_text(std::string_view uuid, std::optional<uint64_t> offset)
{
        std::string s = "# Written by hibernate-tool setup (hibernate-tool setup --undo restores the previous file).\n"
                        "RESUME=UUID=" + std::string(uuid) + "\n";
        if (offset)
                s += "# initramfs-tools' init reads resume_offset (the kernel command line overrides it).\n"
                     "resume_offset=" + std::to_string(*offset) + "\n";
        return s;
}

std::string dracut_resume_text(std::string_view uuid, std::optional<uint64_t> offset)
{
        std::string s = "# Written by hibernate-tool setup (hibernate-tool setup --undo removes it).\n"
                        "# Resume device: UUID=" + std::string(uuid);
        if (offset)
                s += ", resume_offset=" + std::to_string(*offset);
        s += ".\n# The 90hibernate-tool module resumes (dracut's resume module stays omitted); it\n"
             "# reads resume= from the kernel command line and this configuration drop-in:\n"
             "install_items+=\" /etc/hibernate-tool/hibernate.toml.d/50-setup.toml \"\n";
        return s;
}

std::string dracut_omit_resume_text()
{
        return "# Written by hibernate-tool setup (hibernate-tool setup --undo removes it).\n"
               "# hibernate-tool's dracut module 90hibernate-tool resumes from hibernation after\n"
               "# checking that it is safe. dracut's own resume module would resume first and\n"
               "# unchecked (a udev rule writes any swsuspend device to /sys/power/resume), so it\n"
               "# is left out. Remove this file (or add_dracutmodules+=\" resume \") to go back to it.\n"
               "omit_dracutmodules+=\" resume \"\n";
}

std::string config_dropin_text(std::string_view uuid, std::optional<uint64_t> offset)
{
        std::string s = "# Written by hibernate-tool setup (hibernate-tool setup --undo removes it).\n"
                        "[resume]\n"
                        "device = \"UUID=" + std::string(uuid) + "\"\n";
        if (offset)
                s += "offset = " + std::to_string(*offset) + "\n";
        return s;
}

}  // namespace ht
