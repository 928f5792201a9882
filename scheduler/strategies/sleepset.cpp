/* SPDX-License-Identifier: GPL-2.0 */
#include <bit>

#include "../execution.hpp"
#include "../path.hpp"
#include "strategies.hpp"

namespace mmrace {

namespace {

/*
 * After exploring task p from a node, p sleeps in the later siblings until
 * some executed step conflicts with p's pending step: any execution where p
 * runs first from there is equivalent to one already explored.
 */
class SleepSetStrategy : public Strategy {
public:
	explicit SleepSetStrategy(std::vector<Branch> prefix) : path_(std::move(prefix)) {}

	bool beginExecution() override
	{
		if (started_ && !path_.backtrack())
			return false;
		started_ = true;
		path_.beginExecution();
		sleep_ = 0;
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		TaskMask enabled = 0;
		for (TaskId t : view.enabled)
			enabled |= bit(t);
		auto pick = path_.branchTask(enabled, sleep_, view.current);
		if (!pick)
			return kNoTask;
		const auto pending = [&](TaskId t) -> const Access & { return view.execution.pending(t); };
		sleep_ = sleepAfter(path_.last(), *pick, pending);
		return *pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override { return path_.branchValue(n); }
	std::string stopReason() const override { return "sleep-set blocked"; }
	bool stopIsPrune() const override { return true; }
	std::string name() const override { return "sleepset"; }

private:
	Path path_;
	TaskMask sleep_ = 0;
	bool started_ = false;
};

} // namespace

std::unique_ptr<Strategy> makeSleepSetStrategy(std::vector<Branch> prefix)
{
	return std::make_unique<SleepSetStrategy>(std::move(prefix));
}

} // namespace mmrace
