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

bool ArgScanner::next()
{
        if (started_)
                i_++;
        started_ = true;
        inline_.reset();
        if (i_ >= args_.size())
                return false;
        name_ = args_[i_];
        if (dashdash_ && name_ == "--") {
                i_ = args_.size();
                return false;
        }
        if (name_.rfind("--", 0) == 0) {
                auto eq = name_.find('=');
                if (eq != std::string::npos) {
                        inline_ = name_.substr(eq + 1);
                        name_.resize(eq);
                }
        }
        return true;
}

Result<std::string> ArgScanner::value()
{
        if (inline_)
                return *inline_;
        if (i_ + 1 >= args_.size())
                return Error{EINVAL, "option '" + name_ + "' needs a value"};
        return args_[++i_];
}

Status ArgScanner::no_value() const
{
        if (inline_)
                return Error{EINVAL, "option '" + name_ + "' takes no value"};
        return ok_status();
}

Status ArgScanner::flag(bool &dst, bool once)
{
        if (auto st = no_value(); !st)
                return st;
        if (once && dst)
                return Error{EINVAL, "option '" + name_ + "' given twice"};
        dst = true;
        return ok_status();
}

Error ArgScanner::unexpected() const
{
        if (!name_.empty() && name_[0] == '-')
                return Error{EINVAL, "unknown option '" + printable(name_) + "'"};
        return Error{EINVAL, "unexpected argument '" + printable(name_) + "'"};
}

Result<CheckOptions> parse_check_args(const std::vector<std::string> &args)
{
        CheckOptions o;
        ArgScanner a(args, true);
        while (a.next()) {
                Status st = ok_status();
                if (a.is("--root")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (v->empty() || v->find('\0') != std::string::npos)
                                return Error{EINVAL, "--root needs a directory"};
                        o.root = *v;
                } else if (a.is("--config")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (v->empty())
                                return Error{EINVAL, "--config needs a file name"};
                        o.config = *v;
                } else if (a.is("--json")) {
                        st = a.flag(o.json);
                } else if (a.is("--verbose") || a.is("-v")) {
                        st = a.flag(o.verbose);
                } else if (a.is("--help") || a.is("-h")) {
                        o.help = true;
                } else if (a.is("--version")) {
                        o.version = true;
                } else {
                        return a.unexpected();
                }
                if (!st)
                        return st.error();
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
        "  prefetch     after resume: bring the working set pre recorded back into memory\n"
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
        "  --record          prefetch: record the working set now (what pre does), do not prefetch\n"
        "  --json            print the result as JSON\n"
        "  -h, --help        show this help\n"
        "  --version         show the version\n"
        "\n"
        "Exit status: resume always 0 (continue the boot) unless the usage is wrong (2);\n"
        "record, invalidate, pre, post, gate, boot-entry and prefetch 0 on success, 1 when refused or failed,\n"
        "2 usage error.\n";

Result<ToolOptions> parse_tool_args(const std::vector<std::string> &args)
{
        ToolOptions o;
        ArgScanner a(args);
        while (a.next()) {
                Status st = ok_status();
                if (a.is("--root")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (v->empty())
                                return Error{EINVAL, "--root needs a directory"};
                        o.root = *v;
                } else if (a.is("--config")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (v->empty())
                                return Error{EINVAL, "--config needs a file name"};
                        o.config = *v;
                } else if (a.is("--boot-entry")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        for (char c : *v)
                                if (static_cast<unsigned char>(c) < 0x20)
                                        return Error{EINVAL, "--boot-entry contains control characters"};
                        o.boot_entry = *v;
                } else if (a.is("--mode")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (*v != "hibernate" && *v != "hybrid-sleep" && *v != "suspend-then-hibernate")
                                return Error{EINVAL, "--mode must be hibernate, hybrid-sleep or suspend-then-hibernate"};
                        o.mode = *v;
                } else if (a.is("--boot")) {
                        st = a.flag(o.boot);
                } else if (a.is("--watch")) {
                        st = a.flag(o.watch);
                } else if (a.is("--record")) {
                        st = a.flag(o.record);
                } else if (a.is("--json")) {
                        st = a.flag(o.json);
                } else if (a.is("--dry-run")) {
                        st = a.flag(o.dry_run);
                } else if (a.is("--help") || a.is("-h")) {
                        o.help = true;
                } else if (a.is("--version")) {
                        o.version = true;
                } else if (!a.arg().empty() && a.arg()[0] == '-') {
                        return a.unexpected();
                } else if (o.verb.empty()) {
                        const std::string &v = a.arg();
                        if (v != "resume" && v != "record" && v != "invalidate" && v != "pre" && v != "post" &&
                            v != "gate" && v != "boot-entry" && v != "prefetch")
                                return Error{EINVAL, "unknown verb '" + printable(v) + "'"};
                        o.verb = v;
                } else {
                        return a.unexpected();
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
        if (o.record && o.verb != "prefetch")
                return Error{EINVAL, "--record applies to prefetch only"};
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
