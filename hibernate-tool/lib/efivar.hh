// SPDX-License-Identifier: LGPL-2.1-or-later
// systemd's HibernateLocation EFI variable (systemd >= 255: Debian 13, Fedora 39+), a resume
// source that needs no resume= on the kernel command line.
//
// Format, as systemd-sleep writes it (efi_set_variable_string): the efivarfs file
// /sys/firmware/efi/efivars/HibernateLocation-8cf2644b-4b0b-428f-9387-6d876050dc67 holds 4
// bytes of attributes, then a UTF-16LE string (optionally NUL-terminated) that is one JSON
// object:
//   {"uuid":"<filesystem or swap UUID>","offset":<pages>,"kernelVersion":"6.12.1",
//    "osReleaseId":"debian","osReleaseImageId":…,"osReleaseVersionId":"13",
//    "osReleaseImageVersion":…}
// uuid and offset are mandatory (offset: a number, or a string of digits); other keys are
// ignored. systemd resumes from it only when resume= is absent and the running system's
// os-release ID= and IMAGE_ID= equal osReleaseId and osReleaseImageId (a kernel version
// mismatch is accepted: the image carries its own kernel). We follow the same rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.hh"

namespace ht {

class Host;

inline constexpr const char *HIBERNATE_LOCATION_EFIVAR =
        "/sys/firmware/efi/efivars/HibernateLocation-8cf2644b-4b0b-428f-9387-6d876050dc67";

struct HibernateLocation {
        std::string uuid;  // lower-case 8-4-4-4-12
        uint64_t offset = 0;
        std::optional<std::string> kernel_version;
        std::optional<std::string> os_id;
        std::optional<std::string> os_image_id;
        std::optional<std::string> os_version_id;
        std::optional<std::string> os_image_version;
};

// Pure, bounded: the efivarfs file's bytes (attributes included). One clear error for
// anything systemd itself would refuse.
Result<HibernateLocation> parse_hibernate_location(std::string_view efivar_bytes);

// The variable under the root: nullopt when it is not set (or efivarfs is not mounted).
Result<std::optional<HibernateLocation>> read_hibernate_location(const Host &host);

// systemd's rule: the running system's os-release ID= and IMAGE_ID= (both possibly absent)
// equal what the variable recorded. why: the mismatch, for the message.
bool hibernate_location_matches(const HibernateLocation &loc, std::string_view os_release, std::string *why);

// The variable when systemd would resume from it on this system (set, well-formed, written
// by this OS); nullopt otherwise, with note saying why when it is set but not used.
std::optional<HibernateLocation> usable_hibernate_location(const Host &host, std::string *note);

// /etc/os-release, else /usr/lib/os-release, under the root ("" when neither is readable).
std::string read_os_release(const Host &host);

}  // namespace ht
