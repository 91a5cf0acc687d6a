// SPDX-License-Identifier: LGPL-2.1-or-later
// The hibernate path's parsers: GRUB environment blocks (read from /boot, written back by
// us), BLS entries, bzImage headers, and the sleep state file.
#include "bootentry.hh"
#include "fuzz-common.hh"
#include "sleep.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view in = fuzz::as_view(data, size);

        // A parsed grubenv formats to exactly 1024 bytes (or EFBIG) and parses back the same.
        auto env = ht::parse_grubenv(in);
        if (env) {
                auto bytes = ht::format_grubenv(*env);
                if (bytes) {
                        FUZZ_CHECK(bytes->size() == ht::GRUBENV_SIZE);
                        auto again = ht::parse_grubenv(*bytes);
                        FUZZ_CHECK(again);
                        FUZZ_CHECK(again->vars == env->vars);
                }
                env->set("next_entry", std::string(in.substr(0, std::min<size_t>(in.size(), 200))));
                (void) ht::format_grubenv(*env);
        }

        (void) ht::parse_bls_entry("x", in);
        if (auto r = ht::bzimage_release(in)) {
                FUZZ_CHECK(!r->empty() && r->size() <= 256);
                for (char c : *r)
                        FUZZ_CHECK(c > 0x20 && c < 0x7f);
        }
        if (auto s = ht::parse_sleep_state(in)) {
                auto again = ht::parse_sleep_state(ht::format_sleep_state(*s));
                FUZZ_CHECK(again);
                FUZZ_CHECK(again->loader == s->loader);
                FUZZ_CHECK(again->pagesets == s->pagesets);
                FUZZ_CHECK(s->pagesets.empty() || s->pagesets == "two" || s->pagesets == "stock");
        }
        return 0;
}
