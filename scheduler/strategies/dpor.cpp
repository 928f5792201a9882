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
#include "race_analysis.hpp"
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
	void analyzeRaces();

	Path path_;
	TaskMask sleep_ = 0;
	bool started_ = false;
	std::vector<TraceEvent> events_;
};

void DporStrategy::analyzeRaces()
{
	if (events_.size() < 2)
		return;
	HappensBefore hb(events_);
	hb.forEachRace([&](std::size_t i, std::size_t j, const std::vector<std::size_t> &v) {
		TaskMask initials = hb.initials(v);
		const Branch &node = path_.branches()[events_[i].branch];
		/*
		 * With the relaxed lock happens-before an initial can be blocked
		 * at E' (waiting for a lock held there): only enabled initials
		 * can start the reversed execution.
		 */
		TaskMask startable = initials & node.enabled;
		if (startable & node.backtrack)
			return;
		if (!startable) {
			path_.addBacktrack(events_[i].branch, node.enabled);
			return;
		}
		TaskId want = events_[j].task;
		TaskId q = (startable & bit(want)) ? want : static_cast<TaskId>(std::countr_zero(startable));
		path_.addBacktrack(events_[i].branch, bit(q));
	});
}

} // namespace

std::unique_ptr<Strategy> makeDporStrategy(std::vector<Branch> prefix)
{
	return std::make_unique<DporStrategy>(std::move(prefix));
}

} // namespace mmrace
