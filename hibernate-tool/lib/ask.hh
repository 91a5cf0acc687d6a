// SPDX-License-Identifier: LGPL-2.1-or-later
// Asking the user one question at boot, bounded in time, where the boot shows it:
//   1. systemd's password-agent protocol when systemd is the init (a systemd initrd, e.g.
//      dracut's) and its console or plymouth agent unit is installed (dracut includes them
//      only when a module needs them, e.g. crypt): a file under /run/systemd/ask-password
//      names a socket; whichever agent runs — the console agent, plymouth's — asks and sends
//      the answer there
//      (https://systemd.io/PASSWORD_AGENTS/). Echo=1: the answer is not secret.
//   2. plymouth when its daemon runs (initramfs-tools with a splash screen):
//      `plymouth ask-question`, which prints the answer.
//   3. else the root's /dev/console when it is a terminal.
// Every way returns nullopt on no answer within the bound, a cancelled question, or no way
// to ask at all; the caller then applies its default.
#pragma once

#include <optional>
#include <string>

namespace ht {

class Host;

enum class AskWay { Agents, Plymouth, Console, None };
const char *ask_way_name(AskWay w);  // "password agent", "plymouth", "console", "nobody"

// Which way ask_user would take now (Plymouth: only on the real root, when it answers a ping).
AskWay ask_way(const Host &host);

// Asks `question` the way ask_way() picks; `id` tags the question for agents
// ("hibernate-tool:<what>"). `via`, when given, is set to the way taken.
std::optional<std::string> ask_user(const Host &host, const std::string &id, const std::string &question,
                                    unsigned timeout_sec, AskWay *via = nullptr);

// The three ways, each usable on its own.
std::optional<std::string> ask_via_agents(const Host &host, const std::string &id, const std::string &question,
                                          unsigned timeout_sec);
std::optional<std::string> ask_via_plymouth(const std::string &question, unsigned timeout_sec);
std::optional<std::string> ask_on_console(const Host &host, const std::string &question, unsigned timeout_sec);

}  // namespace ht
