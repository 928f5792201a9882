/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

#include <memory>

#include "../choice.hpp"
#include "../strategy.hpp"

namespace mmrace {

/*
 * Re-executes one recorded choice log. Any mismatch (a recorded task that is
 * not enabled, a value choice where a task choice was recorded, a log that
 * runs out or is left over) stops the execution and is reported as a
 * divergence naming the choice where it happened.
 */
class ReplayStrategy : public Strategy {
public:
	explicit ReplayStrategy(ChoiceLog log) : log_(std::move(log)) {}

	bool beginExecution() override;
	TaskId pickTask(const SchedulingView &view) override;
	std::uint32_t pickValue(std::uint32_t n) override;
	std::string stopReason() const override { return divergence_; }
	std::string name() const override { return "replay"; }

	/* Empty when the execution followed the log exactly and used all of it. */
	std::string finish();

private:
	ChoiceLog log_;
	std::size_t pos_ = 0;
	bool started_ = false;
	std::string divergence_;
};

} // namespace mmrace
