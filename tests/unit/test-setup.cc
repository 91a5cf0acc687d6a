#include "catch.hh"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "setup.hh"
#include "setup/hash.hh"
#include "setup/kernelinstall.hh"

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
        CHECK((o->dry_run && o->json == JsonStyle::Short && o->no_regenerate));

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

        // The drop-in is relative: /bin/sh sources /etc/default/grub (as the admin has it
        // now) and then it, as grub-mkconfig does.
        auto sourced = [](const std::string &grub, const std::string &dropin) {
                char dir[] = "/tmp/ht-unit-grub-XXXXXX";
                REQUIRE(::mkdtemp(dir));
                std::string d(dir);
                auto put = [](const std::string &p, const std::string &t) {
                        FILE *f = std::fopen(p.c_str(), "w");
                        REQUIRE(f);
                        std::fwrite(t.data(), 1, t.size(), f);
                        std::fclose(f);
                };
                put(d + "/grub", grub);
                put(d + "/dropin.cfg", dropin);
                std::string cmd = "sh -c '. " + d + "/grub; . " + d + "/dropin.cfg; printf \"%s|%s|\" "
                                  "\"$GRUB_CMDLINE_LINUX\" \"$GRUB_CMDLINE_LINUX_DEFAULT\"; "
                                  "{ set; command -v hibernate_tool_strip_resume; } | grep -c hibernate_tool' 2>/dev/null";
                FILE *p = ::popen(cmd.c_str(), "r");
                REQUIRE(p);
                std::string out;
                char buf[4096];
                size_t n;
                while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
                        out.append(buf, n);
                ::pclose(p);
                std::remove((d + "/grub").c_str());
                std::remove((d + "/dropin.cfg").c_str());
                ::rmdir(dir);
                return out;
        };
        std::string dropin = grub_dropin_text("resume=UUID=u resume_offset=7");
        CHECK(sourced("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n", dropin) ==
              " resume=UUID=u resume_offset=7|quiet|0\n");
        CHECK(sourced("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume_offset=9\"\n"
                      "GRUB_CMDLINE_LINUX=\"console=ttyS0 resume=/dev/old mitigations=off\"\n",
                      dropin) == "console=ttyS0 mitigations=off resume=UUID=u resume_offset=7|quiet|0\n");
        // $(…) is expanded by the shell first (never copied as text); globs stay words
        CHECK(sourced("GRUB_CMDLINE_LINUX=\"/* $(echo x) resume=UUID=old\"\n", dropin) ==
              "/* x resume=UUID=u resume_offset=7||0\n");
        CHECK(grub_resume_assignments("resume=UUID=u").find("GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} resume=UUID=u\"\n") !=
              std::string::npos);

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
        v.clear();
        parse_shell_assignments(dracut_omit_resume_text(), v);
        CHECK(v["omit_dracutmodules"] == " resume ");
        CHECK(config_dropin_text("u", 42) ==
              "# Written by hibernate-tool setup (hibernate-tool setup --undo removes it).\n[resume]\ndevice = "
              "\"UUID=u\"\noffset = 42\n");
        CHECK(fstab_append_swap("", "/swapfile") == "/swapfile none swap defaults 0 0\n");
        CHECK(fstab_append_swap("# c\nx / ext4 d 0 1", "UUID=u") == "# c\nx / ext4 d 0 1\nUUID=u none swap defaults 0 0\n");

        // fstab(5) escaping, and libmount reads the fields back unescaped
        CHECK(fstab_escape("/a b\tc\nd\\e\xc3\xa4") == "/a\\040b\\011c\\012d\\134e\xc3\xa4");
        for (std::string name : {"/my swap", "/t\tab", "/n\newline", "/back\\slash", "/sw\xc3\xa4p", "/#hash"}) {
                std::string old = "# c\nUUID=x / ext4 defaults 0 1";
                std::string text = fstab_append_swap(old, name);
                auto parsed = fstab_parse(text);
                REQUIRE(parsed);
                CHECK(parsed->bad_lines == 0);
                REQUIRE(parsed->entries.size() == 2);
                CHECK(parsed->entries[1].source == name);
                CHECK(parsed->entries[1].fstype == "swap");
                CHECK(fstab_verify(old, text, name));
                CHECK_FALSE(fstab_verify(old, fstab_append_swap(text, name), name));  // twice
        }
        // an unescaped space: libmount cannot parse the line, so it is refused
        CHECK_FALSE(fstab_verify("", "/my swap none swap defaults 0 0\n", "/my swap"));
        auto bad = fstab_parse("bogus line\n/s none swap defaults 0 0\n");
        REQUIRE(bad);
        CHECK(bad->bad_lines == 1);
        CHECK(bad->entries.size() == 1);
        // a line that was already bad does not stop setup
        CHECK(fstab_verify("bogus line\n", fstab_append_swap("bogus line\n", "/s"), "/s"));
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
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 3\nend\n"));
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
        // format 1 (before the three-way undo) is still read: its files have no hashes
        auto v1 = parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0644 orig-0 /etc/fstab\nend\n");
        REQUIRE(v1);
        REQUIRE(v1->files.size() == 1);
        CHECK(v1->files[0].orig_sha.empty());
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 2\nfile 1 0644 orig-0 /etc/fstab\nend\n"));
        CHECK_FALSE(parse_manifest("hibernate-tool-setup-manifest 1\nfile 1 0644 orig-0 /etc/fstab -\nend\n"));
}

TEST_CASE("setup: SHA-256")
{
        CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        CHECK(content_sha(std::nullopt) == "-");
}

TEST_CASE("setup: three-way undo of a file")
{
        const std::string orig = "# fstab\nUUID=r / ext4 defaults 0 1\n";
        const std::string line = "UUID=s none swap defaults 0 0\n";
        ManifestFile f;
        f.path = "/etc/fstab";
        f.existed = true;
        f.orig = "orig-0";
        f.orig_sha = content_sha(orig);
        add_edit(f, make_edit(orig, orig + line));
        REQUIRE(f.edits.size() == 1);
        CHECK(f.edits[0].removed.empty());
        CHECK(f.edits[0].added == line);
        CHECK(f.edits[0].offset == orig.size());
        CHECK(replay_edits(f, orig) == std::optional<std::string>(orig + line));
        // as setup left it, already back: the original
        CHECK(*undo_edits(f, orig, orig + line) == std::optional<std::string>(orig));
        CHECK(*undo_edits(f, orig, orig) == std::optional<std::string>(orig));
        // the admin added a line: kept, ours removed
        CHECK(*undo_edits(f, orig, orig + line + "tmpfs /t tmpfs defaults 0 0\n") ==
              std::optional<std::string>(orig + "tmpfs /t tmpfs defaults 0 0\n"));
        CHECK(*undo_edits(f, orig, "# new first\n" + orig + line) == std::optional<std::string>("# new first\n" + orig));
        // the admin altered ours, or has it twice: refused
        CHECK_FALSE(undo_edits(f, orig, orig + "UUID=s none swap pri=5 0 0\n"));
        CHECK_FALSE(undo_edits(f, orig, orig + line + line));
        CHECK_FALSE(undo_edits(f, orig, std::nullopt));

        // the original without a final newline: setup added one before its line
        ManifestFile g = f;
        g.edits.clear();
        g.orig_sha = content_sha(std::string("a b"));
        add_edit(g, make_edit(std::string("a b"), std::string("a b\n") + line));
        CHECK(g.edits[0].eol);
        CHECK(g.edits[0].added == line);
        CHECK(*undo_edits(g, std::string("a b"), std::string("a b\n") + line) == std::optional<std::string>("a b"));
        CHECK(*undo_edits(g, std::string("a b"), std::string("a b\n") + line + "x\n") ==
              std::optional<std::string>("a b\nx\n"));

        // a file setup created, then rewritten by a second run
        ManifestFile d;
        d.path = "/etc/default/grub.d/hibernate-tool.cfg";
        d.orig_sha = "-";
        add_edit(d, make_edit(std::nullopt, std::string("# ours\nA=1\n")));
        add_edit(d, make_edit(std::string("# ours\nA=1\n"), std::string("# ours\nA=2\n")));
        REQUIRE(d.edits.size() == 2);
        CHECK(d.edits[1].removed == "A=1\n");
        CHECK(d.edits[1].added == "A=2\n");
        CHECK(*undo_edits(d, std::nullopt, std::string("# ours\nA=2\n")) == std::nullopt);
        CHECK(*undo_edits(d, std::nullopt, std::string("# ours\nA=2\n# admin\n")) ==
              std::optional<std::string>("# admin\n"));
        CHECK(*undo_edits(d, std::nullopt, std::nullopt) == std::nullopt);
        CHECK_FALSE(undo_edits(d, std::nullopt, std::string("# ours\nA=3\n")));
        // a run that was killed before it wrote the file: replaced by the rerun's edit
        add_edit(d, make_edit(std::string("# ours\nA=2\n"), std::string("# ours\nA=3\n")));
        add_edit(d, make_edit(std::string("# ours\nA=2\n"), std::string("# ours\nA=4\n")));
        CHECK(d.edits.size() == 3);
        CHECK(*undo_edits(d, std::nullopt, std::string("# ours\nA=4\n# admin\n")) ==
              std::optional<std::string>("# admin\n"));
        // the manifest keeps all of it
        Manifest m;
        m.files = {f, d};
        auto p = parse_manifest(format_manifest(m));
        REQUIRE(p);
        CHECK(format_manifest(*p) == format_manifest(m));
        REQUIRE(p->files.size() == 2);
        CHECK(p->files[1].edits.size() == 3);
        CHECK(p->files[1].edits[2].added == "A=4\n");
        CHECK(p->files[0].orig_sha == f.orig_sha);
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

TEST_CASE("setup: /etc/kernel/cmdline edited as kernel-install reads it")
{
        // 90-loaderentry.install's fallback: /proc/cmdline without BOOT_IMAGE= and initrd=.
        CHECK(kernel_install_proc_words("BOOT_IMAGE=/vmlinuz-6.1 root=UUID=1 ro\tquiet initrd=\\initrd.img x_initrd=1\n") ==
              "root=UUID=1 ro quiet x_initrd=1");
        CHECK(kernel_install_proc_words("") == "");
        // resume words replaced on every line, ours on the last line with words.
        CHECK(kernel_cmdline_with("root=UUID=1 ro resume=/dev/sda2 quiet\n", "resume=UUID=9") ==
              "root=UUID=1 ro quiet resume=UUID=9\n");
        CHECK(kernel_cmdline_with("root=UUID=1 resume_offset=5\nquiet  \n\n", "resume=UUID=9 resume_offset=7") ==
              "root=UUID=1\nquiet resume=UUID=9 resume_offset=7\n\n");
        CHECK(kernel_cmdline_with("", "resume=UUID=9") == "resume=UUID=9\n");
        CHECK(kernel_cmdline_with("\n \n", "resume=UUID=9") == "resume=UUID=9\n");
        CHECK(kernel_cmdline_with("root=UUID=1", "resume=UUID=9") == "root=UUID=1 resume=UUID=9\n");
        // Idempotent: the result edited again is the same.
        std::string once = kernel_cmdline_with("root=UUID=1 ro\n", "resume=UUID=9 resume_offset=7");
        CHECK(kernel_cmdline_with(once, "resume=UUID=9 resume_offset=7") == once);
        CHECK(cmdline_has_resume_args("root=UUID=1 resume=UUID=9 resume_offset=7", "resume=UUID=9 resume_offset=7"));
        CHECK_FALSE(cmdline_has_resume_args("root=UUID=1 resume=UUID=9", "resume=UUID=9 resume_offset=7"));
        CHECK_FALSE(cmdline_has_resume_args("resume=UUID=9 resume=UUID=9", "resume=UUID=9"));
}
