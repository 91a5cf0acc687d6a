// SPDX-License-Identifier: LGPL-2.1-or-later
// Running another program: the one place that forks. No shell: argv is executed as given
// (PATH search). Everything the child needs (argv, environment) is built before fork(), so
// the child calls only async-signal-safe functions; the caller's threads cannot deadlock it.
// Every wait is bounded when the caller gives a timeout: the child is sent SIGTERM at the
// bound and SIGKILL one second later, and the result says it timed out.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "host.hh"
#include "result.hh"

namespace ht {

struct SpawnOptions {
        enum class Out {
                Inherit,   // the child writes where we write
                ToStderr,  // the child's stdout goes to our stderr (keeps JSON on stdout clean)
                Capture,   // collected into SpawnResult::out (spawn_wait) / the pipe (spawn_piped)
                Null,      // /dev/null
        } out = Out::Inherit;
        bool stderr_null = false;   // the child's stderr to /dev/null
        int stdin_fd = -1;          // dup'ed to the child's stdin; -1: inherited
        std::string chroot_dir;     // chroot into it before exec (setup --root)
        bool standard_path = false; // PATH set to the standard sbin/bin directories (a PATH= in env wins)
        std::vector<std::string> env; // "NAME=value" set for the child only (replacing NAME)
        unsigned timeout_ms = 0;    // 0: no bound
        size_t capture_limit = 64u << 20;  // bytes kept of the captured output
};

struct SpawnResult {
        int status = 0;          // exit status, or 128 + signal
        bool timed_out = false;  // killed at the bound
        std::string out;         // Out::Capture
};

// Runs argv and waits for it (bounded by opts.timeout_ms). Error only when it could not be
// started at all (fork failed); a program that is not found exits 127.
Result<SpawnResult> spawn_wait(const std::vector<std::string> &argv, const SpawnOptions &opts = {});

// A running child whose stdout the caller reads (opts.out must be Capture).
struct Spawned {
        pid_t pid = -1;
        Fd out;  // read end of the child's stdout
};
Result<Spawned> spawn_piped(const std::vector<std::string> &argv, const SpawnOptions &opts);
// Ends a spawn_piped child: SIGTERM first when `stop` (then SIGKILL after one second), and
// reaps it. Returns its status as SpawnResult::status does.
int spawn_reap(pid_t pid, bool stop);

// "exited with status N" / "was killed by signal N" / "did not finish within N s".
std::string spawn_failure(const std::string &what, const SpawnResult &r, unsigned timeout_ms = 0);

}  // namespace ht
