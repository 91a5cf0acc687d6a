// SPDX-License-Identifier: LGPL-2.1-or-later
#include "devices.hh"

#include <blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <memory>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host.hh"

namespace ht {

namespace {

struct ProbeDeleter {
        void operator()(blkid_probe p) const { blkid_free_probe(p); }
};

std::optional<std::string> lookup(blkid_probe pr, const char *name)
{
        const char *data = nullptr;
        size_t len = 0;
        if (blkid_probe_lookup_value(pr, name, &data, &len) != 0 || !data)
                return std::nullopt;
        // len includes the terminating NUL
        std::string v(data, len > 0 ? len - 1 : 0);
        return v;
}

}  // namespace

Result<uint64_t> device_size(const Host &host, const std::string &abs)
{
        auto fd = host.open_read(abs);
        if (!fd)
                return fd.error();
        struct ::stat st;
        uint64_t size = 0;
        int e = 0;
        bool blk = false;
        if (::fstat(*fd, &st) < 0)
                e = errno;
        else if ((blk = S_ISBLK(st.st_mode)) && ::ioctl(*fd, BLKGETSIZE64, &size) < 0)
                e = errno;
        ::close(*fd);
        if (e)
                return Error::from_errno(e, "Failed to get the size of '" + abs + "'");
        if (blk)
                return size;
        // A stand-in file in a fixture root: the size sysfs gives (512-byte sectors), as for
        // the real device; the file itself may be smaller than the device it stands for.
        auto canon = host.canonicalize(abs);
        std::string name(path_basename(canon ? *canon : abs));
        auto line = host.read_line("/sys/class/block/" + name + "/size");
        if (!line)
                return Error{ENODATA, "The size of '" + abs + "' is unknown (no /sys/class/block/" + name + "/size)"};
        auto sectors = parse_u64(*line);
        if (!sectors || *sectors > UINT64_MAX / 512)
                return Error{EINVAL, "/sys/class/block/" + name + "/size holds '" + printable(*line) + "'"};
        return *sectors * 512;
}

Result<ProbeInfo> probe_device(const Host &host, const std::string &abs, uint64_t offset, bool swap_only)
{
        auto fd = host.open_read(abs);
        if (!fd)
                return fd.error();
        struct ::stat st;
        if (::fstat(*fd, &st) < 0) {
                int e = errno;
                ::close(*fd);
                return Error::from_errno(e, "Failed to stat '" + abs + "'");
        }
        if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
                ::close(*fd);
                return Error{ENOTBLK, "'" + abs + "' is neither a block device nor an image file"};
        }
        std::unique_ptr<std::remove_pointer_t<blkid_probe>, ProbeDeleter> pr(blkid_new_probe());
        if (!pr) {
                ::close(*fd);
                return Error{ENOMEM, "Failed to allocate a libblkid probe"};
        }
        if (blkid_probe_set_device(pr.get(), *fd, static_cast<blkid_loff_t>(offset), 0) != 0) {
                ::close(*fd);
                return Error{EIO, "libblkid cannot use '" + abs + "' at offset " + std::to_string(offset)};
        }
        blkid_probe_enable_superblocks(pr.get(), 1);
        blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL |
                                                           BLKID_SUBLKS_VERSION);
        if (swap_only) {
                static char swap[] = "swap", swsuspend[] = "swsuspend";
                char *types[] = {swap, swsuspend, nullptr};
                blkid_probe_filter_superblocks_type(pr.get(), BLKID_FLTR_ONLYIN, types);
        }
        if (offset == 0 && S_ISBLK(st.st_mode) && !swap_only) {
                blkid_probe_enable_partitions(pr.get(), 1);
                blkid_probe_set_partitions_flags(pr.get(), BLKID_PARTS_ENTRY_DETAILS);
        }
        int r = blkid_do_safeprobe(pr.get());
        ProbeInfo info;
        info.size_bytes = static_cast<uint64_t>(blkid_probe_get_size(pr.get()));
        if (r == -2) {
                ::close(*fd);
                return Error{EUCLEAN, "'" + abs + "' carries ambiguous signatures"};
        }
        if (r < 0) {
                ::close(*fd);
                return Error{EIO, "libblkid failed to probe '" + abs + "'"};
        }
        if (r == 0) {
                info.type = lookup(pr.get(), "TYPE").value_or("");
                info.uuid = lookup(pr.get(), "UUID");
                info.label = lookup(pr.get(), "LABEL");
                info.version = lookup(pr.get(), "VERSION");
                info.part_uuid = lookup(pr.get(), "PART_ENTRY_UUID");
                info.part_label = lookup(pr.get(), "PART_ENTRY_NAME");
        }
        ::close(*fd);
        return info;
}

Result<DevNum> device_number(const Host &host, const std::string &abs)
{
        auto st = host.stat(abs);
        if (!st)
                return st.error();
        if (S_ISBLK(st->st_mode))
                return DevNum{major(st->st_rdev), minor(st->st_rdev)};
        auto canon = host.canonicalize(abs);
        if (!canon)
                return canon.error();
        std::string name(path_basename(*canon));
        auto dev = host.read_line("/sys/class/block/" + name + "/dev");
        if (!dev)
                return Error{ENOTBLK, "'" + abs + "' is not a block device and has no /sys/class/block/" + name + "/dev"};
        auto dn = parse_devnum(*dev);
        if (!dn)
                return Error{EINVAL, "/sys/class/block/" + name + "/dev holds '" + printable(*dev) + "', not MAJ:MIN"};
        return DevNum{dn->first, dn->second};
}

Result<std::string> devnum_to_path(const Host &host, DevNum dn)
{
        std::string base = "/sys/dev/block/" + dn.str();
        auto uevent = host.read_file(base + "/uevent", 64 * 1024);
        if (uevent) {
                ShellVars v;
                parse_shell_assignments(*uevent, v);
                auto it = v.find("DEVNAME");
                if (it != v.end() && !it->second.empty())
                        return "/dev/" + it->second;
        }
        auto canon = host.canonicalize(base);
        if (!canon)
                return Error{ENODEV, "No block device " + dn.str() + " (" + canon.error().message + ")"};
        return "/dev/" + std::string(path_basename(*canon));
}

std::string udev_encode(std::string_view s)
{
        static const char hex[] = "0123456789abcdef";
        std::string out;
        for (size_t i = 0; i < s.size(); i++) {
                unsigned char c = static_cast<unsigned char>(s[i]);
                bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                             std::string_view("#+-.:=@_").find(static_cast<char>(c)) != std::string_view::npos ||
                             c >= 0x80;
                if (c >= 0x80) {
                        // Valid multi-byte UTF-8 is kept; stray bytes are encoded like udev does.
                        std::string one = printable(s.substr(i, 1));
                        plain = false;
                        size_t n = 0;
                        if ((c & 0xe0) == 0xc0)
                                n = 2;
                        else if ((c & 0xf0) == 0xe0)
                                n = 3;
                        else if ((c & 0xf8) == 0xf0)
                                n = 4;
                        if (n && i + n <= s.size() && printable(s.substr(i, n)).find("\\x") == std::string::npos) {
                                out += s.substr(i, n);
                                i += n - 1;
                                continue;
                        }
                }
                if (plain) {
                        out.push_back(static_cast<char>(c));
                } else {
                        out += "\\x";
                        out.push_back(hex[c >> 4]);
                        out.push_back(hex[c & 15]);
                }
        }
        return out;
}

Result<ResolvedDevice> resolve_device(const Host &host, const DeviceSpec &spec,
                                      const std::vector<std::string> &candidates)
{
        auto finish = [&](const std::string &p) -> Result<ResolvedDevice> {
                auto canon = host.canonicalize(p);
                if (!canon)
                        return canon.error();
                ResolvedDevice d;
                d.path = *canon;
                if (auto dn = device_number(host, d.path))
                        d.devnum = *dn;
                return d;
        };

        switch (spec.kind) {
        case SpecKind::Path: {
                auto st = host.stat(spec.value);
                if (!st)
                        return Error{st.error().code, "Resume device '" + printable(spec.value) + "' does not exist (" +
                                                              st.error().message + ")"};
                if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode))
                        return Error{ENOTBLK, "'" + printable(spec.value) + "' is not a block device"};
                return finish(spec.value);
        }
        case SpecKind::Devnum: {
                DevNum dn{spec.major, spec.minor};
                auto p = devnum_to_path(host, dn);
                if (!p)
                        return p.error();
                ResolvedDevice d;
                auto canon = host.canonicalize(*p);
                d.path = canon ? *canon : *p;
                d.devnum = dn;
                return d;
        }
        default:
                break;
        }

        const char *dir = nullptr;
        const char *tag = nullptr;
        switch (spec.kind) {
        case SpecKind::Uuid: dir = "/dev/disk/by-uuid/"; tag = "UUID"; break;
        case SpecKind::PartUuid: dir = "/dev/disk/by-partuuid/"; tag = "PARTUUID"; break;
        case SpecKind::Label: dir = "/dev/disk/by-label/"; tag = "LABEL"; break;
        case SpecKind::PartLabel: dir = "/dev/disk/by-partlabel/"; tag = "PARTLABEL"; break;
        default: break;
        }
        std::string link = std::string(dir) + udev_encode(spec.value);
        auto canon = host.canonicalize(link);
        if (canon)
                return finish(*canon);
        if (canon.error().code == ELOOP)
                return Error{ELOOP, "Cannot resolve " + std::string(tag) + "=" + printable(spec.value) + ": " +
                                            canon.error().message};

        // No udev link: probe the candidates (active swaps, image files in fixture roots).
        for (auto &c : candidates) {
                auto info = probe_device(host, c);
                if (!info)
                        continue;
                std::optional<std::string> v;
                switch (spec.kind) {
                case SpecKind::Uuid: v = info->uuid; break;
                case SpecKind::PartUuid: v = info->part_uuid; break;
                case SpecKind::Label: v = info->label; break;
                case SpecKind::PartLabel: v = info->part_label; break;
                default: break;
                }
                if (!v)
                        continue;
                std::string have = *v;
                if (spec.kind == SpecKind::Uuid || spec.kind == SpecKind::PartUuid)
                        for (auto &ch : have)
                                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (have == spec.value)
                        return finish(c);
        }
        // On the real root, libblkid's cache knows devices without udev links too.
        if (host.is_real_root()) {
                std::string t = std::string(tag) + "=" + spec.value;
                char *dev = blkid_evaluate_tag(t.c_str(), nullptr, nullptr);
                if (dev) {
                        std::string p(dev);
                        free(dev);
                        return finish(p);
                }
        }
        return Error{ENODEV, "No device with " + std::string(tag) + "=" + printable(spec.value) + " (looked in " + dir +
                                     " and probed " + std::to_string(candidates.size()) + " candidates)"};
}

}  // namespace ht
