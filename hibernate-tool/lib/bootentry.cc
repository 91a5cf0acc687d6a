// SPDX-License-Identifier: LGPL-2.1-or-later
#include "spawn.hh"
#include "bootentry.hh"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <libmount.h>
#include <linux/fs.h>
#include <memory>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "devices.hh"
#include "fiemap.hh"
#include "grubenv-disk.hh"
#include "host.hh"
#include "mounts.hh"
#include "parse.hh"
#include "sdboot.hh"
#include "testhooks.hh"


namespace ht {

// ---- pure parsers -------------------------------------------------------------------------

std::optional<std::string> bzimage_release(std::string_view head)
{
        if (head.size() < 0x210 || head.substr(0x202, 4) != "HdrS")
                return std::nullopt;
        auto b = reinterpret_cast<const unsigned char *>(head.data());
        size_t off = static_cast<size_t>(b[0x20e]) | (static_cast<size_t>(b[0x20f]) << 8);
        if (off == 0)
                return std::nullopt;
        off += 0x200;
        if (off >= head.size())
                return std::nullopt;
        std::string rel;
        for (size_t i = off; i < head.size() && rel.size() < 256; i++) {
                char c = head[i];
                if (c == '\0' || c == ' ')
                        break;
                if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
                        return std::nullopt;
                rel.push_back(c);
        }
        if (rel.empty())
                return std::nullopt;
        return rel;
}

static constexpr std::string_view GRUBENV_SIG = "# GRUB Environment Block\n";

std::optional<std::string> GrubEnv::get(const std::string &name) const
{
        for (auto &[k, v] : vars)
                if (k == name)
                        return v;
        return std::nullopt;
}

void GrubEnv::set(const std::string &name, const std::string &value)
{
        for (auto &[k, v] : vars)
                if (k == name) {
                        v = value;
                        return;
                }
        vars.emplace_back(name, value);
}

void GrubEnv::unset(const std::string &name)
{
        std::erase_if(vars, [&](auto &kv) { return kv.first == name; });
}

Result<GrubEnv> parse_grubenv(std::string_view block)
{
        if (block.size() < GRUBENV_SIG.size() || block.substr(0, GRUBENV_SIG.size()) != GRUBENV_SIG)
                return Error{EINVAL, "not a GRUB environment block (signature missing)"};
        if (block.size() > 64 * 1024)
                return Error{EFBIG, "GRUB environment block is too large"};
        GrubEnv env;
        size_t i = GRUBENV_SIG.size();
        while (i < block.size()) {
                if (block[i] == '#') {  // comment or padding: skip the line
                        size_t nl = block.find('\n', i);
                        if (nl == std::string_view::npos)
                                break;
                        i = nl + 1;
                        continue;
                }
                // name=value with backslash escapes up to an unescaped newline
                size_t eq = block.find('=', i);
                size_t nl = block.find('\n', i);
                if (eq == std::string_view::npos || (nl != std::string_view::npos && nl < eq))
                        return Error{EINVAL, "malformed GRUB environment block (a line without '=')"};
                std::string name(block.substr(i, eq - i));
                if (name.empty())
                        return Error{EINVAL, "malformed GRUB environment block (empty variable name)"};
                std::string value;
                size_t j = eq + 1;
                bool ended = false;
                while (j < block.size()) {
                        char c = block[j];
                        if (c == '\\' && j + 1 < block.size()) {
                                value.push_back(block[j + 1]);
                                j += 2;
                                continue;
                        }
                        if (c == '\n') {
                                ended = true;
                                j++;
                                break;
                        }
                        value.push_back(c);
                        j++;
                }
                if (!ended)
                        return Error{EINVAL, "malformed GRUB environment block (unterminated variable " + name + ")"};
                env.vars.emplace_back(std::move(name), std::move(value));
                i = j;
        }
        return env;
}

Result<std::string> format_grubenv(const GrubEnv &env)
{
        std::string out(GRUBENV_SIG);
        for (auto &[k, v] : env.vars) {
                if (k.empty() || k.find_first_of("=\n\\#") != std::string::npos)
                        return Error{EINVAL, "invalid GRUB environment variable name '" + printable(k) + "'"};
                out += k;
                out += '=';
                for (char c : v) {
                        if (c == '\\' || c == '\n')
                                out += '\\';
                        out += c;
                }
                out += '\n';
        }
        if (out.size() > GRUBENV_SIZE)
                return Error{EFBIG, "the GRUB environment block would exceed 1024 bytes"};
        out.append(GRUBENV_SIZE - out.size(), '#');
        return out;
}

BlsEntry parse_bls_entry(std::string id, std::string_view text)
{
        BlsEntry e;
        e.id = std::move(id);
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                size_t a = line.find_first_not_of(" \t");
                if (a == std::string_view::npos || line[a] == '#')
                        continue;
                size_t b = line.find_first_of(" \t", a);
                std::string_view key = line.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a);
                std::string_view val;
                if (b != std::string_view::npos) {
                        size_t c = line.find_first_not_of(" \t", b);
                        if (c != std::string_view::npos) {
                                val = line.substr(c);
                                while (!val.empty() && (val.back() == ' ' || val.back() == '\t' || val.back() == '\r'))
                                        val.remove_suffix(1);
                        }
                }
                if (key == "title")
                        e.title = val;
                else if (key == "version")
                        e.version = val;
                else if (key == "linux")
                        e.linux = val;
                else if (key == "options")
                        e.options = e.options.empty() ? std::string(val) : e.options + " " + std::string(val);
        }
        return e;
}

const char *boot_loader_name(BootLoader b)
{
        switch (b) {
        case BootLoader::Grub: return "grub";
        case BootLoader::SystemdBoot: return "systemd-boot";
        default: return "none";
        }
}

// ---- /boot access ----------------------------------------------------------------------------

namespace {

struct CtxDeleter {
        void operator()(libmnt_context *c) const { mnt_free_context(c); }
};
struct TableDeleter {
        void operator()(libmnt_table *t) const { mnt_unref_table(t); }
};

bool mounted_at(const Host &host, const std::string &target)
{
        auto m = read_mountinfo(host);
        if (!m)
                return false;
        return std::any_of(m->begin(), m->end(), [&](auto &e) { return e.target == target; });
}

}  // namespace

Result<BootAccess> BootAccess::open(const Host &host)
{
        BootAccess a(host);
        // Only the running system's /boot is mounted; a --root target is the caller's.
        if (!host.is_real_root() || !host.exists("/etc/fstab"))
                return a;
        std::unique_ptr<libmnt_table, TableDeleter> tb(mnt_new_table());
        if (!tb || mnt_table_parse_fstab(tb.get(), host.path("/etc/fstab").c_str()) < 0)
                return Error{EINVAL, "cannot parse /etc/fstab"};
        libmnt_fs *fs = mnt_table_find_target(tb.get(), "/boot", MNT_ITER_FORWARD);
        if (!fs)
                return a;  // /boot is a directory of the root filesystem
        a.mountpoint_ = "/boot";
        if (mounted_at(host, "/boot"))
                return a;
        const char *src = mnt_fs_get_source(fs);
        if (!src)
                return Error{EINVAL, "/etc/fstab: the /boot entry has no source"};
        auto spec = parse_device_spec(src);
        if (!spec)
                return Error{EINVAL, std::string("/etc/fstab: /boot source '") + src + "': " + spec.error().message};
        auto dev = resolve_device(host, *spec);
        if (!dev)
                return Error{ENODEV, std::string("/boot (") + src + ") is not mounted and its device is missing: " +
                                             dev.error().message};
        std::unique_ptr<libmnt_context, CtxDeleter> cx(mnt_new_context());
        if (!cx)
                return Error{ENOMEM, "libmount: out of memory"};
        mnt_context_disable_mtab(cx.get(), 1);
        mnt_context_set_source(cx.get(), host.path(dev->path).c_str());
        mnt_context_set_target(cx.get(), host.path("/boot").c_str());
        if (const char *t = mnt_fs_get_fstype(fs); t && std::strcmp(t, "auto") != 0)
                mnt_context_set_fstype(cx.get(), t);
        if (const char *o = mnt_fs_get_fs_options(fs); o && *o)
                mnt_context_set_options(cx.get(), o);
        int r = mnt_context_mount(cx.get());
        if (r != 0 || mnt_context_get_status(cx.get()) != 1) {
                int err = mnt_context_get_syscall_errno(cx.get());
                return Error{err ? err : EIO, "cannot mount /boot (" + dev->path + ")" +
                                                      (err ? std::string(": ") + std::strerror(err) : std::string())};
        }
        a.mounted_by_us_ = true;
        return a;
}

BootAccess::BootAccess(BootAccess &&o) noexcept
    : host_(o.host_), mountpoint_(std::move(o.mountpoint_)), mounted_by_us_(o.mounted_by_us_)
{
        o.mounted_by_us_ = false;
}

Status BootAccess::close()
{
        if (!mounted_by_us_)
                return ok_status();
        mounted_by_us_ = false;
        std::string p = host_->path(mountpoint_);
        if (auto fd = host_->open_dir(mountpoint_))
                (void) ::syncfs(fd->get());
        std::unique_ptr<libmnt_context, CtxDeleter> cx(mnt_new_context());
        if (!cx)
                return Error{ENOMEM, "libmount: out of memory"};
        mnt_context_disable_mtab(cx.get(), 1);
        mnt_context_set_target(cx.get(), p.c_str());
        int r = mnt_context_umount(cx.get());
        if (r != 0 || mnt_context_get_status(cx.get()) != 1) {
                int err = mnt_context_get_syscall_errno(cx.get());
                return Error{err ? err : EIO, "cannot unmount /boot" + (err ? std::string(": ") + std::strerror(err) : std::string())};
        }
        return ok_status();
}

BootAccess::~BootAccess()
{
        (void)close();
}

// ---- durable writes --------------------------------------------------------------------------

Status write_boot_file(const Host &host, const std::string &abs, std::string_view content, mode_t mode)
{
        if (auto st = host.write_file_atomic(abs, content, mode); !st)
                return st;
        // A fixture or installer root: write_file_atomic's fsyncs suffice (syncfs or a
        // freeze would hit the test machine's or installer's own filesystem).
        if (!host.is_real_root())
                return ok_status();
        auto canon = host.canonicalize(abs);
        if (!canon)
                return canon.error();
        std::string dir = path_dirname(*canon);
        auto dfd = host.open_dir(dir);
        if (!dfd)
                return dfd.error();
        struct ::stat dst, rst;
        if (::fstat(dfd->get(), &dst) < 0 || ::stat("/", &rst) < 0)
                return Error::from_errno(errno, "cannot stat the filesystem of " + dir);
        // Freezing checkpoints the journal so that the new directory entry and inode are in
        // their home locations, where GRUB's reader (which ignores the journal) finds them.
        // Never on the filesystem holding "/": a kill between freeze and thaw would hang
        // the whole machine. There, syncfs is all we do (grubenv is rewritten in place
        // instead, see grubenv_set_next_entry()).
        // btrfs: every subvolume has its own st_dev, so a /boot subvolume of the root
        // filesystem would look separate; and a btrfs commit (syncfs) writes the trees
        // GRUB reads. So btrfs is never frozen.
        struct ::statfs dsfs;
        bool btrfs = ::fstatfs(dfd->get(), &dsfs) == 0 && static_cast<unsigned long>(dsfs.f_type) == BTRFS_SUPER_MAGIC;
        if (!btrfs && dst.st_dev != rst.st_dev && ::ioctl(dfd->get(), FIFREEZE, 0) == 0) {
                if (::ioctl(dfd->get(), FITHAW, 0) != 0)
                        return Error::from_errno(errno, "cannot thaw the filesystem of " + dir);
                return ok_status();
        }
        if (::syncfs(dfd->get()) != 0)
                return Error::from_errno(errno, "syncfs " + dir);
        return ok_status();
}

Result<bool> grubenv_write_in_place(const Host &host, const std::string &abs, std::string_view bytes)
{
        if (bytes.size() != GRUBENV_SIZE)
                return false;
        auto st = host.stat(abs);
        if (!st)
                return st.error().code == ENOENT ? Result<bool>(false) : Result<bool>(st.error());
        if (!S_ISREG(st->st_mode) || st->st_size != static_cast<off_t>(GRUBENV_SIZE))
                return false;
        auto fd = host.open(abs, O_RDWR);
        if (!fd)
                return fd.error();
        auto phys = grubenv_block_physical(host, fd->get(), abs);
        if (!phys)
                return phys.error();
        if (!*phys)
                return false;
        auto before = file_extents(fd->get(), GRUBENV_SIZE);
        if (!before)
                return false;
        if (auto w = pwrite_full(fd->get(), bytes, 0, abs); !w)
                return w.error();
        kill_point("grubenv-written");  // written, not yet synced
        if (::fdatasync(fd->get()) < 0)
                return Error::from_errno(errno, "cannot sync " + abs);
        auto after = file_extents(fd->get(), GRUBENV_SIZE);
        if (!after || *after != *before)
                return false;  // it moved after all: the caller replaces it the checkpointed way
        char check[GRUBENV_SIZE];
        if (::pread(fd->get(), check, sizeof check, 0) != static_cast<ssize_t>(sizeof check) ||
            std::memcmp(check, bytes.data(), sizeof check) != 0)
                return Error{EIO, abs + " does not read back what was written"};
        return true;
}

Result<std::optional<std::string>> grubenv_set_next_entry(const Host &host, const GrubEnvPlace &place,
                                                          const std::optional<std::string> &value, bool *in_place_out)
{
        GrubEnv env;
        if (host.exists(place.path)) {
                auto t = host.read_file(place.path, 64 * 1024);
                if (!t)
                        return t.error();
                auto e = parse_grubenv(*t);
                if (!e)
                        return Error{e.error().code, place.path + ": " + e.error().message};
                env = std::move(*e);
        }
        auto prev = env.get("next_entry");
        if (prev && prev->empty())
                prev.reset();
        if (value)
                env.set("next_entry", *value);
        else
                env.unset("next_entry");
        auto bytes = format_grubenv(env);
        if (!bytes)
                return Error{bytes.error().code, place.path + ": " + bytes.error().message};
        auto in_place = grubenv_write_in_place(host, place.path, *bytes);
        if (!in_place)
                return in_place.error();
        if (!*in_place)
                if (auto st = write_boot_file(host, place.path, *bytes); !st)
                        return st.error();
        if (in_place_out)
                *in_place_out = *in_place;
        return prev;
}

std::optional<std::string> grubenv_next_entry(const Host &host, const GrubEnvPlace &place)
{
        auto t = host.read_file(place.path, 64 * 1024);
        if (!t)
                return std::nullopt;
        auto e = parse_grubenv(*t);
        if (!e)
                return std::nullopt;
        auto v = e->get("next_entry");
        if (v && v->empty())
                return std::nullopt;
        return v;
}

static Status run_tool(const std::vector<std::string> &argv)
{
        SpawnOptions so;
        so.timeout_ms = 30000;
        auto r = spawn_wait(argv, so);
        if (!r)
                return Error{r.error().code, "cannot run " + argv[0] + ": " + r.error().message};
        if (r->status != 0 || r->timed_out)
                return Error{EIO, spawn_failure(argv[0] + (argv.size() > 1 ? " " + argv[1] : ""), *r, so.timeout_ms)};
        return ok_status();
}

Status sdboot_set_oneshot(const Host &host, const std::string &id)
{
        if (!host.is_real_root())
                return Error{ENOTSUP, "the systemd-boot one-shot entry is an EFI variable of the running machine"};
        return run_tool({"bootctl", "set-oneshot", id});
}

// ---- finding the entry --------------------------------------------------------------------------

std::optional<std::string> grub_config_path(const Host &host)
{
        for (const char *p : {"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"})
                if (host.exists(p))
                        return std::string(p);
        return std::nullopt;
}

std::optional<std::string> read_loader_efi_string(const Host &host, const std::string &name)
{
        auto v = host.read_file("/sys/firmware/efi/efivars/" + name + "-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", 4096);
        if (!v)
                return std::nullopt;
        std::string out;
        for (size_t i = 4; i + 1 < v->size(); i += 2) {
                char lo = (*v)[i], hi = (*v)[i + 1];
                if (lo == 0 && hi == 0)
                        break;
                out.push_back(hi == 0 && static_cast<unsigned char>(lo) < 0x80 ? lo : '?');
        }
        return out;
}

bool is_recovery(const std::string &title, const std::string &cmdline)
{
        std::string t = title;
        std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
        if (t.find("recovery") != std::string::npos || t.find("rescue") != std::string::npos ||
            t.find("fallback") != std::string::npos)
                return true;
        Cmdline c(cmdline);
        return c.has_flag("single") || c.has_flag("emergency") || c.value("systemd.unit").has_value();
}

// The kernel file as the running system sees it: GRUB paths are relative to the
// filesystem GRUB reads them from (a separate /boot, a btrfs subvolume, or /).
std::optional<std::string> kernel_file(const Host &host, std::string path)
{
        if (!path.empty() && path[0] == '(') {  // (hd0,msdos1)/vmlinuz
                auto p = path.find(')');
                if (p == std::string::npos)
                        return std::nullopt;
                path = path.substr(p + 1);
        }
        if (path.empty() || path[0] != '/')
                path = "/" + path;
        std::vector<std::string> cands = {"/boot" + path, path};
        // "/@/boot/vmlinuz-…" (btrfs subvolume prefix): drop leading components in turn.
        for (size_t p = path.find('/', 1); p != std::string::npos; p = path.find('/', p + 1)) {
                cands.push_back(path.substr(p));
                cands.push_back("/boot" + path.substr(p));
        }
        for (auto &c : cands)
                if (auto st = host.stat(c); st && S_ISREG(st->st_mode))
                        return c;
        return std::nullopt;
}

bool boots_release(const Host &host, const std::string &kernel, const std::string &release)
{
        std::string base(path_basename(kernel));
        if (base == "vmlinuz-" + release || base == "vmlinux-" + release || base == "bzImage-" + release ||
            base == "kernel-" + release)
                return true;
        auto f = kernel_file(host, kernel);
        if (!f)
                return false;
        auto st = host.stat(*f);
        if (!st || st->st_size < 0x210)
                return false;
        auto head = host.read_at(*f, 0, static_cast<size_t>(std::min<off_t>(st->st_size, 0x4000)));
        if (!head)
                return false;
        auto r = bzimage_release(*head);
        return r && *r == release;
}

namespace {

GrubEnvPlace grubenv_place(const Host &host, const std::string &grubdir)
{
        GrubEnvPlace p;
        p.path = grubdir + "/grubenv";
        p.exists = host.exists(p.path);
        auto mounts = read_mountinfo(host);
        if (!mounts) {
                p.why_not = "the mount table cannot be read";
                return p;
        }
        // A grubenv that is a symlink (e.g. into the ESP) is written at its target: judge
        // the filesystem that holds the target.
        std::string where = grubdir;
        if (auto c = host.canonicalize(p.path, true))
                where = path_dirname(*c);
        auto m = mount_containing(*mounts, where);
        if (!m) {
                p.why_not = "no filesystem holds " + where;
                return p;
        }
        p.fstype = m->fstype;
        p.source = m->source;
        static const char *ok_fs[] = {"ext2", "ext3", "ext4", "xfs", "vfat", "jfs", "reiserfs"};
        if (std::find_if(std::begin(ok_fs), std::end(ok_fs), [&](const char *t) { return p.fstype == t; }) ==
            std::end(ok_fs)) {
                p.why_not = "GRUB cannot write its environment block on " + p.fstype;
                return p;
        }
        // device-mapper (LVM, dm-crypt) and md RAID: GRUB reads but does not write there.
        std::string sysdir = "/sys/dev/block/" + std::to_string(m->devnum.major) + ":" + std::to_string(m->devnum.minor);
        if (host.exists(sysdir + "/dm")) {
                p.why_not = "GRUB cannot write its environment block on device-mapper (LVM, dm-crypt) devices";
                return p;
        }
        if (host.exists(sysdir + "/md")) {
                p.why_not = "GRUB cannot write its environment block on md RAID";
                return p;
        }
        p.grub_can_write = true;
        return p;
}

// The BLS entry that boots `release` (kernel path under `prefix`), recovery entries last.
const BlsEntry *pick_bls(const Host &host, const std::vector<BlsEntry> &entries, const std::string &prefix,
                         const std::string &release)
{
        const BlsEntry *best = nullptr;
        for (auto &e : entries) {
                if (!(e.version == release || boots_release(host, prefix + e.linux, release)))
                        continue;
                if (!best || (is_recovery(best->title, best->options) && !is_recovery(e.title, e.options)))
                        best = &e;
        }
        return best;
}


}  // namespace

Result<std::vector<BlsEntry>> read_bls_dir(const Host &host, const std::string &dir)
{
        auto names = host.list_dir(dir);
        if (!names)
                return names.error();
        std::vector<BlsEntry> out;
        for (auto &n : *names) {
                if (n.size() <= 5 || n.substr(n.size() - 5) != ".conf")
                        continue;
                auto t = host.read_file(dir + "/" + n, 64 * 1024);
                if (!t)
                        continue;
                out.push_back(parse_bls_entry(n.substr(0, n.size() - 5), *t));
        }
        // Newest first, as the boot loaders sort (version descending, then id).
        std::sort(out.begin(), out.end(), [](auto &a, auto &b) {
                if (a.version != b.version)
                        return a.version > b.version;
                return a.id > b.id;
        });
        return out;
}

Result<BootTarget> find_boot_target(const Host &host, const std::string &release)
{
        if (release.empty())
                return Error{EINVAL, "the running kernel's release is unknown"};

        // systemd-boot: it says so in LoaderInfo, or (no LoaderInfo: --root, a chroot)
        // there is no GRUB configuration but kernel-install's entries on the ESP / XBOOTLDR.
        if (efi_loader_is_sdboot(host) || (!grub_config_path(host) && has_loader_entries(host)))
                return find_sdboot_target(host, release);

        auto found = grub_config_path(host);
        if (!found)
                return Error{ENOENT, "no GRUB configuration (/boot/grub/grub.cfg) and no systemd-boot found"};
        std::string cfgpath = *found;
        std::string grubdir = cfgpath.substr(0, cfgpath.rfind('/'));
        auto text = host.read_file(cfgpath, 16u << 20);
        if (!text)
                return text.error();
        BootTarget t;
        t.loader = BootLoader::Grub;
        t.config = cfgpath;
        t.env = grubenv_place(host, grubdir);

        if (text->find("blscfg") != std::string::npos && host.exists("/boot/loader/entries")) {
                auto entries = read_bls_dir(host, "/boot/loader/entries");
                if (!entries)
                        return entries.error();
                const BlsEntry *best = pick_bls(host, *entries, "", release);
                if (!best)
                        return Error{ESRCH, "no BLS entry in /boot/loader/entries boots kernel " + release};
                t.entry_id = best->id;
                t.title = best->title;
                t.kernel = best->linux;
                t.cmdline = best->options;
                return t;
        }

        auto entries = parse_grub_cfg(*text);
        const GrubEntry *best = nullptr;
        for (auto &e : entries) {
                if (e.kernel.empty() || !boots_release(host, e.kernel, release))
                        continue;
                if (!best || (is_recovery(best->title, best->cmdline) && !is_recovery(e.title, e.cmdline)))
                        best = &e;
                if (!is_recovery(best->title, best->cmdline))
                        break;
        }
        if (!best)
                return Error{ESRCH, "no entry in " + cfgpath + " boots the running kernel " + release};
        t.entry_id = best->submenu_path + (best->id.empty() ? best->title : best->id);
        t.title = best->title;
        t.kernel = best->kernel;
        t.cmdline = best->cmdline;
        return t;
}

}  // namespace ht
