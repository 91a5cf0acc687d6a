// SPDX-License-Identifier: LGPL-2.1-or-later
// What hibernate-tool asks of systemd: the journal (structured entries with a MESSAGE_ID,
// catalog/hibernate-tool.catalog), service notification (sd_notify) and logind's view of
// hibernation (CanHibernate over D-Bus).
//
// libsystemd is opened at run time (dlopen of libsystemd.so.0, as systemd itself does for
// its optional libraries) and never linked: the resume helper runs in initramfs images that
// do not carry libsystemd, and every function here degrades to "not available" without it.
// The headers (libsystemd-dev) give the prototypes; nothing is hand-rolled.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "result.hh"

namespace ht::sd {

// The MESSAGE_IDs of hibernate-tool's journal entries; catalog/hibernate-tool.catalog
// explains each (journalctl -x). Stable: scripts match on them.
inline constexpr const char *MSG_HIBERNATION_REFUSED = "4133b5c123514166b7dc303e95bb73fc";
inline constexpr const char *MSG_RESUME_DECISION = "2b9cf6bc1a4d4820951508a7bdf204fe";
inline constexpr const char *MSG_IMAGE_INVALIDATED = "66ce6aa035fe4531bca5189bcf0c5960";
inline constexpr const char *MSG_GATE_CHANGED = "d92596643962459da1cf2a51d091cc69";

struct JournalEntry {
        int priority = 6;  // syslog priority (LOG_INFO)
        const char *message_id = nullptr;
        std::string message;
        // Extra fields, upper-case names (HIBERNATE_TOOL_RESULT=…); invalid names are dropped.
        std::vector<std::pair<std::string, std::string>> fields;
};

// True when standard error is connected to the journal ($JOURNAL_STREAM names fd 2's
// device and inode, as systemd sets it for services).
bool stderr_is_journal();

// Sends the entry to the journal; false when libsystemd or journald is not there.
bool journal_send(const JournalEntry &e);

// The one way programs log an event: a structured journal entry when standard error is the
// journal (so nothing is logged twice), else "hibernate-tool: MESSAGE" on standard error.
void log_event(const JournalEntry &e);

// sd_notify(0, state): "READY=1", "STATUS=…", "STOPPING=1". False when not run by systemd
// with NotifyAccess (no $NOTIFY_SOCKET) or without libsystemd.
bool notify(const std::string &state);

// logind's answer to CanHibernate ("yes", "no", "na", "challenge"), on the system bus.
Result<std::string> logind_can_hibernate();

}  // namespace ht::sd
