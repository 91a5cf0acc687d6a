// SPDX-License-Identifier: LGPL-2.1-or-later
// SHA-256 (FIPS 180-4) of a file's content, for the undo manifest: is a file still as setup
// left it? A small implementation, so that the helper copied into the initramfs does not
// pull in libcrypto.
#pragma once

#include <string>
#include <string_view>

namespace ht {

// 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace ht
