/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, "Optimal
 * dynamic partial order reduction", POPL 2014; "Source sets", JACM 2017),
 * in its stateless form: every new node starts with a backtrack set of the
 * one task it runs; after each execution, race analysis walks the executed
 * sequence E and, for every race e < e' (dependent, different tasks, no
 * event happening in between), makes sure that from E' = pre(E, e) some
 * initial of v = notdep(e, E).e' is explored.
 *
 * Locks: happens-before and races use raceDependent(), in which a release
 * does not race with a blocking acquisition (the acquisition could never be
 * moved before it); the acquisitions
 * themselves race, so every acquisition order is explored. When the chosen
 * initial is not enabled at E' (it waits for a lock held there), every
 * enabled task is added instead, as in Flanagan and Godefroid's DPOR.
 *
 * Executions blocked because every enabled task sleeps are cut short and
 * counted as pruned: wakeup trees (optimal DPOR) would avoid them.
 */
#include <bit>
#include <vector>

#include "../execution.hpp"
#include "../path.hpp"
#include "strategies.hpp"

namespace mmrace {

namespace {

bool isLockOp(AccessKind k)
{
	switch (k) {
	case AccessKind::Acquire:
	case AccessKind::AcquireShared:
	case AccessKind::TryAcquire:
	case AccessKind::TryAcquireShared:
	case AccessKind::Release:
	case AccessKind::ReleaseShared:
	case AccessKind::Wait:
		return true;
	default:
		return false;
	}
}

bool isBlocking(AccessKind k)
{
	return k == AccessKind::Acquire || k == AccessKind::AcquireShared || k == AccessKind::Wait;
}

bool isRelease(AccessKind k)
{
	return k == AccessKind::Release || k == AccessKind::ReleaseShared;
}

} // namespace

bool raceDependent(const Access &a, const Access &b)
{
	if (!dependent(a, b))
		return false;
	if (!isLockOp(a.kind) || !isLockOp(b.kind))
		return true;
	if ((isRelease(a.kind) && isBlocking(b.kind)) || (isRelease(b.kind) && isBlocking(a.kind)))
		return false;
	if (isRelease(a.kind) && isRelease(b.kind))
		return false;
	return true;
}

namespace {

class DporStrategy : public Strategy {
public:
	explicit DporStrategy(std::vector<Branch> prefix) : path_(std::move(prefix)) {}

	bool beginExecution() override
	{
		if (started_) {
			analyzeRaces();
			if (!path_.backtrack())
				return false;
		}
		started_ = true;
		path_.beginExecution();
		sleep_ = 0;
		events_.clear();
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		TaskMask enabled = 0;
		for (TaskId t : view.enabled)
			enabled |= bit(t);
		TaskMask awake = enabled & ~sleep_;
		TaskMask first = view.current != kNoTask && (awake & bit(view.current))
					 ? bit(view.current)
					 : awake & (~awake + 1);
		auto pick = path_.branchTask(enabled, sleep_, view.current, first);
		if (!pick)
			return kNoTask;
		const auto pending = [&](TaskId t) -> const Access & { return view.execution.pending(t); };
		events_.push_back({*pick, pending(*pick), path_.lastIndex()});
		sleep_ = sleepAfter(path_.last(), *pick, pending);
		return *pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override { return path_.branchValue(n); }
	std::string stopReason() const override { return "sleep-set blocked"; }
	bool stopIsPrune() const override { return true; }
	std::string name() const override { return "dpor"; }

private:
	struct Event {
		TaskId task;
		Access access;
		std::size_t branch;	/* the path branch that chose it */
	};

	void analyzeRaces();

	Path path_;
	TaskMask sleep_ = 0;
	bool started_ = false;
	std::vector<Event> events_;
};

void DporStrategy::analyzeRaces()
{
	const std::size_t n = events_.size();
	if (n < 2)
		return;
	std::size_t tasks = 0;
	for (const Event &e : events_)
		tasks = std::max<std::size_t>(tasks, e.task + 1);

	/* Vector clocks: clock[j][t] = how many of t's events happen before or at j. */
	std::vector<std::uint32_t> clock(n * tasks, 0);
	std::vector<std::uint32_t> local(n);	/* 1-based index of j among its task's events */
	std::vector<std::size_t> lastOf(tasks, n);
	for (std::size_t j = 0; j < n; ++j) {
		std::uint32_t *cj = &clock[j * tasks];
		TaskId t = events_[j].task;
		if (lastOf[t] != n) {
			const std::uint32_t *cp = &clock[lastOf[t] * tasks];
			std::copy(cp, cp + tasks, cj);
		}
		local[j] = cj[t] + 1;
		cj[t] = local[j];
		for (std::size_t i = 0; i < j; ++i) {
			if (events_[i].task == t || !raceDependent(events_[i].access, events_[j].access))
				continue;
			const std::uint32_t *ci = &clock[i * tasks];
			for (std::size_t u = 0; u < tasks; ++u)
				cj[u] = std::max(cj[u], ci[u]);
		}
		lastOf[t] = j;
	}
	auto hb = [&](std::size_t i, std::size_t j) {
		return clock[j * tasks + events_[i].task] >= local[i];
	};

	std::vector<std::size_t> v;
	for (std::size_t j = 1; j < n; ++j) {
		for (std::size_t i = 0; i < j; ++i) {
			if (events_[i].task == events_[j].task ||
			    !raceDependent(events_[i].access, events_[j].access))
				continue;
			bool immediate = true;
			for (std::size_t k = i + 1; k < j && immediate; ++k)
				immediate = !(hb(i, k) && hb(k, j));
			if (!immediate)
				continue;
			/* v = notdep(e, E).e' */
			v.clear();
			for (std::size_t k = i + 1; k < j; ++k)
				if (!hb(i, k))
					v.push_back(k);
			v.push_back(j);
			TaskMask initials = 0, seen = 0;
			for (std::size_t a = 0; a < v.size(); ++a) {
				TaskId t = events_[v[a]].task;
				if (seen & bit(t))
					continue;
				seen |= bit(t);
				bool initial = true;
				for (std::size_t b = 0; b < a && initial; ++b)
					initial = !hb(v[b], v[a]);
				if (initial)
					initials |= bit(t);
			}
			const Branch &node = path_.branches()[events_[i].branch];
			if (initials & node.backtrack)
				continue;
			TaskId want = events_[j].task;
			TaskId q = (initials & bit(want)) ? want
							  : static_cast<TaskId>(std::countr_zero(initials));
			if (node.enabled & bit(q))
				path_.addBacktrack(events_[i].branch, bit(q));
			else
				path_.addBacktrack(events_[i].branch, node.enabled);
		}
	}
}

} // namespace

std::unique_ptr<Strategy> makeDporStrategy(std::vector<Branch> prefix)
{
	return std::make_unique<DporStrategy>(std::move(prefix));
}

} // namespace mmrace
