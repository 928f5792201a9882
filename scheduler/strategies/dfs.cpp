/* SPDX-License-Identifier: GPL-2.0 */
#include "strategies.hpp"

#include "../path.hpp"

namespace mmrace {

namespace {

TaskMask maskOf(std::span<const TaskId> tasks)
{
	TaskMask m = 0;
	for (TaskId t : tasks)
		m |= bit(t);
	return m;
}

class DfsStrategy : public Strategy {
public:
	explicit DfsStrategy(std::vector<Branch> prefix) : path_(std::move(prefix)) {}

	bool beginExecution() override
	{
		if (started_ && !path_.backtrack())
			return false;
		started_ = true;
		path_.beginExecution();
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		return *path_.branchTask(maskOf(view.enabled), 0, view.current);
	}

	std::uint32_t pickValue(std::uint32_t n) override { return path_.branchValue(n); }
	std::string name() const override { return "dfs"; }

private:
	Path path_;
	bool started_ = false;
};

} // namespace

std::unique_ptr<Strategy> makeDfsStrategy(std::vector<Branch> prefix)
{
	return std::make_unique<DfsStrategy>(std::move(prefix));
}

} // namespace mmrace
