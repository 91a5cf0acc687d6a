// SPDX-License-Identifier: LGPL-2.1-or-later
// Catch2 v3 (Debian 13: one header per part, main() from the Catch2Main library, found as
// catch2-with-main) or v2 (Debian 12: the single header, main() from main.cc).
#pragma once
#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_message.hpp>  // INFO
#include <catch2/catch_test_macros.hpp>
#else
#include <catch2/catch.hpp>
#endif
