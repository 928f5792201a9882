/* SPDX-License-Identifier: GPL-2.0 */
#include "replay.hpp"

#include <fmt/format.h>

#include "../execution.hpp"

namespace mmrace {

bool ReplayStrategy::beginExecution()
{
	if (started_)
		return false;
	started_ = true;
	return true;
}

TaskId ReplayStrategy::pickTask(const SchedulingView &view)
{
	if (!divergence_.empty())
		return kNoTask;
	if (pos_ >= log_.size()) {
		divergence_ = fmt::format("the recorded schedule ends after {} choices but the "
					  "execution goes on ({} tasks enabled)",
					  log_.size(), view.enabled.size());
		return kNoTask;
	}
	const Choice &c = log_[pos_];
	if (c.kind != Choice::Kind::Task) {
		divergence_ = fmt::format("choice #{}: recorded a value choice, the execution "
					  "asks which task runs (step {})",
					  pos_, view.execution.steps());
		return kNoTask;
	}
	bool ok = false;
	for (TaskId t : view.enabled)
		ok |= t == c.value;
	if (!ok) {
		std::string names;
		for (TaskId t : view.enabled)
			names += (names.empty() ? "" : ", ") + view.execution.taskName(t);
		std::string who = c.value < view.execution.taskCount()
					  ? view.execution.taskName(c.value)
					  : fmt::format("task #{}", c.value);
		divergence_ = fmt::format("choice #{} (step {}): recorded {} but it is not "
					  "enabled; enabled: {}",
					  pos_, view.execution.steps(), who, names);
		return kNoTask;
	}
	++pos_;
	return c.value;
}

std::uint32_t ReplayStrategy::pickValue(std::uint32_t n)
{
	if (divergence_.empty() && pos_ < log_.size() && log_[pos_].kind == Choice::Kind::Value &&
	    log_[pos_].options == n)
		return log_[pos_++].value;
	if (divergence_.empty())
		divergence_ = fmt::format("choice #{}: the execution asks for a value in [0, {}) "
					  "but the log has no matching value choice",
					  pos_, n);
	return 0;
}

std::string ReplayStrategy::finish()
{
	if (divergence_.empty() && pos_ != log_.size())
		divergence_ = fmt::format("the execution ended after {} of the {} recorded choices",
					  pos_, log_.size());
	return divergence_;
}

} // namespace mmrace
