// SPDX-License-Identifier: LGPL-2.1-or-later
#include "spawn.hh"
#include "initramfs.hh"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "host.hh"


namespace ht {

namespace {

std::optional<uint64_t> hex8(const char *p)
{
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) {
                char c = p[i];
                int d;
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return std::nullopt;
                v = v << 4 | static_cast<uint64_t>(d);
        }
        return v;
}

Status skip(const ByteReader &read, uint64_t n, CpioScan &scan)
{
        char buf[16384];
        while (n) {
                size_t want = n < sizeof buf ? static_cast<size_t>(n) : sizeof buf;
                auto r = read(buf, want);
                if (!r)
                        return r.error();
                scan.consumed += *r;
                if (*r != want)
                        return Error{EBADMSG, "the cpio archive is truncated"};
                n -= want;
        }
        return ok_status();
}

std::string clean_name(std::string n)
{
        while (n.rfind("./", 0) == 0)
                n.erase(0, 2);
        while (!n.empty() && n[0] == '/')
                n.erase(0, 1);
        return n;
}

}  // namespace

Status scan_cpio(const ByteReader &read, CpioScan &scan)
{
        for (;;) {
                char h[110];
                auto r = read(h, sizeof h);
                if (!r)
                        return r.error();
                scan.consumed += *r;
                if (*r == 0)
                        return ok_status();
                if (*r != sizeof h)
                        return Error{EBADMSG, "the cpio archive is truncated"};
                if (std::memcmp(h, "070701", 6) != 0 && std::memcmp(h, "070702", 6) != 0)
                        return Error{EBADMSG, "not a newc cpio header at byte " + std::to_string(scan.consumed - 110)};
                auto filesize = hex8(h + 54), namesize = hex8(h + 94);
                if (!filesize || !namesize || *namesize == 0 || *namesize > INITRAMFS_MAX_NAME)
                        return Error{EBADMSG, "a cpio header has a bad name or file size"};
                // name (NUL-terminated), padded so that header + name is a multiple of 4
                std::string name(static_cast<size_t>(*namesize), '\0');
                r = read(name.data(), name.size());
                if (!r)
                        return r.error();
                scan.consumed += *r;
                if (*r != name.size())
                        return Error{EBADMSG, "the cpio archive is truncated"};
                name.resize(name.find('\0') == std::string::npos ? name.size() : name.find('\0'));
                uint64_t pad = (4 - (110 + *namesize) % 4) % 4;
                if (auto st = skip(read, pad, scan); !st)
                        return st;
                if (name == "TRAILER!!!") {
                        scan.trailer = true;
                        return ok_status();
                }
                if (scan.names.size() >= INITRAMFS_MAX_ENTRIES)
                        return Error{E2BIG, "more than " + std::to_string(INITRAMFS_MAX_ENTRIES) + " files"};
                if (*filesize > INITRAMFS_MAX_BYTES || scan.consumed + *filesize > INITRAMFS_MAX_BYTES)
                        return Error{EFBIG, "more than " + std::to_string(INITRAMFS_MAX_BYTES >> 20) + " MiB"};
                scan.names.push_back(clean_name(std::move(name)));
                if (auto st = skip(read, *filesize + (4 - *filesize % 4) % 4, scan); !st)
                        return st;
        }
}

std::string compression_of(std::string_view h)
{
        auto starts = [&](std::string_view m) { return h.size() >= m.size() && h.substr(0, m.size()) == m; };
        if (starts("\x1f\x8b") || starts("\x1f\x9e"))
                return "gzip";
        if (starts("\x28\xb5\x2f\xfd"))
                return "zstd";
        if (starts(std::string_view("\xfd" "7zXZ\0", 6)))
                return "xz";
        if (starts(std::string_view("\x5d\x00\x00", 3)))
                return "lzma";
        if (starts("BZh"))
                return "bzip2";
        if (starts("\x02\x21\x4c\x18") || starts("\x04\x22\x4d\x18"))
                return "lz4";
        return {};
}

Result<std::vector<std::string>> list_cpio_buffer(std::string_view data, size_t *rest_offset)
{
        std::vector<std::string> names;
        size_t pos = 0;
        for (;;) {
                while (pos < data.size() && data[pos] == '\0')
                        pos++;
                if (pos >= data.size() || data.substr(pos, 4) != "0707")
                        break;
                CpioScan scan;
                size_t at = pos;
                ByteReader rd = [&](char *buf, size_t n) -> Result<size_t> {
                        size_t k = std::min(n, data.size() - at);
                        std::memcpy(buf, data.data() + at, k);
                        at += k;
                        return k;
                };
                if (auto st = scan_cpio(rd, scan); !st)
                        return st.error();
                for (auto &n : scan.names)
                        names.push_back(std::move(n));
                pos = at;
                if (names.size() > INITRAMFS_MAX_ENTRIES)
                        return Error{E2BIG, "more than " + std::to_string(INITRAMFS_MAX_ENTRIES) + " files"};
                if (!scan.trailer)
                        break;
        }
        if (rest_offset)
                *rest_offset = std::min(pos, data.size());
        return names;
}

namespace {

// Runs the decompressor with stdin = the image from offset, scanning its output.
Status scan_compressed(int image_fd, uint64_t offset, const std::string &kind, std::vector<std::string> &names)
{
        const char *prog = kind == "gzip" ? "gzip" : kind == "zstd" ? "zstd" : kind == "bzip2" ? "bzip2"
                           : kind == "lz4"                          ? "lz4"
                                                                    : "xz";
        if (::lseek(image_fd, static_cast<off_t>(offset), SEEK_SET) < 0)
                return Error::from_errno(errno, "seek");
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        so.stdin_fd = image_fd;
        so.stderr_null = true;
        auto child = spawn_piped({prog, "-dc"}, so);
        if (!child)
                return Error{child.error().code, std::string("cannot run ") + prog + " to decompress the " + kind +
                                                         " part: " + child.error().message};
        Fd rd = std::move(child->out);
        pid_t pid = child->pid;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(INITRAMFS_TIMEOUT_SEC);
        bool timed_out = false;
        ByteReader reader = [&](char *buf, size_t n) -> Result<size_t> {
                size_t got = 0;
                while (got < n) {
                        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now()).count();
                        if (left <= 0) {
                                timed_out = true;
                                return Error{ETIMEDOUT, "decompressing took longer than " +
                                                                std::to_string(INITRAMFS_TIMEOUT_SEC) + " s"};
                        }
                        struct pollfd pf{rd.get(), POLLIN, 0};
                        int r = ::poll(&pf, 1, static_cast<int>(left));
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r < 0)
                                return Error::from_errno(errno, "poll");
                        if (r == 0)
                                continue;
                        ssize_t k = ::read(rd.get(), buf + got, n - got);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return Error::from_errno(errno, "read");
                        if (k == 0)
                                break;
                        got += static_cast<size_t>(k);
                }
                return got;
        };
        Status result = ok_status();
        // Archives may follow one another inside the compressed stream too.
        for (;;) {
                CpioScan scan;
                scan.names.swap(names);
                auto st = scan_cpio(reader, scan);
                scan.names.swap(names);
                if (!st) {
                        result = st;
                        break;
                }
                if (!scan.trailer)
                        break;
                // zero padding, then maybe another archive
                char c = 0;
                Result<size_t> r = size_t{0};
                while ((r = reader(&c, 1)) && *r == 1 && c == '\0') {
                }
                if (!r || *r == 0)
                        break;
                char rest[5];
                auto r2 = reader(rest, 5);
                if (!r2 || *r2 != 5)
                        break;
                std::string magic = std::string(1, c) + std::string(rest, 5);
                if (magic != "070701" && magic != "070702")
                        break;
                // re-inject the 6 magic bytes
                std::string pending = magic;
                ByteReader base = reader;
                reader = [pending, base](char *buf, size_t n) mutable -> Result<size_t> {
                        size_t k = std::min(n, pending.size());
                        std::memcpy(buf, pending.data(), k);
                        pending.erase(0, k);
                        if (k == n)
                                return k;
                        auto r3 = base(buf + k, n - k);
                        if (!r3)
                                return r3.error();
                        return k + *r3;
                };
        }
        (void) spawn_reap(pid, true);
        if (!result.ok())
                return result.error();
        if (timed_out)
                return Error{ETIMEDOUT, "decompressing timed out"};
        return ok_status();
}

}  // namespace

Result<std::vector<std::string>> list_initramfs(const Host &host, const std::string &abs)
{
        auto fd = host.open_read(abs);
        if (!fd)
                return fd.error();
        Fd f(*fd);
        // The uncompressed archives at the front (early microcode etc.) are read whole into
        // memory only up to a bound; the compressed remainder is streamed.
        std::vector<std::string> names;
        uint64_t pos = 0;
        for (;;) {
                char head[8] = {};
                // skip the zero padding between archives, a block at a time
                Result<size_t> n = size_t{0};
                for (;;) {
                        char pad[512];
                        n = pread_full(f.get(), pad, sizeof pad, pos);
                        if (!n || *n == 0)
                                break;
                        size_t z = 0;
                        while (z < *n && pad[z] == '\0')
                                z++;
                        pos += z;
                        if (pos > INITRAMFS_MAX_BYTES)
                                return Error{EFBIG, "'" + abs + "' is too large"};
                        if (z < *n)
                                break;
                }
                if (!n)
                        return Error{n.error().code, "Failed to read '" + abs + "': " + n.error().message};
                if (*n == 0)
                        break;
                n = pread_full(f.get(), head, sizeof head, pos);
                if (!n)
                        return Error{n.error().code, "Failed to read '" + abs + "': " + n.error().message};
                std::string_view hv(head, *n);
                if (hv.substr(0, 4) == "0707") {
                        CpioScan scan;
                        scan.names.swap(names);
                        uint64_t at = pos;
                        ByteReader rd = [&](char *buf, size_t len) -> Result<size_t> {
                                auto got = pread_full(f.get(), buf, len, at);
                                if (got)
                                        at += *got;
                                return got;
                        };
                        auto st = scan_cpio(rd, scan);
                        scan.names.swap(names);
                        if (!st)
                                return Error{st.error().code, "'" + abs + "': " + st.error().message};
                        pos = at;
                        if (!scan.trailer)
                                break;
                        continue;
                }
                std::string kind = compression_of(hv);
                if (kind.empty())
                        return Error{EBADMSG, "'" + abs + "' holds neither a cpio archive nor a known compression at byte " +
                                                      std::to_string(pos)};
                if (kind == "lzma")
                        kind = "xz";  // xz -dc reads .lzma too
                if (auto st = scan_compressed(f.get(), pos, kind, names); !st)
                        return Error{st.error().code, "'" + abs + "' (" + kind + "): " + st.error().message};
                break;
        }
        return names;
}

}  // namespace ht
