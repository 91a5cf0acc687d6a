// SPDX-License-Identifier: LGPL-2.1-or-later
// Resume configuration for the initramfs generators (initramfs-tools, dracut) and for
// hibernate-tool's own configuration (pure text).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ht {

// /etc/initramfs-tools/conf.d/resume. Debian's init sources conf.d after `export
// resume_offset=` and before it parses the command line, so a lowercase resume_offset=
// here is the default that resume_offset= on the command line overrides; RESUME_OFFSET
// is not read by Debian's initramfs-tools.
std::string initramfs_tools_resume_text(std::string_view uuid, std::optional<uint64_t> offset);
// /etc/dracut.conf.d/hibernate-tool-resume.conf
std::string dracut_resume_text(std::string_view uuid, std::optional<uint64_t> offset);
// /etc/dracut.conf.d/90-hibernate-tool.conf: leaves out dracut's own resume module, which
// would resume unchecked before the 90hibernate-tool module could check anything. Written
// only when setup configures a dracut machine whose dracut has that module.
std::string dracut_omit_resume_text();
// /etc/hibernate-tool/hibernate.toml.d/50-setup.toml
std::string config_dropin_text(std::string_view uuid, std::optional<uint64_t> offset);

}  // namespace ht
