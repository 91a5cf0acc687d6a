// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool's verbs: one file each, each a few lines over the library.
#pragma once

#include <string>
#include <vector>

#include "cli.hh"
#include "config.hh"
#include "host.hh"
#include "setup/args.hh"

int verb_resume(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_record(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_invalidate(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_setup(const std::vector<std::string> &args);  // argv after "setup"
int verb_pre(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_post(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_gate(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_boot_entry(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
int verb_prefetch(const ht::Host &host, const ht::Config &cfg, const ht::ToolOptions &o);
