/* SPDX-License-Identifier: GPL-2.0 */
/* The one translation unit that compiles Catch2's runner (v2, header-only). */
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
