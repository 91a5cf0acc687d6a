// SPDX-License-Identifier: LGPL-2.1-or-later
// The checks of resume-device, resume-offset, encrypted-swap, image: where the image goes and what waits there.
#include "checks/context.hh"

namespace ht::check_detail {

// ---- resume-device ---------------------------------------------------------------------


std::string spec_text(const ResumeTarget &t)
{
        return printable(t.spec.original.empty() ? t.spec.value : t.spec.original);
}

std::string suggest_resume(Ctx &c)
{
        // The best concrete advice: the largest usable swap with its UUID.
        const SwapReport *best = nullptr;
        for (auto &s : c.rep.swaps)
                if (c.eligible(s.entry) && s.entry.kind != SwapKind::File &&
                    (!best || s.entry.size_bytes > best->entry.size_bytes))
                        best = &s;
        if (!best)
                return "Add resume=UUID=<uuid of your swap partition> (or, for a swap file, resume=UUID=<filesystem "
                       "UUID> resume_offset=<page>) to the kernel command line; hibernate-tool setup does this.";
        std::string r = best->uuid ? "UUID=" + *best->uuid : best->entry.path;
        return "Add resume=" + r + " to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then "
               "update-grub) and to the initramfs configuration; hibernate-tool setup does both.";
}

void check_resume_device(Ctx &c)
{
        const char *id = "resume-device";
        if (c.target_error) {
                c.add(id, CheckStatus::Fail, *c.target_error, {}, suggest_resume(c));
                return;
        }
        if (!c.target) {
                if (!c.swaps_text) {
                        c.add(id, CheckStatus::Skip, "No resume target configured and the active swaps are unknown",
                              c.swaps_text.error().message);
                        return;
                }
                c.add(id, CheckStatus::Fail, "No resume target: nothing is configured and no usable swap is active",
                      {}, suggest_resume(c));
                return;
        }
        auto &t = *c.target;
        c.rep.resume_source = resume_source_name(t.source);
        c.rep.resume_offset = t.offset;
        if (c.device_error) {
                c.add(id, CheckStatus::Fail, "Resume target " + spec_text(t) + " does not resolve to a device",
                      *c.device_error, suggest_resume(c));
                return;
        }
        c.rep.resume_device = c.device->path;
        if (c.resume_swap && c.swaps.entries[*c.resume_swap].kind != SwapKind::File) {
                if (auto &p = c.probe_swap(c.device->path); p && p->uuid)
                        c.rep.resume_uuid = p->uuid;
        } else if (auto p = probe_device(c.host, c.device->path); p && p->uuid) {
                c.rep.resume_uuid = p->uuid;  // the filesystem holding the swap file, or whatever is there
        }
        std::string from = std::string(" (from ") +
                           (t.source == ResumeSource::Cmdline  ? "the kernel command line"
                            : t.source == ResumeSource::Efi    ? "systemd's HibernateLocation EFI variable"
                            : t.source == ResumeSource::Sysfs  ? "/sys/power/resume"
                            : t.source == ResumeSource::Config ? "the configuration"
                                                               : "automatic selection") +
                           ")";
        if (!c.resume_swap) {
                std::string what;
                uint64_t off = t.offset.value_or(0) * c.page_size;
                if (auto p = probe_device(c.host, c.device->path, off)) {
                        if (p->type == "swsuspend")
                                what = "it holds a hibernation image waiting to be resumed";
                        else if (p->type == "swap")
                                what = "it is a swap area that is not active";
                        else if (!p->type.empty())
                                what = "it holds a " + p->type + " filesystem, not swap";
                        else
                                what = "no swap signature was found on it";
                } else
                        what = p.error().message;
                c.add(id, CheckStatus::Fail,
                      "Resume device " + spec_text(t) + " (" + c.device->path + ") is not an active swap" + from,
                      "Checked at byte offset " + std::to_string(off) + ": " + what + ".",
                      "Activate the swap on " + c.device->path + " (swapon) or point resume= at an active swap. " +
                              suggest_resume(c));
                return;
        }
        auto &e = c.swaps.entries[*c.resume_swap];
        std::string what = e.kind == SwapKind::File ? "holds the active swap file " + printable(e.path)
                                                    : "is the active swap partition " + printable(e.path);
        std::string summary = "Resume device " + spec_text(t) + " (" + c.device->path + ") " + what + from;
        if (t.source == ResumeSource::Auto) {
                c.add(id, CheckStatus::Warn, "No resume device is configured; automatic choice: " + c.device->path,
                      summary + ". Without resume= the next boot will not look for the image.",
                      suggest_resume(c));
                return;
        }
        c.add(id, CheckStatus::Pass, summary);
}

// ---- resume-offset ---------------------------------------------------------------------

void check_resume_offset(Ctx &c)
{
        const char *id = "resume-offset";
        if (!c.target || !c.device || !c.resume_swap) {
                c.add(id, CheckStatus::Skip, "No active resume swap to check the offset of");
                return;
        }
        auto &e = c.swaps.entries[*c.resume_swap];
        auto off = c.target->offset;
        if (e.kind != SwapKind::File) {
                if (off && *off != 0) {
                        c.add(id, CheckStatus::Fail,
                              "resume_offset=" + std::to_string(*off) + " is set but the resume device is a partition",
                              "The kernel would look for the image " + std::to_string(*off) +
                                      " pages into the partition, where there is none.",
                              "Remove resume_offset= from the kernel command line.");
                        return;
                }
                c.add(id, CheckStatus::Skip, "The resume device is a partition; no offset is needed");
                return;
        }
        if (!c.file_map) {
                bool perm = c.file_map_error && (c.file_map_error->find("Operation not permitted") != std::string::npos ||
                                                 c.file_map_error->find("Permission denied") != std::string::npos);
                c.add(id, perm ? CheckStatus::Skip : CheckStatus::Fail,
                      "Cannot find where swap file " + printable(e.path) + " starts on disk",
                      c.file_map_error.value_or("unknown error"),
                      perm ? "" : "Recreate the swap file fully allocated (hibernate-tool setup --swap-file).");
                return;
        }
        auto &m = *c.file_map;
        std::string how = m.btrfs ? "btrfs logical " + std::to_string(m.btrfs_logical) + " mapped through the chunk "
                                                                                         "tree to physical byte " +
                                            std::to_string(m.physical_byte)
                                  : "FIEMAP physical byte " + std::to_string(m.physical_byte);
        std::string detail = "Swap file " + printable(e.path) + " on " + m.fs_name + " starts at page " +
                             std::to_string(m.resume_offset) + " of " + c.device->path + " (" + how + ").";
        std::string fix = "Set resume_offset=" + std::to_string(m.resume_offset) +
                          " on the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub).";
        if (!off) {
                c.add(id, CheckStatus::Fail, "resume_offset= is not set for swap file " + printable(e.path), detail, fix);
                return;
        }
        if (*off != m.resume_offset) {
                c.add(id, CheckStatus::Fail,
                      "resume_offset=" + std::to_string(*off) + " is wrong for swap file " + printable(e.path) +
                              " (it starts at page " + std::to_string(m.resume_offset) + ")",
                      detail, fix);
                return;
        }
        c.add(id, CheckStatus::Pass, "resume_offset=" + std::to_string(*off) + " matches swap file " + printable(e.path),
              detail);
}

// ---- encrypted-swap -------------------------------------------------------------------

// The dm-crypt mapping (its dm name) a block device is on: the device itself (dm/uuid
// "CRYPT-…") or a device below it through sysfs slaves (LVM on LUKS). Bounded depth.
std::optional<std::string> crypt_mapping(const Host &host, const std::string &name, int depth = 0)
{
        if (depth > 8 || name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
                return std::nullopt;
        std::string sys = "/sys/class/block/" + name;
        if (auto uuid = host.read_line(sys + "/dm/uuid"); uuid && uuid->rfind("CRYPT-", 0) == 0) {
                auto dmname = host.read_line(sys + "/dm/name");
                return dmname ? *dmname : name;
        }
        if (auto slaves = host.list_dir(sys + "/slaves"))
                for (auto &s : *slaves)
                        if (auto m = crypt_mapping(host, s, depth + 1))
                                return m;
        return std::nullopt;
}

std::string block_name(const Host &host, const std::string &dev)
{
        auto canon = host.canonicalize(dev);
        return std::string(path_basename(canon ? *canon : dev));
}

void check_swap_encryption(Ctx &c)
{
        const char *id = "encrypted-swap";
        if (!c.device) {
                c.add(id, CheckStatus::Skip, "No resume device to check the encryption of");
                return;
        }
        const std::string &dev = c.device->path;
        auto mapping = crypt_mapping(c.host, block_name(c.host, dev));
        CrypttabParse ct;
        if (auto t = c.host.read_file("/etc/crypttab", 1u << 20))
                ct = parse_crypttab(*t);
        if (mapping) {
                for (auto &e : ct.entries) {
                        if (e.name != *mapping)
                                continue;
                        if (auto why = e.random_key_reason(); !why.empty()) {
                                c.add(id, CheckStatus::Fail,
                                      "The resume swap " + dev + " (dm-crypt mapping " + printable(*mapping) +
                                              ") is encrypted anew at every boot: the image can never be resumed",
                                      "/etc/crypttab line " + std::to_string(e.line) + ": " + why +
                                              ", so the next boot cannot read what this one wrote.",
                                      "Encrypt the swap with LUKS and a persistent passphrase or key unlocked in the "
                                      "initramfs (crypttab: key none or a key file in the initramfs, options luks, "
                                      "without swap), or hibernate to another swap.");
                                return;
                        }
                        c.add(id, CheckStatus::Pass,
                              "The resume swap " + dev + " is encrypted (dm-crypt mapping " + printable(*mapping) +
                                      ", /etc/crypttab line " + std::to_string(e.line) + ")");
                        return;
                }
                c.add(id, CheckStatus::Pass,
                      "The resume swap " + dev + " is encrypted (dm-crypt mapping " + printable(*mapping) + ")",
                      "No /etc/crypttab entry names it; it must be unlocked in the initramfs before the resume.");
                return;
        }
        // Not encrypted: is the root filesystem?
        std::optional<std::string> root_mapping;
        if (!c.mounts) {
                auto m = read_mountinfo(c.host);
                c.mounts = m ? *m : std::vector<MountEntry>{};
        }
        for (auto &m : *c.mounts)
                if (m.target == "/" && m.source.rfind("/dev/", 0) == 0)
                        root_mapping = crypt_mapping(c.host, block_name(c.host, m.source));
        if (!root_mapping) {
                c.add(id, CheckStatus::Pass, "The resume swap " + dev + " is not encrypted, nor is the root filesystem");
                return;
        }
        std::string summary = "The resume swap " + dev + " is not encrypted, but the root filesystem is (dm-crypt "
                              "mapping " + printable(*root_mapping) + ")";
        std::string detail = "The image holds the system's memory, disk encryption keys included, in the clear. "
                             "[check] unencrypted_swap = \"" +
                             std::string(c.cfg.unencrypted_swap == Config::UnencryptedSwap::Fail     ? "fail"
                                         : c.cfg.unencrypted_swap == Config::UnencryptedSwap::Ignore ? "ignore"
                                                                                                     : "warn") +
                             "\".";
        std::string fix = "Put the swap on dm-crypt (LUKS with a persistent key, unlocked in the initramfs), or set "
                          "[check] unencrypted_swap = \"ignore\" to accept it.";
        switch (c.cfg.unencrypted_swap) {
        case Config::UnencryptedSwap::Fail: c.add(id, CheckStatus::Fail, summary, detail, fix); return;
        case Config::UnencryptedSwap::Warn: c.add(id, CheckStatus::Warn, summary, detail, fix); return;
        case Config::UnencryptedSwap::Ignore: c.add(id, CheckStatus::Pass, summary, detail); return;
        }
}

// ---- image -----------------------------------------------------------------------------

void check_image(Ctx &c)
{
        const char *id = "image";
        if (!c.device) {
                c.add(id, CheckStatus::Skip, "No resume device to look for an image on");
                return;
        }
        const std::string &dev = c.device->path;
        uint64_t base_page = c.target && c.target->offset ? *c.target->offset : 0;
        // An active swap file is read through the file itself (same bytes, no raw device
        // access needed); anything else through the device at resume_offset.
        std::string src = dev;
        uint64_t header_off = base_page * c.page_size;
        if (c.resume_swap && c.swaps.entries[*c.resume_swap].kind == SwapKind::File) {
                src = c.swaps.entries[*c.resume_swap].path;
                header_off = 0;
        }
        auto &probe = c.probe_swap(src, header_off);
        if (!probe) {
                c.add(id, CheckStatus::Skip, "Cannot probe " + printable(src) + " for a hibernation image",
                      probe.error().message);
                return;
        }
        if (probe->type != "swsuspend") {
                c.add(id, CheckStatus::Pass, "No hibernation image is waiting on " + printable(src));
                return;
        }
        auto page = c.host.read_at(src, header_off, c.page_size);
        if (!page) {
                c.add(id, CheckStatus::Skip, "Cannot read the swap header of " + printable(src), page.error().message);
                return;
        }
        auto hdr = parse_swsusp_header(*page);
        if (!hdr) {
                c.add(id, CheckStatus::Skip, "Cannot parse the swap header of " + printable(src), hdr.error().message);
                return;
        }
        ImageReport ir;
        ir.device = src;
        ir.header_offset = header_off;
        ir.header = *hdr;
        std::string remedy = "Boot with the resume target set to restore it (the session continues). Booting "
                             "without resuming discards it, and mounting its filesystems in between and then "
                             "resuming would corrupt them.";
        if (hdr->kind != SwapSignature::Hibernate) {
                ir.problem = "signature " + printable(hdr->sig) + " belongs to another hibernation tool";
                c.rep.image = ir;
                c.add(id, CheckStatus::Warn,
                      "A hibernation image by another tool (" + printable(hdr->sig) + ") is waiting on " + printable(src),
                      {}, "Resume it with the tool that wrote it, or discard it with mkswap.");
                return;
        }
        auto flags = describe_flags(hdr->flags);
        std::string detail = "Header flags: " + join(flags, ", ") + "; original signature " +
                             printable(hdr->orig_sig) + ".";
        if (hdr->flags & ~SF_KNOWN_6_1)
                detail += " Flags unknown to Linux 6.1 are set: it was written by a newer kernel (LZ4 images exist "
                          "from 6.9 on), and a 6.1 kernel cannot restore it.";
        // The image's first page: through the first swap map page.
        // Page offsets in the header are relative to the block device; reading them through
        // an (active) swap file would be wrong, so only the device is used here.
        std::string devsrc = dev;
        auto read_page = [&](uint64_t pg) -> Result<std::string> {
                if (pg == 0 || pg > (UINT64_MAX / c.page_size))
                        return Error{EINVAL, "page offset " + std::to_string(pg) + " is out of range"};
                return c.host.read_at(devsrc, pg * c.page_size, c.page_size);
        };
        std::string summary_tail;
        bool ps2_problem = false;
        auto mp = read_page(hdr->image);
        if (!mp) {
                ir.problem = "image map page " + std::to_string(hdr->image) + ": " + mp.error().message;
        } else if (auto head = parse_swap_map_page(*mp); !head) {
                ir.problem = "image map page " + std::to_string(hdr->image) + ": " + head.error().message;
        } else if (auto ip = read_page(head->first_entry); !ip) {
                ir.problem = "image header page " + std::to_string(head->first_entry) + ": " + ip.error().message;
        } else if (auto info = parse_swsusp_info(*ip, c.page_size); !info) {
                ir.problem = info.error().message;
        } else {
                ir.info = *info;
                summary_tail = ": " + std::to_string(info->pages) + " pages (" + format_bytes(info->size) + "), " +
                               std::to_string(info->image_pages) + " data pages";
                uint64_t limit = 0;
                if (hdr->flags & SF_TWO_PAGESETS)
                        if (auto &dp = c.probe_swap(devsrc, 0); dp)
                                limit = image_page_limit(*hdr, base_page * c.page_size, dp->size_bytes, c.page_size);
                if (auto ps2 = validate_pageset2(*hdr, *info, limit, c.page_size, read_page); !ps2) {
                        ir.problem = ps2.error().message;
                        ps2_problem = true;
                } else if (ps2->present) {
                        ir.pageset2 = *ps2;
                        summary_tail += ", two pagesets, " + std::to_string(ps2->pages) + " pages in pageset 2";
                        char crc[16];
                        std::snprintf(crc, sizeof crc, "%08x", info->ps2_crc32);
                        detail += " Two pagesets: " + std::to_string(ps2->pages) +
                                  " data pages in pageset 2 (page cache and process memory, written in place; map "
                                  "from page " + std::to_string(ps2->map_page) + ", CRC32 " + crc +
                                  "). A stock kernel can restore it too: the image's own kernel reloads pageset 2.";
                }
                detail += " Image: " + std::to_string(info->pages) + " pages (" + std::to_string(info->size) +
                          " bytes) including metadata, " + std::to_string(info->image_pages) +
                          " data pages, saved from a machine with " + std::to_string(info->num_physpages) +
                          " pages of RAM and " + std::to_string(info->cpus) + " CPUs.";
                if (info->x86_64_arch_record)
                        detail += " Written by an x86_64 kernel: the image carries an architecture record instead "
                                  "of the kernel release, so the release that wrote it is not in the image.";
                else if (!info->release.empty())
                        detail += " Written by Linux " + printable(info->release) + " (" + printable(info->machine) +
                                  ").";
        }
        if (!ir.problem.empty())
                detail += " The image could not be described: " + ir.problem +
                          (ps2_problem ? "; hibernate-tool's resume helper refuses it (the image's kernel could not "
                                         "reload pageset 2) and keeps it."
                                       : "; the kernel will refuse to resume it.");
        if (page->size() == 4096) {
                auto rec = decode_record(std::string_view(*page).substr(RECORD_OFFSET, RECORD_END - RECORD_OFFSET));
                if (!rec) {
                        ir.record_problem = rec.error().message;
                        detail += " Hibernation record: " + rec.error().message + ".";
                } else if (*rec) {
                        ir.record = **rec;
                        size_t covered = 0;
                        for (auto &f : (*rec)->filesystems)
                                covered += fs_kind_covered(f.kind);
                        detail += " Hibernation record: written by Linux " + printable((*rec)->kernel_release) +
                                  ((*rec)->boot_entry.empty() ? "" : " (boot entry " + printable((*rec)->boot_entry) + ")") +
                                  ", " + std::to_string((*rec)->filesystems.size()) + " filesystem(s) recorded, " +
                                  std::to_string(covered) + " verifiable at resume.";
                } else {
                        detail += " No hibernation record: the filesystems cannot be verified at resume.";
                }
        }
        c.rep.image = ir;
        c.add(id, CheckStatus::Warn, "A hibernation image is waiting on " + printable(src) + summary_tail, detail,
              remedy);
}

}  // namespace ht::check_detail
