// SPDX-License-Identifier: LGPL-2.1-or-later
// systemd-sleep.conf(5) as systemd reads it: /etc/systemd/sleep.conf, then the drop-ins of
// sleep.conf.d in /etc, /run, /usr/local/lib and /usr/lib (and /lib), ordered by file name
// across the directories; a name in an earlier directory hides the same name in a later one,
// and a link to /dev/null (or an empty file) masks it. The last assignment wins; an empty
// assignment resets the default. Only the [Sleep] keys that decide whether hibernation is
// allowed are kept: no library exposes systemd's configuration parser, so this one is small
// and bounded (64 KiB per file, 256 drop-ins).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host.hh"

namespace ht {

struct SleepAllow {
        bool allowed = true;  // systemd's default
        std::string file;     // the file of the last assignment (empty: the default)
        unsigned line = 0;
};

struct SleepConf {
        SleepAllow hibernation;               // AllowHibernation=
        SleepAllow hybrid_sleep;              // AllowHybridSleep=
        SleepAllow suspend_then_hibernate;    // AllowSuspendThenHibernate=
        std::vector<std::string> files;       // the files read, in order
        std::vector<std::string> warnings;    // unreadable files, bad values (file:line: …)
};

// Pure: applies one file's text to conf.
void sleep_conf_apply(SleepConf &conf, const std::string &file, std::string_view text);

// Reads the main file and the drop-ins under the host's root.
SleepConf read_sleep_conf(const Host &host);

}  // namespace ht
