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
/*
 * Optimal DPOR with wakeup trees (optimal.cpp): source-DPOR whose backtrack
 * sets are wakeup trees, so no execution ends sleep-set blocked.
 */
std::unique_ptr<Strategy> makeOptimalDporStrategy(std::vector<Branch> prefix = {});
/*
 * Seeded uniform random walk; execution k uses a stream derived from
 * (seed, k). `first` skips ahead: the first execution is number first + 1.
 */
std::unique_ptr<Strategy> makeRandomStrategy(std::uint64_t seed, std::uint64_t first = 0);

/*
 * PCT (Burckhardt et al., ASPLOS 2010): random task priorities plus
 * depth - 1 random priority change points per execution. Finds a bug of
 * depth d (with d == depth) in one execution with probability at least
 * 1 / (n * k^(d - 1)), n tasks, k steps; see docs/pct.md. depth >= 1.
 */
std::unique_ptr<Strategy> makePctStrategy(std::uint64_t seed, unsigned depth);

/* A preemption-bounded search, which says where it is (for reports and tests). */
class PreemptionBoundedStrategy : public Strategy {
public:
	/* The preemption bound of the executions being explored now. */
	virtual unsigned currentBound() const = 0;
	/* Preemptions in the current execution so far. */
	virtual unsigned preemptions() const = 0;
};

/*
 * DFS over the executions with at most `bound` preemptions (Musuvathi and
 * Qadeer, PLDI 2007). A preemption is a switch away from the task that ran
 * the last step while it is still enabled; switching when it blocked or
 * finished is free.
 */
std::unique_ptr<PreemptionBoundedStrategy> makeBoundedDfsStrategy(unsigned bound);
/*
 * Iterative context bounding as in CHESS: the executions with exactly 0
 * preemptions, then exactly 1, ... up to maxBound; each execution runs once.
 */
std::unique_ptr<PreemptionBoundedStrategy> makeIterativeBoundingStrategy(unsigned maxBound);
/*
 * Iterative bounding with partial-order reduction (bounded.cpp): a node whose
 * prefix is equivalent to an explored node's, with the same last task and no
 * fewer preemptions, is cut short; every state iterative bounding reaches is
 * reached, in no more executions.
 */
std::unique_ptr<PreemptionBoundedStrategy> makeBoundedPorStrategy(unsigned maxBound);

} // namespace mmrace
