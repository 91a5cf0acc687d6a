// SPDX-License-Identifier: LGPL-2.1-or-later
// Helpers shared by the libFuzzer targets (header-only, no library code).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// An invariant of the API broke: abort so libFuzzer records the input as a crash.
#define FUZZ_CHECK(cond)                                                                       \
        do {                                                                                   \
                if (!(cond)) {                                                                 \
                        std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
                        std::abort();                                                          \
                }                                                                              \
        } while (0)

namespace fuzz {

inline std::string_view as_view(const uint8_t *data, size_t size)
{
        return {reinterpret_cast<const char *>(data), size};
}

// Splits on sep; a trailing separator gives a trailing empty part, as with argv joined by NULs.
inline std::vector<std::string_view> split(std::string_view s, char sep)
{
        std::vector<std::string_view> out;
        size_t pos = 0;
        for (;;) {
                size_t e = s.find(sep, pos);
                if (e == std::string_view::npos) {
                        out.push_back(s.substr(pos));
                        return out;
                }
                out.push_back(s.substr(pos, e - pos));
                pos = e + 1;
        }
}

// No raw control bytes (what printable() promises); DEL too.
inline bool no_control_bytes(std::string_view s)
{
        for (char c : s) {
                auto u = static_cast<unsigned char>(c);
                if (u < 0x20 || u == 0x7f)
                        return false;
        }
        return true;
}

// Strict UTF-8 validation (no overlongs, no surrogates, <= U+10FFFF).
inline bool valid_utf8(std::string_view s)
{
        size_t i = 0;
        while (i < s.size()) {
                auto c = static_cast<unsigned char>(s[i]);
                size_t n;
                uint32_t cp;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0) {
                        n = 2;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 3;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 4;
                        cp = c & 0x07;
                } else {
                        return false;
                }
                if (i + n > s.size())
                        return false;
                for (size_t k = 1; k < n; k++) {
                        auto b = static_cast<unsigned char>(s[i + k]);
                        if ((b & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (b & 0x3f);
                }
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n;
        }
        return true;
}

}  // namespace fuzz
