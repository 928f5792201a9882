/* SPDX-License-Identifier: GPL-2.0 */
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "checker/invariants.hpp"
#include "model/registry.hpp"
#include "scenarios/scenario.hpp"
#include "traces/trace.hpp"

namespace mmrace::cli {

namespace fs = std::filesystem;

/* Ctrl-C stops exploring after the current execution; the summary is still printed. */
static std::atomic<bool> interrupted{false};

void installInterruptHandler()
{
	std::signal(SIGINT, [](int) { interrupted.store(true, std::memory_order_relaxed); });
}

void addRunOptions(CLI::App &cmd, RunArgs &a)
{
	cmd.add_option("--strategy", a.strategy, "dpor | optimal | dfs | sleepset | random | pct "
			"(default: the scenario's, else dpor)")
		->check(CLI::IsMember({"dpor", "optimal", "dfs", "sleepset", "random", "pct"}));
	cmd.add_option("--depth", a.depth, "bug depth for --strategy pct (default 3)")
		->check(CLI::Range(1u, 64u));
	cmd.add_option("--shard", a.shard,
		       "K/N: explore share K (0..N-1) of a run split over N processes (batch "
		       "systems); the shares' counts add up to the whole run's");
	cmd.add_option("--preemption-bound", a.preemptionBound,
		       "iterative context bounding, 0 preemptions, then 1, ... up to N (CHESS): "
		       "with --strategy dpor with partial-order reduction, with dfs without");
	cmd.add_option("--seed", a.seed, "seed for --strategy random (default 1)");
	cmd.add_option("--max-executions", a.maxExecutions, "stop after N executions (default: none)");
	cmd.add_option("--max-steps", a.maxSteps,
		       fmt::format("steps per execution before it is reported as a possible livelock "
				   "(default {})", kDefaultMaxSteps));
	cmd.add_option("--time-budget", a.timeBudget, "stop exploring after this many seconds");
	cmd.add_option("--jobs,-j", a.jobs, "worker threads (default: one per core); results do not "
		       "depend on it");
	cmd.add_option("--preset", a.preset, "run with this preset's guards (overrides the "
		       "scenario's guard settings)");
	cmd.add_option("--guards-off", a.guardsOff, "guards to switch off, comma separated "
		       "(overrides the scenario's guard settings)")
		->delimiter(',')
		->each([&a](const std::string &) { a.guardsOffGiven = true; });
	cmd.add_option("--minimize-seconds", a.minimizeSeconds,
		       fmt::format("time for minimising each counterexample before its trace is "
				   "written: fewest preemptions, then fewest steps (default {})",
				   kDefaultMinimizeSeconds))
		->check(CLI::NonNegativeNumber);
	cmd.add_flag("--no-minimize", a.noMinimize, "write the counterexample as exploration found it");
	cmd.add_flag("--keep-going", a.keepGoing,
		     "go on after a harmful violation: report each distinct (invariant, racing steps) "
		     "once, with a trace each");
}

RunOptions toRunOptions(const RunArgs &a)
{
	RunOptions o;
	o.strategy = a.strategy;
	o.seed = a.seed;
	o.maxExecutions = a.maxExecutions;
	o.maxSteps = a.maxSteps;
	o.timeBudgetSeconds = a.timeBudget;
	o.interrupt = &interrupted;
	o.jobs = a.jobs;
	o.depth = a.depth;
	o.minimize = !a.noMinimize && a.minimizeSeconds > 0;
	o.keepGoing = a.keepGoing;
	o.minimizeSeconds = a.minimizeSeconds;
	if (!a.shard.empty()) {
		unsigned k = 0, n = 0;
		char slash = 0, extra = 0;
		if (std::sscanf(a.shard.c_str(), "%u%c%u%c", &k, &slash, &n, &extra) != 3 || slash != '/' ||
		    n == 0 || k >= n)
			throw std::invalid_argument("--shard " + a.shard +
						    ": expected K/N with 0 <= K < N, e.g. 0/4");
		o.shardIndex = k;
		o.shardCount = n;
	}
	o.preemptionBound = a.preemptionBound;
	o.preset = a.preset;
	if (a.guardsOffGiven)
		o.guardsOff = a.guardsOff;
	if (a.progress)
		o.progress = [](const ExploreStats &s) {
			std::fprintf(stderr, "\r  %llu executions, %.0f steps/s, depth %llu   ",
				     static_cast<unsigned long long>(s.executions),
				     s.seconds > 0 ? static_cast<double>(s.steps) / s.seconds : 0.0,
				     static_cast<unsigned long long>(s.maxDepth));
		};
	return o;
}

namespace {

std::optional<scenarios::Scenario> load(const std::string &file)
{
	auto r = scenarios::loadScenarioFile(file);
	if (auto *err = std::get_if<scenarios::LoadError>(&r)) {
		std::cerr << "mmrace: " << err->format() << "\n";
		return std::nullopt;
	}
	return std::get<scenarios::Scenario>(std::move(r));
}

/*
 * executions = complete + pruned + ended by a finding (a harmful violation,
 * a deadlock or the step bound stopped it); docs/checking.md, "The summary
 * line".
 */
std::string summaryLine(const ExploreStats &s)
{
	std::uint64_t rest = s.executions - std::min(s.executions, s.complete + s.pruned);
	return fmt::format("executions {} (complete {}, pruned {}{}), steps {}, {:.3f} s, {:.0f} steps/s{}",
			   s.executions, s.complete, s.pruned,
			   rest ? fmt::format(", ended by a finding {}", rest) : "", s.steps, s.seconds,
			   s.seconds > 0 ? static_cast<double>(s.steps) / s.seconds : 0.0,
			   s.exhausted ? ", exhausted" : fmt::format(", stopped by {}", s.stoppedBy));
}

std::string guardsLine(const ScenarioRun &r)
{
	auto off = r.guards.offNames();
	return fmt::format("preset {}, guards off: {}", r.preset.empty() ? "(none)" : r.preset,
			   off.empty() ? "none" : fmt::format("{}", fmt::join(off, ", ")));
}

std::string traceFile(const RunArgs &a, const scenarios::Scenario &sc, const char *suffix)
{
	if (!a.tracePath.empty() && a.files.size() == 1 && !*suffix)
		return a.tracePath;
	std::string base = a.tracePath.empty() ? sc.name : fs::path(a.tracePath).stem().string();
	return (fs::path(a.traceDir) / (base + suffix + ".trace.json")).string();
}

/* Writes a trace and says where; false if it could not be written. */
bool writeTrace(const traces::Trace &t, const std::string &path)
{
	if (std::string err = traces::saveTrace(t, path); !err.empty()) {
		std::cerr << "mmrace: " << err << "\n";
		return false;
	}
	return true;
}

} // namespace

int cmdRun(const RunArgs &a)
{
	if (!a.tracePath.empty() && a.files.size() > 1)
		throw std::invalid_argument("--trace names one file: give one scenario, or use --trace-dir");
	std::vector<scenarios::Scenario> scs;
	for (const std::string &f : a.files) {
		auto sc = load(f);
		if (!sc)
			return kExitBadInput;
		scs.push_back(std::move(*sc));
	}
	int exit = kExitOk;
	for (const auto &sc : scs) {
		ScenarioRun r = runScenario(sc, toRunOptions(a));
		if (a.progress)
			std::fprintf(stderr, "\r%60s\r", "");
		std::cout << fmt::format("scenario {} ({})\n  {}; strategy {}, {} job{}{}\n", sc.name,
					 sc.file, guardsLine(r), r.strategy, r.jobs, r.jobs == 1 ? "" : "s",
					 a.shard.empty() ? "" : ", shard " + a.shard);
		if (r.harmfulTrace) {
			const traces::Trace &t = *r.harmfulTrace;
			std::cout << "\n" << traces::renderReport(t) << "\n"
				  << traces::renderRaceDiagram(t);
			if (t.minimized)
				std::cout << traces::minimizedLine(t) << "\n";
			std::string path = traceFile(a, sc, "");
			if (writeTrace(t, path))
				std::cout << "trace: " << path << "\nreplay: " << replayCommand(path) << "\n";
			exit = kExitViolation;
		}
		for (std::size_t i = 0; i < r.moreHarmfulTraces.size(); ++i) {
			const traces::Trace &t = r.moreHarmfulTraces[i];
			std::cout << fmt::format("\n--- harmful violation {} of {} (--keep-going) ---\n", i + 2,
						 r.moreHarmfulTraces.size() + 1)
				  << traces::renderReport(t);
			if (t.minimized)
				std::cout << traces::minimizedLine(t) << "\n";
			std::string path = traceFile(a, sc, fmt::format(".harmful-{}", i + 2).c_str());
			if (writeTrace(t, path))
				std::cout << "trace: " << path << "\nreplay: " << replayCommand(path) << "\n";
		}
		for (std::size_t i = 0; i < r.benignTraces.size(); ++i) {
			const traces::Trace &t = r.benignTraces[i];
			std::string path = traceFile(a, sc, fmt::format(".benign-{}", t.violation.invariant).c_str());
			std::cout << fmt::format("\nbenign finding [{}]: {}\n", t.violation.invariant,
						 t.violation.title);
			if (writeTrace(t, path))
				std::cout << "  trace: " << path << " (mmrace show to read it)\n";
		}
		if (!r.harmfulTrace)
			std::cout << fmt::format("\nno harmful violation{}\n",
						 r.result.stats.benignFindings
							 ? fmt::format(" ({} benign findings in all executions)",
								       r.result.stats.benignFindings)
							 : "");
		std::cout << summaryLine(r.result.stats) << "\n\n";
		if (r.result.stats.stoppedBy == "interrupt")
			return exit == kExitViolation ? exit : kExitInterrupted;
	}
	return exit;
}

int cmdReplay(const std::string &path, bool diagram)
{
	auto loaded = traces::loadTrace(path);
	if (auto *err = std::get_if<std::string>(&loaded)) {
		std::cerr << "mmrace: " << *err << "\n";
		return kExitBadInput;
	}
	const traces::Trace &t = std::get<traces::Trace>(loaded);
	ReplayResult r = replayTrace(t);
	if (!r.reproduced) {
		std::cout << fmt::format("replay DIVERGED from {}\n  expected [{}] {}\n  {}\n", path,
					 t.violation.invariant, t.violation.title, r.divergence);
		return kExitMismatch;
	}
	std::cout << fmt::format("replay reproduced the violation of {} ({} steps)\n\n", path,
				 r.rerun.steps.size())
		  << traces::renderViolation(r.rerun.violation);
	if (diagram)
		std::cout << "\n" << traces::renderRaceDiagram(r.rerun);
	return kExitViolation;
}

int cmdShow(const std::string &path, bool locks)
{
	auto loaded = traces::loadTrace(path);
	if (auto *err = std::get_if<std::string>(&loaded)) {
		std::cerr << "mmrace: " << *err << "\n";
		return kExitBadInput;
	}
	const traces::Trace &t = std::get<traces::Trace>(loaded);
	std::cout << fmt::format("trace of {} ({})\n  guards off: {}\n  strategy {}, execution {}, "
				 "outcome {}\n  schedule {}\n\n",
				 t.scenarioName, t.scenarioFile,
				 t.guardsOff.empty() ? "none" : fmt::format("{}", fmt::join(t.guardsOff, ", ")),
				 t.strategy, t.execution, t.outcome, encodeSchedule(t.choices))
		  << traces::renderReport(t) << "\n"
		  << traces::renderRaceDiagram(t);
	if (t.minimized)
		std::cout << traces::minimizedLine(t) << "\n";
	if (locks)
		std::cout << "\n" << traces::renderLocks(t);
	return kExitOk;
}

int cmdList(const std::string &what)
{
	if (what == "ops") {
		for (const auto &op : model::allOps()) {
			std::cout << fmt::format("{}\n  {}\n  reduces: {}\n", op.name, op.doc, op.reduces);
			for (const auto &p : op.params)
				std::cout << fmt::format("    {}{}: {}\n", p.name, p.required ? "" : " (optional)",
							 p.doc);
		}
	} else if (what == "guards") {
		for (const auto &g : model::allGuards())
			std::cout << fmt::format("{:<42} {}\n  {:<40} {}\n", g.name, g.where, "", g.doc);
	} else if (what == "presets") {
		for (const auto &p : model::allPresets())
			std::cout << fmt::format("{}\n  {}\n  guards off: {}\n", p.name, p.doc,
						 p.guardsOff.empty() ? "none"
								     : fmt::format("{}", fmt::join(p.guardsOff, ", ")));
	} else {
		for (const auto &i : checker::allInvariants())
			std::cout << fmt::format("{:<24} [{}]\n  {}\n", i.id, i.ref, i.statement);
	}
	return kExitOk;
}

namespace {

/* What the run found, in the terms of "expect". */
struct Verdict {
	bool ok;
	std::string got;
};

Verdict judge(const scenarios::ExpectSpec &e, const ScenarioRun &r)
{
	const auto &res = r.result;
	std::string got = res.harmful ? fmt::format("harmful {}", res.harmful->finding.invariant) : "clean";
	for (const auto &b : res.benign)
		got += fmt::format(" + benign {}", b.finding.invariant);
	using K = scenarios::ExpectSpec::Kind;
	if (e.kind == K::None)
		return {false, got + " (the scenario has no \"expect\")"};
	if (e.kind == K::Clean)
		return {!res.harmful && res.stats.exhausted, got + (res.stats.exhausted ? "" : " (not exhausted)")};
	if (e.severity == "benign") {
		bool found = std::any_of(res.benign.begin(), res.benign.end(), [&](const Counterexample &c) {
			return c.finding.invariant == e.invariant;
		});
		return {found && !res.harmful, got};
	}
	return {res.harmful && res.harmful->finding.invariant == e.invariant, got};
}

std::string expectText(const scenarios::ExpectSpec &e)
{
	using K = scenarios::ExpectSpec::Kind;
	if (e.kind == K::Clean)
		return "clean";
	if (e.kind == K::None)
		return "(none)";
	return fmt::format("{} {}", e.severity.empty() ? "harmful" : e.severity, e.invariant);
}

} // namespace

int cmdCheck(const CheckArgs &c)
{
	std::vector<std::string> files;
	for (const std::string &p : c.paths) {
		std::error_code ec;
		if (fs::is_directory(p, ec)) {
			for (const auto &entry : fs::directory_iterator(p, ec))
				if (entry.path().extension() == ".json")
					files.push_back(entry.path().string());
		} else if (fs::exists(p, ec)) {
			files.push_back(p);
		} else {
			std::cerr << "mmrace: " << p << ": no such file or directory\n";
			return kExitBadInput;
		}
	}
	std::sort(files.begin(), files.end());
	std::vector<scenarios::Scenario> scs;
	for (const std::string &f : files) {
		auto sc = load(f);
		if (!sc)
			return kExitBadInput;
		scs.push_back(std::move(*sc));
	}
	if (c.tap)
		std::cout << "TAP version 13\n1.." << scs.size() << "\n";
	int failed = 0, n = 0;
	for (const auto &sc : scs) {
		ScenarioRun r = runScenario(sc, toRunOptions(c.run));
		Verdict v = judge(sc.expect, r);
		++n;
		const auto &st = r.result.stats;
		std::string detail = fmt::format("{} executions, {:.2f} s", st.executions, st.seconds);
		if (c.tap)
			std::cout << fmt::format("{} {} - {} # expect {}; got {}; {}\n", v.ok ? "ok" : "not ok",
						 n, sc.name, expectText(sc.expect), v.got, detail);
		else
			std::cout << fmt::format("{:<4} {:<40} expect {:<32} got {} ({})\n", v.ok ? "ok" : "FAIL",
						 sc.name, expectText(sc.expect), v.got, detail);
		if (!v.ok) {
			++failed;
			if (r.harmfulTrace && c.run.traceDir != ".") {
				std::string path = (fs::path(c.run.traceDir) / (sc.name + ".trace.json")).string();
				if (writeTrace(*r.harmfulTrace, path))
					std::cout << "     trace: " << path << "\n";
			}
		}
	}
	std::cout << fmt::format("{} passed, {} failed\n", n - failed, failed);
	if (interrupted.load())
		return kExitInterrupted;
	return failed ? kExitMismatch : kExitOk;
}

} // namespace mmrace::cli
