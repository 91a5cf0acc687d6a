// SPDX-License-Identifier: LGPL-2.1-or-later
// The crash tests' kill points: HIBERNATE_TOOL_TEST_KILL_AT=<step> sends SIGKILL to the
// program right after that step; HIBERNATE_TOOL_TEST_PAUSE_AT=<step> prints
// "hibernate-tool: test hook: paused at <step>" on /dev/kmsg and stderr there and waits
// forever (the power-cut e2e test cuts the VM's power on that line). Compiled in only
// with -Dtest_hooks=true (the test build, tools/hibernate-dev); a no-op in every other build.
#pragma once

#include <string>

namespace ht {

void kill_point(const std::string &step);

}  // namespace ht
