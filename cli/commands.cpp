/* SPDX-License-Identifier: GPL-2.0 */
#include "commands.hpp"
#include "merge.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "checker/invariants.hpp"
#include "model/registry.hpp"
#include "scenarios/scenario.hpp"
#include "traces/trace.hpp"

namespace mmrace::cli {

namespace fs = std::filesystem;

/* Ctrl-C stops exploring after the current execution; the summary is still
 * printed. A second Ctrl-C ends mmrace at once (a step that never returns). */
static std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void installInterruptHandler()
{
	std::signal(SIGINT, [](int sig) {
		if (interrupted.exchange(true)) {
			std::signal(sig, SIG_DFL);
			std::raise(sig);
		}
	});
}

namespace
{

/*
 * CLI numbers are validated as the scenario file's are: digits only (no
 * sign, no float, no overflow), in a stated range; the message names it.
 */
CLI::Validator unsignedIn(std::uint64_t lo, std::uint64_t hi, std::string note = "")
{
	return CLI::Validator(
	    [lo, hi, note](std::string &text) -> std::string {
		    std::uint64_t n = 0;
		    bool ok = !text.empty() && text.size() <= 20;
		    for (char c : text) {
			    if (c < '0' || c > '9' || n > (UINT64_MAX - (c - '0')) / 10) {
				    ok = false;
				    break;
			    }
			    n = n * 10 + static_cast<std::uint64_t>(c - '0');
		    }
		    if (ok && n >= lo && n <= hi)
			    return {};
		    return fmt::format("{} is out of range; allowed: an integer in {}..{}{}", text,
				       lo, hi, note);
	    },
	    fmt::format("INT in {}..{}", lo, hi));
}

CLI::Validator secondsIn(double hi)
{
	return CLI::Validator(
	    [hi](std::string &text) -> std::string {
		    char *end = nullptr;
		    errno = 0;
		    double v = std::strtod(text.c_str(), &end);
		    if (!text.empty() && end && *end == '\0' && errno == 0 && std::isfinite(v) &&
			v > 0 && v <= hi)
			    return {};
		    return fmt::format(
			"{} is out of range; allowed: seconds, a number greater than "
			"0 and at most {:.0f}",
			text, hi);
	    },
	    "SECONDS");
}

} // namespace

void addRunOptions(CLI::App &cmd, RunArgs &a)
{
	cmd.add_option("--strategy", a.strategy, "dpor | optimal | dfs | sleepset | random | pct "
			"(default: the scenario's, else dpor)")
		->check(CLI::IsMember({"dpor", "optimal", "dfs", "sleepset", "random", "pct"}));
	cmd.add_option("--depth", a.depth, "bug depth for --strategy pct (default 3)")
	    ->check(unsignedIn(1, 64));
	cmd.add_option("--shard", a.shard,
		       "K/N: explore share K (0..N-1) of a run split over N processes (batch "
		       "systems); the shares' counts add up to the whole run's");
	cmd.add_option("--preemption-bound", a.preemptionBound,
		       "iterative context bounding, 0 preemptions, then 1, ... up to N (CHESS): "
		       "with --strategy dpor with partial-order reduction, with dfs without")
	    ->check(unsignedIn(0, kMaxPreemptionBound));
	cmd.add_option("--seed", a.seed, "seed for --strategy random (default 1)")
	    ->check(unsignedIn(0, UINT64_MAX));
	cmd.add_option("--max-executions", a.maxExecutions,
		       "stop after N executions (default: none)")
	    ->check(unsignedIn(1, UINT64_MAX));
	cmd.add_option(
	       "--max-steps", a.maxSteps,
	       fmt::format("steps per execution before it is reported as a possible livelock "
			   "(default {})",
			   kDefaultMaxSteps))
	    ->check(unsignedIn(1, UINT64_MAX));
	cmd.add_option("--time-budget", a.timeBudget, "stop exploring after this many seconds")
	    ->check(secondsIn(kMaxTimeBudgetSeconds));
	cmd.add_option("--jobs,-j", a.jobs,
		       fmt::format("worker threads (default: one per core, at "
				   "most {}); results do not depend on it",
				   kMaxJobs))
	    ->check(unsignedIn(0, kMaxJobs, " (0: one per core)"));
	cmd.add_option("--progress-seconds", a.progressSeconds,
		       "off a terminal, print a progress line to stderr this often (default 30)")
	    ->check(secondsIn(kMaxTimeBudgetSeconds));
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
	if (a.progress) {
		/* With a budget from the command line, the time to its end. */
		std::uint64_t maxExec = a.maxExecutions.value_or(0);
		double budget = a.timeBudget;
		o.progress = [maxExec, budget](const ExploreStats &s) {
			double rate =
			    s.seconds > 0 ? static_cast<double>(s.executions) / s.seconds : 0;
			double left = -1;
			if (maxExec && rate > 0)
				left =
				    static_cast<double>(maxExec - std::min(maxExec, s.executions)) /
				    rate;
			if (budget > 0)
				left = left < 0 ? budget - s.seconds
						: std::min(left, budget - s.seconds);
			std::fprintf(
			    stderr, "\r  %llu executions, %.0f/s, %.0f steps/s, depth %llu%s   ",
			    static_cast<unsigned long long>(s.executions), rate,
			    s.seconds > 0 ? static_cast<double>(s.steps) / s.seconds : 0.0,
			    static_cast<unsigned long long>(s.maxDepth),
			    left >= 0 ? fmt::format(", budget ends in {:.0f} s", left).c_str()
				      : "");
		};
	} else if (a.progressSeconds > 0) {
		/* Off a terminal (CI logs): one plain line every progressSeconds. */
		auto next = std::make_shared<double>(a.progressSeconds);
		double every = a.progressSeconds;
		o.progress = [next, every](const ExploreStats &s) {
			if (s.seconds < *next)
				return;
			*next = s.seconds + every;
			std::fprintf(
			    stderr,
			    "mmrace: progress: %llu executions (%llu complete, %llu pruned), "
			    "%llu steps, %.0f s, %.0f steps/s\n",
			    static_cast<unsigned long long>(s.executions),
			    static_cast<unsigned long long>(s.complete),
			    static_cast<unsigned long long>(s.pruned),
			    static_cast<unsigned long long>(s.steps), s.seconds,
			    s.seconds > 0 ? static_cast<double>(s.steps) / s.seconds : 0.0);
		};
	}
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

/*
 * What the verdict does not cover: a switched-off guard no execution
 * reached (the run neither shows its harm nor its absence), and end-state
 * invariants no execution (or not every one) got to evaluate.
 */
std::vector<std::string> coverageNotes(const ScenarioRun &r, bool invariants)
{
	std::vector<std::string> notes;
	for (const std::string &g : r.coverage.offNotReached)
		notes.push_back(fmt::format("guard {} was never reached: this run says nothing about it", g));
	if (!invariants)
		return notes;
	const ExploreStats &s = r.result.stats;
	const std::uint64_t ran = s.executions - std::min(s.pruned, s.executions);
	const std::uint64_t checked = r.coverage.endStatesChecked;
	/* the execution a harmful violation stopped is not news */
	std::uint64_t early = ran > checked ? ran - checked : 0;
	if (r.result.harmful && early)
		--early;
	if (ran && checked == 0)
		notes.push_back("the end-state invariants (rmap reachability, mapcount, refcount, pins, "
				"migration entries, lost writes) were never evaluated: no execution ran "
				"to its end (a deadlock, the step bound or a violation cut each one short)");
	else if (early)
		notes.push_back(fmt::format("{} of {} executions ended early (a deadlock or the step "
					    "bound): the end-state invariants were not evaluated on them",
					    early, ran));
	return notes;
}

std::string coverageLine(const ScenarioRun &r)
{
	return fmt::format("coverage: {} of {} guards reached, end state checked in {} execution{}",
			   r.coverage.reached.size(), model::allGuards().size(),
			   r.coverage.endStatesChecked, r.coverage.endStatesChecked == 1 ? "" : "s");
}

/*
 * Where a scenario's traces go: --trace PATH (one scenario), or the
 * scenario's sanitised name in --trace-dir. Benign findings' traces go next
 * to the harmful one, named after it. Two scenarios of one command whose
 * names sanitise alike get distinct files ("-2", "-3", ...).
 */
struct TracePaths {
	std::string dir;
	std::string base;	  /* a sanitised name, no ".trace.json" */
	std::string explicitPath; /* --trace */

	std::string harmful() const
	{
		if (!explicitPath.empty())
			return explicitPath;
		return (fs::path(dir) / traces::traceFileName(base)).string();
	}
	std::string benign(const std::string &invariant) const
	{
		return (fs::path(dir) / traces::traceFileName(base, ".benign-" + invariant))
		    .string();
	}
	/* --keep-going's further harmful traces: "NAME.harmful-2.trace.json", ... */
	std::string suffixed(const std::string &suffix) const
	{
		return (fs::path(dir) / traces::traceFileName(base, suffix)).string();
	}
};

class TraceNamer
{
public:
	TracePaths paths(const RunArgs &a, const scenarios::Scenario &sc)
	{
		TracePaths p;
		std::string name = sc.name;
		if (!a.tracePath.empty()) {
			p.explicitPath = a.tracePath;
			fs::path t(a.tracePath);
			p.dir = t.has_parent_path() ? t.parent_path().string() : ".";
			name = t.filename().string();
			for (const char *ext : {".trace.json", ".json"})
				if (name.size() > std::strlen(ext) && name.ends_with(ext)) {
					name.resize(name.size() - std::strlen(ext));
					break;
				}
		} else {
			p.dir = a.traceDir;
		}
		std::string file = traces::traceFileName(name);
		p.base = file.substr(0, file.size() - std::strlen(".trace.json"));
		for (int n = 2; !used_.insert(p.base).second; ++n)
			p.base = fmt::format(
			    "{}-{}", file.substr(0, file.size() - std::strlen(".trace.json")), n);
		return p;
	}

private:
	std::set<std::string> used_;
};

/* Writes a trace and says where; false if it could not be written. */
bool writeTrace(const traces::Trace &t, const std::string &path)
{
	if (std::string err = traces::saveTrace(t, path); !err.empty()) {
		std::cerr << "mmrace: " << err << "\n";
		return false;
	}
	return true;
}

bool incomplete(const ExploreStats &s)
{
	return !s.exhausted && s.stoppedBy != "interrupt" && s.stoppedBy != "violation";
}

} // namespace

int cmdRun(const RunArgs &a)
{
	if (!a.tracePath.empty() && a.files.size() > 1)
		throw std::invalid_argument("--trace names one file: give one scenario, or use --trace-dir");
	std::vector<scenarios::Scenario> scs;
	std::vector<TracePaths> paths;
	TraceNamer namer;
	for (const std::string &f : a.files) {
		if (interrupted.load())
			return kExitInterrupted;
		auto sc = load(f);
		if (!sc)
			return kExitBadInput;
		scs.push_back(std::move(*sc));
		paths.push_back(namer.paths(a, scs.back()));
		/* Before exploring: an hour's trace must not be lost to a bad destination. */
		if (std::string err = traces::checkTraceDestination(paths.back().harmful());
		    !err.empty()) {
			std::cerr << "mmrace: " << err << "\n";
			return kExitBadInput;
		}
	}
	if (!a.resultPath.empty())
		if (std::string err = traces::checkTraceDestination(a.resultPath); !err.empty()) {
			std::cerr << "mmrace: --result: " << err << "\n";
			return kExitBadInput;
		}
	/* --result: what this share explored, written however the runs end. */
	std::vector<ScenarioRun> runs;
	std::vector<ShareRecord> records;
	runs.reserve(scs.size());
	auto finish = [&](int code) {
		if (a.resultPath.empty())
			return code;
		RunOptions o = toRunOptions(a);
		if (std::string err = traces::writeFileAtomically(
			a.resultPath, shareResultJson(records, o.shardIndex, o.shardCount));
		    !err.empty()) {
			std::cerr << "mmrace: --result: " << err << "\n";
			return code == kExitOk || code == kExitIncomplete ? kExitBadInput : code;
		}
		return code;
	};
	int exit = kExitOk;
	for (std::size_t i = 0; i < scs.size(); ++i) {
		const auto &sc = scs[i];
		runs.push_back(runScenario(sc, toRunOptions(a)));
		const ScenarioRun &r = runs.back();
		records.push_back({&sc, &r, {}, {}});
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
			std::string path = paths[i].harmful();
			if (writeTrace(t, path)) {
				std::cout << "trace: " << path << "\nreplay: " << replayCommand(path) << "\n";
				records.back().harmfulTrace = path;
			}
			exit = kExitViolation;
		}
		for (std::size_t k = 0; k < r.moreHarmfulTraces.size(); ++k) {
			const traces::Trace &t = r.moreHarmfulTraces[k];
			std::cout << fmt::format("\n--- harmful violation {} of {} (--keep-going) ---\n",
						 k + 2, r.moreHarmfulTraces.size() + 1)
				  << traces::renderReport(t);
			if (t.minimized)
				std::cout << traces::minimizedLine(t) << "\n";
			std::string path = paths[i].suffixed(fmt::format(".harmful-{}", k + 2));
			if (writeTrace(t, path))
				std::cout << "trace: " << path << "\nreplay: " << replayCommand(path) << "\n";
		}
		for (const traces::Trace &t : r.benignTraces) {
			std::string path = paths[i].benign(t.violation.invariant);
			std::cout << fmt::format("\nbenign finding [{}]: {}\n", t.violation.invariant,
						 t.violation.title);
			if (writeTrace(t, path)) {
				std::cout << "  trace: " << path << " (mmrace show to read it)\n";
				records.back().benignTraces[t.violation.invariant] = path;
			}
		}
		const ExploreStats &st = r.result.stats;
		if (!r.harmfulTrace)
			std::cout << fmt::format(
			    "\nno harmful violation{}{}\n",
			    st.benignFindings ? fmt::format(" ({} benign findings in all "
							    "executions)",
							    st.benignFindings)
					      : "",
			    incomplete(st) ? " in the part explored: the budget ran out "
					     "before the exploration was complete"
					   : "");
		std::cout << summaryLine(st) << "\n" << coverageLine(r) << "\n";
		for (const std::string &n : coverageNotes(r, true))
			std::cout << "note: " << n << "\n";
		std::cout << "\n";
		if (st.stoppedBy == "interrupt")
			return finish(exit == kExitViolation ? exit : kExitInterrupted);
		if (exit == kExitOk && !r.harmfulTrace && incomplete(st))
			exit = kExitIncomplete;
	}
	return finish(exit);
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
			std::cout << fmt::format("{:<42} {}: {}\n  {:<40} {}\n", g.name,
						 g.file ? g.file : "?", g.where, "", g.doc);
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
	/* A violation expected but not found: say whether the search was complete. */
	if (!res.stats.exhausted && !res.harmful && e.severity != "benign")
		got += " (not exhausted)";
	if (e.severity == "benign") {
		bool found = std::any_of(res.benign.begin(), res.benign.end(), [&](const Counterexample &c) {
			return c.finding.invariant == e.invariant;
		});
		return {found && !res.harmful,
			got + (found || res.stats.exhausted ? "" : " (not exhausted)")};
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

namespace
{

/* One scenario file's line in the report. */
struct CheckEntry {
	enum class Status { Pass, Fail, Error, Interrupted } status = Status::Pass;
	std::string file, name;
	std::string expect, got; /* Pass / Fail */
	std::string message;	 /* Error: why it did not load */
	std::uint64_t executions = 0;
	double seconds = 0;
	std::string trace; /* written trace, if any */
	std::string rerun; /* the command that shows the failure */
	std::vector<std::string> notes; /* what the verdict does not cover */
};

/* Valid UTF-8 is kept, anything else becomes '?': XML and YAML need text. */
std::string utf8(const std::string &s)
{
	std::string out;
	for (std::size_t i = 0; i < s.size();) {
		auto c = static_cast<unsigned char>(s[i]);
		std::size_t n = c < 0x80	 ? 1
				: (c >> 5) == 6	 ? 2
				: (c >> 4) == 14 ? 3
				: (c >> 3) == 30 ? 4
						 : 0;
		bool ok = n > 0 && i + n <= s.size();
		for (std::size_t k = 1; ok && k < n; ++k)
			ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
		if (ok && (n > 1 || c >= 0x20 || c == '\t' || c == '\n' || c == '\r')) {
			out.append(s, i, n);
			i += n;
		} else {
			out += '?';
			++i;
		}
	}
	return out;
}

std::string xmlEscape(const std::string &s)
{
	std::string out;
	for (char c : utf8(s)) {
		switch (c) {
		case '&':
			out += "&amp;";
			break;
		case '<':
			out += "&lt;";
			break;
		case '>':
			out += "&gt;";
			break;
		case '"':
			out += "&quot;";
			break;
		case '\'':
			out += "&apos;";
			break;
		case '\n':
			out += "&#10;";
			break;
		default:
			out += c;
		}
	}
	return out;
}

/* A YAML double-quoted scalar. */
std::string yamlQuote(const std::string &s)
{
	std::string out = "\"";
	for (char c : utf8(s)) {
		if (c == '"' || c == '\\')
			out += std::string("\\") + c;
		else if (c == '\n')
			out += "\\n";
		else if (c == '\t')
			out += "\\t";
		else if (c == '\r')
			out += "\\r";
		else
			out += c;
	}
	return out + "\"";
}

/* One line of text for a TAP description or comment. */
std::string tapText(const std::string &s)
{
	std::string out;
	for (char c : utf8(s))
		out += c == '\n' || c == '\r' ? ' ' : c == '#' ? '_' : c;
	return out;
}

std::string junitReport(const std::vector<CheckEntry> &entries, double seconds)
{
	using S = CheckEntry::Status;
	std::size_t failures = 0, errors = 0, skipped = 0;
	for (const auto &e : entries) {
		failures += e.status == S::Fail;
		errors += e.status == S::Error;
		skipped += e.status == S::Interrupted;
	}
	std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	out += fmt::format("<testsuites name=\"mmrace check\" tests=\"{}\" failures=\"{}\" "
			   "errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
			   entries.size(), failures, errors, skipped, seconds);
	out += fmt::format("  <testsuite name=\"mmrace check\" tests=\"{}\" failures=\"{}\" "
			   "errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
			   entries.size(), failures, errors, skipped, seconds);
	for (const auto &e : entries) {
		out +=
		    fmt::format("    <testcase classname=\"mmrace.check\" name=\"{}\" file=\"{}\" "
				"time=\"{:.3f}\"",
				xmlEscape(e.name), xmlEscape(e.file), e.seconds);
		std::string body;
		std::string detail = fmt::format(
		    "file: {}\nexpect: {}\ngot: {}\nexecutions: {}\n{}", e.file, e.expect, e.got,
		    e.executions, e.trace.empty() ? "" : "trace: " + e.trace + "\n");
		if (e.status == S::Fail)
			body = fmt::format(
			    "      <failure type=\"expectation\" message=\"{}\">{}</failure>\n",
			    xmlEscape(fmt::format("expect {}; got {}", e.expect, e.got)),
			    xmlEscape(detail + e.rerun + "\n"));
		else if (e.status == S::Error)
			body = fmt::format(
			    "      <error type=\"bad-input\" message=\"{}\">{}</error>\n",
			    xmlEscape(e.message), xmlEscape(e.message + "\n"));
		else if (e.status == S::Interrupted)
			body = "      <skipped message=\"interrupted (Ctrl-C) before it "
			       "finished\"/>\n";
		out += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
	}
	out += "  </testsuite>\n</testsuites>\n";
	return out;
}

/* The scenario files named by `paths`; an error message if there are none. */
std::string collectScenarios(const std::vector<std::string> &paths, std::vector<std::string> &files)
{
	for (const std::string &p : paths) {
		std::error_code ec;
		if (fs::is_directory(p, ec)) {
			std::size_t before = files.size();
			for (const auto &entry : fs::directory_iterator(p, ec))
				if (entry.path().extension() == ".json")
					files.push_back(entry.path().string());
			if (ec)
				return fmt::format("{}: cannot list: {}", p, ec.message());
			if (files.size() == before)
				return fmt::format(
				    "{}: no scenario files (*.json) in this directory", p);
		} else if (fs::exists(p, ec)) {
			files.push_back(p);
		} else {
			return fmt::format("{}: no such file or directory", p);
		}
	}
	std::sort(files.begin(), files.end());
	files.erase(std::unique(files.begin(), files.end()), files.end());
	return files.empty() ? "no scenario files given" : "";
}

} // namespace

int cmdCheck(const CheckArgs &c)
{
	using S = CheckEntry::Status;
	std::vector<std::string> files;
	if (std::string err = collectScenarios(c.paths, files); !err.empty()) {
		std::cerr << "mmrace: " << err << "\n";
		return kExitBadInput;
	}
	/* Destinations first: a report or trace must not be lost after the run. */
	const bool writeTraces = c.run.traceDir != ".";
	for (const std::string &dest :
	     {writeTraces ? (fs::path(c.run.traceDir) / "check.trace.json").string()
			  : std::string(),
	      c.junit}) {
		if (dest.empty())
			continue;
		if (std::string err = traces::checkTraceDestination(dest); !err.empty()) {
			std::cerr << "mmrace: " << err << "\n";
			return kExitBadInput;
		}
	}
	if (c.tap)
		std::cout << "TAP version 13\n1.." << files.size() << "\n";
	std::vector<CheckEntry> entries;
	TraceNamer namer;
	double total = 0;
	for (const std::string &f : files) {
		if (interrupted.load())
			break;
		CheckEntry e;
		e.file = f;
		e.name = f;
		auto r = scenarios::loadScenarioFile(f);
		if (auto *err = std::get_if<scenarios::LoadError>(&r)) {
			e.status = S::Error;
			e.message = err->format();
			std::cerr << "mmrace: " << e.message << "\n";
		} else {
			const auto &sc = std::get<scenarios::Scenario>(r);
			e.name = sc.name;
			ScenarioRun run = runScenario(sc, toRunOptions(c.run));
			const auto &st = run.result.stats;
			e.executions = st.executions;
			e.seconds = st.seconds;
			total += st.seconds;
			if (st.stoppedBy == "interrupt") {
				e.status = S::Interrupted;
			} else {
				Verdict v = judge(sc.expect, run);
			e.notes = coverageNotes(run, false);
				e.status = v.ok ? S::Pass : S::Fail;
				e.expect = expectText(sc.expect);
				e.got = v.got;
				e.rerun = fmt::format("reproduce: mmrace run '{}'", f);
				if (!v.ok && run.harmfulTrace && writeTraces) {
					RunArgs named = c.run;
					std::string path = namer.paths(named, sc).harmful();
					if (writeTrace(*run.harmfulTrace, path)) {
						e.trace = path;
						e.rerun = "replay: " + replayCommand(path);
					}
				}
			}
		}
		entries.push_back(e);
		std::size_t n = entries.size();
		std::string detail =
		    fmt::format("{} executions, {:.2f} s", e.executions, e.seconds);
		if (c.tap) {
			if (e.status == S::Interrupted)
				break;
			std::cout << fmt::format("{} {} - {}\n",
						 e.status == S::Pass ? "ok" : "not ok", n,
						 tapText(e.name));
			if (e.status == S::Pass)
				std::cout
				    << fmt::format("# {}: expect {}; got {}; {}\n", tapText(e.name),
						   tapText(e.expect), tapText(e.got), detail);
			else if (e.status == S::Error)
				std::cout << fmt::format(
				    "  ---\n  message: {}\n  severity: fail\n  file: {}\n  ...\n",
				    yamlQuote("bad input: " + e.message), yamlQuote(f));
			else
				std::cout << fmt::format(
				    "  ---\n  message: {}\n  severity: fail\n  file: {}\n  expect: "
				    "{}\n  got: {}\n"
				    "  executions: {}\n  seconds: {:.3f}\n{}  {}: {}\n  ...\n",
				    yamlQuote(fmt::format("expect {}; got {}", e.expect, e.got)),
				    yamlQuote(f), yamlQuote(e.expect), yamlQuote(e.got),
				    e.executions, e.seconds,
				    e.trace.empty()
					? ""
					: fmt::format("  trace: {}\n", yamlQuote(e.trace)),
				    e.rerun.substr(0, e.rerun.find(':')),
				    yamlQuote(e.rerun.substr(e.rerun.find(':') + 2)));
		} else if (e.status == S::Error) {
			std::cout << fmt::format("FAIL {:<40} bad input (see above)\n", f);
		} else if (e.status != S::Interrupted) {
			std::cout << fmt::format("{:<4} {:<40} expect {:<32} got {} ({})\n",
						 e.status == S::Pass ? "ok" : "FAIL", e.name,
						 e.expect, e.got, detail);
			if (!e.trace.empty())
				std::cout << "     trace: " << e.trace << "\n";
		}
		for (const std::string &note : e.notes)
			std::cout << (c.tap ? "# note: " + tapText(e.name) + ": " : "     note: ") << note
				  << "\n";
		std::cout << std::flush; /* CI logs follow a long check as it goes */
	}
	std::size_t passed = 0, failed = 0, errors = 0, ran = 0;
	for (const auto &e : entries) {
		passed += e.status == S::Pass;
		failed += e.status == S::Fail;
		errors += e.status == S::Error;
		ran += e.status != S::Interrupted;
	}
	std::string summary = fmt::format("{} passed, {} failed", passed, failed + errors);
	if (errors)
		summary += fmt::format(" ({} did not load)", errors);
	if (interrupted.load())
		summary += fmt::format("; interrupted: {} of {} scenarios not run",
				       files.size() - ran, files.size());
	if (c.tap && interrupted.load())
		std::cout << "Bail out! interrupted (Ctrl-C)\n";
	std::cout << (c.tap ? "# " : "") << summary << "\n";
	if (!c.junit.empty()) {
		if (std::string err =
			traces::writeFileAtomically(c.junit, junitReport(entries, total));
		    !err.empty()) {
			std::cerr << "mmrace: " << err << "\n";
			return kExitBadInput;
		}
	}
	if (interrupted.load())
		return kExitInterrupted;
	if (errors)
		return kExitBadInput;
	return failed ? kExitMismatch : kExitOk;
}

} // namespace mmrace::cli
