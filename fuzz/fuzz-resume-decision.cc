// SPDX-License-Identifier: LGPL-2.1-or-later
// The resume helper's decision end to end (decide_resume, issue 10): the input is the start
// of a resume device (4 KiB pages): page 0 the swap header page with the record region and
// the swsusp header, further pages what the image's map and info pages point to. Each
// recorded filesystem is "observed" from the input too: its state from the first UUID
// byte (present / missing / unreadable), its superblock from the 1 KiB at page
// (1 + uuid[1] % 8), offset 1024 — so records whose UUIDs point at crafted ext
// superblocks reach every branch.
#include <cstring>

#include "fuzz-common.hh"
#include "record.hh"
#include "resumer.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string_view in = fuzz::as_view(data, size);
        std::string page(4096, '\0');
        std::memcpy(page.data(), in.data(), std::min<size_t>(in.size(), page.size()));

        ht::DecisionInput din;
        din.device = "/dev/vdb";
        din.header_page = page;
        din.device_bytes = in.size();
        din.running_release = "6.1.0-56-amd64";
        din.require_record = size % 2;
        din.read_page = [&](uint64_t pg) -> ht::Result<std::string> {
                if (pg >= in.size() / 4096)
                        return ht::Error{EIO, "truncated"};
                return std::string(in.substr(pg * 4096, 4096));
        };
        din.observe = [&](const ht::FsMark &f) {
                ht::FsObservation o;
                o.path = "/dev/vdc";
                switch (f.uuid[0] % 3) {
                case 0: {
                        o.state = ht::FsObservation::State::Present;
                        size_t at = (1 + f.uuid[1] % 8) * 4096 + 1024;
                        if (at < in.size())
                                o.superblock = std::string(in.substr(at, 1024));
                        break;
                }
                case 1: o.error = "it did not appear within 10 s"; break;
                default:
                        o.state = ht::FsObservation::State::Unreadable;
                        o.error = "Input/output error";
                }
                return o;
        };
        ht::Decision d = ht::decide_resume(din);

        auto hdr = ht::parse_swsusp_header(page);
        FUZZ_CHECK(hdr);
        if (hdr->kind != ht::SwapSignature::Hibernate)
                FUZZ_CHECK(d.kind == ht::Decision::Kind::NoImage);
        if (d.kind == ht::Decision::Kind::NoImage)
                FUZZ_CHECK(hdr->kind != ht::SwapSignature::Hibernate);
        if (d.kind != ht::Decision::Kind::NoImage)
                FUZZ_CHECK(d.fingerprint != 0);
        if (d.kind == ht::Decision::Kind::Refuse || d.kind == ht::Decision::Kind::NoImage)
                FUZZ_CHECK(d.text.rfind("not resuming: ", 0) == 0);
        if (d.kind == ht::Decision::Kind::Refuse)  // the refusal handler is given the reason alone
                FUZZ_CHECK(!d.reason.empty() && d.text.compare(14, d.reason.size(), d.reason) == 0 &&
                           d.reason.find("image kept") == std::string::npos);
        if (d.record) {
                FUZZ_CHECK(ht::record_matches(*d.record, d.fingerprint));
                FUZZ_CHECK(!d.stale_record);
        }
        if (d.kind == ht::Decision::Kind::Resume) {
                // Nothing unverified is resumed: no filesystem of the record missing or unreadable.
                if (d.record)
                        for (auto &f : d.record->filesystems)
                                FUZZ_CHECK(f.uuid[0] % 3 == 0);
                if (din.require_record)
                        FUZZ_CHECK(d.record.has_value());
        }
        // Binding the record, as the helper does at hand-over: decodes back, matches only this image.
        if (d.record) {
                ht::HibRecord b = *d.record;
                b.state = ht::RecordState::Bound;
                b.image_id = d.fingerprint;
                auto np = ht::page_with_record(page, &b);
                if (np) {
                        FUZZ_CHECK(np->substr(ht::RECORD_END) == page.substr(ht::RECORD_END));
                        FUZZ_CHECK(np->substr(0, ht::RECORD_OFFSET) == page.substr(0, ht::RECORD_OFFSET));
                        auto again = ht::decode_record(std::string_view(*np).substr(
                                ht::RECORD_OFFSET, ht::RECORD_END - ht::RECORD_OFFSET));
                        FUZZ_CHECK(again && *again);
                        FUZZ_CHECK(ht::record_matches(**again, d.fingerprint));
                        FUZZ_CHECK(!ht::record_matches(**again, d.fingerprint ^ 1));
                }
        }
        auto cleared = ht::page_with_record(page, nullptr);
        FUZZ_CHECK(cleared && !ht::page_has_record(*cleared));
        return 0;
}
