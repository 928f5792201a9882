/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Counterexample minimisation: before a trace is written, look for the
 * schedule with the fewest preemptions, then the fewest steps, that still
 * shows a violation of the same invariant with the same severity.
 *
 * Two phases, within one time budget (docs/checking.md, "Minimal traces"):
 *  1. a preemption-bounded search (iterative context bounding with
 *     partial-order reduction) of the scenario with bounds 0, 1, ... below
 *     the counterexample's own preemption count, stopped at the first hit;
 *  2. step-dropping replay as in delta debugging: the schedule as runs of
 *     one task; a run is dropped (its steps happen later), merged into the
 *     task's previous run (earlier) or halved, the schedule re-executed
 *     tolerantly (a picked task that cannot run lets the next one run), and
 *     the candidate kept when it shows the same violation and is smaller.
 */

#include <cstdint>
#include <vector>

#include "checker/lockdep.hpp"
#include "model/guards.hpp"
#include "scenarios/scenario.hpp"
#include "scheduler/explorer.hpp"

namespace mmrace::cli
{

struct ScheduleSize {
	std::uint64_t preemptions = 0;
	std::uint64_t steps = 0;
	auto operator<=>(const ScheduleSize &) const = default;
};

struct MinimizeResult {
	Counterexample best; /* the original when nothing smaller was found */
	ScheduleSize before, after;
	std::uint64_t candidates = 0; /* executions tried */
	bool timedOut = false;
	double seconds = 0;
};

/*
 * The preemptions and steps of one schedule's execution. Preemption: a
 * switch away from the task that ran the last step while it could go on.
 */
ScheduleSize measureSchedule(const scenarios::Scenario &sc, const model::GuardSet &guards,
			     const ChoiceLog &choices, std::uint64_t maxSteps);

/*
 * `lockdepBefore`: for a lockdep finding, the graph it was found against
 * (each candidate runs from it); for any other finding lockdep is off, as in
 * the re-run that writes the trace. `sameSteps` (--keep-going): the
 * result must also name the same steps (sameRace()), so that distinct races
 * stay distinct.
 */
MinimizeResult minimizeCounterexample(const scenarios::Scenario &sc, const model::GuardSet &guards,
				      const Counterexample &cx,
				      const std::vector<checker::LockDepEdge> &lockdepBefore,
				      std::uint64_t maxSteps, double seconds,
				      bool sameSteps = false);

} // namespace mmrace::cli
