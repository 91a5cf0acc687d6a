// SPDX-License-Identifier: LGPL-2.1-or-later
// pre / post / gate / boot-entry: the hibernate path around systemd-sleep (lib/sleep.hh).
#include <cstdio>
#include <cstdlib>

#include "bootentry.hh"
#include "parse.hh"
#include "sleep.hh"
#include "verbs.hh"

static void print_json_outcome(const ht::SleepOutcome &o)
{
        std::printf("{\"ok\": %s, \"message\": \"%s\", \"reasons\": [", o.ok ? "true" : "false",
                    ht::json_escape(o.message).c_str());
        for (size_t i = 0; i < o.reasons.size(); i++)
                std::printf("%s\"%s\"", i ? ", " : "", ht::json_escape(o.reasons[i]).c_str());
        std::printf("], \"steps\": [");
        for (size_t i = 0; i < o.steps.size(); i++)
                std::printf("%s\"%s\"", i ? ", " : "", ht::json_escape(o.steps[i]).c_str());
        std::printf("]}\n");
}

// stderr is the journal when systemd runs us; one line per outcome, steps with --verbose-ish detail.
static int report(const ht::SleepOutcome &o, const ht::ToolOptions &opt)
{
        if (opt.json)
                print_json_outcome(o);
        else {
                std::fprintf(o.ok ? stdout : stderr, "hibernate-tool: %s\n", o.message.c_str());
                for (auto &s : o.steps)
                        std::printf("  %s\n", s.c_str());
        }
        return o.ok ? 0 : 1;
}

int verb_pre(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        return report(ht::sleep_pre(host, cfg, o.mode, o.dry_run), o);
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
        if (o.json) {
                std::printf("{\"safe\": %s, \"changed\": %s, \"reasons\": [", v.safe ? "true" : "false", *ch ? "true" : "false");
                for (size_t i = 0; i < v.reasons.size(); i++)
                        std::printf("%s\"%s\"", i ? ", " : "", ht::json_escape(v.reasons[i]).c_str());
                std::printf("]}\n");
        } else {
                std::printf("hibernate-tool: hibernation %s\n", v.safe ? "is safe: offered" : "is not safe: disallowed");
                for (auto &r : v.reasons)
                        std::printf("  %s\n", r.c_str());
        }
        return 0;
}

int verb_boot_entry(const ht::Host &host, const ht::Config &, const ht::ToolOptions &o)
{
        auto rel = host.read_line("/proc/sys/kernel/osrelease");
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
        if (o.json) {
                std::printf("{\"loader\": \"%s\", \"id\": \"%s\", \"title\": \"%s\", \"kernel\": \"%s\", \"cmdline\": \"%s\", "
                            "\"config\": \"%s\"",
                            ht::boot_loader_name(t->loader), ht::json_escape(t->entry_id).c_str(),
                            ht::json_escape(t->title).c_str(), ht::json_escape(t->kernel).c_str(),
                            ht::json_escape(t->cmdline).c_str(), ht::json_escape(t->config).c_str());
                if (t->env)
                        std::printf(", \"grubenv\": {\"path\": \"%s\", \"fstype\": \"%s\", \"grub_can_write\": %s, "
                                    "\"next_entry\": %s}",
                                    ht::json_escape(t->env->path).c_str(), ht::json_escape(t->env->fstype).c_str(),
                                    t->env->grub_can_write ? "true" : "false",
                                    next ? ("\"" + ht::json_escape(*next) + "\"").c_str() : "null");
                std::printf("}\n");
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
