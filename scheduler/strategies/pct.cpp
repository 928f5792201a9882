/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
 * Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of
 * Finding Bugs", ASPLOS 2010).
 *
 * Each execution:
 *  - gives the n tasks distinct random priorities d, d+1, ..., d+n-1;
 *  - picks d-1 distinct random change points k_1, ..., k_{d-1} among the
 *    steps 1..k (labelled in the order drawn, not sorted);
 *  - always runs the enabled task of highest priority;
 *  - right after step k_i, sets the priority of the task that ran it to i,
 *    below every initial priority.
 *
 * The guarantee. A bug has depth d when d ordering constraints between steps
 * of different tasks suffice to trigger it, whatever else happens: an order
 * violation (B's use before A's initialisation) has depth 1, an atomicity
 * violation (B's write between A's read and A's write) and an ABBA deadlock
 * have depth 2. One execution meets d such constraints if the task that must
 * go first gets the top initial priority (probability 1/n) and each of the
 * d-1 change points falls on the one step, with the one label, that hands
 * the processor over at the right moment (probability 1/k each, a little
 * more as the points are distinct). So a depth-d bug in a program of n tasks
 * and k steps is found by one execution with probability at least
 * 1/(n * k^(d-1)), and by N executions with probability at least
 * 1 - (1 - 1/(n * k^(d-1)))^N. The bound only holds for k at least the
 * real step count, hence the learning below.
 *
 * k is learned: the most steps any earlier execution of this run took. The
 * first execution knows nothing and uses kDefaultSteps. A change point past
 * the end of an execution does nothing, so a guess too large only wastes
 * change points while the real length is being learned; after one execution
 * k is exact for programs whose length does not vary.
 *
 * Determinism: execution e of seed s draws everything (priorities, change
 * points and data choices) from one stream seeded from (s, e), as the random
 * strategy does; k depends on the earlier executions, which are themselves
 * determined by (s, program). Replaying one execution uses its choice log.
 */
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "../execution.hpp"
#include "rng.hpp"
#include "strategies.hpp"

namespace mmrace
{

namespace
{

/*
 * Step count assumed before any execution has finished: a guess at the size
 * of a small mm scenario (Seed E takes about 45 steps). Only the first
 * execution uses it.
 */
constexpr std::uint64_t kDefaultSteps = 100;

class PctStrategy : public Strategy
{
public:
	PctStrategy(std::uint64_t seed, unsigned depth) : seed_(seed), depth_(depth)
	{
		if (depth == 0)
			throw std::invalid_argument("pct: depth must be at least 1");
	}

	bool beginExecution() override
	{
		rng_.seed(seed_ ^ (0x9fb21c651e98df25ULL * ++execution_));
		k_ = std::min<std::uint64_t>(maxSteps_ ? maxSteps_ : kDefaultSteps, UINT32_MAX);
		priority_.clear();
		/* Distinct while there are enough steps; labels follow the draw. */
		changeAt_.clear();
		for (unsigned i = 1; i < depth_; ++i) {
			std::uint64_t s;
			do {
				s = 1 + rng_.below(static_cast<std::uint32_t>(k_));
			} while (changeAt_.size() < k_ &&
				 std::find(changeAt_.begin(), changeAt_.end(), s) !=
				     changeAt_.end());
			changeAt_.push_back(s);
		}
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		const Execution &exec = view.execution;
		while (priority_.size() < exec.taskCount())
			addTask();
		/* The step that just ran was number steps(), counting from 1. */
		std::uint64_t ran = exec.steps();
		if (ran > 0 && view.current != kNoTask) {
			for (std::size_t i = 0; i < changeAt_.size(); ++i) {
				if (changeAt_[i] == ran) {
					priority_[view.current] = static_cast<unsigned>(i + 1);
					break;
				}
			}
		}
		maxSteps_ = std::max(maxSteps_, ran + 1);
		TaskId best = view.enabled.front();
		for (TaskId t : view.enabled)
			if (priority_[t] > priority_[best])
				best = t;
		return best;
	}

	std::uint32_t pickValue(std::uint32_t n) override { return rng_.below(n); }
	std::string name() const override { return "pct"; }

private:
	/*
	 * Tasks appear when spawned, which is not before the first decision, so
	 * priorities are handed out then. A new task takes a uniformly random
	 * rank among the initial priorities (an insertion shuffle, so n tasks
	 * get a uniformly random permutation of d..d+n-1); lowered priorities,
	 * below d, are left alone.
	 */
	void addTask()
	{
		unsigned initial = 0;
		for (unsigned p : priority_)
			initial += p >= depth_;
		unsigned p = depth_ + rng_.below(initial + 1);
		for (unsigned &q : priority_)
			if (q >= p)
				++q;
		priority_.push_back(p);
	}

	std::uint64_t seed_;
	unsigned depth_;
	std::uint64_t execution_ = 0;
	std::uint64_t maxSteps_ = 0; /* most steps of an execution so far */
	std::uint64_t k_ = 0;	     /* this execution's step estimate */
	Xoshiro256 rng_;
	std::vector<unsigned> priority_;      /* per task; higher runs first */
	std::vector<std::uint64_t> changeAt_; /* [i]: step after which to lower to i + 1 */
};

} // namespace

std::unique_ptr<Strategy> makePctStrategy(std::uint64_t seed, unsigned depth)
{
	return std::make_unique<PctStrategy>(seed, depth);
}

} // namespace mmrace
