/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Factories for the strategies, one per file (replay.hpp has its own class).
 * The exhaustive ones take an optional prefix: they then explore only the
 * subtree below it (see parallel.hpp).
 */

#include <cstdint>
#include <memory>

#include "../path.hpp"
#include "../strategy.hpp"

namespace mmrace {

/* Exhaustive depth-first search over every interleaving, no reduction. */
std::unique_ptr<Strategy> makeDfsStrategy(std::vector<Branch> prefix = {});
/*
 * Exhaustive DFS with sleep sets (Godefroid 1996): one complete execution
 * per Mazurkiewicz trace of the declared accesses; the rest are cut short as
 * sleep-set blocked.
 */
std::unique_ptr<Strategy> makeSleepSetStrategy(std::vector<Branch> prefix = {});
/*
 * Exhaustive source-DPOR with sleep sets (dpor.cpp): one complete execution
 * per Mazurkiewicz trace, with far fewer pruned executions than sleep sets
 * alone.
 */
std::unique_ptr<Strategy> makeDporStrategy(std::vector<Branch> prefix = {});
/* The dependency DPOR's race analysis uses (see dpor.cpp). */
bool raceDependent(const Access &a, const Access &b);
/*
 * Seeded uniform random walk; execution k uses a stream derived from
 * (seed, k). `first` skips ahead: the first execution is number first + 1.
 */
std::unique_ptr<Strategy> makeRandomStrategy(std::uint64_t seed, std::uint64_t first = 0);

} // namespace mmrace
