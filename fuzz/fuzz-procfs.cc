// SPDX-License-Identifier: LGPL-2.1-or-later
// The text parsers for files read from the system: /proc/swaps, /proc/meminfo (and the
// image-size estimate built on it), sysfs choice lists, /etc/default/grub-style shell
// assignments, grub.cfg, plus the string helpers the JSON emitter, printable, unescape_octal
// and parse_size. Every parser sees the whole input (the seeds are realistic files of each
// kind); parse_size and unescape_octal additionally see each line.
#include <cstddef>
#include <cstdint>

#include "estimate.hh"
#include "json.hh"
#include "parse.hh"
#include "sleepconf.hh"

#include "fuzz-common.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view text = fuzz::as_view(data, size);

        // /proc/swaps
        auto swaps = ht::parse_proc_swaps(text);
        for (auto &e : swaps.entries) {
                FUZZ_CHECK(e.used_bytes <= e.size_bytes);
                FUZZ_CHECK(e.type == "partition" || e.type == "file");
                FUZZ_CHECK((e.kind == ht::SwapKind::File) == (e.type == "file"));
                (void)ht::path_is_zram(e.path);
                (void)ht::printable(e.path);
        }

        // /proc/meminfo and the estimate
        auto mem = ht::parse_meminfo(text);
        auto est = ht::estimate_image(mem, uint64_t{1} << 30);
        if (est) {
                FUZZ_CHECK(est->used <= est->mem_total);
                (void)ht::format_bytes(est->needed);
                (void)ht::judge_fit(mem.count("SwapFree") ? mem["SwapFree"] : 0, est->needed, 10);
        }

        // sysfs "[selected] other"
        auto choice = ht::parse_choice_list(text);
        if (choice.selected) {
                bool found = false;
                for (auto &i : choice.items)
                        found = found || i == *choice.selected;
                FUZZ_CHECK(found || choice.selected->empty());
        }

        // /etc/default/grub
        ht::ShellVars vars;
        ht::parse_shell_assignments(text, vars);
        for (auto &[k, v] : vars) {
                FUZZ_CHECK(!k.empty());
                (void)ht::parse_cmdline(v);
        }

        // grub.cfg
        for (auto &e : ht::parse_grub_cfg(text))
                (void)ht::parse_cmdline(e.cmdline);

        // sleep.conf (the logind check)
        {
                ht::SleepConf sc;
                ht::sleep_conf_apply(sc, "/etc/systemd/sleep.conf", text);
                FUZZ_CHECK(sc.hibernation.allowed || sc.hibernation.line > 0);
        }

        // string helpers
        ht::Json doc = ht::json_document();
        doc["text"] = text;
        std::string j = ht::json_dump(doc, ht::JsonStyle::Short);
        FUZZ_CHECK(fuzz::valid_utf8(j));
        for (size_t i = 0; i + 1 < j.size(); i++)  // JSON escapes C0 controls; DEL may stay raw
                FUZZ_CHECK(static_cast<unsigned char>(j[i]) >= 0x20);
        FUZZ_CHECK(ht::Json::parse(j)["text"].is_string());
        std::string p = ht::printable(text);
        FUZZ_CHECK(fuzz::valid_utf8(p));
        FUZZ_CHECK(fuzz::no_control_bytes(p));
        std::string u = ht::unescape_octal(text);
        FUZZ_CHECK(u.size() <= text.size());
        (void)ht::parse_size(text);
        for (auto line : fuzz::split(text, '\n')) {
                (void)ht::unescape_octal(line);
                auto sz = ht::parse_size(line);
                // A plain decimal number is a byte count.
                if (auto n = ht::parse_u64(line))
                        FUZZ_CHECK(sz && *sz == *n);
        }
        return 0;
}
