// SPDX-License-Identifier: LGPL-2.1-or-later
// The undo state: what setup changed (the manifest's format and parser) and where it lives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"
#include "setup/context.hh"

namespace ht {

// One setup run's change of one file: at `offset` (the same in the content before and
// after), `removed` was replaced by `added` — whole lines, the smallest such change. Hashes
// are SHA-256 hex of the whole content, "-" for an absent file.
struct ManifestEdit {
        std::string before_sha;
        std::string after_sha;
        uint64_t offset = 0;
        std::string removed;
        std::string added;
        bool eol = false;  // setup first added the missing final newline of the content before
};
struct ManifestFile {
        std::string path;     // absolute, inside the root
        bool existed = false;
        unsigned mode = 0644;  // of the original
        std::string orig;     // state file name under SETUP_STATE_DIR (existed only)
        // Format 2: the original's hash ("-" when it did not exist) and every run's edit, in
        // order — what the three-way undo needs. Empty orig_sha: not known (a format 1
        // manifest, or a file grubby edited): undo restores the saved bytes whatever the
        // file holds now.
        std::string orig_sha;
        std::vector<ManifestEdit> edits;
};
struct Manifest {
        std::vector<ManifestFile> files;
        std::vector<std::string> created_dirs;       // parents we created, outermost first
        std::vector<std::string> created_swap_files;  // swap files setup created
        bool grubby = false;                          // BLS entries were edited with grubby
        std::string grubby_args;                      // what was added
};
// Writes format 2; reads 1 and 2.
std::string format_manifest(const Manifest &m);
Result<Manifest> parse_manifest(std::string_view text);

// SHA-256 hex of a file's content, "-" when it is absent.
std::string content_sha(const std::optional<std::string> &content);
// The edit that turns before into after (whole lines; see ManifestEdit).
ManifestEdit make_edit(const std::optional<std::string> &before, const std::optional<std::string> &after);
// Records a run's edit of a file: appended, or replacing the last one when that run never
// wrote the file (its content is still the one that edit started from).
void add_edit(ManifestFile &f, ManifestEdit e);
// The content after every recorded edit, replayed on the original (nullopt: absent).
std::optional<std::string> replay_edits(const ManifestFile &f, const std::optional<std::string> &orig);

// Three-way undo of one file. orig: the content before the first setup (nullopt: absent);
// current: what the file holds now. The result: the original when the file is as setup left
// it (or already back), else the current content with setup's own changes taken out (the
// admin's later edits kept). An error (EEXIST) when a change setup made is no longer there
// verbatim (the admin altered setup's own lines): then nothing may be changed.
Result<std::optional<std::string>> undo_edits(const ManifestFile &f, const std::optional<std::string> &orig,
                                              const std::optional<std::string> &current);

// SETUP_STATE_DIR/manifest of the root; ENOENT: no setup state.
Result<Manifest> load_manifest(const Ctx &c);

}  // namespace ht
