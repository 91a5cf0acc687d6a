// SPDX-License-Identifier: LGPL-2.1-or-later
#include "spawn.hh"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace ht {

namespace {

constexpr const char *STANDARD_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int status_of(int ws)
{
        if (WIFEXITED(ws))
                return WEXITSTATUS(ws);
        return 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}

// fork + exec with everything prepared beforehand. Returns the pid; *out_rd is the read end
// of the child's stdout when opts.out is Capture.
Result<pid_t> start(const std::vector<std::string> &argv, const SpawnOptions &opts, Fd *out_rd)
{
        if (argv.empty() || argv[0].empty())
                return Error{EINVAL, "nothing to run"};
        std::vector<char *> av;
        for (auto &a : argv)
                av.push_back(const_cast<char *>(a.c_str()));
        av.push_back(nullptr);
        std::vector<std::string> envs;
        std::vector<char *> ev;
        char **envp = environ;
        if (opts.standard_path || !opts.env.empty()) {
                // A PATH in opts.env is the caller's own choice: it wins over the standard one.
                bool env_path = false;
                for (auto &x : opts.env)
                        env_path |= x.compare(0, 5, "PATH=") == 0;
                bool std_path = opts.standard_path && !env_path;
                // NAME= of a variable the child gets from opts (or PATH, when replaced).
                auto replaced = [&](const char *e) {
                        if (std_path && std::strncmp(e, "PATH=", 5) == 0)
                                return true;
                        for (auto &x : opts.env) {
                                size_t n = x.find('=');
                                if (n != std::string::npos && std::strncmp(e, x.c_str(), n + 1) == 0)
                                        return true;
                        }
                        return false;
                };
                for (char **e = environ; e && *e; e++)
                        if (!replaced(*e))
                                envs.emplace_back(*e);
                if (std_path)
                        envs.emplace_back(STANDARD_PATH);
                for (auto &x : opts.env)
                        if (x.find('=') != std::string::npos)
                                envs.push_back(x);
                for (auto &e : envs)
                        ev.push_back(e.data());
                ev.push_back(nullptr);
                envp = ev.data();
        }
        // The PATH search happens here, not in the child (execvpe allocates).
        std::string prog = argv[0];
        if (prog.find('/') == std::string::npos) {
                std::string path;
                for (char **e = envp; e && *e; e++)
                        if (std::strncmp(*e, "PATH=", 5) == 0)
                                path = *e + 5;
                if (path.empty())
                        path = STANDARD_PATH + 5;
                std::string found;
                size_t i = 0;
                while (i <= path.size()) {
                        size_t j = path.find(':', i);
                        if (j == std::string::npos)
                                j = path.size();
                        std::string dir = path.substr(i, j - i);
                        if (dir.empty())
                                dir = ".";
                        std::string cand = (opts.chroot_dir.empty() ? "" : opts.chroot_dir) + dir + "/" + prog;
                        if (::access(cand.c_str(), X_OK) == 0) {
                                found = dir + "/" + prog;
                                break;
                        }
                        i = j + 1;
                }
                if (!found.empty())
                        prog = found;
        }
        int p[2] = {-1, -1};
        if (opts.out == SpawnOptions::Out::Capture && ::pipe2(p, O_CLOEXEC) < 0)
                return Error::from_errno(errno, "pipe");
        std::fflush(stdout);
        std::fflush(stderr);
        const char *chroot_dir = opts.chroot_dir.empty() ? nullptr : opts.chroot_dir.c_str();
        pid_t pid = ::fork();
        if (pid < 0) {
                int e = errno;
                if (p[0] >= 0) {
                        ::close(p[0]);
                        ::close(p[1]);
                }
                return Error::from_errno(e, "fork");
        }
        if (pid == 0) {
                // Async-signal-safe calls only from here on.
                if (opts.stdin_fd >= 0 && ::dup2(opts.stdin_fd, 0) < 0)
                        ::_exit(127);
                switch (opts.out) {
                case SpawnOptions::Out::Inherit: break;
                case SpawnOptions::Out::ToStderr: ::dup2(2, 1); break;
                case SpawnOptions::Out::Capture: ::dup2(p[1], 1); break;
                case SpawnOptions::Out::Null: {
                        int n = ::open("/dev/null", O_WRONLY);
                        if (n >= 0)
                                ::dup2(n, 1);
                        break;
                }
                }
                if (opts.stderr_null) {
                        int n = ::open("/dev/null", O_WRONLY);
                        if (n >= 0)
                                ::dup2(n, 2);
                }
                if (chroot_dir && (::chroot(chroot_dir) < 0 || ::chdir("/") < 0))
                        ::_exit(127);
                ::execve(prog.c_str(), av.data(), envp);
                ::_exit(127);
        }
        if (p[1] >= 0)
                ::close(p[1]);
        if (out_rd && p[0] >= 0)
                *out_rd = Fd(p[0]);
        else if (p[0] >= 0)
                ::close(p[0]);
        return pid;
}

// The child's status once it exited, polled until `until`; nullopt: still running then.
std::optional<int> exited_by(pid_t pid, std::chrono::steady_clock::time_point until)
{
        for (;;) {
                int ws = 0;
                pid_t r = ::waitpid(pid, &ws, WNOHANG);
                if (r == pid)
                        return status_of(ws);
                if (r < 0 && errno != EINTR)
                        return 127;
                if (std::chrono::steady_clock::now() >= until)
                        return std::nullopt;
                ::usleep(10000);
        }
}

// Waits for pid until the deadline (none when !bounded); then SIGTERM, 1 s, SIGKILL.
int wait_bounded(pid_t pid, bool bounded, std::chrono::steady_clock::time_point deadline, bool *timed_out)
{
        int ws = 0;
        if (!bounded) {
                while (::waitpid(pid, &ws, 0) < 0)
                        if (errno != EINTR)
                                return 127;
                return status_of(ws);
        }
        if (auto st = exited_by(pid, deadline))
                return *st;
        if (timed_out)
                *timed_out = true;
        return spawn_reap(pid, true);
}

}  // namespace

Result<SpawnResult> spawn_wait(const std::vector<std::string> &argv, const SpawnOptions &opts)
{
        Fd rd;
        auto pid = start(argv, opts, &rd);
        if (!pid)
                return pid.error();
        SpawnResult res;
        bool bounded = opts.timeout_ms > 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.timeout_ms);
        if (rd.valid()) {
                char buf[8192];
                for (;;) {
                        int wait_ms = -1;
                        if (bounded) {
                                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::steady_clock::now()).count();
                                if (left <= 0)
                                        break;
                                wait_ms = static_cast<int>(left);
                        }
                        struct pollfd pf{rd.get(), POLLIN, 0};
                        int r = ::poll(&pf, 1, wait_ms);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r <= 0)
                                break;
                        ssize_t n = ::read(rd.get(), buf, sizeof buf);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        size_t room = opts.capture_limit > res.out.size() ? opts.capture_limit - res.out.size() : 0;
                        res.out.append(buf, std::min(room, static_cast<size_t>(n)));
                }
                rd = Fd();
        }
        res.status = wait_bounded(*pid, bounded, deadline, &res.timed_out);
        return res;
}

Result<Spawned> spawn_piped(const std::vector<std::string> &argv, const SpawnOptions &opts)
{
        if (opts.out != SpawnOptions::Out::Capture)
                return Error{EINVAL, "spawn_piped needs Out::Capture"};
        Spawned s;
        auto pid = start(argv, opts, &s.out);
        if (!pid)
                return pid.error();
        s.pid = *pid;
        return s;
}

int spawn_reap(pid_t pid, bool stop)
{
        if (pid <= 0)
                return 127;
        int ws = 0;
        if (stop) {
                ::kill(pid, SIGTERM);
                if (auto st = exited_by(pid, std::chrono::steady_clock::now() + std::chrono::seconds(1)))
                        return *st;
                ::kill(pid, SIGKILL);
        }
        while (::waitpid(pid, &ws, 0) < 0)
                if (errno != EINTR)
                        return 127;
        return status_of(ws);
}

std::string spawn_failure(const std::string &what, const SpawnResult &r, unsigned timeout_ms)
{
        if (r.timed_out)
                return what + " did not finish within " + std::to_string((timeout_ms + 999) / 1000) + " s";
        if (r.status == 127)
                return what + " could not be run (not installed?)";
        if (r.status > 128)
                return what + " was killed by signal " + std::to_string(r.status - 128);
        return what + " exited with status " + std::to_string(r.status);
}

}  // namespace ht
