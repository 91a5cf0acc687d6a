// SPDX-License-Identifier: LGPL-2.1-or-later
#include "testhooks.hh"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace ht {

void kill_point([[maybe_unused]] const std::string &step)
{
#ifdef HT_TEST_HOOKS
        const char *k = std::getenv("HIBERNATE_TOOL_TEST_KILL_AT");
        if (k && step == k)
                ::raise(SIGKILL);
        // The power-cut tests (tests/e2e/test-powercut-vm.sh): stop right here and say so on
        // the kernel log (the VM's serial console), where the host waits for the line and
        // cuts the power. Never returns; test builds only.
        const char *p = std::getenv("HIBERNATE_TOOL_TEST_PAUSE_AT");
        if (p && step == p) {
                std::string line = "<3>hibernate-tool: test hook: paused at " + step + "\n";
                int fd = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        (void)!::write(fd, line.data(), line.size());
                        ::close(fd);
                }
                std::fprintf(stderr, "%s", line.c_str() + 3);
                std::fflush(stderr);
                for (;;)
                        ::pause();
        }
#endif
}

}  // namespace ht
