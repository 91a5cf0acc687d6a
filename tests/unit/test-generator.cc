#include "catch.hh"

#include "config.hh"
#include "generator.hh"

using namespace ht;

namespace {

GeneratorOutput gen(const std::string &cmdline, bool in_initrd = true, Config cfg = {})
{
        GeneratorOptions opt;
        opt.in_initrd = in_initrd;
        opt.helper = "/usr/sbin/hibernate-tool";
        return generate_resume_units(Cmdline(cmdline), cfg, opt);
}

std::string service(const GeneratorOutput &o)
{
        auto it = o.files.find(std::string(RESUME_SERVICE));
        return it == o.files.end() ? std::string() : it->second.content;
}

bool has_line(const std::string &text, const std::string &line)
{
        return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

std::string all_messages(const GeneratorOutput &o)
{
        std::string s;
        for (auto &m : o.messages)
                s += m.text + "\n";
        return s;
}

}  // namespace

TEST_CASE("unit_name_path_escape follows systemd-escape --path")
{
        // Expected values are the output of systemd 252's `systemd-escape --path`.
        const std::pair<const char *, const char *> cases[] = {
                {"/", "-"},
                {"/dev/vdb", "dev-vdb"},
                {"/dev/disk/by-uuid/8d5f1c2e-4b7a", "dev-disk-by\\x2duuid-8d5f1c2e\\x2d4b7a"},
                {"/dev/disk/by-label/my\\x20swap", "dev-disk-by\\x2dlabel-my\\x5cx20swap"},
                {"/dev//a/./b/", "dev-a-b"},
                {"/dev/.x", "dev-.x"},
                {"/.x/y", "\\x2ex-y"},
                {"/dev/\xc3\xa9 a\\b%", "dev-\\xc3\\xa9\\x20a\\x5cb\\x25"},
                {"/dev/mapper/vg-swap", "dev-mapper-vg\\x2dswap"},
                {"/dev/a@b~c+d,e", "dev-a\\x40b\\x7ec\\x2bd\\x2ce"},
                {"/dev/block/254:16", "dev-block-254:16"},
                {"/dev/x_y.z:w", "dev-x_y.z:w"},
                {"dev/rel", "dev-rel"},
        };
        for (auto &[in, want] : cases) {
                INFO(in);
                auto r = unit_name_path_escape(in);
                REQUIRE(r);
                CHECK(*r == want);
        }
        CHECK_FALSE(unit_name_path_escape(""));
        CHECK_FALSE(unit_name_path_escape("/dev/../etc"));
        CHECK_FALSE(unit_name_path_escape("/dev/" + std::string(256, 'a')));
        CHECK(unit_name_path_escape("/dev/" + std::string(255, 'a')));
        CHECK_FALSE(unit_name_path_escape(std::string_view("/dev/a\0b", 8)));

        CHECK(*unit_name_from_path("/dev/vdb", ".device") == "dev-vdb.device");
        auto too_long = unit_name_from_path("/dev/" + std::string(250, 'a'), ".device");
        REQUIRE_FALSE(too_long);
        CHECK(too_long.error().code == ENAMETOOLONG);
        CHECK(unit_name_from_path("/dev/" + std::string(244, 'a'), ".device"));  // 4+244+7 = 255 bytes
        CHECK_FALSE(unit_name_from_path("/dev/" + std::string(245, 'a'), ".device"));
}

TEST_CASE("device nodes of resume specifications")
{
        auto node = [](const char *s) { return device_node_for_spec(*parse_device_spec(s)); };
        CHECK(node("UUID=8D5F1C2E-4B7A") == "/dev/disk/by-uuid/8d5f1c2e-4b7a");
        CHECK(node("LABEL=my swap") == "/dev/disk/by-label/my\\x20swap");
        CHECK(node("LABEL=a/b") == "/dev/disk/by-label/a\\x2fb");
        CHECK(node("PARTUUID=0a1b2c3d-02") == "/dev/disk/by-partuuid/0a1b2c3d-02");
        CHECK(node("PARTLABEL=swap part") == "/dev/disk/by-partlabel/swap\\x20part");
        CHECK(node("254:16") == "/dev/block/254:16");
        CHECK(node("fe10") == "/dev/block/254:16");
        CHECK(node("/dev/vdb") == "/dev/vdb");
        CHECK(node("sda2") == "/dev/sda2");
}

TEST_CASE("parse_boolean is systemd's")
{
        for (auto s : {"1", "yes", "Y", "true", "t", "ON"})
                CHECK(parse_boolean(s) == std::optional<bool>(true));
        for (auto s : {"0", "no", "n", "FALSE", "f", "off"})
                CHECK(parse_boolean(s) == std::optional<bool>(false));
        for (auto s : {"", "2", "maybe", "yes "})
                CHECK_FALSE(parse_boolean(s));
}

TEST_CASE("generator: the service, its enabling link and the device drop-in")
{
        auto o = gen("root=/dev/vda1 ro resume=UUID=8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55 quiet");
        REQUIRE(o.files.size() == 3);
        const std::string dev = "dev-disk-by\\x2duuid-8d5f1c2e\\x2d4b7a\\x2d4e1f\\x2d9c3d\\x2d2a6b0e7f1a55.device";
        auto s = service(o);
        CHECK(has_line(s, "BindsTo=" + dev));
        CHECK(has_line(s, "After=" + dev));
        CHECK(has_line(s, "DefaultDependencies=no"));
        CHECK(has_line(s, "Wants=local-fs-pre.target"));
        CHECK(has_line(s, "Before=local-fs-pre.target sysroot.mount systemd-fsck-root.service"));
        CHECK(has_line(s, "AssertPathExists=/etc/initrd-release"));
        CHECK(has_line(s, "Type=oneshot"));
        CHECK(has_line(s, "ExecStart=/usr/sbin/hibernate-tool resume"));
        CHECK(has_line(s, "StandardOutput=journal+console"));
        CHECK(has_line(s, "Documentation=man:hibernate-tool(8) man:hibernate-tool-resume-generator(8)"));

        auto link = o.files.find("sysinit.target.wants/hibernate-tool-resume.service");
        REQUIRE(link != o.files.end());
        CHECK(link->second.symlink);
        CHECK(link->second.content == "../hibernate-tool-resume.service");

        auto drop = o.files.find(dev + ".d/40-hibernate-tool-resume.conf");
        REQUIRE(drop != o.files.end());
        CHECK(has_line(drop->second.content, "JobTimeoutSec=infinity"));
        CHECK(has_line(drop->second.content, "JobRunningTimeoutSec=10s"));
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].level == LogLevel::Info);
}

TEST_CASE("generator: device timeout from resumewait, resumeflags, resumedelay")
{
        Config cfg;  // [resume] timeout_sec = 10 by default
        auto timeout = [&](const std::string &cmdline) {
                auto o = gen("resume=/dev/vdb " + cmdline, true, cfg);
                auto it = o.files.find("dev-vdb.device.d/40-hibernate-tool-resume.conf");
                REQUIRE(it != o.files.end());
                auto &c = it->second.content;
                auto p = c.find("JobRunningTimeoutSec=");
                REQUIRE(p != std::string::npos);
                return c.substr(p + 21, c.find('\n', p) - p - 21);
        };
        CHECK(timeout("") == "10s");
        CHECK(timeout("resumedelay=5") == "5s");
        CHECK(timeout("resumedelay=0") == "1s");      // "do not wait"; 0 would be "forever" to systemd
        CHECK(timeout("resumedelay=abc") == "10s");   // ignored with a warning
        CHECK(timeout("resumedelay=-3") == "10s");
        CHECK(timeout("resumedelay=86400") == "86400s");
        CHECK(timeout("resumedelay=86401") == "10s");  // the helper's bound
        CHECK(timeout("resumewait") == "infinity");
        CHECK(timeout("resumedelay=5 resumewait") == "infinity");
        CHECK(timeout("resumeflags=x-systemd.device-timeout=7") == "7s");
        CHECK(timeout("resumeflags=ro,x-systemd.device-timeout=2min,nofail") == "120s");
        CHECK(timeout("resumeflags=x-systemd.device-timeout=1500ms") == "2s");
        CHECK(timeout("resumeflags=x-systemd.device-timeout=0") == "infinity");
        CHECK(timeout("resumeflags=x-systemd.device-timeout=infinity") == "infinity");
        CHECK(timeout("resumeflags=x-systemd.device-timeout=7 resumedelay=3") == "7s");
        CHECK(timeout("resumeflags=x-systemd.device-timeout=soon resumedelay=3") == "3s");
        CHECK(timeout("\"resumeflags=x-systemd.device-timeout=1min 30s\"") == "90s");

        auto o = gen("resume=/dev/vdb resumedelay=abc");
        CHECK(all_messages(o).find("Ignoring resumedelay=abc") != std::string::npos);

        cfg.resume_timeout_sec = 45;
        CHECK(timeout("") == "45s");
        CHECK(timeout("resumedelay=5") == "5s");
        cfg.resume_timeout_sec = 0;
        CHECK(timeout("") == "1s");
}

TEST_CASE("generator: nothing when disabled, absent, garbage or not in the initrd")
{
        for (auto c : {"resume=/dev/vdb noresume", "resume=/dev/vdb nohibernate", "resume=/dev/vdb hibernate=no",
                       "hibernate=noresume resume=/dev/vdb", "root=/dev/vda1 quiet", "", "resume=UUID=zzzz",
                       "resume=/etc/passwd", "resume=foo%bar", "resume=", "resume=PARTUUID=ab/PARTNROFF=1",
                       "resume=/dev/vdb resume_offset=-1", "resume=/dev/../etc/x",
                       "hibernate_tool.generator=off resume=/dev/vdb"}) {
                INFO(c);
                auto o = gen(c);
                CHECK(o.files.empty());
                CHECK_FALSE(o.messages.empty());
        }
        auto o = gen("resume=UUID=zzzz");
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].level == LogLevel::Error);
        CHECK(o.messages[0].text.find("not a UUID") != std::string::npos);

        o = gen("resume=/dev/vdb noresume");
        CHECK(o.messages[0].text.find("\"noresume\"") != std::string::npos);

        o = gen("resume=/dev/vdb", false);
        CHECK(o.files.empty());
        CHECK(o.messages[0].level == LogLevel::Debug);

        std::vector<GeneratorMessage> msgs;
        CHECK_FALSE(resume_generator_applies(Cmdline("resume=/dev/vdb"), GeneratorOptions{false, "x"}, msgs));
        CHECK(resume_generator_applies(Cmdline("resume=/dev/vdb"), GeneratorOptions{true, "x"}, msgs));
}

TEST_CASE("generator: hibernate_tool.generator=always acts outside the initrd")
{
        auto o = gen("hibernate_tool.generator=always resume=/dev/vdb", false);
        auto s = service(o);
        REQUIRE_FALSE(s.empty());
        CHECK(s.find("AssertPathExists") == std::string::npos);
        CHECK(has_line(s, "Before=local-fs-pre.target systemd-fsck-root.service systemd-remount-fs.service"));

        o = gen("hibernate_tool.generator=bogus resume=/dev/vdb", false);
        CHECK(o.files.empty());
        CHECK(all_messages(o).find("Ignoring hibernate_tool.generator=bogus") != std::string::npos);
}

TEST_CASE("generator: MAJ:MIN has no device unit to bind to")
{
        auto o = gen("resume=254:16");
        REQUIRE(o.files.size() == 2);  // the service and its link, no drop-in
        auto s = service(o);
        CHECK(s.find("BindsTo=") == std::string::npos);
        CHECK(has_line(s, "After=systemd-udev-trigger.service"));
        CHECK(has_line(s, "Before=local-fs-pre.target sysroot.mount systemd-fsck-root.service"));
}

TEST_CASE("generator: the configuration's device when the command line has none")
{
        Config cfg;
        cfg.resume_device = "LABEL=cfgswap";
        auto o = gen("quiet", true, cfg);
        CHECK(has_line(service(o), "BindsTo=dev-disk-by\\x2dlabel-cfgswap.device"));
        CHECK(service(o).find("from [resume] device in the configuration") != std::string::npos);
        o = gen("resume=/dev/vdb", true, cfg);  // the command line wins
        CHECK(has_line(service(o), "BindsTo=dev-vdb.device"));
        cfg.resume_device = "not a device";
        o = gen("quiet", true, cfg);
        CHECK(o.files.empty());
}

TEST_CASE("generator: unit file values are safe")
{
        // '%' is a specifier, a trailing backslash a continuation, bad UTF-8 is rejected by systemd.
        auto o = gen("resume=\"LABEL=100% \xff\\\"");
        auto s = service(o);
        REQUIRE_FALSE(s.empty());
        CHECK(has_line(s, "Description=Resume from hibernation using device LABEL=100%% \\xff\\x5c"));
        CHECK(has_line(s, "BindsTo=dev-disk-by\\x2dlabel-100\\x5cx25\\x5cx20\\x5cxff\\x5cx5c.device"));

        GeneratorOptions opt{true, "/opt/my tools/hibernate-tool"};
        o = generate_resume_units(Cmdline("resume=/dev/vdb"), Config{}, opt);
        CHECK(has_line(service(o), "ExecStart=\"/opt/my tools/hibernate-tool\" resume"));
        opt.helper = "/opt/100%$x/ht";
        o = generate_resume_units(Cmdline("resume=/dev/vdb"), Config{}, opt);
        CHECK(has_line(service(o), "ExecStart=\"/opt/100%%$$x/ht\" resume"));

        // A name longer than systemd allows: nothing, with a message.
        o = gen("resume=LABEL=" + std::string(240, 'x'));
        CHECK(o.files.empty());
        CHECK(all_messages(o).find("more than 255") != std::string::npos);
}
