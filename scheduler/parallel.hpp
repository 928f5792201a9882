/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Exploration on several worker threads with results that do not depend on
 * the number of workers.
 *
 * Exhaustive strategies: the top of the tree is expanded first, with sleep
 * sets (plain DFS: without), to a frontier chosen from the program alone:
 * every path is cut after its d-th discrepancy (a choice other than its
 * node's first, whose subtree is smaller: its sleep set holds the earlier
 * siblings) or at kSplitMaxDepth task choices, for the first d giving at
 * least kSplitTarget subtrees. The leftmost, heaviest paths so go deepest
 * and no subtree holds most of the work. Each subtree is then explored by its own instance of the
 * strategy, the subtrees handed out in order from a shared counter (work stealing). DPOR's race
 * analysis does not reach into the expanded top, which is explored fully anyway. Results merge in
 * subtree order, so counts and the reported violation are the same for any number of workers: a
 * harmful violation in subtree k stops only the subtrees after k, and the reported one is that of
 * the first subtree that has one.
 *
 * --shard K/N deals the subtrees out by estimated work (assignShares in
 * parallel.cpp), never changing the frontier: the shares' subtrees together
 * are exactly the single run's, so `mmrace merge` adds them up to its totals.
 *
 * Random strategies: execution i uses the stream (seed, i) whichever worker
 * runs it; the reported violation is the one with the lowest index.
 */

#include <functional>
#include <memory>

#include "explorer.hpp"
#include "path.hpp"

namespace mmrace
{

inline constexpr std::size_t kSplitTarget = 128;
inline constexpr std::size_t kSplitMaxDepth = 64;
inline constexpr std::size_t kSplitMaxDiscrepancies = 6;
/* --shard: subtrees up to this many executions are measured, larger ones
 * estimated by this many random walks (assignShares in parallel.cpp). */
inline constexpr std::uint64_t kShareProbeExecutions = 64;
inline constexpr unsigned kShareProbes = 8;

using ProgramFactory = std::function<std::unique_ptr<Program>()>;
using SubtreeStrategyFactory = std::function<std::unique_ptr<Strategy>(std::vector<Branch> prefix)>;

struct SplitResult {
	std::vector<std::vector<Branch>> prefixes;
	std::uint64_t pruned = 0; /* sleep-set blocked within the top */
	std::size_t depth = 0;
};

/* Expands the top of the tree (with sleep sets unless plainDfs); a round
 * whose executions would exceed maxExecutions (0: no limit) is not taken. */
SplitResult splitTree(const ProgramFactory &makeProgram, bool plainDfs,
		      const ExecutionLimits &limits, std::uint64_t maxExecutions = 0);

ExploreResult exploreExhaustiveParallel(const ProgramFactory &makeProgram,
					const SubtreeStrategyFactory &makeStrategy, bool plainDfs,
					const ExploreOptions &options, unsigned jobs);

ExploreResult exploreRandomParallel(const ProgramFactory &makeProgram, std::uint64_t seed,
				    const ExploreOptions &options, unsigned jobs);

} // namespace mmrace
