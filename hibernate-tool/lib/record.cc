// SPDX-License-Identifier: LGPL-2.1-or-later
#include "record.hh"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/suspend_ioctls.h>
#include <memory>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host.hh"
#include "parse.hh"

namespace ht {

namespace {

uint16_t get16(std::string_view s, size_t o)
{
        return static_cast<uint16_t>(static_cast<unsigned char>(s[o]) | (static_cast<unsigned char>(s[o + 1]) << 8));
}
uint32_t get32(std::string_view s, size_t o)
{
        uint32_t v = 0;
        for (size_t i = 0; i < 4; i++)
                v |= static_cast<uint32_t>(static_cast<unsigned char>(s[o + i])) << (8 * i);
        return v;
}
uint64_t get64(std::string_view s, size_t o)
{
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v |= static_cast<uint64_t>(static_cast<unsigned char>(s[o + i])) << (8 * i);
        return v;
}
void put16(std::string &s, size_t o, uint16_t v)
{
        s[o] = static_cast<char>(v & 0xff);
        s[o + 1] = static_cast<char>(v >> 8);
}
void put32(std::string &s, size_t o, uint32_t v)
{
        for (size_t i = 0; i < 4; i++)
                s[o + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(std::string &s, size_t o, uint64_t v)
{
        for (size_t i = 0; i < 8; i++)
                s[o + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

constexpr size_t HDR_V1 = 92;
constexpr size_t HDR_V2 = 104;
constexpr size_t HDR = 136;
constexpr size_t ENTRY = 32;
constexpr size_t RELEASE_LEN = 65;

struct FreeDeleter {
        void operator()(void *p) const { std::free(p); }
};

}  // namespace

const char *fs_kind_name(FsKind k)
{
        switch (k) {
        case FsKind::Ext: return "ext2/3/4";
        case FsKind::Btrfs: return "btrfs";
        case FsKind::Xfs: return "xfs";
        case FsKind::Other: return "other";
        }
        return "other";
}

namespace {

std::string format_uuid(const std::array<uint8_t, 16> &uuid)
{
        static const char hex[] = "0123456789abcdef";
        std::string s;
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        s.push_back('-');
                s.push_back(hex[uuid[i] >> 4]);
                s.push_back(hex[uuid[i] & 15]);
        }
        return s;
}

}  // namespace

std::string FsMark::uuid_str() const
{
        return format_uuid(uuid);
}

std::string GrubEnvLocation::fs_uuid_str() const
{
        return format_uuid(fs_uuid);
}

uint32_t crc32_ieee(std::string_view data)
{
        static uint32_t table[256];
        static bool init = [] {
                for (uint32_t i = 0; i < 256; i++) {
                        uint32_t c = i;
                        for (int k = 0; k < 8; k++)
                                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
                        table[i] = c;
                }
                return true;
        }();
        (void) init;
        uint32_t crc = 0xffffffffu;
        for (unsigned char ch : data)
                crc = table[(crc ^ ch) & 0xff] ^ (crc >> 8);
        return crc ^ 0xffffffffu;
}

std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view s)
{
        std::array<uint8_t, 16> u{};
        size_t n = 0;
        int hi = -1;
        for (char c : s) {
                if (c == '-')
                        continue;
                int v;
                if (c >= '0' && c <= '9')
                        v = c - '0';
                else if (c >= 'a' && c <= 'f')
                        v = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v = c - 'A' + 10;
                else
                        return std::nullopt;
                if (hi < 0) {
                        hi = v;
                } else {
                        if (n >= 16)
                                return std::nullopt;
                        u[n++] = static_cast<uint8_t>(hi << 4 | v);
                        hi = -1;
                }
        }
        if (n != 16 || hi >= 0)
                return std::nullopt;
        return u;
}

Result<std::string> encode_record(const HibRecord &r)
{
        if (r.kernel_release.size() >= RELEASE_LEN)
                return Error{EINVAL, "kernel release '" + printable(r.kernel_release) + "' is too long for the record"};
        if (r.filesystems.size() > 255)
                return Error{E2BIG, "too many filesystems for the hibernation record"};
        size_t len = HDR + r.boot_entry.size() + ENTRY * r.filesystems.size();
        if (len > RECORD_END - RECORD_OFFSET || r.boot_entry.size() > 0xffff)
                return Error{E2BIG, "the hibernation record (" + std::to_string(len) + " bytes for " +
                                            std::to_string(r.filesystems.size()) +
                                            " filesystems) does not fit the swap header's free space"};
        std::string b(len, '\0');
        std::memcpy(b.data(), RECORD_MAGIC.data(), 8);
        put16(b, 8, RECORD_VERSION);
        put16(b, 10, static_cast<uint16_t>(len));
        put64(b, 16, r.created);
        std::memcpy(b.data() + 24, r.kernel_release.data(), r.kernel_release.size());
        b[89] = static_cast<char>(r.filesystems.size());
        put16(b, 90, static_cast<uint16_t>(r.boot_entry.size()));
        b[92] = static_cast<char>(r.state);
        b[93] = static_cast<char>(r.reboots);
        put64(b, 96, r.state == RecordState::Bound ? r.image_id : 0);
        if (r.grubenv) {
                if (r.grubenv->fs_uuid == std::array<uint8_t, 16>{})
                        return Error{EINVAL, "the GRUB environment block's filesystem has a null UUID"};
                std::memcpy(b.data() + 104, r.grubenv->fs_uuid.data(), 16);
                put64(b, 120, r.grubenv->offset);
        }
        std::memcpy(b.data() + HDR, r.boot_entry.data(), r.boot_entry.size());
        size_t o = HDR + r.boot_entry.size();
        for (auto &f : r.filesystems) {
                std::memcpy(b.data() + o, f.uuid.data(), 16);
                b[o + 16] = static_cast<char>(f.kind);
                b[o + 17] = static_cast<char>(f.needs_recovery ? 1 : 0);
                put16(b, o + 18, f.mount_count);
                put64(b, o + 24, f.last_mount);
                o += ENTRY;
        }
        put32(b, 12, crc32_ieee(std::string_view(b).substr(16)));
        return b;
}

Result<std::optional<HibRecord>> decode_record(std::string_view region)
{
        if (region.size() < HDR_V1 || region.substr(0, 8) != RECORD_MAGIC)
                return std::optional<HibRecord>{};
        HibRecord r;
        r.version = get16(region, 8);
        size_t len = get16(region, 10);
        if (r.version > RECORD_VERSION)
                return Error{ENOTSUP, "the hibernation record has format version " + std::to_string(r.version) +
                                              ", newer than this hibernate-tool understands (" +
                                              std::to_string(RECORD_VERSION) + ")"};
        size_t hdr = r.version == 1 ? HDR_V1 : r.version == 2 ? HDR_V2 : HDR;
        if (r.version == 0 || len < hdr || len > region.size())
                return Error{EBADMSG, "the hibernation record has a bad length or version"};
        if (crc32_ieee(region.substr(16, len - 16)) != get32(region, 12))
                return Error{EBADMSG, "the hibernation record fails its checksum"};
        r.created = get64(region, 16);
        std::string_view rel = region.substr(24, RELEASE_LEN);
        r.kernel_release = std::string(rel.substr(0, rel.find('\0')));
        size_t n = static_cast<unsigned char>(region[89]);
        size_t bl = get16(region, 90);
        if (hdr + bl + n * ENTRY != len)
                return Error{EBADMSG, "the hibernation record's entries do not add up to its length"};
        if (r.version >= 2) {
                uint8_t state = static_cast<uint8_t>(region[92]);
                if (state > 1)
                        return Error{EBADMSG, "the hibernation record has an unknown state " + std::to_string(state)};
                r.state = static_cast<RecordState>(state);
                r.image_id = get64(region, 96);
                if ((r.state == RecordState::Bound) != (r.image_id != 0))
                        return Error{EBADMSG, "the hibernation record's state and image fingerprint disagree"};
        }
        if (r.version >= 3) {
                r.reboots = static_cast<uint8_t>(region[93]);
                GrubEnvLocation g;
                std::memcpy(g.fs_uuid.data(), region.data() + 104, 16);
                g.offset = get64(region, 120);
                if (g.fs_uuid != std::array<uint8_t, 16>{}) {
                        if (g.offset % 512 != 0)
                                return Error{EBADMSG, "the hibernation record's GRUB environment block is not "
                                                      "sector-aligned"};
                        r.grubenv = g;
                }
        }
        r.boot_entry = std::string(region.substr(hdr, bl));
        size_t o = hdr + bl;
        for (size_t i = 0; i < n; i++, o += ENTRY) {
                FsMark f;
                std::memcpy(f.uuid.data(), region.data() + o, 16);
                uint8_t kind = static_cast<uint8_t>(region[o + 16]);
                f.kind = kind <= 3 ? static_cast<FsKind>(kind) : FsKind::Other;
                f.needs_recovery = region[o + 17] & 1;
                f.mount_count = get16(region, o + 18);
                f.last_mount = get64(region, o + 24);
                r.filesystems.push_back(f);
        }
        return std::optional<HibRecord>{r};
}

uint64_t image_fingerprint(std::string_view header_page, std::string_view map_page, std::string_view info_page)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        auto feed = [&](std::string_view s) {
                for (unsigned char c : s) {
                        h ^= c;
                        h *= 0x100000001b3ULL;
                }
                // length separator: "ab"+"" differs from "a"+"b"
                for (int i = 0; i < 8; i++) {
                        h ^= (s.size() >> (8 * i)) & 0xff;
                        h *= 0x100000001b3ULL;
                }
        };
        // hw_sig, crc32 and image (the first swap-map sector): not the flags, which say how
        // the image is stored, not which image it is.
        feed(header_page.size() >= 40 ? header_page.substr(header_page.size() - 40, 16) : header_page);
        feed(map_page);
        feed(info_page);
        return h ? h : 1;
}

bool record_matches(const HibRecord &r, uint64_t fingerprint)
{
        return r.state == RecordState::Armed || r.image_id == fingerprint;
}

Result<std::string> page_with_record(std::string_view page, const HibRecord *rec)
{
        if (page.size() < RECORD_END)
                return Error{EINVAL, "the swap header page is too small for the hibernation record"};
        std::string np(page);
        std::memset(np.data() + RECORD_OFFSET, 0, RECORD_END - RECORD_OFFSET);
        if (rec) {
                auto bytes = encode_record(*rec);
                if (!bytes)
                        return bytes.error();
                std::memcpy(np.data() + RECORD_OFFSET, bytes->data(), bytes->size());
        }
        return np;
}

bool page_has_record(std::string_view page)
{
        return page.size() >= RECORD_END && page.substr(RECORD_OFFSET, RECORD_MAGIC.size()) == RECORD_MAGIC;
}

Result<FsMark> parse_ext_superblock(std::string_view sb)
{
        if (sb.size() < 1024)
                return Error{EINVAL, "ext superblock is truncated"};
        if (get16(sb, 0x38) != 0xEF53)
                return Error{EINVAL, "no ext2/3/4 superblock"};
        FsMark m;
        m.kind = FsKind::Ext;
        m.mount_count = get16(sb, 0x34);
        m.last_mount = get32(sb, 0x2C) | (static_cast<uint64_t>(static_cast<unsigned char>(sb[0x274])) << 32);
        m.needs_recovery = get32(sb, 0x60) & 0x4;
        std::memcpy(m.uuid.data(), sb.data() + 0x68, 16);
        m.fstype = "ext4";
        return m;
}

std::string fs_change(const FsMark &then, const FsMark &now)
{
        if (then.kind != FsKind::Ext)
                return {};
        if (now.mount_count != then.mount_count)
                return "mounted since hibernation (mount count " + std::to_string(then.mount_count) + " -> " +
                       std::to_string(now.mount_count) + ")";
        if (now.last_mount != then.last_mount)
                return "mounted since hibernation (last mount time changed)";
        if (then.needs_recovery && !now.needs_recovery)
                return "its journal was replayed since hibernation";
        return {};
}

// ---- disk I/O ------------------------------------------------------------------------------

namespace {

// Opens for direct I/O, falling back to buffered I/O where O_DIRECT is not supported
// (tmpfs fixtures); *direct tells which.
Result<int> open_page_io(const Host &host, const std::string &dev, int flags, bool *direct)
{
        auto fd = host.open(dev, flags | O_DIRECT);
        *direct = fd.ok();
        if (!fd && fd.error().code == EINVAL)
                fd = host.open(dev, flags);
        if (!fd)
                return fd.error();
        return fd->release();
}

}  // namespace

Result<std::string> read_header_page(const Host &host, const std::string &dev, uint64_t offset, size_t page_size)
{
        bool direct = false;
        auto fd = open_page_io(host, dev, O_RDONLY, &direct);
        if (!fd)
                return fd.error();
        std::unique_ptr<void, FreeDeleter> buf(std::aligned_alloc(4096, page_size));
        if (!buf) {
                ::close(*fd);
                return Error{ENOMEM, "out of memory"};
        }
        ssize_t n;
        do
                n = ::pread(*fd, buf.get(), page_size, static_cast<off_t>(offset));
        while (n < 0 && errno == EINTR);
        int e = errno;
        ::close(*fd);
        if (n < 0)
                return Error::from_errno(e, "Failed to read the swap header of '" + dev + "'");
        if (static_cast<size_t>(n) != page_size)
                return Error{EIO, "'" + dev + "' is truncated: no complete header page at byte " + std::to_string(offset)};
        return std::string(static_cast<const char *>(buf.get()), page_size);
}

Status write_header_page(const Host &host, const std::string &dev, uint64_t offset, std::string_view page)
{
        bool direct = false;
        auto fd = open_page_io(host, dev, O_WRONLY | O_SYNC, &direct);
        if (!fd)
                return fd.error();
        std::unique_ptr<void, FreeDeleter> buf(std::aligned_alloc(4096, page.size()));
        if (!buf) {
                ::close(*fd);
                return Error{ENOMEM, "out of memory"};
        }
        std::memcpy(buf.get(), page.data(), page.size());
        auto do_write = [&] {
                ssize_t r;
                do
                        r = ::pwrite(*fd, buf.get(), page.size(), static_cast<off_t>(offset));
                while (r < 0 && errno == EINTR);
                return r;
        };
        ssize_t n = do_write();
        int e = errno;
        int snap = -1;
        struct ::stat st;
        if (n < 0 && e == ETXTBSY && host.is_real_root() && ::fstat(*fd, &st) == 0 && S_ISBLK(st.st_mode)) {
                // The kernel refuses writes to an active swap partition unless it is the swap
                // area selected through /dev/snapshot (is_hibernate_resume_dev()), which is how
                // userspace hibernation tools write there. Opening /dev/snapshot runs the
                // PM_HIBERNATION_PREPARE notifiers; closing it, PM_POST_HIBERNATION.
                snap = ::open("/dev/snapshot", O_RDONLY | O_CLOEXEC);
                if (snap >= 0) {
                        struct resume_swap_area area;
                        std::memset(&area, 0, sizeof area);
                        unsigned ma = major(st.st_rdev), mi = minor(st.st_rdev);
                        area.offset = 0;
                        area.dev = (mi & 0xffu) | (ma << 8) | ((mi & ~0xffu) << 12);  // new_encode_dev()
                        if (::ioctl(snap, SNAPSHOT_SET_SWAP_AREA, &area) == 0) {
                                n = do_write();
                                e = errno;
                        } else {
                                e = errno;
                        }
                } else {
                        ::close(*fd);
                        return Error::from_errno(errno, "'" + dev + "' is an active swap partition, which the kernel "
                                                        "only lets a hibernation tool write through /dev/snapshot, "
                                                        "and /dev/snapshot cannot be opened");
                }
        }
        if (n >= 0 && ::fsync(*fd) < 0)
                e = errno, n = -1;
        ::close(*fd);
        if (snap >= 0)
                ::close(snap);
        if (n < 0)
                return Error::from_errno(e, "Failed to write the swap header of '" + dev + "'");
        if (static_cast<size_t>(n) != page.size())
                return Error{EIO, "Short write to the swap header of '" + dev + "'"};
        auto back = read_header_page(host, dev, offset, page.size());
        if (!back)
                return back.error();
        if (*back != page)
                return Error{EIO, "The swap header of '" + dev + "' reads back differently after writing"};
        return ok_status();
}

Status check_record_space(std::string_view page)
{
        if (page.size() != 4096)
                return Error{ENOTSUP, "the hibernation record needs 4096-byte pages"};
        std::string_view sig = page.substr(4086, 10);
        if (sig != std::string_view("SWAPSPACE2", 10))
                return Error{EINVAL, "the resume device's header is not an active swap header (signature '" +
                                             printable(sig.substr(0, sig.find('\0'))) + "')"};
        if (get32(page, 1024) != 1)
                return Error{EINVAL, "the swap header has version " + std::to_string(get32(page, 1024)) + ", not 1"};
        if (get32(page, 1032) != 0)
                return Error{EINVAL, "the swap area lists bad blocks; its header has no room for the record"};
        std::string_view region = page.substr(RECORD_OFFSET, RECORD_END - RECORD_OFFSET);
        if (region.substr(0, 8) == RECORD_MAGIC)
                return ok_status();  // our own earlier record: replaced
        if (region.find_first_not_of('\0') != std::string_view::npos)
                return Error{EEXIST, "the swap header's free space holds data that is not a hibernation record; "
                                     "not overwriting it"};
        return ok_status();
}

}  // namespace ht
