// SPDX-License-Identifier: LGPL-2.1-or-later
// ask: which way a boot-time question takes, and the plymouth way with a stand-in client
// (plymouthd itself cannot run here; the agents' way is proven with systemd's real agent in
// tests/integration/test-resume-safety.sh).
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

#include "ask.hh"
#include "catch.hh"
#include "host.hh"
#include "temp-root.hh"

using namespace ht;

TEST_CASE("ask: systemd as the init means the password agents; else the console if it is a terminal")
{
        TempRoot r;
        Host h(r.dir);
        CHECK(ask_way(h) == AskWay::None);
        r.mkdir("/dev");
        r.write("/dev/console", "not a terminal");
        CHECK(ask_way(h) == AskWay::None);
        CHECK_FALSE(ask_user(h, "t:x", "q?", 1));
        r.mkdir("/run/systemd/system");
        CHECK(ask_way(h) == AskWay::None);  // systemd without an agent: nobody would see it
        r.mkdir("/usr/lib/systemd/system");
        r.write("/usr/lib/systemd/system/systemd-ask-password-console.path", "[Path]\n");
        CHECK(ask_way(h) == AskWay::Agents);
        AskWay via = AskWay::None;
        // No agent answers: the bound holds, nothing is left in the directory.
        auto t0 = std::chrono::steady_clock::now();
        CHECK_FALSE(ask_user(h, "t:x", "q?", 1, &via));
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
        CHECK(via == AskWay::Agents);
        auto left = h.list_dir("/run/systemd/ask-password");
        REQUIRE(left);
        CHECK(left->empty());
        // A timeout of 0 asks nobody.
        CHECK_FALSE(ask_user(h, "t:x", "q?", 0, &via));
        CHECK(via == AskWay::None);
        CHECK(std::string(ask_way_name(AskWay::Agents)) == "password agent");
}

namespace {
struct StandIn {
        TempRoot bin;
        std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
        explicit StandIn(const std::string &script)
        {
                bin.write("/plymouth", "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n" + script);
                ::chmod((bin.dir + "/plymouth").c_str(), 0755);
                ::setenv("PATH", (bin.dir + ":" + old_path).c_str(), 1);
        }
        ~StandIn() { ::setenv("PATH", old_path.c_str(), 1); }
        std::string args() const
        {
                std::ifstream f(bin.dir + "/args");
                return std::string(std::istreambuf_iterator<char>(f), {});
        }
};
}  // namespace

TEST_CASE("ask: plymouth ask-question's answer, its failure and its bound")
{
        {
                StandIn s("echo r\n");
                auto a = ask_via_plymouth("Reboot?\nnow", 5);
                REQUIRE(a);
                CHECK(*a == "r");
                CHECK(s.args() == "ask-question\n--prompt=Reboot? now\n");
        }
        {
                StandIn s("exit 1\n");
                CHECK_FALSE(ask_via_plymouth("q", 5));
        }
        {
                StandIn s("exec sleep 30\n");
                auto t0 = std::chrono::steady_clock::now();
                CHECK_FALSE(ask_via_plymouth("q", 1));
                CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
        }
        CHECK_FALSE(ask_via_plymouth("q", 0));
}
