// SPDX-License-Identifier: LGPL-2.1-or-later
// resume= on the kernel command line: the words, the GRUB drop-in and marked block (pure
// text editing), and the BLS entries that grubby edits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse.hh"
#include "setup/context.hh"

namespace ht {

inline constexpr std::string_view GRUB_BLOCK_BEGIN = "# BEGIN hibernate-tool";
inline constexpr std::string_view GRUB_BLOCK_END = "# END hibernate-tool";

// "resume=UUID=… resume_offset=N" (offset only for a swap file).
std::string resume_kernel_args(std::string_view uuid, std::optional<uint64_t> offset);
// The words of a kernel command line without resume= and resume_offset=; nullopt when it
// has none of them (then the value is left alone).
std::optional<std::string> strip_resume_words(std::string_view cmdline);
// "…" with \ " $ ` escaped, for a POSIX shell assignment.
std::string shell_double_quote(std::string_view s);
// The POSIX sh code that puts args on every kernel line GRUB generates (GRUB_CMDLINE_LINUX,
// used by normal and recovery entries). It is relative: when grub-mkconfig sources it, it
// removes resume= and resume_offset= words from the values GRUB_CMDLINE_LINUX and
// GRUB_CMDLINE_LINUX_DEFAULT hold then and appends args to GRUB_CMDLINE_LINUX, so later
// edits of /etc/default/grub are kept and the kernel gets exactly one resume=.
std::string grub_resume_assignments(std::string_view args);
// Content of /etc/default/grub.d/hibernate-tool.cfg.
std::string grub_dropin_text(std::string_view args);
// /etc/default/grub with our marked block removed (text unchanged when there is none, or
// when the block is unterminated: then nullopt, refuse to edit).
std::optional<std::string> grub_default_without_block(std::string_view text);
// /etc/default/grub with the marked block holding `assignments` at the end (replacing the
// previous block in place); empty assignments remove the block. nullopt: malformed block.
std::optional<std::string> grub_default_with_block(std::string_view text, std::string_view assignments);

// ---- BLS entries edited with grubby ----
bool has_grubby(const Ctx &c);
// BLS: no update-grub, /boot/loader/entries and grubby.
bool is_bls(const Ctx &c);
// Files grubby may change: saved for a byte-exact undo.
Result<std::vector<std::string>> grubby_files(const Ctx &c);
// options has exactly the resume words of args (resume=, resume_offset=), no others.
bool cmdline_has_resume_args(std::string_view options, const std::string &args);
// Every BLS entry has exactly args' resume words (an error: an entry cannot be read).
Result<bool> bls_entries_have(const Ctx &c, const std::string &args);

}  // namespace ht
