// The root must hold: symlinks (absolute, relative, "..", loops) at every component of a
// path, and a thread swapping a directory for a symlink while writes run, never make the
// host layer read, create, replace or remove anything outside the root.
#include "catch.hh"
#include <atomic>
#include <cstdio>
#include <fcntl.h>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <thread>
#include <unistd.h>

#include "host.hh"
#include "temp-root.hh"

using namespace ht;

namespace {

// A listing of every path below dir with its type and content: the "outside" witness.
std::string snapshot(const std::string &dir)
{
        std::string cmd = "cd '" + dir + "' && find . -printf '%y %p %l\\n' | sort && find . -type f -exec md5sum {} + | sort";
        std::string out;
        FILE *p = ::popen(cmd.c_str(), "r");
        char buf[512];
        while (p && fgets(buf, sizeof buf, p))
                out += buf;
        if (p)
                ::pclose(p);
        return out;
}

struct Arena {
        TempRoot base;           // base/root is the root, base/outside the host's other files
        std::string root, outside;
        Arena()
        {
                root = base.dir + "/root";
                outside = base.dir + "/outside";
                base.mkdir("/root/a/b/c");
                base.mkdir("/outside/a/b/c");
                base.write("/outside/a/b/c/file", "outside");
                base.write("/outside/victim", "victim");
                base.write("/root/a/b/c/file", "inside");
        }
};

// The variants of a symlink that an attacker places instead of a component.
std::vector<std::string> evil_targets(const Arena &ar, int depth)
{
        std::string up;
        for (int i = 0; i < depth + 4; i++)
                up += "../";
        return {ar.outside,                          // absolute host path: re-rooted
                ar.outside + "/a",                   //
                up + "outside",                      // relative, climbing above the root
                up + "outside/a/b",                  //
                "/../../../../" + ar.outside.substr(1),
                "self-loop"};                        // loops to itself
}

}  // namespace

TEST_CASE("root escape: a symlink at every component of every written path stays inside")
{
        const std::vector<std::string> comps = {"a", "b", "c", "file"};
        for (size_t pos = 0; pos < comps.size(); pos++) {
                Arena probe;
                for (auto &target : evil_targets(probe, static_cast<int>(pos))) {
                        Arena ar;
                        std::string before = snapshot(ar.outside);
                        // Replace component `pos` with a symlink.
                        std::string p;
                        for (size_t i = 0; i < pos; i++)
                                p += "/" + comps[i];
                        std::string at = ar.root + p + "/" + comps[pos];
                        REQUIRE(std::system(("rm -rf '" + at + "'").c_str()) == 0);
                        REQUIRE(::symlink(target == "self-loop" ? comps[pos].c_str() : target.c_str(), at.c_str()) == 0);
                        Host h(ar.root);
                        INFO("component " << pos << " -> " << target);
                        (void) h.write_file_atomic("/a/b/c/file", "new");
                        (void) h.write_file_atomic("/a/b/c/newfile", "new");
                        (void) h.mkdir_p("/a/b/c/d/e");
                        (void) h.remove("/a/b/c/file");
                        (void) h.remove("/a/b/victim");
                        (void) h.remove("/a/victim");
                        (void) h.remove_dir("/a/b/c");
                        (void) h.rename("/a/b/c/file", "/a/b/c/moved");
                        (void) h.read_file("/a/b/c/file");
                        (void) h.list_dir("/a/b");
                        auto lock = RootLock::take(h, "test", 0);
                        CHECK(snapshot(ar.outside) == before);
                        // Whatever was written landed inside the root.
                        if (auto c = h.canonicalize("/a/b/c/newfile"))
                                CHECK(h.read_file(*c).value_or("") == "new");
                }
        }
}

TEST_CASE("root escape: writes through symlinks keep the link and write its in-root target")
{
        TempRoot r;
        r.mkdir("/etc");
        r.mkdir("/boot/efi/grub");
        r.mkdir("/boot/grub");
        r.write("/etc/fstab.real", "old\n");
        r.link("fstab.real", "/etc/fstab");
        r.write("/boot/efi/grub/grubenv", "env\n");
        r.link("/boot/efi/grub/grubenv", "/boot/grub/grubenv");
        ::chmod((r.dir + "/etc/fstab.real").c_str(), 0640);
        REQUIRE(::chown((r.dir + "/etc/fstab.real").c_str(), 12, 34) == 0);
        bool have_xattr = ::setxattr((r.dir + "/etc/fstab.real").c_str(), "user.ht", "v", 1, 0) == 0;
        Host h(r.dir);
        REQUIRE(h.write_file_atomic("/etc/fstab", "new\n"));
        REQUIRE(h.write_file_atomic("/boot/grub/grubenv", "env2\n"));
        struct stat st;
        REQUIRE(::lstat((r.dir + "/etc/fstab").c_str(), &st) == 0);
        CHECK(S_ISLNK(st.st_mode));
        REQUIRE(::lstat((r.dir + "/boot/grub/grubenv").c_str(), &st) == 0);
        CHECK(S_ISLNK(st.st_mode));
        CHECK(*h.read_file("/etc/fstab.real") == "new\n");
        CHECK(*h.read_file("/boot/efi/grub/grubenv") == "env2\n");
        REQUIRE(::stat((r.dir + "/etc/fstab.real").c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0640);
        CHECK(st.st_uid == 12);
        CHECK(st.st_gid == 34);
        if (have_xattr) {
                char v[8] = {};
                CHECK(::getxattr((r.dir + "/etc/fstab.real").c_str(), "user.ht", v, sizeof v) == 1);
                CHECK(v[0] == 'v');
        }
        // A new file gets the requested mode; no temporary file is left behind.
        REQUIRE(h.write_file_atomic("/var/lib/x/state", "s", 0600));
        REQUIRE(::stat((r.dir + "/var/lib/x/state").c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0600);
        CHECK(*h.list_dir("/etc") == std::vector<std::string>{"fstab", "fstab.real"});
        // Not a regular file: refused, nothing changed.
        r.mkdir("/etc/dir");
        CHECK_FALSE(h.write_file_atomic("/etc/dir", "x"));
        // remove() removes the link, never its target.
        REQUIRE(h.remove("/etc/fstab"));
        CHECK(h.exists("/etc/fstab.real"));
        CHECK(h.remove("/etc/nope"));
        // Errors other than ENOENT are not "absent".
        auto big = h.read_file_if_exists("/etc/fstab.real", 2);
        REQUIRE_FALSE(big);
        CHECK(big.error().code == EFBIG);
        auto none = h.read_file_if_exists("/etc/none");
        REQUIRE(none);
        CHECK_FALSE(none->has_value());
}

TEST_CASE("root escape: a directory swapped for a symlink in a loop while writes run")
{
        for (bool walk : {false, true}) {
                Arena ar;
                ar.base.mkdir("/root/run/hibernate-tool");
                ar.base.mkdir("/outside/run/hibernate-tool");
                std::string real = ar.root + "/run/hibernate-tool";
                std::string evil = ar.root + "/run/evil";
                REQUIRE(::symlink((ar.outside + "/run/hibernate-tool").c_str(), evil.c_str()) == 0);
                std::string before = snapshot(ar.outside);
                std::atomic<bool> stop{false};
                // The child is forked before the swapper thread starts (a fork while another
                // thread runs can leave the child on a lock that thread held: sanitizer
                // runtimes, malloc), and waits on a pipe until the swapping runs.
                int go[2];
                REQUIRE(::pipe(go) == 0);
                pid_t pid = ::fork();
                if (pid == 0) {
                        ::close(go[1]);
                        char c;
                        if (::read(go[0], &c, 1) != 1)
                                ::_exit(3);
                        // A child, so that the openat2 choice is fresh (walk: the fallback).
                        if (walk)
                                ::setenv("HT_HOST_NO_OPENAT2", "1", 1);
                        Host h(ar.root);
                        for (int i = 0; i < 3000; i++) {
                                (void) h.write_file_atomic("/run/hibernate-tool/last-resume", "x");
                                (void) h.read_file("/run/hibernate-tool/last-resume");
                                (void) h.remove("/run/hibernate-tool/last-resume");
                                (void) h.mkdir_p("/run/hibernate-tool/sub");
                        }
                        ::_exit(0);
                }
                ::close(go[0]);
                std::thread swapper([&] {
                        while (!stop.load())
                                (void) ::renameat2(AT_FDCWD, real.c_str(), AT_FDCWD, evil.c_str(), RENAME_EXCHANGE);
                });
                (void) !::write(go[1], "g", 1);
                ::close(go[1]);
                int ws = 0;
                ::waitpid(pid, &ws, 0);
                stop = true;
                swapper.join();
                INFO("walk fallback: " << walk);
                CHECK(WIFEXITED(ws));
                CHECK(snapshot(ar.outside) == before);
        }
}

TEST_CASE("lock: one holder at a time, the second is told who holds it")
{
        TempRoot r;
        Host h(r.dir);
        auto first = RootLock::take(h, "setup", 0);
        REQUIRE(first);
        pid_t pid = ::fork();
        if (pid == 0) {
                auto second = RootLock::take(h, "pre", 200);
                bool ok = !second && second.error().code == EBUSY &&
                          second.error().message.find("setup") != std::string::npos;
                ::_exit(ok ? 0 : 1);
        }
        int ws = 0;
        ::waitpid(pid, &ws, 0);
        CHECK(WIFEXITED(ws));
        CHECK(WEXITSTATUS(ws) == 0);
        {
                RootLock gone = std::move(*first);
        }
        pid = ::fork();
        if (pid == 0)
                ::_exit(RootLock::take(h, "pre", 0) ? 0 : 1);
        ::waitpid(pid, &ws, 0);
        CHECK(WEXITSTATUS(ws) == 0);
        // A lock file that is a symlink is refused, never followed.
        TempRoot r2;
        r2.mkdir("/run/hibernate-tool");
        r2.link("/etc/passwd", "/run/hibernate-tool/lock");
        auto bad = RootLock::take(Host(r2.dir), "setup", 0);
        CHECK_FALSE(bad);
}
