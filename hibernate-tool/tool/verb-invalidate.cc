// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>

#include "resumer.hh"
#include "verbs.hh"

int verb_invalidate(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &)
{
        auto r = ht::invalidate_target(host, cfg);
        if (!r) {
                std::fprintf(stderr, "hibernate-tool: not invalidating: %s\n", r.error().message.c_str());
                return 1;
        }
        std::printf("hibernate-tool: image on %s invalidated; the swap can be activated again\n", r->c_str());
        return 0;
}
