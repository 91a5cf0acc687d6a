#include "catch.hh"

#include "parse.hh"

using namespace ht;

TEST_CASE("kernel command line: quoting, last wins, flags, --")
{
        Cmdline c("BOOT_IMAGE=/vmlinuz root=UUID=abc ro quiet resume=/dev/sda1 resume=UUID=1234 "
                  "foo=\"a b c\" \"bar=x y\" noresume -- resume=/dev/evil");
        REQUIRE(c.value("resume") == std::optional<std::string>("UUID=1234"));
        REQUIRE(c.value("foo") == std::optional<std::string>("a b c"));
        REQUIRE(c.value("bar") == std::optional<std::string>("x y"));
        REQUIRE(c.has_flag("noresume"));
        REQUIRE(c.has_flag("quiet"));
        REQUIRE_FALSE(c.value("quiet"));
        REQUIRE_FALSE(c.has_flag("nohibernate"));
        REQUIRE(c.args().back().key == "noresume");  // nothing after "--"
        REQUIRE(parse_cmdline("").empty());
        REQUIRE(parse_cmdline("   \n\t").empty());
        REQUIRE(parse_cmdline("\"unterminated quote").size() == 1);
        REQUIRE(Cmdline("a==b").value("a") == std::optional<std::string>("=b"));
}

TEST_CASE("/proc/swaps: kinds, escapes, deleted, malformed lines")
{
        auto r = parse_proc_swaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                                  "/dev/vdb                                partition\t1048572\t\t1024\t\t-2\n"
                                  "/swap\\040file                         file\t\t524284\t\t0\t\t5\n"
                                  "/dev/zram0                              partition\t4194300\t\t0\t\t100\n"
                                  "/old\\040(deleted)                     file\t\t1000\t\t0\t\t-3\n"
                                  "/gone (deleted) file 1000 0 -4\n"
                                  "garbage line\n"
                                  "/dev/x partition 10 20 -1\n"
                                  "/dev/y weird 10 0 -1\n"
                                  "/dev/z partition 99999999999999999999999 0 1\n");
        REQUIRE(r.entries.size() == 5);
        REQUIRE(r.errors.size() == 4);
        CHECK(r.entries[0].path == "/dev/vdb");
        CHECK(r.entries[0].kind == SwapKind::Partition);
        CHECK(r.entries[0].size_bytes == 1048572ull * 1024);
        CHECK(r.entries[0].used_bytes == 1024ull * 1024);
        CHECK(r.entries[0].priority == -2);
        CHECK(r.entries[1].path == "/swap file");
        CHECK(r.entries[1].kind == SwapKind::File);
        CHECK(r.entries[2].kind == SwapKind::Zram);
        CHECK(r.entries[3].deleted);
        CHECK(r.entries[3].path == "/old");
        CHECK(r.entries[4].deleted);
        CHECK(r.entries[4].path == "/gone");
        CHECK(parse_proc_swaps("").entries.empty());
}

TEST_CASE("/proc/meminfo")
{
        auto m = parse_meminfo("MemTotal:       24576000 kB\nMemFree:  100 kB\nHugePages_Total:       0\nBad: x kB\n"
                               "Odd: 1 MB\n");
        CHECK(m["MemTotal"] == 24576000ull * 1024);
        CHECK(m["MemFree"] == 102400);
        CHECK(m["HugePages_Total"] == 0);
        CHECK(m.count("Bad") == 0);
        CHECK(m.count("Odd") == 0);
}

TEST_CASE("numbers and sizes")
{
        CHECK(parse_u64("18446744073709551615") == std::optional<uint64_t>(UINT64_MAX));
        CHECK_FALSE(parse_u64("18446744073709551616"));
        CHECK_FALSE(parse_u64("-1"));
        CHECK_FALSE(parse_u64(""));
        CHECK_FALSE(parse_u64("12a"));
        CHECK(parse_i64("-9223372036854775808") == std::optional<int64_t>(INT64_MIN));
        CHECK(parse_size("4G") == std::optional<uint64_t>(4ull << 30));
        CHECK(parse_size("512MiB") == std::optional<uint64_t>(512ull << 20));
        CHECK(parse_size("100") == std::optional<uint64_t>(100));
        CHECK_FALSE(parse_size("2.5G"));
        CHECK_FALSE(parse_size("99999999999999999999T"));
        CHECK_FALSE(parse_size("16777216T"));
        CHECK(parse_devnum("254:16") == std::optional<std::pair<unsigned, unsigned>>({254, 16}));
        CHECK_FALSE(parse_devnum("254"));
        CHECK_FALSE(parse_devnum("a:b"));
}

TEST_CASE("device specifications")
{
        auto u = parse_device_spec("UUID=8D5F1C2E-4b7a-4e1f-9c3d-2a6b0e7f1a55");
        REQUIRE(u);
        CHECK(u->kind == SpecKind::Uuid);
        CHECK(u->value == "8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55");
        CHECK(parse_device_spec("LABEL=my swap")->value == "my swap");
        CHECK(parse_device_spec("PARTLABEL=\"swap\"")->value == "swap");
        CHECK(parse_device_spec("PARTUUID=0a1b-02")->kind == SpecKind::PartUuid);
        CHECK(parse_device_spec("/dev/vdb")->kind == SpecKind::Path);
        auto d = parse_device_spec("254:16");
        REQUIRE(d);
        CHECK(d->kind == SpecKind::Devnum);
        CHECK(d->major == 254);
        CHECK(d->minor == 16);
        auto hex = parse_device_spec("fe10");  // new_encode_dev(254:16)
        REQUIRE(hex);
        CHECK(hex->major == 254);
        CHECK(hex->minor == 16);
        CHECK(parse_device_spec("sda2")->value == "/dev/sda2");
        CHECK_FALSE(parse_device_spec(""));
        CHECK_FALSE(parse_device_spec("UUID="));
        CHECK_FALSE(parse_device_spec("UUID=not a uuid"));
        CHECK_FALSE(parse_device_spec("/etc/passwd"));
        CHECK_FALSE(parse_device_spec("PARTUUID=abcd/PARTNROFF=1"));
        CHECK_FALSE(parse_device_spec("foo bar"));
        CHECK_FALSE(parse_device_spec("a\x01"));
        auto e = parse_device_spec("what?");
        REQUIRE_FALSE(e);
        CHECK(e.error().message.find("what?") != std::string::npos);
}

TEST_CASE("sysfs choice lists")
{
        auto c = parse_choice_list("[platform] shutdown reboot suspend test_resume\n");
        CHECK(c.items.size() == 5);
        CHECK(c.selected == std::optional<std::string>("platform"));
        CHECK(parse_choice_list("freeze mem disk").items.size() == 3);
        CHECK_FALSE(parse_choice_list("freeze mem").selected);
}

TEST_CASE("shell assignment files")
{
        ShellVars v;
        parse_shell_assignments("# comment\nGRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
                                "GRUB_CMDLINE_LINUX='root=x  y'\n"
                                "export RESUME=UUID=abc\n"
                                "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT resume=/dev/sda2\"\n"
                                "X=${GRUB_DEFAULT}1\n"
                                "echo hello\n"
                                "CMD=`rm -rf /`\n"
                                "omit_dracutmodules+=\" resume \"\nomit_dracutmodules+=\" nfs\"\n"
                                "BAD=\"unterminated\n",
                                v);
        CHECK(v["GRUB_DEFAULT"] == "0");
        CHECK(v["GRUB_CMDLINE_LINUX"] == "root=x  y");
        CHECK(v["RESUME"] == "UUID=abc");
        CHECK(v["GRUB_CMDLINE_LINUX_DEFAULT"] == "quiet resume=/dev/sda2");
        CHECK(v["X"] == "01");
        CHECK(v.count("BAD") == 0);
        CHECK(v.count("CMD") == 0);
        CHECK(v["omit_dracutmodules"] == " resume  nfs");
}

TEST_CASE("shell assignments: self-doubling values stay bounded")
{
        std::string text = "A=xxxxxxxx\n";
        for (int i = 0; i < 40; i++)
                text += "A=$A$A\n";
        ShellVars v;
        parse_shell_assignments(text, v);
        CHECK(v["A"].size() == 64 * 1024);
}

TEST_CASE("grub.cfg entries with submenus and ids")
{
        auto e = parse_grub_cfg(
                "if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n"
                "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-abc' {\n"
                "\tlinux\t/boot/vmlinuz-6.1.0-56-amd64 root=UUID=abc ro resume=UUID=def quiet\n"
                "\tinitrd\t/boot/initrd.img-6.1.0-56-amd64\n}\n"
                "submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-abc' {\n"
                "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-55-amd64' --id 'gnulinux-6.1.0-55-amd64-advanced-abc' {\n"
                "\t\tlinux /boot/vmlinuz-6.1.0-55-amd64 root=UUID=abc ro\n\t}\n}\n");
        REQUIRE(e.size() == 2);
        CHECK(e[0].id == "gnulinux-simple-abc");
        CHECK(e[0].kernel == "/boot/vmlinuz-6.1.0-56-amd64");
        CHECK(Cmdline(e[0].cmdline).value("resume") == std::optional<std::string>("UUID=def"));
        CHECK(e[1].submenu_path == "gnulinux-advanced-abc>");
        CHECK(e[1].id == "gnulinux-6.1.0-55-amd64-advanced-abc");
        CHECK(e[1].kernel == "/boot/vmlinuz-6.1.0-55-amd64");
}

TEST_CASE("printable and octal unescaping keep output valid for any bytes")
{
        CHECK(printable("a\xffz") == "a\\xffz");
        CHECK(unescape_octal("a\\040b\\134") == "a b\\");
        CHECK(unescape_octal("trail\\04") == "trail\\04");
}

TEST_CASE("LineReader: the one line loop")
{
        auto all = [](std::string_view t) {
                std::vector<std::string> v;
                LineReader lines(t);
                while (auto l = lines.next())
                        v.push_back(std::to_string(lines.number()) + ":" + std::string(*l));
                return v;
        };
        CHECK(all("").empty());
        CHECK(all("a") == std::vector<std::string>{"1:a"});
        CHECK(all("a\n") == std::vector<std::string>{"1:a"});
        CHECK(all("a\n\nb") == std::vector<std::string>{"1:a", "2:", "3:b"});
        CHECK(all("\n") == std::vector<std::string>{"1:"});
        CHECK(all(std::string_view("x\0y\nz", 5)) == std::vector<std::string>{std::string("1:x\0y", 5), "2:z"});
}
