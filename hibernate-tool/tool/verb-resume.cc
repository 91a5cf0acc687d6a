// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>

#include "json.hh"
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
        if (o.json != ht::JsonStyle::Off) {
                auto j = ht::json_document();
                j["result"] = out.result;
                j["message"] = out.message;
                j["device"] = ht::json_nonempty(out.device);
                std::fputs(ht::json_dump(j, o.json).c_str(), stdout);
        } else
                std::printf("hibernate-tool: %s\n", ht::printable(out.message).c_str());
        return 0;  // always continue the boot
}
