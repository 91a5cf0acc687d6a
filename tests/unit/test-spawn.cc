// SPDX-License-Identifier: LGPL-2.1-or-later
// spawn: the one place that runs other programs — exit status, capture, stdin, the bound.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <fcntl.h>
#include <unistd.h>

#include "catch.hh"
#include "spawn.hh"

using namespace ht;

TEST_CASE("spawn: exit status, capture and a missing program")
{
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        auto r = spawn_wait({"sh", "-c", "printf 'a b'; exit 3"}, so);
        REQUIRE(r);
        CHECK(r->status == 3);
        CHECK(r->out == "a b");
        CHECK_FALSE(r->timed_out);
        CHECK(spawn_failure("sh", *r) == "sh exited with status 3");

        auto missing = spawn_wait({"hibernate-tool-no-such-program"}, so);
        REQUIRE(missing);
        CHECK(missing->status == 127);
        CHECK(spawn_failure("x", *missing) == "x could not be run (not installed?)");

        auto killed = spawn_wait({"sh", "-c", "kill -9 $$"}, so);
        REQUIRE(killed);
        CHECK(killed->status == 128 + 9);

        CHECK_FALSE(spawn_wait({}, so));
}

TEST_CASE("spawn: variables for the child only")
{
        ::setenv("HT_SPAWN_TEST_KEEP", "kept", 1);
        ::setenv("HT_SPAWN_TEST_SET", "parent", 1);
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        so.env = {"HT_SPAWN_TEST_SET=child", "HT_SPAWN_TEST_NEW=1"};
        auto r = spawn_wait({"sh", "-c", "env | grep '^HT_SPAWN_TEST_' | sort"}, so);
        REQUIRE(r);
        CHECK(r->status == 0);
        CHECK(r->out == "HT_SPAWN_TEST_KEEP=kept\nHT_SPAWN_TEST_NEW=1\nHT_SPAWN_TEST_SET=child\n");
        // ours is unchanged
        CHECK(std::string(::getenv("HT_SPAWN_TEST_SET")) == "parent");
        CHECK(::getenv("HT_SPAWN_TEST_NEW") == nullptr);
        // with the standard PATH too (the PATH search still finds sh)
        so.standard_path = true;
        r = spawn_wait({"sh", "-c", "echo \"$HT_SPAWN_TEST_SET $PATH\""}, so);
        REQUIRE(r);
        CHECK(r->out == "child /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
        // a PATH of the caller's own wins over the standard one: one PATH in the child
        so.env = {"PATH=/usr/bin:/bin"};
        r = spawn_wait({"/usr/bin/env"}, so);  // env(1) prints the environment as given (a shell would merge)
        REQUIRE(r);
        size_t paths = 0;
        for (size_t at = 0; (at = r->out.find("PATH=", at)) != std::string::npos; at++)
                if (at == 0 || r->out[at - 1] == '\n')
                        paths++;
        CHECK(paths == 1);
        CHECK(r->out.find("\nPATH=/usr/bin:/bin\n") != std::string::npos);
        ::unsetenv("HT_SPAWN_TEST_KEEP");
        ::unsetenv("HT_SPAWN_TEST_SET");
}

TEST_CASE("spawn: the capture is bounded and stdin is the given fd")
{
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        so.capture_limit = 10;
        auto r = spawn_wait({"sh", "-c", "yes | head -c 100000"}, so);
        REQUIRE(r);
        CHECK(r->status == 0);
        CHECK(r->out == "y\ny\ny\ny\ny\n");

        char name[] = "/tmp/ht-spawn-XXXXXX";
        int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::unlink(name);
        REQUIRE(::write(fd, "from the fd", 11) == 11);
        REQUIRE(::lseek(fd, 5, SEEK_SET) == 5);
        SpawnOptions si;
        si.out = SpawnOptions::Out::Capture;
        si.stdin_fd = fd;
        auto c = spawn_wait({"cat"}, si);
        ::close(fd);
        REQUIRE(c);
        CHECK(c->out == "the fd");
}

TEST_CASE("spawn: a child past the bound is killed, also one that ignores SIGTERM")
{
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        so.timeout_ms = 300;
        auto t0 = std::chrono::steady_clock::now();
        // exec: the shell itself ignores TERM and holds the pipe; the bound must still hold.
        auto r = spawn_wait({"sh", "-c", "trap '' TERM; echo started; exec sleep 30"}, so);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
        REQUIRE(r);
        CHECK(r->timed_out);
        CHECK(r->out == "started\n");
        CHECK(ms < 5000);
        CHECK(spawn_failure("sleeper", *r, so.timeout_ms) == "sleeper did not finish within 1 s");

        SpawnOptions quick;
        quick.timeout_ms = 5000;
        auto q = spawn_wait({"true"}, quick);
        REQUIRE(q);
        CHECK_FALSE(q->timed_out);
        CHECK(q->status == 0);
}

TEST_CASE("spawn: piped child is stopped and reaped")
{
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        auto s = spawn_piped({"sh", "-c", "echo x; exec sleep 30"}, so);
        REQUIRE(s);
        char c[2] = {};
        REQUIRE(::read(s->out.get(), c, 2) == 2);
        CHECK(std::string(c, 2) == "x\n");
        CHECK(spawn_reap(s->pid, true) == 128 + 15);
        SpawnOptions bad;
        CHECK_FALSE(spawn_piped({"true"}, bad));
}
