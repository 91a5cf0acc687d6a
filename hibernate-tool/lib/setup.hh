// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool setup: one command that configures hibernation — a swap area (an
// existing partition or a new swap file), the resume target on the kernel command line
// (GRUB drop-in, marked block or grubby), the initramfs configuration and the project's
// configuration — with a dry run, idempotence and an exact undo.
//
// Each concern is a room in setup/ (bottom first): args (the command line), context (the
// run context every step shares), then the steps — swapfile, fstab, cmdline, initramfs,
// regenerate, diff, manifest, undo — and this driver on top (plan, apply, report). The pure
// parts (argument parsing, the size policy, the text editing, the undo manifest) are
// separate functions so they are unit-tested and fuzzed.
#pragma once

#include <string>

#include "setup/args.hh"
#include "setup/cmdline.hh"
#include "setup/context.hh"
#include "setup/diff.hh"
#include "setup/fstab.hh"
#include "setup/initramfs.hh"
#include "setup/manifest.hh"
#include "setup/regenerate.hh"
#include "setup/swapfile.hh"
#include "setup/undo.hh"

namespace ht {

// Runs setup (or undo). Never throws; the report says what happened. Text lines for a
// human go to `log` (may be null).
SetupReport run_setup(const SetupOptions &o, void (*log)(const std::string &) = nullptr);
std::string setup_report_json(const SetupReport &r, JsonStyle style = JsonStyle::Short);

}  // namespace ht
