// SPDX-License-Identifier: LGPL-2.1-or-later
// The working-set record parser (lib/workingset.hh): /var/lib/hibernate-tool/workingset may
// hold anything after a crash, a full disk or an edit; and the /proc parsers recording uses.
#include "fuzz-common.hh"
#include "workingset.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view in = fuzz::as_view(data, size);

        auto ws = ht::parse_working_set(in);
        if (ws) {
                // What parses re-formats to a record that parses to the same thing.
                std::string again = ht::format_working_set(*ws);
                auto back = ht::parse_working_set(again);
                FUZZ_CHECK(back);
                FUZZ_CHECK(*back == *ws);
                FUZZ_CHECK(ht::format_working_set(*back) == again);
                for (auto &f : ws->files) {
                        FUZZ_CHECK(!f.path.empty() && f.path[0] == '/');
                        for (auto &r : f.ranges)
                                FUZZ_CHECK(r.len > 0);
                }
                for (auto &p : ws->procs)
                        FUZZ_CHECK(p.pid > 0);
                (void) ws->summary();
                (void) ht::working_set_stale(*ws, "boot", 1700000000);
        } else {
                FUZZ_CHECK(!ws.error().message.empty());
        }

        (void) ht::parse_stat_start_time(in);
        for (auto &m : ht::parse_maps(in))
                FUZZ_CHECK(m.end > m.start);
        auto u = ht::ws_unescape(in);
        FUZZ_CHECK(ht::ws_unescape(ht::ws_escape(in)) == std::string(in));
        if (u)
                (void) ht::ws_escape(*u);
        std::vector<unsigned char> vec(in.begin(), in.end());
        uint64_t pages = 0;
        for (auto &r : ht::resident_ranges(vec.data(), vec.size(), 0)) {
                FUZZ_CHECK(r.len > 0 && r.start + r.len <= vec.size());
                pages += r.len;
        }
        (void) pages;
        return 0;
}
