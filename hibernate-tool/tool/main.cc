// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool: parse arguments, load the configuration, dispatch to a verb.
#include <cstdio>
#include <exception>
#include <optional>
#include <sys/stat.h>

#include "verbs.hh"
#include "version.hh"

int main(int argc, char **argv)
{
        try {
                std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
                if (!args.empty() && args[0] == "setup")
                        return verb_setup(std::vector<std::string>(args.begin() + 1, args.end()));
                auto o = ht::parse_tool_args(args);
                if (!o) {
                        std::fprintf(stderr, "hibernate-tool: %s\nTry 'hibernate-tool --help'.\n", o.error().message.c_str());
                        return 2;
                }
                if (o->help) {
                        std::fputs(o->verb == "setup" ? ht::SETUP_USAGE : ht::tool_usage(o->verb).c_str(), stdout);
                        return 0;
                }
                if (o->version) {
                        std::printf("hibernate-tool %s\n", HT_VERSION);
                        return 0;
                }
                struct stat st;
                if (::stat(o->root.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
                        std::fprintf(stderr, "hibernate-tool: --root '%s' is not a directory\n", o->root.c_str());
                        return 2;
                }
                ht::Host host(o->root);
                auto cfg = ht::load_config(host, o->config);
                if (!cfg) {
                        std::fprintf(stderr, "hibernate-tool: %s\n", cfg.error().message.c_str());
                        if (o->verb == "post") {  // undoing must never depend on the configuration
                                auto l = ht::RootLock::take(host, "post");
                                if (!l) {
                                        std::fprintf(stderr, "hibernate-tool: %s\n", l.error().message.c_str());
                                        return 1;
                                }
                                return verb_post(host, ht::Config{}, *o);
                        }
                        if (o->verb == "resume") {  // never block a boot over configuration
                                std::printf("hibernate-tool: not resuming: bad configuration\n");
                                return 0;
                        }
                        return 2;
                }
                for (auto &w : cfg->warnings)
                        std::fprintf(stderr, "hibernate-tool: %s\n", w.c_str());
                // Every verb that writes takes the one lock of the root (gate --watch takes it
                // for each change it makes; resume runs alone in the initramfs; prefetch runs for
                // long after post and takes it only to write its outcome).
                std::optional<ht::RootLock> lock;
                if (o->verb != "resume" && o->verb != "prefetch" && !(o->verb == "gate" && o->watch) && !o->dry_run) {
                        auto l = ht::RootLock::take(host, o->verb);
                        if (!l) {
                                std::fprintf(stderr, "hibernate-tool: %s\n", l.error().message.c_str());
                                return 1;
                        }
                        lock.emplace(std::move(*l));
                }
                if (o->verb == "resume")
                        return verb_resume(host, *cfg, *o);
                if (o->verb == "record")
                        return verb_record(host, *cfg, *o);
                if (o->verb == "pre")
                        return verb_pre(host, *cfg, *o);
                if (o->verb == "post")
                        return verb_post(host, *cfg, *o);
                if (o->verb == "gate")
                        return verb_gate(host, *cfg, *o);
                if (o->verb == "prefetch")
                        return verb_prefetch(host, *cfg, *o);
                if (o->verb == "boot-entry")
                        return verb_boot_entry(host, *cfg, *o);
                return verb_invalidate(host, *cfg, *o);
        } catch (const std::exception &e) {
                std::fprintf(stderr, "hibernate-tool: internal error: %s\n", e.what());
                return 2;
        }
}
