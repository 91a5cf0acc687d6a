// SPDX-License-Identifier: LGPL-2.1-or-later
#include "spawn.hh"
#include "prefetch.hh"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.hh"
#include "host.hh"
#include "parse.hh"
#include "sleep.hh"


namespace ht {

namespace {

// The same numbers on every architecture (the unified syscall table since 424).
#ifdef SYS_pidfd_open
constexpr long NR_PIDFD_OPEN = SYS_pidfd_open;
#else
constexpr long NR_PIDFD_OPEN = 434;
#endif
#ifdef SYS_process_madvise
constexpr long NR_PROCESS_MADVISE = SYS_process_madvise;
#else
constexpr long NR_PROCESS_MADVISE = 440;
#endif
constexpr int ADV_WILLNEED = 3;  // MADV_WILLNEED

std::string mib(uint64_t bytes)
{
        char b[32];
        std::snprintf(b, sizeof b, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
        return b;
}

std::optional<uint64_t> vmstat_value(const Host &host, std::string_view key)
{
        auto t = host.read_file("/proc/vmstat", 1u << 20);
        if (!t)
                return std::nullopt;
        LineReader lines(*t);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
                        return parse_u64(line.substr(key.size() + 1));
        }
        return std::nullopt;
}

class Guard {
public:
        Guard(const Host &host, const Config &cfg, const std::atomic<bool> &stop, PrefetchReport &r)
                : host_(host), cfg_(cfg), stop_(stop), r_(r), pswpout0_(vmstat_value(host, "pswpout"))
        {
        }
        // May `bytes` more be brought in? Sets r.stopped when not.
        bool may(uint64_t bytes)
        {
                if (!r_.stopped.empty())
                        return false;
                if (stop_.load()) {
                        r_.stopped = "signal";
                        return false;
                }
                if (auto mi = host_.read_file("/proc/meminfo", 1u << 20)) {
                        auto m = parse_meminfo(*mi);
                        auto it = m.find("MemAvailable");
                        if (it != m.end() && it->second < cfg_.prefetch_min_available + bytes) {
                                r_.stopped = "memory";
                                return false;
                        }
                }
                if (pswpout0_) {
                        auto now = vmstat_value(host_, "pswpout");
                        if (now && *now > *pswpout0_) {
                                r_.stopped = "swapping";
                                return false;
                        }
                }
                return true;
        }

private:
        const Host &host_;
        const Config &cfg_;
        const std::atomic<bool> &stop_;
        PrefetchReport &r_;
        std::optional<uint64_t> pswpout0_;
};

void prefetch_file(const Host &host, const WsFile &f, uint64_t ps, Guard &g, PrefetchReport &r)
{
        // Only regular files are ever opened (a device node's open may have effects).
        auto pre = host.stat(f.path);
        if (!pre) {
                (pre.error().code == ENOENT ? r.files_vanished : r.files_failed)++;
                return;
        }
        if (!S_ISREG(pre->st_mode) || pre->st_ino != f.ino) {
                r.files_changed++;
                return;
        }
        auto fd = host.open(f.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        if (!fd) {
                (fd.error().code == ENOENT ? r.files_vanished : r.files_failed)++;
                return;
        }
        struct ::stat st;
        if (::fstat(fd->get(), &st) < 0) {
                r.files_failed++;
                return;
        }
        int64_t mt = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        if (!S_ISREG(st.st_mode) || st.st_dev != f.dev || st.st_ino != f.ino ||
            static_cast<uint64_t>(st.st_size) != f.size || mt != f.mtime_ns) {
                r.files_changed++;
                return;
        }
        for (auto &x : f.ranges) {
                uint64_t off = x.start * ps, end = std::min(f.size, (x.start + x.len) * ps);
                while (off < end) {
                        uint64_t n = std::min(PREFETCH_CHUNK, end - off);
                        if (!g.may(n))
                                return;
                        if (::posix_fadvise(fd->get(), static_cast<off_t>(off), static_cast<off_t>(n),
                                            POSIX_FADV_WILLNEED) != 0) {
                                r.files_failed++;
                                return;
                        }
                        r.file_bytes += n;
                        off += n;
                }
        }
        r.files_done++;
}

void prefetch_proc(const Host &host, const WsProc &p, Guard &g, PrefetchReport &r)
{
        if (r.process_madvise == false) {
                r.procs_failed++;
                return;
        }
        std::string stat_path = "/proc/" + std::to_string(p.pid) + "/stat";
        int pidfd = static_cast<int>(::syscall(NR_PIDFD_OPEN, p.pid, 0));
        if (pidfd < 0) {
                if (errno == ESRCH)
                        r.procs_exited++;
                else
                        r.procs_failed++;
                return;
        }
        Fd pfd(pidfd);
        // Checked after pidfd_open: the pidfd names the process that has this start time, or
        // a later one (then skipped), never an earlier one.
        auto st = host.read_file(stat_path, 64 * 1024);
        if (!st) {
                r.procs_exited++;
                return;
        }
        auto start = parse_stat_start_time(*st);
        if (!start || *start != p.start_time) {
                r.procs_reused++;
                return;
        }
        for (auto &x : p.ranges) {
                uint64_t a = x.start, end = x.start + x.len;
                while (a < end) {
                        uint64_t n = std::min(PREFETCH_CHUNK, end - a);
                        if (!g.may(n))
                                return;
                        struct iovec iov{reinterpret_cast<void *>(a), static_cast<size_t>(n)};
                        long rc = ::syscall(NR_PROCESS_MADVISE, pidfd, &iov, 1, ADV_WILLNEED, 0);
                        if (rc < 0) {
                                int e = errno;
                                if (e == ESRCH) {
                                        r.procs_exited++;
                                        return;
                                }
                                if (e == ENOSYS || e == EINVAL) {  // no process_madvise, or not MADV_WILLNEED
                                        if (e == ENOSYS || !r.process_madvise) {
                                                r.process_madvise = false;
                                                r.procs_failed++;
                                                return;
                                        }
                                } else if (e != ENOMEM) {  // ENOMEM: range unmapped since; go on
                                        r.procs_failed++;
                                        return;
                                }
                        } else {
                                r.process_madvise = true;
                                r.anon_bytes += n;
                        }
                        a += n;
                }
        }
        r.procs_done++;
}

std::string release_of(const Host &host)
{
        auto rel = host.read_line("/proc/sys/kernel/osrelease");
        return rel ? *rel : std::string();
}

}  // namespace

std::string PrefetchReport::summary() const
{
        if (!ran)
                return "nothing to prefetch: " + no_record;
        std::string s = "brought back " + std::to_string(files_done) + "/" + std::to_string(rec_files) + " files (" +
                        mib(file_bytes) + " of " + mib(rec_file_bytes) + ") and " + std::to_string(procs_done) + "/" +
                        std::to_string(rec_procs) + " processes (" + mib(anon_bytes) + " of " + mib(rec_anon_bytes) +
                        " anonymous) in " + std::to_string(elapsed_ms) + " ms";
        std::vector<std::string> skipped;
        auto add = [&](size_t n, const char *what) {
                if (n)
                        skipped.push_back(std::to_string(n) + " " + what);
        };
        add(files_changed, "files changed");
        add(files_vanished, "files vanished");
        add(files_failed, "files unreadable");
        add(procs_exited, "processes exited");
        add(procs_reused, "pids reused");
        add(procs_failed, "processes failed");
        if (!skipped.empty()) {
                s += "; skipped:";
                for (size_t i = 0; i < skipped.size(); i++)
                        s += (i ? ", " : " ") + skipped[i];
        }
        if (process_madvise == false)
                s += "; process_madvise(MADV_WILLNEED) unavailable";
        if (stopped == "memory")
                s += "; stopped: MemAvailable reached the threshold";
        else if (stopped == "swapping")
                s += "; stopped: the system started swapping";
        else if (stopped == "signal")
                s += "; stopped on request";
        return s;
}

Json PrefetchReport::json() const
{
        Json j = json_document();
        j["ran"] = ran;
        j["no_record"] = ran ? Json(nullptr) : Json(no_record);
        j["recorded"] = {{"files", rec_files},         {"file_bytes", rec_file_bytes}, {"processes", rec_procs},
                         {"anon_bytes", rec_anon_bytes}, {"elapsed_us", rec_elapsed_us}, {"truncated", rec_truncated}};
        j["files"] = {{"done", files_done},
                      {"changed", files_changed},
                      {"vanished", files_vanished},
                      {"failed", files_failed},
                      {"bytes", file_bytes}};
        j["processes"] = {{"done", procs_done},
                          {"exited", procs_exited},
                          {"reused", procs_reused},
                          {"failed", procs_failed},
                          {"bytes", anon_bytes}};
        j["process_madvise"] = process_madvise ? Json(*process_madvise) : Json(nullptr);
        j["stopped"] = json_nonempty(stopped);
        j["elapsed_ms"] = elapsed_ms;
        j["message"] = summary();
        return j;
}

PrefetchReport prefetch_working_set(const Host &host, const Config &cfg, const WorkingSet &ws,
                                    const std::atomic<bool> &stop)
{
        auto t0 = std::chrono::steady_clock::now();
        PrefetchReport r;
        r.ran = true;
        r.rec_files = ws.files.size();
        r.rec_procs = ws.procs.size();
        r.rec_file_bytes = ws.file_bytes();
        r.rec_anon_bytes = ws.anon_bytes();
        r.rec_elapsed_us = ws.elapsed_us;
        r.rec_truncated = ws.truncated;
        Guard g(host, cfg, stop, r);
        // The record's priority order: mapped files, anonymous memory, open files.
        for (auto &f : ws.files)
                if (f.cls == WsClass::Mapped && r.stopped.empty())
                        prefetch_file(host, f, ws.page_size, g, r);
        for (auto &p : ws.procs) {
                if (!r.stopped.empty())
                        break;
                if (!host.is_real_root()) {  // other processes: not ours to touch
                        r.procs_failed++;
                        continue;
                }
                prefetch_proc(host, p, g, r);
        }
        for (auto &f : ws.files)
                if (f.cls == WsClass::Open && r.stopped.empty())
                        prefetch_file(host, f, ws.page_size, g, r);
        r.elapsed_ms = static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
        return r;
}

PrefetchReport prefetch_from_record(const Host &host, const Config &cfg, const std::atomic<bool> &stop,
                                    std::string &record_text)
{
        PrefetchReport r;
        auto t = host.read_file_if_exists(WORKINGSET_FILE, WORKINGSET_MAX_FILE);
        if (!t) {
                r.no_record = std::string(WORKINGSET_FILE) + ": " + t.error().message;
                return r;
        }
        if (!*t) {
                r.no_record = std::string("no working-set record (") + WORKINGSET_FILE + ")";
                return r;
        }
        record_text = **t;
        auto ws = parse_working_set(record_text);
        if (!ws) {
                r.no_record = std::string(WORKINGSET_FILE) + ": " + ws.error().message + ", skipped";
                return r;
        }
        auto boot_id = host.read_line("/proc/sys/kernel/random/boot_id");
        std::string why = working_set_stale(*ws, boot_id ? *boot_id : std::string(),
                                            static_cast<uint64_t>(std::time(nullptr)));
        if (!why.empty()) {
                r.no_record = std::string(WORKINGSET_FILE) + ": stale record (" + why + "), skipped";
                return r;
        }
        return prefetch_working_set(host, cfg, *ws, stop);
}

Status note_prefetch_outcome(const Host &host, const PrefetchReport &r)
{
        auto t = host.read_file_if_exists(LAST_HIBERNATE_FILE, 64 * 1024);
        if (!t)
                return t.error();
        std::string out;
        if (*t) {
                LineReader lines(**t);
                while (auto next = lines.next()) {
                        std::string line(*next);
                        if (line.rfind("PREFETCH=", 0) != 0 && !line.empty())
                                out += line + "\n";
                }
        }
        std::string line = r.summary();
        std::replace(line.begin(), line.end(), '\n', ' ');
        out += "PREFETCH=" + line + "\n";
        return host.write_file_atomic(LAST_HIBERNATE_FILE, out);
}

std::string record_for_prefetch(const Host &host, const Config &cfg, std::string &summary)
{
        if (!cfg.prefetch_enabled) {
                (void)host.remove(WORKINGSET_FILE);
                return {};
        }
        WsLimits lim;
        lim.deadline_ms = cfg.prefetch_record_deadline_ms;
        lim.max_bytes = cfg.prefetch_max_bytes;
        WorkingSet ws = record_working_set(host, lim);
        if (auto st = host.write_file_atomic(WORKINGSET_FILE, format_working_set(ws), 0600); !st)
                return "warning: cannot save the working set for the prefetch after resume: " + st.error().message;
        summary = ws.summary();
        return "working set: " + summary;
}

std::string start_prefetch_after(const Host &host, const Config &cfg, bool resumed)
{
        if (!host.exists(WORKINGSET_FILE))
                return {};
        if (!resumed || !cfg.prefetch_enabled || !host.is_real_root()) {
                (void)host.remove(WORKINGSET_FILE);
                return {};
        }
        // No shell, and the environment as systemd gave it; --no-block returns at once.
        SpawnOptions so;
        so.timeout_ms = 30000;
        auto r = spawn_wait({"systemctl", "--no-block", "start", PREFETCH_UNIT}, so);
        if (!r)
                return std::string("warning: cannot run systemctl to start ") + PREFETCH_UNIT + ": " + r.error().message;
        if (r->status != 0 || r->timed_out)
                return "warning: " + spawn_failure(std::string("systemctl start ") + PREFETCH_UNIT, *r, so.timeout_ms);
        return std::string("started ") + PREFETCH_UNIT;
}

std::optional<bool> kernel_has_process_madvise(const Host &host)
{
        std::string rel = release_of(host);
        unsigned maj = 0, min = 0;
        if (std::sscanf(rel.c_str(), "%u.%u", &maj, &min) != 2)
                return std::nullopt;
        return maj > 5 || (maj == 5 && min >= 10);
}

CheckResult check_prefetch(const Host &host, const Config &cfg)
{
        CheckResult c;
        c.id = "prefetch";
        if (!cfg.prefetch_enabled) {
                c.status = CheckStatus::Skip;
                c.summary = "Prefetch after resume is disabled ([prefetch] enabled = false)";
                return c;
        }
        c.status = CheckStatus::Pass;
        auto pm = kernel_has_process_madvise(host);
        std::string rel = release_of(host);
        if (!pm)
                c.summary = "Prefetch after resume is enabled; cannot tell whether the kernel has process_madvise";
        else if (*pm)
                c.summary = "Prefetch after resume is enabled (files and anonymous memory: process_madvise is "
                            "available on Linux " + printable(rel) + ")";
        else
                c.summary = "Prefetch after resume is enabled for files only (process_madvise needs Linux 5.10, "
                            "this is " + printable(rel) + ")";
        c.detail = "pre records the working set within " + std::to_string(cfg.prefetch_record_deadline_ms) +
                   " ms (at most " + mib(cfg.prefetch_max_bytes) + "); the prefetch stops below " +
                   mib(cfg.prefetch_min_available) + " MemAvailable; " +
                   (cfg.image_size_fit ? "pre raises /sys/power/image_size to what the free swap holds "
                                         "([kernel] image_size = \"fit\")"
                                       : "the kernel's /sys/power/image_size decides what a stock image keeps "
                                         "([kernel] image_size = \"keep\")");
        return c;
}

}  // namespace ht
