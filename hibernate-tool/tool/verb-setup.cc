// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool setup: argument parsing and output; the work is ht::run_setup().
#include <cstdio>

#include "setup.hh"
#include "verbs.hh"
#include "version.hh"

namespace {
void log_line(const std::string &s)
{
        std::printf("hibernate-tool: %s\n", s.c_str());
        std::fflush(stdout);
}
void log_line_stderr(const std::string &s)
{
        std::fprintf(stderr, "hibernate-tool: %s\n", s.c_str());
}
}  // namespace

int verb_setup(const std::vector<std::string> &args)
{
        auto o = ht::parse_setup_args(args);
        if (!o) {
                for (auto &a : args)
                        if (a == "--json" || a.rfind("--json=", 0) == 0) {  // installers parse stdout: one object even for usage errors
                                ht::SetupReport r;
                                r.error = o.error().message;
                                r.exit_code = ht::SETUP_ERROR;
                                std::fputs(ht::setup_report_json(r).c_str(), stdout);
                                break;
                        }
                std::fprintf(stderr, "hibernate-tool setup: %s\nTry 'hibernate-tool setup --help'.\n",
                             o.error().message.c_str());
                return ht::SETUP_ERROR;
        }
        if (o->help) {
                std::fputs(ht::SETUP_USAGE, stdout);
                return 0;
        }
        if (o->version) {
                std::printf("hibernate-tool %s\n", HT_VERSION);
                return 0;
        }
        bool json = o->json != ht::JsonStyle::Off;
        auto r = ht::run_setup(*o, json ? log_line_stderr : log_line);
        if (json) {
                std::fputs(ht::setup_report_json(r, o->json).c_str(), stdout);
                return r.exit_code;
        }
        if (r.error) {
                std::fprintf(stderr, "hibernate-tool setup: %s\n", r.error->c_str());
                return r.exit_code;
        }
        if (!r.uuid.empty())
                std::printf("resume target: %s%s (%s %s)\n", r.resume_device.c_str(),
                            r.offset ? (" resume_offset=" + std::to_string(*r.offset)).c_str() : "", r.swap_kind.c_str(),
                            r.swap_path.c_str());
        if (r.dry_run) {
                for (auto &f : r.files)
                        std::fputs(f.diff.c_str(), stdout);
                for (auto &c : r.commands)
                        std::printf("would run: %s\n", c.c_str());
                std::printf(r.changed ? "dry run: nothing was changed\n" : "nothing to change\n");
        } else {
                for (auto &c : r.regenerated)
                        std::printf("ran: %s\n", c.c_str());
                if (r.changed)
                        std::printf(r.undo ? "undone\n" : "hibernation is set up\n");
                else if (!r.undo)
                        std::printf("nothing to change\n");
        }
        std::fflush(stdout);
        for (auto &n : r.notes)  // notes and warnings go to stderr; stdout has the result
                std::fprintf(stderr, "hibernate-tool setup: note: %s\n", n.c_str());
        return r.exit_code;
}
