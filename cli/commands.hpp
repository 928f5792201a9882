/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* The subcommands, each returning its exit code. */

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runner.hpp"

namespace CLI {
class App;
}

namespace mmrace::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitMismatch = 2;
inline constexpr int kExitBadInput = 3;
inline constexpr int kExitInternal = 4;
/* run: no harmful violation, but a budget (--max-executions, --time-budget,
 * the scenario's max_executions) ended the exploration before it was complete. */
inline constexpr int kExitIncomplete = 5;
inline constexpr int kExitInterrupted = 130;	/* 128 + SIGINT, as shells report it */

/* Limits of command-line numbers (the scenario file's where it has one). */
inline constexpr std::uint64_t kMaxJobs = 256;
inline constexpr std::uint64_t kMaxPreemptionBound = 16;
inline constexpr double kMaxTimeBudgetSeconds = 1e7; /* about 115 days */

struct RunArgs {
	std::vector<std::string> files;
	std::string strategy;
	std::optional<std::uint64_t> seed, maxExecutions, maxSteps;
	double timeBudget = 0;
	unsigned jobs = 0;
	unsigned depth = 3;
	std::optional<unsigned> preemptionBound;
	std::string shard;	/* "K/N" */
	std::optional<std::string> preset;
	std::vector<std::string> guardsOff;
	bool guardsOffGiven = false;
	std::string tracePath;
	std::string traceDir = ".";
	std::string resultPath; /* --result: this share's JSON result (cli/merge.hpp) */
	bool progress = false;	     /* the live line, on a terminal */
	double progressSeconds = 30; /* otherwise a plain line this often */
	bool noMinimize = false;
	bool keepGoing = false;
	double minimizeSeconds = kDefaultMinimizeSeconds;
};

struct CheckArgs {
	std::vector<std::string> paths;
	RunArgs run;
	bool tap = false;
	std::string junit; /* JUnit XML report file, if given */
};

void addRunOptions(CLI::App &cmd, RunArgs &args);
void installInterruptHandler();
RunOptions toRunOptions(const RunArgs &args);

int cmdRun(const RunArgs &args);
int cmdReplay(const std::string &path, bool diagram);
int cmdCheck(const CheckArgs &args);
int cmdList(const std::string &what);
int cmdShow(const std::string &path, bool locks);

} // namespace mmrace::cli
