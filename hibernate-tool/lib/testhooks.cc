// SPDX-License-Identifier: LGPL-2.1-or-later
#include "testhooks.hh"

#include <csignal>
#include <cstdlib>

namespace ht {

void kill_point([[maybe_unused]] const std::string &step)
{
#ifdef HT_TEST_HOOKS
        const char *k = std::getenv("HIBERNATE_TOOL_TEST_KILL_AT");
        if (k && step == k)
                ::raise(SIGKILL);
#endif
}

}  // namespace ht
