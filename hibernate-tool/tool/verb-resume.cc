// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstdio>
#include <syslog.h>

#include "json.hh"
#include "parse.hh"
#include "resumer.hh"
#include "systemd.hh"
#include "verbs.hh"

int verb_resume(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o)
{
        auto report = [&](const ht::ResumeOutcome &out) {
                for (auto &w : out.warnings)
                        std::fprintf(stderr, "hibernate-tool: warning: %s\n", ht::printable(w).c_str());
                if (o.json != ht::JsonStyle::Off) {
                        auto j = ht::json_document();
                        j["result"] = out.result;
                        j["message"] = out.message;
                        j["device"] = ht::json_nonempty(out.device);
                        j["action"] = ht::json_nonempty(out.action);
                        std::fputs(ht::json_dump(j, o.json).c_str(), stdout);
                } else {
                        // Under systemd (dracut's initrd) the decision is one structured journal
                        // entry; on the console of an initramfs-tools boot it is one line.
                        ht::sd::JournalEntry e;
                        bool bad = out.result == "invalidated" || out.result == "refused" || out.result == "error" ||
                                   out.result == "resumed-failed" || out.result == "rebooting" ||
                                   out.result == "powering-off";
                        e.priority = bad ? LOG_WARNING : LOG_INFO;
                        e.message_id = out.result == "invalidated" ? ht::sd::MSG_IMAGE_INVALIDATED
                                                                   : ht::sd::MSG_RESUME_DECISION;
                        e.message = ht::printable(out.message);
                        e.fields = {{"HIBERNATE_TOOL_RESULT", out.result}, {"HIBERNATE_TOOL_DEVICE", out.device}};
                        if (!out.action.empty())
                                e.fields.push_back({"HIBERNATE_TOOL_ACTION", out.action});
                        if (!(ht::sd::stderr_is_journal() && ht::sd::journal_send(e)))
                                std::printf("hibernate-tool: %s\n", e.message.c_str());
                }
                std::fflush(stdout);
        };
        ht::ResumeOptions ro;
        ro.dry_run = o.dry_run;
        ro.announce = report;
        ro.notice = [](const std::string &line) {
                std::printf("hibernate-tool: %s\n", ht::printable(line).c_str());
                std::fflush(stdout);
        };
        report(ht::run_resume(host, cfg, ro));
        return 0;  // always continue the boot
}
