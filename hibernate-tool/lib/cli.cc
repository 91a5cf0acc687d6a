// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli.hh"

#include <cstdlib>
#include <unistd.h>

#include "parse.hh"

namespace ht {

const char CHECK_USAGE[] =
        "Usage: hibernate-check [OPTIONS]\n"
        "\n"
        "Tell whether hibernation will work on this system, and why not.\n"
        "\n"
        "  --root DIR      check the system installed under DIR (default /)\n"
        "  --config FILE   read FILE instead of /etc/hibernate-tool/hibernate.toml\n"
        "  --json          print one JSON object instead of text\n"
        "  --verbose       show the details of passing checks too\n"
        "  -h, --help      show this help\n"
        "  --version       show the version\n"
        "\n"
        "Exit status: 0 no check failed, 1 a check failed, 2 usage or internal error.\n";

Result<CheckOptions> parse_check_args(const std::vector<std::string> &args)
{
        CheckOptions o;
        for (size_t i = 0; i < args.size(); i++) {
                std::string a = args[i];
                if (a == "--")
                        break;
                std::optional<std::string> inline_val;
                if (a.rfind("--", 0) == 0) {
                        auto eq = a.find('=');
                        if (eq != std::string::npos) {
                                inline_val = a.substr(eq + 1);
                                a.resize(eq);
                        }
                }
                auto need_value = [&](const char *name) -> Result<std::string> {
                        if (inline_val)
                                return *inline_val;
                        if (i + 1 >= args.size())
                                return Error{EINVAL, std::string("option '") + name + "' needs a value"};
                        return args[++i];
                };
                auto no_value = [&](const char *name) -> Status {
                        if (inline_val)
                                return Error{EINVAL, std::string("option '") + name + "' takes no value"};
                        return ok_status();
                };
                if (a == "--root") {
                        auto v = need_value("--root");
                        if (!v)
                                return v.error();
                        if (v->empty() || v->find('\0') != std::string::npos)
                                return Error{EINVAL, "--root needs a directory"};
                        o.root = *v;
                } else if (a == "--config") {
                        auto v = need_value("--config");
                        if (!v)
                                return v.error();
                        if (v->empty())
                                return Error{EINVAL, "--config needs a file name"};
                        o.config = *v;
                } else if (a == "--json") {
                        if (auto s = no_value("--json"); !s)
                                return s.error();
                        o.json = true;
                } else if (a == "--verbose" || a == "-v") {
                        if (auto s = no_value("--verbose"); !s)
                                return s.error();
                        o.verbose = true;
                } else if (a == "--help" || a == "-h") {
                        o.help = true;
                } else if (a == "--version") {
                        o.version = true;
                } else if (!a.empty() && a[0] == '-') {
                        return Error{EINVAL, "unknown option '" + printable(a) + "'"};
                } else {
                        return Error{EINVAL, "unexpected argument '" + printable(a) + "'"};
                }
        }
        return o;
}

bool want_color(int fd)
{
        const char *nc = std::getenv("NO_COLOR");
        if (nc)  // set, even empty, disables colour
                return false;
        const char *term = std::getenv("TERM");
        if (term && std::string(term) == "dumb")
                return false;
        return ::isatty(fd) == 1;
}

}  // namespace ht
