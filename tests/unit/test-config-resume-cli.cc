#include <algorithm>

#include "catch.hh"

#include "cli.hh"
#include "config.hh"
#include "resume.hh"
#include "setup/args.hh"

using namespace ht;

TEST_CASE("config: keys, types and file:line:column errors")
{
        Config c;
        REQUIRE(apply_config_text("[resume]\ndevice = \"UUID=8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55\"\noffset = 34816\n"
                                  "[check]\nswap_margin_percent = 25\nimage_size = \"2G\"\n[future]\nkey = 1\n",
                                  "a.toml", c));
        CHECK(c.resume_device == std::optional<std::string>("UUID=8d5f1c2e-4b7a-4e1f-9c3d-2a6b0e7f1a55"));
        CHECK(c.resume_offset == std::optional<uint64_t>(34816));
        CHECK(c.swap_margin_percent == 25);
        CHECK(c.image_size_bytes == std::optional<uint64_t>(2ull << 30));
        CHECK(c.warnings.size() == 1);
        CHECK(c.files == std::vector<std::string>{"a.toml"});

        Config before = c;
        auto bad = apply_config_text("[resume]\noffset = 1\n[check]\nswap_margin_percent = \"ten\"\n", "b.toml", c);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message.rfind("b.toml:4:", 0) == 0);
        CHECK(c.resume_offset == before.resume_offset);  // nothing of a bad file is applied

        auto syn = apply_config_text("[resume\n", "c.toml", c);
        REQUIRE_FALSE(syn);
        CHECK(syn.error().message.rfind("c.toml:1:", 0) == 0);
        CHECK_FALSE(apply_config_text("[resume]\ndevice = \"nonsense value\"\n", "d.toml", c));
        CHECK_FALSE(apply_config_text("[resume]\noffset = -5\n", "e.toml", c));
        CHECK_FALSE(apply_config_text("[check]\nimage_size = \"lots\"\n", "f.toml", c));
        // Floats are not integers, however large (converting 34e18 was undefined behaviour).
        CHECK_FALSE(apply_config_text("[resume]\noffset = 34e18\n", "g.toml", c));
        CHECK_FALSE(apply_config_text("[resume]\ntimeout_sec = 1e300\n", "g.toml", c));
        CHECK_FALSE(apply_config_text("[check]\nswap_margin_percent = -1e30\n", "g.toml", c));
        CHECK_FALSE(apply_config_text("[resume]\noffset = 5.0\n", "g.toml", c));
}

TEST_CASE("config: [kernel] pagesets")
{
        Config c;
        CHECK(c.pagesets == PagesetsPref::Auto);
        REQUIRE(apply_config_text("[kernel]\npagesets = \"two\"\n", "a.toml", c));
        CHECK(c.pagesets == PagesetsPref::Two);
        REQUIRE(apply_config_text("[kernel]\npagesets = \"stock\"\n", "b.toml", c));
        CHECK(c.pagesets == PagesetsPref::Stock);
        for (const char *bad : {"\"Two\"", "\"both\"", "2", "true", "[\"two\"]", "\"\""}) {
                Config before = c;
                auto r = apply_config_text(std::string("[resume]\noffset = 7\n[kernel]\npagesets = ") + bad + "\n",
                                           "c.toml", c);
                REQUIRE_FALSE(r);
                CHECK(r.error().message == "c.toml:4:12: 'kernel.pagesets' must be \"two\", \"stock\" or \"auto\"");
                CHECK(c.pagesets == PagesetsPref::Stock);  // nothing of the bad file applied
                CHECK(c.resume_offset == before.resume_offset);
        }
        REQUIRE(apply_config_text("[kernel]\npagesets = \"auto\"\n", "d.toml", c));
        CHECK(c.pagesets == PagesetsPref::Auto);
        CHECK(c.warnings.empty());
}

TEST_CASE("resume target priority: cmdline, sysfs, config")
{
        Config cfg;
        cfg.resume_device = "LABEL=cfgswap";
        cfg.resume_offset = 99;
        ResumeInputs in;
        in.cmdline = Cmdline("root=/dev/vda1 resume=UUID=abcd resume_offset=42");
        in.sysfs_resume = "254:16";
        auto t = select_resume_target(in, cfg);
        REQUIRE(t);
        REQUIRE(*t);
        CHECK((*t)->source == ResumeSource::Cmdline);
        CHECK((*t)->offset == std::optional<uint64_t>(42));

        in.cmdline = Cmdline("root=/dev/vda1");
        in.sysfs_resume_offset = "0";
        t = select_resume_target(in, cfg);
        REQUIRE((t && *t));
        CHECK((*t)->source == ResumeSource::Sysfs);
        CHECK((*t)->spec.major == 254);
        CHECK((*t)->offset == std::optional<uint64_t>(0));

        in.sysfs_resume = "0:0";
        t = select_resume_target(in, cfg);
        REQUIRE((t && *t));
        CHECK((*t)->source == ResumeSource::Config);
        CHECK((*t)->offset == std::optional<uint64_t>(99));

        t = select_resume_target(in, Config{});
        REQUIRE(t);
        CHECK_FALSE(*t);

        in.cmdline = Cmdline("resume=/etc/shadow");
        CHECK_FALSE(select_resume_target(in, cfg));
        in.cmdline = Cmdline("resume=/dev/vdb resume_offset=-1");
        CHECK_FALSE(select_resume_target(in, cfg));

        std::string why;
        CHECK(resume_disabled(Cmdline("quiet hibernate=noresume"), &why));
        CHECK(why == "hibernate=noresume");
        CHECK(resume_disabled(Cmdline("nohibernate"), &why));
        CHECK_FALSE(resume_disabled(Cmdline("hibernate=nocompress"), &why));
}

TEST_CASE("hibernate-check argument parsing")
{
        auto o = parse_check_args({"--root", "/mnt", "--json", "--config=/x.toml", "-v"});
        REQUIRE(o);
        CHECK(o->root == "/mnt");
        CHECK(o->json == JsonStyle::Pretty);  // a plain --json: hibernate-check's own default
        CHECK(o->verbose);
        CHECK(o->config == std::optional<std::string>("/x.toml"));
        CHECK(parse_check_args({"--root=/a"})->root == "/a");
        CHECK_FALSE(parse_check_args({"--root"}));
        CHECK_FALSE(parse_check_args({"--root="}));
        CHECK_FALSE(parse_check_args({"--json=yes"}));
        CHECK_FALSE(parse_check_args({"--bogus"}));
        CHECK_FALSE(parse_check_args({"extra"}));
        CHECK(parse_check_args({"--help"})->help);
        CHECK(parse_check_args({"--version"})->version);
        CHECK(parse_check_args({"--json=short"})->json == JsonStyle::Short);
        CHECK(parse_check_args({"--json=pretty"})->json == JsonStyle::Pretty);
        CHECK(parse_check_args({"--json=off"})->json == JsonStyle::Off);
        CHECK(parse_check_args({})->json == JsonStyle::Off);
        auto bad = parse_check_args({"--json=1"});
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message.find("pretty, short or off") != std::string::npos);
        CHECK_FALSE(parse_check_args({"--root", "/a", "--root", "/b"}));  // given twice, differently
        CHECK_FALSE(parse_check_args({"--root", "/a\nb"}));
        CHECK_FALSE(parse_check_args({"--help=x"}));
}

TEST_CASE("one set of common options for every program")
{
        auto t = parse_tool_args({"pre", "--json"});
        REQUIRE(t);
        CHECK(t->json == JsonStyle::Short);  // hibernate-tool verbs: one line by default
        CHECK(parse_tool_args({"gate", "--json=pretty"})->json == JsonStyle::Pretty);
        CHECK_FALSE(parse_tool_args({"gate", "--json=yes"}));
        CHECK(parse_tool_args({"post", "--version"})->version);
        auto h = parse_tool_args({"pre", "--help"});
        REQUIRE(h);
        CHECK(h->help);
        CHECK(h->verb == "pre");
        CHECK_FALSE(parse_tool_args({"--root", "/x", "setup"}));  // setup must come first
        auto s = parse_setup_args({"--json=pretty", "--version"});
        REQUIRE(s);
        CHECK(s->json == JsonStyle::Pretty);
        CHECK(s->version);
        CHECK_FALSE(parse_setup_args({"--config", "/x.toml"}));  // setup reads no configuration
}

TEST_CASE("every verb has its own help")
{
        std::string general = tool_usage();
        for (const char *verb : {"resume", "record", "invalidate", "pre", "post", "gate", "boot-entry"}) {
                INFO(verb);
                CHECK(general.find(std::string("  ") + verb + " ") != std::string::npos);
                std::string u = tool_usage(verb);
                CHECK(u.rfind(std::string("Usage: hibernate-tool ") + verb, 0) == 0);
                CHECK(u.find("Exit status:") != std::string::npos);
                CHECK(u != general);
        }
        CHECK(tool_usage("no-such-verb") == general);
}

TEST_CASE("the JSON emitter")
{
        Json d = json_document();
        d["path"] = std::string("/a\xff\"b");  // not UTF-8, with a quote
        d["n"] = nullptr;
        std::string s = json_dump(d, JsonStyle::Short);
        CHECK(s.rfind("{\"version\":\"", 0) == 0);  // version first
        CHECK(s.find("\"path\":\"/a\xef\xbf\xbd\\\"b\"") != std::string::npos);  // U+FFFD, escaped quote
        CHECK(s.back() == '\n');
        CHECK(std::count(s.begin(), s.end(), '\n') == 1);
        std::string p = json_dump(d, JsonStyle::Pretty);
        CHECK(p.find("\n  \"version\": ") != std::string::npos);
        CHECK(Json::parse(p) == Json::parse(s));
        CHECK(parse_json_style("pretty") == JsonStyle::Pretty);
        CHECK_FALSE(parse_json_style("PRETTY"));
}
