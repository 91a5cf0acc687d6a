// The PE/COFF section reader and systemd-boot's Type #1 + Type #2 entries, on unified kernel
// images built by objcopy from systemd's real EFI stub (Debian: systemd-boot-efi).
#include "catch.hh"
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "host.hh"
#include "pe.hh"
#include "sdboot.hh"
#include "temp-root.hh"

using namespace ht;

namespace {

// systemd's EFI stub of this architecture (Debian: systemd-boot-efi).
const char *const STUB = [] {
        for (const char *s : {"/usr/lib/systemd/boot/efi/linuxx64.efi.stub", "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub",
                              "/usr/lib/systemd/boot/efi/linuxia32.efi.stub"})
                if (::access(s, R_OK) == 0)
                        return s;
        return "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
}();

std::string bzimage(const std::string &version)
{
        std::string s(0x1000, '\0');
        s.replace(0x202, 4, "HdrS");
        size_t off = 0x300 - 0x200;
        s[0x20e] = static_cast<char>(off & 0xff);
        s[0x20f] = static_cast<char>(off >> 8);
        s.replace(0x300, version.size(), version + " (debian-kernel@lists.debian.org)");
        return s;
}

std::string slurp(const std::string &p)
{
        std::ifstream f(p, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
}

// Builds a UKI at root+dest as ukify/dracut lay one out: the stub plus .osrel, .cmdline,
// .uname (optional) and .linux sections at their own virtual addresses.
void make_uki(const TempRoot &r, const std::string &dest, const std::string &osrel, const std::string &cmdline,
              const std::string &uname, const std::string &kernel_release)
{
        REQUIRE(::access(STUB, R_OK) == 0);  // the systemd-boot-efi package (tools/hibernate-dev DEPS)
        r.mkdir("/.uki");
        r.write("/.uki/osrel", osrel);
        r.write("/.uki/cmdline", cmdline);
        r.write("/.uki/uname", uname);
        r.write("/.uki/linux", bzimage(kernel_release));
        std::string d = r.dir + "/.uki/";
        std::string cmd = "objcopy --add-section .osrel=" + d + "osrel --change-section-vma .osrel=0x20000"
                          " --add-section .cmdline=" + d + "cmdline --change-section-vma .cmdline=0x30000";
        if (!uname.empty())
                cmd += " --add-section .uname=" + d + "uname --change-section-vma .uname=0x40000";
        cmd += " --add-section .linux=" + d + "linux --change-section-vma .linux=0x2000000 ";
        cmd += std::string(STUB) + " '" + r.dir + dest + "'";
        REQUIRE(std::system(cmd.c_str()) == 0);
        (void) std::system(("rm -rf '" + r.dir + "/.uki'").c_str());
}

void write_loader_info(const TempRoot &r, const std::string &value)
{
        r.mkdir("/sys/firmware/efi/efivars");
        std::string v("\x06\0\0\0", 4);
        for (char c : value) {
                v += c;
                v += '\0';
        }
        v += std::string("\0\0", 2);
        r.write("/sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", v);
}

}  // namespace

TEST_CASE("pe: the sections of a UKI built from systemd's stub")
{
        TempRoot r;
        make_uki(r, "/uki.efi", "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n",
                 "root=UUID=1234 ro quiet resume=UUID=abcd", "6.1.0-9-amd64", "6.1.0-9-amd64");
        std::string file = slurp(r.dir + "/uki.efi");
        auto secs = pe_parse_sections(file, file.size());
        REQUIRE(secs);
        std::vector<std::string> names;
        for (auto &s : *secs)
                names.push_back(s.name);
        // The stub's own sections stay, ours are added.
        CHECK(std::find(names.begin(), names.end(), ".text") != names.end());
        CHECK(std::find(names.begin(), names.end(), ".sdmagic") != names.end());
        CHECK(pe_section_data(file, *secs, ".cmdline") == std::optional<std::string>("root=UUID=1234 ro quiet resume=UUID=abcd"));
        CHECK(pe_section_data(file, *secs, ".uname") == std::optional<std::string>("6.1.0-9-amd64"));
        CHECK(pe_section_data(file, *secs, ".osrel")->find("VERSION_ID=\"12\"") != std::string::npos);
        CHECK_FALSE(pe_section_data(file, *secs, ".initrd"));
        for (auto &s : *secs)
                if (s.name == ".cmdline") {
                        CHECK(s.virtual_address == 0x30000);
                        CHECK(s.virtual_size == 40);
                        CHECK(s.raw_size >= s.virtual_size);  // padded to the file alignment
                }

        Host h(r.dir);
        auto u = read_uki(h, "/uki.efi");
        REQUIRE(u);
        CHECK(u->uname == std::optional<std::string>("6.1.0-9-amd64"));
        CHECK(u->linux_release == std::optional<std::string>("6.1.0-9-amd64"));
        CHECK(u->cmdline == std::optional<std::string>("root=UUID=1234 ro quiet resume=UUID=abcd"));
        auto e = uki_entry("debian-6.1.0-9-amd64+3-1.efi", "/efi/EFI/Linux/debian-6.1.0-9-amd64+3-1.efi", *u);
        CHECK(e.type == 2);
        CHECK(e.id == "debian-6.1.0-9-amd64.efi");
        CHECK(e.title == "Debian GNU/Linux 12 (bookworm)");
        CHECK(e.version == "12");
        CHECK(e.kernel_release == "6.1.0-9-amd64");

        // The stub alone is a PE image, but not a UKI.
        auto stub = read_uki(Host("/"), STUB);
        REQUIRE_FALSE(stub);
        CHECK(stub.error().code == ENOEXEC);
}

TEST_CASE("pe: without .uname the release comes from the bzImage in .linux")
{
        TempRoot r;
        make_uki(r, "/uki.efi", "ID=debian\n", "quiet", "", "6.1.0-7-amd64");
        Host h(r.dir);
        auto u = read_uki(h, "/uki.efi");
        REQUIRE(u);
        CHECK_FALSE(u->uname);
        CHECK(uki_entry("x.efi", "/x.efi", *u).kernel_release == "6.1.0-7-amd64");
        CHECK(uki_entry("x.efi", "/x.efi", *u).title == "debian");
}

TEST_CASE("pe: damaged images are refused, never read out of bounds")
{
        TempRoot r;
        make_uki(r, "/uki.efi", "ID=debian\n", "quiet", "6.1.0-9-amd64", "6.1.0-9-amd64");
        const std::string file = slurp(r.dir + "/uki.efi");
        auto le32 = [](std::string &s, size_t off, uint32_t v) {
                for (int i = 0; i < 4; i++)
                        s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
        };
        uint32_t pe = static_cast<unsigned char>(file[0x3c]) | (static_cast<unsigned char>(file[0x3d]) << 8);
        REQUIRE(file.substr(pe, 4) == std::string("PE\0\0", 4));
        REQUIRE(pe_parse_sections(file, file.size()));

        CHECK_FALSE(pe_parse_sections(file.substr(0, 0x3f), file.size()));           // shorter than the DOS header
        CHECK_FALSE(pe_parse_sections("ZM" + file.substr(2), file.size()));          // no MZ
        CHECK_FALSE(pe_parse_sections(file.substr(0, pe + 30), file.size()));        // table cut off
        CHECK_FALSE(pe_parse_sections(file, 0x200));                                 // sections past the file's end
        std::string s = file;
        le32(s, 0x3c, 0xfffffff0);  // e_lfanew far outside
        CHECK_FALSE(pe_parse_sections(s, s.size()));
        s = file;
        s[pe + 6] = '\xff';  // 0x..ff sections
        s[pe + 7] = '\xff';
        auto many = pe_parse_sections(s, s.size());
        REQUIRE_FALSE(many);
        CHECK(many.error().message.find("sections") != std::string::npos);
        s = file;
        s[pe + 6] = 0;
        s[pe + 7] = 0;
        CHECK_FALSE(pe_parse_sections(s, s.size()));
        s = file;
        s[pe + 20] = '\xff';  // SizeOfOptionalHeader pushes the table past the head
        s[pe + 21] = '\xff';
        CHECK_FALSE(pe_parse_sections(s, s.size()));
        // A section whose raw data runs past the end of the file.
        s = file;
        uint16_t opt = static_cast<unsigned char>(file[pe + 20]) | (static_cast<unsigned char>(file[pe + 21]) << 8);
        size_t first = pe + 24 + opt;
        le32(s, first + 20, 0xfffff000);  // PointerToRawData
        auto past = pe_parse_sections(s, s.size());
        REQUIRE_FALSE(past);
        CHECK(past.error().message.find("past the end") != std::string::npos);

        // Through the Host: a truncated UKI is an error, not a short read taken as data.
        r.write("/cut.efi", file.substr(0, file.size() / 2));
        Host h(r.dir);
        CHECK_FALSE(read_uki(h, "/cut.efi"));
        r.write("/empty.efi", "");
        CHECK_FALSE(read_uki(h, "/empty.efi"));
        // A section larger than the limit.
        auto big = read_uki(h, "/uki.efi", 4);
        REQUIRE_FALSE(big);
        CHECK(big.error().code == EFBIG);
}

TEST_CASE("sdboot: entry ids, os-release values, bootctl's JSON")
{
        CHECK(boot_entry_id("abc-6.1.0-9-amd64.conf") == "abc-6.1.0-9-amd64.conf");
        CHECK(boot_entry_id("abc-6.1.0-9-amd64+3.conf") == "abc-6.1.0-9-amd64.conf");
        CHECK(boot_entry_id("abc-6.1.0-9-amd64+0-2.conf") == "abc-6.1.0-9-amd64.conf");
        CHECK(boot_entry_id("debian+x.efi") == "debian+x.efi");
        CHECK(boot_entry_id("debian+3-.efi") == "debian+3-.efi");
        CHECK(os_release_value("ID=debian\nPRETTY_NAME=\"Debian \\\"x\\\"\"\n", "PRETTY_NAME") ==
              std::optional<std::string>("Debian \"x\""));
        CHECK(os_release_value("NAME='a b'\n", "NAME") == std::optional<std::string>("a b"));
        CHECK_FALSE(os_release_value("IDX=1\n", "ID"));

        // Captured from systemd 252's bootctl --json=short list (Debian 12): one object per line.
        std::string v252 =
                R"({"id":"debian-6.1.0-99-amd64.efi","path":"/efi/EFI/Linux/debian-6.1.0-99-amd64.efi","root":"/efi","title":"Debian UKI","showTitle":"Debian UKI","sortKey":"debian","version":"12","options":"root=/dev/vda1 quiet","linux":"EFI/Linux/debian-6.1.0-99-amd64.efi"})"
                "\n"
                R"({"id":"abc-6.1.0-1.conf","path":"/efi/loader/entries/abc-6.1.0-1.conf","root":"/efi","title":"Foo","showTitle":"Foo","version":"6.1.0-1","options":"root=/dev/sda1 quiet","linux":"/abc/6.1.0-1/linux"})"
                "\n"
                R"({"id":"auto-reboot-to-firmware-setup","title":"Reboot Into Firmware Interface"})"
                "\n";
        auto l = parse_bootctl_list(v252);
        REQUIRE(l);
        REQUIRE(l->size() == 2);
        CHECK((*l)[0].type == 2);
        CHECK((*l)[0].id == "debian-6.1.0-99-amd64.efi");
        CHECK((*l)[0].kernel_release.empty());  // 252 reports os-release's version: read from the file
        CHECK((*l)[1].type == 1);
        CHECK((*l)[1].kernel_release == "6.1.0-1");
        CHECK((*l)[1].options == "root=/dev/sda1 quiet");
        // Later versions: one array.
        auto arr = parse_bootctl_list(R"([{"id":"a.conf","path":"/boot/loader/entries/a.conf","version":"6.2"}])");
        REQUIRE(arr);
        REQUIRE(arr->size() == 1);
        CHECK((*arr)[0].kernel_release == "6.2");
        CHECK_FALSE(parse_bootctl_list("{\"id\":\n"));
        CHECK_FALSE(parse_bootctl_list("[1,2]"));
        CHECK(parse_bootctl_list("")->empty());
}

TEST_CASE("sdboot: the running kernel's entry among Type #1 entries and UKIs")
{
        TempRoot r;
        write_loader_info(r, "systemd-boot 252.39-1~deb12u2");
        r.mkdir("/efi/loader/entries");
        r.mkdir("/efi/EFI/Linux");
        r.mkdir("/efi/abc/6.1.0-8-amd64");
        r.write("/efi/abc/6.1.0-8-amd64/linux", bzimage("6.1.0-8-amd64"));
        r.write("/efi/loader/entries/abc-6.1.0-8-amd64.conf",
                "title Debian\nversion 6.1.0-8-amd64\noptions root=UUID=1 ro resume=UUID=2\nlinux /abc/6.1.0-8-amd64/linux\n");
        make_uki(r, "/efi/EFI/Linux/debian-6.1.0-9-amd64+2-1.efi", "PRETTY_NAME=\"Debian UKI\"\nVERSION_ID=12\n",
                 "root=UUID=1 ro resume=UUID=2 resume_offset=34816", "6.1.0-9-amd64", "6.1.0-9-amd64");
        make_uki(r, "/efi/EFI/Linux/rescue-6.1.0-9-amd64.efi", "PRETTY_NAME=\"Debian rescue\"\n",
                 "root=UUID=1 ro systemd.unit=rescue.target", "6.1.0-9-amd64", "6.1.0-9-amd64");
        r.write("/efi/EFI/Linux/junk.efi", "MZ not really");
        Host h(r.dir);

        auto all = read_loader_entries(h);
        REQUIRE(all.size() == 3);  // the junk file is skipped, as systemd-boot skips it
        CHECK(all[0].kernel_release == "6.1.0-9-amd64");

        auto t2 = find_boot_target(h, "6.1.0-9-amd64");
        REQUIRE(t2);
        CHECK(t2->loader == BootLoader::SystemdBoot);
        CHECK(t2->entry_id == "debian-6.1.0-9-amd64.efi");  // LoaderEntryOneShot's value: no counter
        CHECK(t2->title == "Debian UKI");
        CHECK(t2->cmdline == "root=UUID=1 ro resume=UUID=2 resume_offset=34816");
        CHECK(t2->config == "/efi/EFI/Linux/debian-6.1.0-9-amd64+2-1.efi");

        auto t1 = find_boot_target(h, "6.1.0-8-amd64");
        REQUIRE(t1);
        CHECK(t1->entry_id == "abc-6.1.0-8-amd64.conf");
        CHECK(t1->cmdline == "root=UUID=1 ro resume=UUID=2");

        auto none = find_boot_target(h, "6.1.0-7-amd64");
        REQUIRE_FALSE(none);
        CHECK(none.error().code == ESRCH);

        // Without LoaderInfo (a chroot, --root on an installer's target) and without GRUB, the
        // kernel-install layout is enough.
        (void) std::system(("rm -rf '" + r.dir + "/sys'").c_str());
        auto t3 = find_boot_target(Host(r.dir), "6.1.0-8-amd64");
        REQUIRE(t3);
        CHECK(t3->loader == BootLoader::SystemdBoot);
}
