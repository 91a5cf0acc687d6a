// Issue 10: the record's binding to one image, resume_offset range, the cpio name reader.
#include "catch.hh"
#include <cstring>

#include "initramfs.hh"
#include "record.hh"
#include "resume.hh"

using namespace ht;

TEST_CASE("record v2: armed and bound states round-trip; v1 decodes as armed")
{
        HibRecord r;
        r.created = 1700000000;
        r.kernel_release = "6.1.0-56-amd64";
        r.boot_entry = "gnulinux-simple";
        FsMark f;
        f.kind = FsKind::Ext;
        f.mount_count = 7;
        f.uuid[0] = 0x11;
        r.filesystems.push_back(f);
        auto armed = encode_record(r);
        REQUIRE(armed);
        auto d = decode_record(*armed);
        REQUIRE(d);
        REQUIRE(*d);
        CHECK((*d)->state == RecordState::Armed);
        CHECK((*d)->image_id == 0);
        CHECK((*d)->boot_entry == "gnulinux-simple");
        CHECK(record_matches(**d, 12345));

        r.state = RecordState::Bound;
        r.image_id = 0xabcdef;
        auto bound = encode_record(r);
        REQUIRE(bound);
        d = decode_record(*bound);
        REQUIRE(d);
        CHECK((*d)->state == RecordState::Bound);
        CHECK(record_matches(**d, 0xabcdef));
        CHECK_FALSE(record_matches(**d, 0xabcdee));

        // Bound without a fingerprint is corrupt.
        std::string bad = *bound;
        std::memset(bad.data() + 96, 0, 8);
        CHECK_FALSE(decode_record(bad));

        auto as_version = [&](std::string rec, int version, size_t at, size_t drop) {
                rec.erase(at, drop);
                rec[8] = static_cast<char>(version);
                rec[10] = static_cast<char>(rec.size() & 0xff);
                rec[11] = static_cast<char>(rec.size() >> 8);
                uint32_t crc = crc32_ieee(std::string_view(rec).substr(16));
                for (int i = 0; i < 4; i++)
                        rec[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
                return rec;
        };
        // A version-1 record (no state, boot entry at 92): armed.
        d = decode_record(as_version(*armed, 1, 92, 44));
        REQUIRE(d);
        REQUIRE(*d);
        CHECK((*d)->state == RecordState::Armed);
        CHECK((*d)->boot_entry == "gnulinux-simple");
        CHECK_FALSE((*d)->grubenv);
        // A version-2 record (no reboot count, no GRUB block, boot entry at 104).
        d = decode_record(as_version(*bound, 2, 104, 32));
        REQUIRE(d);
        REQUIRE(*d);
        CHECK((*d)->state == RecordState::Bound);
        CHECK((*d)->boot_entry == "gnulinux-simple");
        CHECK((*d)->filesystems.size() == 1);
        CHECK_FALSE((*d)->grubenv);
        CHECK((*d)->reboots == 0);
}

TEST_CASE("record v3: the GRUB environment block's place and the reboot count round-trip")
{
        HibRecord r;
        r.kernel_release = "6.1.0-57-amd64";
        r.boot_entry = "gnulinux-advanced-x>gnulinux-6.1.0-57-amd64-advanced-x";
        GrubEnvLocation g;
        g.fs_uuid[0] = 0xab;
        g.fs_uuid[15] = 0x01;
        g.offset = 0x12345000;
        r.grubenv = g;
        r.reboots = 1;
        auto e = encode_record(r);
        REQUIRE(e);
        auto d = decode_record(*e);
        REQUIRE(d);
        REQUIRE(*d);
        REQUIRE((*d)->grubenv);
        CHECK(*(*d)->grubenv == g);
        CHECK((*d)->grubenv->fs_uuid_str() == "ab000000-0000-0000-0000-000000000001");
        CHECK((*d)->reboots == 1);
        CHECK((*d)->boot_entry == r.boot_entry);

        // No block recorded: nothing decoded.
        r.grubenv.reset();
        d = decode_record(*encode_record(r));
        REQUIRE(d);
        CHECK_FALSE((*d)->grubenv);

        // A block that is not sector-aligned is corrupt (it cannot be GRUB's).
        g.offset = 0x12345001;
        r.grubenv = g;
        CHECK_FALSE(decode_record(*encode_record(r)));
        // A null filesystem UUID cannot be encoded.
        r.grubenv = GrubEnvLocation{};
        CHECK_FALSE(encode_record(r));
}

TEST_CASE("image fingerprint: the kernel's per-image fields and pages")
{
        std::string page(4096, '\0'), map(4096, '\1'), info(4096, '\2');
        uint64_t a = image_fingerprint(page, map, info);
        CHECK(a != 0);
        page[4060] = 1;  // crc32
        CHECK(image_fingerprint(page, map, info) != a);
        page[4060] = 0;
        page[4090] = 'X';  // the signature is not part of it (the kernel resets it)
        CHECK(image_fingerprint(page, map, info) == a);
        info[424] = 9;  // image_pages
        CHECK(image_fingerprint(page, map, info) != a);
        CHECK(image_fingerprint(page, "", "") != image_fingerprint(page, map, ""));
}

TEST_CASE("page_with_record clears or replaces only the record region")
{
        std::string page(4096, 'x');
        auto cleared = page_with_record(page, nullptr);
        REQUIRE(cleared);
        CHECK(cleared->substr(0, 2048) == page.substr(0, 2048));
        CHECK(cleared->substr(4056) == page.substr(4056));
        CHECK(cleared->substr(2048, 2008).find_first_not_of('\0') == std::string::npos);
        CHECK_FALSE(page_has_record(*cleared));
        HibRecord r;
        r.kernel_release = "6.1";
        auto with = page_with_record(page, &r);
        REQUIRE(with);
        CHECK(page_has_record(*with));
}

TEST_CASE("resume_offset byte position: overflow and device bounds")
{
        CHECK(*resume_offset_bytes(0, 4096, 0, "/dev/vdb") == 0);
        CHECK(*resume_offset_bytes(10, 4096, 1u << 20, "/dev/vdb") == 40960);
        auto o = resume_offset_bytes(4503599627370496ULL, 4096, 0, "/dev/vdb");
        REQUIRE_FALSE(o);
        CHECK(o.error().message == "resume_offset=4503599627370496 is out of range: its byte position overflows 64 bits");
        auto out = resume_offset_bytes(256, 4096, 1u << 20, "/dev/vdb");
        REQUIRE_FALSE(out);
        CHECK(out.error().message == "resume_offset=256 lies outside /dev/vdb (256 pages of 4096 bytes)");
        CHECK(resume_offset_bytes(255, 4096, 1u << 20, "/dev/vdb"));
        CHECK_FALSE(resume_offset_bytes(UINT64_MAX / 4096, 4096, 0, ""));
}

namespace {
std::string newc(const std::string &name, const std::string &data)
{
        char h[111];
        std::snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u, 0100644u, 0u, 0u,
                      1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                      static_cast<unsigned>(name.size() + 1), 0u);
        std::string s(h, 110);
        s += name;
        s.push_back('\0');
        while (s.size() % 4)
                s.push_back('\0');
        s += data;
        while (s.size() % 4)
                s.push_back('\0');
        return s;
}
}  // namespace

TEST_CASE("cpio newc names: concatenated archives, bounds, compression by magic")
{
        std::string a = newc("kernel/x86/microcode/GenuineIntel.bin", "ucode") + newc("TRAILER!!!", "");
        a.append(512 - a.size() % 512, '\0');
        std::string b = newc("./scripts/local-premount/resume", "#!/bin/sh\n") + newc("init", "x") + newc("TRAILER!!!", "");
        size_t rest = 0;
        auto names = list_cpio_buffer(a + b + "\x28\xb5\x2f\xfd", &rest);
        REQUIRE(names);
        CHECK(*names == std::vector<std::string>{"kernel/x86/microcode/GenuineIntel.bin", "scripts/local-premount/resume", "init"});
        CHECK(rest == a.size() + b.size());
        CHECK(compression_of(std::string_view(a + b).substr(rest)) == "");
        CHECK(compression_of("\x28\xb5\x2f\xfd...") == "zstd");
        CHECK(compression_of("\x1f\x8b\x08") == "gzip");
        CHECK_FALSE(list_cpio_buffer(b.substr(0, 130)));  // truncated
        std::string huge = b;
        std::memcpy(huge.data() + 94, "FFFFFFFF", 8);  // name size
        CHECK_FALSE(list_cpio_buffer(huge));
}

#include "crypttab.hh"

TEST_CASE("crypttab: fields, comments, options, random keys, bounds")
{
        auto p = parse_crypttab("# comment\n"
                                "cryptswap /dev/vda3 /dev/urandom swap,cipher=aes-xts-plain64\n"
                                "\n"
                                "  luks\\040root\tUUID=1234  none luks,discard  # trailing\n"
                                "broken\n"
                                "plain1 /dev/vdb - plain,keyfile=/dev/random\n"
                                "a b c d e\n");
        REQUIRE(p.entries.size() == 3);
        CHECK(p.entries[0].line == 2);
        CHECK(p.entries[0].name == "cryptswap");
        CHECK(p.entries[0].random_key_reason().find("/dev/urandom") != std::string::npos);
        CHECK(p.entries[1].name == "luks root");
        CHECK(p.entries[1].options == std::vector<std::string>{"luks", "discard"});
        CHECK(p.entries[1].random_key_reason().empty());
        CHECK(p.entries[2].option_value("keyfile") == std::optional<std::string>("/dev/random"));
        CHECK_FALSE(p.entries[2].random_key_reason().empty());
        CHECK(p.warnings.size() == 2);  // "broken" and the 5-field line

        CrypttabEntry e;
        e.options = {"swap"};
        CHECK(e.random_key_reason().find("mkswap") != std::string::npos);

        std::string many;
        for (int i = 0; i < 1100; i++)
                many += "n" + std::to_string(i) + " /dev/x\n";
        auto m = parse_crypttab(many);
        CHECK(m.entries.size() == CRYPTTAB_MAX_ENTRIES);
        CHECK(parse_crypttab(std::string(5000, 'x') + " y\n").entries.empty());
}
