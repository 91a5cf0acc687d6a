// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sdboot.hh"

#include <algorithm>
#include <set>
#include <sys/stat.h>

#include "host.hh"
#include "json.hh"
#include "parse.hh"
#include "pe.hh"
#include "spawn.hh"

namespace ht {

std::vector<std::string> boot_partition_dirs(const Host &host)
{
        std::vector<std::string> out;
        std::set<std::pair<dev_t, ino_t>> seen;
        for (const char *d : {"/efi", "/boot", "/boot/efi"}) {
                auto st = host.stat(d);
                if (!st || !S_ISDIR(st->st_mode))
                        continue;
                if (!seen.insert({st->st_dev, st->st_ino}).second)
                        continue;
                out.push_back(d);
        }
        return out;
}

std::string boot_entry_id(std::string_view name)
{
        std::string_view suffix;
        for (std::string_view s : {std::string_view(".conf"), std::string_view(".efi")})
                if (name.size() > s.size() && name.substr(name.size() - s.size()) == s)
                        suffix = s;
        std::string_view stem = name.substr(0, name.size() - suffix.size());
        // "+LEFT" or "+LEFT-DONE", digits only.
        size_t plus = stem.rfind('+');
        if (plus != std::string_view::npos && plus + 1 < stem.size()) {
                std::string_view ctr = stem.substr(plus + 1);
                size_t dash = ctr.find('-');
                auto digits = [](std::string_view d) {
                        return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
                };
                if (dash == std::string_view::npos ? digits(ctr) : digits(ctr.substr(0, dash)) && digits(ctr.substr(dash + 1)))
                        stem = stem.substr(0, plus);
        }
        return std::string(stem) + std::string(suffix);
}

LoaderEntry uki_entry(const std::string &file_name, const std::string &path, const UkiInfo &uki)
{
        LoaderEntry e;
        e.type = 2;
        e.id = boot_entry_id(file_name);
        e.path = path;
        e.linux = path;
        std::string osrel = uki.osrel.value_or("");
        // The title as systemd-boot shows it: PRETTY_NAME, else NAME, else ID, else the id.
        for (const char *k : {"PRETTY_NAME", "NAME", "ID"})
                if (e.title.empty())
                        e.title = os_release_value(osrel, k).value_or("");
        if (e.title.empty())
                e.title = e.id;
        for (const char *k : {"VERSION_ID", "BUILD_ID", "IMAGE_VERSION"})
                if (e.version.empty())
                        e.version = os_release_value(osrel, k).value_or("");
        e.kernel_release = uki.uname ? *uki.uname : uki.linux_release.value_or("");
        while (!e.kernel_release.empty() && (e.kernel_release.back() == '\n' || e.kernel_release.back() == ' '))
                e.kernel_release.pop_back();
        e.options = uki.cmdline.value_or("");
        for (char &c : e.options)
                if (c == '\n' || c == '\t')
                        c = ' ';
        while (!e.options.empty() && e.options.back() == ' ')
                e.options.pop_back();
        return e;
}

Result<std::vector<LoaderEntry>> parse_bootctl_list(std::string_view text)
{
        std::vector<Json> objects;
        auto whole = Json::parse(text.begin(), text.end(), nullptr, false);
        if (!whole.is_discarded() && whole.is_array()) {
                for (auto &o : whole)
                        objects.push_back(o);
        } else {
                LineReader lines(text);
                while (auto l = lines.next()) {
                        if (l->find_first_not_of(" \t\r") == std::string_view::npos)
                                continue;
                        auto o = Json::parse(l->begin(), l->end(), nullptr, false);
                        if (o.is_discarded())
                                return Error{EINVAL, "bootctl list: line " + std::to_string(lines.number()) + " is not JSON"};
                        objects.push_back(std::move(o));
                }
        }
        std::vector<LoaderEntry> out;
        auto str = [](const Json &o, const char *k) {
                auto it = o.find(k);
                return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        for (auto &o : objects) {
                if (!o.is_object())
                        return Error{EINVAL, "bootctl list: an entry is not a JSON object"};
                LoaderEntry e;
                e.id = str(o, "id");
                e.path = str(o, "path");
                if (e.id.empty() || e.path.empty())
                        continue;
                e.type = e.id.size() > 4 && e.id.substr(e.id.size() - 4) == ".efi" ? 2 : 1;
                e.title = str(o, "showTitle");
                if (e.title.empty())
                        e.title = str(o, "title");
                e.version = str(o, "version");
                e.linux = str(o, "linux");
                e.options = str(o, "options");
                if (e.type == 1)
                        e.kernel_release = e.version;
                out.push_back(std::move(e));
        }
        return out;
}

namespace {

void sort_newest_first(std::vector<LoaderEntry> &v)
{
        std::stable_sort(v.begin(), v.end(), [](const LoaderEntry &a, const LoaderEntry &b) {
                if (a.kernel_release != b.kernel_release)
                        return a.kernel_release > b.kernel_release;
                return a.id > b.id;
        });
}

}  // namespace

std::vector<LoaderEntry> read_loader_entries(const Host &host)
{
        std::vector<LoaderEntry> out;
        for (auto &part : boot_partition_dirs(host)) {
                std::string dir = part + "/loader/entries";
                if (auto entries = read_bls_dir(host, dir))
                        for (auto &b : *entries) {
                                std::string n = b.id + ".conf";
                                LoaderEntry e;
                                e.type = 1;
                                e.id = boot_entry_id(n);
                                e.path = dir + "/" + n;
                                e.title = b.title.empty() ? e.id : b.title;
                                e.version = b.version;
                                e.linux = b.linux;
                                e.options = b.options;
                                e.kernel_release = b.version;
                                if (e.kernel_release.empty() && !b.linux.empty())
                                        if (auto st = host.stat(part + b.linux); st && S_ISREG(st->st_mode))
                                                if (auto h = host.read_at(part + b.linux, 0, 0x4000))
                                                        e.kernel_release = bzimage_release(*h).value_or("");
                                out.push_back(std::move(e));
                        }
                std::string ukis = part + "/EFI/Linux";
                if (auto names = host.list_dir(ukis))
                        for (auto &n : *names) {
                                if (n.size() <= 4 || n.substr(n.size() - 4) != ".efi" || n[0] == '.')
                                        continue;
                                auto u = read_uki(host, ukis + "/" + n);
                                if (!u)
                                        continue;
                                out.push_back(uki_entry(n, ukis + "/" + n, *u));
                        }
        }
        sort_newest_first(out);
        return out;
}

std::vector<LoaderEntry> list_loader_entries(const Host &host, std::string *source)
{
        if (host.is_real_root()) {
                // Bounded (pre runs it right before the machine hibernates); its complaints
                // (no ESP found, …) are not ours to show: the files are read then.
                SpawnOptions so;
                so.out = SpawnOptions::Out::Capture;
                so.stderr_null = true;
                so.timeout_ms = 30000;
                so.capture_limit = 4u << 20;
                auto r = spawn_wait({"bootctl", "--no-pager", "--json=short", "list"}, so);
                if (r && r->status == 0 && !r->timed_out)
                        if (auto list = parse_bootctl_list(r->out); list && !list->empty()) {
                                // bootctl (252) reports a UKI's os-release version, not its
                                // kernel: the kernel release is read from the image itself.
                                for (auto &e : *list)
                                        if (e.type == 2)
                                                if (auto u = read_uki(host, e.path))
                                                        e.kernel_release = uki_entry(e.id, e.path, *u).kernel_release;
                                sort_newest_first(*list);
                                if (source)
                                        *source = "bootctl";
                                return *list;
                        }
        }
        if (source)
                *source = "files";
        return read_loader_entries(host);
}

bool efi_loader_is_sdboot(const Host &host)
{
        auto v = read_loader_efi_string(host, "LoaderInfo");
        return v && v->find("systemd-boot") != std::string::npos;
}

bool has_loader_entries(const Host &host)
{
        for (auto &part : boot_partition_dirs(host))
                for (const char *sub : {"/loader/entries", "/EFI/Linux"})
                        if (auto st = host.stat(part + sub); st && S_ISDIR(st->st_mode))
                                return true;
        return false;
}

Result<BootTarget> find_sdboot_target(const Host &host, const std::string &release)
{
        std::string source;
        auto entries = list_loader_entries(host, &source);
        if (entries.empty())
                return Error{ENOENT, "systemd-boot is the boot loader but no entries were found "
                                     "(loader/entries/*.conf, EFI/Linux/*.efi on /efi, /boot, /boot/efi)"};
        const LoaderEntry *best = nullptr;
        for (auto &e : entries) {
                if (e.kernel_release != release)
                        continue;
                if (!best || (is_recovery(best->title, best->options) && !is_recovery(e.title, e.options)))
                        best = &e;
        }
        if (!best)
                return Error{ESRCH, "no systemd-boot entry (Type #1 or #2, from " + source + ") boots kernel " + release};
        BootTarget t;
        t.loader = BootLoader::SystemdBoot;
        t.entry_id = best->id;
        t.title = best->title;
        t.kernel = best->linux;
        t.cmdline = best->options;
        t.config = best->path;
        return t;
}

}  // namespace ht
