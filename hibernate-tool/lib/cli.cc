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

const char TOOL_USAGE[] =
        "Usage: hibernate-tool VERB [OPTIONS]\n"
        "\n"
        "Verbs:\n"
        "  resume       in the initramfs: resume from the configured device when that is safe\n"
        "  record       write the hibernation record onto the resume swap (before hibernating)\n"
        "  invalidate   turn a waiting hibernation image back into plain swap\n"
        "  pre          before hibernating (systemd-hibernate.service and friends): refuse an\n"
        "               unsafe hibernation, make the next boot run this kernel, write the record\n"
        "  post         after resume or a failed/refused hibernation: undo what pre changed\n"
        "  gate         keep systemd's sleep.conf gate current (hibernation offered only when safe)\n"
        "  boot-entry   show the boot loader entry that boots the running kernel\n"
        "  setup        configure swap, resume target, GRUB and the initramfs (see hibernate-tool(8))\n"
        "\n"
        "Options:\n"
        "  --root DIR        operate on the system under DIR (default /)\n"
        "  --config FILE     read FILE instead of /etc/hibernate-tool/hibernate.toml\n"
        "  --boot-entry ID   record: the boot entry that will resume the image\n"
        "  --dry-run         resume, pre: decide and report, change nothing\n"
        "  --mode MODE       pre: hibernate, hybrid-sleep or suspend-then-hibernate\n"
        "  --boot            post: clean up at boot after a hibernation that was not resumed\n"
        "  --watch           gate: stay running and re-evaluate on swap, mount and config changes\n"
        "  --json            print the result as JSON\n"
        "  -h, --help        show this help\n"
        "  --version         show the version\n"
        "\n"
        "Exit status: resume always 0 (continue the boot) unless the usage is wrong (2);\n"
        "record, invalidate, pre, post, gate and boot-entry 0 on success, 1 when refused or failed,\n"
        "2 usage error.\n";

Result<ToolOptions> parse_tool_args(const std::vector<std::string> &args)
{
        ToolOptions o;
        for (size_t i = 0; i < args.size(); i++) {
                std::string a = args[i];
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
                auto flag = [&](bool &dst, const char *name) -> Status {
                        if (inline_val)
                                return Error{EINVAL, std::string("option '") + name + "' takes no value"};
                        dst = true;
                        return ok_status();
                };
                Status st = ok_status();
                if (a == "--root") {
                        auto v = need_value("--root");
                        if (!v)
                                return v.error();
                        if (v->empty())
                                return Error{EINVAL, "--root needs a directory"};
                        o.root = *v;
                } else if (a == "--config") {
                        auto v = need_value("--config");
                        if (!v)
                                return v.error();
                        if (v->empty())
                                return Error{EINVAL, "--config needs a file name"};
                        o.config = *v;
                } else if (a == "--boot-entry") {
                        auto v = need_value("--boot-entry");
                        if (!v)
                                return v.error();
                        for (char c : *v)
                                if (static_cast<unsigned char>(c) < 0x20)
                                        return Error{EINVAL, "--boot-entry contains control characters"};
                        o.boot_entry = *v;
                } else if (a == "--mode") {
                        auto v = need_value("--mode");
                        if (!v)
                                return v.error();
                        if (*v != "hibernate" && *v != "hybrid-sleep" && *v != "suspend-then-hibernate")
                                return Error{EINVAL, "--mode must be hibernate, hybrid-sleep or suspend-then-hibernate"};
                        o.mode = *v;
                } else if (a == "--boot") {
                        st = flag(o.boot, "--boot");
                } else if (a == "--watch") {
                        st = flag(o.watch, "--watch");
                } else if (a == "--json") {
                        st = flag(o.json, "--json");
                } else if (a == "--dry-run") {
                        st = flag(o.dry_run, "--dry-run");
                } else if (a == "--help" || a == "-h") {
                        o.help = true;
                } else if (a == "--version") {
                        o.version = true;
                } else if (!a.empty() && a[0] == '-') {
                        return Error{EINVAL, "unknown option '" + printable(a) + "'"};
                } else if (o.verb.empty()) {
                        if (a != "resume" && a != "record" && a != "invalidate" && a != "pre" && a != "post" &&
                            a != "gate" && a != "boot-entry")
                                return Error{EINVAL, "unknown verb '" + printable(a) + "'"};
                        o.verb = a;
                } else {
                        return Error{EINVAL, "unexpected argument '" + printable(a) + "'"};
                }
                if (!st)
                        return st.error();
        }
        if (o.verb.empty() && !o.help && !o.version)
                return Error{EINVAL, "no verb given"};
        if (!o.boot_entry.empty() && o.verb != "record")
                return Error{EINVAL, "--boot-entry applies to record only"};
        if (o.dry_run && o.verb != "resume" && o.verb != "pre")
                return Error{EINVAL, "--dry-run applies to resume and pre only"};
        if (!o.mode.empty() && o.verb != "pre")
                return Error{EINVAL, "--mode applies to pre only"};
        if (o.mode.empty())
                o.mode = "hibernate";
        if (o.boot && o.verb != "post")
                return Error{EINVAL, "--boot applies to post only"};
        if (o.watch && o.verb != "gate")
                return Error{EINVAL, "--watch applies to gate only"};
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
