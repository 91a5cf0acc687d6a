// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>
#include <syslog.h>

#include "resumer.hh"
#include "systemd.hh"
#include "verbs.hh"

int verb_invalidate(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &)
{
        auto r = ht::invalidate_target(host, cfg);
        if (!r) {
                std::fprintf(stderr, "hibernate-tool: not invalidating: %s\n", r.error().message.c_str());
                return 1;
        }
        ht::sd::JournalEntry e;
        e.priority = LOG_NOTICE;
        e.message_id = ht::sd::MSG_IMAGE_INVALIDATED;
        e.message = "image on " + *r + " invalidated; the swap can be activated again";
        e.fields = {{"HIBERNATE_TOOL_RESULT", "invalidated"}, {"HIBERNATE_TOOL_DEVICE", *r}};
        if (!(ht::sd::stderr_is_journal() && ht::sd::journal_send(e)))
                std::printf("hibernate-tool: %s\n", e.message.c_str());
        return 0;
}
