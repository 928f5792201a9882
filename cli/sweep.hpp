/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * `mmrace sweep` (docs/sweep.md): generated scenarios run with every guard
 * on; each harmful finding, internal error or (one thread) mismatch with
 * the sequential specification is minimised and written as a scenario.
 */

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mmrace::cli
{

struct JudgeOptions {
	std::uint64_t maxExecutions = 2000;
	std::uint64_t maxSteps = 10000;
	double timeBudgetSeconds = 30; /* per run: beyond it the run is budget-limited */
	bool spec = true;	       /* one-thread scenarios: check the sequential spec */
};

/* What one scenario gave. kind "" is clean; otherwise an invariant id,
 * "spec-mismatch", "internal-error" or "invalid-scenario" (the loader
 * refused a generated scenario: a generator bug). */
struct Verdict {
	std::string kind;
	std::string detail;
	bool budgetLimited = false;
};

/* In this process (tests). */
Verdict judgeScenario(const nlohmann::ordered_json &doc, const JudgeOptions &options);
/* In a child process: a crash is an internal error, not the end of the sweep. */
Verdict judgeIsolated(const nlohmann::ordered_json &doc, const JudgeOptions &options);

/* Greedy delta debugging over threads, ops, pages and VMAs: the smallest
 * scenario found whose verdict has the same kind. `judgeCalls` counts runs. */
nlohmann::ordered_json minimise(const nlohmann::ordered_json &doc, const std::string &kind,
				const JudgeOptions &options, bool isolated,
				unsigned *judgeCalls = nullptr);

struct SweepArgs {
	std::uint64_t count = 100;
	std::uint64_t seed = 1;
	std::uint64_t from = 0;	/* first scenario index: --from I --count 1 re-runs scenario I */
	std::string threads = "1-4";
	std::string pages = "1-4";
	std::uint64_t maxExecutions = 2000;
	std::uint64_t maxSteps = 10000;
	double timeBudget = 30;
	std::string outDir = "sweep-findings";
	unsigned jobs = 1;
	bool minimise = true;
	/* non-empty: judge these scenario files as the sweep would, generate nothing */
	std::vector<std::string> files;
	std::string emitDir; /* non-empty: also write every generated scenario there */
};

int cmdSweep(const SweepArgs &args);

} // namespace mmrace::cli
