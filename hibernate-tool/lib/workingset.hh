// SPDX-License-Identifier: LGPL-2.1-or-later
// The working set: which file pages and which anonymous memory of the running processes
// are resident, recorded by `pre` just before hibernating so that `hibernate-tool prefetch`
// can bring it back after resume on a stock kernel (issue 13, part 2).
//
// Recording (record_working_set):
//   * every numeric /proc/<pid>: its start time (field 22 of /proc/<pid>/stat, to tell a
//     reused pid at prefetch), its file-backed mappings (/proc/<pid>/maps, with the device
//     and inode the kernel reports) and the regular files it holds open (/proc/<pid>/fd);
//   * each file once (by device and inode), opened inside the root and compared with what
//     the process maps or holds; cachestat(2) (Linux ≥ 6.5) first tells whether any of it
//     is cached at all, mincore(2) on a PROT_READ mapping of it gives the resident ranges;
//   * anonymous mappings (no path, [heap], [stack]): /proc/<pid>/pagemap's "present" bit
//     gives the ranges in RAM.
//   Bounded by a deadline (default 100 ms) and caps on files, ranges and bytes; what does
//   not fit is left out and the record says so (truncated).
//
// Recording goes process by process, the busiest first (CPU time used, from
// /proc/<pid>/stat): its mapped files, its anonymous memory, its open files — so a deadline
// cuts off the idle processes, not a whole kind of memory.
// Priority order (the order prefetch follows): the files processes map (programs and
// libraries: every interaction needs them), then anonymous memory, then files only held
// open; within each class, the busiest process first.
//
// The record file, /var/lib/hibernate-tool/workingset (WORKINGSET_FILE), is text, written
// atomically, version 1 (see hibernate-tool(8), FILES):
//   hibernate-tool-workingset 1
//   created <unix seconds>
//   boot_id <the kernel's /proc/sys/kernel/random/boot_id>
//   page_size <bytes>
//   elapsed_us <time the recording took>
//   truncated <0|1>
//   then entries, each followed by its ranges:
//   file <class m|o> <dev> <ino> <size> <mtime_ns> <path, %XX-escaped>
//   r <first page> <page count>                  (file ranges, in pages)
//   proc <pid> <start time in ticks> <comm, %XX-escaped>
//   a <start address, hex> <length in bytes>      (anonymous ranges)
//   end <number of lines before this one> <CRC-32 of every byte before this line, hex>
// A record is used only when it parses whole, its version is 1, its CRC matches, its boot_id
// is the running kernel's (a record from before a reboot speaks of other processes and an
// emptied page cache) and it is younger than WORKINGSET_MAX_AGE_SEC. Anything else is
// skipped with one message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace ht {

class Host;

inline constexpr const char *WORKINGSET_FILE = "/var/lib/hibernate-tool/workingset";
inline constexpr unsigned WORKINGSET_VERSION = 1;
inline constexpr uint64_t WORKINGSET_MAX_AGE_SEC = 7 * 24 * 3600;
inline constexpr size_t WORKINGSET_MAX_FILE = 32u << 20;  // a bigger record file is refused

struct WsRange {
        uint64_t start = 0;  // file: first page; anonymous: start address
        uint64_t len = 0;    // file: pages; anonymous: bytes
        bool operator==(const WsRange &) const = default;
};

enum class WsClass : char { Mapped = 'm', Open = 'o' };

struct WsFile {
        WsClass cls = WsClass::Mapped;
        uint64_t dev = 0, ino = 0, size = 0;
        int64_t mtime_ns = 0;
        std::string path;  // absolute, inside the root
        std::vector<WsRange> ranges;
        bool operator==(const WsFile &) const = default;
};

struct WsProc {
        int pid = 0;
        uint64_t start_time = 0;  // /proc/<pid>/stat field 22 (clock ticks since boot)
        std::string comm;
        std::vector<WsRange> ranges;
        bool operator==(const WsProc &) const = default;
};

struct WorkingSet {
        unsigned version = WORKINGSET_VERSION;
        uint64_t created = 0;
        std::string boot_id;
        uint64_t page_size = 4096;
        uint64_t elapsed_us = 0;
        bool truncated = false;
        std::vector<WsFile> files;
        std::vector<WsProc> procs;
        bool operator==(const WorkingSet &) const = default;

        uint64_t file_bytes() const;
        uint64_t anon_bytes() const;
        size_t range_count() const;
        // "412 files (180.2 MiB), 37 processes (95.0 MiB anonymous), recorded in 43 ms"
        std::string summary() const;
};

std::string format_working_set(const WorkingSet &ws);
// EBADMSG: malformed or truncated (message names the line); ENOTSUP: another version.
Result<WorkingSet> parse_working_set(std::string_view text);
// Whether a parsed record may be used now: "" when yes, else why not.
std::string working_set_stale(const WorkingSet &ws, std::string_view boot_id, uint64_t now);

// Anonymous mappings larger than this (virtual size) are not walked: see add_anon().
inline constexpr uint64_t MAX_ANON_MAPPING = 16ull << 30;

struct WsLimits {
        unsigned deadline_ms = 100;
        uint64_t max_bytes = 4ull << 30;  // file + anonymous bytes recorded
        size_t max_files = 4096;
        size_t max_ranges = 65536;
};

// Records the working set of the processes running on the host (its /proc, inside the
// root). Never fails as a whole: unreadable processes and files are passed over.
WorkingSet record_working_set(const Host &host, const WsLimits &lim);

// ---- pieces, exposed for tests -----------------------------------------------------------
// Field 22 of /proc/<pid>/stat (after the parenthesised comm, which may hold anything).
std::optional<uint64_t> parse_stat_start_time(std::string_view stat);
// utime + stime (fields 14 and 15), clock ticks.
std::optional<uint64_t> parse_stat_cpu_ticks(std::string_view stat);
struct MapsEntry {
        uint64_t start = 0, end = 0, offset = 0;
        bool read = false;
        unsigned dev_major = 0, dev_minor = 0;
        uint64_t ino = 0;
        std::string path;  // "" anonymous; "[heap]", "[stack]", … pseudo; "/…" a file
        bool deleted = false;
};
std::vector<MapsEntry> parse_maps(std::string_view text);
// Coalesces a residency vector (one byte per page, bit 0 = resident) into page ranges.
std::vector<WsRange> resident_ranges(const unsigned char *vec, size_t pages, uint64_t first_page = 0);

std::string ws_escape(std::string_view s);
std::optional<std::string> ws_unescape(std::string_view s);

}  // namespace ht
