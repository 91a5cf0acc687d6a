// SPDX-License-Identifier: LGPL-2.1-or-later
// The root layer under a random tree: the input builds directories, files and symlinks
// (absolute, relative, "..", loops, pointing at the host's real paths) inside a scratch
// root, then runs lookups, reads and writes on random paths. Invariants: every fd the
// layer resolves lies under the root (checked through /proc/self/fd), nothing next to the
// root (a sibling "outside" directory with a witness file) is ever created, changed or
// removed, and nothing crashes.
#include <cstdint>
#include <cstdlib>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "host.hh"

namespace {

// The scratch tree's path, in static storage that outlives the exit handlers (a static
// std::string is destroyed before a handler registered during its construction runs).
char g_base[] = "/tmp/ht-fuzz-root-XXXXXX";

void remove_base_at_exit()
{
        std::string cmd = std::string("rm -rf '") + g_base + "'";
        (void)!std::system(cmd.c_str());
}

std::string base_dir()
{
        static bool made = [] {
                if (!::mkdtemp(g_base))
                        std::abort();
                // libFuzzer ends a -max_total_time run with exit(): remove the scratch tree
                // then (a crash keeps it, next to the reproducer).
                std::atexit(remove_base_at_exit);
                return true;
        }();
        (void)made;
        return g_base;
}

void rm_rf(const std::string &p)
{
        std::string cmd = "rm -rf '" + p + "'";
        if (std::system(cmd.c_str()) != 0)
                std::abort();
}

struct Input {
        const uint8_t *d;
        size_t n, i = 0;
        uint8_t byte() { return i < n ? d[i++] : 0; }
        bool more() const { return i < n; }
        std::string name()
        {
                static const char *names[] = {"a", "b", "etc", "fstab", "run", "hibernate-tool", "..", ".", "lock",
                                              "x y", "grubenv", "boot"};
                return names[byte() % (sizeof names / sizeof *names)];
        }
        std::string path(unsigned max_depth, bool for_tree = false)
        {
                std::string p;
                unsigned depth = 1 + byte() % max_depth;
                for (unsigned k = 0; k < depth; k++) {
                        std::string c = name();
                        // The tree is built with raw host paths by this harness: no "..", "."
                        // there (the layer under test gets them in its own paths).
                        if (for_tree && (c == ".." || c == "."))
                                c = "d";
                        p += "/" + c;
                }
                return p;
        }
};

std::string witness_outside;

void check_fd_inside(int fd, const std::string &root)
{
        if (fd < 0)
                return;
        char buf[4096];
        std::string link = "/proc/self/fd/" + std::to_string(fd);
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (n <= 0)
                return;
        std::string target(buf, static_cast<size_t>(n));
        if (target != root && target.compare(0, root.size() + 1, root + "/") != 0) {
                fprintf(stderr, "fd %d resolves to '%s', outside the root '%s'\n", fd, target.c_str(), root.c_str());
                std::abort();
        }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 512)
                return 0;
        const std::string base = base_dir();
        const std::string root = base + "/root";
        const std::string outside = base + "/outside";
        rm_rf(root);
        rm_rf(outside);
        if (::mkdir(root.c_str(), 0755) < 0 || ::mkdir(outside.c_str(), 0755) < 0)
                std::abort();
        const std::string witness = outside + "/witness";
        {
                int fd = ::open(witness.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd < 0 || ::write(fd, "w", 1) != 1)
                        std::abort();
                ::close(fd);
        }

        Input in{data, size};
        // Build the tree: up to 24 objects.
        unsigned objects = in.byte() % 24;
        for (unsigned k = 0; k < objects && in.more(); k++) {
                std::string p = root + in.path(4, true);
                uint8_t kind = in.byte() % 6;
                std::string parent = p.substr(0, p.rfind('/'));
                std::string mk = "mkdir -p '" + parent + "' 2>/dev/null";
                // The harness itself must not build through a symlink it made earlier.
                char real[PATH_MAX];
                if (::realpath(root.c_str(), real) == nullptr)
                        std::abort();
                std::string rroot = real;
                auto inside = [&](const std::string &q) {
                        char r[PATH_MAX];
                        std::string probe = q;
                        while (::realpath(probe.c_str(), r) == nullptr && probe.size() > rroot.size())
                                probe = probe.substr(0, probe.rfind('/'));
                        std::string rs = r;
                        return rs == rroot || rs.compare(0, rroot.size() + 1, rroot + "/") == 0;
                };
                if (!inside(parent))
                        continue;
                (void) !std::system(mk.c_str());
                if (!inside(parent))
                        continue;
                switch (kind) {
                case 0:
                        (void) ::mkdir(p.c_str(), 0755);
                        break;
                case 1: {
                        int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW, 0644);
                        if (fd >= 0)
                                ::close(fd);
                        break;
                }
                case 2:
                        (void) ::symlink(outside.c_str(), p.c_str());  // absolute, to the host's real dir
                        break;
                case 3:
                        (void) ::symlink("../../../../../../../..", p.c_str());
                        break;
                case 4:
                        (void) ::symlink(in.path(3).c_str(), p.c_str());  // absolute inside (re-rooted)
                        break;
                default:
                        (void) ::symlink(in.name().c_str(), p.c_str());  // relative, maybe a loop
                        break;
                }
        }

        ht::Host h(root);
        unsigned ops = in.byte() % 16;
        for (unsigned k = 0; k < ops && in.more(); k++) {
                std::string p = in.path(5);
                switch (in.byte() % 9) {
                case 0: {
                        auto c = h.chase(p, ht::CHASE_MISSING_OK);
                        if (c) {
                                check_fd_inside(c->dir.get(), root);
                                check_fd_inside(c->fd.get(), root);
                        }
                        break;
                }
                case 1: {
                        auto fd = h.open(p, O_RDONLY | O_NONBLOCK);
                        if (fd)
                                check_fd_inside(fd->get(), root);
                        break;
                }
                case 2:
                        (void) h.read_file(p, 4096);
                        break;
                case 3:
                        (void) h.write_file_atomic(p, "fuzz");
                        break;
                case 4:
                        (void) h.mkdir_p(p);
                        break;
                case 5:
                        (void) h.remove(p);
                        break;
                case 6:
                        (void) h.remove_dir(p);
                        break;
                case 7:
                        (void) h.rename(p, in.path(5));
                        break;
                default:
                        (void) h.list_dir(p);
                        break;
                }
        }

        // Nothing outside changed: only the witness, with its byte.
        DIR *d = ::opendir(outside.c_str());
        if (!d)
                std::abort();
        unsigned entries = 0;
        while (auto *de = ::readdir(d))
                if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, ".."))
                        entries++;
        ::closedir(d);
        char c = 0;
        int fd = ::open(witness.c_str(), O_RDONLY);
        if (entries != 1 || fd < 0 || ::read(fd, &c, 1) != 1 || c != 'w') {
                fprintf(stderr, "the directory outside the root changed\n");
                std::abort();
        }
        ::close(fd);
        struct stat st;
        if (::stat(base.c_str(), &st) < 0)
                std::abort();
        return 0;
}
