#include "catch.hh"

#include "setup.hh"

using namespace ht;

TEST_CASE("setup: arguments")
{
        auto o = parse_setup_args({});
        REQUIRE(o);
        CHECK(o->root == "/");
        CHECK(o->size_auto);
        CHECK_FALSE(o->swap);
        CHECK_FALSE(o->dry_run);

        o = parse_setup_args({"--root=/target", "--swap-file", "/swapfile", "--size", "8G", "--dry-run", "--json",
                              "--no-regenerate"});
        REQUIRE(o);
        CHECK(o->root == "/target");
        CHECK(o->swap_file == std::optional<std::string>("/swapfile"));
        CHECK_FALSE(o->size_auto);
        CHECK(o->size_bytes == (8ull << 30));
        CHECK((o->dry_run && o->json && o->no_regenerate));

        o = parse_setup_args({"--swap-file=/swap.img", "--size=auto"});
        REQUIRE(o);
        CHECK(o->size_auto);
        CHECK(o->size_given);

        o = parse_setup_args({"--swap", "UUID=8D5F1C2E-4B7A-4E1F-9C3D-2A6B0E7F1A55"});
        REQUIRE(o);
        o = parse_setup_args({"--swap", "LABEL=my swap"});
        REQUIRE(o);
        CHECK(parse_setup_args({"--undo"}));
        CHECK(parse_setup_args({"-h"})->help);

        for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
                     {"--swap"},
                     {"--swap", ""},
                     {"--swap", "254:16"},
                     {"--swap", "PARTUUID=ab/PARTNROFF=1"},
                     {"--swap-file", "relative"},
                     {"--swap-file", "/dir/"},
                     {"--swap-file", "/a/.."},
                     {"--swap", "/dev/vdb", "--swap-file", "/swapfile"},
                     {"--size", "1G"},
                     {"--swap-file", "/s", "--size", "1M"},
                     {"--swap-file", "/s", "--size", "2.5G"},
                     {"--swap-file", "/s", "--size", "99999999999999999999"},
                     {"--swap-file", "/s", "--size", "4096T"},
                     {"--swap-file", "/s", "--size", "1G", "--size", "2G"},
                     {"--undo", "--swap", "/dev/vdb"},
                     {"--dry-run=yes"},
                     {"--dry-run", "--dry-run"},
                     {"--root", ""},
                     {"--root", "/a", "--root", "/b"},
                     {"--bogus"},
                     {"operand"},
             }) {
                auto r = parse_setup_args(bad);
                CHECK_FALSE(r);
                if (!r)
                        CHECK_FALSE(r.error().message.empty());
        }
}

TEST_CASE("setup: size policy")
{
        constexpr uint64_t MiB = 1ull << 20, GiB = 1ull << 30;
        CHECK(auto_swap_size(4 * GiB) == 6 * GiB);
        CHECK(auto_swap_size(16 * GiB) == 20 * GiB);
        CHECK(auto_swap_size(1 * GiB) == 2 * GiB);
        CHECK(auto_swap_size(20 * MiB) == 192 * MiB);  // 20 + 143.1 MiB, rounded up to 64 MiB
        CHECK(auto_swap_size(0) == 64 * MiB);
        CHECK(auto_swap_size(UINT64_MAX) % (64 * MiB) == 0);
        uint64_t s = auto_swap_size(3 * GiB + 123);
        CHECK(s % (64 * MiB) == 0);
        CHECK(s >= 3 * GiB + 123);
        CHECK(round_up_size(1) == 64 * MiB);
        CHECK(round_up_size(64 * MiB) == 64 * MiB);
        CHECK(round_up_size(UINT64_MAX) % (64 * MiB) == 0);
        CHECK(swap_file_margin(1 * GiB) == 64 * MiB);
        CHECK(swap_file_margin(100 * GiB) == 2 * GiB);
}

TEST_CASE("setup: kernel arguments and GRUB editing")
{
        CHECK(resume_kernel_args("abc", std::nullopt) == "resume=UUID=abc");
        CHECK(resume_kernel_args("abc", 34816) == "resume=UUID=abc resume_offset=34816");
        CHECK_FALSE(strip_resume_words("quiet splash"));
        CHECK(strip_resume_words("quiet resume=/dev/sda2 resume_offset=5 splash") == std::optional<std::string>("quiet splash"));
        CHECK(strip_resume_words("a=\"x y\" resume=UUID=1") == std::optional<std::string>("a=\"x y\""));
        CHECK(shell_double_quote("a\"b$c`d\\e") == "\"a\\\"b\\$c\\`d\\\\e\"");

        ShellVars v;
        v["GRUB_CMDLINE_LINUX_DEFAULT"] = "quiet";
        v["GRUB_CMDLINE_LINUX"] = "";
        CHECK(grub_resume_assignments(v, "resume=UUID=u") == "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} resume=UUID=u\"\n");
        v["GRUB_CMDLINE_LINUX"] = "console=ttyS0 resume=/dev/old";
        v["GRUB_CMDLINE_LINUX_DEFAULT"] = "quiet resume_offset=9";
        auto a = grub_resume_assignments(v, "resume=UUID=u");
        CHECK(a.find("GRUB_CMDLINE_LINUX=\"console=ttyS0 resume=UUID=u\"\n") != std::string::npos);
        CHECK(a.find("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n") != std::string::npos);
        // The result, read back with the project's shell parser, has exactly one resume=.
        ShellVars after = v;
        parse_shell_assignments(grub_dropin_text(v, "resume=UUID=u resume_offset=7"), after);
        Cmdline cl(after["GRUB_CMDLINE_LINUX"] + " " + after["GRUB_CMDLINE_LINUX_DEFAULT"]);
        unsigned n = 0;
        for (auto &w : cl.args())
                n += w.key == "resume";
        CHECK(n == 1);
        CHECK(cl.value("resume_offset") == std::optional<std::string>("7"));

        std::string g = "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"\"";
        auto w = grub_default_with_block(g, "X=1\n");
        REQUIRE(w);
        CHECK(*w == "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"\"\n# BEGIN hibernate-tool\nX=1\n# END hibernate-tool\n");
        auto w2 = grub_default_with_block(*w, "X=2\n");  // replaced in place
        REQUIRE(w2);
        CHECK(*w2 == "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"\"\n# BEGIN hibernate-tool\nX=2\n# END hibernate-tool\n");
        CHECK(grub_default_without_block(*w2) == std::optional<std::string>("GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"\"\n"));
        CHECK(grub_default_with_block(*w2, "") == std::optional<std::string>("GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"\"\n"));
        CHECK(grub_default_with_block(g, "") == std::optional<std::string>(g));
        std::string mid = "A=1\n# BEGIN hibernate-tool\nX=1\n# END hibernate-tool\nB=2\n";
        CHECK(grub_default_with_block(mid, "Y=1\n") ==
              std::optional<std::string>("A=1\n# BEGIN hibernate-tool\nY=1\n# END hibernate-tool\nB=2\n"));
        CHECK_FALSE(grub_default_with_block("# BEGIN hibernate-tool\nX=1\n", "Y=1\n"));
        CHECK_FALSE(grub_default_with_block("# END hibernate-tool\n", "Y=1\n"));
        CHECK_FALSE(grub_default_without_block("# BEGIN hibernate-tool\n# BEGIN hibernate-tool\n# END hibernate-tool\n"));
}

TEST_CASE("setup: initramfs, dracut, config and fstab text")
{
        auto t = initramfs_tools_resume_text("u", std::nullopt);
        ShellVars v;
        parse_shell_assignments(t, v);
        CHECK(v["RESUME"] == "UUID=u");
        CHECK(v.count("resume_offset") == 0);
        v.clear();
        parse_shell_assignments(initramfs_tools_resume_text("u", 42), v);
        CHECK(v["resume_offset"] == "42");
        CHECK(dracut_resume_text("u", 42).find("install_items+=") != std::string::npos);
        CHECK(dracut_resume_text("u", 42).find("add_dracutmodules") == std::string::npos);
        CHECK(config_dropin_text("u", 42) ==
              "# Written by hibernate-tool setup (hibernate-tool setup --undo removes it).\n[resume]\ndevice = "
              "\"UUID=u\"\noffset = 42\n");
        CHECK(fstab_append_swap("", "/swapfile") == "/swapfile none swap defaults 0 0\n");
        CHECK(fstab_append_swap("# c\nx / ext4 d 0 1", "UUID=u") == "# c\nx / ext4 d 0 1\nUUID=u none swap defaults 0 0\n");
}

TEST_CASE("setup: undo manifest round trip and rejection")
{
        Manifest m;
        m.created_dirs = {"/var", "/var/lib", "/etc/default/grub.d"};
        m.files.push_back({"/etc/fstab", true, 0644, "orig-0"});
        m.files.push_back({"/etc/default/grub.d/hibernate-tool.cfg", false, 0644, ""});
        m.files.push_back({"/etc/with space/%odd\tname", true, 0600, "orig-2"});
        m.created_swap_files = {"/swap file", "/mnt/b/swapfile"};
        m.grubby = true;
        m.grubby_args = "resume=UUID=u resume_offset=1";
        auto text = format_manifest(m);
        auto p = parse_manifest(text);
        REQUIRE(p);
        CHECK(p->created_dirs == m.created_dirs);
        REQUIRE(p->files.size() == 3);
        CHECK(p->files[2].path == "/etc/with space/%odd\tname");
        CHECK(p->files[2].mode == 0600);
        CHECK(p->files[0].orig == "orig-0");
        CHECK_FALSE(p->files[1].existed);
        CHECK(p->created_swap_files == m.created_swap_files);
        CHECK(p->grubby_args == m.grubby_args);
        CHECK(format_manifest(*p) == text);

        CHECK_FALSE(parse_manifest(""));
        CHECK_FALSE(parse_manifest(text.substr(0, text.size() - 4)));  // no "end": truncated
        CHECK_FALSE(parse_manifest(text.substr(0, text.size() - 1)));  // no final newline
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 2\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0644 ../x /etc/x\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0644 manifest /etc/x\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 0 0644 orig-1 /etc/x\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0944 o /etc/x\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0644 o etc/x\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0644 o /etc/x\nfile 1 0644 p /etc/x\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nend\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\ndir /a%zz\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nswapfile /s\nswapfile /s\nend\n"));
        CHECK(parse_manifest("hibernate-tool-setup-manifest 1\nend\n"));
}

TEST_CASE("setup: JSON report")
{
        SetupReport r;
        r.dry_run = true;
        r.error = "bad \"thing\"";
        r.exit_code = 1;
        auto j = setup_report_json(r);
        CHECK(j.find("\"error\":\"bad \\\"thing\\\"\"") != std::string::npos);
        CHECK(j.find("\"swap\":null") != std::string::npos);
        CHECK(j.find("\"exit\":1") != std::string::npos);
}
