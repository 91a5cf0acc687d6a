// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sleepconf.hh"

#include <map>
#include <sys/stat.h>

#include "parse.hh"

namespace ht {

namespace {

constexpr size_t MAX_FILE = 64 * 1024;
constexpr size_t MAX_DROPINS = 256;

const char *const DROPIN_DIRS[] = {"/etc/systemd/sleep.conf.d", "/run/systemd/sleep.conf.d",
                                   "/usr/local/lib/systemd/sleep.conf.d", "/usr/lib/systemd/sleep.conf.d",
                                   "/lib/systemd/sleep.conf.d"};

std::string_view trim(std::string_view s)
{
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
                s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
                s.remove_suffix(1);
        return s;
}

// systemd's parse_boolean().
std::optional<bool> parse_boolean(std::string_view v)
{
        for (const char *t : {"1", "yes", "y", "true", "t", "on"})
                if (v == t)
                        return true;
        for (const char *f : {"0", "no", "n", "false", "f", "off"})
                if (v == f)
                        return false;
        return std::nullopt;
}

}  // namespace

void sleep_conf_apply(SleepConf &conf, const std::string &file, std::string_view text)
{
        bool in_sleep = false;
        LineReader lines(text);
        while (auto next = lines.next()) {
                auto lineno = static_cast<unsigned>(lines.number());
                std::string_view line = trim(*next);
                if (line.empty() || line[0] == '#' || line[0] == ';')
                        continue;
                if (line[0] == '[') {
                        in_sleep = line == "[Sleep]";
                        continue;
                }
                if (!in_sleep)
                        continue;
                size_t eq = line.find('=');
                if (eq == std::string_view::npos) {
                        conf.warnings.push_back(file + ":" + std::to_string(lineno) + ": not KEY=VALUE, ignored");
                        continue;
                }
                std::string_view key = trim(line.substr(0, eq));
                std::string_view value = trim(line.substr(eq + 1));
                SleepAllow *dst = key == "AllowHibernation"            ? &conf.hibernation
                                  : key == "AllowHybridSleep"          ? &conf.hybrid_sleep
                                  : key == "AllowSuspendThenHibernate" ? &conf.suspend_then_hibernate
                                                                       : nullptr;
                if (!dst)
                        continue;
                if (value.empty()) {  // an empty assignment resets the default
                        *dst = SleepAllow{};
                        continue;
                }
                auto b = parse_boolean(value);
                if (!b) {
                        conf.warnings.push_back(file + ":" + std::to_string(lineno) + ": " + std::string(key) + "=" +
                                                printable(value) + " is not a boolean, ignored (as systemd does)");
                        continue;
                }
                *dst = SleepAllow{*b, file, lineno};
        }
}

SleepConf read_sleep_conf(const Host &host)
{
        SleepConf conf;
        auto read_one = [&](const std::string &path) {
                auto t = host.read_file_if_exists(path, MAX_FILE);
                if (!t) {
                        conf.warnings.push_back(path + ": " + t.error().message);
                        return;
                }
                if (!*t)
                        return;
                conf.files.push_back(path);
                sleep_conf_apply(conf, path, **t);
        };
        read_one("/etc/systemd/sleep.conf");
        // name → the first directory that has it (the one that wins)
        std::map<std::string, std::string> dropins;
        for (const char *dir : DROPIN_DIRS) {
                auto names = host.list_dir(dir);
                if (!names)
                        continue;  // absent directories are the normal case
                for (auto &n : *names) {
                        if (n.size() < 6 || n.compare(n.size() - 5, 5, ".conf") != 0)
                                continue;
                        if (dropins.size() >= MAX_DROPINS) {
                                conf.warnings.push_back(std::string(dir) + ": more than 256 drop-ins, the rest ignored");
                                break;
                        }
                        dropins.emplace(n, std::string(dir) + "/" + n);
                }
        }
        for (auto &[name, path] : dropins) {
                auto st = host.stat(path);
                if (st && S_ISCHR(st->st_mode))  // masked: a link to /dev/null
                        continue;
                read_one(path);
        }
        return conf;
}

}  // namespace ht
