// SPDX-License-Identifier: LGPL-2.1-or-later
// The hibernation record decoder (read by the initramfs helper from a header page that
// may hold anything), the ext superblock reader, and hibernate-tool's argument parser.
#include <cstring>

#include "cli.hh"
#include "fuzz-common.hh"
#include "record.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view in = fuzz::as_view(data, size);

        // Region as the helper sees it, and a well-formed record re-encoded must decode back.
        auto rec = ht::decode_record(in);
        if (rec && *rec) {
                auto bytes = ht::encode_record(**rec);
                if (bytes) {
                        auto again = ht::decode_record(*bytes);
                        FUZZ_CHECK(again && *again);
                        FUZZ_CHECK((*again)->kernel_release == (*rec)->kernel_release);
                        FUZZ_CHECK((*again)->filesystems.size() == (*rec)->filesystems.size());
                        FUZZ_CHECK((*again)->boot_entry == (*rec)->boot_entry);
                        FUZZ_CHECK((*again)->grubenv == (*rec)->grubenv);
                        // v1/v2 records carry no reboot count; a v3 one keeps it
                        FUZZ_CHECK((*rec)->version < 3 || (*again)->reboots == (*rec)->reboots);
                        FUZZ_CHECK(bytes->size() <= ht::RECORD_END - ht::RECORD_OFFSET);
                }
        }
        // A whole header page built from the input: space check must not crash.
        std::string page(4096, '\0');
        std::memcpy(page.data(), in.data(), std::min<size_t>(in.size(), page.size()));
        (void) ht::check_record_space(page);

        auto sb = ht::parse_ext_superblock(in);
        if (sb) {
                FUZZ_CHECK(ht::fs_change(*sb, *sb).empty());
                (void) sb->uuid_str();
        }
        (void) ht::parse_uuid(in);

        std::vector<std::string> args;
        for (auto part : fuzz::split(in, '\0'))
                args.emplace_back(part);
        auto o = ht::parse_tool_args(args);
        if (o && !o->help && !o->version)
                FUZZ_CHECK(o->verb == "resume" || o->verb == "record" || o->verb == "invalidate" || o->verb == "pre" ||
                           o->verb == "post" || o->verb == "gate" || o->verb == "boot-entry" || o->verb == "prefetch");
        return 0;
}
