// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool setup's pure parts. The first byte chooses:
//   0: parse_setup_args, argv separated by NUL bytes;
//   1: the /etc/default/grub editing (marked block) on the rest as the file's text;
//   2: the undo manifest parser;
//   3: the three-way undo of one file: the rest split at the first NUL into the content
//      before and after setup; undoing the recorded edit on "after" gives "before".
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "setup.hh"

#include "fuzz-common.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        auto in = fuzz::as_view(data + 1, size - 1);
        switch (data[0] % 4) {
        case 0: {
                std::vector<std::string> argv;
                for (auto a : fuzz::split(in, '\0'))
                        argv.emplace_back(a);
                auto r = ht::parse_setup_args(argv);
                if (!r) {
                        FUZZ_CHECK(!r.error().message.empty());
                        return 0;
                }
                FUZZ_CHECK(!r->root.empty());
                FUZZ_CHECK(!(r->swap && r->swap_file));
                FUZZ_CHECK(!r->swap_file || (*r->swap_file)[0] == '/');
                FUZZ_CHECK(r->size_auto || r->size_bytes >= ht::SETUP_MIN_SIZE);
                FUZZ_CHECK(!r->undo || (!r->swap && !r->swap_file));
                break;
        }
        case 1: {
                auto without = ht::grub_default_without_block(in);
                std::string assign = ht::grub_resume_assignments("resume=UUID=u resume_offset=1");
                auto with = ht::grub_default_with_block(in, assign);
                FUZZ_CHECK(with.has_value() == without.has_value());
                if (!with)
                        return 0;
                // Editing again is a no-op; removing the block gives the text without it
                // (plus the newline added when a block was appended to a last line without one).
                FUZZ_CHECK(ht::grub_default_with_block(*with, assign) == with);
                auto removed = ht::grub_default_without_block(*with);
                FUZZ_CHECK(removed.has_value());
                FUZZ_CHECK(*removed == *without || *removed == *without + "\n");
                FUZZ_CHECK(ht::grub_default_with_block(*with, "") == removed);
                (void) ht::strip_resume_words(in);
                break;
        }
        case 2: {
                auto m = ht::parse_manifest(in);
                if (!m) {
                        FUZZ_CHECK(!m.error().message.empty());
                        return 0;
                }
                auto text = ht::format_manifest(*m);
                auto again = ht::parse_manifest(text);
                FUZZ_CHECK(again.ok());
                FUZZ_CHECK(ht::format_manifest(*again) == text);
                break;
        }
        case 3: {
                auto nul = in.find('\0');
                std::string before(in.substr(0, nul));
                std::string after(nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1));
                ht::ManifestFile f;
                f.path = "/etc/fstab";
                f.existed = true;
                f.orig_sha = ht::content_sha(before);
                ht::add_edit(f, ht::make_edit(before, after));
                FUZZ_CHECK(ht::replay_edits(f, before) == std::optional<std::string>(after));
                auto u = ht::undo_edits(f, before, after);
                FUZZ_CHECK(u.ok() && *u == std::optional<std::string>(before));
                // setup's part found once in a longer file: taken out, the rest kept
                auto v = ht::undo_edits(f, before, after + "# admin\n");
                if (v && f.edits[0].added.find("# admin") == std::string::npos && !f.edits[0].added.empty())
                        FUZZ_CHECK(v->has_value());
                break;
        }
        }
        return 0;
}
