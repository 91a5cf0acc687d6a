// SPDX-License-Identifier: LGPL-2.1-or-later
// pre / post / gate / boot-entry: the hibernate path around systemd-sleep (lib/sleep.hh).
#include <cstdio>
#include <cstdlib>
#include <syslog.h>

#include "bootentry.hh"
#include "json.hh"
#include "parse.hh"
#include "sleep.hh"
#include "systemd.hh"
#include "verbs.hh"

static void print_json(const ht::Json &doc, ht::JsonStyle style)
{
        std::fputs(ht::json_dump(doc, style).c_str(), stdout);
}

// stderr is the journal when systemd runs us; one line per outcome, steps with --verbose-ish detail.
static int report(const ht::SleepOutcome &o, const ht::ToolOptions &opt, bool refusal = false)
{
        if (opt.json != ht::JsonStyle::Off) {
                auto j = ht::json_document();
                j["ok"] = o.ok;
                j["message"] = o.message;
                j["reasons"] = ht::json_list(o.reasons);
                j["steps"] = ht::json_list(o.steps);
                print_json(j, opt.json);
        } else {
                if (o.ok) {
                        std::printf("hibernate-tool: %s\n", o.message.c_str());
                } else {
                        ht::sd::JournalEntry e;
                        e.priority = LOG_WARNING;
                        e.message_id = refusal ? ht::sd::MSG_HIBERNATION_REFUSED : nullptr;
                        e.message = o.message;
                        for (auto &r : o.reasons)
                                e.fields.emplace_back("HIBERNATE_TOOL_REASON", r);
                        ht::sd::log_event(e);
                }
                for (auto &s : o.steps)
                        std::printf("  %s\n", s.c_str());
        }
        return o.ok ? 0 : 1;
}

int verb_pre(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        return report(ht::sleep_pre(host, cfg, o.mode, o.dry_run), o, true);
}

int verb_post(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        const char *sr = std::getenv("SERVICE_RESULT");
        const char *es = std::getenv("EXIT_STATUS");
        return report(ht::sleep_post(host, cfg, sr ? sr : "", es ? es : "", o.boot), o);
}

int verb_gate(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        if (o.watch)
                return ht::gate_watch(host, cfg, o.config);
        auto v = ht::evaluate_hibernation(host, cfg, ht::grub_config_path(host).has_value());
        auto ch = ht::gate_apply(host, v);
        if (!ch) {
                std::fprintf(stderr, "hibernate-tool: %s\n", ch.error().message.c_str());
                return 1;
        }
        if (o.json != ht::JsonStyle::Off) {
                auto j = ht::json_document();
                j["safe"] = v.safe;
                j["changed"] = *ch;
                j["reasons"] = ht::json_list(v.reasons);
                print_json(j, o.json);
        } else {
                std::printf("hibernate-tool: hibernation %s\n", v.safe ? "is safe: offered" : "is not safe: disallowed");
                for (auto &r : v.reasons)
                        std::printf("  %s\n", r.c_str());
        }
        return 0;
}

int verb_boot_entry(const ht::Host &host, const ht::Config &, const ht::ToolOptions &o)
{
        auto rel = o.kernel.empty() ? host.read_line("/proc/sys/kernel/osrelease") : o.kernel;
        auto boot = ht::BootAccess::open(host);
        if (!boot) {
                std::fprintf(stderr, "hibernate-tool: %s\n", boot.error().message.c_str());
                return 1;
        }
        auto t = ht::find_boot_target(host, rel ? *rel : std::string());
        if (!t) {
                std::fprintf(stderr, "hibernate-tool: %s\n", t.error().message.c_str());
                return 1;
        }
        std::optional<std::string> next;
        if (t->env)
                next = ht::grubenv_next_entry(host, *t->env);
        if (o.json != ht::JsonStyle::Off) {
                auto j = ht::json_document();
                j["loader"] = ht::boot_loader_name(t->loader);
                j["id"] = t->entry_id;
                j["title"] = t->title;
                j["kernel"] = t->kernel;
                j["cmdline"] = t->cmdline;
                j["config"] = t->config;
                if (t->env)
                        j["grubenv"] = {{"path", t->env->path},
                                        {"fstype", t->env->fstype},
                                        {"grub_can_write", t->env->grub_can_write},
                                        {"next_entry", ht::json_opt(next)}};
                print_json(j, o.json);
        } else {
                std::printf("%s entry %s\n  title   %s\n  kernel  %s\n  cmdline %s\n", ht::boot_loader_name(t->loader),
                            t->entry_id.c_str(), ht::printable(t->title).c_str(), t->kernel.c_str(),
                            ht::printable(t->cmdline).c_str());
                if (t->env)
                        std::printf("  grubenv %s (%s%s%s)\n", t->env->path.c_str(), t->env->fstype.c_str(),
                                    t->env->grub_can_write ? "" : "; ", t->env->why_not.c_str());
        }
        return 0;
}
