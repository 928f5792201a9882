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
 *
 * Bounded partial-order reduction (makeBoundedPorStrategy) is iterative
 * bounding that skips a step leading to a state, the prefix's trace and the
 * task that ran last, already promised with no more preemptions; see
 * docs/preemption-bounding.md for why that finds everything bounded DFS
 * finds.
 */
#include <bit>
#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

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
 * The Mazurkiewicz trace of the executed prefix, kept in Foata form: a
 * step's level is one more than the highest level of the steps it depends
 * on (its task's previous step, and the earlier accesses that conflict with
 * it, as access.hpp's dependent() says). Equivalent prefixes give every task
 * the same sequence of levels; conversely, sorting the steps by level gives
 * a linearisation of the prefix's trace, so equal sequences (with the same
 * data choices) mean equivalent prefixes, which reach the same state.
 */
class TraceLevels
{
public:
	void reset()
	{
		objects_.clear();
		tasks_.clear();
		last_.clear();
		setUp_.clear();
	}

	/* The level that task t's step `a` would get after the prefix. */
	std::uint32_t level(TaskId t, const Access &a) const
	{
		std::uint32_t level = t < last_.size() ? last_[t] : 0;
		if (a.kind != AccessKind::Local) {
			for (ObjectId o : {a.object, a.object2}) {
				if (o == kNoObject)
					continue;
				auto it = objects_.find(o);
				if (it != objects_.end())
					level = std::max(level, after(it->second, a.kind));
			}
		}
		return level + 1;
	}

	void step(TaskId t, const Access &a)
	{
		std::uint32_t level = this->level(t, a);
		grow(t);
		if (a.kind != AccessKind::Local) {
			for (ObjectId o : {a.object, a.object2}) {
				if (o == kNoObject)
					continue;
				Levels &l = objects_[o];
				l.all = std::max(l.all, level);
				if (a.kind != AccessKind::Read)
					l.nonRead = std::max(l.nonRead, level);
				if (!isSharedLockOp(a.kind))
					l.nonShared = std::max(l.nonShared, level);
			}
		}
		last_[t] = level;
		tasks_[t].push_back(level);
	}

	/* A data choice made by task t (kNoTask: while tasks are set up). */
	void value(TaskId t, std::uint32_t v)
	{
		if (t == kNoTask) {
			setUp_.push_back(v);
			return;
		}
		grow(t);
		tasks_[t].push_back(kValue);
		tasks_[t].push_back(v);
	}

	/*
	 * The trace of the prefix followed by task t's step `a`, with t as the
	 * task that ran last: the state right after that step's access, as a
	 * key (numbers of variable length: levels are small).
	 */
	std::string key(TaskId t, const Access &a) const
	{
		std::string k;
		auto put = [&k](std::uint32_t x) {
			for (; x >= 0x80; x >>= 7)
				k.push_back(static_cast<char>((x & 0x7f) | 0x80));
			k.push_back(static_cast<char>(x));
		};
		put(t);
		put(static_cast<std::uint32_t>(setUp_.size()));
		for (std::uint32_t x : setUp_)
			put(x);
		/* Tasks without steps after the last one with some add nothing. */
		std::size_t n = t + 1;
		for (std::size_t u = tasks_.size(); u > n; --u)
			if (!tasks_[u - 1].empty()) {
				n = u;
				break;
			}
		for (std::size_t u = 0; u < n; ++u) {
			const std::size_t len = u < tasks_.size() ? tasks_[u].size() : 0;
			put(static_cast<std::uint32_t>(len + (u == t)));
			for (std::size_t i = 0; i < len; ++i)
				put(tasks_[u][i]);
			if (u == t)
				put(level(t, a));
		}
		return k;
	}

private:
	/* Levels start at 1: 0 marks a data choice, whose value follows. */
	static constexpr std::uint32_t kValue = 0;
	struct Levels {
		std::uint32_t all = 0, nonRead = 0, nonShared = 0;
	};
	/* The highest level of o's earlier accesses that a step of kind k conflicts with. */
	static std::uint32_t after(const Levels &o, AccessKind k)
	{
		if (k == AccessKind::Read)
			return o.nonRead;
		if (isSharedLockOp(k))
			return o.nonShared;
		return o.all;
	}
	void grow(TaskId t)
	{
		if (t >= tasks_.size()) {
			tasks_.resize(t + 1);
			last_.resize(t + 1, 0);
		}
	}

	std::unordered_map<ObjectId, Levels> objects_;
	std::vector<std::vector<std::uint32_t>> tasks_;
	std::vector<std::uint32_t> last_;
	std::vector<std::uint32_t> setUp_; /* data choices made before the first step */
};

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
	IterativeBoundingStrategy(unsigned maxBound, bool reduce)
	    : maxBound_(maxBound), reduce_(reduce)
	{
	}

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
		levels_.reset();
		current_ = kNoTask;
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
			/* A seed's last choice is its preemption: explored since it was queued? */
			if (reduce_ && seedPos_ == seed_.size() && reachedBefore(view, d, pick))
				return kNoTask;
		} else {
			bool fresh = pathCalls_++ == path_.depth();
			TaskMask allowed = d.currentEnabled ? bit(view.current) : d.enabled;
			if (fresh && reduce_) {
				allowed = unexplored(view, d, allowed);
				if (!allowed) {
					--pathCalls_;
					return kNoTask;
				}
			}
			pick = *path_.branchTask(d.enabled, 0, view.current, allowed);
			if (reduce_ && !fresh && pathCalls_ == path_.depth() &&
			    reachedBefore(view, d, pick))
				return kNoTask; /* the alternative that backtracking moved to */
			if (fresh && reduce_)	/* the others when backtracking gets to them */
				for (TaskMask m = allowed; m; m &= m - 1)
					claim(view, d, static_cast<TaskId>(std::countr_zero(m)));
			if (fresh && d.currentEnabled && bound_ < maxBound_)
				deferPreemptions(view, d);
		}
		if (d.currentEnabled && pick != view.current)
			++preemptions_;
		if (reduce_)
			levels_.step(pick, view.execution.pending(pick));
		current_ = pick;
		return pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override
	{
		std::uint32_t v;
		if (seedPos_ < seed_.size()) {
			const Choice &c = seed_[seedPos_++];
			if (c.kind != Choice::Kind::Value || c.options != n)
				throw std::logic_error(
				    "exploration path diverged: the model is nondeterministic");
			v = c.value;
		} else {
			++pathCalls_;
			v = path_.branchValue(n);
		}
		if (reduce_)
			levels_.value(current_, v);
		return v;
	}

	std::string name() const override
	{
		return std::string(reduce_ ? "bounded-por(" : "iterative-bounding(") +
		       std::to_string(bound_) + ")";
	}
	std::string stopReason() const override { return "state explored"; }
	bool stopIsPrune() const override { return reduce_; }
	unsigned currentBound() const override { return bound_; }
	unsigned preemptions() const override { return preemptions_; }

private:
	/* Preemptions after task t's step here. */
	unsigned cost(const SchedulingView &view, const Decision &d, TaskId t) const
	{
		return preemptions_ + (d.currentEnabled && t != view.current ? 1 : 0);
	}
	std::string childKey(const SchedulingView &view, TaskId t) const
	{
		return levels_.key(t, view.execution.pending(t));
	}

	/*
	 * The tasks of `allowed` whose step leads to a state (trace after the
	 * step, last task) that no node reached with at most as many
	 * preemptions, nor was promised to: only those need exploring.
	 */
	TaskMask unexplored(const SchedulingView &view, const Decision &d, TaskMask allowed) const
	{
		for (TaskMask m = allowed; m; m &= m - 1) {
			auto t = static_cast<TaskId>(std::countr_zero(m));
			auto it = visited_.find(childKey(view, t));
			if (it != visited_.end() && it->second <= cost(view, d, t))
				allowed &= ~bit(t);
		}
		return allowed;
	}

	/*
	 * Promises that t's step here, and everything after it within the
	 * bound, is explored: now, when backtracking gets to it, or when its
	 * seed runs.
	 */
	void claim(const SchedulingView &view, const Decision &d, TaskId t)
	{
		unsigned c = cost(view, d, t);
		auto [it, added] = visited_.try_emplace(childKey(view, t), c);
		if (!added)
			it->second = std::min(it->second, c);
	}

	/* Promised since with fewer preemptions (which covers this one)? */
	bool reachedBefore(const SchedulingView &view, const Decision &d, TaskId t)
	{
		unsigned c = cost(view, d, t);
		auto [it, added] = visited_.try_emplace(childKey(view, t), c);
		return !added && it->second < c;
	}

	void deferPreemptions(const SchedulingView &view, const Decision &d)
	{
		TaskMask others = d.enabled & ~bit(view.current);
		if (reduce_) {
			others = unexplored(view, d, others);
			for (TaskMask m = others; m; m &= m - 1)
				claim(view, d, static_cast<TaskId>(std::countr_zero(m)));
		}
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
	bool reduce_;
	TaskId current_ = kNoTask;
	TraceLevels levels_;
	/* Trace and last task of every node created, with its fewest preemptions. */
	std::unordered_map<std::string, unsigned> visited_;
};

} // namespace

std::unique_ptr<PreemptionBoundedStrategy> makeBoundedDfsStrategy(unsigned bound)
{
	return std::make_unique<BoundedDfsStrategy>(bound);
}

std::unique_ptr<PreemptionBoundedStrategy> makeIterativeBoundingStrategy(unsigned maxBound)
{
	return std::make_unique<IterativeBoundingStrategy>(maxBound, false);
}

std::unique_ptr<PreemptionBoundedStrategy> makeBoundedPorStrategy(unsigned maxBound)
{
	return std::make_unique<IterativeBoundingStrategy>(maxBound, true);
}

} // namespace mmrace
