/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, "Optimal
 * dynamic partial order reduction", POPL 2014; "Source sets", JACM 2017),
 * in its stateless form: every new node starts with a backtrack set of the
 * one task it runs; after each execution, race analysis (race_analysis.hpp)
 * walks the executed sequence E and, for every reversible race e < e',
 * makes sure that from E' = pre(E, e) some initial of v = notdep(e, E).e'
 * is explored (or asleep there, which covers it).
 *
 * An execution cut short because every enabled task sleeps also has its
 * blocked tasks' pending steps analysed as if they ran last: the
 * acquisition a task waits for races with the one that took the lock, and
 * no later event would reveal that race.
 *
 * Executions blocked because every enabled task sleeps are counted as
 * pruned: wakeup trees (optimal DPOR) avoid most of them.
 */
#include <bit>
#include <vector>

#include "../execution.hpp"
#include "../path.hpp"
#include "race_analysis.hpp"
#include "strategies.hpp"

namespace mmrace
{

namespace
{

class DporStrategy : public Strategy
{
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
		blocked_.clear();
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
		if (!pick) {
			blocked_ = blockedSteps(view, enabled);
			return kNoTask;
		}
		const auto pending = [&](TaskId t) -> const Access & {
			return view.execution.pending(t);
		};
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
	void reverse(const HappensBefore &hb, std::size_t i, std::size_t j,
		     const std::vector<std::size_t> &v);

	Path path_;
	TaskMask sleep_ = 0;
	bool started_ = false;
	std::vector<TraceEvent> events_;
	/* Blocked tasks' pending steps when the execution was cut short. */
	std::vector<TraceEvent> blocked_;
};

void DporStrategy::reverse(const HappensBefore &hb, std::size_t i, std::size_t j,
			   const std::vector<std::size_t> &v)
{
	TaskMask initials = hb.initials(v);
	const Branch &node = path_.branches()[events_[i].branch];
	/* Explored, to be explored, or asleep (explored from elsewhere). */
	if (initials & (node.backtrack | node.sleep))
		return;
	/*
	 * A reversible race's initials are enabled at E' (race_analysis.hpp);
	 * this fallback (every enabled task, as in Flanagan and Godefroid's
	 * DPOR) is only for Wait steps, whose condition the analysis does not
	 * know.
	 */
	TaskMask startable = initials & node.enabled;
	if (!startable) {
		path_.addBacktrack(events_[i].branch, node.enabled);
		return;
	}
	TaskId want = events_[j].task;
	TaskId q =
	    (startable & bit(want)) ? want : static_cast<TaskId>(std::countr_zero(startable));
	path_.addBacktrack(events_[i].branch, bit(q));
}

void DporStrategy::analyzeRaces()
{
	const std::size_t n = events_.size();
	auto onRace = [this](const HappensBefore &hb) {
		return [this, &hb](std::size_t i, std::size_t j,
				   const std::vector<std::size_t> &v) { reverse(hb, i, j, v); };
	};
	if (n >= 2) {
		HappensBefore hb(events_);
		hb.forEachRace(onRace(hb));
	}
	for (const TraceEvent &b : blocked_) {
		events_.push_back(b);
		HappensBefore hb(events_);
		hb.forEachRace(onRace(hb), n);
		events_.pop_back();
	}
}

} // namespace

std::unique_ptr<Strategy> makeDporStrategy(std::vector<Branch> prefix)
{
	return std::make_unique<DporStrategy>(std::move(prefix));
}

} // namespace mmrace
