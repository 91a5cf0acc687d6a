// SPDX-License-Identifier: LGPL-2.1-or-later
// sleep.conf as systemd reads it, the logind check on fixture roots, and the systemd bridge
// without libsystemd.
#include <cstdlib>

#include "catch.hh"
#include "checks.hh"
#include "host.hh"
#include "sleep.hh"
#include "sleepconf.hh"
#include "systemd.hh"
#include "temp-root.hh"

using namespace ht;

TEST_CASE("sleep.conf: last assignment wins, empty resets, bad values ignored")
{
        SleepConf c;
        sleep_conf_apply(c, "/a.conf", "[Sleep]\nAllowHibernation=no\nAllowHybridSleep = off \n");
        CHECK_FALSE(c.hibernation.allowed);
        CHECK(c.hibernation.file == "/a.conf");
        CHECK(c.hibernation.line == 2);
        CHECK_FALSE(c.hybrid_sleep.allowed);
        sleep_conf_apply(c, "/b.conf", "# comment\n[Sleep]\nAllowHibernation=\nAllowHybridSleep=maybe\n");
        CHECK(c.hibernation.allowed);  // reset to the default
        CHECK(c.hibernation.file.empty());
        CHECK_FALSE(c.hybrid_sleep.allowed);  // a bad value changes nothing
        REQUIRE(c.warnings.size() == 1);
        CHECK(c.warnings[0].find("/b.conf:4: AllowHybridSleep=maybe is not a boolean") == 0);
        sleep_conf_apply(c, "/c.conf", "[Other]\nAllowHibernation=no\n[Sleep]\nSuspendState=mem\nAllowSuspendThenHibernate=0");
        CHECK(c.hibernation.allowed);  // only [Sleep] counts
        CHECK_FALSE(c.suspend_then_hibernate.allowed);
        sleep_conf_apply(c, "/d.conf", std::string("[Sleep]\nAllowHibernation=no\0yes\n", 30));  // NUL: not a boolean
        CHECK(c.hibernation.allowed);
}

TEST_CASE("sleep.conf drop-ins: ordered by name across directories, earlier directory wins, masks")
{
        TempRoot r;
        r.mkdir("/etc/systemd/sleep.conf.d");
        r.mkdir("/run/systemd/sleep.conf.d");
        r.mkdir("/usr/lib/systemd/sleep.conf.d");
        r.write("/etc/systemd/sleep.conf", "[Sleep]\nAllowHibernation=no\n");
        r.write("/usr/lib/systemd/sleep.conf.d/20-vendor.conf", "[Sleep]\nAllowHibernation=yes\n");
        Host h(r.dir);
        auto c = read_sleep_conf(h);
        CHECK(c.hibernation.allowed);  // the drop-in comes after the main file
        CHECK(c.hibernation.file == "/usr/lib/systemd/sleep.conf.d/20-vendor.conf");

        r.write("/etc/systemd/sleep.conf.d/20-vendor.conf", "");  // same name in /etc: masks /usr/lib's
        c = read_sleep_conf(h);
        CHECK_FALSE(c.hibernation.allowed);
        CHECK(c.hibernation.file == "/etc/systemd/sleep.conf");

        r.write("/run/systemd/sleep.conf.d/90-late.conf", "[Sleep]\nAllowHibernation=yes\n");
        r.write("/etc/systemd/sleep.conf.d/10-early.conf", "[Sleep]\nAllowHibernation=no\n");
        c = read_sleep_conf(h);
        CHECK(c.hibernation.allowed);  // 90-late sorts last
        r.link("/dev/null", "/etc/systemd/sleep.conf.d/90-late.conf");  // masked
        c = read_sleep_conf(h);
        CHECK_FALSE(c.hibernation.allowed);
        CHECK(c.hibernation.file == "/etc/systemd/sleep.conf.d/10-early.conf");
        r.write("/etc/systemd/sleep.conf.d/notes.txt", "[Sleep]\nAllowHibernation=yes\n");  // not .conf
        CHECK_FALSE(read_sleep_conf(h).hibernation.allowed);
}

TEST_CASE("the logind check on a fixture root")
{
        TempRoot r;
        r.mkdir("/etc/systemd/sleep.conf.d");
        r.mkdir("/run/systemd/sleep.conf.d");
        Host h(r.dir);
        std::vector<std::string> notes;
        auto c = check_logind(h, notes);
        CHECK(c.id == "logind");
        CHECK(c.status == CheckStatus::Skip);  // --root: logind is not asked
        CHECK(c.summary.find("sleep.conf allows hibernation") == 0);

        r.write(GATE_FILE, "[Sleep]\nAllowHibernation=no\n");  // our own gate
        c = check_logind(h, notes);
        CHECK(c.status == CheckStatus::Warn);
        CHECK(c.summary.find("hibernate-tool's gate") != std::string::npos);

        r.write("/etc/systemd/sleep.conf.d/99-admin.conf", "[Sleep]\nAllowHibernation=false\n");
        c = check_logind(h, notes);
        CHECK(c.status == CheckStatus::Fail);
        CHECK(c.summary.find("/etc/systemd/sleep.conf.d/99-admin.conf") != std::string::npos);
        CHECK(c.remedy.find("line 2") != std::string::npos);
        CHECK(notes.empty());
        r.write("/etc/systemd/sleep.conf.d/99-admin.conf", "[Sleep]\nAllowHibernation=nope\n");
        c = check_logind(h, notes);
        CHECK(c.status == CheckStatus::Warn);  // the bad line is ignored: back to our gate
        CHECK(notes.size() == 1);
}

TEST_CASE("the systemd bridge degrades without libsystemd or a service manager")
{
        ::unsetenv("NOTIFY_SOCKET");
        CHECK_FALSE(sd::notify("READY=1"));  // not run by systemd
        ::setenv("JOURNAL_STREAM", "1:2", 1);
        CHECK_FALSE(sd::stderr_is_journal());  // another stream
        ::setenv("JOURNAL_STREAM", "garbage", 1);
        CHECK_FALSE(sd::stderr_is_journal());
        ::unsetenv("JOURNAL_STREAM");
        CHECK_FALSE(sd::stderr_is_journal());
}
