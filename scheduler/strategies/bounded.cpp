/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Preemption bounding (Musuvathi and Qadeer, "Iterative Context Bounding for
 * Systematic Testing of Multithreaded Programs", PLDI 2007). Most concurrency
 * bugs need only a few preemptions, and the executions with at most c
 * preemptions grow polynomially in the number of steps (for fixed c and
 * tasks), not exponentially, so a small bound reaches deep executions.
 *
 * A preemption is a scheduling decision that switches away from the task
 * that ran the last step while that task is still enabled. Switching when it
 * blocked or finished, and the very first decision, are free. Data choices
 * are not scheduling decisions and are all explored.
 */
#include <bit>
#include <deque>
#include <stdexcept>

#include "../execution.hpp"
#include "../path.hpp"
#include "strategies.hpp"

namespace mmrace
{

namespace
{

struct Decision {
	TaskMask enabled = 0;
	/* The last step's task is enabled: anything else would preempt it. */
	bool currentEnabled = false;
};

Decision decision(const SchedulingView &view)
{
	Decision d;
	for (TaskId t : view.enabled)
		d.enabled |= bit(t);
	d.currentEnabled = view.current != kNoTask && (d.enabled & bit(view.current));
	return d;
}

/*
 * DFS over the executions with at most bound_ preemptions. The preemptions
 * at a node follow from the prefix that leads to it, which every execution
 * replays from the path, so they are recounted as the prefix replays. A node
 * created with the bound used up and the current task enabled only
 * backtracks over that task; elsewhere every enabled task is explored.
 */
class BoundedDfsStrategy : public PreemptionBoundedStrategy
{
public:
	explicit BoundedDfsStrategy(unsigned bound) : bound_(bound) {}

	bool beginExecution() override
	{
		if (started_ && !path_.backtrack())
			return false;
		started_ = true;
		path_.beginExecution();
		preemptions_ = 0;
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		Decision d = decision(view);
		TaskMask allowed =
		    d.currentEnabled && preemptions_ >= bound_ ? bit(view.current) : d.enabled;
		/* Prefers the current task: the first execution preempts nothing. */
		TaskId pick = *path_.branchTask(d.enabled, 0, view.current, allowed);
		if (d.currentEnabled && pick != view.current)
			++preemptions_;
		return pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override { return path_.branchValue(n); }
	std::string name() const override { return "bounded-dfs"; }
	unsigned currentBound() const override { return bound_; }
	unsigned preemptions() const override { return preemptions_; }

private:
	unsigned bound_;
	unsigned preemptions_ = 0;
	Path path_;
	bool started_ = false;
};

/*
 * Iterative context bounding as in CHESS: all executions with exactly 0
 * preemptions, then all with exactly 1, and so on up to maxBound_. Each
 * execution runs once, at the bound equal to its preemption count, rather
 * than once per bound at or above it (re-exploring would cost, for two tasks
 * of k steps, the sum over bounds of everything below, and repeat every
 * finding).
 *
 * The executions of bound c are grouped by their prefix up to and including
 * their c-th preemption: a seed. Below a seed the search is a DFS that never
 * preempts (a node with the current task enabled only backtracks over it);
 * at each new such node it instead queues one seed per other enabled task
 * for bound c + 1, namely the choices so far plus the preempting choice.
 * Every execution with c + 1 preemptions has exactly one such node (the one
 * before its last preemption) and that node is created exactly once, so no
 * execution is missed or repeated. The cost is memory: the seeds of the next
 * bound are kept as choice logs, one per (node, alternative task) of this
 * bound; none are kept beyond maxBound_.
 */
class IterativeBoundingStrategy : public PreemptionBoundedStrategy
{
public:
	explicit IterativeBoundingStrategy(unsigned maxBound) : maxBound_(maxBound) {}

	bool beginExecution() override
	{
		if (!started_) {
			started_ = true;
			seed_.clear();
			path_ = Path();
		} else if (!path_.backtrack() && !nextSeed()) {
			return false;
		}
		path_.beginExecution();
		seedPos_ = 0;
		pathCalls_ = 0;
		preemptions_ = 0;
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		Decision d = decision(view);
		TaskId pick;
		if (seedPos_ < seed_.size()) {
			const Choice &c = seed_[seedPos_++];
			if (c.kind != Choice::Kind::Task || c.value >= 64 ||
			    !(d.enabled & bit(c.value)))
				throw std::logic_error(
				    "exploration path diverged: the model is nondeterministic");
			pick = c.value;
		} else {
			bool fresh = pathCalls_++ == path_.depth();
			TaskMask allowed = d.currentEnabled ? bit(view.current) : d.enabled;
			pick = *path_.branchTask(d.enabled, 0, view.current, allowed);
			if (fresh && d.currentEnabled && bound_ < maxBound_)
				deferPreemptions(view, d);
		}
		if (d.currentEnabled && pick != view.current)
			++preemptions_;
		return pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override
	{
		if (seedPos_ < seed_.size()) {
			const Choice &c = seed_[seedPos_++];
			if (c.kind != Choice::Kind::Value || c.options != n)
				throw std::logic_error(
				    "exploration path diverged: the model is nondeterministic");
			return c.value;
		}
		++pathCalls_;
		return path_.branchValue(n);
	}

	std::string name() const override
	{
		return "iterative-bounding(" + std::to_string(bound_) + ")";
	}
	unsigned currentBound() const override { return bound_; }
	unsigned preemptions() const override { return preemptions_; }

private:
	void deferPreemptions(const SchedulingView &view, const Decision &d)
	{
		TaskMask others = d.enabled & ~bit(view.current);
		for (TaskMask m = others; m; m &= m - 1) {
			ChoiceLog s = view.execution.choices();
			s.push_back({Choice::Kind::Task,
				     static_cast<std::uint32_t>(std::countr_zero(m)),
				     static_cast<std::uint32_t>(view.enabled.size())});
			next_.push_back(std::move(s));
		}
	}

	/* Moves to the next seed, raising the bound when this one has none left. */
	bool nextSeed()
	{
		while (seeds_.empty()) {
			if (next_.empty() || bound_ >= maxBound_)
				return false;
			++bound_;
			seeds_.swap(next_);
		}
		seed_ = std::move(seeds_.front());
		seeds_.pop_front();
		path_ = Path();
		return true;
	}

	unsigned maxBound_;
	unsigned bound_ = 0;
	unsigned preemptions_ = 0;
	bool started_ = false;
	std::deque<ChoiceLog> seeds_; /* still to explore at bound_ */
	std::deque<ChoiceLog> next_;  /* found for bound_ + 1 */
	ChoiceLog seed_;	      /* prefix of every execution of the current DFS */
	std::size_t seedPos_ = 0;
	Path path_;		    /* the DFS below seed_ */
	std::size_t pathCalls_ = 0; /* branches of path_ used by this execution */
};

} // namespace

std::unique_ptr<PreemptionBoundedStrategy> makeBoundedDfsStrategy(unsigned bound)
{
	return std::make_unique<BoundedDfsStrategy>(bound);
}

std::unique_ptr<PreemptionBoundedStrategy> makeIterativeBoundingStrategy(unsigned maxBound)
{
	return std::make_unique<IterativeBoundingStrategy>(maxBound);
}

} // namespace mmrace
