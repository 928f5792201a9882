/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Runs a program again and again under one strategy until the strategy is
 * exhausted, a bound is hit, or a harmful finding stops the search. Keeps
 * what a report needs: the first harmful counterexample and the first benign
 * one of each invariant, each with the choice log that replays it.
 */

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "execution.hpp"

namespace mmrace
{

struct ExploreOptions {
	/* 0 = no bound. Named bounds, each a CLI flag. */
	std::uint64_t maxExecutions = 0;
	double timeBudgetSeconds = 0;
	ExecutionLimits limits;
	/* Set asynchronously (SIGINT) to stop after the current execution. */
	const std::atomic<bool> *interrupt = nullptr;
	/* Asked before every execution; true stops the run ("stopped"). */
	std::function<bool()> stop;
	/* A budget of executions shared by several explorations (the parallel
	 * explorer's subtrees, --max-executions): each execution that begins
	 * takes one; none left stops the run ("stopped"). */
	std::atomic<std::uint64_t> *sharedExecutions = nullptr;
	std::uint64_t sharedExecutionsMax = 0;
	/*
	 * This process's share of a run split across processes (--shard K/N):
	 * parallel exploration keeps the subtrees (or random executions) whose
	 * index is shardIndex modulo shardCount. Shard counts add up to the
	 * whole run's.
	 */
	unsigned shardIndex = 0, shardCount = 1;
	/* --keep-going: a harmful finding does not stop the run; each further
	 * distinct one (sameRace()) is kept in ExploreResult::moreHarmful. */
	bool keepGoing = false;
	/* Called about once a second with the running totals. */
	std::function<void(const struct ExploreStats &)> progress;
};

struct ExploreStats {
	std::uint64_t executions = 0; /* started */
	std::uint64_t complete = 0;   /* every task finished */
	std::uint64_t pruned = 0;     /* cut short by the strategy (sleep-set blocked) */
	std::uint64_t steps = 0;
	std::uint64_t benignFindings = 0;
	std::uint64_t maxDepth = 0; /* steps of the longest execution */
	double seconds = 0;
	bool exhausted = false; /* the strategy explored everything */
	std::string stoppedBy;	/* "exhausted", "violation", "max-executions", ... */
};

struct Counterexample {
	Finding finding;
	Outcome outcome = Outcome::Complete;
	ChoiceLog choices;
	std::uint64_t execution = 0; /* 1-based index in the run */
};

/* One subtree of a split run, as --result records it for `mmrace merge`. */
struct SubtreeResult {
	std::size_t index = 0; /* in the whole run's subtree order */
	bool ran = false;      /* false: skipped after a violation or a budget */
	ExploreStats stats;
	std::optional<Counterexample> harmful; /* execution: 1-based in the subtree */
	std::vector<Counterexample> benign;
};

struct ExploreResult {
	ExploreStats stats;
	/* Exhaustive strategies split into subtrees (parallel.hpp): how many
	 * the whole run has, the top's pruned executions (counted by share 0
	 * only) and this process's subtrees, in order. */
	std::size_t subtreeCount = 0;
	std::uint64_t topPruned = 0;
	std::vector<SubtreeResult> subtrees;
	std::optional<Counterexample> harmful;
	std::vector<Counterexample> benign;	/* first per invariant */
	/* With keepGoing: the harmful findings after the first, one per
	 * distinct (invariant, racing steps). */
	std::vector<Counterexample> moreHarmful;
	/* Set when the strategy stopped an execution for a reason that is not a
	 * prune (replay divergence). */
	std::string divergence;
};

ExploreResult explore(Program &program, Strategy &strategy, const ExploreOptions &options);

/* Two findings tell the same race: the same invariant and the same steps
 * (by label), or, when they name no step, the same title. */
bool sameRace(const Finding &a, const Finding &b);
/* Adds `c` to result.harmful or moreHarmful unless it tells a race already
 * there; returns whether it was added. */
bool addHarmful(ExploreResult &result, const Counterexample &c);

} // namespace mmrace
