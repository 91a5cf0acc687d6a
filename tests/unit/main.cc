// SPDX-License-Identifier: LGPL-2.1-or-later
// Catch2 v2 gets its main() here; v3 links Catch2Main (catch2-with-main, tests/meson.build).
#if !__has_include(<catch2/catch_test_macros.hpp>)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
