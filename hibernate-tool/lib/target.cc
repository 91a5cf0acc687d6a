// SPDX-License-Identifier: LGPL-2.1-or-later
#include "target.hh"

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include "config.hh"
#include "host.hh"

namespace ht {

TargetResolver::TargetResolver(const Host &h, const Config &c) : host(h), cfg(c)
{
        long ps = ::sysconf(_SC_PAGESIZE);
        page_size = ps > 0 ? static_cast<size_t>(ps) : 4096;
}

Status TargetResolver::load_inputs()
{
        auto cl = host.read_file("/proc/cmdline", 1u << 20);
        if (!cl)
                return cl.error();
        cmdline = Cmdline(*cl);
        auto sw = host.read_file("/proc/swaps");
        if (!sw)
                return sw.error();
        swaps = parse_proc_swaps(*sw);
        return ok_status();
}

std::vector<std::string> TargetResolver::candidate_paths() const
{
        std::vector<std::string> c;
        for (auto &e : swaps.entries)
                if (e.kind != SwapKind::File)
                        c.push_back(e.path);
        // Image files in fixture roots (a real /dev holds only nodes the links cover).
        if (!host.is_real_root()) {
                if (auto names = host.list_dir("/dev")) {
                        for (auto &n : *names) {
                                std::string p = "/dev/" + n;
                                auto st = host.stat(p);
                                if (st && (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode)) &&
                                    std::find(c.begin(), c.end(), p) == c.end())
                                        c.push_back(p);
                                if (c.size() > 256)
                                        break;
                        }
                }
        }
        return c;
}


// Block device (canonical path, devnum) a swap file lives on, through the mount table.
std::optional<ResolvedDevice> TargetResolver::file_device(const SwapEntry &e)
{
        if (!mounts) {
                auto m = read_mountinfo(host);
                mounts = m ? *m : std::vector<MountEntry>{};
        }
        auto m = mount_containing(*mounts, e.path);
        if (!m || m->source.empty() || m->source[0] != '/')
                return std::nullopt;
        ResolvedDevice d;
        auto canon = host.canonicalize(m->source);
        d.path = canon ? *canon : m->source;
        if (auto dn = device_number(host, d.path))
                d.devnum = *dn;
        else if (m->fstype != "btrfs")  // btrfs reports anonymous st_dev numbers
                d.devnum = m->devnum;
        return d;
}

bool TargetResolver::same_device(const ResolvedDevice &a, const ResolvedDevice &b)
{
        if (a.devnum && b.devnum)
                return *a.devnum == *b.devnum;
        return a.path == b.path;
}

Status TargetResolver::load_and_resolve(bool inputs_required)
{
        if (auto st = load_inputs(); !st && inputs_required)
                return st;
        resolve();
        if (target_error)
                return Error{EINVAL, *target_error};
        return ok_status();
}

void TargetResolver::resolve()
{
        ResumeInputs in;
        in.cmdline = cmdline;
        if (auto r = host.read_line("/sys/power/resume"))
                in.sysfs_resume = *r;
        if (auto r = host.read_line("/sys/power/resume_offset"))
                in.sysfs_resume_offset = *r;
        std::string efi_note;
        in.efi = usable_hibernate_location(host, &efi_note);
        if (!efi_note.empty())
                notes.push_back(efi_note);
        auto sel = select_resume_target(in, cfg);
        if (!sel) {
                target_error = sel.error().message;
                return;
        }
        if (*sel) {
                target = **sel;
        } else {
                // auto: the one obvious candidate, as systemd-sleep would choose it: the
                // usable swap with the highest priority, then the most free space.
                std::optional<size_t> best;
                for (size_t i = 0; i < swaps.entries.size(); i++) {
                        auto &e = swaps.entries[i];
                        if (!eligible(e))
                                continue;
                        if (!best) {
                                best = i;
                                continue;
                        }
                        auto &b = swaps.entries[*best];
                        if (e.priority > b.priority ||
                            (e.priority == b.priority && e.size_bytes - e.used_bytes > b.size_bytes - b.used_bytes))
                                best = i;
                }
                if (!best)
                        return;
                auto &e = swaps.entries[*best];
                ResumeTarget t;
                t.source = ResumeSource::Auto;
                if (e.kind == SwapKind::File) {
                        auto dev = file_device(e);
                        if (!dev)
                                return;
                        t.spec.kind = SpecKind::Path;
                        t.spec.value = dev->path;
                        if (auto m = map_swap_file(host, e.path, page_size)) {
                                t.offset = m->resume_offset;
                                t.offset_origin = "auto";
                        }
                } else {
                        t.spec.kind = SpecKind::Path;
                        t.spec.value = e.path;
                }
                t.spec.original = t.spec.value;
                target = t;
        }
        auto dev = resolve_device(host, target->spec, candidate_paths());
        if (!dev) {
                device_error = dev.error().message;
                return;
        }
        device = *dev;
        // An offset must name a page inside the device (one message, nothing read there).
        if (target->offset) {
                auto size = device_size(host, device->path);
                if (auto b = resume_offset_bytes(*target->offset, page_size, size ? *size : 0, device->path); !b) {
                        target_error = b.error().message;
                        device.reset();
                        return;
                }
        }
        // Which active swap is it?
        std::vector<size_t> files;
        for (size_t i = 0; i < swaps.entries.size(); i++) {
                auto &e = swaps.entries[i];
                if (!eligible(e))
                        continue;
                if (e.kind != SwapKind::File) {
                        ResolvedDevice sd;
                        auto canon = host.canonicalize(e.path);
                        sd.path = canon ? *canon : e.path;
                        if (auto dn = device_number(host, sd.path))
                                sd.devnum = *dn;
                        if (same_device(sd, *device)) {
                                resume_swap = i;
                                return;
                        }
                } else if (auto fd = file_device(e); fd && same_device(*fd, *device)) {
                        files.push_back(i);
                }
        }
        if (files.empty())
                return;
        // Several swap files on one filesystem: the one whose first page is resume_offset.
        for (size_t i : files) {
                auto m = map_swap_file(host, swaps.entries[i].path, page_size);
                if (m && target->offset && m->resume_offset == *target->offset) {
                        resume_swap = i;
                        file_map = *m;
                        return;
                }
        }
        resume_swap = files.front();
        auto m = map_swap_file(host, swaps.entries[files.front()].path, page_size);
        if (m)
                file_map = *m;
        else
                file_map_error = m.error().message;
}

}  // namespace ht
