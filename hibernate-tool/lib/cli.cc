// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli.hh"

#include <cstdio>
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
        "  --json[=MODE]   print one JSON object instead of text: pretty (the default\n"
        "                  for a plain --json) or short (one line)\n"
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

namespace {

bool has_control(const std::string &v)
{
        for (char c : v)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                        return true;
        return false;
}

}  // namespace

Result<bool> scan_common_option(ArgScanner &a, CommonOptions &o, JsonStyle plain_json, bool takes_config)
{
        if (a.is("--root")) {
                auto v = a.value();
                if (!v)
                        return v.error();
                if (v->empty() || has_control(*v))
                        return Error{EINVAL, "--root needs a directory"};
                if (o.root != "/" && o.root != *v)
                        return Error{EINVAL, "option '--root' given twice"};
                o.root = *v;
                return true;
        }
        if (takes_config && a.is("--config")) {
                auto v = a.value();
                if (!v)
                        return v.error();
                if (v->empty() || has_control(*v))
                        return Error{EINVAL, "--config needs a file name"};
                if (o.config && *o.config != *v)
                        return Error{EINVAL, "option '--config' given twice"};
                o.config = *v;
                return true;
        }
        if (a.is("--json")) {
                auto &v = a.inline_value();
                if (!v) {
                        o.json = plain_json;
                        return true;
                }
                auto st = parse_json_style(*v);
                if (!st)
                        return Error{EINVAL, "--json takes pretty, short or off, not '" + printable(*v) + "'"};
                o.json = *st;
                return true;
        }
        if (a.is("--help") || a.is("-h")) {
                if (auto st = a.no_value(); !st)
                        return st.error();
                o.help = true;
                return true;
        }
        if (a.is("--version")) {
                if (auto st = a.no_value(); !st)
                        return st.error();
                o.version = true;
                return true;
        }
        return false;
}

Result<CheckOptions> parse_check_args(const std::vector<std::string> &args)
{
        CheckOptions o;
        ArgScanner a(args, true);
        while (a.next()) {
                auto common = scan_common_option(a, o, JsonStyle::Pretty);
                if (!common)
                        return common.error();
                if (*common)
                        continue;
                if (a.is("--verbose") || a.is("-v")) {
                        if (auto st = a.flag(o.verbose); !st)
                                return st.error();
                } else {
                        return a.unexpected();
                }
        }
        return o;
}

namespace {

// One verb of hibernate-tool: its name, one line for the general help, and its own help.
struct VerbHelp {
        const char *name;
        const char *summary;
        const char *usage;
        const char *help;
};

const VerbHelp VERBS[] = {
        {"resume", "in the initramfs: resume from the configured device when that is safe",
         "resume [--dry-run] [--json[=MODE]]",
         "Runs in the initramfs before the root filesystem is mounted. Waits for the resume\n"
         "device and every filesystem the hibernation record names, then lets the kernel\n"
         "resume the image, keeps it for the kernel that can restore it, or turns it back\n"
         "into swap, with one message saying why.\n"
         "  --dry-run         decide and report, change nothing\n"
         "Exit status: always 0 (the boot continues), 2 for a usage error.\n"},
        {"record", "write the hibernation record onto the resume swap (before hibernating)",
         "record [--boot-entry ID] [--json[=MODE]]",
         "Writes the hibernation record (kernel, boot entry, filesystems and their mount\n"
         "counts) into the resume swap's header page, for the resume helper to check.\n"
         "  --boot-entry ID   the boot loader entry that will resume the image\n"
         "Exit status: 0 written, 1 failed, 2 usage error.\n"},
        {"invalidate", "turn a waiting hibernation image back into plain swap", "invalidate [--json[=MODE]]",
         "Restores the swap signature of a waiting hibernation image, so that it is never\n"
         "resumed, and clears the hibernation record.\n"
         "Exit status: 0 done or nothing to do, 1 failed, 2 usage error.\n"},
        {"pre", "before hibernating: refuse an unsafe hibernation, make the next boot run this kernel",
         "pre [--mode MODE] [--dry-run] [--json[=MODE]]",
         "Run by systemd-hibernate.service and friends before the kernel hibernates: refuses\n"
         "an unsafe hibernation, makes the next boot run this kernel (one-shot boot entry)\n"
         "and writes the hibernation record.\n"
         "  --mode MODE       hibernate (default), hybrid-sleep or suspend-then-hibernate\n"
         "  --dry-run         decide and report, change nothing\n"
         "Exit status: 0 hibernation may go on, 1 refused or failed, 2 usage error.\n"},
        {"post", "after resume or a failed/refused hibernation: undo what pre changed",
         "post [--boot] [--json[=MODE]]",
         "Undoes what pre changed (the one-shot boot entry, the record) after a resume or a\n"
         "failed or refused hibernation.\n"
         "  --boot            at boot: clean up after a hibernation that was not resumed\n"
         "Exit status: 0 done, 1 failed, 2 usage error.\n"},
        {"gate", "keep systemd's sleep.conf gate current (hibernation offered only when safe)",
         "gate [--watch] [--json[=MODE]]",
         "Writes or removes the sleep.conf drop-in that disallows hibernation, so that logind\n"
         "and the desktop offer hibernation only when it is safe.\n"
         "  --watch           stay running and re-evaluate on swap, mount and config changes\n"
         "Exit status: 0 done, 1 failed, 2 usage error.\n"},
        {"boot-entry", "show the boot loader entry that boots the running kernel",
         "boot-entry [--kernel RELEASE] [--json[=MODE]]",
         "Shows the boot loader entry that boots the running kernel (GRUB, BLS, systemd-boot\n"
         "Type #1 entries and unified kernel images), and the GRUB environment block the\n"
         "one-shot entry is written to.\n"
         "  --kernel RELEASE  the entry of that kernel release instead (the kernel-install\n"
         "                    plugin checks a newly installed kernel's entry with it)\n"
         "Exit status: 0 found, 1 not found, 2 usage error.\n"},
        {"prefetch", "after resume: bring the working set pre recorded back into memory",
         "prefetch [--record] [--json[=MODE]]",
         "Run by hibernate-tool-prefetch.service, which post starts after a resume: brings\n"
         "the working set pre recorded (/var/lib/hibernate-tool/workingset) back into memory\n"
         "at idle priority (mapped files, anonymous memory, open files); stops when MemAvailable\n"
         "gets low, when the system swaps, and on SIGTERM.\n"
         "  --record          record the working set now (what pre does), do not prefetch\n"
         "Exit status: 0 (also with nothing to prefetch), 1 --record failed, 2 usage error.\n"},
        {"setup", "configure swap, resume target, boot loader and initramfs ('setup --help')", nullptr, nullptr},
};

const VerbHelp *find_verb(const std::string &name)
{
        for (auto &v : VERBS)
                if (name == v.name)
                        return &v;
        return nullptr;
}

const char COMMON_HELP[] =
        "Common options:\n"
        "  --root DIR        operate on the system under DIR (default /)\n"
        "  --config FILE     read FILE instead of /etc/hibernate-tool/hibernate.toml\n"
        "  --json[=MODE]     print the result as JSON: short (one line, the default) or pretty\n"
        "  -h, --help        show this help\n"
        "  --version         show the version\n";

}  // namespace

std::string tool_usage(const std::string &verb)
{
        if (const VerbHelp *v = find_verb(verb); v && v->usage)
                return std::string("Usage: hibernate-tool ") + v->usage + " [--root DIR] [--config FILE]\n\n" + v->help +
                       "\n" + COMMON_HELP;
        std::string s = "Usage: hibernate-tool VERB [OPTIONS]\n\nVerbs:\n";
        for (auto &v : VERBS) {
                char line[200];
                std::snprintf(line, sizeof line, "  %-12s %s\n", v.name, v.summary);
                s += line;
        }
        s += "\n";
        s += COMMON_HELP;
        s += "\n'hibernate-tool VERB --help' shows a verb's own options and exit status.\n";
        return s;
}

Result<ToolOptions> parse_tool_args(const std::vector<std::string> &args)
{
        ToolOptions o;
        ArgScanner a(args);
        while (a.next()) {
                auto common = scan_common_option(a, o, JsonStyle::Short);
                if (!common)
                        return common.error();
                if (*common)
                        continue;
                Status st = ok_status();
                if (a.is("--boot-entry")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (has_control(*v))
                                return Error{EINVAL, "--boot-entry contains control characters"};
                        o.boot_entry = *v;
                } else if (a.is("--kernel")) {
                        auto v = a.value();
                        if (!v)
                                return v.error();
                        if (v->empty() || has_control(*v) || v->find('/') != std::string::npos)
                                return Error{EINVAL, "--kernel must be a kernel release (no '/', no control characters)"};
                        o.kernel = *v;
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
                } else if (a.is("--dry-run")) {
                        st = a.flag(o.dry_run);
                } else if (!a.arg().empty() && a.arg()[0] == '-') {
                        return a.unexpected();
                } else if (o.verb.empty()) {
                        const std::string &v = a.arg();
                        const VerbHelp *vh = find_verb(v);
                        if (!vh)
                                return Error{EINVAL, "unknown verb '" + printable(v) + "'"};
                        o.verb = v;
                } else {
                        return a.unexpected();
                }
                if (!st)
                        return st.error();
        }
        if (o.help || o.version)
                return o;
        if (o.verb.empty())
                return Error{EINVAL, "no verb given"};
        if (o.verb == "setup")  // main() hands "setup …" to its own parser; only options came first
                return Error{EINVAL, "'setup' must come first: hibernate-tool setup [OPTIONS]"};
        if (!o.boot_entry.empty() && o.verb != "record")
                return Error{EINVAL, "--boot-entry applies to record only"};
        if (!o.kernel.empty() && o.verb != "boot-entry")
                return Error{EINVAL, "--kernel applies to boot-entry only"};
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
