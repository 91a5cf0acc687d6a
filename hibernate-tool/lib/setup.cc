// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup.hh"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <map>
#include <set>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmount.h>

#include "devices.hh"
#include "estimate.hh"
#include "fiemap.hh"
#include "host.hh"
#include "mounts.hh"

namespace ht {

// ---- arguments -------------------------------------------------------------------------

const char SETUP_USAGE[] =
        "Usage: hibernate-tool setup [--root DIR] [--dry-run] [--swap DEVICE | --swap-file PATH [--size SIZE|auto]]\n"
        "                            [--no-regenerate] [--undo] [--json]\n"
        "\n"
        "Configures hibernation: swap, resume= on the kernel command line, the initramfs.\n"
        "  --root DIR        work on the system mounted at DIR (commands run in a chroot)\n"
        "  --dry-run         show the diffs and commands, change nothing\n"
        "  --swap DEVICE     use this swap partition (/dev/…, UUID=, LABEL=, PARTUUID=)\n"
        "  --swap-file PATH  use (or create) this swap file\n"
        "  --size SIZE|auto  size of a new swap file (K/M/G suffixes; auto: RAM + sqrt(RAM))\n"
        "  --no-regenerate   do not run update-grub/grubby regeneration or update-initramfs/dracut\n"
        "  --undo            restore every file setup changed, remove a swap file it created\n"
        "  --json            print one JSON object\n"
        "  -h, --help        show this help\n"
        "\n"
        "Exit status: 0 done or nothing to change, 1 refused (nothing changed), 2 usage or internal error.\n";

Result<SetupOptions> parse_setup_args(const std::vector<std::string> &args)
{
        SetupOptions o;
        bool root_given = false;
        for (size_t i = 0; i < args.size(); i++) {
                std::string a = args[i];
                std::optional<std::string> inline_val;
                if (a.rfind("--", 0) == 0) {
                        auto eq = a.find('=');
                        if (eq != std::string::npos) {
                                inline_val = a.substr(eq + 1);
                                a.resize(eq);
                        }
                }
                auto need_value = [&](const char *name) -> Result<std::string> {
                        if (inline_val)
                                return *inline_val;
                        if (i + 1 >= args.size())
                                return Error{EINVAL, std::string("option '") + name + "' needs a value"};
                        return args[++i];
                };
                auto flag = [&](bool &dst, const char *name) -> Status {
                        if (inline_val)
                                return Error{EINVAL, std::string("option '") + name + "' takes no value"};
                        if (dst)
                                return Error{EINVAL, std::string("option '") + name + "' given twice"};
                        dst = true;
                        return ok_status();
                };
                auto no_ctl = [](const std::string &v) {
                        for (char c : v)
                                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                                        return false;
                        return true;
                };
                Status st = ok_status();
                if (a == "--root") {
                        auto v = need_value("--root");
                        if (!v)
                                return v.error();
                        if (v->empty() || !no_ctl(*v))
                                return Error{EINVAL, "--root needs a directory"};
                        if (root_given)
                                return Error{EINVAL, "option '--root' given twice"};
                        root_given = true;
                        o.root = *v;
                } else if (a == "--swap") {
                        auto v = need_value("--swap");
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
                } else if (a == "--swap-file") {
                        auto v = need_value("--swap-file");
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
                } else if (a == "--size") {
                        auto v = need_value("--size");
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
                } else if (a == "--dry-run") {
                        st = flag(o.dry_run, "--dry-run");
                } else if (a == "--no-regenerate") {
                        st = flag(o.no_regenerate, "--no-regenerate");
                } else if (a == "--undo") {
                        st = flag(o.undo, "--undo");
                } else if (a == "--json") {
                        st = flag(o.json, "--json");
                } else if (a == "--help" || a == "-h") {
                        o.help = true;
                } else if (!a.empty() && a[0] == '-') {
                        return Error{EINVAL, "unknown option '" + printable(a) + "'"};
                } else {
                        return Error{EINVAL, "unexpected argument '" + printable(a) + "'"};
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

// ---- policy ------------------------------------------------------------------------

uint64_t round_up_size(uint64_t bytes)
{
        if (bytes > std::numeric_limits<uint64_t>::max() - SETUP_SIZE_ALIGN)
                return std::numeric_limits<uint64_t>::max() / SETUP_SIZE_ALIGN * SETUP_SIZE_ALIGN;
        return (bytes + SETUP_SIZE_ALIGN - 1) / SETUP_SIZE_ALIGN * SETUP_SIZE_ALIGN;
}

uint64_t auto_swap_size(uint64_t ram_bytes)
{
        constexpr double GiB = 1024.0 * 1024.0 * 1024.0;
        if (ram_bytes > (1ull << 52))
                ram_bytes = 1ull << 52;
        double extra = std::sqrt(static_cast<double>(ram_bytes) / GiB) * GiB;
        uint64_t total = ram_bytes + static_cast<uint64_t>(std::ceil(extra));
        return std::max(round_up_size(total), SETUP_SIZE_ALIGN);
}

uint64_t swap_file_margin(uint64_t fs_bytes)
{
        return std::max<uint64_t>(64ull << 20, fs_bytes / 50);
}

// ---- text editing ------------------------------------------------------------------

std::string resume_kernel_args(std::string_view uuid, std::optional<uint64_t> offset)
{
        std::string s = "resume=UUID=" + std::string(uuid);
        if (offset)
                s += " resume_offset=" + std::to_string(*offset);
        return s;
}

std::optional<std::string> strip_resume_words(std::string_view cmdline)
{
        auto words = parse_cmdline(cmdline);
        bool found = false;
        std::string out;
        for (auto &w : words) {
                if (w.key == "resume" || w.key == "resume_offset") {
                        found = true;
                        continue;
                }
                if (!out.empty())
                        out += ' ';
                out += w.key;
                if (w.value) {
                        out += '=';
                        bool quote = w.value->empty() || w.value->find_first_of(" \t\n") != std::string::npos;
                        if (quote)
                                out += '"';
                        out += *w.value;
                        if (quote)
                                out += '"';
                }
        }
        if (!found)
                return std::nullopt;
        return out;
}

std::string shell_double_quote(std::string_view s)
{
        std::string out = "\"";
        for (char c : s) {
                if (c == '\\' || c == '"' || c == '$' || c == '`')
                        out += '\\';
                out += c;
        }
        out += '"';
        return out;
}

namespace {
std::string var(const ShellVars &v, const char *name)
{
        auto it = v.find(name);
        return it == v.end() ? std::string() : it->second;
}
}  // namespace

std::string grub_resume_assignments(const ShellVars &vars, std::string_view args)
{
        std::string lin = var(vars, "GRUB_CMDLINE_LINUX");
        std::string def = var(vars, "GRUB_CMDLINE_LINUX_DEFAULT");
        auto lin_clean = strip_resume_words(lin);
        auto def_clean = strip_resume_words(def);
        std::string out;
        if (!lin_clean && !def_clean) {
                out += "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} " + std::string(args) + "\"\n";
                return out;
        }
        out += "# resume= was already set; it is replaced (hibernate-tool setup --undo restores it)\n";
        std::string base = lin_clean ? *lin_clean : lin;
        out += "GRUB_CMDLINE_LINUX=" + shell_double_quote(base.empty() ? std::string(args) : base + " " + std::string(args)) + "\n";
        if (def_clean)
                out += "GRUB_CMDLINE_LINUX_DEFAULT=" + shell_double_quote(*def_clean) + "\n";
        return out;
}

std::string grub_dropin_text(const ShellVars &vars, std::string_view args)
{
        return "# Written by hibernate-tool setup: resume from hibernation on every kernel entry.\n"
               "# Removed by hibernate-tool setup --undo; run update-grub after editing.\n" +
               grub_resume_assignments(vars, args);
}

namespace {
// Byte ranges [begin, end) of the marked block (whole lines), or npos begin when none.
struct BlockPos {
        size_t begin = std::string::npos, end = std::string::npos;
        bool malformed = false;
};
BlockPos find_block(std::string_view text)
{
        BlockPos p;
        size_t i = 0;
        while (i < text.size()) {
                size_t nl = text.find('\n', i);
                size_t le = nl == std::string_view::npos ? text.size() : nl + 1;
                std::string_view line = text.substr(i, (nl == std::string_view::npos ? text.size() : nl) - i);
                while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
                        line.remove_suffix(1);
                if (line == GRUB_BLOCK_BEGIN) {
                        if (p.begin != std::string::npos) {
                                p.malformed = true;
                                return p;
                        }
                        p.begin = i;
                } else if (line == GRUB_BLOCK_END) {
                        if (p.begin == std::string::npos || p.end != std::string::npos) {
                                p.malformed = true;
                                return p;
                        }
                        p.end = le;
                }
                i = le;
        }
        if (p.begin != std::string::npos && p.end == std::string::npos)
                p.malformed = true;
        return p;
}
}  // namespace

std::optional<std::string> grub_default_without_block(std::string_view text)
{
        auto p = find_block(text);
        if (p.malformed)
                return std::nullopt;
        if (p.begin == std::string::npos)
                return std::string(text);
        return std::string(text.substr(0, p.begin)) + std::string(text.substr(p.end));
}

std::optional<std::string> grub_default_with_block(std::string_view text, std::string_view assignments)
{
        auto p = find_block(text);
        if (p.malformed)
                return std::nullopt;
        std::string block;
        if (!assignments.empty()) {
                block = std::string(GRUB_BLOCK_BEGIN) + "\n";
                block += assignments;
                if (block.back() != '\n')
                        block += '\n';
                block += std::string(GRUB_BLOCK_END) + "\n";
        }
        if (p.begin != std::string::npos)
                return std::string(text.substr(0, p.begin)) + block + std::string(text.substr(p.end));
        if (block.empty())
                return std::string(text);
        std::string out(text);
        if (!out.empty() && out.back() != '\n')
                out += '\n';
        return out + block;
}

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

std::string config_dropin_text(std::string_view uuid, std::optional<uint64_t> offset)
{
        std::string s = "# Written by hibernate-tool setup (hibernate-tool setup --undo removes it).\n"
                        "[resume]\n"
                        "device = \"UUID=" + std::string(uuid) + "\"\n";
        if (offset)
                s += "offset = " + std::to_string(*offset) + "\n";
        return s;
}

std::string fstab_append_swap(std::string_view fstab, std::string_view source)
{
        std::string out(fstab);
        if (!out.empty() && out.back() != '\n')
                out += '\n';
        out += std::string(source) + " none swap defaults 0 0\n";
        return out;
}

// ---- manifest ------------------------------------------------------------------------

namespace {
std::string pct_encode(std::string_view s)
{
        static const char hex[] = "0123456789ABCDEF";
        std::string out;
        for (unsigned char c : s) {
                if (c <= 0x20 || c == '%' || c >= 0x7f) {
                        out += '%';
                        out += hex[c >> 4];
                        out += hex[c & 15];
                } else {
                        out += static_cast<char>(c);
                }
        }
        return out.empty() ? "%" : out;  // "%" alone: the empty string
}
std::optional<std::string> pct_decode(std::string_view s)
{
        if (s == "%")
                return std::string();
        std::string out;
        for (size_t i = 0; i < s.size(); i++) {
                if (s[i] != '%') {
                        out += s[i];
                        continue;
                }
                if (i + 2 >= s.size())
                        return std::nullopt;
                auto hv = [](char c) -> int {
                        if (c >= '0' && c <= '9')
                                return c - '0';
                        if (c >= 'A' && c <= 'F')
                                return c - 'A' + 10;
                        if (c >= 'a' && c <= 'f')
                                return c - 'a' + 10;
                        return -1;
                };
                int h = hv(s[i + 1]), l = hv(s[i + 2]);
                if (h < 0 || l < 0)
                        return std::nullopt;
                out += static_cast<char>(h * 16 + l);
                i += 2;
        }
        return out;
}
std::vector<std::string_view> fields(std::string_view line)
{
        std::vector<std::string_view> f;
        size_t i = 0;
        while (i < line.size()) {
                while (i < line.size() && line[i] == ' ')
                        i++;
                size_t j = i;
                while (j < line.size() && line[j] != ' ')
                        j++;
                if (j > i)
                        f.push_back(line.substr(i, j - i));
                i = j;
        }
        return f;
}
bool abs_clean(const std::string &p)
{
        return !p.empty() && p[0] == '/' && p.find('\0') == std::string::npos;
}
}  // namespace

std::string format_manifest(const Manifest &m)
{
        std::string s = "hibernate-tool-setup-manifest 1\n";
        for (auto &d : m.created_dirs)
                s += "dir " + pct_encode(d) + "\n";
        for (auto &f : m.files) {
                char mode[16];
                std::snprintf(mode, sizeof mode, "%04o", f.mode & 07777);
                s += "file " + std::string(f.existed ? "1" : "0") + " " + mode + " " +
                     pct_encode(f.existed ? f.orig : std::string("-")) + " " + pct_encode(f.path) + "\n";
        }
        for (auto &f : m.created_swap_files)
                s += "swapfile " + pct_encode(f) + "\n";
        if (m.grubby)
                s += "grubby " + pct_encode(m.grubby_args) + "\n";
        s += "end\n";
        return s;
}

Result<Manifest> parse_manifest(std::string_view text)
{
        Manifest m;
        size_t i = 0;
        unsigned lineno = 0;
        bool header = false, end = false;
        std::set<std::string> seen;
        while (i < text.size()) {
                size_t nl = text.find('\n', i);
                if (nl == std::string_view::npos)
                        return Error{EINVAL, "setup manifest is truncated (no final newline)"};
                std::string_view line = text.substr(i, nl - i);
                i = nl + 1;
                lineno++;
                auto bad = [&](const char *why) {
                        return Error{EINVAL, "setup manifest line " + std::to_string(lineno) + ": " + why};
                };
                if (end)
                        return bad("data after 'end'");
                auto f = fields(line);
                if (!header) {
                        if (f.size() != 2 || f[0] != "hibernate-tool-setup-manifest")
                                return bad("not a hibernate-tool setup manifest");
                        if (f[1] != "1")
                                return bad("manifest of an unknown (newer) format");
                        header = true;
                        continue;
                }
                if (f.empty())
                        return bad("empty line");
                if (f[0] == "end" && f.size() == 1) {
                        end = true;
                } else if (f[0] == "dir" && f.size() == 2) {
                        auto p = pct_decode(f[1]);
                        if (!p || !abs_clean(*p))
                                return bad("bad directory path");
                        m.created_dirs.push_back(*p);
                } else if (f[0] == "file" && f.size() == 5) {
                        ManifestFile mf;
                        if (f[1] != "0" && f[1] != "1")
                                return bad("bad existed flag");
                        mf.existed = f[1] == "1";
                        unsigned mode = 0;
                        if (f[2].size() != 4)
                                return bad("bad mode");
                        for (char c : f[2]) {
                                if (c < '0' || c > '7')
                                        return bad("bad mode");
                                mode = mode * 8 + static_cast<unsigned>(c - '0');
                        }
                        mf.mode = mode;
                        auto orig = pct_decode(f[3]);
                        auto p = pct_decode(f[4]);
                        if (!orig || !p || !abs_clean(*p))
                                return bad("bad file entry");
                        if (mf.existed) {
                                if (orig->empty() || orig->find('/') != std::string::npos || *orig == "." ||
                                    *orig == ".." || *orig == "manifest")
                                        return bad("bad saved-copy name");
                                mf.orig = *orig;
                        } else if (*orig != "-") {
                                return bad("a new file has no saved copy");
                        }
                        mf.path = *p;
                        if (!seen.insert(mf.path).second)
                                return bad("file listed twice");
                        m.files.push_back(std::move(mf));
                } else if (f[0] == "swapfile" && f.size() == 2) {
                        auto p = pct_decode(f[1]);
                        if (!p || !abs_clean(*p) ||
                            std::find(m.created_swap_files.begin(), m.created_swap_files.end(), *p) !=
                                    m.created_swap_files.end())
                                return bad("bad swapfile entry");
                        m.created_swap_files.push_back(*p);
                } else if (f[0] == "grubby" && f.size() == 2) {
                        auto a = pct_decode(f[1]);
                        if (!a || m.grubby)
                                return bad("bad grubby entry");
                        m.grubby = true;
                        m.grubby_args = *a;
                } else {
                        return bad("unknown entry");
                }
        }
        if (!header)
                return Error{EINVAL, "setup manifest is empty"};
        if (!end)
                return Error{EINVAL, "setup manifest is truncated (no 'end')"};
        return m;
}

// ---- the run -------------------------------------------------------------------------

namespace {

constexpr std::string_view GRUB_DROPIN = "/etc/default/grub.d/hibernate-tool.cfg";
constexpr std::string_view GRUB_DEFAULT = "/etc/default/grub";
constexpr std::string_view ITOOLS_RESUME = "/etc/initramfs-tools/conf.d/resume";
constexpr std::string_view DRACUT_CONF = "/etc/dracut.conf.d/hibernate-tool-resume.conf";
constexpr std::string_view CONFIG_DROPIN = "/etc/hibernate-tool/hibernate.toml.d/50-setup.toml";
constexpr std::string_view FSTAB = "/etc/fstab";

void kill_point(const std::string &step)
{
        const char *k = std::getenv("HIBERNATE_TOOL_TEST_KILL_AT");
        if (k && step == k)
                ::raise(SIGKILL);
}

std::string shell_word(const std::string &s)
{
        if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,+@") ==
                                  std::string::npos)
                return s;
        std::string o = "'";
        for (char c : s) {
                if (c == '\'')
                        o += "'\\''";
                else
                        o += c;
        }
        return o + "'";
}

std::string join_cmd(const std::vector<std::string> &argv)
{
        std::string s;
        for (auto &a : argv) {
                if (!s.empty())
                        s += ' ';
                s += shell_word(a);
        }
        return s;
}

// Runs argv (PATH search), stdout → stderr so JSON on stdout stays clean. With chroot_dir,
// inside that root. Returns the exit status or an error.
Result<int> run_cmd(const std::vector<std::string> &argv, const std::string &chroot_dir = "",
                    std::string *capture = nullptr)
{
        int pipefd[2] = {-1, -1};
        if (capture && ::pipe2(pipefd, O_CLOEXEC) < 0)
                return Error::from_errno(errno, "pipe");
        std::fflush(stdout);
        std::fflush(stderr);
        pid_t pid = ::fork();
        if (pid < 0)
                return Error::from_errno(errno, "fork");
        if (pid == 0) {
                if (capture)
                        ::dup2(pipefd[1], 1);
                else
                        ::dup2(2, 1);
                if (!chroot_dir.empty()) {
                        if (::chroot(chroot_dir.c_str()) < 0 || ::chdir("/") < 0)
                                ::_exit(127);
                }
                ::setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
                std::vector<char *> a;
                for (auto &s : argv)
                        a.push_back(const_cast<char *>(s.c_str()));
                a.push_back(nullptr);
                ::execvp(a[0], a.data());
                ::_exit(127);
        }
        if (capture) {
                ::close(pipefd[1]);
                char buf[8192];
                ssize_t n;
                while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
                        if (n > 0 && capture->size() < (64u << 20))
                                capture->append(buf, static_cast<size_t>(n));
                ::close(pipefd[0]);
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return Error::from_errno(errno, "waitpid");
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Bind mounts /dev /proc /sys into a target root for the duration of a chroot command and
// unmounts them again on every path (destructor).
struct ChrootMounts {
        std::vector<std::string> mounted;
        Status mount_all(const std::string &root)
        {
                for (const char *d : {"/dev", "/proc", "/sys"}) {
                        std::string dst = root + d;
                        struct ::stat st;
                        if (::stat(dst.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
                                return Error{ENOENT, "'" + dst + "' is not a directory; cannot bind-mount " + d};
                        // Already a mount point (an installer prepared the target's /dev, /proc,
                        // /sys, e.g. with udev's /dev/disk links): use it as it is.
                        struct ::stat rst;
                        if (::stat(root.c_str(), &rst) == 0 && rst.st_dev != st.st_dev)
                                continue;
                        if (::mount(d, dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
                                return Error::from_errno(errno, std::string("Failed to bind-mount ") + d + " on '" + dst + "'");
                        mounted.push_back(dst);
                }
                return ok_status();
        }
        ~ChrootMounts()
        {
                for (auto it = mounted.rbegin(); it != mounted.rend(); ++it)
                        (void) ::umount2(it->c_str(), MNT_DETACH);
        }
};

std::string unified_diff(const std::string &path, const std::optional<std::string> &before,
                         const std::optional<std::string> &after)
{
        char a[] = "/tmp/hibernate-tool-diff-a-XXXXXX";
        char b[] = "/tmp/hibernate-tool-diff-b-XXXXXX";
        int fa = ::mkstemp(a), fb = ::mkstemp(b);
        std::string out;
        if (fa >= 0 && fb >= 0) {
                auto put = [](int fd, const std::optional<std::string> &s) {
                        if (!s)
                                return;
                        size_t off = 0;
                        while (off < s->size()) {
                                ssize_t n = ::write(fd, s->data() + off, s->size() - off);
                                if (n <= 0)
                                        return;
                                off += static_cast<size_t>(n);
                        }
                };
                put(fa, before);
                put(fb, after);
                auto r = run_cmd({"diff", "-u", "--label", before ? "a" + path : "/dev/null", "--label",
                                  after ? "b" + path : "/dev/null", a, b},
                                 "", &out);
                if (!r || (*r != 0 && *r != 1))
                        out.clear();
        }
        if (fa >= 0) {
                ::close(fa);
                ::unlink(a);
        }
        if (fb >= 0) {
                ::close(fb);
                ::unlink(b);
        }
        if (out.empty() && before != after) {  // no diff(1): whole files
                out = "--- " + (before ? "a" + path : std::string("/dev/null")) + "\n+++ " +
                      (after ? "b" + path : std::string("/dev/null")) + "\n";
                auto lines = [&](const std::optional<std::string> &s, char mark) {
                        if (!s)
                                return;
                        size_t i = 0;
                        while (i < s->size()) {
                                size_t nl = s->find('\n', i);
                                size_t e = nl == std::string::npos ? s->size() : nl;
                                out += mark + s->substr(i, e - i) + "\n";
                                i = e + 1;
                        }
                };
                lines(before, '-');
                lines(after, '+');
        }
        return out;
}

struct Planned {
        std::string path;
        std::optional<std::string> before;
        std::optional<std::string> after;  // nullopt: remove
        unsigned mode = 0644;
        std::string step;
};

struct Ctx {
        const SetupOptions &o;
        Host host;
        SetupReport &rep;
        void (*log)(const std::string &);
        size_t page = 4096;

        explicit Ctx(const SetupOptions &opt, SetupReport &r, void (*l)(const std::string &))
                : o(opt), host(opt.root), rep(r), log(l)
        {
                long p = ::sysconf(_SC_PAGESIZE);
                if (p > 0)
                        page = static_cast<size_t>(p);
        }
        void say(const std::string &s) const
        {
                if (log)
                        log(s);
        }
        bool in_root() const { return !host.is_real_root(); }
        bool is_file(std::string_view p) const
        {
                auto st = host.stat(p);
                return st && S_ISREG(st->st_mode);
        }
        bool is_dir(std::string_view p) const
        {
                auto st = host.stat(p);
                return st && S_ISDIR(st->st_mode);
        }
        std::optional<std::string> read(std::string_view p) const
        {
                auto r = host.read_file(p, 16u << 20);
                if (!r)
                        return std::nullopt;
                return *r;
        }
        std::string display_cmd(const std::vector<std::string> &argv) const
        {
                return in_root() ? "chroot " + shell_word(host.root()) + " " + join_cmd(argv) : join_cmd(argv);
        }
};

SetupReport &refuse(SetupReport &r, std::string msg, int code = SETUP_REFUSED)
{
        r.error = std::move(msg);
        r.exit_code = code;
        return r;
}

struct SwapInfo {
        bool file = false;
        std::string path;     // canonical in-root path (device or file)
        bool exists = true;   // file: already there
        uint64_t size = 0;
        std::string uuid;     // partition UUID or the file's filesystem UUID
        std::optional<uint64_t> offset;
        bool btrfs = false;
        std::string fs_source;  // file: the filesystem's device
        std::string fstab_source;  // what goes into fstab
};

std::string lower(std::string s)
{
        for (auto &c : s)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
}

// The filesystem UUID of the file system holding abs (mountinfo inside the root + libblkid).
Result<std::pair<std::string, std::string>> fs_uuid_of(const Ctx &c, const std::string &abs)
{
        auto mi = read_mountinfo(c.host);
        if (!mi)
                return Error{mi.error().code, "cannot read the mount table: " + mi.error().message};
        auto m = mount_containing(*mi, abs);
        if (!m || m->source.empty() || m->source[0] != '/')
                return Error{ENODEV, "cannot tell which block device holds '" + printable(abs) + "' (mount table)"};
        auto info = probe_device(c.host, m->source);
        if (!info) {
                // Not readable here (device cgroup, …): udev's by-uuid links know the UUID too.
                auto src = c.host.canonicalize(m->source);
                if (src)
                        if (auto names = c.host.list_dir("/dev/disk/by-uuid"))
                                for (auto &n : *names) {
                                        auto t = c.host.canonicalize("/dev/disk/by-uuid/" + n);
                                        if (t && *t == *src)
                                                return std::make_pair(lower(n), m->source);
                                }
                return Error{info.error().code, "cannot probe '" + printable(m->source) + "', the device of '" +
                                                        printable(abs) + "': " + info.error().message};
        }
        if (!info->uuid || info->uuid->empty())
                return Error{ENODEV, "the filesystem on '" + printable(m->source) + "' has no UUID"};
        return std::make_pair(lower(*info->uuid), m->source);
}

Status check_fs_for_swapfile(const Ctx &c, const std::string &dir_abs, SwapInfo &s)
{
        auto canon = c.host.canonicalize(dir_abs);
        if (!canon)
                return Error{canon.error().code, "the directory of the swap file: " + canon.error().message};
        std::string hdir = c.host.path(*canon);
        Fd fd(::open(hdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (fd.get() < 0)
                return Error::from_errno(errno, "cannot open '" + printable(dir_abs) + "'");
        struct ::statfs sfs;
        if (::fstatfs(fd.get(), &sfs) < 0)
                return Error::from_errno(errno, "statfs '" + printable(dir_abs) + "'");
        auto magic = static_cast<unsigned long>(sfs.f_type);
        if (magic != EXT4_SUPER_MAGIC && magic != XFS_SUPER_MAGIC && magic != BTRFS_SUPER_MAGIC &&
            magic != F2FS_SUPER_MAGIC) {
                char b[32];
                std::snprintf(b, sizeof b, "0x%lx", magic);
                return Error{EOPNOTSUPP, "'" + printable(dir_abs) + "' is on a filesystem (magic " + b +
                                                 ") that cannot hold a swap file for hibernation; use ext4, xfs, "
                                                 "btrfs or f2fs"};
        }
        s.btrfs = magic == BTRFS_SUPER_MAGIC;
        if (sfs.f_bsize > 0 && static_cast<uint64_t>(sfs.f_bsize) < c.page)
                return Error{EOPNOTSUPP, "'" + printable(dir_abs) + "' is on a filesystem with " +
                                                 std::to_string(sfs.f_bsize) + "-byte blocks, smaller than the " +
                                                 std::to_string(c.page) + "-byte page: the swap file's first page "
                                                 "need not be page-aligned on the device, which resume_offset requires"};
        if (s.btrfs) {
                struct btrfs_ioctl_fs_info_args fi;
                std::memset(&fi, 0, sizeof fi);
                if (::ioctl(fd.get(), BTRFS_IOC_FS_INFO, &fi) < 0)
                        return Error::from_errno(errno, "BTRFS_IOC_FS_INFO on '" + printable(dir_abs) + "'");
                if (fi.num_devices != 1)
                        return Error{EOPNOTSUPP, "'" + printable(dir_abs) + "' is on a btrfs filesystem with " +
                                                         std::to_string(fi.num_devices) +
                                                         " devices; resume= names one device, so a swap file "
                                                         "for hibernation needs a single-device btrfs"};
                struct btrfs_ioctl_get_subvol_info_args si;
                std::memset(&si, 0, sizeof si);
                if (::ioctl(fd.get(), BTRFS_IOC_GET_SUBVOL_INFO, &si) >= 0) {  // returns 1 on success on 6.1
                        if (si.flags & BTRFS_SUBVOL_RDONLY)
                                return Error{EROFS, "'" + printable(dir_abs) + "' is in a read-only btrfs subvolume"};
                        bool snap = false;
                        for (auto b : si.parent_uuid)
                                snap |= b != 0;
                        if (snap)
                                return Error{EOPNOTSUPP, "'" + printable(dir_abs) +
                                                                 "' is in a btrfs snapshot subvolume; put the swap file "
                                                                 "in a dedicated subvolume (btrfs refuses to snapshot "
                                                                 "a subvolume with an active swap file, and extents "
                                                                 "shared with snapshots cannot be swapped to)"};
                }
        }
        return ok_status();
}

// Creates the swap file: temp name, NOCOW on btrfs before any data, fallocate (no holes),
// 0600, mkswap, rename. A kill at any point leaves PATH absent or complete.
Status create_swap_file(Ctx &c, SwapInfo &s)
{
        std::string hpath = c.host.path(s.path);
        std::string tmp = hpath + ".hibernate-tool-new";
        (void) ::unlink(tmp.c_str());
        {
                Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
                if (fd.get() < 0)
                        return Error::from_errno(errno, "cannot create '" + printable(s.path) + "'");
                if (::fchmod(fd.get(), 0600) < 0)
                        return Error::from_errno(errno, "chmod 0600 '" + printable(s.path) + "'");
                if (s.btrfs) {
                        int flags = 0;
                        if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) < 0)
                                return Error::from_errno(errno, "FS_IOC_GETFLAGS on '" + printable(s.path) + "'");
                        flags = (flags | FS_NOCOW_FL) & ~FS_COMPR_FL;
                        if (::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) < 0)
                                return Error::from_errno(errno, "cannot set NOCOW on '" + printable(s.path) + "'");
                        int check = 0;
                        if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &check) < 0 || !(check & FS_NOCOW_FL) ||
                            (check & FS_COMPR_FL))
                                return Error{EINVAL, "'" + printable(s.path) + "' is still copy-on-write or compressed "
                                                                               "after FS_IOC_SETFLAGS"};
                }
                kill_point("swapfile-create");
                if (int e = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(s.size)); e != 0)
                        return Error::from_errno(e, "cannot allocate " + std::to_string(s.size) + " bytes for '" +
                                                            printable(s.path) + "'");
                if (::fsync(fd.get()) < 0)
                        return Error::from_errno(errno, "fsync '" + printable(s.path) + "'");
        }
        kill_point("swapfile-allocate");
        std::vector<std::string> mk = {"mkswap", tmp};
        c.rep.commands.push_back(join_cmd({"mkswap", hpath}));
        auto r = run_cmd(mk);
        if (!r || *r != 0)
                return Error{EIO, "mkswap failed on '" + printable(s.path) + "'" +
                                          (r ? " (exit status " + std::to_string(*r) + ")" : ": " + r.error().message)};
        kill_point("swapfile-mkswap");
        if (::rename(tmp.c_str(), hpath.c_str()) < 0)
                return Error::from_errno(errno, "rename into '" + printable(s.path) + "'");
        std::string hdir = hpath.substr(0, hpath.rfind('/'));
        Fd dfd(::open(hdir.empty() ? "/" : hdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (dfd.get() >= 0)
                (void) ::fsync(dfd.get());
        kill_point("swapfile");
        return ok_status();
}

struct FstabSwap {
        std::string source;
        std::string resolved;  // canonical in-root path, empty when unresolved
        bool file = false;
};

std::vector<FstabSwap> fstab_swaps(const Ctx &c, const std::optional<std::string> &text)
{
        std::vector<FstabSwap> out;
        if (!text)
                return out;
        libmnt_table *tb = mnt_new_table();
        if (!tb)
                return out;
        // Parse from a copy on the host's /tmp: libmount wants a file or FILE*.
        FILE *f = ::fmemopen(const_cast<char *>(text->data()), text->size(), "r");
        if (f) {
                (void) mnt_table_parse_stream(tb, f, "fstab");
                std::fclose(f);
        }
        libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        libmnt_fs *fs = nullptr;
        while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_fstype(fs);
                if (!t || std::string(t) != "swap")
                        continue;
                FstabSwap e;
                const char *src = mnt_fs_get_source(fs);
                e.source = src ? src : "";
                auto spec = parse_device_spec(e.source);
                if (spec && spec->kind != SpecKind::Path) {
                        if (auto d = resolve_device(c.host, *spec))
                                e.resolved = d->path;
                } else if (!e.source.empty() && e.source[0] == '/') {
                        if (auto cn = c.host.canonicalize(e.source))
                                e.resolved = *cn;
                        else
                                e.resolved = e.source;
                        e.file = e.source.rfind("/dev/", 0) != 0;
                }
                out.push_back(e);
        }
        if (it)
                mnt_free_iter(it);
        mnt_unref_table(tb);
        return out;
}

std::vector<std::string> missing_dirs(const Host &h, std::string_view file_abs)
{
        std::vector<std::string> out;
        std::string a(file_abs);
        auto slash = a.rfind('/');
        std::string dir = slash == 0 ? "/" : a.substr(0, slash);
        std::string cur;
        size_t i = 1;
        while (i <= dir.size()) {
                size_t j = dir.find('/', i);
                if (j == std::string::npos)
                        j = dir.size();
                if (j > i) {
                        cur += "/" + dir.substr(i, j - i);
                        if (!h.exists(cur))
                                out.push_back(cur);
                }
                i = j + 1;
        }
        return out;
}

Status write_planned(const Ctx &c, const Planned &p)
{
        if (!p.after) {
                auto canon = c.host.canonicalize(p.path, true);
                if (!canon)
                        return canon.error();
                if (::unlink(c.host.path(*canon).c_str()) < 0 && errno != ENOENT)
                        return Error::from_errno(errno, "Failed to remove '" + p.path + "'");
                return ok_status();
        }
        return c.host.write_file_atomic(p.path, *p.after, p.mode);
}

unsigned mode_of(const Ctx &c, std::string_view p, unsigned dflt)
{
        auto st = c.host.stat(p);
        return st ? (st->st_mode & 07777) : dflt;
}

int finish_regenerate(Ctx &c, const std::vector<std::vector<std::string>> &cmds)
{
        if (cmds.empty())
                return SETUP_OK;
        ChrootMounts mounts;
        if (c.in_root()) {
                auto st = mounts.mount_all(c.host.root());
                if (!st) {
                        refuse(c.rep, "files were changed, but regeneration cannot run: " + st.error().message +
                                              "; run the commands inside the target yourself", SETUP_ERROR);
                        return SETUP_ERROR;
                }
        }
        for (auto &cmd : cmds) {
                std::string shown = c.display_cmd(cmd);
                c.say("running " + shown);
                c.rep.commands.push_back(shown);
                auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "");
                if (!r || *r != 0) {
                        refuse(c.rep, "files were changed, but '" + shown + "' failed" +
                                              (r ? " (exit status " + std::to_string(*r) + ")" : ": " + r.error().message) +
                                              "; fix it and run it again (or hibernate-tool setup --undo)",
                               SETUP_ERROR);
                        return SETUP_ERROR;
                }
                c.rep.regenerated.push_back(shown);
        }
        return SETUP_OK;
}

std::vector<std::vector<std::string>> regen_commands(const Ctx &c, bool grub_changed, bool initramfs_changed,
                                                     bool bls)
{
        std::vector<std::vector<std::string>> cmds;
        if (grub_changed && !bls) {
                if (c.is_file("/usr/sbin/update-grub"))
                        cmds.push_back({"update-grub"});
                else if (c.is_file("/usr/sbin/grub-mkconfig"))
                        cmds.push_back({"grub-mkconfig", "-o", "/boot/grub/grub.cfg"});
                else if (c.is_file("/usr/sbin/grub2-mkconfig"))
                        cmds.push_back({"grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"});
        }
        if (initramfs_changed) {
                if (c.is_file("/usr/sbin/update-initramfs"))
                        cmds.push_back({"update-initramfs", "-u", "-k", "all"});
                if (c.is_file("/usr/bin/dracut") || c.is_file("/usr/sbin/dracut"))
                        cmds.push_back({"dracut", "--regenerate-all", "-f"});
        }
        return cmds;
}

bool has_grubby(const Ctx &c)
{
        return c.is_file("/usr/sbin/grubby") || c.is_file("/sbin/grubby") || c.is_file("/usr/bin/grubby");
}

bool is_bls(const Ctx &c)
{
        return !c.is_file("/usr/sbin/update-grub") && c.is_dir("/boot/loader/entries") && has_grubby(c);
}

// Files grubby may change: saved for a byte-exact undo.
std::vector<std::string> grubby_files(const Ctx &c)
{
        std::vector<std::string> out;
        if (auto names = c.host.list_dir("/boot/loader/entries"))
                for (auto &n : *names)
                        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0)
                                out.push_back("/boot/loader/entries/" + n);
        for (const char *f : {"/etc/default/grub", "/etc/kernel/cmdline"})
                if (c.is_file(f))
                        out.push_back(f);
        return out;
}

bool bls_entries_have(const Ctx &c, const std::string &args)
{
        auto want = parse_cmdline(args);
        auto files = grubby_files(c);
        bool any = false;
        for (auto &f : files) {
                if (f.rfind("/boot/loader/entries/", 0) != 0)
                        continue;
                any = true;
                auto t = c.read(f);
                if (!t)
                        return false;
                std::string opts;
                size_t i = 0;
                while (i < t->size()) {
                        size_t nl = t->find('\n', i);
                        std::string line = t->substr(i, (nl == std::string::npos ? t->size() : nl) - i);
                        if (line.rfind("options", 0) == 0)
                                opts = line.substr(7);
                        i = nl == std::string::npos ? t->size() : nl + 1;
                }
                Cmdline have(opts);
                for (auto &w : want)
                        if (have.value(w.key) != w.value)
                                return false;
                unsigned n = 0;
                for (auto &a : have.args())
                        n += a.key == "resume" || a.key == "resume_offset";
                if (n != want.size())
                        return false;
        }
        return any;
}

Result<Manifest> load_manifest(const Ctx &c)
{
        std::string p = std::string(SETUP_STATE_DIR) + "/manifest";
        auto t = c.host.read_file(p, 4u << 20);
        if (!t) {
                if (t.error().code == ENOENT)
                        return Error{ENOENT, "no setup state"};
                return t.error();
        }
        auto m = parse_manifest(*t);
        if (!m)
                return Error{EINVAL, p + ": " + m.error().message};
        return m;
}

// Undo ---------------------------------------------------------------------------------
void run_undo(Ctx &c)
{
        auto &rep = c.rep;
        auto m = load_manifest(c);
        if (!m) {
                if (m.error().code == ENOENT) {
                        c.say("nothing to undo: hibernate-tool setup has not changed this system");
                        return;
                }
                refuse(rep, m.error().message, SETUP_ERROR);
                return;
        }
        std::string state = std::string(SETUP_STATE_DIR);
        std::vector<Planned> plan;
        for (auto &f : m->files) {
                Planned p;
                p.path = f.path;
                p.before = c.read(f.path);
                if (f.existed) {
                        auto o = c.host.read_file(state + "/" + f.orig, 1u << 30);
                        if (!o) {
                                refuse(rep, "the saved copy of '" + f.path + "' is missing: " + o.error().message,
                                       SETUP_ERROR);
                                return;
                        }
                        p.after = *o;
                        p.mode = f.mode;
                }
                bool mode_differs = p.after && p.before && mode_of(c, f.path, 0) != f.mode;
                if (p.before == p.after && !mode_differs)
                        continue;
                plan.push_back(std::move(p));
        }
        std::vector<std::string> swap_present;  // created swap files still there
        for (auto &f : m->created_swap_files) {
                std::string h = c.host.path(f);
                struct ::stat st;
                if (::lstat(h.c_str(), &st) == 0 || ::lstat((h + ".hibernate-tool-new").c_str(), &st) == 0)
                        swap_present.push_back(f);
        }
        for (auto &p : plan) {
                SetupFileAction a{p.path, p.after ? (p.before ? "restore" : "create") : "remove", ""};
                if (c.o.dry_run)
                        a.diff = unified_diff(p.path, p.before, p.after);
                rep.files.push_back(a);
        }
        bool changes = !plan.empty() || !swap_present.empty();
        auto regen = regen_commands(c, true, true, false);
        if (c.o.dry_run) {
                rep.changed = changes;
                for (auto &f : swap_present) {
                        if (!c.in_root())
                                rep.commands.push_back("swapoff " + shell_word(f) + " (if active)");
                        rep.commands.push_back("rm " + shell_word(c.host.path(f)));
                }
                if (m->grubby && has_grubby(c)) {
                        rep.commands.push_back(c.display_cmd({"grubby", "--update-kernel=ALL", "--remove-args=resume resume_offset"}));
                        rep.changed = changes = true;
                }
                if (changes && !c.o.no_regenerate)
                        for (auto &cmd : regen)
                                rep.commands.push_back(c.display_cmd(cmd));
                return;
        }
        for (auto &f : swap_present) {
                std::string swap_h = c.host.path(f);
                rep.swap_kind = "file";
                rep.swap_path = f;
                if (!c.in_root()) {
                        auto sw = c.host.read_file("/proc/swaps", 1u << 20);
                        if (sw) {
                                for (auto &e : parse_proc_swaps(*sw).entries)
                                        if (e.path == f) {
                                                rep.commands.push_back("swapoff " + shell_word(e.path));
                                                auto r = run_cmd({"swapoff", e.path});
                                                if (!r || *r != 0) {
                                                        refuse(rep, "swapoff " + e.path + " failed; nothing restored", SETUP_ERROR);
                                                        return;
                                                }
                                        }
                        }
                }
                (void) ::unlink((swap_h + ".hibernate-tool-new").c_str());
                if (::unlink(swap_h.c_str()) < 0 && errno != ENOENT) {
                        refuse(rep, "cannot remove the swap file '" + f + "': " + std::strerror(errno), SETUP_ERROR);
                        return;
                }
                rep.commands.push_back("rm " + shell_word(swap_h));
                c.say("removed the swap file " + f);
                kill_point("undo-swapfile");
        }
        if (m->grubby && has_grubby(c)) {
                // Entries added since setup (new kernels) lose the arguments; the saved ones
                // are then put back byte for byte below, with whatever they had before.
                std::vector<std::string> cmd = {"grubby", "--update-kernel=ALL", "--remove-args=resume resume_offset"};
                std::string shown = c.display_cmd(cmd);
                rep.commands.push_back(shown);
                ChrootMounts mounts;
                if (c.in_root())
                        if (auto st = mounts.mount_all(c.host.root()); !st) {
                                refuse(rep, st.error().message, SETUP_ERROR);
                                return;
                        }
                auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "");
                if (!r || *r != 0) {
                        refuse(rep, "'" + shown + "' failed; nothing restored yet (run --undo again)", SETUP_ERROR);
                        return;
                }
                changes = true;
        }
        for (size_t i = 0; i < plan.size(); i++) {
                auto st = write_planned(c, plan[i]);
                if (!st) {
                        refuse(rep, st.error().message + " (run --undo again)", SETUP_ERROR);
                        return;
                }
                c.say((plan[i].after ? "restored " : "removed ") + plan[i].path);
                kill_point("undo-file-" + std::to_string(i));
        }
        rep.changed = changes;
        if (changes && !c.o.no_regenerate) {
                if (finish_regenerate(c, regen) != SETUP_OK)
                        return;
                kill_point("undo-regenerate");
        }
        // Drop the state: the manifest first (a rerun then finds nothing to undo), then the
        // saved copies and the directories setup created.
        (void) ::unlink(c.host.path(state + "/manifest").c_str());
        if (auto names = c.host.list_dir(state))
                for (auto &n : *names)
                        (void) ::unlink(c.host.path(state + "/" + n).c_str());
        for (auto it = m->created_dirs.rbegin(); it != m->created_dirs.rend(); ++it)
                (void) ::rmdir(c.host.path(*it).c_str());
        kill_point("undo-state");
        if (!changes)
                c.say("nothing to undo: every file is as it was before setup");
}

// Setup ------------------------------------------------------------------------------

Status choose_swap(Ctx &c, SwapInfo &s, const std::optional<std::string> &fstab_text)
{
        auto &o = c.o;
        SwapsParse swaps;
        if (auto t = c.host.read_file("/proc/swaps", 1u << 20))
                swaps = parse_proc_swaps(*t);

        auto setup_partition = [&](const std::string &given) -> Status {
                auto spec = parse_device_spec(given);
                if (!spec)
                        return Error{EINVAL, "--swap: " + spec.error().message};
                std::vector<std::string> cands;
                for (auto &e : swaps.entries)
                        if (e.kind == SwapKind::Partition)
                                cands.push_back(e.path);
                auto d = resolve_device(c.host, *spec, cands);
                if (!d)
                        return Error{ENODEV, "swap device " + printable(given) + ": " + d.error().message};
                auto st = c.host.stat(d->path);
                if (st && S_ISREG(st->st_mode) && d->path.rfind("/dev/", 0) != 0)
                        return Error{EINVAL, "'" + printable(d->path) + "' is a regular file; use --swap-file"};
                auto info = probe_device(c.host, d->path);
                if (!info)
                        return Error{info.error().code, "cannot probe '" + printable(d->path) + "': " + info.error().message};
                if (info->type == "swsuspend")
                        return Error{EBUSY, "'" + printable(d->path) + "' holds a hibernation image; resume or "
                                                                       "invalidate it first (hibernate-tool invalidate)"};
                if (info->type != "swap")
                        return Error{EINVAL, "'" + printable(d->path) + "' has no swap signature (" +
                                                     (info->type.empty() ? std::string("no signature")
                                                                         : "it is " + printable(info->type)) +
                                                     "); run mkswap on it first if it is meant to be swap"};
                if (!info->uuid || info->uuid->empty())
                        return Error{EINVAL, "the swap area on '" + printable(d->path) +
                                                     "' has no UUID; give it one (swaplabel -U $(uuidgen) DEVICE)"};
                s.file = false;
                s.path = d->path;
                s.size = info->size_bytes;
                s.uuid = lower(*info->uuid);
                s.fstab_source = "UUID=" + s.uuid;
                return ok_status();
        };

        auto setup_file = [&](const std::string &given, bool from_cli) -> Status {
                auto canon = c.host.canonicalize(given, true);
                if (!canon)
                        return Error{canon.error().code, "swap file " + printable(given) + ": " + canon.error().message};
                s.file = true;
                s.path = *canon;
                std::string dir = s.path.substr(0, s.path.rfind('/'));
                if (dir.empty())
                        dir = "/";
                if (!c.is_dir(dir))
                        return Error{ENOENT, "the directory of the swap file, '" + printable(dir) + "', does not exist"};
                if (auto st = check_fs_for_swapfile(c, dir, s); !st)
                        return st;
                auto st = c.host.stat(s.path);
                s.exists = st.ok();
                if (s.exists) {
                        if (!S_ISREG(st->st_mode))
                                return Error{EINVAL, "'" + printable(s.path) + "' exists and is not a regular file"};
                        auto info = probe_device(c.host, s.path, 0, true);
                        if (!info || info->type != "swap")
                                return Error{EINVAL, "'" + printable(s.path) +
                                                             "' exists and is not a swap area; remove it or choose another path"};
                        if (st->st_mode & 077)
                                return Error{EPERM, "'" + printable(s.path) + "' is readable by others (mode " +
                                                            [&] {
                                                                    char b[8];
                                                                    std::snprintf(b, sizeof b, "%04o", st->st_mode & 07777);
                                                                    return std::string(b);
                                                            }() + "); chmod 0600 it first"};
                        s.size = static_cast<uint64_t>(st->st_size);
                        if (from_cli && o.size_given && !o.size_auto && o.size_bytes != s.size)
                                return Error{EEXIST, "'" + printable(s.path) + "' already exists with " +
                                                             std::to_string(s.size) + " bytes; drop --size or remove it"};
                        auto mp = map_swap_file(c.host, s.path, c.page);
                        if (!mp)
                                return Error{mp.error().code, mp.error().message};
                        s.offset = mp->resume_offset;
                } else {
                        if (!from_cli)
                                return Error{ENOENT, "the swap file '" + printable(s.path) + "' in /etc/fstab does not exist"};
                        if (o.size_auto) {
                                auto mi = c.host.read_file("/proc/meminfo", 1u << 20);
                                auto mem = mi ? parse_meminfo(*mi) : std::map<std::string, uint64_t>{};
                                auto it = mem.find("MemTotal");
                                if (it == mem.end() || it->second == 0)
                                        return Error{ENODATA, "cannot read MemTotal from /proc/meminfo for --size auto; give --size"};
                                s.size = auto_swap_size(it->second);
                        } else {
                                s.size = (o.size_bytes + c.page - 1) / c.page * c.page;
                        }
                        struct ::statvfs sv;
                        auto cdir = c.host.canonicalize(dir);
                        if (!cdir || ::statvfs(c.host.path(*cdir).c_str(), &sv) < 0)
                                return Error::from_errno(errno, "statvfs '" + printable(dir) + "'");
                        uint64_t avail = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
                        uint64_t total = static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize;
                        uint64_t need = s.size + swap_file_margin(total);
                        if (avail < need)
                                return Error{ENOSPC, "not enough space for a " + format_bytes(s.size) + " swap file in '" +
                                                             printable(dir) + "': " + format_bytes(avail) +
                                                             " available, " + format_bytes(need) +
                                                             " needed (the file plus a margin of " +
                                                             format_bytes(swap_file_margin(total)) + ")"};
                }
                auto u = fs_uuid_of(c, s.path);
                if (!u)
                        return u.error();
                s.uuid = u->first;
                s.fs_source = u->second;
                s.fstab_source = s.path;
                return ok_status();
        };

        if (o.swap)
                return setup_partition(*o.swap);
        if (o.swap_file)
                return setup_file(*o.swap_file, true);

        // Neither: the single suitable swap that is active or in fstab.
        struct Cand {
                std::string path;
                bool file;
                std::string from;
        };
        std::vector<Cand> cands;
        auto add = [&](const std::string &p, bool file, const std::string &from) {
                for (auto &x : cands)
                        if (x.path == p) {
                                x.from += ", " + from;
                                return;
                        }
                cands.push_back({p, file, from});
        };
        for (auto &e : swaps.entries) {
                if (e.kind == SwapKind::Zram || e.deleted)
                        continue;
                auto cn = c.host.canonicalize(e.path);
                add(cn ? *cn : e.path, e.kind == SwapKind::File, "active");
        }
        for (auto &f : fstab_swaps(c, fstab_text)) {
                if (f.resolved.empty())
                        continue;
                if (path_is_zram(f.resolved))
                        continue;
                add(f.resolved, f.file, "in /etc/fstab");
        }
        if (cands.size() != 1) {
                std::string msg = cands.empty()
                                          ? "no swap is active or in /etc/fstab; choose one with --swap DEVICE or "
                                            "create one with --swap-file PATH"
                                          : "several swap areas could be used; choose one with --swap or --swap-file:";
                for (auto &x : cands)
                        msg += " " + printable(x.path) + " (" + (x.file ? "file, " : "partition, ") + x.from + ");";
                if (!cands.empty())
                        msg.pop_back();
                return Error{cands.empty() ? ENODEV : EEXIST, msg};
        }
        if (cands[0].file)
                return setup_file(cands[0].path, false);
        return setup_partition(cands[0].path);
}

}  // namespace

SetupReport run_setup(const SetupOptions &o, void (*log)(const std::string &))
{
        SetupReport rep;
        rep.dry_run = o.dry_run;
        rep.undo = o.undo;
        struct ::stat rst;
        if (::stat(o.root.c_str(), &rst) < 0 || !S_ISDIR(rst.st_mode))
                return refuse(rep, "--root '" + printable(o.root) + "' is not a directory", SETUP_ERROR);
        if (!o.dry_run && ::geteuid() != 0)
                return refuse(rep, "setup changes system files and must run as root", SETUP_ERROR);
        Ctx c(o, rep, log);
        if (o.undo) {
                run_undo(c);
                return rep;
        }
        // A manifest that does not parse means an undo might be impossible: stop.
        auto old_manifest = load_manifest(c);
        if (!old_manifest && old_manifest.error().code != ENOENT)
                return refuse(rep, old_manifest.error().message, SETUP_ERROR);

        auto fstab_text = c.read(FSTAB);
        SwapInfo s;
        if (auto st = choose_swap(c, s, fstab_text); !st)
                return refuse(rep, st.error().message);
        rep.swap_kind = s.file ? "file" : "partition";
        rep.swap_path = s.path;
        rep.swap_size = s.size;
        rep.swap_created = s.file && !s.exists;
        rep.uuid = s.uuid;
        rep.resume_device = "UUID=" + s.uuid;
        rep.offset = s.offset;

        // Boot loader mode.
        bool bls = is_bls(c);
        bool grub_default_exists = c.is_file(GRUB_DEFAULT);
        bool dropin = false;
        if (bls) {
                rep.bootloader = "grubby";
        } else if (grub_default_exists || c.is_file("/usr/sbin/grub-mkconfig") || c.is_file("/usr/sbin/grub2-mkconfig")) {
                dropin = c.is_dir("/etc/default/grub.d");
                for (const char *mk : {"/usr/sbin/grub-mkconfig", "/usr/sbin/grub2-mkconfig"})
                        if (!dropin)
                                if (auto t = c.read(mk))
                                        dropin = t->find("/etc/default/grub.d") != std::string::npos;
                rep.bootloader = dropin ? "grub-dropin" : "grub-block";
                if (!dropin && !grub_default_exists)
                        return refuse(rep, "GRUB is installed but /etc/default/grub is missing; cannot set resume=");
        } else {
                return refuse(rep, "no supported boot loader configuration: neither /etc/default/grub (GRUB) "
                                   "nor BLS entries with grubby; add " + resume_kernel_args(s.uuid, s.offset) +
                                   " to the kernel command line yourself");
        }
        bool itools = c.is_file("/usr/sbin/update-initramfs") || c.is_dir("/etc/initramfs-tools");
        bool dracut = c.is_file("/usr/bin/dracut") || c.is_file("/usr/sbin/dracut") || c.is_dir("/etc/dracut.conf.d");
        if (itools)
                rep.initramfs.push_back("initramfs-tools");
        if (dracut)
                rep.initramfs.push_back("dracut");

        // The planned file contents for a given offset.
        auto plan_for = [&](std::optional<uint64_t> offset, bool placeholder) -> Result<std::vector<Planned>> {
                std::vector<Planned> plan;
                std::string args = resume_kernel_args(s.uuid, offset);
                if (placeholder)
                        args = "resume=UUID=" + s.uuid + " resume_offset=<offset-after-allocation>";
                auto add = [&](std::string_view path, std::optional<std::string> after, const char *step) {
                        Planned p;
                        p.path = std::string(path);
                        p.before = c.read(path);
                        p.after = std::move(after);
                        p.mode = mode_of(c, path, 0644);
                        p.step = step;
                        plan.push_back(std::move(p));
                };
                {
                        bool present = false;
                        for (auto &f : fstab_swaps(c, fstab_text))
                                if (f.resolved == s.path || (!s.file && f.source == s.fstab_source))
                                        present = true;
                        if (!present)
                                add(FSTAB, fstab_append_swap(fstab_text.value_or(""), s.fstab_source), "fstab");
                }
                if (!bls) {
                        ShellVars vars;
                        if (dropin) {
                                if (auto t = c.read(GRUB_DEFAULT))
                                        parse_shell_assignments(*t, vars);
                                if (auto names = c.host.list_dir("/etc/default/grub.d"))
                                        for (auto &n : *names)
                                                if (n.size() > 4 && n.compare(n.size() - 4, 4, ".cfg") == 0 &&
                                                    n != "hibernate-tool.cfg")
                                                        if (auto t = c.read("/etc/default/grub.d/" + n))
                                                                parse_shell_assignments(*t, vars);
                                add(GRUB_DROPIN, grub_dropin_text(vars, args), "grub");
                        } else {
                                auto t = c.read(GRUB_DEFAULT).value_or("");
                                auto without = grub_default_without_block(t);
                                if (!without)
                                        return Error{EINVAL, "/etc/default/grub has a broken '# BEGIN hibernate-tool' "
                                                             "block (no matching END); fix it by hand"};
                                parse_shell_assignments(*without, vars);
                                auto with = grub_default_with_block(t, grub_resume_assignments(vars, args));
                                if (!with)
                                        return Error{EINVAL, "/etc/default/grub has a broken hibernate-tool block"};
                                add(GRUB_DEFAULT, *with, "grub");
                        }
                }
                if (itools)
                        add(ITOOLS_RESUME, initramfs_tools_resume_text(s.uuid, offset), "initramfs-tools");
                if (dracut)
                        add(DRACUT_CONF, dracut_resume_text(s.uuid, offset), "dracut");
                add(CONFIG_DROPIN, config_dropin_text(s.uuid, offset), "config");
                // Drop unchanged files.
                std::vector<Planned> changed;
                for (auto &p : plan)
                        if (p.before != p.after)
                                changed.push_back(std::move(p));
                return changed;
        };

        bool placeholder = s.file && !s.exists;
        auto plan0 = plan_for(s.offset, placeholder);
        if (!plan0)
                return refuse(rep, plan0.error().message);
        std::string args_final = resume_kernel_args(s.uuid, s.offset);
        bool grubby_needed = bls && (placeholder || !bls_entries_have(c, args_final));

        auto regen = regen_commands(c, true, true, bls);
        bool anything = !plan0->empty() || rep.swap_created || grubby_needed;
        std::vector<std::vector<std::string>> grubby_cmds;
        if (grubby_needed) {
                std::string a = placeholder ? "resume=UUID=" + s.uuid + " resume_offset=<offset-after-allocation>" : args_final;
                grubby_cmds.push_back({"grubby", "--update-kernel=ALL", "--remove-args=resume resume_offset"});
                grubby_cmds.push_back({"grubby", "--update-kernel=ALL", "--args=" + a});
        }

        if (o.dry_run) {
                rep.changed = anything;
                if (rep.swap_created) {
                        rep.commands.push_back("create " + shell_word(c.host.path(s.path)) + " (" + std::to_string(s.size) +
                                               " bytes, mode 0600" + (s.btrfs ? ", NOCOW, uncompressed" : "") +
                                               ", fallocate(2))");
                        rep.commands.push_back(join_cmd({"mkswap", c.host.path(s.path)}));
                        rep.notes.push_back("resume_offset is known once the file is allocated");
                }
                for (auto &p : *plan0)
                        rep.files.push_back({p.path, p.before ? "modify" : "create", unified_diff(p.path, p.before, p.after)});
                for (auto &cmd : grubby_cmds)
                        rep.commands.push_back(c.display_cmd(cmd));
                if (anything && !o.no_regenerate)
                        for (auto &cmd : regen)
                                rep.commands.push_back(c.display_cmd(cmd));
                if (!anything)
                        c.say("nothing to change: hibernation is already set up this way");
                return rep;
        }
        if (!anything) {
                c.say("nothing to change: hibernation is already set up this way");
                return rep;
        }

        // ---- undo state, written before anything else changes --------------------------
        Manifest man = old_manifest ? *old_manifest : Manifest{};
        std::string state(SETUP_STATE_DIR);
        std::set<std::string> known;
        for (auto &f : man.files)
                known.insert(f.path);
        std::set<std::string> dirs_known(man.created_dirs.begin(), man.created_dirs.end());
        auto note_dirs = [&](std::string_view file) {
                for (auto &d : missing_dirs(c.host, file))
                        if (dirs_known.insert(d).second)
                                man.created_dirs.push_back(d);
        };
        note_dirs(state + "/manifest");
        std::vector<std::pair<std::string, std::string>> saves;  // state name, bytes
        auto remember = [&](const std::string &path) -> Status {
                if (known.count(path))
                        return ok_status();
                known.insert(path);
                ManifestFile f;
                f.path = path;
                auto before = c.host.read_file(path, 1u << 30);
                if (before) {
                        f.existed = true;
                        f.mode = mode_of(c, path, 0644);
                        f.orig = "orig-" + std::to_string(man.files.size());
                        saves.emplace_back(f.orig, *before);
                } else if (before.error().code != ENOENT) {
                        return Error{before.error().code, "cannot save '" + path + "': " + before.error().message};
                } else {
                        note_dirs(path);
                }
                man.files.push_back(f);
                return ok_status();
        };
        for (auto &p : *plan0)
                if (auto st = remember(p.path); !st)
                        return refuse(rep, st.error().message, SETUP_ERROR);
        if (grubby_needed) {
                for (auto &f : grubby_files(c))
                        if (auto st = remember(f); !st)
                                return refuse(rep, st.error().message, SETUP_ERROR);
                man.grubby = true;
                man.grubby_args = args_final;
        }
        if (rep.swap_created && std::find(man.created_swap_files.begin(), man.created_swap_files.end(), s.path) ==
                                         man.created_swap_files.end())
                man.created_swap_files.push_back(s.path);
        for (auto &[name, bytes] : saves)
                if (auto st = c.host.write_file_atomic(state + "/" + name, bytes, 0600); !st)
                        return refuse(rep, "cannot save the undo state: " + st.error().message, SETUP_ERROR);
        if (auto st = c.host.write_file_atomic(state + "/manifest", format_manifest(man), 0600); !st)
                return refuse(rep, "cannot save the undo state: " + st.error().message, SETUP_ERROR);
        kill_point("state");
        rep.changed = true;

        // ---- swap file ----------------------------------------------------------------
        if (rep.swap_created) {
                c.say("creating the swap file " + s.path + " (" + format_bytes(s.size) + ")");
                if (auto st = create_swap_file(c, s); !st)
                        return refuse(rep, st.error().message + " (hibernate-tool setup --undo cleans up)", SETUP_ERROR);
                auto mp = map_swap_file(c.host, s.path, c.page);
                if (!mp)
                        return refuse(rep, "the new swap file cannot be mapped: " + mp.error().message, SETUP_ERROR);
                s.offset = mp->resume_offset;
                rep.offset = s.offset;
                args_final = resume_kernel_args(s.uuid, s.offset);
        }
        auto plan = plan_for(s.offset, false);
        if (!plan)
                return refuse(rep, plan.error().message, SETUP_ERROR);
        for (auto &p : *plan) {
                if (!known.count(p.path))  // cannot happen: the same files with the offset filled in
                        return refuse(rep, "internal error: '" + p.path + "' is not in the undo state", SETUP_ERROR);
                if (auto st = write_planned(c, p); !st)
                        return refuse(rep, st.error().message + " (run setup again, or --undo)", SETUP_ERROR);
                rep.files.push_back({p.path, p.before ? "modify" : "create", ""});
                c.say((p.before ? "updated " : "created ") + p.path);
                kill_point(p.step);
        }
        if (grubby_needed) {
                grubby_cmds.back().back() = "--args=" + args_final;
                ChrootMounts mounts;
                if (c.in_root())
                        if (auto st = mounts.mount_all(c.host.root()); !st)
                                return refuse(rep, st.error().message, SETUP_ERROR);
                for (auto &cmd : grubby_cmds) {
                        std::string shown = c.display_cmd(cmd);
                        rep.commands.push_back(shown);
                        auto r = run_cmd(cmd, c.in_root() ? c.host.root() : "");
                        if (!r || *r != 0)
                                return refuse(rep, "'" + shown + "' failed (run setup again, or --undo)", SETUP_ERROR);
                }
                kill_point("grubby");
        }
        if (rep.swap_created && !c.in_root()) {
                std::vector<std::string> cmd = {"swapon", s.path};
                rep.commands.push_back(join_cmd(cmd));
                auto r = run_cmd(cmd);
                if (!r || *r != 0)
                        rep.notes.push_back("swapon " + s.path + " failed; it is activated at the next boot");
        }
        if (!o.no_regenerate) {
                if (finish_regenerate(c, regen) != SETUP_OK)
                        return rep;
                kill_point("regenerate");
        } else {
                rep.notes.push_back("not regenerated (--no-regenerate): run " +
                                    [&] {
                                            std::string s2;
                                            for (auto &cmd : regen)
                                                    s2 += (s2.empty() ? "" : "; ") + c.display_cmd(cmd);
                                            return s2.empty() ? std::string("nothing") : s2;
                                    }());
        }
        return rep;
}

std::string setup_report_json(const SetupReport &r)
{
        auto q = [](const std::string &s) { return "\"" + json_escape(s) + "\""; };
        std::string j = "{";
        j += "\"changed\":" + std::string(r.changed ? "true" : "false");
        j += ",\"dry_run\":" + std::string(r.dry_run ? "true" : "false");
        j += ",\"undo\":" + std::string(r.undo ? "true" : "false");
        if (r.swap_kind.empty()) {
                j += ",\"swap\":null";
        } else {
                j += ",\"swap\":{\"kind\":" + q(r.swap_kind) + ",\"path\":" + q(r.swap_path) +
                     ",\"created\":" + (r.swap_created ? "true" : "false") + ",\"size\":" + std::to_string(r.swap_size) + "}";
        }
        if (r.uuid.empty()) {
                j += ",\"resume\":null";
        } else {
                j += ",\"resume\":{\"device\":" + q(r.resume_device) + ",\"uuid\":" + q(r.uuid) +
                     ",\"offset\":" + (r.offset ? std::to_string(*r.offset) : "null") + "}";
        }
        j += ",\"bootloader\":" + (r.bootloader.empty() ? std::string("null") : q(r.bootloader));
        j += ",\"initramfs\":[";
        for (size_t i = 0; i < r.initramfs.size(); i++)
                j += (i ? "," : "") + q(r.initramfs[i]);
        j += "],\"files\":[";
        for (size_t i = 0; i < r.files.size(); i++) {
                j += (i ? ",{" : "{") + std::string("\"path\":") + q(r.files[i].path) + ",\"action\":" + q(r.files[i].action);
                if (r.dry_run)
                        j += ",\"diff\":" + q(r.files[i].diff);
                j += "}";
        }
        auto list = [&](const char *name, const std::vector<std::string> &v) {
                j += ",\"" + std::string(name) + "\":[";
                for (size_t i = 0; i < v.size(); i++)
                        j += (i ? "," : "") + q(v[i]);
                j += "]";
        };
        j += "]";
        list("commands", r.commands);
        list("regenerated", r.regenerated);
        list("notes", r.notes);
        j += ",\"error\":" + (r.error ? q(*r.error) : std::string("null"));
        j += ",\"exit\":" + std::to_string(r.exit_code);
        j += "}\n";
        return j;
}

}  // namespace ht
