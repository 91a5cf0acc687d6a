// SPDX-License-Identifier: LGPL-2.1-or-later
// What is inside an initramfs image: the file names of its cpio archives, read with a small
// bounded reader (no lsinitramfs/lsinitrd needed, so fixture roots exercise the same code).
// An image is one or more "newc" cpio archives (magic 070701/070702) back to back, each
// padded with zeros; the last may be compressed (gzip, zstd, xz, lzma, bzip2, lz4: by magic).
// A compressed part is decompressed by the matching program from the host's PATH (gzip,
// zstd, xz, bzip2, lz4), reading the image file itself, its output bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace ht {

class Host;

inline constexpr size_t INITRAMFS_MAX_ENTRIES = 200000;
inline constexpr size_t INITRAMFS_MAX_NAME = 4096;
inline constexpr uint64_t INITRAMFS_MAX_BYTES = 2ULL << 30;  // decompressed, per image
inline constexpr int INITRAMFS_TIMEOUT_SEC = 60;

// Reads exactly n bytes into buf (n == 0 allowed); returns the count read (< n only at the end).
using ByteReader = std::function<Result<size_t>(char *buf, size_t n)>;

struct CpioScan {
        std::vector<std::string> names;  // without a leading "./" or "/"
        bool trailer = false;            // ended at a TRAILER!!! entry (more may follow)
        uint64_t consumed = 0;           // bytes read from the reader
};
// Parses newc cpio entries from the reader up to (and including) the trailer, or the end.
// Names are added to scan.names; bounded by INITRAMFS_MAX_ENTRIES / _NAME / _BYTES.
Status scan_cpio(const ByteReader &read, CpioScan &scan);

// The same over a buffer, and the concatenation of uncompressed archives (zero padding in
// between). Stops at the first compressed part; *rest_offset tells where it starts (or
// data.size()). Pure: for tests and the fuzzer.
Result<std::vector<std::string>> list_cpio_buffer(std::string_view data, size_t *rest_offset = nullptr);

// Compression of a part by its first bytes: "gzip", "zstd", "xz", "lzma", "bzip2", "lz4", "" (cpio or
// unknown).
std::string compression_of(std::string_view head);

// Every file name in the initramfs image at abs (inside the root).
Result<std::vector<std::string>> list_initramfs(const Host &host, const std::string &abs);

}  // namespace ht
