/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * The one interface between the execution loop and an exploration strategy
 * (as in Shuttle: one strategy per file, the runner never names one).
 */

#include <cstdint>
#include <span>
#include <string>

#include "access.hpp"
#include "sync_object.hpp"

namespace mmrace {

class Execution;

struct SchedulingView {
	std::span<const TaskId> enabled;	/* ascending task ids */
	TaskId current;				/* task that ran the last step, or kNoTask */
	const Execution &execution;		/* pending accesses of every task */
};

class Strategy {
public:
	virtual ~Strategy() = default;

	/* Prepares the next execution; false when the strategy is exhausted. */
	virtual bool beginExecution() = 0;
	/* Picks an enabled task; kNoTask stops the execution (see stopReason). */
	virtual TaskId pickTask(const SchedulingView &view) = 0;
	/* Picks a value in [0, n). */
	virtual std::uint32_t pickValue(std::uint32_t n) = 0;
	/* Why pickTask returned kNoTask: "sleep-set blocked", a replay divergence... */
	virtual std::string stopReason() const { return {}; }
	/* True when a stop is not an error but a pruned execution. */
	virtual bool stopIsPrune() const { return false; }

	virtual std::string name() const = 0;
};

} // namespace mmrace
