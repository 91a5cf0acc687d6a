// SPDX-License-Identifier: LGPL-2.1-or-later
// prefetch: after resume, bring back the working set pre recorded (lib/prefetch.hh).
#include <atomic>
#include <csignal>
#include <cstdio>

#include "prefetch.hh"
#include "verbs.hh"

static std::atomic<bool> g_stop{false};
static void on_signal(int) { g_stop = true; }

int verb_prefetch(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        struct sigaction sa{};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGTERM, &sa, nullptr);
        ::sigaction(SIGINT, &sa, nullptr);

        if (o.record) {  // what pre does, alone (tests, measurements)
                auto lock = ht::RootLock::take(host, "prefetch --record");
                if (!lock) {
                        std::fprintf(stderr, "hibernate-tool: %s\n", lock.error().message.c_str());
                        return 1;
                }
                if (!cfg.prefetch_enabled) {
                        std::printf("hibernate-tool: prefetch is disabled ([prefetch] enabled = false); nothing recorded\n");
                        return 0;
                }
                std::string summary;
                std::string step = ht::record_for_prefetch(host, cfg, summary);
                if (summary.empty()) {
                        std::fprintf(stderr, "hibernate-tool: %s\n", step.c_str());
                        return 1;
                }
                std::printf("hibernate-tool: %s\n", step.c_str());
                return 0;
        }

        ht::PrefetchReport r;
        std::string record;
        if (!cfg.prefetch_enabled)
                r.no_record = "disabled in the configuration ([prefetch] enabled = false)";
        else
                r = ht::prefetch_from_record(host, cfg, g_stop, record);

        // The lock only now, and briefly: the work above must not hold up pre or post. The
        // record is removed only when it is still the one prefetched (a new pre may have
        // written another meanwhile).
        if (r.ran || !record.empty()) {
                auto lock = ht::RootLock::take(host, "prefetch", 5000);
                if (!lock) {
                        std::fprintf(stderr, "hibernate-tool: %s; outcome not recorded\n", lock.error().message.c_str());
                } else {
                        auto now = host.read_file_if_exists(ht::WORKINGSET_FILE, ht::WORKINGSET_MAX_FILE);
                        if (now && *now && **now == record)
                                (void)host.remove(ht::WORKINGSET_FILE);
                        if (r.ran)
                                if (auto st = ht::note_prefetch_outcome(host, r); !st)
                                        std::fprintf(stderr, "hibernate-tool: cannot record the prefetch outcome: %s\n",
                                                     st.error().message.c_str());
                }
        }
        if (o.json != ht::JsonStyle::Off)
                std::fputs(ht::json_dump(r.json(), o.json).c_str(), stdout);
        else
                std::printf("hibernate-tool: %s\n", r.summary().c_str());
        return 0;
}
