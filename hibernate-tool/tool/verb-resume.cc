// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>

#include "parse.hh"
#include "resumer.hh"
#include "verbs.hh"

int verb_resume(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        ht::ResumeOptions ro;
        ro.dry_run = o.dry_run;
        auto out = ht::run_resume(host, cfg, ro);
        for (auto &w : out.warnings)
                std::fprintf(stderr, "hibernate-tool: warning: %s\n", ht::printable(w).c_str());
        if (o.json)
                std::printf("{\"result\": \"%s\", \"message\": \"%s\", \"device\": \"%s\"}\n",
                            ht::json_escape(out.result).c_str(), ht::json_escape(out.message).c_str(),
                            ht::json_escape(out.device).c_str());
        else
                std::printf("hibernate-tool: %s\n", ht::printable(out.message).c_str());
        return 0;  // always continue the boot
}
