// SPDX-License-Identifier: LGPL-2.1-or-later
// The host layer: every path the tool touches is an absolute path *inside* a root
// directory (--root, default "/"), so the same code serves the running machine, an
// installer's target and test fixtures.
//
// The root is an open directory fd. Every lookup is relative to it and can never leave
// it: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel has it (≥ 5.6),
// else a component-by-component O_PATH|O_NOFOLLOW walk (chase()) that resolves symlinks
// itself (absolute targets re-rooted, ".." stopping at the root, 40 links at most) and
// keeps an fd for every directory it went through, so a directory swapped for a symlink
// after it was looked up changes nothing. Every create, rename, unlink and mkdir is an
// *at() call on a directory fd obtained that way. A final symlink inside the root is
// followed deliberately for writes: the write goes to its target and the link stays.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

#include "result.hh"

namespace ht {

// An owned file descriptor (closed on destruction; movable, not copyable).
class Fd {
public:
        Fd() = default;
        explicit Fd(int fd) : fd_(fd) {}
        Fd(Fd &&o) noexcept : fd_(o.release()) {}
        Fd &operator=(Fd &&o) noexcept;
        Fd(const Fd &) = delete;
        Fd &operator=(const Fd &) = delete;
        ~Fd();
        int get() const { return fd_; }
        int release();
        bool valid() const { return fd_ >= 0; }

private:
        int fd_ = -1;
};

// pread() until len bytes or the end of the file, retrying EINTR: the bytes read (fewer
// only at the end of the file), or the errno of a failed read.
Result<size_t> pread_full(int fd, char *buf, size_t len, uint64_t offset);
// pwrite() all of data at offset, retrying EINTR and short writes; what names the file.
Status pwrite_full(int fd, std::string_view data, uint64_t offset, const std::string &what);

// What chase() found: the directory holding the last component (an O_PATH fd), the
// last component's name there, its canonical absolute path inside the root, and an
// O_PATH fd of the object itself when it exists.
struct Chased {
        Fd dir;
        std::string name;   // "" when the path is the root itself
        std::string path;   // canonical, absolute, inside the root
        Fd fd;              // invalid when the last component does not exist
        bool exists() const { return fd.valid(); }
};

enum ChaseFlags : unsigned {
        CHASE_DEFAULT = 0,
        CHASE_NOFOLLOW = 1u << 0,        // do not follow a final symlink
        CHASE_MISSING_OK = 1u << 1,      // the last component need not exist
};

class Host {
public:
        explicit Host(std::string root = "/");

        const std::string &root() const { return root_; }
        bool is_real_root() const { return root_ == "/"; }
        // The root directory fd (O_PATH), -1 when the root could not be opened.
        int root_fd() const;

        // Host path for an absolute path inside the root (no symlink resolution). For
        // messages and for the command lines of external programs only, never for I/O.
        std::string path(std::string_view abs) const;

        // The fd-based lookup described above.
        Result<Chased> chase(std::string_view abs, unsigned flags = CHASE_DEFAULT) const;

        // Canonical absolute path inside the root (chase()'s path). The final component
        // need not exist when allow_missing_last is set.
        Result<std::string> canonicalize(std::string_view abs, bool allow_missing_last = false) const;

        // Opens inside the root (O_CLOEXEC|O_NOCTTY added). O_CREAT is refused: files are
        // created only by write_file_atomic/create_file.
        Result<Fd> open(std::string_view abs, int flags) const;
        // Opens read-only; FIFOs do not block the open. The caller owns the returned fd.
        Result<int> open_read(std::string_view abs) const;
        // An O_RDONLY|O_DIRECTORY fd of a directory inside the root.
        Result<Fd> open_dir(std::string_view abs) const;

        // Reads a whole (small) file; files bigger than max_bytes are an error (EFBIG).
        Result<std::string> read_file(std::string_view abs, size_t max_bytes = 4u << 20) const;
        // Like read_file, but a missing file is nullopt; every other error is an error.
        Result<std::optional<std::string>> read_file_if_exists(std::string_view abs,
                                                                size_t max_bytes = 4u << 20) const;
        // First line of a file without the trailing newline (sysfs attributes).
        Result<std::string> read_line(std::string_view abs) const;
        // pread() of exactly len bytes at offset; short files are an error (EIO, "truncated").
        Result<std::string> read_at(std::string_view abs, uint64_t offset, size_t len) const;

        Result<std::vector<std::string>> list_dir(std::string_view abs) const;  // sorted names
        bool exists(std::string_view abs) const;
        Result<struct ::stat> stat(std::string_view abs) const;   // follows links inside root
        Result<struct ::stat> lstat(std::string_view abs) const;  // the last component itself

        // Creates the directory and its missing parents inside the root.
        Status mkdir_p(std::string_view abs, mode_t mode = 0755) const;

        // Writes a file atomically: a temporary file in the target's directory, fsync,
        // renameat, fsync of the directory (its failure is an error). A final symlink is
        // followed inside the root and its target replaced; the link stays. An existing
        // file keeps its owner, mode and extended attributes (SELinux label, ACLs); `mode`
        // applies to new files. Creates missing parent directories (mode 0755).
        Status write_file_atomic(std::string_view abs, std::string_view content, mode_t mode = 0644) const;

        // Removes a file (not a directory): unlinkat of the last component, which is not
        // followed when it is a symlink. A missing file is not an error.
        Status remove(std::string_view abs) const;
        // Removes an empty directory; ENOTEMPTY and ENOENT are reported as errors.
        Status remove_dir(std::string_view abs) const;
        // Renames within one directory or across directories of the root (no link followed).
        Status rename(std::string_view from, std::string_view to) const;
        // fsync of a directory.
        Status sync_dir(std::string_view abs) const;

private:
        std::string root_;
        std::shared_ptr<Fd> root_fd_;
        int root_errno_ = 0;
};

// Helpers on absolute in-root paths.
std::string path_join(std::string_view dir, std::string_view name);
std::string_view path_basename(std::string_view p);
std::string path_dirname(std::string_view p);

// The one lock every writing verb takes: flock(2) on /run/hibernate-tool/lock inside the
// root. Another holder is waited for up to `wait_ms`, then the lock is refused with a
// message naming the holder (pid and verb, which the holder writes into the file).
class RootLock {
public:
        static constexpr const char *PATH = "/run/hibernate-tool/lock";
        static Result<RootLock> take(const Host &host, std::string_view verb, unsigned wait_ms = 30000);
        RootLock(RootLock &&) noexcept = default;
        RootLock &operator=(RootLock &&) noexcept = default;

private:
        RootLock() = default;
        Fd fd_;
};

}  // namespace ht
