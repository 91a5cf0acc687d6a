// SPDX-License-Identifier: LGPL-2.1-or-later
// `hibernate-tool prefetch`: after resume, bring the working set `pre` recorded
// (lib/workingset.hh) back into memory on a stock kernel, in the record's priority order —
// file ranges with posix_fadvise(POSIX_FADV_WILLNEED), anonymous ranges of processes that
// still run with process_madvise(MADV_WILLNEED) on a pidfd (Linux ≥ 5.10) — in pieces of at
// most PREFETCH_CHUNK bytes. Before each piece it reads /proc/meminfo and /proc/vmstat: it
// stops when MemAvailable would fall below the configured threshold or when the system
// started swapping out (pswpout grew), so it never pushes other memory out to make room. It
// stops between pieces when asked to (SIGTERM). Processes that exited or whose pid was
// reused (another start time), files that changed or vanished: skipped and counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "checks.hh"
#include "json.hh"
#include "result.hh"
#include "workingset.hh"

namespace ht {

class Host;
struct Config;

inline constexpr uint64_t PREFETCH_CHUNK = 4u << 20;
inline constexpr const char *PREFETCH_UNIT = "hibernate-tool-prefetch.service";

struct PrefetchReport {
        bool ran = false;          // a usable record was found
        std::string no_record;     // why not (missing, bad, stale), when !ran
        // What the record held.
        size_t rec_files = 0, rec_procs = 0;
        uint64_t rec_file_bytes = 0, rec_anon_bytes = 0, rec_elapsed_us = 0;
        bool rec_truncated = false;
        // What was brought back (bytes asked for: the kernel reads what is not resident yet).
        size_t files_done = 0, files_changed = 0, files_vanished = 0, files_failed = 0;
        size_t procs_done = 0, procs_exited = 0, procs_reused = 0, procs_failed = 0;
        uint64_t file_bytes = 0, anon_bytes = 0;
        // process_madvise: nullopt when no anonymous range was tried.
        std::optional<bool> process_madvise;
        std::string stopped;  // "" finished; "memory", "swapping", "signal"
        uint64_t elapsed_ms = 0;

        // One line: "brought back 412/412 files (180.2 MiB) and 35/37 processes (…) in 830 ms; …"
        std::string summary() const;
        // The --json document (lib/json.hh): the counts above, "stopped", "message".
        Json json() const;
};

// Prefetches ws (already validated). stop: checked between pieces.
PrefetchReport prefetch_working_set(const Host &host, const Config &cfg, const WorkingSet &ws,
                                    const std::atomic<bool> &stop);

// Loads WORKINGSET_FILE, validates it (parse_working_set, working_set_stale) and prefetches.
// `record_text` receives the record as read, so the caller can remove exactly that record.
PrefetchReport prefetch_from_record(const Host &host, const Config &cfg, const std::atomic<bool> &stop,
                                    std::string &record_text);

// Adds (replaces) PREFETCH= in LAST_HIBERNATE_FILE. The caller holds the RootLock.
Status note_prefetch_outcome(const Host &host, const PrefetchReport &r);

// `pre`: records the working set into WORKINGSET_FILE (or removes a left-over record when
// prefetching is disabled). Returns the step line for pre's report; never fails pre.
std::string record_for_prefetch(const Host &host, const Config &cfg, std::string &summary);

// `post` after a resume: starts PREFETCH_UNIT without waiting for it (systemctl --no-block)
// when enabled, on the running system, with a record present. Other outcomes remove the
// record. Returns the step line ("" when nothing was done).
std::string start_prefetch_after(const Host &host, const Config &cfg, bool resumed);

// Whether this kernel has process_madvise(MADV_WILLNEED): Linux ≥ 5.10 by the root's
// /proc/sys/kernel/osrelease.
std::optional<bool> kernel_has_process_madvise(const Host &host);

// hibernate-check's "prefetch" entry.
CheckResult check_prefetch(const Host &host, const Config &cfg);

}  // namespace ht
