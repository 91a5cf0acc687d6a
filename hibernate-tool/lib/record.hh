// SPDX-License-Identifier: LGPL-2.1-or-later
// The hibernation record: what the resume side needs to decide whether resuming is safe,
// stored where the initramfs can read it without mounting anything — in the unused part
// of the resume swap's header page, which the kernel reads, modifies at its end and writes
// back whole when it writes (and when it resets) its signature.
//
// Header page layout (PAGE_SIZE 4096):
//   [0, 1024)      boot bits (left alone: boot loaders and disk labels may live there)
//   [1024, 1536)   swap header (version, last_page, nr_badpages, UUID, label, padding)
//   [1536, …)      bad-block list, nr_badpages entries of u32 (we require nr_badpages == 0)
//   [2048, 4056)   the record (RECORD_OFFSET, RECORD_MAX)
//   [4056, 4096)   the kernel's swsusp header (hw_sig, crc32, image, flags, orig_sig, sig)
//
// Record v3 (little-endian; v2 is the same without bytes 93 and 104-135, its boot entry at
// 104; v1 also without 92-103, its boot entry at 92):
//   0  8  magic "HTRECORD"        8  u16 version (3)     10 u16 total length
//   12 u32 CRC-32 (IEEE) of bytes [16, length)
//   16 u64 creation time (Unix seconds)
//   24 65 kernel release (NUL-padded)
//   89 u8  number of filesystem entries N
//   90 u16 boot entry length L
//   92 u8  state (0 armed, 1 bound)   93 u8 reboots tried for this image (v3)
//   94 2 bytes reserved (0)
//   96 u64 image fingerprint (0 while armed)
//   104 16 UUID of the filesystem holding GRUB's environment block (all 0: none)  (v3)
//   120 u64 byte position of that 1024-byte block on the filesystem's device     (v3)
//   128 8 bytes reserved (0)                                                         (v3)
//   136 L bytes boot entry id
//   then N entries of 32 bytes:
//      0 16 filesystem UUID   16 u8 kind (1 ext2/3/4, 2 btrfs, 3 xfs, 0 other)
//      17 u8 flags (bit 0: ext4 needs_recovery was set)   18 u16 mount count
//      20 u32 reserved (0)     24 u64 last mount time
//
// The GRUB environment block's place lets the resume helper make the recorded entry GRUB's
// one-shot entry without mounting anything, as GRUB's own save_env does (in place), when
// the image must be restored by the kernel that wrote it; "reboots" bounds that to one
// reboot per image (resumer.hh: run_resume).
//
// Lifetime: a record speaks for exactly one image. `record` (the sleep hook's pre) writes it
// *armed*: it stands for the next image the kernel writes. When the resume helper hands that
// image to the kernel it *binds* the record to it (state bound + the image's fingerprint:
// bytes the kernel writes anew for every image — the swsusp header's hw_sig, crc32 and image
// sector (not the flags) — and the image's first map page and swsusp_info page). A bound record
// whose fingerprint differs from the image found is stale and ignored ("no record"). The
// record is cleared by invalidation, by `post` (after resume, failure, refusal and at the
// next boot) and by the resume helper whenever it finds no image, so a stale armed record
// needs a hibernation that passed neither the helper nor `post` (see hibernate-tool(8)).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace ht {

inline constexpr size_t RECORD_OFFSET = 2048;
inline constexpr size_t RECORD_END = 4056;  // the swsusp header starts here (PAGE_SIZE 4096)
inline constexpr uint16_t RECORD_VERSION = 3;
inline constexpr std::string_view RECORD_MAGIC = "HTRECORD";

enum class FsKind : uint8_t { Other = 0, Ext = 1, Btrfs = 2, Xfs = 3 };
const char *fs_kind_name(FsKind k);
// Only ext2/3/4 carry a change marker the initramfs can read without mounting
// (mount count, last mount time, journal recovery flag). Others are recorded, and
// reported as unverified at resume.
inline bool fs_kind_covered(FsKind k) { return k == FsKind::Ext; }

struct FsMark {
        std::array<uint8_t, 16> uuid{};
        FsKind kind = FsKind::Other;
        bool needs_recovery = false;
        uint16_t mount_count = 0;
        uint64_t last_mount = 0;
        // Not stored; for messages when the record is written.
        std::string fstype, mountpoint;

        std::string uuid_str() const;
};

enum class RecordState : uint8_t { Armed = 0, Bound = 1 };

// Where GRUB's environment block (grubenv, one 1024-byte block) lies on disk: the filesystem
// by UUID, and the block's byte position on that filesystem's device.
struct GrubEnvLocation {
        std::array<uint8_t, 16> fs_uuid{};
        uint64_t offset = 0;
        std::string fs_uuid_str() const;
        bool operator==(const GrubEnvLocation &) const = default;
};

struct HibRecord {
        uint16_t version = RECORD_VERSION;
        RecordState state = RecordState::Armed;
        uint64_t image_id = 0;  // fingerprint of the image it is bound to (state Bound)
        uint64_t created = 0;
        std::string kernel_release;
        std::string boot_entry;
        std::vector<FsMark> filesystems;
        std::optional<GrubEnvLocation> grubenv;  // v3: where next_entry can be set unmounted
        uint8_t reboots = 0;                     // v3: reboots the helper tried for this image
};

uint32_t crc32_ieee(std::string_view data);

// Encodes to at most RECORD_END - RECORD_OFFSET bytes.
Result<std::string> encode_record(const HibRecord &r);

// Decodes the record region. nullopt: no record there (no magic).
// Error code ENOTSUP: a newer format version (message names it); EBADMSG: corrupt.
Result<std::optional<HibRecord>> decode_record(std::string_view region);

// The fingerprint of an image: FNV-1a 64 over what the kernel writes anew for each image —
// the swsusp header's hw_sig, crc32, image and flags (the 20 bytes before orig_sig) — and
// the image's first swap map page and swsusp_info page (either may be empty when
// unreadable). Never 0.
uint64_t image_fingerprint(std::string_view header_page, std::string_view map_page, std::string_view info_page);

// Whether a decoded record speaks for the image with this fingerprint: an armed record
// speaks for the first image after it, a bound one only for the image it was bound to.
bool record_matches(const HibRecord &r, uint64_t fingerprint);

// The header page with the record region replaced by rec (nullptr: cleared).
Result<std::string> page_with_record(std::string_view page, const HibRecord *rec);
// True when the page's record region starts with our magic (a record, maybe corrupt).
bool page_has_record(std::string_view page);

// ext2/3/4 superblock (the 1024 bytes at byte 1024 of the filesystem).
Result<FsMark> parse_ext_superblock(std::string_view sb);
std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view s);  // "8d5f1c2e-…"

// Compare a recorded mark with the filesystem as it is now. Empty string: unchanged.
std::string fs_change(const FsMark &then, const FsMark &now);

// ---- the swap header page on disk ---------------------------------------------------------
class Host;

// Reads the header page bypassing the page cache (O_DIRECT where the file system allows
// it): the kernel writes this page with direct bios, so a cached copy may be stale.
Result<std::string> read_header_page(const Host &host, const std::string &dev, uint64_t offset, size_t page_size);
// Writes the whole page in one synced write (O_DIRECT|O_SYNC where allowed, then fsync)
// and reads it back to verify.
Status write_header_page(const Host &host, const std::string &dev, uint64_t offset, std::string_view page);

// The record region of a header page, after checking the page is a swap header we may
// write into (SWAPSPACE2, nr_badpages == 0, region empty or holding our record).
Status check_record_space(std::string_view page);

}  // namespace ht
