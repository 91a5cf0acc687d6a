// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host.hh"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

namespace ht {

Result<size_t> pread_full(int fd, char *buf, size_t len, uint64_t offset)
{
        size_t got = 0;
        while (got < len) {
                if (offset + got > static_cast<uint64_t>(INT64_MAX))
                        return Error{EOVERFLOW, "offset out of range"};
                ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(offset + got));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return Error::from_errno(errno, "read");
                if (n == 0)
                        break;
                got += static_cast<size_t>(n);
        }
        return got;
}

Status pwrite_full(int fd, std::string_view data, uint64_t offset, const std::string &what)
{
        size_t off = 0;
        while (off < data.size()) {
                if (offset + off > static_cast<uint64_t>(INT64_MAX))
                        return Error{EOVERFLOW, "cannot write " + what + ": offset out of range"};
                ssize_t n = ::pwrite(fd, data.data() + off, data.size() - off, static_cast<off_t>(offset + off));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return Error::from_errno(n < 0 ? errno : EIO, "cannot write " + what);
                off += static_cast<size_t>(n);
        }
        return ok_status();
}

Error Error::from_errno(int err, std::string what)
{
        return Error{err, what + ": " + std::strerror(err)};
}

// ---- Fd -------------------------------------------------------------------------------------

Fd &Fd::operator=(Fd &&o) noexcept
{
        if (this != &o) {
                if (fd_ >= 0)
                        ::close(fd_);
                fd_ = o.release();
        }
        return *this;
}

Fd::~Fd()
{
        if (fd_ >= 0)
                ::close(fd_);
}

int Fd::release()
{
        int f = fd_;
        fd_ = -1;
        return f;
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

// The path relative to the root fd for openat2(): no leading slashes, "." for the root.
std::string relative(std::string_view abs)
{
        while (!abs.empty() && abs.front() == '/')
                abs.remove_prefix(1);
        return abs.empty() ? std::string(".") : std::string(abs);
}

Result<Fd> dup_fd(int fd)
{
        int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (d < 0)
                return Error::from_errno(errno, "Failed to duplicate a file descriptor");
        return Fd(d);
}

// openat2() is used when the kernel has it; HT_HOST_NO_OPENAT2=1 (tests) forces the walk.
std::atomic<int> openat2_state{-1};  // -1 unknown, 0 unavailable, 1 available

bool use_openat2()
{
        int s = openat2_state.load();
        if (s < 0) {
                const char *e = ::secure_getenv("HT_HOST_NO_OPENAT2");
                s = (e && *e == '1') ? 0 : 1;
                openat2_state.store(s);
        }
        return s == 1;
}

int openat2_in_root(int root, const std::string &rel, int flags)
{
        struct open_how how;
        std::memset(&how, 0, sizeof(how));
        how.flags = static_cast<uint64_t>(flags);
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        for (int attempt = 0; attempt < 16; attempt++) {
                long r = ::syscall(SYS_openat2, root, rel.c_str(), &how, sizeof(how));
                if (r >= 0)
                        return static_cast<int>(r);
                if (errno != EAGAIN && errno != EINTR)
                        return -1;
        }
        errno = EAGAIN;
        return -1;
}

std::string random_suffix()
{
        unsigned char b[6];
        if (::getrandom(b, sizeof(b), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(b))) {
                struct timespec ts;
                ::clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t v = static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(::getpid()) << 20);
                std::memcpy(b, &v, sizeof(b));
        }
        static const char hex[] = "0123456789abcdef";
        std::string s;
        for (unsigned char c : b) {
                s += hex[c >> 4];
                s += hex[c & 15];
        }
        return s;
}

Status write_all(int fd, std::string_view content, const std::string &what)
{
        size_t off = 0;
        while (off < content.size()) {
                ssize_t n = ::write(fd, content.data() + off, content.size() - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return Error::from_errno(errno, "Failed to write '" + what + "'");
                }
                off += static_cast<size_t>(n);
        }
        return ok_status();
}

// Copies every extended attribute of `from` onto `to` (SELinux label, ACLs, user.*).
Status copy_xattrs(int from, int to, const std::string &what)
{
        ssize_t len = ::flistxattr(from, nullptr, 0);
        if (len < 0)
                return (errno == ENOTSUP || errno == EOPNOTSUPP)
                               ? ok_status()
                               : Status(Error::from_errno(errno, "Failed to list the extended attributes of '" + what + "'"));
        if (len == 0)
                return ok_status();
        std::string names(static_cast<size_t>(len), '\0');
        len = ::flistxattr(from, names.data(), names.size());
        if (len < 0)
                return Error::from_errno(errno, "Failed to list the extended attributes of '" + what + "'");
        names.resize(static_cast<size_t>(len));
        for (size_t i = 0; i < names.size();) {
                std::string name(names.c_str() + i);
                i += name.size() + 1;
                if (name.empty())
                        continue;
                ssize_t vl = ::fgetxattr(from, name.c_str(), nullptr, 0);
                if (vl < 0)
                        return Error::from_errno(errno, "Failed to read attribute " + name + " of '" + what + "'");
                std::string val(static_cast<size_t>(vl), '\0');
                vl = ::fgetxattr(from, name.c_str(), val.data(), val.size());
                if (vl < 0)
                        return Error::from_errno(errno, "Failed to read attribute " + name + " of '" + what + "'");
                val.resize(static_cast<size_t>(vl));
                if (::fsetxattr(to, name.c_str(), val.data(), val.size(), 0) < 0 && errno != ENOTSUP &&
                    errno != EOPNOTSUPP)
                        return Error::from_errno(errno, "Failed to keep attribute " + name + " of '" + what + "'");
        }
        return ok_status();
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

std::string path_dirname(std::string_view p)
{
        while (p.size() > 1 && p.back() == '/')
                p.remove_suffix(1);
        auto pos = p.rfind('/');
        if (pos == std::string_view::npos)
                return ".";
        if (pos == 0)
                return "/";
        return std::string(p.substr(0, pos));
}

// ---- Host -----------------------------------------------------------------------------------

Host::Host(std::string root) : root_(normalize_root(std::move(root)))
{
        int fd = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                root_errno_ = errno;
        else
                root_fd_ = std::make_shared<Fd>(fd);
}

int Host::root_fd() const
{
        return root_fd_ ? root_fd_->get() : -1;
}

std::string Host::path(std::string_view abs) const
{
        std::string p(abs);
        if (p.empty() || p[0] != '/')
                p.insert(p.begin(), '/');
        if (root_ == "/")
                return p;
        return root_ + p;
}

Result<Chased> Host::chase(std::string_view abs, unsigned flags) const
{
        if (!root_fd_)
                return Error::from_errno(root_errno_, "Failed to open the root directory '" + root_ + "'");
        struct Level {
                Fd fd;
                std::string name;
        };
        std::vector<Level> stack;
        auto rootdup = dup_fd(root_fd());
        if (!rootdup)
                return rootdup.error();
        stack.push_back({std::move(*rootdup), ""});

        std::vector<std::string> todo = split_components(abs);
        std::reverse(todo.begin(), todo.end());
        unsigned links = 0;

        auto joined = [&](const std::string *extra) {
                std::string s;
                for (size_t i = 1; i < stack.size(); i++)
                        s += "/" + stack[i].name;
                if (extra)
                        s += "/" + *extra;
                return s.empty() ? std::string("/") : s;
        };

        while (!todo.empty()) {
                std::string c = std::move(todo.back());
                todo.pop_back();
                if (c == ".")
                        continue;
                if (c == "..") {
                        if (stack.size() > 1)
                                stack.pop_back();
                        continue;
                }
                // Only trailing "." / ".." left: the component is not the last one.
                bool last = std::all_of(todo.begin(), todo.end(), [](auto &t) { return t == "."; });
                int fd = ::openat(stack.back().fd.get(), c.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        int e = errno;
                        if (e == ENOENT && last && (flags & CHASE_MISSING_OK)) {
                                Chased r;
                                r.path = joined(&c);
                                r.name = c;
                                r.dir = std::move(stack.back().fd);
                                return r;
                        }
                        return Error::from_errno(e, "Failed to look up '" + joined(&c) + "'");
                }
                Fd f(fd);
                struct ::stat st;
                if (::fstat(fd, &st) < 0)
                        return Error::from_errno(errno, "Failed to stat '" + joined(&c) + "'");
                if (S_ISLNK(st.st_mode) && (!last || !(flags & CHASE_NOFOLLOW))) {
                        if (++links > 40)
                                return Error{ELOOP, "Too many levels of symbolic links resolving '" +
                                                            std::string(abs) + "'"};
                        char buf[4096];
                        ssize_t n = ::readlinkat(fd, "", buf, sizeof(buf));
                        if (n < 0)
                                return Error::from_errno(errno, "Failed to read link '" + joined(&c) + "'");
                        if (static_cast<size_t>(n) >= sizeof(buf))
                                return Error{ENAMETOOLONG, "Symbolic link '" + joined(&c) + "' is too long"};
                        std::string_view target(buf, static_cast<size_t>(n));
                        if (!target.empty() && target[0] == '/')
                                stack.resize(1);
                        auto comps = split_components(target);
                        for (auto it = comps.rbegin(); it != comps.rend(); ++it)
                                todo.push_back(*it);
                        continue;
                }
                if (!last && !S_ISDIR(st.st_mode))
                        return Error{ENOTDIR, "Failed to look up '" + std::string(abs) + "': '" + joined(&c) +
                                                      "' is not a directory"};
                stack.push_back({std::move(f), c});
        }
        Chased r;
        r.path = joined(nullptr);
        if (stack.size() == 1) {
                auto d = dup_fd(stack[0].fd.get());
                if (!d)
                        return d.error();
                r.dir = std::move(*d);
                r.fd = std::move(stack[0].fd);
                return r;
        }
        r.name = stack.back().name;
        r.fd = std::move(stack.back().fd);
        r.dir = std::move(stack[stack.size() - 2].fd);
        return r;
}

Result<std::string> Host::canonicalize(std::string_view abs, bool allow_missing_last) const
{
        auto c = chase(abs, allow_missing_last ? CHASE_MISSING_OK : CHASE_DEFAULT);
        if (!c)
                return c.error();
        return std::move(c->path);
}

Result<Fd> Host::open(std::string_view abs, int flags) const
{
        if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
                return Error{EINVAL, "internal error: Host::open() does not create files ('" + std::string(abs) + "')"};
        if (!root_fd_)
                return Error::from_errno(root_errno_, "Failed to open the root directory '" + root_ + "'");
        flags |= O_CLOEXEC | O_NOCTTY;
        if (use_openat2()) {
                int fd = openat2_in_root(root_fd(), relative(abs), flags);
                if (fd >= 0)
                        return Fd(fd);
                if (errno != ENOSYS && errno != EPERM && errno != EAGAIN)
                        return Error::from_errno(errno, "Failed to open '" + std::string(abs) + "'");
                if (errno == ENOSYS)
                        openat2_state.store(0);
        }
        auto c = chase(abs);
        if (!c)
                return c.error();
        int fd = c->name.empty() ? ::openat(c->fd.get(), ".", flags)
                                 : ::openat(c->dir.get(), c->name.c_str(), flags | O_NOFOLLOW);
        if (fd < 0)
                return Error::from_errno(errno, "Failed to open '" + std::string(abs) + "'");
        return Fd(fd);
}

Result<int> Host::open_read(std::string_view abs) const
{
        auto fd = open(abs, O_RDONLY | O_NONBLOCK);
        if (!fd)
                return fd.error();
        // Regular reads must block normally; O_NONBLOCK only guards the open of FIFOs.
        int fl = ::fcntl(fd->get(), F_GETFL);
        if (fl >= 0)
                (void) ::fcntl(fd->get(), F_SETFL, fl & ~O_NONBLOCK);
        return fd->release();
}

Result<Fd> Host::open_dir(std::string_view abs) const
{
        return open(abs, O_RDONLY | O_DIRECTORY);
}

Result<std::string> Host::read_file(std::string_view abs, size_t max_bytes) const
{
        // Only regular files are read whole: a device node or FIFO placed in a hostile root
        // is refused before it is opened (opening some character devices has effects) and
        // checked again on the opened fd.
        auto pre = stat(abs);
        if (!pre)
                return pre.error();
        if (S_ISDIR(pre->st_mode))
                return Error::from_errno(EISDIR, "Failed to read '" + std::string(abs) + "'");
        if (!S_ISREG(pre->st_mode))
                return Error{EINVAL, "'" + std::string(abs) + "' is not a regular file"};
        auto r = open_read(abs);
        if (!r)
                return r.error();
        Fd fd(*r);
        struct ::stat st;
        if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
                return Error{EINVAL, "'" + std::string(abs) + "' is not a regular file"};
        std::string out;
        char buf[8192];
        for (;;) {
                ssize_t n = ::read(fd.get(), buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return Error::from_errno(errno, "Failed to read '" + std::string(abs) + "'");
                }
                if (n == 0)
                        break;
                if (out.size() + static_cast<size_t>(n) > max_bytes)
                        return Error{EFBIG, "File '" + std::string(abs) + "' is unexpectedly large (over " +
                                                    std::to_string(max_bytes) + " bytes)"};
                out.append(buf, static_cast<size_t>(n));
        }
        return out;
}

Result<std::optional<std::string>> Host::read_file_if_exists(std::string_view abs, size_t max_bytes) const
{
        auto r = read_file(abs, max_bytes);
        if (r)
                return std::optional<std::string>(std::move(*r));
        if (r.error().code == ENOENT)
                return std::optional<std::string>();
        return r.error();
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
        auto r = open_read(abs);
        if (!r)
                return r.error();
        Fd fd(*r);
        if (offset > static_cast<uint64_t>(INT64_MAX) - len)
                return Error{EOVERFLOW, "Offset " + std::to_string(offset) + " in '" + std::string(abs) + "' is out of range"};
        std::string out(len, '\0');
        auto got = pread_full(fd.get(), out.data(), len, offset);
        if (!got)
                return Error{got.error().code, "Failed to read '" + std::string(abs) + "': " + got.error().message};
        if (*got < len)
                return Error{EIO, "'" + std::string(abs) + "' is truncated (wanted " + std::to_string(len) +
                                          " bytes at offset " + std::to_string(offset) + ")"};
        return out;
}

Result<std::vector<std::string>> Host::list_dir(std::string_view abs) const
{
        auto fd = open_dir(abs);
        if (!fd)
                return Error{fd.error().code, "Failed to open directory '" + std::string(abs) + "': " +
                                                      std::strerror(fd.error().code)};
        DIR *d = ::fdopendir(fd->get());
        if (!d)
                return Error::from_errno(errno, "Failed to open directory '" + std::string(abs) + "'");
        fd->release();
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

namespace {
Result<struct ::stat> chase_stat(const Host &h, std::string_view abs, unsigned flags)
{
        auto c = h.chase(abs, flags);
        if (!c)
                return c.error();
        struct ::stat st;
        if (::fstat(c->fd.get(), &st) < 0)
                return Error::from_errno(errno, "Failed to stat '" + std::string(abs) + "'");
        return st;
}
}  // namespace

Result<struct ::stat> Host::stat(std::string_view abs) const
{
        return chase_stat(*this, abs, CHASE_DEFAULT);
}

Result<struct ::stat> Host::lstat(std::string_view abs) const
{
        return chase_stat(*this, abs, CHASE_NOFOLLOW);
}

Status Host::mkdir_p(std::string_view abs, mode_t mode) const
{
        std::string cur;
        for (auto &comp : split_components(abs)) {
                cur += "/" + comp;
                for (int attempt = 0;; attempt++) {
                        auto c = chase(cur, CHASE_MISSING_OK);
                        if (!c)
                                return c.error();
                        if (c->exists()) {
                                struct ::stat st;
                                if (::fstat(c->fd.get(), &st) < 0)
                                        return Error::from_errno(errno, "Failed to stat '" + cur + "'");
                                if (!S_ISDIR(st.st_mode))
                                        return Error{ENOTDIR, "'" + c->path + "' is not a directory"};
                                break;
                        }
                        if (::mkdirat(c->dir.get(), c->name.c_str(), mode) == 0)
                                break;
                        if (errno != EEXIST || attempt > 8)
                                return Error::from_errno(errno, "Failed to create directory '" + c->path + "'");
                }
        }
        return ok_status();
}

Status Host::write_file_atomic(std::string_view abs, std::string_view content, mode_t mode) const
{
        std::string a(abs);
        std::string name(path_basename(a));
        if (a.empty() || a.back() == '/' || name.empty() || name == "." || name == "..")
                return Error{EINVAL, "No file name in '" + a + "'"};
        if (auto st = mkdir_p(path_dirname(a)); !st)
                return st;
        auto c = chase(a, CHASE_MISSING_OK);
        if (!c)
                return c.error();
        if (c->name.empty())
                return Error{EISDIR, "'" + a + "' is the root directory"};
        const std::string &target = c->path;  // where a final symlink points
        struct ::stat old {};
        Fd oldfd;
        if (c->exists()) {
                if (::fstat(c->fd.get(), &old) < 0)
                        return Error::from_errno(errno, "Failed to stat '" + target + "'");
                if (!S_ISREG(old.st_mode))
                        return Error{EINVAL, "'" + target + "' is not a regular file; not replacing it"};
                oldfd = Fd(::openat(c->dir.get(), c->name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
                if (!oldfd.valid())
                        return Error::from_errno(errno, "Failed to open '" + target + "'");
        }
        std::string tmp;
        Fd tfd;
        for (int attempt = 0; attempt < 64 && !tfd.valid(); attempt++) {
                tmp = "." + c->name + "." + random_suffix();
                if (tmp.size() > NAME_MAX)
                        tmp = ".ht-" + random_suffix();
                tfd = Fd(::openat(c->dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
                if (!tfd.valid() && errno != EEXIST)
                        break;
        }
        if (!tfd.valid())
                return Error::from_errno(errno, "Failed to create a temporary file next to '" + target + "'");
        int dirfd = c->dir.get();
        auto fail = [&](Error e) -> Status {
                (void) ::unlinkat(dirfd, tmp.c_str(), 0);
                return e;
        };
        if (auto st = write_all(tfd.get(), content, target); !st)
                return fail(st.error());
        if (oldfd.valid()) {
                if (::fchown(tfd.get(), old.st_uid, old.st_gid) < 0)
                        return fail(Error::from_errno(errno, "Failed to keep the owner of '" + target + "'"));
                if (::fchmod(tfd.get(), old.st_mode & 07777) < 0)
                        return fail(Error::from_errno(errno, "Failed to keep the mode of '" + target + "'"));
                if (auto st = copy_xattrs(oldfd.get(), tfd.get(), target); !st)
                        return fail(st.error());
        } else if (::fchmod(tfd.get(), mode) < 0) {
                return fail(Error::from_errno(errno, "Failed to set the mode of '" + target + "'"));
        }
        if (::fsync(tfd.get()) < 0)
                return fail(Error::from_errno(errno, "Failed to sync '" + target + "'"));
        tfd = Fd();
        if (::renameat(dirfd, tmp.c_str(), dirfd, c->name.c_str()) < 0)
                return fail(Error::from_errno(errno, "Failed to rename into '" + target + "'"));
        Fd d(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d.valid() || ::fsync(d.get()) < 0)
                return Error::from_errno(errno, "'" + target + "' was replaced, but syncing its directory failed");
        return ok_status();
}

Status Host::remove(std::string_view abs) const
{
        auto c = chase(abs, CHASE_NOFOLLOW | CHASE_MISSING_OK);
        if (!c)
                return c.error().code == ENOENT ? ok_status() : Status(c.error());
        if (!c->exists())
                return ok_status();
        if (c->name.empty())
                return Error{EISDIR, "Refusing to remove the root directory"};
        if (::unlinkat(c->dir.get(), c->name.c_str(), 0) < 0 && errno != ENOENT)
                return Error::from_errno(errno, "Failed to remove '" + c->path + "'");
        return ok_status();
}

Status Host::remove_dir(std::string_view abs) const
{
        auto c = chase(abs, CHASE_NOFOLLOW);
        if (!c)
                return c.error();
        if (c->name.empty())
                return Error{EISDIR, "Refusing to remove the root directory"};
        if (::unlinkat(c->dir.get(), c->name.c_str(), AT_REMOVEDIR) < 0)
                return Error::from_errno(errno, "Failed to remove directory '" + c->path + "'");
        return ok_status();
}

Status Host::rename(std::string_view from, std::string_view to) const
{
        auto f = chase(from, CHASE_NOFOLLOW);
        if (!f)
                return f.error();
        auto t = chase(to, CHASE_NOFOLLOW | CHASE_MISSING_OK);
        if (!t)
                return t.error();
        if (f->name.empty() || t->name.empty())
                return Error{EINVAL, "Refusing to rename the root directory"};
        if (::renameat(f->dir.get(), f->name.c_str(), t->dir.get(), t->name.c_str()) < 0)
                return Error::from_errno(errno, "Failed to rename '" + f->path + "' to '" + t->path + "'");
        return ok_status();
}

Status Host::sync_dir(std::string_view abs) const
{
        auto d = open_dir(abs);
        if (!d)
                return d.error();
        if (::fsync(d->get()) < 0)
                return Error::from_errno(errno, "Failed to sync directory '" + std::string(abs) + "'");
        return ok_status();
}

// ---- RootLock -------------------------------------------------------------------------------

Result<RootLock> RootLock::take(const Host &host, std::string_view verb, unsigned wait_ms)
{
        std::string dir = path_dirname(PATH);
        if (auto st = host.mkdir_p(dir); !st)
                return Error{st.error().code, "Cannot take the hibernate-tool lock: " + st.error().message};
        auto c = host.chase(PATH, CHASE_NOFOLLOW | CHASE_MISSING_OK);
        if (!c)
                return Error{c.error().code, "Cannot take the hibernate-tool lock: " + c.error().message};
        RootLock l;
        if (c->exists()) {
                struct ::stat pre;
                if (::fstat(c->fd.get(), &pre) < 0 || !S_ISREG(pre.st_mode))
                        return Error{EINVAL, std::string("The lock file ") + PATH + " is not a regular file; remove it"};
        }
        l.fd_ = Fd(::openat(c->dir.get(), c->name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600));
        if (!l.fd_.valid())
                return Error::from_errno(errno, std::string("Cannot open the lock file ") + PATH);
        struct ::stat st;
        if (::fstat(l.fd_.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
                return Error{EINVAL, std::string("The lock file ") + PATH +
                                             " is not a regular file with one link; remove it"};
        // HIBERNATE_TOOL_LOCK_WAIT=<seconds> overrides how long a second run waits.
        if (const char *e = ::secure_getenv("HIBERNATE_TOOL_LOCK_WAIT"); e && *e) {
                char *end = nullptr;
                unsigned long v = std::strtoul(e, &end, 10);
                if (end && *end == '\0' && v <= 3600)
                        wait_ms = static_cast<unsigned>(v * 1000);
        }
        unsigned waited = 0;
        while (::flock(l.fd_.get(), LOCK_EX | LOCK_NB) < 0) {
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return Error::from_errno(errno, std::string("Cannot lock ") + PATH);
                if (waited >= wait_ms) {
                        char buf[128] = {};
                        ssize_t n = ::pread(l.fd_.get(), buf, sizeof(buf) - 1, 0);
                        std::string holder;
                        for (ssize_t i = 0; i < n && buf[i] != '\n'; i++)
                                holder += (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
                        return Error{EBUSY, "Another hibernate-tool run holds the lock " + std::string(PATH) +
                                                    (holder.empty() ? std::string() : " (" + holder + ")") +
                                                    "; try again when it has finished"};
                }
                struct timespec ts = {0, 50 * 1000 * 1000};
                ::nanosleep(&ts, nullptr);
                waited += 50;
        }
        std::string who = "pid " + std::to_string(::getpid()) + ", " + std::string(verb) + "\n";
        if (::ftruncate(l.fd_.get(), 0) == 0)
                (void) !::pwrite(l.fd_.get(), who.data(), who.size(), 0);
        return l;
}

}  // namespace ht
