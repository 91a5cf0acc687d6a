// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config.hh"

#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <toml++/toml.h>

#include "host.hh"
#include "parse.hh"

namespace ht {

namespace {

std::string where(std::string_view file, const toml::source_region &r)
{
        std::ostringstream o;
        o << file << ":" << r.begin.line << ":" << r.begin.column;
        return o.str();
}

Error type_error(std::string_view file, const toml::node &n, std::string_view key, std::string_view want)
{
        return Error{EINVAL, where(file, n.source()) + ": '" + std::string(key) + "' must be " + std::string(want)};
}

// A size: a non-negative integer (bytes) or a string such as "4G" (parse_size); nullopt
// for anything else.
std::optional<uint64_t> size_value(const toml::node &v)
{
        if (v.is_integer()) {
                auto i = v.value<int64_t>();
                if (i && *i >= 0)
                        return static_cast<uint64_t>(*i);
                return std::nullopt;
        }
        if (v.is_string())
                return parse_size(*v.value<std::string>());
        return std::nullopt;
}

}  // namespace

Status apply_config_text(std::string_view text, std::string_view source_name, Config &cfg_out)
{
        toml::table tbl;
        try {
                tbl = toml::parse(text, source_name);
        } catch (const toml::parse_error &e) {
                std::ostringstream o;
                o << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
                  << e.description();
                return Error{EINVAL, o.str()};
        }

        Config cfg = cfg_out;  // applied only when the whole file is valid
        for (auto &&[k, v] : tbl) {
                std::string section(k.str());
                auto *t = v.as_table();
                if (!t) {
                        cfg.warnings.push_back(where(source_name, v.source()) + ": unknown top-level key '" +
                                               section + "', ignoring");
                        continue;
                }
                for (auto &&[kk, vv] : *t) {
                        std::string key(kk.str());
                        std::string full = section + "." + key;
                        if (full == "resume.device") {
                                auto s = vv.value<std::string>();
                                if (!s || !vv.is_string())
                                        return type_error(source_name, vv, full, "a string such as \"UUID=…\"");
                                auto spec = parse_device_spec(*s);
                                if (!spec)
                                        return Error{EINVAL, where(source_name, vv.source()) + ": " + spec.error().message};
                                cfg.resume_device = *s;
                        } else if (full == "resume.offset") {
                                auto i = vv.value_exact<int64_t>();
                                if (!vv.is_integer() || !i || *i < 0 ||
                                    static_cast<uint64_t>(*i) > (UINT64_MAX - 4096) / 4096)
                                        return type_error(source_name, vv, full,
                                                          "a non-negative integer (pages) whose byte position fits "
                                                          "64 bits");
                                cfg.resume_offset = static_cast<uint64_t>(*i);
                        } else if (full == "resume.timeout_sec") {
                                auto i = vv.value_exact<int64_t>();
                                if (!vv.is_integer() || !i || *i < 0 || *i > 86400)
                                        return type_error(source_name, vv, full, "an integer from 0 to 86400 (seconds)");
                                cfg.resume_timeout_sec = static_cast<unsigned>(*i);
                        } else if (full == "resume.require_record") {
                                if (!vv.is_boolean())
                                        return type_error(source_name, vv, full, "true or false");
                                cfg.require_record = *vv.value<bool>();
                        } else if (full == "resume.refused") {
                                auto v = vv.value<std::string>();
                                if (!v || (*v != "invalidate" && *v != "poweroff"))
                                        return type_error(source_name, vv, full, "\"invalidate\" or \"poweroff\"");
                                cfg.refused = *v == "poweroff" ? Config::Refused::PowerOff : Config::Refused::Invalidate;
                        } else if (full == "resume.ask_timeout_sec") {
                                auto i = vv.value_exact<int64_t>();
                                if (!vv.is_integer() || !i || *i < 0 || *i > 3600)
                                        return type_error(source_name, vv, full, "an integer from 0 to 3600 (seconds)");
                                cfg.refused_ask_timeout_sec = static_cast<unsigned>(*i);
                        } else if (full == "check.swap_margin_percent") {
                                auto i = vv.value_exact<int64_t>();
                                if (!vv.is_integer() || !i || *i < 0 || *i > 1000)
                                        return type_error(source_name, vv, full, "an integer from 0 to 1000");
                                cfg.swap_margin_percent = static_cast<unsigned>(*i);
                        } else if (full == "check.image_size") {
                                std::optional<uint64_t> bytes = size_value(vv);
                                if (!bytes)
                                        return type_error(source_name, vv, full, "a size in bytes or a string such as \"4G\"");
                                cfg.image_size_bytes = bytes;
                        } else if (full == "check.unencrypted_swap") {
                                auto u = vv.value_exact<std::string>();
                                if (!vv.is_string() || !u || (*u != "warn" && *u != "fail" && *u != "ignore"))
                                        return type_error(source_name, vv, full, "\"warn\", \"fail\" or \"ignore\"");
                                cfg.unencrypted_swap = *u == "fail"     ? Config::UnencryptedSwap::Fail
                                                       : *u == "ignore" ? Config::UnencryptedSwap::Ignore
                                                                        : Config::UnencryptedSwap::Warn;
                        } else if (full == "kernel.pagesets") {
                                auto s = vv.value_exact<std::string>();
                                if (!vv.is_string() || !s || (*s != "two" && *s != "stock" && *s != "auto"))
                                        return type_error(source_name, vv, full, "\"two\", \"stock\" or \"auto\"");
                                cfg.pagesets = *s == "two" ? PagesetsPref::Two
                                                           : *s == "stock" ? PagesetsPref::Stock : PagesetsPref::Auto;
                        } else if (full == "kernel.image_size") {
                                auto s = vv.value_exact<std::string>();
                                if (!vv.is_string() || !s || (*s != "keep" && *s != "fit"))
                                        return type_error(source_name, vv, full, "\"keep\" or \"fit\"");
                                cfg.image_size_fit = *s == "fit";
                        } else if (full == "prefetch.enabled") {
                                if (!vv.is_boolean())
                                        return type_error(source_name, vv, full, "true or false");
                                cfg.prefetch_enabled = *vv.value<bool>();
                        } else if (full == "prefetch.record_deadline_ms") {
                                auto i = vv.value_exact<int64_t>();
                                if (!vv.is_integer() || !i || *i < 1 || *i > 10000)
                                        return type_error(source_name, vv, full, "an integer from 1 to 10000 (milliseconds)");
                                cfg.prefetch_record_deadline_ms = static_cast<unsigned>(*i);
                        } else if (full == "prefetch.max_bytes" || full == "prefetch.min_available") {
                                std::optional<uint64_t> bytes = size_value(vv);
                                if (!bytes)
                                        return type_error(source_name, vv, full, "a size in bytes or a string such as \"512M\"");
                                (full == "prefetch.max_bytes" ? cfg.prefetch_max_bytes : cfg.prefetch_min_available) = *bytes;
                        } else {
                                cfg.warnings.push_back(where(source_name, vv.source()) + ": unknown key '" + full +
                                                       "', ignoring");
                        }
                }
        }
        cfg.files.emplace_back(source_name);
        cfg_out = std::move(cfg);
        return ok_status();
}

Result<Config> load_config(const Host &host, const std::optional<std::string> &main_override)
{
        Config cfg;
        auto apply_file = [&](const std::string &display, Result<std::string> text, bool required) -> Status {
                if (!text) {
                        if (!required && text.error().code == ENOENT)
                                return ok_status();
                        return Error{text.error().code, display + ": " + text.error().message};
                }
                return apply_config_text(*text, display, cfg);
        };

        if (main_override) {
                // --config names a file on the host, as a user types it.
                Host plain("/");
                std::string p = *main_override;
                if (p.empty() || p[0] != '/') {
                        char cwd[4096];
                        if (::getcwd(cwd, sizeof cwd))
                                p = path_join(cwd, p);
                }
                if (auto st = apply_file(*main_override, plain.read_file(p, 1u << 20), true); !st)
                        return st.error();
        } else {
                if (auto st = apply_file(host.path(CONFIG_MAIN), host.read_file(CONFIG_MAIN, 1u << 20), false); !st)
                        return st.error();
        }

        auto names = host.list_dir(CONFIG_DROPIN_DIR);
        if (names) {
                for (auto &n : *names) {
                        if (n.size() < 6 || n.compare(n.size() - 5, 5, ".toml") != 0)
                                continue;
                        std::string abs = path_join(CONFIG_DROPIN_DIR, n);
                        auto st = host.stat(abs);
                        if (st && !S_ISREG(st->st_mode))
                                continue;
                        if (auto s = apply_file(host.path(abs), host.read_file(abs, 1u << 20), true); !s)
                                return s.error();
                }
        } else if (names.error().code != ENOENT) {
                return Error{names.error().code, names.error().message};
        }
        return cfg;
}

}  // namespace ht
