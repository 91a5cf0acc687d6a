// SPDX-License-Identifier: LGPL-2.1-or-later
// The "logind" check: what systemd will say when asked to hibernate — the effective
// AllowHibernation= of sleep.conf and, on the running system, logind's CanHibernate.
#include <cerrno>

#include "checks.hh"
#include "sleep.hh"
#include "sleepconf.hh"
#include "systemd.hh"

namespace ht {

CheckResult check_logind(const Host &host, std::vector<std::string> &notes)
{
        CheckResult r;
        r.id = "logind";
        SleepConf conf = read_sleep_conf(host);
        for (auto &w : conf.warnings)
                notes.push_back("sleep.conf: " + w);
        const SleepAllow &a = conf.hibernation;
        bool ours = !a.allowed && a.file == GATE_FILE;
        if (!a.allowed && !ours) {
                r.status = CheckStatus::Fail;
                r.summary = "systemd's sleep configuration disallows hibernation (AllowHibernation=no in " + a.file + ")";
                r.detail = "logind refuses systemctl hibernate and desktops hide the action whatever else is right.";
                r.remedy = "Remove AllowHibernation=no from " + a.file + " (line " + std::to_string(a.line) + ").";
                return r;
        }
        std::optional<std::string> can;
        std::string bus_error;
        if (host.is_real_root()) {
                auto c = sd::logind_can_hibernate();
                if (c)
                        can = *c;
                else
                        bus_error = c.error().message;
        }
        std::string allow_text = ours ? "hibernate-tool's gate disallows hibernation until the failing checks pass"
                                      : "sleep.conf allows hibernation";
        if (ours) {
                r.status = CheckStatus::Warn;
                r.summary = allow_text + (can ? " (logind: CanHibernate=" + *can + ")" : "");
                r.detail = "The gate (" + std::string(GATE_FILE) + ") sets AllowHibernation=no while hibernating is not safe.";
                r.remedy = "Fix the checks that fail; the gate then offers hibernation again by itself.";
                return r;
        }
        if (!can) {
                r.status = CheckStatus::Skip;
                r.summary = allow_text + "; logind not asked";
                r.detail = host.is_real_root() ? "CanHibernate: " + bus_error
                                               : "logind is not asked about a system under --root.";
                return r;
        }
        if (*can == "yes" || *can == "challenge") {
                r.status = CheckStatus::Pass;
                r.summary = "logind offers hibernation (CanHibernate=" + *can + ")";
                if (*can == "challenge")
                        r.detail = "polkit asks for authentication first.";
                return r;
        }
        r.status = CheckStatus::Fail;
        r.summary = "logind refuses hibernation (CanHibernate=" + *can + ")";
        r.detail = *can == "na" ? "systemd considers hibernation unsupported on this system (kernel, swap or resume "
                                  "configuration; see journalctl -u systemd-logind)."
                                : "The user is not allowed to hibernate (polkit policy).";
        r.remedy = "See the other checks; 'journalctl -b -u systemd-logind' has systemd's own reason.";
        return r;
}

}  // namespace ht
