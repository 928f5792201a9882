/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* Factories for the strategies, one per file (replay.hpp has its own class). */

#include <cstdint>
#include <memory>

#include "../strategy.hpp"

namespace mmrace {

/* Exhaustive depth-first search over every interleaving, no reduction. */
std::unique_ptr<Strategy> makeDfsStrategy();
/*
 * Exhaustive DFS with sleep sets (Godefroid 1996): one complete execution
 * per Mazurkiewicz trace of the declared accesses; the rest are cut short as
 * sleep-set blocked.
 */
std::unique_ptr<Strategy> makeSleepSetStrategy();
/* Seeded uniform random walk; execution k uses a stream derived from (seed, k). */
std::unique_ptr<Strategy> makeRandomStrategy(std::uint64_t seed);

/*
 * PCT (Burckhardt et al., ASPLOS 2010): random task priorities plus
 * depth - 1 random priority change points per execution. Finds a bug of
 * depth d (with d == depth) in one execution with probability at least
 * 1 / (n * k^(d - 1)), n tasks, k steps; see docs/pct.md. depth >= 1.
 */
std::unique_ptr<Strategy> makePctStrategy(std::uint64_t seed, unsigned depth);

} // namespace mmrace
