// SPDX-License-Identifier: LGPL-2.1-or-later
// The pure part of hibernate-tool-resume-generator: kernel command line + configuration +
// flags in, unit files out ({path relative to the generator's normal dir → content}) plus
// log messages. No I/O here; generators/main.cc reads the inputs and writes the files.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "efivar.hh"
#include "parse.hh"
#include "result.hh"

namespace ht {

struct Config;

inline constexpr std::string_view RESUME_SERVICE = "hibernate-tool-resume.service";
inline constexpr std::string_view GENERATOR_NAME = "hibernate-tool-resume-generator";

struct GeneratorOptions {
        bool in_initrd = false;                           // /etc/initrd-release or SYSTEMD_IN_INITRD
        std::string helper = "/usr/sbin/hibernate-tool";  // ExecStart=<helper> resume
        // systemd's HibernateLocation EFI variable when usable (efivar.hh), and why it is
        // not when it is set but ignored; read by the caller (this function reads nothing).
        std::optional<HibernateLocation> efi;
        std::string efi_note;
};

// syslog priorities, as written to /dev/kmsg.
enum class LogLevel { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

struct GeneratorMessage {
        LogLevel level = LogLevel::Info;
        std::string text;
};

struct GeneratedFile {
        std::string content;   // file content, or the link target when symlink
        bool symlink = false;
};

struct GeneratorOutput {
        std::map<std::string, GeneratedFile> files;  // relative path → file; empty: generate nothing
        std::vector<GeneratorMessage> messages;
};

// Whether the generator acts at all: in the initrd (or hibernate_tool.generator=always),
// not hibernate_tool.generator=off, and resume not disabled (noresume, nohibernate,
// hibernate=no|noresume). false comes with the reason in messages. main() asks before it
// reads the configuration, so that a normal boot reads nothing more.
bool resume_generator_applies(const Cmdline &cmdline, const GeneratorOptions &opt,
                              std::vector<GeneratorMessage> &messages);

// Decides what to generate (resume_generator_applies() first). Never fails: bad input
// gives no files and a message saying why.
GeneratorOutput generate_resume_units(const Cmdline &cmdline, const Config &cfg, const GeneratorOptions &opt);

// ---- systemd unit-name rules ----------------------------------------------------------
// `systemd-escape --path` semantics (unit_name_path_escape()): the path is simplified
// (duplicate slashes, "." components and trailing slashes dropped), must be valid
// (components ≤ 255 bytes) and normalized (no ".."), "/" alone is "-"; then "/" → "-",
// a leading "." and every byte outside [A-Za-z0-9:_.] → \xNN (lowercase hex).
Result<std::string> unit_name_path_escape(std::string_view path);
// unit_name_from_path(): the escaped path plus suffix (".device"), at most 255 bytes.
Result<std::string> unit_name_from_path(std::string_view path, std::string_view suffix);
// systemd's parse_boolean(): 1/yes/y/true/t/on, 0/no/n/false/f/off (any case).
std::optional<bool> parse_boolean(std::string_view s);

// The /dev node udev creates for a device specification: UUID=… → /dev/disk/by-uuid/…
// (udev-encoded), LABEL= → by-label, PARTUUID= → by-partuuid, PARTLABEL= → by-partlabel,
// MAJ:MIN → /dev/block/MAJ:MIN (udev's link; systemd has no .device unit for it, so the
// generator binds no device then), a path stays as it is.
std::string device_node_for_spec(const DeviceSpec &spec);

}  // namespace ht
