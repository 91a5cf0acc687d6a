// SPDX-License-Identifier: LGPL-2.1-or-later
// The undo state: what setup changed (the manifest's format and parser) and where it lives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "result.hh"
#include "setup/context.hh"

namespace ht {

struct ManifestFile {
        std::string path;     // absolute, inside the root
        bool existed = false;
        unsigned mode = 0644;  // of the original
        std::string orig;     // state file name under SETUP_STATE_DIR (existed only)
};
struct Manifest {
        std::vector<ManifestFile> files;
        std::vector<std::string> created_dirs;       // parents we created, outermost first
        std::vector<std::string> created_swap_files;  // swap files setup created
        bool grubby = false;                          // BLS entries were edited with grubby
        std::string grubby_args;                      // what was added
};
std::string format_manifest(const Manifest &m);
Result<Manifest> parse_manifest(std::string_view text);

// SETUP_STATE_DIR/manifest of the root; ENOENT: no setup state.
Result<Manifest> load_manifest(const Ctx &c);

}  // namespace ht
