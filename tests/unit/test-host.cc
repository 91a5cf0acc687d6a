#include "catch.hh"
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.hh"
#include "host.hh"
#include "temp-root.hh"

using namespace ht;

TEST_CASE("host: symlinks resolve inside the root, never outside")
{
        TempRoot r;
        r.mkdir("/dev/disk/by-uuid");
        r.mkdir("/etc");
        r.write("/dev/vdb", "x");
        r.link("../../vdb", "/dev/disk/by-uuid/rel");
        r.link("/dev/vdb", "/dev/disk/by-uuid/abs");
        r.link("../../../../../../../../etc/passwd", "/dev/disk/by-uuid/escape");
        r.write("/etc/passwd", "inside");
        r.link("loop2", "/dev/disk/by-uuid/loop1");
        r.link("loop1", "/dev/disk/by-uuid/loop2");
        Host h(r.dir);
        CHECK(*h.canonicalize("/dev/disk/by-uuid/rel") == "/dev/vdb");
        CHECK(*h.canonicalize("/dev/disk/by-uuid/abs") == "/dev/vdb");
        CHECK(*h.canonicalize("/dev/disk/by-uuid/escape") == "/etc/passwd");
        CHECK(*h.read_file("/dev/disk/by-uuid/escape") == "inside");
        auto loop = h.canonicalize("/dev/disk/by-uuid/loop1");
        REQUIRE_FALSE(loop);
        CHECK(loop.error().code == ELOOP);
        CHECK(h.canonicalize("/nope").error().code == ENOENT);
        CHECK(*h.canonicalize("/dev/nope", true) == "/dev/nope");
        CHECK(h.path("/proc/swaps") == r.dir + "/proc/swaps");
        CHECK(Host("/").path("/proc/swaps") == "/proc/swaps");
        CHECK(Host("/x/").root() == "/x");
        auto t = h.read_at("/dev/vdb", 0, 4096);
        REQUIRE_FALSE(t);
        CHECK(t.error().message.find("truncated") != std::string::npos);
        CHECK(*h.list_dir("/dev") == std::vector<std::string>{"disk", "vdb"});
        CHECK(*h.read_line("/dev/vdb") == "x");
}

TEST_CASE("udev name encoding")
{
        CHECK(udev_encode("my swap") == "my\\x20swap");
        CHECK(udev_encode("a/b") == "a\\x2fb");
        CHECK(udev_encode("caf\xc3\xa9") == "caf\xc3\xa9");
        CHECK(udev_encode("bad\xff") == "bad\\xff");
}
