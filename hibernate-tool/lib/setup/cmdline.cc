// SPDX-License-Identifier: LGPL-2.1-or-later
#include "setup/cmdline.hh"

namespace ht {

std::string resume_kernel_args(std::string_view uuid, std::optional<uint64_t> offset)
{
        std::string s = "resume=UUID=" + std::string(uuid);
        if (offset)
                s += " resume_offset=" + std::to_string(*offset);
        return s;
}

std::optional<std::string> strip_resume_words(std::string_view cmdline)
{
        auto words = parse_cmdline(cmdline);
        bool found = false;
        std::string out;
        for (auto &w : words) {
                if (w.key == "resume" || w.key == "resume_offset") {
                        found = true;
                        continue;
                }
                if (!out.empty())
                        out += ' ';
                out += w.key;
                if (w.value) {
                        out += '=';
                        bool quote = w.value->empty() || w.value->find_first_of(" \t\n") != std::string::npos;
                        if (quote)
                                out += '"';
                        out += *w.value;
                        if (quote)
                                out += '"';
                }
        }
        if (!found)
                return std::nullopt;
        return out;
}

std::string shell_double_quote(std::string_view s)
{
        std::string out = "\"";
        for (char c : s) {
                if (c == '\\' || c == '"' || c == '$' || c == '`')
                        out += '\\';
                out += c;
        }
        out += '"';
        return out;
}

std::string grub_resume_assignments(std::string_view args)
{
        std::string q = shell_double_quote(args);
        q = q.substr(1, q.size() - 2);
        // Run by grub-mkconfig's /bin/sh when it sources the file: the resume words are
        // removed from the values the variables hold at that point (whatever the admin wrote
        // since, $(…) already expanded) and ours are appended; every other word stays.
        // No globbing while splitting (set -f, restored); only hibernate_tool_* names are
        // used and unset again.
        return "hibernate_tool_strip_resume() {\n"
               "\tset -- \"$1\" \"$-\"\n"
               "\tset -f\n"
               "\teval \"hibernate_tool_in=\\${$1}\"\n"
               "\thibernate_tool_out=\n"
               "\tfor hibernate_tool_w in $hibernate_tool_in; do\n"
               "\t\tcase $hibernate_tool_w in\n"
               "\t\tresume=*|resume_offset=*) ;;\n"
               "\t\t*) hibernate_tool_out=\"${hibernate_tool_out:+$hibernate_tool_out }$hibernate_tool_w\" ;;\n"
               "\t\tesac\n"
               "\tdone\n"
               "\tcase $2 in *f*) ;; *) set +f ;; esac\n"
               "\teval \"$1=\\$hibernate_tool_out\"\n"
               "}\n"
               "hibernate_tool_strip_resume GRUB_CMDLINE_LINUX\n"
               "hibernate_tool_strip_resume GRUB_CMDLINE_LINUX_DEFAULT\n"
               "unset -f hibernate_tool_strip_resume\n"
               "unset hibernate_tool_in hibernate_tool_out hibernate_tool_w\n"
               "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} " +
               q + "\"\n";
}

std::string grub_dropin_text(std::string_view args)
{
        return "# Written by hibernate-tool setup: resume from hibernation on every kernel entry.\n"
               "# Removed by hibernate-tool setup --undo; run update-grub after editing.\n"
               "# It replaces only the resume= and resume_offset= words of GRUB_CMDLINE_LINUX and\n"
               "# GRUB_CMDLINE_LINUX_DEFAULT, relative to their values in /etc/default/grub.\n" +
               grub_resume_assignments(args);
}

namespace {
// Byte ranges [begin, end) of the marked block (whole lines), or npos begin when none.
struct BlockPos {
        size_t begin = std::string::npos, end = std::string::npos;
        bool malformed = false;
};
BlockPos find_block(std::string_view text)
{
        BlockPos p;
        size_t i = 0;
        while (i < text.size()) {
                size_t nl = text.find('\n', i);
                size_t le = nl == std::string_view::npos ? text.size() : nl + 1;
                std::string_view line = text.substr(i, (nl == std::string_view::npos ? text.size() : nl) - i);
                while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
                        line.remove_suffix(1);
                if (line == GRUB_BLOCK_BEGIN) {
                        if (p.begin != std::string::npos) {
                                p.malformed = true;
                                return p;
                        }
                        p.begin = i;
                } else if (line == GRUB_BLOCK_END) {
                        if (p.begin == std::string::npos || p.end != std::string::npos) {
                                p.malformed = true;
                                return p;
                        }
                        p.end = le;
                }
                i = le;
        }
        if (p.begin != std::string::npos && p.end == std::string::npos)
                p.malformed = true;
        return p;
}
}  // namespace

std::optional<std::string> grub_default_without_block(std::string_view text)
{
        auto p = find_block(text);
        if (p.malformed)
                return std::nullopt;
        if (p.begin == std::string::npos)
                return std::string(text);
        return std::string(text.substr(0, p.begin)) + std::string(text.substr(p.end));
}

std::optional<std::string> grub_default_with_block(std::string_view text, std::string_view assignments)
{
        auto p = find_block(text);
        if (p.malformed)
                return std::nullopt;
        std::string block;
        if (!assignments.empty()) {
                block = std::string(GRUB_BLOCK_BEGIN) + "\n";
                block += assignments;
                if (block.back() != '\n')
                        block += '\n';
                block += std::string(GRUB_BLOCK_END) + "\n";
        }
        if (p.begin != std::string::npos)
                return std::string(text.substr(0, p.begin)) + block + std::string(text.substr(p.end));
        if (block.empty())
                return std::string(text);
        std::string out(text);
        if (!out.empty() && out.back() != '\n')
                out += '\n';
        return out + block;
}

bool has_grubby(const Ctx &c)
{
        return c.is_file("/usr/sbin/grubby") || c.is_file("/sbin/grubby") || c.is_file("/usr/bin/grubby");
}

bool is_bls(const Ctx &c)
{
        return !c.is_file("/usr/sbin/update-grub") && c.is_dir("/boot/loader/entries") && has_grubby(c);
}

// Files grubby may change: saved for a byte-exact undo.
Result<std::vector<std::string>> grubby_files(const Ctx &c)
{
        std::vector<std::string> out;
        auto names = c.host.list_dir("/boot/loader/entries");
        if (!names && names.error().code != ENOENT)
                return Error{names.error().code, "cannot list /boot/loader/entries: " + names.error().message};
        if (names)
                for (auto &n : *names)
                        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0)
                                out.push_back("/boot/loader/entries/" + n);
        for (const char *f : {"/etc/default/grub", "/etc/kernel/cmdline"})
                if (c.is_file(f))
                        out.push_back(f);
        return out;
}

Result<bool> bls_entries_have(const Ctx &c, const std::string &args)
{
        auto files = grubby_files(c);
        if (!files)
                return files.error();
        bool any = false;
        for (auto &f : *files) {
                if (f.rfind("/boot/loader/entries/", 0) != 0)
                        continue;
                any = true;
                auto r = c.read(f);
                if (!r)
                        return r.error();
                if (!*r)
                        return false;
                const std::string *t = &**r;
                std::string opts;
                size_t i = 0;
                while (i < t->size()) {
                        size_t nl = t->find('\n', i);
                        std::string line = t->substr(i, (nl == std::string::npos ? t->size() : nl) - i);
                        if (line.rfind("options", 0) == 0)
                                opts = line.substr(7);
                        i = nl == std::string::npos ? t->size() : nl + 1;
                }
                if (!cmdline_has_resume_args(opts, args))
                        return false;
        }
        return any;
}

bool cmdline_has_resume_args(std::string_view options, const std::string &args)
{
        auto want = parse_cmdline(args);
        Cmdline have(options);
        for (auto &w : want)
                if (have.value(w.key) != w.value)
                        return false;
        unsigned n = 0;
        for (auto &a : have.args())
                n += a.key == "resume" || a.key == "resume_offset";
        return n == want.size();
}

}  // namespace ht
