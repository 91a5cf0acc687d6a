// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ask.hh"
#include "resumer.hh"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <set>
#include <sys/inotify.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.hh"
#include "devices.hh"
#include "host.hh"
#include "mounts.hh"
#include "parse.hh"
#include "refusal.hh"
#include "resume.hh"
#include "swsusp.hh"
#include "target.hh"

namespace ht {

namespace {

std::string kernel_release(const Host &host)
{
        auto r = host.read_line("/proc/sys/kernel/osrelease");
        return r ? *r : std::string();
}

FsKind kind_of(const std::string &type)
{
        if (type == "ext2" || type == "ext3" || type == "ext4")
                return FsKind::Ext;
        if (type == "btrfs")
                return FsKind::Btrfs;
        if (type == "xfs")
                return FsKind::Xfs;
        return FsKind::Other;
}

}  // namespace

uint32_t known_swsusp_flags(const std::string &release)
{
        unsigned maj = 0, min = 0;
        if (std::sscanf(release.c_str(), "%u.%u", &maj, &min) != 2)
                return SF_KNOWN_6_1;
        uint32_t f = SF_KNOWN_6_1;
        if (maj > 6 || (maj == 6 && min >= 9))
                f |= SF_COMPRESSION_ALG_LZ4;
        return f;
}

// ---- record ----------------------------------------------------------------------------

Result<HibRecord> build_record(const Host &host, const std::string &boot_entry)
{
        HibRecord r;
        r.created = static_cast<uint64_t>(std::time(nullptr));
        r.kernel_release = kernel_release(host);
        if (r.kernel_release.empty())
                return Error{ENODATA, "Cannot read the running kernel's release (/proc/sys/kernel/osrelease)"};
        r.boot_entry = boot_entry;
        auto mounts = read_mountinfo(host);
        if (!mounts)
                return mounts.error();
        std::set<std::string> seen;
        for (auto &m : *mounts) {
                if (m.read_only || m.source.rfind("/dev/", 0) != 0)
                        continue;
                auto probe = probe_device(host, m.source);
                if (!probe || !probe->uuid)
                        continue;
                if (!seen.insert(*probe->uuid).second)
                        continue;  // bind mounts, btrfs subvolumes
                FsMark f;
                f.kind = kind_of(probe->type);
                f.fstype = probe->type;
                f.mountpoint = m.target;
                if (f.kind == FsKind::Ext) {
                        auto sb = host.read_at(m.source, 1024, 1024);
                        if (!sb)
                                return Error{sb.error().code, "Cannot read the superblock of " + m.source + " (" +
                                                                      m.target + "): " + sb.error().message};
                        auto mark = parse_ext_superblock(*sb);
                        if (!mark)
                                return Error{EINVAL, m.source + " (" + m.target + "): " + mark.error().message};
                        mark->fstype = probe->type;
                        mark->mountpoint = m.target;
                        f = *mark;
                } else if (auto u = parse_uuid(*probe->uuid)) {
                        f.uuid = *u;
                } else {
                        continue;  // vfat-style short serials cannot be recorded
                }
                r.filesystems.push_back(f);
        }
        return r;
}

Result<RecordResult> write_record(const Host &host, const Config &cfg, const std::string &boot_entry,
                                  const std::optional<GrubEnvLocation> &grubenv)
{
        TargetResolver t(host, cfg);
        if (auto st = t.load_and_resolve(); !st)
                return st.error();
        if (!t.target)
                return Error{ENODEV, "No resume target is configured and no usable swap is active"};
        if (!t.device)
                return Error{ENODEV, t.device_error.value_or("The resume target does not resolve")};
        if (!t.resume_swap)
                return Error{ENODEV, "The resume device " + t.device->path + " is not an active swap"};
        auto &swap = t.swaps.entries[*t.resume_swap];
        if (swap.kind == SwapKind::File) {
                if (!t.file_map)
                        return Error{EINVAL, "Cannot map swap file " + swap.path + ": " +
                                                     t.file_map_error.value_or("unknown error")};
                if (!t.target->offset || *t.target->offset != t.file_map->resume_offset)
                        return Error{EINVAL, "resume_offset does not point at swap file " + swap.path + " (it starts at page " +
                                                     std::to_string(t.file_map->resume_offset) + ")"};
        }
        if (t.page_size != 4096)
                return Error{ENOTSUP, "the hibernation record supports 4096-byte pages only"};
        uint64_t off = t.header_offset();
        auto page = read_header_page(host, t.device->path, off, t.page_size);
        if (!page)
                return page.error();
        if (auto st = check_record_space(*page); !st)
                return Error{st.error().code, t.device->path + ": " + st.error().message};
        auto rec = build_record(host, boot_entry);
        if (!rec)
                return rec.error();
        if (!boot_entry.empty())
                rec->grubenv = grubenv;
        auto bytes = encode_record(*rec);
        if (!bytes)
                return bytes.error();
        std::string newpage = *page;
        std::memset(newpage.data() + RECORD_OFFSET, 0, RECORD_END - RECORD_OFFSET);
        std::memcpy(newpage.data() + RECORD_OFFSET, bytes->data(), bytes->size());
        if (auto st = write_header_page(host, t.device->path, off, newpage); !st)
                return st.error();
        return RecordResult{t.device->path, off, *rec};
}

// ---- invalidation ----------------------------------------------------------------------

Status invalidate_image(const Host &host, const std::string &dev, uint64_t off)
{
        auto page = read_header_page(host, dev, off, 4096);
        if (!page)
                return page.error();
        auto h = parse_swsusp_header(*page);
        if (!h)
                return h.error();
        if (h->kind != SwapSignature::Hibernate)
                return Error{EINVAL, dev + " holds no Linux hibernation image (signature '" + printable(h->sig) + "')"};
        if (h->orig_sig != "SWAPSPACE2")
                return Error{EINVAL, dev + ": the image header's saved signature is '" + printable(h->orig_sig) +
                                             "', not SWAPSPACE2; refusing to guess"};
        std::string np = *page;
        std::memcpy(np.data() + 4096 - 10, np.data() + 4096 - 20, 10);  // sig := orig_sig
        std::memset(np.data() + RECORD_OFFSET, 0, RECORD_END - RECORD_OFFSET);
        return write_header_page(host, dev, off, np);
}

Result<std::string> invalidate_target(const Host &host, const Config &cfg)
{
        TargetResolver t(host, cfg);
        if (auto st = t.load_and_resolve(false); !st)  // an image waiting: the swap is not active
                return st.error();
        if (!t.target)
                return Error{ENODEV, "No resume target is configured"};
        if (!t.device)
                return Error{ENODEV, t.device_error.value_or("The resume target does not resolve")};
        if (auto st = invalidate_image(host, t.device->path, t.header_offset()); !st)
                return st.error();
        return t.device->path;
}

Result<std::optional<std::string>> clear_stale_record(const Host &host, const Config &cfg)
{
        TargetResolver t(host, cfg);
        if (auto st = t.load_and_resolve(); !st)
                return st.error();
        if (!t.target || !t.device)
                return std::optional<std::string>{};
        uint64_t off = t.header_offset();
        auto page = read_header_page(host, t.device->path, off, 4096);
        if (!page)
                return page.error();
        if (!page_has_record(*page))
                return std::optional<std::string>{};
        auto h = parse_swsusp_header(*page);
        if (!h || h->kind != SwapSignature::Swap)
                return std::optional<std::string>{};  // an image waits: the record speaks for it
        auto np = page_with_record(*page, nullptr);
        if (!np)
                return np.error();
        if (auto st = write_header_page(host, t.device->path, off, *np); !st)
                return st.error();
        return std::optional<std::string>{t.device->path};
}

// ---- resume ------------------------------------------------------------------------------

Result<ResolvedDevice> wait_for_device(const Host &host, const DeviceSpec &spec, long timeout_ms,
                                       const std::vector<std::string> &extra)
{
        Fd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        static const char *const dirs[] = {"/dev", "/dev/disk", "/dev/disk/by-uuid", "/dev/disk/by-label",
                                           "/dev/disk/by-partuuid", "/dev/disk/by-partlabel", "/dev/block"};
        auto watch = [&] {
                if (in.get() < 0)
                        return;
                for (auto *d : dirs)
                        (void) ::inotify_add_watch(in.get(), host.path(d).c_str(),
                                                   IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR);
        };
        watch();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
        for (;;) {
                auto candidates = extra;
                if (auto names = host.list_dir("/sys/class/block"))
                        for (auto &n : *names)
                                candidates.push_back("/dev/" + n);
                auto d = resolve_device(host, spec, candidates);
                if (d)
                        return d;
                if (d.error().code == ELOOP || d.error().code == EINVAL)
                        return d;
                long remaining = -1;
                if (timeout_ms >= 0) {
                        auto now = std::chrono::steady_clock::now();
                        if (now >= deadline)
                                return d;
                        remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
                }
                if (in.get() < 0)
                        return Error{d.error().code, d.error().message + " (and inotify is unavailable to wait)"};
                struct pollfd p{in.get(), POLLIN, 0};
                int r = ::poll(&p, 1, remaining > INT32_MAX ? INT32_MAX : static_cast<int>(remaining));
                if (r < 0 && errno != EINTR)
                        return Error::from_errno(errno, "Failed to wait for the resume device");
                char buf[4096];
                while (::read(in.get(), buf, sizeof buf) > 0) {
                }
                watch();  // directories such as /dev/disk/by-uuid may have appeared
        }
}

namespace {

void log_kmsg(const Host &host, const std::string &line)
{
        if (!host.is_real_root())
                return;
        int fd = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return;
        // On-disk strings (kernel release, boot entry, labels) end up in messages: never a
        // control character or a newline into the kernel log.
        std::string m = "<5>hibernate-tool: " + printable(line) + "\n";
        (void) !::write(fd, m.data(), m.size());
        ::close(fd);
}

}  // namespace

// ---- the decision ------------------------------------------------------------------------

Decision decide_resume(const DecisionInput &in)
{
        Decision d;
        // The refusal's reason (one line) and what keeping the image means for the user.
        const std::string discard_hint = " (boot with noresume to discard it)";
        auto refuse = [&](std::string reason, const std::string &kept_tail) {
                d.kind = Decision::Kind::Refuse;
                d.reason = std::move(reason);
                d.text = "not resuming: " + d.reason + "; image kept" + kept_tail;
                return d;
        };
        auto invalidate = [&](std::string why) {
                d.kind = Decision::Kind::Invalidate;
                d.text = std::move(why);
                return d;
        };
        auto hdr = parse_swsusp_header(in.header_page);
        if (!hdr || hdr->kind != SwapSignature::Hibernate) {
                d.kind = Decision::Kind::NoImage;
                d.text = "not resuming: the image on " + in.device +
                         " was written by another hibernation tool; leaving it alone";
                return d;
        }
        auto read_page = [&](uint64_t pg) -> Result<std::string> {
                if (pg == 0 || pg > UINT64_MAX / 4096 - in.header_offset / 4096)
                        return Error{EINVAL, "page offset " + std::to_string(pg) + " is out of range"};
                if (!in.read_page)
                        return Error{EIO, "no page reader"};
                return in.read_page(pg);
        };
        // The image's first map page and swsusp_info page: its identity, and its structure.
        std::string corrupt;
        std::string map_bytes, info_bytes;
        if (auto mp = read_page(hdr->image); !mp) {
                corrupt = "image map page: " + mp.error().message;
        } else {
                map_bytes = *mp;
                if (auto head = parse_swap_map_page(*mp); !head) {
                        corrupt = head.error().message;
                } else if (auto ip = read_page(head->first_entry); !ip) {
                        corrupt = "image header page: " + ip.error().message;
                } else {
                        info_bytes = *ip;
                        if (auto in2 = parse_swsusp_info(*ip, 4096); !in2)
                                corrupt = in2.error().message;
                        else
                                d.info = *in2;
                }
        }
        d.fingerprint = image_fingerprint(in.header_page, map_bytes, info_bytes);

        // The record: only one that speaks for this image counts.
        std::string_view region = in.header_page.size() >= RECORD_END
                                          ? in.header_page.substr(RECORD_OFFSET, RECORD_END - RECORD_OFFSET)
                                          : std::string_view();
        auto rec = decode_record(region);
        if (!rec)
                return refuse(rec.error().message, discard_hint);
        if (*rec) {
                if (record_matches(**rec, d.fingerprint)) {
                        d.record = **rec;
                } else {
                        d.stale_record = true;
                        d.warnings.push_back("the hibernation record on " + in.device + " (written by Linux " +
                                             printable((*rec)->kernel_release) +
                                             ") belongs to an earlier image; ignoring it");
                }
        }
        std::string writer = d.record ? d.record->kernel_release : std::string();
        std::string boot_this = writer.empty() ? "the kernel that wrote it (no record names it)"
                                               : "Linux " + writer +
                                                         (d.record->boot_entry.empty()
                                                                  ? ""
                                                                  : " (boot entry " + d.record->boot_entry + ")");

        // Kernel compatibility: flags this kernel does not know, or (non-x86_64) another build.
        uint32_t unknown = hdr->flags & ~known_swsusp_flags(in.running_release);
        if (unknown) {
                d.needs_other_kernel = true;
                char buf[16];
                std::snprintf(buf, sizeof buf, "0x%x", unknown);
                return refuse("the image uses header flags " + std::string(buf) + " that Linux " +
                                      in.running_release + " does not understand (e.g. LZ4 from 6.9 on)" +
                                      (writer.empty() ? std::string() : ", written by " + boot_this),
                              ": boot " + boot_this + " to resume it");
        }
        // A two-pageset image: pageset 2 is reloaded by the image's kernel after the jump, from
        // its own map chain; what can be checked without reading it all is checked here.
        if (corrupt.empty()) {
                auto l = validate_pageset2(
                        *hdr, d.info,
                        image_page_limit(*hdr, in.header_offset,
                                         in.device_bytes ? in.header_offset + in.device_bytes : 0, 4096),
                        4096, read_page);
                if (!l)
                        corrupt = l.error().message;
                else
                        d.pageset2 = *l;
        }
        if (!corrupt.empty())
                return refuse("the image on " + in.device + " is corrupt (" + corrupt + ")", discard_hint);
        if (!d.info.x86_64_arch_record && !d.info.release.empty() && d.info.release != in.running_release) {
                d.needs_other_kernel = true;
                return refuse("the image was written by Linux " + d.info.release +
                                      ", which this architecture requires to restore it",
                              ": boot Linux " + d.info.release);
        }

        // Filesystems changed since hibernation? Decided only on what was read: a filesystem
        // that is missing or whose superblock cannot be read keeps the image (refused).
        if (!d.record) {
                if (in.require_record)
                        return invalidate("the image has no hibernation record, so its filesystems cannot be verified "
                                          "([resume] require_record = true)");
                d.warnings.push_back("the image has no hibernation record (hibernated by other means): its "
                                     "filesystems cannot be verified");
                d.kind = Decision::Kind::Resume;
                return d;
        }
        std::string refusal;
        for (auto &f : d.record->filesystems) {
                std::string name = "filesystem UUID=" + f.uuid_str();
                FsObservation now = in.observe ? in.observe(f) : FsObservation{};
                if (now.state == FsObservation::State::Missing) {
                        if (refusal.empty())
                                refusal = name + " recorded at hibernation is not present" +
                                          (now.error.empty() ? "" : " (" + now.error + ")");
                        continue;
                }
                if (now.state == FsObservation::State::Unreadable) {
                        if (refusal.empty())
                                refusal = name + " on " + now.path + " cannot be read (" + now.error + ")";
                        continue;
                }
                if (!fs_kind_covered(f.kind)) {
                        d.warnings.push_back(std::string(fs_kind_name(f.kind)) + " " + name +
                                             " has no change marker the initramfs can read; not verified");
                        continue;
                }
                auto mark = parse_ext_superblock(now.superblock);
                if (!mark) {
                        if (refusal.empty())
                                refusal = name + " on " + now.path + " cannot be verified (" + mark.error().message + ")";
                        continue;
                }
                if (mark->uuid != f.uuid) {
                        if (refusal.empty())
                                refusal = name + ": " + now.path + " holds filesystem UUID=" + mark->uuid_str() +
                                          " instead";
                        continue;
                }
                if (auto ch = fs_change(f, *mark); !ch.empty())
                        return invalidate(name + " on " + now.path + " was " + ch + ", resuming would corrupt it");
        }
        if (!refusal.empty())
                return refuse(refusal, discard_hint);
        d.kind = Decision::Kind::Resume;
        return d;
}

// ---- resume ------------------------------------------------------------------------------

ResumeOutcome run_resume(const Host &host, const Config &cfg, const ResumeOptions &opts)
{
        ResumeOutcome o;
        auto done = [&](std::string result, std::string msg) {
                o.result = std::move(result);
                o.message = std::move(msg);
                log_kmsg(host, o.message);
                for (auto &w : o.warnings)
                        log_kmsg(host, "warning: " + w);
                if (!opts.dry_run)
                        (void) write_last_resume(host, o);
                return o;
        };

        auto cl = host.read_file("/proc/cmdline", 1u << 20);
        Cmdline cmdline(cl ? *cl : std::string());
        std::string why_disabled;
        bool disabled = resume_disabled(cmdline, &why_disabled);

        ResumeInputs in;
        in.cmdline = cmdline;
        std::string efi_note;  // efivarfs is mounted in systemd initrds (dracut); absent otherwise
        in.efi = usable_hibernate_location(host, &efi_note);
        if (!efi_note.empty())
                o.warnings.push_back(efi_note);
        auto sel = select_resume_target(in, cfg);
        if (!sel)
                return done("error", "not resuming: " + sel.error().message);
        if (!*sel)
                return done(disabled ? "disabled" : "no-target",
                            disabled ? "not resuming: " + why_disabled + " on the kernel command line"
                                     : "not resuming: no resume device configured (resume= or [resume] device)");
        ResumeTarget target = **sel;
        ResumeWait wait = resume_wait_bound(cmdline, cfg);
        for (auto &w : wait.warnings)
                o.warnings.push_back(w);
        long timeout_ms = wait.unbounded ? -1 : static_cast<long>(std::min<uint64_t>(wait.seconds, 86400)) * 1000;
        // One bound for the resume device and every recorded filesystem.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
        auto remaining = [&]() -> long {
                if (timeout_ms < 0)
                        return -1;
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                  std::chrono::steady_clock::now());
                return left.count() > 0 ? static_cast<long>(left.count()) : 0;
        };
        std::string bound_text = timeout_ms >= 0 ? " within " + std::to_string(timeout_ms / 1000) + " s" : "";

        auto dev = wait_for_device(host, target.spec, remaining(), {});
        if (!dev)
                return done(disabled ? "disabled" : "no-device",
                            "not resuming: resume device " + printable(target.spec.original) + " did not appear" +
                                    bound_text + " (" + dev.error().message + ")");
        o.device = dev->path;
        auto size = device_size(host, dev->path);
        auto offb = resume_offset_bytes(target.offset.value_or(0), 4096, size ? *size : 0, dev->path);
        if (!offb)
                return done("error", "not resuming: " + offb.error().message);
        uint64_t off = *offb;
        auto probe = probe_device(host, dev->path, off, true);
        if (!probe || probe->type != "swsuspend") {
                std::string cleared;
                if (!opts.dry_run)
                        if (auto pg = read_header_page(host, dev->path, off, 4096); pg && page_has_record(*pg)) {
                                auto h = parse_swsusp_header(*pg);
                                auto np = page_with_record(*pg, nullptr);
                                if (h && h->kind == SwapSignature::Swap && np) {
                                        if (auto st = write_header_page(host, dev->path, off, *np); st)
                                                cleared = "; stale hibernation record cleared";
                                        else
                                                o.warnings.push_back("cannot clear the stale hibernation record: " +
                                                                     st.error().message);
                                }
                        }
                return done(disabled ? "disabled" : "no-image",
                            disabled ? "not resuming: " + why_disabled + " on the kernel command line; no image on " +
                                               dev->path + cleared
                                     : "not resuming: no hibernation image on " + dev->path + cleared);
        }

        auto page = read_header_page(host, dev->path, off, 4096);
        if (!page)
                return done("refused", "not resuming: cannot read the image header on " + dev->path + ": " +
                                               page.error().message);
        auto hdr = parse_swsusp_header(*page);
        if (!hdr || hdr->kind != SwapSignature::Hibernate)
                return done("no-image", "not resuming: the image on " + dev->path +
                                                " was written by another hibernation tool; leaving it alone");

        auto invalidate = [&](const std::string &why, const std::string &note = {}) {
                if (opts.dry_run)
                        return done("refused", "not resuming: " + why + "; the image would be invalidated (dry run)");
                auto st = invalidate_image(host, dev->path, off);
                if (!st)
                        return done("refused", "not resuming: " + why + "; invalidating the image failed: " +
                                                       st.error().message);
                return done("invalidated", "not resuming: " + why + "; image on " + dev->path + " invalidated" +
                                                   (note.empty() ? "" : " (" + note + ")"));
        };

        if (disabled)
                return invalidate(why_disabled + " on the kernel command line");

        // Recorded filesystems are waited for within the same bound as the resume device.
        std::vector<std::string> fixture_devs;
        if (!host.is_real_root())
                if (auto names = host.list_dir("/dev"))
                        for (auto &n : *names)
                                fixture_devs.push_back("/dev/" + n);
        DecisionInput din;
        din.device = dev->path;
        din.header_page = *page;
        din.header_offset = off;
        din.device_bytes = probe->size_bytes;
        din.running_release = kernel_release(host);
        din.require_record = cfg.require_record;
        din.read_page = [&](uint64_t pg) { return host.read_at(dev->path, pg * 4096, 4096); };
        din.observe = [&](const FsMark &f) {
                FsObservation ob;
                DeviceSpec spec;
                spec.kind = SpecKind::Uuid;
                spec.value = spec.original = f.uuid_str();
                // Not there at first look: say so once, then wait within what is left of the bound.
                auto fs = wait_for_device(host, spec, 0, fixture_devs);
                if (!fs && fs.error().code != ELOOP && fs.error().code != EINVAL && remaining() != 0) {
                        long left = remaining();
                        std::string line = "waiting " +
                                           (left < 0 ? std::string("without a bound")
                                                     : "up to " + std::to_string((left + 999) / 1000) + " s") +
                                           " for filesystem UUID=" + f.uuid_str() +
                                           " (recorded at hibernation, not present yet)";
                        log_kmsg(host, line);
                        if (opts.notice)
                                opts.notice(line);
                        fs = wait_for_device(host, spec, left, fixture_devs);
                }
                if (!fs) {
                        ob.error = "it did not appear" + bound_text;
                        return ob;
                }
                ob.path = fs->path;
                Result<std::string> sb = Error{EIO, "not read"};
                for (int attempt = 0; attempt < 2 && !sb; attempt++)
                        sb = host.read_at(fs->path, 1024, 1024);
                if (!sb) {
                        ob.state = FsObservation::State::Unreadable;
                        ob.error = sb.error().message;
                        return ob;
                }
                ob.state = FsObservation::State::Present;
                ob.superblock = *sb;
                return ob;
        };
        Decision d = decide_resume(din);
        for (auto &w : d.warnings)
                o.warnings.push_back(w);
        switch (d.kind) {
        case Decision::Kind::NoImage: return done("no-image", d.text);
        case Decision::Kind::Refuse: {
                if (opts.dry_run)
                        return done("refused", d.text);
                // Never boot on with a kept image (refusal.hh): reboot into the kernel that
                // wrote it, ask, or invalidate / power off.
                const std::string &reason = d.reason;
                RefusalInput ri;
                ri.device = dev->path;
                ri.header_offset = off;
                ri.header_page = *page;
                ri.reason = reason;
                ri.needs_other_kernel = d.needs_other_kernel;
                ri.record = d.record;
                ri.running_release = din.running_release;
                ri.remaining_ms = remaining;
                ri.fixture_devs = fixture_devs;
                ConsoleAsk ask = opts.ask ? opts.ask : ConsoleAsk([&](const std::string &q, unsigned t) {
                        return ask_user(host, "hibernate-tool:refused", q, t);
                });
                // The kernel command line may decide for this boot (as rd.* options do).
                Config rcfg = cfg;
                if (auto v = cmdline.value("hibernate-tool.refused")) {
                        if (*v == "invalidate" || *v == "poweroff")
                                rcfg.refused = *v == "poweroff" ? Config::Refused::PowerOff : Config::Refused::Invalidate;
                        else
                                o.warnings.push_back("hibernate-tool.refused=" + printable(*v) +
                                                     " is neither invalidate nor poweroff, ignoring");
                }
                if (auto v = cmdline.value("hibernate-tool.ask_timeout")) {
                        if (auto n = parse_u64(*v); n && *n <= 3600)
                                rcfg.refused_ask_timeout_sec = static_cast<unsigned>(*n);
                        else
                                o.warnings.push_back("hibernate-tool.ask_timeout=" + printable(*v) +
                                                     " is not a number of seconds from 0 to 3600, ignoring");
                }
                RefusalOutcome ro = handle_refusal(host, rcfg, ri, ask);
                for (auto &w : ro.warnings)
                        o.warnings.push_back(w);
                o.action = refusal_action_name(ro.action);
                if (ro.action == RefusalAction::Invalidate)
                        return invalidate(reason, ro.text);
                bool off_now = ro.action == RefusalAction::PowerOff;
                done(off_now ? "powering-off" : "rebooting", "not resuming: " + reason + "; " + ro.text);
                if (!host.is_real_root())
                        return o;
                if (opts.announce)
                        opts.announce(o);
                ::sync();
                (void) ::reboot(off_now ? RB_POWER_OFF : RB_AUTOBOOT);
                // Still here: the image must not outlive this boot.
                return invalidate(reason, std::string(off_now ? "powering off" : "rebooting") + " failed: " +
                                                  std::strerror(errno));
        }
        case Decision::Kind::Invalidate: return invalidate(d.text);
        case Decision::Kind::Resume: break;
        }
        std::string writer = d.record ? d.record->kernel_release : std::string();
        std::string ps2_text = d.pageset2.present
                                       ? ", two pagesets: " + std::to_string(d.pageset2.pages) + " pages in pageset 2"
                                       : std::string();

        if (!dev->devnum)
                return done("refused", "not resuming: cannot tell the device number of " + dev->path);
        if (opts.dry_run)
                return done("would-resume", "would resume from " + dev->path + " (" + std::to_string(d.info.pages) +
                                                    " pages written by " + (writer.empty() ? "an unrecorded kernel" : writer) +
                                                    ps2_text + ")");
        // The record now speaks for this image only: bound to its fingerprint (a stale one is
        // cleared). The kernel resets the signature itself; if it returns without doing so,
        // the next boot still judges this image by this record.
        if (d.record && d.record->state != RecordState::Bound) {
                HibRecord bound = *d.record;
                bound.state = RecordState::Bound;
                bound.image_id = d.fingerprint;
                auto np = page_with_record(*page, &bound);
                auto st = np ? write_header_page(host, dev->path, off, *np) : Status(np.error());
                if (!st)
                        o.warnings.push_back("cannot bind the hibernation record to the image: " + st.error().message);
        } else if (d.stale_record) {
                auto np = page_with_record(*page, nullptr);
                auto st = np ? write_header_page(host, dev->path, off, *np) : Status(np.error());
                if (!st)
                        o.warnings.push_back("cannot clear the stale hibernation record: " + st.error().message);
        }
        // Hand over: offset first, then the device; the second write starts the resume.
        std::string msg = "resuming from " + dev->path + " (" + std::to_string(d.info.pages) + " pages" +
                          (writer.empty() ? "" : ", written by Linux " + writer) + ps2_text + ")";
        log_kmsg(host, msg);
        for (auto &w : o.warnings)
                log_kmsg(host, "warning: " + w);
        o.result = "resuming";
        o.message = msg;
        (void) write_last_resume(host, o);
        auto wr = [&](const char *file, const std::string &v) -> Status {
                auto fd = host.open(file, O_WRONLY | O_TRUNC);
                if (!fd)
                        return fd.error();
                ssize_t n = ::write(fd->get(), v.data(), v.size());
                int e = errno;
                if (n < 0)
                        return Error::from_errno(e, std::string("Writing ") + v + " to " + file);
                return ok_status();
        };
        if (auto st = wr("/sys/power/resume_offset", std::to_string(target.offset.value_or(0))); !st)
                return done("resumed-failed", "resume failed: " + st.error().message);
        if (auto st = wr("/sys/power/resume", dev->devnum->str()); !st)
                return done("resumed-failed", "resume failed: " + st.error().message + " (see the kernel log)");
        return done("resumed-failed", "resume failed: the kernel returned from resuming " + dev->path +
                                              " (see the kernel log); continuing the boot");
}

Status write_last_resume(const Host &host, const ResumeOutcome &o)
{
        auto clean = [](std::string s) {
                for (auto &c : s)
                        if (c == '\n')
                                c = ' ';
                return s;
        };
        std::string s = "RESULT=" + o.result + "\nMESSAGE=" + clean(o.message) + "\nDEVICE=" + clean(o.device) +
                        "\nTIME=" + std::to_string(std::time(nullptr)) + "\n";
        if (!o.action.empty())
                s += "ACTION=" + o.action + "\n";
        for (auto &w : o.warnings)
                s += "WARNING=" + clean(w) + "\n";
        return host.write_file_atomic(LAST_RESUME_FILE, s);
}

}  // namespace ht
