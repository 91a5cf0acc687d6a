// SPDX-License-Identifier: LGPL-2.1-or-later
// The PE/COFF section reader (unified kernel images) and what is built on it: a UKI entry
// from its sections, os-release values, and bootctl's JSON list.
#include "fuzz-common.hh"
#include "pe.hh"
#include "sdboot.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view in = fuzz::as_view(data, size);

        // The whole input as a file, and the same bytes claiming a shorter file.
        for (uint64_t file_size : {uint64_t(in.size()), uint64_t(in.size() / 2)}) {
                auto secs = ht::pe_parse_sections(in, file_size);
                if (!secs)
                        continue;
                FUZZ_CHECK(!secs->empty() && secs->size() <= ht::PE_MAX_SECTIONS);
                for (auto &s : *secs) {
                        FUZZ_CHECK(s.name.size() <= 8);
                        FUZZ_CHECK(s.data_size() <= s.raw_size);
                        FUZZ_CHECK(s.raw_size == 0 || uint64_t(s.raw_offset) + s.raw_size <= file_size);
                }
                ht::UkiInfo u;
                u.osrel = ht::pe_section_data(in, *secs, ".osrel");
                u.cmdline = ht::pe_section_data(in, *secs, ".cmdline");
                u.uname = ht::pe_section_data(in, *secs, ".uname");
                for (auto *f : {&u.osrel, &u.cmdline, &u.uname})
                        FUZZ_CHECK(!*f || (*f)->size() <= in.size());
                auto e = ht::uki_entry("x+1-2.efi", "/efi/EFI/Linux/x+1-2.efi", u);
                FUZZ_CHECK(e.type == 2 && e.id == "x.efi" && !e.title.empty());
        }
        (void) ht::os_release_value(in, "PRETTY_NAME");
        (void) ht::boot_entry_id(in);
        if (auto l = ht::parse_bootctl_list(in))
                for (auto &e : *l)
                        FUZZ_CHECK(!e.id.empty() && !e.path.empty());
        return 0;
}
