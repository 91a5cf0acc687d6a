// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool-resume-generator: a systemd generator (systemd.generator(7)). Reads the
// inputs (arguments, initrd detection, kernel command line, configuration), lets the
// library decide (ht::generate_resume_units) and writes the result atomically into the
// normal generator directory. It never fails the boot: bad input is logged and nothing is
// generated (exit 0); only an unwritable output directory is exit 1, usage errors exit 2.
#include <cerrno>
#include <cstdio>
#include <exception>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "config.hh"
#include "generator.hh"
#include "host.hh"
#include "parse.hh"
#include "version.hh"

#ifndef HT_HELPER_PATH
#define HT_HELPER_PATH "/usr/sbin/hibernate-tool"
#endif

namespace {

const char *const NAME = ht::GENERATOR_NAME.data();  // a literal: NUL-terminated

// ---- logging: stderr or /dev/kmsg, chosen like systemd's SYSTEMD_LOG_TARGET/LEVEL ------

struct Log {
        int max_level = 6;  // info
        bool to_kmsg = false;
        bool null = false;
        int kmsg_fd = -1;
};
Log g_log;

int parse_level(const char *s)
{
        static const char *names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
        for (int i = 0; i < 8; i++)
                if (std::strcmp(s, names[i]) == 0)
                        return i;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        return -1;
}

void log_setup()
{
        if (const char *l = std::getenv("SYSTEMD_LOG_LEVEL")) {
                int v = parse_level(l);
                if (v >= 0)
                        g_log.max_level = v;
        }
        std::string_view target = "auto";
        if (const char *t = std::getenv("SYSTEMD_LOG_TARGET"))
                target = t;
        if (target == "null") {
                g_log.null = true;
                return;
        }
        if (target == "console" || target == "console-prefixed")
                return;
        // auto, kmsg, journal, syslog and their -or-kmsg forms: a generator has no journal
        // yet, so the kernel log; auto keeps an interactive terminal on stderr.
        if (target == "auto" && isatty(STDERR_FILENO))
                return;
        g_log.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        g_log.to_kmsg = g_log.kmsg_fd >= 0;
}

void log_msg(ht::LogLevel level, const std::string &text)
{
        int lv = static_cast<int>(level);
        if (g_log.null || lv > g_log.max_level)
                return;
        std::string line;
        if (g_log.to_kmsg) {
                // LOG_DAEMON facility; /dev/kmsg takes one record per write.
                line = "<" + std::to_string(3 * 8 + lv) + ">" + NAME + "[" + std::to_string(getpid()) + "]: " +
                       text.substr(0, 900) + "\n";
                if (write(g_log.kmsg_fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()))
                        return;
        }
        line = std::string(NAME) + ": " + text + "\n";
        if (write(STDERR_FILENO, line.data(), line.size()) < 0) {
                // nowhere left to report to
        }
}

// ---- output ----------------------------------------------------------------------------

std::string errno_text(int e) { return std::strerror(e); }

// mkdir -p of dir (absolute or relative to the cwd), mode 0755.
bool make_dirs(const std::string &dir, std::string &err)
{
        std::string cur;
        size_t i = 0;
        while (i <= dir.size()) {
                size_t j = dir.find('/', i);
                if (j == std::string::npos)
                        j = dir.size();
                cur = dir.substr(0, j);
                i = j + 1;
                if (cur.empty())
                        continue;
                if (mkdir(cur.c_str(), 0755) < 0 && errno != EEXIST) {
                        err = "cannot create directory " + ht::printable(cur) + ": " + errno_text(errno);
                        return false;
                }
        }
        struct stat st;
        if (stat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
                err = ht::printable(dir) + " is not a directory";
                return false;
        }
        return true;
}

// Relative paths from the library never leave the output directory; checked anyway.
bool safe_relative(std::string_view rel)
{
        if (rel.empty() || rel.front() == '/')
                return false;
        size_t i = 0;
        while (i <= rel.size()) {
                size_t j = rel.find('/', i);
                if (j == std::string_view::npos)
                        j = rel.size();
                auto c = rel.substr(i, j - i);
                if (c.empty() || c == "." || c == "..")
                        return false;
                i = j + 1;
        }
        return true;
}

// Writes path atomically: a temporary file (or symlink) next to it, then rename().
bool write_atomic(const std::string &path, const ht::GeneratedFile &f, std::string &err)
{
        auto slash = path.rfind('/');
        std::string tmp = path.substr(0, slash + 1) + ".#" + path.substr(slash + 1) + ".XXXXXX";
        int fd = mkostemp(tmp.data(), O_CLOEXEC);
        if (fd < 0) {
                err = "cannot create a temporary file for " + ht::printable(path) + ": " + errno_text(errno);
                return false;
        }
        bool ok = true;
        int e = 0;
        if (f.symlink) {
                // The name is reserved; replace the file by the link under the same name.
                close(fd);
                fd = -1;
                if (unlink(tmp.c_str()) < 0 || symlink(f.content.c_str(), tmp.c_str()) < 0) {
                        ok = false;
                        e = errno;
                }
        } else {
                size_t done = 0;
                while (ok && done < f.content.size()) {
                        ssize_t n = write(fd, f.content.data() + done, f.content.size() - done);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                ok = false;
                                e = n < 0 ? errno : EIO;
                        } else
                                done += static_cast<size_t>(n);
                }
                if (ok && fchmod(fd, 0644) < 0) {
                        ok = false;
                        e = errno;
                }
                if (close(fd) < 0 && ok) {
                        ok = false;
                        e = errno;
                }
        }
        if (ok && rename(tmp.c_str(), path.c_str()) < 0) {
                ok = false;
                e = errno;
        }
        if (!ok) {
                unlink(tmp.c_str());
                err = "cannot write " + ht::printable(path) + ": " + errno_text(e);
        }
        return ok;
}

void usage(FILE *to)
{
        std::fprintf(to,
                     "Usage: %s NORMAL-DIR [EARLY-DIR LATE-DIR]\n"
                     "systemd generator: in the initrd, generates %s (runs '%s resume')\n"
                     "for the resume device of the kernel command line or the configuration.\n"
                     "See hibernate-tool-resume-generator(8).\n",
                     NAME, std::string(ht::RESUME_SERVICE).c_str(), HT_HELPER_PATH);
}

}  // namespace

static int run(int argc, char **argv)
{
        umask(022);
        if (argc == 2 && std::strcmp(argv[1], "--help") == 0) {
                usage(stdout);
                return 0;
        }
        if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
                std::printf("%s %s\n", NAME, HT_VERSION);
                return 0;
        }
        if ((argc != 2 && argc != 4) || argv[1][0] == '\0') {
                std::fprintf(stderr, "%s: expects one or three directory arguments.\n", NAME);
                usage(stderr);
                return 2;
        }
        log_setup();
        const std::string dest = argv[1];  // the normal directory; early and late stay untouched

        ht::GeneratorOptions opt;
        opt.helper = HT_HELPER_PATH;
        // systemd's in_initrd(): SYSTEMD_IN_INITRD when it is a boolean, else /etc/initrd-release.
        std::optional<bool> env_initrd;
        if (const char *v = std::getenv("SYSTEMD_IN_INITRD")) {
                env_initrd = ht::parse_boolean(v);
                if (!env_initrd)
                        log_msg(ht::LogLevel::Debug, "Ignoring SYSTEMD_IN_INITRD=" + ht::printable(v) + ": not a boolean.");
        }
        opt.in_initrd = env_initrd ? *env_initrd : access("/etc/initrd-release", F_OK) == 0;

        // The kernel command line: SYSTEMD_PROC_CMDLINE overrides /proc/cmdline, as for systemd.
        std::string text;
        if (const char *c = std::getenv("SYSTEMD_PROC_CMDLINE")) {
                text = c;
        } else {
                auto r = ht::Host("/").read_file("/proc/cmdline");
                if (!r) {
                        log_msg(ht::LogLevel::Error, "Cannot read the kernel command line: " + r.error().message +
                                                             "; not generating anything.");
                        return 0;
                }
                text = std::move(*r);
        }
        ht::Cmdline cmdline(text);

        // A normal boot (not the initrd) reads nothing more.
        std::vector<ht::GeneratorMessage> pre;
        if (!ht::resume_generator_applies(cmdline, opt, pre)) {
                for (auto &m : pre)
                        log_msg(m.level, m.text);
                return 0;
        }

        auto cfg = ht::load_config(ht::Host("/"), std::nullopt);
        if (!cfg) {
                log_msg(ht::LogLevel::Error, "Configuration: " + cfg.error().message + "; not generating " +
                                                     std::string(ht::RESUME_SERVICE) + ", the boot continues without resume.");
                return 0;
        }
        for (auto &w : cfg->warnings)
                log_msg(ht::LogLevel::Debug, "Configuration: " + w);

        opt.efi = ht::usable_hibernate_location(ht::Host("/"), &opt.efi_note);
        ht::GeneratorOutput out = ht::generate_resume_units(cmdline, *cfg, opt);
        for (auto &m : out.messages)
                log_msg(m.level, m.text);
        if (out.files.empty())
                return 0;

        // Regular files first, the enabling symlink last: a half-written result never runs.
        std::vector<std::pair<const std::string *, const ht::GeneratedFile *>> order;
        for (auto &[rel, f] : out.files)
                if (!f.symlink)
                        order.emplace_back(&rel, &f);
        for (auto &[rel, f] : out.files)
                if (f.symlink)
                        order.emplace_back(&rel, &f);

        std::vector<std::string> written;
        std::string err;
        bool ok = make_dirs(dest, err);
        for (auto &[rel, f] : order) {
                if (!ok)
                        break;
                if (!safe_relative(*rel)) {
                        err = "refusing to write outside " + ht::printable(dest) + ": " + ht::printable(*rel);
                        ok = false;
                        break;
                }
                std::string path = dest + "/" + *rel;
                ok = make_dirs(path.substr(0, path.rfind('/')), err) && write_atomic(path, *f, err);
                if (ok)
                        written.push_back(path);
        }
        if (!ok) {
                for (auto &p : written)
                        unlink(p.c_str());
                log_msg(ht::LogLevel::Error, "Failed to generate " + std::string(ht::RESUME_SERVICE) + ": " + err +
                                                     "; the boot continues without resume.");
                return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        // No exception may end the program with a crash (std::terminate): one message.
        try {
                return run(argc, argv);
        } catch (const std::exception &e) {
                std::fprintf(stderr, "%s: internal error: %s; the boot continues without resume.\n", NAME, e.what());
        } catch (...) {
                std::fprintf(stderr, "%s: internal error; the boot continues without resume.\n", NAME);
        }
        return 1;
}
