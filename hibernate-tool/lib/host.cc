// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host.hh"

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ht {

Error Error::from_errno(int err, std::string what)
{
        return Error{err, what + ": " + std::strerror(err)};
}

namespace {

std::string normalize_root(std::string root)
{
        if (root.empty())
                root = "/";
        while (root.size() > 1 && root.back() == '/')
                root.pop_back();
        return root;
}

std::vector<std::string> split_components(std::string_view p)
{
        std::vector<std::string> out;
        size_t i = 0;
        while (i < p.size()) {
                while (i < p.size() && p[i] == '/')
                        i++;
                size_t j = i;
                while (j < p.size() && p[j] != '/')
                        j++;
                if (j > i)
                        out.emplace_back(p.substr(i, j - i));
                i = j;
        }
        return out;
}

}  // namespace

std::string path_join(std::string_view dir, std::string_view name)
{
        std::string r(dir);
        if (r.empty() || r.back() != '/')
                r += '/';
        while (!name.empty() && name.front() == '/')
                name.remove_prefix(1);
        r += name;
        return r;
}

std::string_view path_basename(std::string_view p)
{
        while (p.size() > 1 && p.back() == '/')
                p.remove_suffix(1);
        auto pos = p.rfind('/');
        return pos == std::string_view::npos ? p : p.substr(pos + 1);
}

Host::Host(std::string root) : root_(normalize_root(std::move(root))) {}

std::string Host::path(std::string_view abs) const
{
        std::string p(abs);
        if (p.empty() || p[0] != '/')
                p.insert(p.begin(), '/');
        if (root_ == "/")
                return p;
        return root_ + p;
}

Result<std::string> Host::canonicalize(std::string_view abs, bool allow_missing_last) const
{
        // Work list of remaining components; resolved prefix as components.
        std::vector<std::string> todo = split_components(abs);
        std::reverse(todo.begin(), todo.end());
        std::vector<std::string> done;
        unsigned links = 0;

        auto joined = [&]() {
                std::string s;
                for (auto &c : done)
                        s += "/" + c;
                return s.empty() ? std::string("/") : s;
        };

        while (!todo.empty()) {
                std::string c = std::move(todo.back());
                todo.pop_back();
                if (c == ".")
                        continue;
                if (c == "..") {
                        if (!done.empty())
                                done.pop_back();
                        continue;
                }
                done.push_back(c);
                std::string cur = joined();
                struct ::stat st;
                if (::lstat(path(cur).c_str(), &st) < 0) {
                        int e = errno;
                        if (e == ENOENT && allow_missing_last && todo.empty())
                                return cur;
                        return Error::from_errno(e, "Failed to look up '" + cur + "'");
                }
                if (!S_ISLNK(st.st_mode))
                        continue;
                if (++links > 40)
                        return Error{ELOOP, "Too many levels of symbolic links resolving '" +
                                                    std::string(abs) + "'"};
                char buf[4096];
                ssize_t n = ::readlink(path(cur).c_str(), buf, sizeof(buf) - 1);
                if (n < 0)
                        return Error::from_errno(errno, "Failed to read link '" + cur + "'");
                std::string_view target(buf, static_cast<size_t>(n));
                done.pop_back();
                if (!target.empty() && target[0] == '/')
                        done.clear();
                auto comps = split_components(target);
                for (auto it = comps.rbegin(); it != comps.rend(); ++it)
                        todo.push_back(*it);
        }
        return joined();
}

Result<int> Host::open_read(std::string_view abs) const
{
        auto c = canonicalize(abs);
        if (!c)
                return c.error();
        int fd = ::open(path(*c).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return Error::from_errno(errno, "Failed to open '" + std::string(abs) + "'");
        // Regular reads must block normally; O_NONBLOCK only guards the open of FIFOs.
        int fl = ::fcntl(fd, F_GETFL);
        if (fl >= 0)
                (void) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        return fd;
}

Result<std::string> Host::read_file(std::string_view abs, size_t max_bytes) const
{
        auto fd = open_read(abs);
        if (!fd)
                return fd.error();
        std::string out;
        char buf[8192];
        for (;;) {
                ssize_t n = ::read(*fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        ::close(*fd);
                        return Error::from_errno(e, "Failed to read '" + std::string(abs) + "'");
                }
                if (n == 0)
                        break;
                if (out.size() + static_cast<size_t>(n) > max_bytes) {
                        ::close(*fd);
                        return Error{EFBIG, "File '" + std::string(abs) + "' is unexpectedly large"};
                }
                out.append(buf, static_cast<size_t>(n));
        }
        ::close(*fd);
        return out;
}

Result<std::string> Host::read_line(std::string_view abs) const
{
        auto r = read_file(abs, 64 * 1024);
        if (!r)
                return r;
        std::string s = std::move(*r);
        auto nl = s.find('\n');
        if (nl != std::string::npos)
                s.resize(nl);
        return s;
}

Result<std::string> Host::read_at(std::string_view abs, uint64_t offset, size_t len) const
{
        auto fd = open_read(abs);
        if (!fd)
                return fd.error();
        std::string out(len, '\0');
        size_t got = 0;
        while (got < len) {
                ssize_t n = ::pread(*fd, out.data() + got, len - got, static_cast<off_t>(offset + got));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        ::close(*fd);
                        return Error::from_errno(e, "Failed to read '" + std::string(abs) + "'");
                }
                if (n == 0) {
                        ::close(*fd);
                        return Error{EIO, "'" + std::string(abs) + "' is truncated (wanted " +
                                                  std::to_string(len) + " bytes at offset " +
                                                  std::to_string(offset) + ")"};
                }
                got += static_cast<size_t>(n);
        }
        ::close(*fd);
        return out;
}

Result<std::vector<std::string>> Host::list_dir(std::string_view abs) const
{
        auto c = canonicalize(abs);
        if (!c)
                return c.error();
        DIR *d = ::opendir(path(*c).c_str());
        if (!d)
                return Error::from_errno(errno, "Failed to open directory '" + std::string(abs) + "'");
        std::vector<std::string> names;
        while (auto *de = ::readdir(d)) {
                std::string_view n(de->d_name);
                if (n == "." || n == "..")
                        continue;
                names.emplace_back(n);
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        return names;
}

bool Host::exists(std::string_view abs) const
{
        return stat(abs).ok();
}

Result<struct ::stat> Host::stat(std::string_view abs) const
{
        auto c = canonicalize(abs);
        if (!c)
                return c.error();
        struct ::stat st;
        if (::stat(path(*c).c_str(), &st) < 0)
                return Error::from_errno(errno, "Failed to stat '" + std::string(abs) + "'");
        return st;
}

Status Host::write_file_atomic(std::string_view abs, std::string_view content, mode_t mode) const
{
        std::string a(abs);
        auto slash = a.rfind('/');
        std::string dir = slash == 0 ? "/" : a.substr(0, slash);
        std::string name = a.substr(slash + 1);
        if (name.empty())
                return Error{EINVAL, "no file name in '" + a + "'"};
        // Create missing directories inside the root.
        std::string cur;
        for (auto &comp : split_components(dir)) {
                cur += "/" + comp;
                auto c = canonicalize(cur, true);
                if (!c)
                        return c.error();
                if (::mkdir(path(*c).c_str(), 0755) < 0 && errno != EEXIST)
                        return Error::from_errno(errno, "Failed to create '" + cur + "'");
        }
        auto cdir = canonicalize(dir);
        if (!cdir)
                return cdir.error();
        std::string hdir = path(*cdir);
        std::string tmpl = hdir + "/." + name + ".XXXXXX";
        int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
        if (fd < 0)
                return Error::from_errno(errno, "Failed to create a temporary file in '" + dir + "'");
        auto fail = [&](const char *what) {
                int e = errno;
                ::close(fd);
                ::unlink(tmpl.c_str());
                return Error::from_errno(e, std::string(what) + " '" + a + "'");
        };
        size_t off = 0;
        while (off < content.size()) {
                ssize_t n = ::write(fd, content.data() + off, content.size() - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail("Failed to write");
                }
                off += static_cast<size_t>(n);
        }
        if (::fchmod(fd, mode) < 0 || ::fsync(fd) < 0)
                return fail("Failed to sync");
        ::close(fd);
        if (::rename(tmpl.c_str(), (hdir + "/" + name).c_str()) < 0) {
                int e = errno;
                ::unlink(tmpl.c_str());
                return Error::from_errno(e, "Failed to rename into '" + a + "'");
        }
        int dfd = ::open(hdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void) ::fsync(dfd);
                ::close(dfd);
        }
        return ok_status();
}

}  // namespace ht
