// SPDX-License-Identifier: LGPL-2.1-or-later
#include "workingset.hh"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.hh"
#include "parse.hh"
#include "record.hh"

namespace ht {

namespace {

constexpr std::string_view MAGIC = "hibernate-tool-workingset";
constexpr uint64_t MAX_PID = 4194304;  // PID_MAX_LIMIT
constexpr uint64_t GAP_PAGES = 8;     // runs this close are merged into one range

std::optional<uint64_t> parse_hex(std::string_view s)
{
        if (s.empty() || s.size() > 16)
                return std::nullopt;
        uint64_t v = 0;
        for (char c : s) {
                int d;
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else
                        return std::nullopt;
                v = (v << 4) | static_cast<uint64_t>(d);
        }
        return v;
}

std::string hex(uint64_t v)
{
        char b[20];
        std::snprintf(b, sizeof b, "%" PRIx64, v);
        return b;
}

std::string mib(uint64_t bytes)
{
        char b[32];
        std::snprintf(b, sizeof b, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
        return b;
}

// Appends a page run to ranges, merging it with the previous one when the gap is small.
void add_run(std::vector<WsRange> &r, uint64_t start, uint64_t len, uint64_t gap)
{
        if (!r.empty() && start >= r.back().start + r.back().len && start - (r.back().start + r.back().len) <= gap) {
                r.back().len = start + len - r.back().start;
                return;
        }
        r.push_back(WsRange{start, len});
}

}  // namespace

// ---- summary ----------------------------------------------------------------------------

uint64_t WorkingSet::file_bytes() const
{
        uint64_t n = 0;
        for (auto &f : files)
                for (auto &r : f.ranges)
                        n += r.len * page_size;
        return n;
}

uint64_t WorkingSet::anon_bytes() const
{
        uint64_t n = 0;
        for (auto &p : procs)
                for (auto &r : p.ranges)
                        n += r.len;
        return n;
}

size_t WorkingSet::range_count() const
{
        size_t n = 0;
        for (auto &f : files)
                n += f.ranges.size();
        for (auto &p : procs)
                n += p.ranges.size();
        return n;
}

std::string WorkingSet::summary() const
{
        return std::to_string(files.size()) + " files (" + mib(file_bytes()) + "), " + std::to_string(procs.size()) +
               " processes (" + mib(anon_bytes()) + " anonymous), recorded in " +
               std::to_string((elapsed_us + 500) / 1000) + " ms" + (truncated ? " (limits reached: truncated)" : "");
}

// ---- escaping ---------------------------------------------------------------------------

std::string ws_escape(std::string_view s)
{
        static const char hx[] = "0123456789ABCDEF";
        std::string o;
        for (unsigned char c : s) {
                if (c <= 0x20 || c == '%' || c >= 0x7f) {
                        o.push_back('%');
                        o.push_back(hx[c >> 4]);
                        o.push_back(hx[c & 15]);
                } else {
                        o.push_back(static_cast<char>(c));
                }
        }
        return o;
}

std::optional<std::string> ws_unescape(std::string_view s)
{
        std::string o;
        for (size_t i = 0; i < s.size(); i++) {
                if (s[i] != '%') {
                        o.push_back(s[i]);
                        continue;
                }
                if (i + 2 >= s.size())
                        return std::nullopt;
                int v = 0;
                for (size_t k = 1; k <= 2; k++) {
                        char c = s[i + k];
                        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                        if (d < 0)
                                return std::nullopt;
                        v = v * 16 + d;
                }
                o.push_back(static_cast<char>(v));
                i += 2;
        }
        return o;
}

// ---- the record format ------------------------------------------------------------------

std::string format_working_set(const WorkingSet &ws)
{
        std::string o;
        o += std::string(MAGIC) + " " + std::to_string(WORKINGSET_VERSION) + "\n";
        o += "created " + std::to_string(ws.created) + "\n";
        o += "boot_id " + ws_escape(ws.boot_id) + "\n";
        o += "page_size " + std::to_string(ws.page_size) + "\n";
        o += "elapsed_us " + std::to_string(ws.elapsed_us) + "\n";
        o += std::string("truncated ") + (ws.truncated ? "1" : "0") + "\n";
        size_t lines = 6;
        for (auto &f : ws.files) {
                o += "file " + std::string(1, static_cast<char>(f.cls)) + " " + std::to_string(f.dev) + " " +
                     std::to_string(f.ino) + " " + std::to_string(f.size) + " " + std::to_string(f.mtime_ns) + " " +
                     ws_escape(f.path) + "\n";
                lines++;
                for (auto &r : f.ranges) {
                        o += "r " + std::to_string(r.start) + " " + std::to_string(r.len) + "\n";
                        lines++;
                }
        }
        for (auto &p : ws.procs) {
                o += "proc " + std::to_string(p.pid) + " " + std::to_string(p.start_time) + " " + ws_escape(p.comm) + "\n";
                lines++;
                for (auto &r : p.ranges) {
                        o += "a " + hex(r.start) + " " + std::to_string(r.len) + "\n";
                        lines++;
                }
        }
        o += "end " + std::to_string(lines) + " " + hex(crc32_ieee(o)) + "\n";
        return o;
}

Result<WorkingSet> parse_working_set(std::string_view text)
{
        auto bad = [](size_t line, const std::string &why) {
                return Error{EBADMSG, "line " + std::to_string(line) + ": " + why};
        };
        if (text.size() > WORKINGSET_MAX_FILE)
                return Error{EBADMSG, "too large (" + std::to_string(text.size()) + " bytes)"};
        WorkingSet ws;
        size_t pos = 0, n = 0;
        bool ended = false;
        enum { None, File, Proc } last = None;
        std::set<std::string> seen_header;
        while (pos < text.size()) {
                size_t nl = text.find('\n', pos);
                if (nl == std::string_view::npos)
                        return bad(n + 1, "truncated (no newline at the end)");
                std::string_view line = text.substr(pos, nl - pos);
                size_t line_start = pos;
                pos = nl + 1;
                n++;
                if (ended)
                        return bad(n, "text after the end line");
                auto f = split_fields(line);
                if (f.empty())
                        return bad(n, "empty line");
                if (n == 1) {
                        if (f.size() != 2 || f[0] != MAGIC)
                                return Error{EBADMSG, "not a working-set record (no '" + std::string(MAGIC) + "' header)"};
                        auto v = parse_u64(f[1]);
                        if (!v)
                                return bad(n, "bad version");
                        if (*v != WORKINGSET_VERSION)
                                return Error{ENOTSUP, "format version " + std::to_string(*v) + " (this tool reads " +
                                                              std::to_string(WORKINGSET_VERSION) + ")"};
                        continue;
                }
                const std::string_view k = f[0];
                auto num = [&](size_t i) -> std::optional<uint64_t> { return i < f.size() ? parse_u64(f[i]) : std::nullopt; };
                if (k == "created" || k == "page_size" || k == "elapsed_us" || k == "truncated" || k == "boot_id") {
                        if (last != None || !seen_header.insert(std::string(k)).second || f.size() != 2)
                                return bad(n, "misplaced or repeated '" + std::string(k) + "'");
                        if (k == "boot_id") {
                                auto s = ws_unescape(f[1]);
                                if (!s)
                                        return bad(n, "bad boot_id");
                                ws.boot_id = *s;
                                continue;
                        }
                        auto v = num(1);
                        if (!v)
                                return bad(n, "bad number for '" + std::string(k) + "'");
                        if (k == "created")
                                ws.created = *v;
                        else if (k == "elapsed_us")
                                ws.elapsed_us = *v;
                        else if (k == "truncated") {
                                if (*v > 1)
                                        return bad(n, "truncated must be 0 or 1");
                                ws.truncated = *v == 1;
                        } else {
                                if (*v < 512 || *v > (1u << 20) || (*v & (*v - 1)) != 0)
                                        return bad(n, "bad page size");
                                ws.page_size = *v;
                        }
                } else if (k == "file") {
                        if (f.size() != 7 || f[1].size() != 1 || (f[1][0] != 'm' && f[1][0] != 'o'))
                                return bad(n, "bad file entry");
                        WsFile e;
                        e.cls = static_cast<WsClass>(f[1][0]);
                        auto dev = num(2), ino = num(3), size = num(4);
                        auto mt = parse_i64(f[5]);
                        auto path = ws_unescape(f[6]);
                        if (!dev || !ino || !size || !mt || !path || path->empty() || (*path)[0] != '/' ||
                            path->find('\0') != std::string::npos)
                                return bad(n, "bad file entry");
                        e.dev = *dev;
                        e.ino = *ino;
                        e.size = *size;
                        e.mtime_ns = *mt;
                        e.path = *path;
                        ws.files.push_back(std::move(e));
                        last = File;
                } else if (k == "r") {
                        auto s = num(1), l = num(2);
                        if (last != File || f.size() != 3 || !s || !l || *l == 0 || *s > UINT64_MAX / ws.page_size ||
                            *l > UINT64_MAX / ws.page_size - *s)
                                return bad(n, "bad file range");
                        ws.files.back().ranges.push_back(WsRange{*s, *l});
                } else if (k == "proc") {
                        auto pid = num(1), st = num(2);
                        auto comm = f.size() == 4 ? ws_unescape(f[3]) : std::nullopt;
                        if (f.size() != 4 || !pid || !st || *pid == 0 || *pid > MAX_PID || !comm)
                                return bad(n, "bad process entry");
                        ws.procs.push_back(WsProc{static_cast<int>(*pid), *st, *comm, {}});
                        last = Proc;
                } else if (k == "a") {
                        std::optional<uint64_t> s, l;
                        if (f.size() == 3) {
                                s = parse_hex(f[1]);
                                l = num(2);
                        }
                        if (last != Proc || !s || !l || *l == 0 || *l > UINT64_MAX - *s)
                                return bad(n, "bad anonymous range");
                        ws.procs.back().ranges.push_back(WsRange{s.value(), l.value()});
                } else if (k == "end") {
                        auto cnt = num(1);
                        auto crc = f.size() == 3 ? parse_hex(f[2]) : std::nullopt;
                        if (!cnt || !crc)
                                return bad(n, "bad end line");
                        if (*cnt != n - 1)
                                return bad(n, "line count " + std::to_string(n - 1) + " differs from the recorded " +
                                                      std::to_string(*cnt));
                        if (*crc != crc32_ieee(text.substr(0, line_start)))
                                return bad(n, "checksum mismatch");
                        ended = true;
                } else {
                        return bad(n, "unknown entry '" + printable(k) + "'");
                }
        }
        if (n == 0)
                return Error{EBADMSG, "empty"};
        if (!ended)
                return Error{EBADMSG, "truncated (no end line)"};
        for (const char *h : {"created", "boot_id", "page_size"})
                if (!seen_header.count(h))
                        return Error{EBADMSG, std::string("no '") + h + "' line"};
        return ws;
}

std::string working_set_stale(const WorkingSet &ws, std::string_view boot_id, uint64_t now)
{
        if (ws.boot_id != boot_id)
                return "recorded before a reboot (boot id " + printable(ws.boot_id) + ", now " + printable(boot_id) + ")";
        if (ws.created > now + 60)
                return "recorded in the future";
        if (now - std::min(now, ws.created) > WORKINGSET_MAX_AGE_SEC)
                return "older than " + std::to_string(WORKINGSET_MAX_AGE_SEC / 86400) + " days";
        long ps = ::sysconf(_SC_PAGESIZE);
        if (ps > 0 && ws.page_size != static_cast<uint64_t>(ps))
                return "recorded with page size " + std::to_string(ws.page_size);
        return {};
}

// ---- /proc parsing ----------------------------------------------------------------------

namespace {

// The fields of /proc/<pid>/stat after the command name (which may hold spaces and
// parentheses): f[0] is field 3 (state). Empty when there is no ')'.
std::vector<std::string_view> stat_fields_after_comm(std::string_view stat)
{
        auto rp = stat.rfind(')');
        if (rp == std::string_view::npos)
                return {};
        return split_fields(stat.substr(rp + 1));
}

}  // namespace

std::optional<uint64_t> parse_stat_start_time(std::string_view stat)
{
        auto f = stat_fields_after_comm(stat);
        // f[0] is field 3 (state); field 22 is f[19].
        if (f.size() < 20)
                return std::nullopt;
        std::string_view v = f[19];
        while (!v.empty() && (v.back() == '\n'))
                v.remove_suffix(1);
        return parse_u64(v);
}

std::optional<uint64_t> parse_stat_cpu_ticks(std::string_view stat)
{
        auto f = stat_fields_after_comm(stat);
        // utime and stime are fields 14 and 15: f[11], f[12].
        if (f.size() < 13)
                return std::nullopt;
        auto u = parse_u64(f[11]), k = parse_u64(f[12]);
        if (!u || !k || *u > UINT64_MAX - *k)
                return std::nullopt;
        return *u + *k;
}

std::vector<MapsEntry> parse_maps(std::string_view text)
{
        std::vector<MapsEntry> out;
        LineReader lines(text);
        while (auto next = lines.next()) {
                std::string_view line = *next;
                // start-end perms offset maj:min inode [path]; the path keeps its spaces.
                MapsEntry e;
                size_t i = 0;
                auto field = [&]() {
                        while (i < line.size() && line[i] == ' ')
                                i++;
                        size_t j = i;
                        while (j < line.size() && line[j] != ' ')
                                j++;
                        auto s = line.substr(i, j - i);
                        i = j;
                        return s;
                };
                auto range = field(), perms = field(), off = field(), dev = field(), ino = field();
                auto dash = range.find('-');
                auto colon = dev.find(':');
                if (dash == std::string_view::npos || perms.size() < 4 || colon == std::string_view::npos)
                        continue;
                auto s = parse_hex(range.substr(0, dash)), en = parse_hex(range.substr(dash + 1)), o = parse_hex(off);
                auto ma = parse_hex(dev.substr(0, colon)), mi = parse_hex(dev.substr(colon + 1));
                auto in = parse_u64(ino);
                if (!s || !en || !o || !ma || !mi || !in || *en <= *s || *ma > 0xfff || *mi > 0xfffff)
                        continue;
                while (i < line.size() && line[i] == ' ')
                        i++;
                e.start = *s;
                e.end = *en;
                e.offset = *o;
                e.read = perms[0] == 'r';
                e.dev_major = static_cast<unsigned>(*ma);
                e.dev_minor = static_cast<unsigned>(*mi);
                e.ino = *in;
                e.path = std::string(line.substr(i));
                constexpr std::string_view del = " (deleted)";
                if (e.path.size() > del.size() && e.path.compare(e.path.size() - del.size(), del.size(), del) == 0) {
                        e.deleted = true;
                        e.path.resize(e.path.size() - del.size());
                }
                out.push_back(std::move(e));
        }
        return out;
}

std::vector<WsRange> resident_ranges(const unsigned char *vec, size_t pages, uint64_t first_page)
{
        std::vector<WsRange> r;
        size_t i = 0;
        while (i < pages) {
                if (!(vec[i] & 1)) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < pages && (vec[j] & 1))
                        j++;
                add_run(r, first_page + i, j - i, GAP_PAGES);
                i = j;
        }
        return r;
}

// ---- recording --------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

struct Recorder {
        const Host &host;
        const WsLimits &lim;
        WorkingSet ws;
        Clock::time_point deadline;
        uint64_t bytes = 0;
        size_t ranges = 0;
        bool have_cachestat = true;

        bool out_of_time() const { return Clock::now() >= deadline; }
        // Room for one more range of `b` bytes? Sets truncated when not.
        bool room(uint64_t b)
        {
                if (ranges + 1 > lim.max_ranges || bytes + b > lim.max_bytes) {
                        ws.truncated = true;
                        return false;
                }
                return true;
        }

        // 0 cached pages according to cachestat(2): the file can be passed over.
        bool surely_uncached(int fd)
        {
#ifdef SYS_cachestat
                constexpr long nr = SYS_cachestat;
#else
                constexpr long nr = 451;  // the same on every architecture (6.5+)
#endif
                if (!have_cachestat)
                        return false;
                struct {
                        uint64_t off, len;
                } range{0, 0};
                struct {
                        uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
                } cs{};
                if (::syscall(nr, fd, &range, &cs, 0) < 0) {
                        if (errno == ENOSYS)
                                have_cachestat = false;
                        return false;
                }
                return cs.nr_cache == 0;
        }

        // Resident page ranges of an open regular file (mincore on a read-only mapping, in
        // windows of at most 1 GiB).
        std::vector<WsRange> file_residency(int fd, uint64_t size)
        {
                std::vector<WsRange> r;
                const uint64_t ps = ws.page_size, window = 1ull << 30;
                std::vector<unsigned char> vec;
                for (uint64_t off = 0; off < size && !out_of_time(); off += window) {
                        uint64_t len = std::min(window, size - off);
                        void *m = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(off));
                        if (m == MAP_FAILED)
                                break;
                        size_t pages = static_cast<size_t>((len + ps - 1) / ps);
                        vec.assign(pages, 0);
                        int rc = ::mincore(m, len, vec.data());
                        ::munmap(m, len);
                        if (rc < 0)
                                break;
                        for (auto &x : resident_ranges(vec.data(), pages, off / ps))
                                add_run(r, x.start, x.len, GAP_PAGES);
                }
                return r;
        }

        void add_file(const std::string &path, uint64_t want_ino, WsClass cls, std::set<std::pair<uint64_t, uint64_t>> &seen)
        {
                if (ws.files.size() >= lim.max_files) {
                        ws.truncated = true;
                        return;
                }
                // Only regular files are ever opened (a device node's open may have effects);
                // the inode is compared again on the open file.
                auto pre = host.stat(path);
                if (!pre || !S_ISREG(pre->st_mode) || pre->st_ino != want_ino)
                        return;
                auto fd = host.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
                if (!fd)
                        return;
                struct ::stat st;
                if (::fstat(fd->get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
                        return;
                if (st.st_ino != want_ino)  // not the file the process has (renamed, replaced, another mount namespace)
                        return;
                if (!seen.insert({st.st_dev, st.st_ino}).second)
                        return;
                if (surely_uncached(fd->get()))
                        return;
                auto r = file_residency(fd->get(), static_cast<uint64_t>(st.st_size));
                if (r.empty())
                        return;
                WsFile f;
                f.cls = cls;
                f.dev = st.st_dev;
                f.ino = st.st_ino;
                f.size = static_cast<uint64_t>(st.st_size);
                f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
                f.path = path;
                for (auto &x : r) {
                        if (!room(x.len * ws.page_size))
                                break;
                        f.ranges.push_back(x);
                        bytes += x.len * ws.page_size;
                        ranges++;
                }
                if (!f.ranges.empty())
                        ws.files.push_back(std::move(f));
        }

        // Present pages of the anonymous mappings, from /proc/<pid>/pagemap.
        void add_anon(WsProc &p, const std::vector<MapsEntry> &anon)
        {
                auto fd = host.open("/proc/" + std::to_string(p.pid) + "/pagemap", O_RDONLY);
                if (!fd)
                        return;
                const uint64_t ps = ws.page_size;
                std::vector<uint64_t> buf(16384);
                for (auto &m : anon) {
                        // Huge sparse reservations (sanitizer shadow memory, JavaScript engine
                        // cages, JVM heaps reserved up front) would cost a pagemap walk of
                        // terabytes of address space: skipped, their resident part is not
                        // prefetched.
                        if (m.end - m.start > MAX_ANON_MAPPING)
                                continue;
                        std::vector<WsRange> pages;
                        for (uint64_t a = m.start; a < m.end && !out_of_time();) {
                                uint64_t n = std::min<uint64_t>(buf.size(), (m.end - a) / ps);
                                if (n == 0)
                                        break;
                                ssize_t got = ::pread(fd->get(), buf.data(), n * 8, static_cast<off_t>(a / ps * 8));
                                if (got <= 0)
                                        break;
                                size_t k = static_cast<size_t>(got) / 8;
                                std::vector<unsigned char> vec(k);
                                for (size_t i = 0; i < k; i++)
                                        vec[i] = (buf[i] >> 63) & 1;
                                for (auto &x : resident_ranges(vec.data(), k, a / ps))
                                        add_run(pages, x.start, x.len, GAP_PAGES);
                                a += k * ps;
                        }
                        for (auto &x : pages) {
                                if (!room(x.len * ps))
                                        return;
                                p.ranges.push_back(WsRange{x.start * ps, x.len * ps});
                                bytes += x.len * ps;
                                ranges++;
                        }
                        if (out_of_time())
                                return;
                }
        }
};

bool is_anon(const MapsEntry &m)
{
        return m.read && (m.path.empty() || m.path == "[heap]" || m.path == "[stack]");
}

}  // namespace

WorkingSet record_working_set(const Host &host, const WsLimits &lim)
{
        auto t0 = Clock::now();
        Recorder rec{host, lim, {}, t0 + std::chrono::milliseconds(lim.deadline_ms)};
        long ps = ::sysconf(_SC_PAGESIZE);
        rec.ws.page_size = ps > 0 ? static_cast<uint64_t>(ps) : 4096;
        rec.ws.created = static_cast<uint64_t>(std::time(nullptr));
        if (auto b = host.read_line("/proc/sys/kernel/random/boot_id"))
                rec.ws.boot_id = *b;

        // Every process's stat first (one small read each): the busiest processes (CPU time
        // used) are recorded first, so a deadline cuts off the idle ones.
        struct Proc {
                WsProc p;
                uint64_t cpu = 0;
        };
        std::vector<Proc> procs;
        const int self = host.is_real_root() ? static_cast<int>(::getpid()) : -1;
        if (auto names = host.list_dir("/proc"))
                for (auto &n : *names) {
                        auto v = parse_u64(n);
                        if (!v || *v == 0 || *v > MAX_PID || static_cast<int>(*v) == self)
                                continue;
                        if (rec.out_of_time())
                                break;
                        auto stat = host.read_file("/proc/" + n + "/stat", 64 * 1024);
                        if (!stat)
                                continue;
                        auto start = parse_stat_start_time(*stat);
                        if (!start)
                                continue;
                        Proc pr;
                        pr.p.pid = static_cast<int>(*v);
                        pr.p.start_time = *start;
                        pr.cpu = parse_stat_cpu_ticks(*stat).value_or(0);
                        auto lp = stat->find('('), rp = stat->rfind(')');
                        if (lp != std::string::npos && rp != std::string::npos && rp > lp)
                                pr.p.comm = stat->substr(lp + 1, rp - lp - 1);
                        procs.push_back(std::move(pr));
                }
        std::stable_sort(procs.begin(), procs.end(), [](const Proc &a, const Proc &b) {
                return a.cpu != b.cpu ? a.cpu > b.cpu : a.p.pid < b.p.pid;
        });

        // Then process by process: its mapped files, its anonymous memory, its open files.
        std::set<std::pair<uint64_t, uint64_t>> seen;         // (dev, ino) recorded or passed over
        std::set<std::pair<std::string, uint64_t>> tried;     // (path, ino) looked at
        auto file = [&](const std::string &path, uint64_t ino, WsClass cls) {
                if (tried.insert({path, ino}).second) {
                        rec.add_file(path, ino, cls, seen);
                } else if (cls == WsClass::Mapped) {  // held open by one, mapped by another: mapped
                        for (auto &f : rec.ws.files)
                                if (f.ino == ino && f.path == path)
                                        f.cls = WsClass::Mapped;
                }
        };
        for (auto &pr : procs) {
                if (rec.out_of_time()) {
                        rec.ws.truncated = true;
                        break;
                }
                std::string dir = "/proc/" + std::to_string(pr.p.pid);
                auto maps = host.read_file(dir + "/maps", 16u << 20);
                if (!maps || maps->empty())  // kernel threads have no mappings
                        continue;
                std::vector<MapsEntry> anon;
                for (auto &m : parse_maps(*maps)) {
                        if (!m.path.empty() && m.path[0] == '/' && m.ino != 0 && !m.deleted)
                                file(m.path, m.ino, WsClass::Mapped);
                        else if (is_anon(m))
                                anon.push_back(m);
                }
                if (host.is_real_root() && !rec.out_of_time())  // pagemap of a fixture's /proc means nothing
                        rec.add_anon(pr.p, anon);
                if (!pr.p.ranges.empty())
                        rec.ws.procs.push_back(pr.p);
                if (rec.out_of_time())
                        continue;
                auto fds = host.list_dir(dir + "/fd");
                auto dfd = host.open_dir(dir + "/fd");
                if (!fds || !dfd)
                        continue;
                for (auto &n : *fds) {
                        char buf[4096];
                        ssize_t len = ::readlinkat(dfd->get(), n.c_str(), buf, sizeof buf);
                        if (len <= 0 || len >= static_cast<ssize_t>(sizeof buf) || buf[0] != '/')
                                continue;
                        std::string target(buf, static_cast<size_t>(len));
                        struct ::stat st;
                        if (target.size() > 10 && target.compare(target.size() - 10, 10, " (deleted)") == 0)
                                continue;
                        if (::fstatat(dfd->get(), n.c_str(), &st, 0) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        file(target, st.st_ino, WsClass::Open);
                }
        }
        // The record lists mapped files first (the prefetch's order does not depend on it).
        std::stable_partition(rec.ws.files.begin(), rec.ws.files.end(),
                              [](const WsFile &f) { return f.cls == WsClass::Mapped; });
        rec.ws.elapsed_us =
                static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
        return rec.ws;
}

}  // namespace ht
