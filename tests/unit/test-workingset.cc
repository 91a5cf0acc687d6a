// SPDX-License-Identifier: LGPL-2.1-or-later
// The working-set record (lib/workingset.hh) and the prefetch's decisions on fixture roots
// (lib/prefetch.hh).
#include "catch.hh"

#include <atomic>
#include <sys/stat.h>
#include <unistd.h>

#include "config.hh"
#include "host.hh"
#include "prefetch.hh"
#include "temp-root.hh"
#include "workingset.hh"

using namespace ht;

namespace {

WorkingSet sample()
{
        WorkingSet ws;
        ws.created = 1700000000;
        ws.boot_id = "0b4c1c57-6a1e-4f0e-9a38-3d1f0c2a7f11";
        ws.page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
        ws.elapsed_us = 4321;
        ws.truncated = true;
        ws.files.push_back(WsFile{WsClass::Mapped, 2049, 131, 2093056, 1699999999123456789, "/usr/lib/libc.so.6",
                                  {{0, 16}, {40, 3}}});
        ws.files.push_back(WsFile{WsClass::Open, 2049, 77, 10, -5, "/home/u/a file%with\nodd\tbytes\xff", {{0, 1}}});
        ws.procs.push_back(WsProc{1234, 98765, "bash", {{0x55d0c0000000, 8192}, {0x7ffd00000000, 4096}}});
        ws.procs.push_back(WsProc{4000000, 1, "a (b) c", {}});
        return ws;
}

std::string replace_line(std::string text, const std::string &from, const std::string &to)
{
        auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("working-set record round trip")
{
        WorkingSet ws = sample();
        std::string text = format_working_set(ws);
        auto back = parse_working_set(text);
        REQUIRE(back);
        CHECK(*back == ws);
        CHECK(back->files[1].path == "/home/u/a file%with\nodd\tbytes\xff");
        CHECK(back->file_bytes() == 20 * ws.page_size);
        CHECK(back->anon_bytes() == 12288);
        CHECK(back->range_count() == 5);
        // One line per entry: the odd path is escaped, never split.
        CHECK(text.find("/home/u/a%20file%25with%0Aodd%09bytes%FF") != std::string::npos);
        CHECK(format_working_set(*back) == text);

        WorkingSet empty;
        empty.boot_id = "x";
        auto e = parse_working_set(format_working_set(empty));
        REQUIRE(e);
        CHECK(e->files.empty());
        CHECK(e->procs.empty());
}

TEST_CASE("bad, truncated and foreign working-set records are refused with one message")
{
        std::string text = format_working_set(sample());

        SECTION("truncated at every byte")
        {
                for (size_t n = 0; n < text.size(); n++) {
                        auto r = parse_working_set(text.substr(0, n));
                        INFO(n);
                        REQUIRE(!r);
                        CHECK(r.error().code == EBADMSG);
                        CHECK(!r.error().message.empty());
                }
        }
        SECTION("truncated whole lines: no end line")
        {
                auto r = parse_working_set(text.substr(0, text.find("end ")));
                REQUIRE(!r);
                CHECK(r.error().message == "truncated (no end line)");
        }
        SECTION("a changed byte fails the checksum")
        {
                auto r = parse_working_set(replace_line(text, "r 40 3", "r 41 3"));
                REQUIRE(!r);
                CHECK(r.error().message.find("checksum mismatch") != std::string::npos);
        }
        SECTION("a dropped line fails the line count")
        {
                auto r = parse_working_set(replace_line(text, "r 40 3\n", ""));
                REQUIRE(!r);
                CHECK(r.error().message.find("line count") != std::string::npos);
        }
        SECTION("another version")
        {
                auto r = parse_working_set(replace_line(text, "hibernate-tool-workingset 1", "hibernate-tool-workingset 2"));
                REQUIRE(!r);
                CHECK(r.error().code == ENOTSUP);
                CHECK(r.error().message == "format version 2 (this tool reads 1)");
        }
        SECTION("not a record")
        {
                auto r = parse_working_set("RESULT=resumed\n");
                REQUIRE(!r);
                CHECK(r.error().message.find("not a working-set record") != std::string::npos);
                CHECK(!parse_working_set(""));
                CHECK(!parse_working_set(std::string(100, '\0')));
        }
        SECTION("structure errors name the line")
        {
                auto r = parse_working_set(replace_line(text, "file m 2049", "file x 2049"));
                REQUIRE(!r);
                CHECK(r.error().message == "line 7: bad file entry");
                // A range before any file.
                r = parse_working_set("hibernate-tool-workingset 1\nr 0 1\n");
                REQUIRE(!r);
                CHECK(r.error().message == "line 2: bad file range");
                r = parse_working_set("hibernate-tool-workingset 1\nproc 0 1 x\n");
                REQUIRE(!r);
                CHECK(r.error().message == "line 2: bad process entry");
        }
        SECTION("text after the end line")
        {
                auto r = parse_working_set(text + "r 1 1\n");
                REQUIRE(!r);
                CHECK(r.error().message.find("after the end line") != std::string::npos);
        }
}

TEST_CASE("stale working-set records")
{
        WorkingSet ws = sample();
        CHECK(working_set_stale(ws, ws.boot_id, ws.created + 30) == "");
        CHECK(working_set_stale(ws, "another-boot", ws.created + 30).find("before a reboot") != std::string::npos);
        CHECK(working_set_stale(ws, ws.boot_id, ws.created + WORKINGSET_MAX_AGE_SEC + 1).find("older than") !=
              std::string::npos);
        CHECK(working_set_stale(ws, ws.boot_id, ws.created - 3600) == "recorded in the future");
        ws.page_size = ws.page_size * 2;
        CHECK(working_set_stale(ws, ws.boot_id, ws.created).find("page size") != std::string::npos);
}

TEST_CASE("/proc parsing for the working set")
{
        CHECK(parse_stat_start_time("42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 50 "
                                    "18446744073709551615\n") == 98765u);
        CHECK(!parse_stat_start_time("42 (a) S 1 2"));
        CHECK(!parse_stat_start_time("garbage"));
        CHECK(parse_stat_cpu_ticks("42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 17 25 0 0 20 0 1 0 98765") == 42u);
        CHECK(!parse_stat_cpu_ticks("42 (a) S 1 2"));

        auto m = parse_maps("55d0c0000000-55d0c0002000 r--p 00000000 fe:01 131 /usr/bin/with space\n"
                            "7f0000000000-7f0000001000 rw-p 00001000 08:02 77 /tmp/x (deleted)\n"
                            "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
                            "7ffe00000000-7ffe00001000 ---p 00000000 00:00 0 \n"
                            "nonsense line\n");
        REQUIRE(m.size() == 4);
        CHECK(m[0].path == "/usr/bin/with space");
        CHECK(m[0].dev_major == 0xfe);
        CHECK(m[0].dev_minor == 1);
        CHECK(m[0].ino == 131);
        CHECK(m[0].read);
        CHECK(m[1].deleted);
        CHECK(m[1].path == "/tmp/x");
        CHECK(m[1].offset == 0x1000);
        CHECK(m[2].path == "[stack]");
        CHECK(m[3].path.empty());
        CHECK(!m[3].read);

        // Runs closer than 8 pages merge; farther ones stay apart.
        unsigned char v[40] = {};
        v[0] = v[1] = 1;
        v[5] = 1;       // gap of 3: merged
        v[20] = 1;      // gap of 14: separate
        v[39] = 1;
        auto r = resident_ranges(v, 40, 100);
        REQUIRE(r.size() == 3);
        CHECK(r[0] == WsRange{100, 6});
        CHECK(r[1] == WsRange{120, 1});
        CHECK(r[2] == WsRange{139, 1});
        CHECK(resident_ranges(v, 0).empty());

        CHECK(ws_unescape("%4") == std::nullopt);
        CHECK(ws_unescape("%zz") == std::nullopt);
        CHECK(ws_unescape("a%20b") == "a b");
}

TEST_CASE("[prefetch] configuration")
{
        Config cfg;
        CHECK(cfg.prefetch_enabled);
        CHECK(cfg.prefetch_record_deadline_ms == 100);
        REQUIRE(apply_config_text("[prefetch]\nenabled = false\nrecord_deadline_ms = 250\nmax_bytes = \"1G\"\n"
                                  "min_available = 1048576\n",
                                  "t.toml", cfg));
        CHECK(!cfg.prefetch_enabled);
        CHECK(cfg.prefetch_record_deadline_ms == 250);
        CHECK(cfg.prefetch_max_bytes == 1ull << 30);
        CHECK(cfg.prefetch_min_available == 1ull << 20);
        auto bad = apply_config_text("[prefetch]\nrecord_deadline_ms = 0\n", "t.toml", cfg);
        REQUIRE(!bad);
        CHECK(bad.error().message == "t.toml:2:22: 'prefetch.record_deadline_ms' must be an integer from 1 to 10000 "
                                     "(milliseconds)");
        CHECK(!apply_config_text("[prefetch]\nenabled = \"yes\"\n", "t.toml", cfg));
        CHECK(!apply_config_text("[prefetch]\nmax_bytes = \"lots\"\n", "t.toml", cfg));
        CHECK(cfg.prefetch_record_deadline_ms == 250);  // untouched by the failed files
}

namespace {

struct Fixture {
        TempRoot t;
        std::string content = std::string(3 * 4096 + 100, 'x');
        Fixture()
        {
                t.mkdir("/proc/4242/fd");
                t.mkdir("/proc/sys/kernel/random");
                t.mkdir("/data");
                t.write("/proc/sys/kernel/random/boot_id", "boot-1\n");
                t.write("/proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 4000000 kB\n");
                t.write("/proc/vmstat", "pswpin 0\npswpout 7\n");
                t.write("/data/lib.so", content);
                t.write("/data/other", "o");
                t.write("/proc/4242/stat", "4242 (prog) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n");
                // Written just now, so resident in the page cache.
                std::string maps = "55d0c0000000-55d0c0004000 r-xp 00000000 00:00 " + std::to_string(ino("/data/lib.so")) +
                                   " /data/lib.so\n"
                                   "55d0c0004000-55d0c0005000 r--p 00000000 00:00 1 /data/other\n";  // wrong inode
                t.write("/proc/4242/maps", maps);
        }
        uint64_t ino(const std::string &p) const
        {
                struct stat st;
                REQUIRE(::stat((t.dir + p).c_str(), &st) == 0);
                return st.st_ino;
        }
};

}  // namespace

TEST_CASE("recording a fixture root: the files its processes map, checked against the inode")
{
        Fixture f;
        Host host(f.t.dir);
        WsLimits lim;
        lim.deadline_ms = 5000;
        WorkingSet ws = record_working_set(host, lim);
        CHECK(ws.boot_id == "boot-1");
        REQUIRE(ws.files.size() == 1);  // /data/other's inode differs from the maps line
        CHECK(ws.files[0].path == "/data/lib.so");
        CHECK(ws.files[0].cls == WsClass::Mapped);
        CHECK(ws.files[0].ino == f.ino("/data/lib.so"));
        CHECK(ws.files[0].size == f.content.size());
        REQUIRE(ws.files[0].ranges.size() == 1);
        CHECK(ws.files[0].ranges[0] == WsRange{0, (f.content.size() + ws.page_size - 1) / ws.page_size});
        CHECK(ws.procs.empty());  // no pagemap outside the running system
        CHECK(!ws.truncated);

        SECTION("the byte cap truncates")
        {
                lim.max_bytes = 1;
                WorkingSet small = record_working_set(host, lim);
                CHECK(small.files.empty());
                CHECK(small.truncated);
        }
        SECTION("round trip through the record file")
        {
                auto back = parse_working_set(format_working_set(ws));
                REQUIRE(back);
                CHECK(*back == ws);
        }
}

TEST_CASE("prefetch on a fixture root: changed and vanished files, memory, signal")
{
        Fixture f;
        Host host(f.t.dir);
        Config cfg;
        std::atomic<bool> stop{false};
        WsLimits lim;
        lim.deadline_ms = 5000;
        WorkingSet ws = record_working_set(host, lim);
        REQUIRE(ws.files.size() == 1);
        ws.procs.push_back(WsProc{4242, 555, "prog", {{0x55d0c0000000, 4096}}});

        SECTION("unchanged: brought back; processes of another root are not touched")
        {
                auto r = prefetch_working_set(host, cfg, ws, stop);
                CHECK(r.files_done == 1);
                CHECK(r.file_bytes == f.content.size());
                CHECK(r.procs_done == 0);
                CHECK(r.procs_failed == 1);
                CHECK(r.stopped.empty());
                CHECK(r.summary().find("brought back 1/1 files") == 0);
        }
        SECTION("changed")
        {
                f.t.write("/data/lib.so", f.content + "more");
                auto r = prefetch_working_set(host, cfg, ws, stop);
                CHECK(r.files_done == 0);
                CHECK(r.files_changed == 1);
                CHECK(r.summary().find("1 files changed") != std::string::npos);
        }
        SECTION("vanished")
        {
                REQUIRE(::unlink((f.t.dir + "/data/lib.so").c_str()) == 0);
                auto r = prefetch_working_set(host, cfg, ws, stop);
                CHECK(r.files_vanished == 1);
                CHECK(r.file_bytes == 0);
        }
        SECTION("MemAvailable below the threshold")
        {
                f.t.write("/proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 100000 kB\n");
                auto r = prefetch_working_set(host, cfg, ws, stop);
                CHECK(r.stopped == "memory");
                CHECK(r.file_bytes == 0);
                CHECK(r.summary().find("MemAvailable") != std::string::npos);
        }
        SECTION("stop requested")
        {
                stop = true;
                auto r = prefetch_working_set(host, cfg, ws, stop);
                CHECK(r.stopped == "signal");
                CHECK(r.files_done == 0);
        }
}

TEST_CASE("prefetch_from_record skips bad and stale records with one message")
{
        Fixture f;
        Host host(f.t.dir);
        Config cfg;
        std::atomic<bool> stop{false};
        std::string text;

        auto r = prefetch_from_record(host, cfg, stop, text);
        CHECK(!r.ran);
        CHECK(r.no_record == "no working-set record (/var/lib/hibernate-tool/workingset)");

        f.t.mkdir("/var/lib/hibernate-tool");
        f.t.write(WORKINGSET_FILE, "hibernate-tool-workingset 1\ncreated 1\n");
        r = prefetch_from_record(host, cfg, stop, text);
        CHECK(!r.ran);
        CHECK(r.no_record == "/var/lib/hibernate-tool/workingset: truncated (no end line), skipped");
        CHECK(text == "hibernate-tool-workingset 1\ncreated 1\n");

        WorkingSet ws;
        ws.boot_id = "boot-0";  // before a reboot
        ws.created = static_cast<uint64_t>(std::time(nullptr));
        ws.page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
        f.t.write(WORKINGSET_FILE, format_working_set(ws));
        r = prefetch_from_record(host, cfg, stop, text);
        CHECK(!r.ran);
        CHECK(r.no_record.find("stale record (recorded before a reboot") != std::string::npos);

        ws.boot_id = "boot-1";
        f.t.write(WORKINGSET_FILE, format_working_set(ws));
        r = prefetch_from_record(host, cfg, stop, text);
        CHECK(r.ran);
        CHECK(r.no_record.empty());
}

TEST_CASE("hibernate-check's prefetch entry")
{
        TempRoot t;
        t.mkdir("/proc/sys/kernel");
        Host host(t.dir);
        Config cfg;
        t.write("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
        auto c = check_prefetch(host, cfg);
        CHECK(c.status == CheckStatus::Pass);
        CHECK(c.summary.find("process_madvise is available on Linux 6.1.0-26-amd64") != std::string::npos);
        t.write("/proc/sys/kernel/osrelease", "5.4.0\n");
        c = check_prefetch(host, cfg);
        CHECK(c.summary.find("files only") != std::string::npos);
        CHECK(c.detail.find("image_size = \"keep\"") != std::string::npos);
        cfg.image_size_fit = true;
        c = check_prefetch(host, cfg);
        CHECK(c.detail.find("pre raises /sys/power/image_size") != std::string::npos);
        cfg.prefetch_enabled = false;
        c = check_prefetch(host, cfg);
        CHECK(c.status == CheckStatus::Skip);
}
