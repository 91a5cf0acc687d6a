// SPDX-License-Identifier: LGPL-2.1-or-later
// /etc/crypttab (parse_crypttab, issue 10) and the initramfs cpio name reader
// (list_cpio_buffer, compression_of): both read files a system or a --root tree provides.
#include "crypttab.hh"
#include "fuzz-common.hh"
#include "initramfs.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view in = fuzz::as_view(data, size);

        auto p = ht::parse_crypttab(in);
        FUZZ_CHECK(p.entries.size() <= ht::CRYPTTAB_MAX_ENTRIES);
        unsigned last = 0;
        for (auto &e : p.entries) {
                FUZZ_CHECK(!e.name.empty() && !e.device.empty());
                FUZZ_CHECK(e.line > last);
                last = e.line;
                for (auto &o : e.options)
                        FUZZ_CHECK(!o.empty() && o.find(',') == std::string::npos);
                auto why = e.random_key_reason();
                if (e.key == "/dev/urandom" || e.has_option("swap"))
                        FUZZ_CHECK(!why.empty());
        }

        size_t rest = 0;
        auto names = ht::list_cpio_buffer(in, &rest);
        FUZZ_CHECK(rest <= in.size());
        if (names) {
                FUZZ_CHECK(names->size() <= ht::INITRAMFS_MAX_ENTRIES);
                for (auto &n : *names)
                        FUZZ_CHECK(n.size() <= ht::INITRAMFS_MAX_NAME);
        }
        (void) ht::compression_of(in);
        return 0;
}
