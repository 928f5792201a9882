/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: the command line. Exit codes (README.md):
 *   0  no harmful violation / every expectation met / nothing to report
 *   1  a harmful violation was found (run), or the replay reproduced it
 *   2  an expectation was not met (check), or the replay diverged
 *   3  bad input or usage
 *   4  internal error (a bug in mmrace, including a nondeterministic model)
 *   5  run: no harmful violation, but a budget ended the exploration before it was complete
 *   130 interrupted (SIGINT) before the exploration finished
 */
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <stdexcept>

#include <unistd.h>

#include "commands.hpp"
#include "sweep.hpp"
#include "merge.hpp"

int main(int argc, char **argv)
{
	using namespace mmrace::cli;
	setProgramName(argc > 0 ? argv[0] : "mmrace");
	CLI::App app{"mmrace: a model checker for races in Linux memory management"};
	app.require_subcommand(1);
	app.set_version_flag("--version", "mmrace 0.1.0");

	RunArgs run;
	auto *runCmd = app.add_subcommand("run", "explore the interleavings of scenarios and check "
					  "every invariant");
	runCmd->add_option("scenarios", run.files, "scenario files (JSON)")->required();
	addRunOptions(*runCmd, run);
	runCmd->add_option("--trace", run.tracePath,
			   "where to write the trace of a violation (one scenario only; default "
			   "NAME.trace.json in --trace-dir)");
	runCmd->add_option("--trace-dir", run.traceDir, "directory for traces (default: .)");
	runCmd->add_option("--result", run.resultPath,
			   "write what this run (or --shard share) explored as JSON, for mmrace merge");

	std::string replayPath;
	bool replayDiagram = true;
	auto *replayCmd = app.add_subcommand("replay", "re-execute a trace and check that it "
					     "reproduces its violation");
	replayCmd->add_option("trace", replayPath, "trace file")->required();
	replayCmd->add_flag("!--no-diagram", replayDiagram, "do not print the race diagram");

	CheckArgs check;
	auto *checkCmd = app.add_subcommand("check", "run scenarios and compare each with its "
					    "\"expect\"");
	checkCmd->add_option("paths", check.paths, "scenario files or directories")->required();
	addRunOptions(*checkCmd, check.run);
	checkCmd->add_option("--trace-dir", check.run.traceDir,
			     "write the trace of every unexpected violation here");
	checkCmd->add_flag("--tap", check.tap,
			   "TAP version 13 output for CI (kselftest style: YAML "
			   "diagnostics under each \"not ok\")");
	checkCmd->add_option("--junit", check.junit,
			     "also write a JUnit XML report to this file "
			     "(one testcase per scenario)");

	std::string listWhat;
	auto *listCmd = app.add_subcommand("list", "list ops, guards, presets or invariants");
	listCmd->add_option("what", listWhat, "ops | guards | presets | invariants")
		->required()
		->check(CLI::IsMember({"ops", "guards", "presets", "invariants"}));

	std::string showPath;
	bool showLocks = false;
	auto *showCmd = app.add_subcommand("show", "print a trace as a report and race diagram");
	showCmd->add_option("trace", showPath, "trace file")->required();
	showCmd->add_flag("--locks", showLocks, "also list every step with the locks held after it");

	SweepArgs sweep;
	auto *sweepCmd = app.add_subcommand("sweep", "run generated scenarios with every guard on; "
					    "minimise and write each harmful finding (docs/sweep.md)");
	sweepCmd->add_option("--count", sweep.count, "scenarios to generate (default 100)");
	sweepCmd->add_option("--seed", sweep.seed, "scenario i derives from (seed, i) (default 1)");
	sweepCmd->add_option("--from", sweep.from, "index of the first scenario (default 0): --from I --count 1 re-runs scenario I alone");
	sweepCmd->add_option("--threads", sweep.threads, "threads per scenario: N or A-B within 1-4 (default 1-4)");
	sweepCmd->add_option("--pages", sweep.pages, "pages placed per scenario: N or A-B within 1-4 (default 1-4)");
	sweepCmd->add_option("--max-executions", sweep.maxExecutions, "execution budget per scenario (default 2000)");
	sweepCmd->add_option("--max-steps", sweep.maxSteps, "steps per execution (default 10000)");
	sweepCmd->add_option("--time-budget", sweep.timeBudget, "seconds per scenario run (default 30)");
	sweepCmd->add_option("--out", sweep.outDir, "where minimised findings go (default sweep-findings)");
	sweepCmd->add_option("--jobs,-j", sweep.jobs, "scenarios run at once, each in its own process (default 1)");
	sweepCmd->add_flag("!--no-minimise", sweep.minimise, "write findings as generated");
	sweepCmd->add_option("--scenario", sweep.files, "judge these scenario files as the sweep does (harmful findings, and the sequential spec for one thread) instead of generating");
	sweepCmd->add_option("--emit", sweep.emitDir, "also write every generated scenario to this directory");
	std::vector<std::string> mergeFiles;
	auto *mergeCmd = app.add_subcommand("merge", "add up the --result files of the shares of a "
						     "--shard run: the single run's totals and first violation");
	mergeCmd->add_option("results", mergeFiles, "result files (run --shard K/N --result FILE)")
		->required();

	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForAllHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForVersion &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		app.exit(e);
		return kExitBadInput;
	}

	run.progress = isatty(STDERR_FILENO);
	installInterruptHandler();
	check.run.progress = false;
	try {
		if (*runCmd)
			return cmdRun(run);
		if (*replayCmd)
			return cmdReplay(replayPath, replayDiagram);
		if (*checkCmd)
			return cmdCheck(check);
		if (*listCmd)
			return cmdList(listWhat);
		if (*showCmd)
			return cmdShow(showPath, showLocks);
		if (*sweepCmd)
			return cmdSweep(sweep);
		if (*mergeCmd)
			return cmdMerge(mergeFiles);
	} catch (const std::invalid_argument &e) {
		std::cerr << "mmrace: " << e.what() << "\n";
		return kExitBadInput;
	} catch (const std::exception &e) {
		std::cerr << "mmrace: internal error: " << e.what() << "\n";
		return kExitInternal;
	}
	return kExitBadInput;
}
