// SPDX-License-Identifier: LGPL-2.1-or-later
// systemd's HibernateLocation EFI variable: format, os-release rule, place among the
// resume sources.
#include "catch.hh"
#include "config.hh"
#include "efivar.hh"
#include "host.hh"
#include "resume.hh"
#include "temp-root.hh"

using namespace ht;

namespace {

// What efivarfs shows for a variable systemd-sleep wrote: 4 attribute bytes, UTF-16LE, NUL.
std::string efivar(const std::string &utf8_ascii_json, bool nul = true)
{
        std::string b("\x07\x00\x00\x00", 4);
        for (char c : utf8_ascii_json) {
                b += c;
                b += '\0';
        }
        if (nul)
                b += std::string("\0\0", 2);
        return b;
}

const char *UUID = "5c1f8a2e-3b4d-4e6f-9a7b-1c2d3e4f5a6b";

}  // namespace

TEST_CASE("HibernateLocation: the format systemd writes")
{
        auto l = parse_hibernate_location(efivar(std::string("{\"uuid\":\"") + UUID +
                                                 "\",\"offset\":34816,\"kernelVersion\":\"6.12.9-amd64\","
                                                 "\"osReleaseId\":\"debian\",\"osReleaseVersionId\":\"13\"}"));
        REQUIRE(l);
        CHECK(l->uuid == UUID);
        CHECK(l->offset == 34816);
        CHECK(l->kernel_version == std::optional<std::string>("6.12.9-amd64"));
        CHECK(l->os_id == std::optional<std::string>("debian"));
        CHECK_FALSE(l->os_image_id);

        // offset as a string of digits (sd_json_dispatch_uint64 accepts it), uuid as 32 hex, no NUL
        l = parse_hibernate_location(efivar("{\"uuid\":\"5C1F8A2E3B4D4E6F9A7B1C2D3E4F5A6B\",\"offset\":\"0\"}", false));
        REQUIRE(l);
        CHECK(l->uuid == UUID);
        CHECK(l->offset == 0);
        // unknown keys and wrongly typed optional keys are ignored, as systemd does
        CHECK(parse_hibernate_location(efivar(std::string("{\"uuid\":\"") + UUID +
                                              "\",\"offset\":1,\"osReleaseId\":7,\"new\":[1]}")));
}

TEST_CASE("HibernateLocation: bad contents get one message each")
{
        auto msg = [](const std::string &bytes) {
                auto l = parse_hibernate_location(bytes);
                REQUIRE_FALSE(l);
                return l.error().message;
        };
        CHECK(msg("") .find("shorter than its attributes") != std::string::npos);
        CHECK(msg(std::string("\x07\0\0\0{", 5)).find("not UTF-16") != std::string::npos);
        CHECK(msg(efivar("{\"offset\":1}")).find("no \"uuid\"") != std::string::npos);
        CHECK(msg(efivar(std::string("{\"uuid\":\"") + UUID + "\"}")).find("no \"offset\"") != std::string::npos);
        CHECK(msg(efivar(std::string("{\"uuid\":\"") + UUID + "\",\"offset\":-1}")).find("not a page number") !=
              std::string::npos);
        CHECK(msg(efivar(std::string("{\"uuid\":\"") + UUID + "\",\"offset\":1.5}")).find("not a page number") !=
              std::string::npos);
        CHECK(msg(efivar("{\"uuid\":\"not-a-uuid\",\"offset\":1}")).find("is not a UUID") != std::string::npos);
        CHECK(msg(efivar("[1,2]")).find("not a JSON object") != std::string::npos);
        CHECK(msg(efivar("{\"uuid\":")).find("not JSON") != std::string::npos);
        std::string lone("\x07\0\0\0\x00\xd8\x41\x00", 8);  // unpaired high surrogate
        CHECK(msg(lone).find("surrogate") != std::string::npos);
        CHECK(msg(std::string(70000, 'x')).find("64 KiB") != std::string::npos);
}

TEST_CASE("HibernateLocation: only for the OS that wrote it")
{
        HibernateLocation l;
        l.os_id = "debian";
        std::string why;
        CHECK(hibernate_location_matches(l, "PRETTY_NAME=\"Debian\"\nID=debian\nVERSION_ID=\"13\"\n", &why));
        CHECK_FALSE(hibernate_location_matches(l, "ID=fedora\n", &why));
        CHECK(why.find("written by debian") != std::string::npos);
        CHECK(why.find("this system is fedora") != std::string::npos);
        l.os_image_id = "kiosk";
        CHECK_FALSE(hibernate_location_matches(l, "ID=debian\n", &why));  // IMAGE_ID must match too
        CHECK(hibernate_location_matches(l, "ID='debian'\nIMAGE_ID=kiosk\n", &why));
}

TEST_CASE("HibernateLocation among the resume sources: after resume=, before sysfs and the config")
{
        Config cfg;
        cfg.resume_device = "/dev/vdc";
        ResumeInputs in;
        HibernateLocation l;
        l.uuid = UUID;
        l.offset = 4096;
        in.efi = l;
        in.sysfs_resume = "254:16";
        in.cmdline = Cmdline("quiet resume_offset=77");
        auto t = select_resume_target(in, cfg);
        REQUIRE(t);
        REQUIRE(*t);
        CHECK((*t)->source == ResumeSource::Efi);
        CHECK((*t)->spec.kind == SpecKind::Uuid);
        CHECK((*t)->spec.value == UUID);
        CHECK((*t)->offset == std::optional<uint64_t>(4096));  // its own offset; resume_offset= alone is ignored
        CHECK((*t)->offset_origin == "efi");
        CHECK(std::string(resume_source_name((*t)->source)) == "efi");

        in.cmdline = Cmdline("resume=/dev/vdb");  // resume= wins, as in systemd
        t = select_resume_target(in, cfg);
        REQUIRE(t);
        CHECK((*t)->source == ResumeSource::Cmdline);
        CHECK((*t)->offset_origin != "efi");

        in.cmdline = Cmdline("");
        in.efi->offset = UINT64_MAX / 2;  // out of range: one message
        t = select_resume_target(in, cfg);
        REQUIRE_FALSE(t);
        CHECK(t.error().message.find("HibernateLocation") != std::string::npos);
}

TEST_CASE("HibernateLocation read from efivarfs under the root")
{
        TempRoot r;
        Host h(r.dir);
        std::string note;
        CHECK_FALSE(usable_hibernate_location(h, &note));  // not set
        CHECK(note.empty());
        r.mkdir("/sys/firmware/efi/efivars");
        r.mkdir("/etc");
        r.write("/etc/os-release", "ID=debian\n");
        r.write(HIBERNATE_LOCATION_EFIVAR,
                efivar(std::string("{\"uuid\":\"") + UUID + "\",\"offset\":8,\"osReleaseId\":\"debian\"}"));
        auto l = usable_hibernate_location(h, &note);
        REQUIRE(l);
        CHECK(l->offset == 8);
        r.write("/etc/os-release", "ID=arch\n");
        CHECK_FALSE(usable_hibernate_location(h, &note));
        CHECK(note.find("ignored, as systemd ignores it") != std::string::npos);
        r.write(HIBERNATE_LOCATION_EFIVAR, "garbage");
        note.clear();
        CHECK_FALSE(usable_hibernate_location(h, &note));
        CHECK(note.find("HibernateLocation EFI variable ignored: ") == 0);
}
