// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/args.hh"

#include "cli.hh"
#include "host.hh"
#include "parse.hh"

namespace ht {

const char SETUP_USAGE[] =
        "Usage: hibernate-tool setup [--root DIR] [--dry-run] [--swap DEVICE | --swap-file PATH [--size SIZE|auto]]\n"
        "                            [--no-regenerate] [--undo] [--json[=MODE]]\n"
        "\n"
        "Configures hibernation: swap, resume= on the kernel command line (GRUB, grubby, or\n"
        "/etc/kernel/cmdline for systemd-boot and kernel-install), the initramfs.\n"
        "  --root DIR        work on the system mounted at DIR (commands run in a chroot)\n"
        "  --dry-run         show the diffs and commands, change nothing\n"
        "  --swap DEVICE     use this swap partition (/dev/…, UUID=, LABEL=, PARTUUID=)\n"
        "  --swap-file PATH  use (or create) this swap file\n"
        "  --size SIZE|auto  size of a new swap file (K/M/G suffixes; auto: RAM + sqrt(RAM))\n"
        "  --no-regenerate   do not run update-grub, update-initramfs/dracut or kernel-install add\n"
        "  --undo            restore every file setup changed, remove a swap file it created\n"
        "  --json[=MODE]     print one JSON object: short (one line, the default) or pretty\n"
        "  -h, --help        show this help\n"
        "  --version         show the version\n"
        "\n"
        "Exit status: 0 done or nothing to change, 1 refused (nothing changed), 2 usage or internal error.\n";

namespace {
bool no_ctl(const std::string &v)
{
        for (char c : v)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                        return false;
        return true;
}
}  // namespace

Result<SetupOptions> parse_setup_args(const std::vector<std::string> &args)
{
        SetupOptions o;
        ArgScanner a(args);
        while (a.next()) {
                Status st = ok_status();
                auto common = scan_common_option(a, o, JsonStyle::Short, false);
                if (!common)
                        return common.error();
                if (*common)
                        continue;
                if (a.is("--swap")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (o.swap)
                                return Error{EINVAL, "option '--swap' given twice"};
                        if (v->empty() || !no_ctl(*v))
                                return Error{EINVAL, "--swap needs a device (/dev/…, UUID=…, LABEL=…, PARTUUID=…)"};
                        auto spec = parse_device_spec(*v);
                        if (!spec)
                                return Error{EINVAL, "--swap: " + spec.error().message};
                        if (spec->kind == SpecKind::Devnum)
                                return Error{EINVAL, "--swap: name the device by path, UUID=, LABEL= or PARTUUID=, not MAJ:MIN"};
                        o.swap = *v;
                } else if (a.is("--swap-file")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (o.swap_file)
                                return Error{EINVAL, "option '--swap-file' given twice"};
                        if (v->empty() || (*v)[0] != '/' || !no_ctl(*v))
                                return Error{EINVAL, "--swap-file needs an absolute path"};
                        if (v->back() == '/' || path_basename(*v) == "." || path_basename(*v) == "..")
                                return Error{EINVAL, "--swap-file '" + printable(*v) + "' names a directory"};
                        if (v->size() > 4000)
                                return Error{EINVAL, "--swap-file path is too long"};
                        o.swap_file = *v;
                } else if (a.is("--size")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (o.size_given)
                                return Error{EINVAL, "option '--size' given twice"};
                        o.size_given = true;
                        if (*v == "auto") {
                                o.size_auto = true;
                        } else {
                                auto b = parse_size(*v);
                                if (!b)
                                        return Error{EINVAL, "--size '" + printable(*v) +
                                                                     "' is not a size (e.g. 8G, 512M, auto)"};
                                if (*b < SETUP_MIN_SIZE)
                                        return Error{EINVAL, "--size " + printable(*v) + " is too small (at least 16M)"};
                                if (*b > (1ull << 50))
                                        return Error{EINVAL, "--size " + printable(*v) + " is too large"};
                                o.size_auto = false;
                                o.size_bytes = *b;
                        }
                } else if (a.is("--dry-run")) {
                        st = a.flag(o.dry_run, true);
                } else if (a.is("--no-regenerate")) {
                        st = a.flag(o.no_regenerate, true);
                } else if (a.is("--undo")) {
                        st = a.flag(o.undo, true);
                } else {
                        return a.unexpected();
                }
                if (!st)
                        return st.error();
        }
        if (o.swap && o.swap_file)
                return Error{EINVAL, "--swap and --swap-file exclude each other"};
        if (o.size_given && !o.swap_file)
                return Error{EINVAL, "--size applies to --swap-file only"};
        if (o.undo && (o.swap || o.swap_file))
                return Error{EINVAL, "--undo takes no --swap or --swap-file"};
        return o;
}

}  // namespace ht
