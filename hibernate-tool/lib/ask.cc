// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ask.hh"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <random>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "host.hh"
#include "parse.hh"
#include "spawn.hh"

namespace ht {

namespace {

constexpr const char *ASK_DIR = "/run/systemd/ask-password";
constexpr size_t MAX_ANSWER = 64;

// One line, printable, no control characters: what agents show and what a file line holds.
std::string one_line(const std::string &s)
{
        std::string o;
        for (char c : s)
                o.push_back(c == '\n' || c == '\r' ? ' ' : c);
        return printable(o);
}

std::string random_hex()
{
        std::random_device rd;
        char buf[17];
        std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
        return buf;
}

uint64_t monotonic_usec()
{
        struct timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

std::string trimmed_answer(std::string a)
{
        while (!a.empty() && (a.back() == '\n' || a.back() == '\r'))
                a.pop_back();
        if (a.size() > MAX_ANSWER)
                a.resize(MAX_ANSWER);
        return a;
}

}  // namespace

const char *ask_way_name(AskWay w)
{
        switch (w) {
        case AskWay::Agents: return "password agent";
        case AskWay::Plymouth: return "plymouth";
        case AskWay::Console: return "console";
        case AskWay::None: return "nobody";
        }
        return "nobody";
}

AskWay ask_way(const Host &host)
{
        // sd_booted(): systemd is the init when /run/systemd/system/ is a directory. The agents'
        // way only when an agent can run: dracut adds them only when a module needs them.
        if (auto st = host.lstat("/run/systemd/system"); st && S_ISDIR(st->st_mode))
                for (const char *dir : {"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
                                        "/lib/systemd/system"})
                        for (const char *unit : {"systemd-ask-password-console.path", "systemd-ask-password-plymouth.path"})
                                if (host.exists(std::string(dir) + "/" + unit))
                                        return AskWay::Agents;
        if (host.is_real_root()) {
                SpawnOptions so;
                so.out = SpawnOptions::Out::Null;
                so.stderr_null = true;
                so.timeout_ms = 2000;
                if (auto r = spawn_wait({"plymouth", "--ping"}, so); r && r->status == 0 && !r->timed_out)
                        return AskWay::Plymouth;
        }
        if (auto fd = host.open("/dev/console", O_RDWR | O_NOCTTY | O_NONBLOCK); fd && ::isatty(fd->get()))
                return AskWay::Console;
        return AskWay::None;
}

std::optional<std::string> ask_user(const Host &host, const std::string &id, const std::string &question,
                                    unsigned timeout_sec, AskWay *via)
{
        AskWay w = timeout_sec == 0 ? AskWay::None : ask_way(host);
        if (via)
                *via = w;
        switch (w) {
        case AskWay::Agents: return ask_via_agents(host, id, question, timeout_sec);
        case AskWay::Plymouth: return ask_via_plymouth(question, timeout_sec);
        case AskWay::Console: return ask_on_console(host, question, timeout_sec);
        case AskWay::None: return std::nullopt;
        }
        return std::nullopt;
}

// The protocol (systemd's ask-password-api.c, https://systemd.io/PASSWORD_AGENTS/): a
// datagram socket with SO_PASSCRED, then an "ask.*" file naming it, renamed into place (the
// agents watch for IN_MOVED_TO). The answer is "+<text>" (NUL-separated values: the first
// counts) or "-" (cancelled), accepted only from root. NotAfter= is CLOCK_MONOTONIC, usec.
std::optional<std::string> ask_via_agents(const Host &host, const std::string &id, const std::string &question,
                                          unsigned timeout_sec)
{
        if (timeout_sec == 0)
                return std::nullopt;
        if (!host.mkdir_p(ASK_DIR, 0755))
                return std::nullopt;
        auto dir = host.open_dir(ASK_DIR);
        if (!dir)
                return std::nullopt;
        Fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!sock.valid())
                return std::nullopt;
        int one = 1;
        if (::setsockopt(sock.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return std::nullopt;
        std::string tag = random_hex();
        std::string sck_name = "sck." + tag;
        // Bound through the directory's fd: the socket lands inside the root whatever links
        // the path holds. The agents see it under its path in the root.
        struct sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::string via_fd = "/proc/self/fd/" + std::to_string(dir->get()) + "/" + sck_name;
        if (via_fd.size() >= sizeof sa.sun_path)
                return std::nullopt;
        std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", via_fd.c_str());
        if (::bind(sock.get(), reinterpret_cast<struct sockaddr *>(&sa), sizeof sa) < 0)
                return std::nullopt;
        std::string sck_path = std::string(ASK_DIR) + "/" + sck_name;
        std::string ask_path = std::string(ASK_DIR) + "/ask." + tag;
        uint64_t not_after = monotonic_usec() + static_cast<uint64_t>(timeout_sec) * 1000000u;
        std::string file = "[Ask]\nPID=" + std::to_string(::getpid()) + "\nSocket=" + sck_path +
                           "\nAcceptCached=0\nEcho=1\nNotAfter=" + std::to_string(not_after) +
                           "\nSilent=0\nMessage=" + one_line(question) + "\nId=" + one_line(id) + "\n";
        std::optional<std::string> answer;
        if (host.write_file_atomic(ask_path, file, 0644)) {
                auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_sec);
                for (;;) {
                        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now()).count();
                        if (left <= 0)
                                break;
                        struct pollfd p{sock.get(), POLLIN, 0};
                        int r = ::poll(&p, 1, static_cast<int>(left));
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r <= 0)
                                break;
                        char buf[4096];
                        char control[CMSG_SPACE(sizeof(struct ucred))];
                        struct iovec iov{buf, sizeof buf};
                        struct msghdr mh{};
                        mh.msg_iov = &iov;
                        mh.msg_iovlen = 1;
                        mh.msg_control = control;
                        mh.msg_controllen = sizeof control;
                        ssize_t n = ::recvmsg(sock.get(), &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC);
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (n <= 0)
                                break;
                        const struct ucred *cred = nullptr;
                        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                                        cred = reinterpret_cast<const struct ucred *>(CMSG_DATA(c));
                        if (!cred || cred->uid != 0 || (mh.msg_flags & MSG_TRUNC))
                                continue;  // only root answers, as systemd has it
                        if (buf[0] == '-')
                                break;  // cancelled
                        if (buf[0] != '+')
                                continue;
                        std::string v(buf + 1, static_cast<size_t>(n) - 1);
                        if (auto z = v.find('\0'); z != std::string::npos)
                                v.resize(z);
                        answer = trimmed_answer(v);
                        break;
                }
        }
        (void) host.remove(ask_path);
        (void) ::unlinkat(dir->get(), sck_name.c_str(), 0);
        return answer;
}

std::optional<std::string> ask_via_plymouth(const std::string &question, unsigned timeout_sec)
{
        if (timeout_sec == 0)
                return std::nullopt;
        SpawnOptions so;
        so.out = SpawnOptions::Out::Capture;
        so.stderr_null = true;
        so.timeout_ms = timeout_sec * 1000u;
        so.capture_limit = 4096;
        auto r = spawn_wait({"plymouth", "ask-question", "--prompt=" + one_line(question)}, so);
        if (!r || r->timed_out || r->status != 0)
                return std::nullopt;
        return trimmed_answer(r->out);
}

std::optional<std::string> ask_on_console(const Host &host, const std::string &question, unsigned timeout_sec)
{
        if (timeout_sec == 0)
                return std::nullopt;
        auto fd = host.open("/dev/console", O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (!fd || !::isatty(fd->get()))
                return std::nullopt;
        (void) ::tcflush(fd->get(), TCIFLUSH);  // keys pressed before the question answer nothing
        std::string q = "\n" + printable(question) + " ";
        if (::write(fd->get(), q.data(), q.size()) < 0)
                return std::nullopt;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_sec);
        std::string line;
        for (;;) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                  std::chrono::steady_clock::now());
                if (left.count() <= 0)
                        break;
                struct pollfd p{fd->get(), POLLIN, 0};
                int r = ::poll(&p, 1, static_cast<int>(left.count()));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0 || !(p.revents & POLLIN))
                        break;
                char buf[64];
                ssize_t n = ::read(fd->get(), buf, sizeof buf);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n <= 0)
                        break;
                for (ssize_t i = 0; i < n; i++) {
                        if (buf[i] == '\n' || buf[i] == '\r') {
                                (void) !::write(fd->get(), "\n", 1);
                                return line;
                        }
                        if (line.size() < MAX_ANSWER)
                                line.push_back(buf[i]);
                }
        }
        (void) !::write(fd->get(), "\n", 1);
        return std::nullopt;
}

}  // namespace ht
