// SPDX-License-Identifier: LGPL-2.1-or-later
#include "systemd.hh"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

namespace ht::sd {

namespace {

// The symbols we use, resolved once from libsystemd.so.0.
struct Lib {
        void *handle = nullptr;
        decltype(&sd_journal_sendv) journal_sendv = nullptr;
        decltype(&sd_notify) notify = nullptr;
        decltype(&sd_bus_open_system) bus_open_system = nullptr;
        decltype(&sd_bus_call_method) bus_call_method = nullptr;
        decltype(&sd_bus_set_method_call_timeout) bus_set_timeout = nullptr;
        decltype(&sd_bus_message_read_basic) message_read_basic = nullptr;
        decltype(&sd_bus_message_unref) message_unref = nullptr;
        decltype(&sd_bus_flush_close_unref) bus_flush_close_unref = nullptr;
        decltype(&sd_bus_error_free) error_free = nullptr;
};

const Lib &lib()
{
        static Lib l;
        static std::once_flag once;
        std::call_once(once, [] {
                if (std::getenv("HT_NO_LIBSYSTEMD"))  // tests: behave as on a system without it
                        return;
                void *h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
                if (!h)
                        return;
                l.handle = h;
                auto sym = [h](auto &dst, const char *name) { dst = reinterpret_cast<std::remove_reference_t<decltype(dst)>>(::dlsym(h, name)); };
                sym(l.journal_sendv, "sd_journal_sendv");
                sym(l.notify, "sd_notify");
                sym(l.bus_open_system, "sd_bus_open_system");
                sym(l.bus_call_method, "sd_bus_call_method");
                sym(l.bus_set_timeout, "sd_bus_set_method_call_timeout");
                sym(l.message_read_basic, "sd_bus_message_read_basic");
                sym(l.message_unref, "sd_bus_message_unref");
                sym(l.bus_flush_close_unref, "sd_bus_flush_close_unref");
                sym(l.error_free, "sd_bus_error_free");
        });
        return l;
}

bool valid_field_name(const std::string &n)
{
        if (n.empty() || n.size() > 64 || n[0] == '_' || (n[0] >= '0' && n[0] <= '9'))
                return false;
        for (char c : n)
                if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                        return false;
        return true;
}

}  // namespace

bool stderr_is_journal()
{
        const char *js = std::getenv("JOURNAL_STREAM");
        if (!js)
                return false;
        unsigned long long dev = 0, ino = 0;
        if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2)
                return false;
        struct stat st;
        if (::fstat(2, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

bool journal_send(const JournalEntry &e)
{
        const Lib &l = lib();
        if (!l.journal_sendv)
                return false;
        std::vector<std::string> parts;
        parts.push_back("MESSAGE=" + e.message);
        parts.push_back("PRIORITY=" + std::to_string(e.priority < 0 || e.priority > 7 ? 6 : e.priority));
        parts.push_back("SYSLOG_IDENTIFIER=hibernate-tool");
        if (e.message_id)
                parts.push_back(std::string("MESSAGE_ID=") + e.message_id);
        for (auto &[k, v] : e.fields)
                if (valid_field_name(k))
                        parts.push_back(k + "=" + v);
        std::vector<struct iovec> iov;
        iov.reserve(parts.size());
        for (auto &p : parts)
                iov.push_back({p.data(), p.size()});
        return l.journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

void log_event(const JournalEntry &e)
{
        if (stderr_is_journal() && journal_send(e))
                return;
        std::fprintf(stderr, "hibernate-tool: %s\n", e.message.c_str());
}

bool notify(const std::string &state)
{
        const Lib &l = lib();
        if (!l.notify || !std::getenv("NOTIFY_SOCKET"))
                return false;
        return l.notify(0, state.c_str()) > 0;
}

Result<std::string> logind_can_hibernate()
{
        const Lib &l = lib();
        if (!l.bus_open_system || !l.bus_call_method || !l.bus_set_timeout || !l.message_read_basic || !l.message_unref ||
            !l.bus_flush_close_unref || !l.error_free)
                return Error{ENOSYS, "libsystemd is not available"};
        sd_bus *bus = nullptr;
        int r = l.bus_open_system(&bus);
        if (r < 0)
                return Error{-r, "cannot connect to the system bus"};
        (void)l.bus_set_timeout(bus, 3 * 1000 * 1000);  // never wait long for a stuck logind
        sd_bus_error err = {nullptr, nullptr, 0};  // SD_BUS_ERROR_NULL is a C compound literal
        sd_bus_message *reply = nullptr;
        r = l.bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                              "CanHibernate", &err, &reply, "");
        Result<std::string> out = Error{EIO, "no answer"};
        if (r < 0) {
                out = Error{-r, std::string("logind: ") + (err.message ? err.message : "CanHibernate failed")};
        } else {
                const char *answer = nullptr;
                r = l.message_read_basic(reply, 's', &answer);
                if (r > 0 && answer)
                        out = std::string(answer);
                else
                        out = Error{EBADMSG, "logind: unexpected reply to CanHibernate"};
        }
        l.error_free(&err);
        if (reply)
                l.message_unref(reply);
        l.bus_flush_close_unref(bus);
        return out;
}

}  // namespace ht::sd
