// SPDX-License-Identifier: LGPL-2.1-or-later
// The host layer: every path the tool touches is an absolute path *inside* a root
// directory (--root, default "/"). Symlinks are followed without ever leaving the root,
// so the same code serves the running machine, an installer's target and test fixtures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

#include "result.hh"

namespace ht {

class Host {
public:
        explicit Host(std::string root = "/");

        const std::string &root() const { return root_; }
        bool is_real_root() const { return root_ == "/"; }

        // Host path for an absolute path inside the root (no symlink resolution).
        std::string path(std::string_view abs) const;

        // Follows symlinks inside the root (absolute targets are re-rooted, ".." stops at
        // the root, at most 40 links: ELOOP). Returns the canonical absolute path inside
        // the root. The final component need not exist when allow_missing_last is set.
        Result<std::string> canonicalize(std::string_view abs, bool allow_missing_last = false) const;

        // Reads a whole (small) file; files bigger than max_bytes are an error (EFBIG).
        Result<std::string> read_file(std::string_view abs, size_t max_bytes = 4u << 20) const;
        // First line of a file without the trailing newline (sysfs attributes).
        Result<std::string> read_line(std::string_view abs) const;
        // pread() of exactly len bytes at offset; short files are an error (EIO, "truncated").
        Result<std::string> read_at(std::string_view abs, uint64_t offset, size_t len) const;

        Result<std::vector<std::string>> list_dir(std::string_view abs) const;  // sorted names
        bool exists(std::string_view abs) const;
        Result<struct ::stat> stat(std::string_view abs) const;  // follows links inside root
        // Writes a file atomically: temp file in the same directory, fsync, rename, fsync of
        // the directory. Creates missing parent directories (mode 0755).
        Status write_file_atomic(std::string_view abs, std::string_view content, mode_t mode = 0644) const;

        // Opens read-only (O_CLOEXEC|O_NOCTTY) after resolving inside the root.
        Result<int> open_read(std::string_view abs) const;

private:
        std::string root_;
};

// Helpers on absolute in-root paths.
std::string path_join(std::string_view dir, std::string_view name);
std::string_view path_basename(std::string_view p);

}  // namespace ht
