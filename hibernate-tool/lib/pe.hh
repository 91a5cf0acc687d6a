// SPDX-License-Identifier: LGPL-2.1-or-later
// A bounds-checked reader of PE/COFF section tables, for Unified Kernel Images (Boot Loader
// Specification Type #2): their .osrel, .cmdline, .uname and .linux sections. No library on
// Debian exposes this (systemd's own reader is internal), so it is hand-parsed here, every
// offset checked against the file size, and fuzzed (fuzz/fuzz-pe.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace ht {

class Host;

struct PeSection {
        std::string name;        // up to 8 bytes, NULs dropped
        uint32_t virtual_size = 0;
        uint32_t virtual_address = 0;
        uint32_t raw_size = 0;   // SizeOfRawData
        uint32_t raw_offset = 0; // PointerToRawData
        // The bytes that hold the section's content in the file: VirtualSize when it is
        // within SizeOfRawData (the raw size is padded to the file alignment), else the raw size.
        uint32_t data_size() const { return virtual_size && virtual_size <= raw_size ? virtual_size : raw_size; }
};

// Largest section table we accept (the PE loader's own limit is 96).
inline constexpr unsigned PE_MAX_SECTIONS = 96;
// How many bytes of the file's start are enough to hold the section table: the headers end
// before this (MZ stub + PE header + optional header + 96 sections ≈ 4.5 KiB).
inline constexpr size_t PE_HEAD_MAX = 64 * 1024;

// The section table of a PE image. head: the first bytes of the file (at least up to the
// end of the section table); file_size: the whole file's size — every section's raw data
// must lie within it. EINVAL with a message naming what is wrong, for anything else.
Result<std::vector<PeSection>> pe_parse_sections(std::string_view head, uint64_t file_size);

// The content of the section called name inside a whole file held in memory (nullopt: no
// such section); trailing NULs are dropped. For tests and the fuzzer.
std::optional<std::string> pe_section_data(std::string_view file, const std::vector<PeSection> &sections,
                                           std::string_view name);

// What a Unified Kernel Image says about itself.
struct UkiInfo {
        std::optional<std::string> osrel;    // .osrel (os-release text)
        std::optional<std::string> cmdline;  // .cmdline
        std::optional<std::string> uname;    // .uname (the kernel release)
        std::optional<std::string> linux_release;  // release in the .linux section's bzImage header
};
// Reads a UKI through the Host (under --root): the header, then the few sections, each at
// most max_section bytes (a larger one is an error). ENOEXEC: not a PE image or no .linux.
Result<UkiInfo> read_uki(const Host &host, const std::string &abs, size_t max_section = 64 * 1024);

// The value of KEY in os-release text (quotes and backslash escapes removed).
std::optional<std::string> os_release_value(std::string_view text, std::string_view key);

}  // namespace ht
