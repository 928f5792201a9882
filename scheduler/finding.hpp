/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * A finding is a result value: an invariant broken in one execution. The
 * scheduler produces deadlock and step-bound findings; the checker produces
 * the rest. Nothing here exits or throws.
 */

#include <cstdint>
#include <string>
#include <vector>

#include "sync_object.hpp"

namespace mmrace {

enum class Severity : std::uint8_t {
	/* Breaks correctness: corruption, a leak, a deadlock, a broken rule. */
	Harmful,
	/* A heuristic got a wrong answer (e.g. folio_referenced's aging). */
	Benign,
};

std::string_view severityName(Severity s);

struct StepRef {
	std::uint64_t step;	/* index in the execution's step sequence */
	TaskId task;
	std::string what;	/* the step's label, for the report */
};

struct Finding {
	std::string invariant;	/* stable id, e.g. "rmap-walk-lock" */
	Severity severity = Severity::Harmful;
	std::string title;	/* one line */
	std::string message;	/* multi-line report body */
	std::vector<StepRef> steps;
	/* Program-defined data needed to reproduce it in a single re-run
	 * (MmProgram: the lockdep graph position, see checker/lockdep.hpp). */
	std::vector<std::uint64_t> context;
};

} // namespace mmrace
