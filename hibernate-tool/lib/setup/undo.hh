// SPDX-License-Identifier: LGPL-2.1-or-later
// hibernate-tool setup --undo.
#pragma once

#include "setup/context.hh"

namespace ht {

// Puts back what the setup runs recorded in the manifest changed; the report says how it went.
void run_undo(Ctx &c);

}  // namespace ht
