// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate.toml: apply_config_text on a default Config. Checks the documented contract:
// on error the Config is left untouched; on success every accepted value is valid.
#include <cstddef>
#include <cstdint>

#include "config.hh"
#include "parse.hh"

#include "fuzz-common.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ht::Config cfg;
        auto st = ht::apply_config_text(fuzz::as_view(data, size), "fuzz.toml", cfg);
        if (!st) {
                FUZZ_CHECK(!st.error().message.empty());
                const ht::Config def;
                FUZZ_CHECK(cfg.files.empty() && cfg.warnings.empty());
                FUZZ_CHECK(!cfg.resume_device && !cfg.resume_offset && !cfg.image_size_bytes);
                FUZZ_CHECK(cfg.swap_margin_percent == def.swap_margin_percent);
                FUZZ_CHECK(cfg.pagesets == def.pagesets);
                return 0;
        }
        FUZZ_CHECK(cfg.files.size() == 1 && cfg.files[0] == "fuzz.toml");
        FUZZ_CHECK(cfg.swap_margin_percent <= 1000);
        if (cfg.resume_device)
                FUZZ_CHECK(ht::parse_device_spec(*cfg.resume_device).ok());

        // A second file on top (drop-in semantics): must not disturb what the first set.
        ht::Config before = cfg;
        auto st2 = ht::apply_config_text("[check]\nswap_margin_percent = 5\n", "dropin.toml", cfg);
        FUZZ_CHECK(st2.ok());
        FUZZ_CHECK(cfg.swap_margin_percent == 5);
        FUZZ_CHECK(cfg.resume_device == before.resume_device && cfg.resume_offset == before.resume_offset &&
                   cfg.image_size_bytes == before.image_size_bytes && cfg.pagesets == before.pagesets);
        FUZZ_CHECK(cfg.files.size() == 2);
        return 0;
}
