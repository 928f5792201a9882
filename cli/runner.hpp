/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Running a scenario the way every front end does (the CLI, the corpus
 * check, benchmarks, tests): resolve guards and strategy, explore, and turn
 * counterexamples into traces by re-running them with full tracing (a
 * different verdict on the re-run is a nondeterministic model: an error).
 */

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/guards.hpp"
#include "scenarios/scenario.hpp"
#include "scheduler/explorer.hpp"
#include "traces/trace.hpp"

namespace mmrace::cli {

struct RunOptions {
	std::string strategy;	/* empty: the scenario's, else kDefaultStrategy */
	std::optional<std::uint64_t> seed;
	std::optional<std::uint64_t> maxExecutions;
	std::optional<std::uint64_t> maxSteps;
	double timeBudgetSeconds = 0;
	/* Set either one to override the scenario's own guard settings. */
	std::optional<std::string> preset;
	std::optional<std::vector<std::string>> guardsOff;
	std::function<void(const ExploreStats &)> progress;
	const std::atomic<bool> *interrupt = nullptr;
	/* Worker threads; 0 = one per core. Results do not depend on it. */
	unsigned jobs = 0;
	/* --shard K/N: this process explores share K (0-based) of N. */
	unsigned shardIndex = 0, shardCount = 1;
	/* PCT's bug depth (--strategy pct). */
	unsigned depth = 3;
	/* With dfs: iterative context bounding 0, 1, ... up to this bound. */
	std::optional<unsigned> preemptionBound;
};

inline constexpr const char *kDefaultStrategy = "dpor";
inline constexpr std::uint64_t kDefaultMaxSteps = 10000;

/* What a run evaluated (RunCoverage, in guard names). */
struct Coverage {
	std::vector<std::string> offReached;	/* switched off, and some execution reached it */
	std::vector<std::string> offNotReached;	/* switched off, and no execution reached it */
	std::vector<std::string> reached;	/* every guard some execution reached */
	std::uint64_t endStatesChecked = 0;	/* executions whose end state was checked */
};

struct ScenarioRun {
	ExploreResult result;
	model::GuardSet guards;
	std::string preset;	/* as used */
	std::string strategy;
	std::uint64_t seed = 0;
	std::uint64_t maxSteps = 0;
	unsigned jobs = 1;
	Coverage coverage;
	/* Traces of result.harmful and of each result.benign, in that order. */
	std::optional<traces::Trace> harmfulTrace;
	std::vector<traces::Trace> benignTraces;
};

/* Throws std::invalid_argument for bad options (unknown strategy/guard). */
ScenarioRun runScenario(const scenarios::Scenario &scenario, const RunOptions &options);

struct ReplayResult {
	bool reproduced = false;
	std::string divergence;		/* why not, when not */
	traces::Trace rerun;		/* the replayed execution as a trace */
};

/* Re-executes a trace's schedule on its embedded scenario. */
ReplayResult replayTrace(const traces::Trace &trace);

/* "mmrace replay 'path'", quoted for a shell. */
std::string replayCommand(const std::string &tracePath);

} // namespace mmrace::cli
