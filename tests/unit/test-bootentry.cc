#include "catch.hh"
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "bootentry.hh"
#include "grubenv-disk.hh"
#include "mounts.hh"
#include "host.hh"
#include "sleep.hh"
#include "temp-root.hh"

using namespace ht;

namespace {

// A bzImage head: boot protocol header with the version string pointer.
std::string fake_bzimage(const std::string &version)
{
        std::string s(0x400, '\0');
        s.replace(0x202, 4, "HdrS");
        size_t off = 0x300 - 0x200;
        s[0x20e] = static_cast<char>(off & 0xff);
        s[0x20f] = static_cast<char>(off >> 8);
        s.replace(0x300, version.size(), version);
        return s;
}

const char *DEBIAN_GRUB_CFG = R"(### BEGIN /etc/grub.d/10_linux ###
function gfxmode {
	set gfxpayload="${1}"
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-1234' {
	load_video
	insmod ext2
	echo	'Loading Linux 6.1.0-56-amd64 ...'
	linux	/vmlinuz-6.1.0-56-amd64 root=UUID=1234 ro  console=ttyS0 resume=UUID=aaaa
	initrd	/initrd.img-6.1.0-56-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-1234' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-56-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-56-amd64-advanced-1234' {
		linux	/vmlinuz-6.1.0-56-amd64 root=UUID=1234 ro  console=ttyS0 resume=UUID=aaaa
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-56-amd64 (recovery mode)' --class debian $menuentry_id_option 'gnulinux-6.1.0-56-amd64-recovery-1234' {
		linux	/vmlinuz-6.1.0-56-amd64 root=UUID=1234 ro single console=ttyS0
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-50-amd64 (recovery mode)' --class debian $menuentry_id_option 'gnulinux-6.1.0-50-amd64-recovery-1234' {
		linux	/vmlinuz-6.1.0-50-amd64 root=UUID=1234 ro single console=ttyS0
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-50-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-50-amd64-advanced-1234' {
		linux	/vmlinuz-6.1.0-50-amd64 root=UUID=1234 ro  console=ttyS0 resume=UUID=aaaa
	}
}
)";
}  // namespace

TEST_CASE("bootentry: bzImage release")
{
        CHECK(bzimage_release(fake_bzimage(std::string("6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP") + '\0')) ==
              "6.1.0-56-amd64");
        CHECK_FALSE(bzimage_release(std::string(0x100, 'x')));          // too short
        CHECK_FALSE(bzimage_release(std::string(0x400, '\0')));          // no HdrS
        auto s = fake_bzimage("x");
        s[0x20e] = '\xff';
        s[0x20f] = '\x7f';  // pointer beyond the head
        CHECK_FALSE(bzimage_release(s));
        CHECK_FALSE(bzimage_release(fake_bzimage(std::string("6.1\x01oops", 8))));
}

TEST_CASE("bootentry: grubenv parse and format round trip")
{
        GrubEnv e;
        e.set("saved_entry", "0");
        e.set("next_entry", "gnulinux-advanced-1234>gnulinux-6.1.0-50-amd64-advanced-1234");
        e.set("odd", "a\\b\nc");
        auto b = format_grubenv(e);
        REQUIRE(b);
        CHECK(b->size() == GRUBENV_SIZE);
        CHECK(b->rfind("# GRUB Environment Block\nsaved_entry=0\nnext_entry=gnulinux-advanced", 0) == 0);
        CHECK(b->back() == '#');
        auto p = parse_grubenv(*b);
        REQUIRE(p);
        CHECK(p->get("next_entry") == e.get("next_entry"));
        CHECK(p->get("odd") == std::string("a\\b\nc"));
        p->unset("next_entry");
        CHECK_FALSE(p->get("next_entry"));
        CHECK(p->vars.size() == 2);

        // What grub-editenv writes (create) parses to nothing.
        std::string fresh = "# GRUB Environment Block\n" + std::string(1024 - 25, '#');
        auto f = parse_grubenv(fresh);
        REQUIRE(f);
        CHECK(f->vars.empty());

        CHECK_FALSE(parse_grubenv("garbage"));
        CHECK_FALSE(parse_grubenv("# GRUB Environment Block\nno-equals-sign\n"));
        CHECK_FALSE(parse_grubenv("# GRUB Environment Block\nunterminated=x"));
        GrubEnv big;
        big.set("x", std::string(2000, 'a'));
        auto fb = format_grubenv(big);
        REQUIRE_FALSE(fb);
        CHECK(fb.error().code == EFBIG);
        GrubEnv bad;
        bad.set("a=b", "c");
        CHECK_FALSE(format_grubenv(bad));
}

TEST_CASE("bootentry: BLS entry")
{
        auto e = parse_bls_entry("fedora-6.5", "# comment\ntitle Fedora Linux (6.5)\nversion 6.5.0\nlinux /vmlinuz-6.5.0\n"
                                               "options root=UUID=1 ro\noptions resume=UUID=2\n");
        CHECK(e.title == "Fedora Linux (6.5)");
        CHECK(e.version == "6.5.0");
        CHECK(e.linux == "/vmlinuz-6.5.0");
        CHECK(e.options == "root=UUID=1 ro resume=UUID=2");
}

TEST_CASE("bootentry: the entry of the running kernel in a Debian grub.cfg")
{
        TempRoot r;
        r.mkdir("/boot/grub");
        r.mkdir("/proc/self");
        r.write("/boot/grub/grub.cfg", DEBIAN_GRUB_CFG);
        r.write("/boot/vmlinuz-6.1.0-56-amd64", "k");
        r.write("/boot/vmlinuz-6.1.0-50-amd64", "k");
        r.write("/proc/self/mountinfo", "22 1 8:2 / / rw,relatime - ext4 /dev/vda2 rw\n"
                                        "23 22 8:1 / /boot rw,relatime - ext4 /dev/vda1 rw\n");
        Host h(r.dir);

        auto t = find_boot_target(h, "6.1.0-50-amd64");
        REQUIRE(t);
        CHECK(t->loader == BootLoader::Grub);
        // The non-recovery entry, addressed through its submenu as grub-reboot does.
        CHECK(t->entry_id == "gnulinux-advanced-1234>gnulinux-6.1.0-50-amd64-advanced-1234");
        CHECK(t->cmdline.find("resume=UUID=aaaa") != std::string::npos);
        REQUIRE(t->env);
        CHECK(t->env->path == "/boot/grub/grubenv");
        CHECK(t->env->fstype == "ext4");
        CHECK(t->env->grub_can_write);

        auto n = find_boot_target(h, "6.1.0-56-amd64");
        REQUIRE(n);
        CHECK(n->entry_id == "gnulinux-simple-1234");  // the top-level entry boots it too

        auto none = find_boot_target(h, "6.2.0-1-amd64");
        REQUIRE_FALSE(none);
        CHECK(none.error().code == ESRCH);

        // A kernel file without the release in its name: recognised by its bzImage header.
        std::string cfg = "menuentry 'Arch Linux' --id arch {\n\tlinux /vmlinuz-linux root=UUID=1 rw\n}\n";
        r.write("/boot/grub/grub.cfg", cfg);
        r.write("/boot/vmlinuz-linux", fake_bzimage(std::string("6.6.1-arch1-1 (linux@archlinux) #1") + '\0'));
        auto a = find_boot_target(h, "6.6.1-arch1-1");
        REQUIRE(a);
        CHECK(a->entry_id == "arch");

        // grubenv on btrfs: GRUB cannot clear next_entry itself.
        r.write("/proc/self/mountinfo", "22 1 0:30 /@ / rw,relatime - btrfs /dev/vda2 rw\n");
        auto b = find_boot_target(h, "6.6.1-arch1-1");
        REQUIRE(b);
        REQUIRE(b->env);
        CHECK_FALSE(b->env->grub_can_write);
        CHECK(b->env->why_not.find("btrfs") != std::string::npos);
}

TEST_CASE("bootentry: next_entry set and restored in a grubenv")
{
        TempRoot r;
        r.mkdir("/boot/grub");
        Host h(r.dir);
        GrubEnvPlace p;
        p.path = "/boot/grub/grubenv";
        // No grubenv yet: created (replaced, not in place).
        bool in_place = true;
        auto prev = grubenv_set_next_entry(h, p, std::string("a>b"), &in_place);
        REQUIRE(prev);
        CHECK_FALSE(*prev);
        CHECK_FALSE(in_place);
        CHECK(grubenv_next_entry(h, p) == std::string("a>b"));
        auto t = h.read_file(p.path);
        REQUIRE(t);
        CHECK(t->size() == 1024);
        auto back = grubenv_set_next_entry(h, p, std::nullopt);
        REQUIRE(back);
        CHECK(*back == std::string("a>b"));
        CHECK_FALSE(grubenv_next_entry(h, p));
        // A grubenv we do not understand is left alone.
        r.write("/boot/grub/grubenv", "not a grubenv");
        CHECK_FALSE(grubenv_set_next_entry(h, p, std::string("x")));
        CHECK(*h.read_file(p.path) == "not a grubenv");
}

TEST_CASE("bootentry: grubenv rewritten in place, in its own blocks")
{
        // /tmp is a disk filesystem with FIEMAP on the test machine (ext4 on CI); on
        // tmpfs in-place is impossible and must say so without writing.
        TempRoot r;
        r.mkdir("/boot/grub");
        Host h(r.dir);
        GrubEnvPlace p;
        p.path = "/boot/grub/grubenv";
        REQUIRE(grubenv_set_next_entry(h, p, std::nullopt));  // created (atomic write)
        std::string file = r.dir + p.path;
        int fd = ::open(file.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        REQUIRE(::fsync(fd) == 0);
        struct stat before;
        REQUIRE(::fstat(fd, &before) == 0);
        ::close(fd);
        GrubEnv env;
        env.set("next_entry", "a>b");
        auto bytes = format_grubenv(env);
        REQUIRE(bytes);
        auto r1 = grubenv_write_in_place(h, p.path, *bytes);
        REQUIRE(r1);
        struct statfs sfs;
        REQUIRE(::statfs(r.dir.c_str(), &sfs) == 0);
        if (sfs.f_type == TMPFS_MAGIC) {
                CHECK_FALSE(*r1);
                return;
        }
        CHECK(*r1);
        struct stat after;
        REQUIRE(::stat(file.c_str(), &after) == 0);
        CHECK(after.st_ino == before.st_ino);  // the same file, not a renamed copy
        CHECK(grubenv_next_entry(h, p) == std::string("a>b"));
        // grubenv_set_next_entry takes the same path (and says so): still the same inode.
        bool in_place = false;
        REQUIRE(grubenv_set_next_entry(h, p, std::nullopt, &in_place));
        CHECK(in_place);
        REQUIRE(::stat(file.c_str(), &after) == 0);
        CHECK(after.st_ino == before.st_ino);
        CHECK_FALSE(grubenv_next_entry(h, p));
        // Not 1024 bytes: in place is impossible, nothing written.
        r.write("/boot/grub/grubenv", "short");
        auto r2 = grubenv_write_in_place(h, p.path, *bytes);
        REQUIRE(r2);
        CHECK_FALSE(*r2);
        CHECK(*h.read_file(p.path) == "short");
}

TEST_CASE("grubenv-disk: the block's place on a mounted ext4, and set there unmounted")
{
        // pre's side (locate_grubenv_block on the mounted /boot) and the helper's side
        // (grubenv_block_set_next_entry on the unmounted device), on a real loop-mounted ext4.
        if (::geteuid() != 0 || std::system("command -v mkfs.ext4 grub-editenv debugfs >/dev/null 2>&1") != 0) {
                if (std::getenv("HT_REQUIRE_ALL"))
                        FAIL("needs root, mkfs.ext4, grub-editenv and debugfs (HT_REQUIRE_ALL is set)");
                WARN("skipped: needs root, mkfs.ext4, grub-editenv and debugfs");
                return;
        }
        TempRoot r;
        std::string img = r.dir + "/boot.img", mnt = r.dir + "/mnt", src = r.dir + "/src";
        std::string uuid = "6b1e1a1c-0d0e-4f00-8a00-00000000b007";
        REQUIRE(std::system(("mkdir -p '" + mnt + "' '" + src + "/grub' && grub-editenv '" + src +
                             "/grub/grubenv' create && truncate -s 32M '" + img + "' && mkfs.ext4 -q -F -b 4096 -U " +
                             uuid + " -d '" + src + "' '" + img + "' && mount -o loop '" + img + "' '" + mnt + "'")
                                    .c_str()) == 0);
        Host h("/");
        std::string why;
        auto loc = locate_grubenv_block(h, mnt + "/grub/grubenv", &why);
        std::string loopdev;
        if (auto m = read_mountinfo(h))
                if (auto e = mount_containing(*m, mnt))
                        loopdev = e->source;
        (void) std::system(("umount '" + mnt + "'").c_str());
        INFO(why);
        REQUIRE(loc);
        CHECK(loc->fs_uuid_str() == uuid);
        FILE *f = ::popen(("debugfs -R 'bmap /grub/grubenv 0' '" + img + "' 2>/dev/null").c_str(), "r");
        REQUIRE(f);
        unsigned long long block = 0;
        CHECK(std::fscanf(f, "%llu", &block) == 1);
        ::pclose(f);
        CHECK(loc->offset == block * 4096);

        // The helper's side, on the unmounted device (a loop device over the image).
        std::string loop;
        if (FILE *lf = ::popen(("losetup -f --show '" + img + "'").c_str(), "r")) {
                char b[128] = {0};
                if (std::fgets(b, sizeof b, lf))
                        loop = b;
                ::pclose(lf);
        }
        while (!loop.empty() && loop.back() == '\n')
                loop.pop_back();
        REQUIRE(!loop.empty());
        auto set = grubenv_block_set_next_entry(h, loop, loc->offset, "gnulinux-x>y");
        auto before = h.read_at(loop, 0, 4096);
        auto not_grub = grubenv_block_set_next_entry(h, loop, 0, "x");  // not a GRUB block there
        auto after = h.read_at(loop, 0, 4096);
        (void) std::system(("losetup -d '" + loop + "'").c_str());
        std::string set_error = set ? std::string() : set.error().message;
        INFO(set_error);
        REQUIRE(set);
        CHECK_FALSE(not_grub);
        CHECK(*before == *after);
        f = ::popen(("debugfs -R 'dump /grub/grubenv " + r.dir + "/env' '" + img + "' >/dev/null 2>&1; grub-editenv '" +
                     r.dir + "/env' list").c_str(),
                    "r");
        REQUIRE(f);
        char line[256] = {0};
        std::string listed;
        while (std::fgets(line, sizeof line, f))
                listed += line;
        ::pclose(f);
        CHECK(listed.find("next_entry=gnulinux-x>y\n") != std::string::npos);
        // A mounted filesystem is never written under.
        if (!loopdev.empty()) {
                REQUIRE(std::system(("mount -o loop '" + img + "' '" + mnt + "'").c_str()) == 0);
                std::string dev;
                if (auto m = read_mountinfo(h))
                        if (auto e = mount_containing(*m, mnt))
                                dev = e->source;
                auto st = grubenv_block_set_next_entry(h, dev, loc->offset, "z");
                (void) std::system(("umount '" + mnt + "'").c_str());
                CHECK_FALSE(st);
        }
}

TEST_CASE("sleep: state round trip and validation")
{
        SleepState s;
        s.mode = "hibernate";
        s.loader = "grub";
        s.entry_id = "a>b";
        s.env_path = "/boot/grub/grubenv";
        s.prev_next_entry = "old";
        s.time = 42;
        auto p = parse_sleep_state(format_sleep_state(s));
        REQUIRE(p);
        CHECK(p->entry_id == "a>b");
        CHECK(p->prev_next_entry == std::string("old"));
        CHECK(p->time == 42);
        CHECK(p->pagesets.empty());  // state files from before two-pageset hibernation
        s.pagesets = "two";
        p = parse_sleep_state(format_sleep_state(s));
        REQUIRE(p);
        CHECK(p->pagesets == "two");
        p = parse_sleep_state("LOADER=none\nPAGESETS=three\n");
        REQUIRE(p);
        CHECK(p->pagesets.empty());
        CHECK_FALSE(parse_sleep_state("MODE=hibernate\n"));
        CHECK_FALSE(parse_sleep_state("LOADER=lilo\n"));
        CHECK_FALSE(parse_sleep_state("LOADER=grub\nENV=relative\n"));
}
