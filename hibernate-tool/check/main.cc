// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-check: parse arguments, run the library's checks, print. Nothing else here.
#include <cstdio>
#include <exception>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.hh"
#include "cli.hh"
#include "config.hh"
#include "host.hh"
#include "version.hh"

static int run(int argc, char **argv)
{
        std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
        auto opts = ht::parse_check_args(args);
        if (!opts) {
                std::fprintf(stderr, "hibernate-check: %s\nTry 'hibernate-check --help'.\n", opts.error().message.c_str());
                return 2;
        }
        if (opts->help) {
                std::fputs(ht::CHECK_USAGE, stdout);
                return 0;
        }
        if (opts->version) {
                std::printf("hibernate-check %s\n", HT_VERSION);
                return 0;
        }
        struct stat st;
        if (::stat(opts->root.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
                std::fprintf(stderr, "hibernate-check: --root '%s' is not a directory\n", opts->root.c_str());
                return 2;
        }
        ht::Host host(opts->root);
        auto cfg = ht::load_config(host, opts->config);
        if (!cfg) {
                std::fprintf(stderr, "hibernate-check: %s\n", cfg.error().message.c_str());
                return 2;
        }
        ht::Report rep = ht::run_checks(host, *cfg);
        std::string out;
        if (opts->json != ht::JsonStyle::Off) {
                out = ht::render_json(rep, opts->json);
        } else {
                for (auto &n : rep.notes)  // notes go to stderr in text mode; the JSON carries them
                        std::fprintf(stderr, "hibernate-check: note: %s\n", n.c_str());
                out = ht::render_text(rep, ht::want_color(STDOUT_FILENO), opts->verbose);
        }
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
                std::perror("hibernate-check: write");
                return 2;
        }
        return rep.ready() ? 0 : 1;
}

int main(int argc, char **argv)
{
        // No exception may end the program with a crash (std::terminate): one message.
        try {
                return run(argc, argv);
        } catch (const std::exception &e) {
                std::fprintf(stderr, "hibernate-check: internal error: %s\n", e.what());
        } catch (...) {
                std::fputs("hibernate-check: internal error\n", stderr);
        }
        return 2;
}
