/* SPDX-License-Identifier: GPL-2.0 */
#include "runner.hpp"

#include <algorithm>
#include <bitset>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checker/mm_program.hpp"
#include "scheduler/parallel.hpp"
#include "scheduler/strategies/strategies.hpp"
#include "scheduler/strategies/replay.hpp"

namespace mmrace::cli {

namespace {

SubtreeStrategyFactory exhaustiveStrategy(const std::string &name)
{
	if (name == "dfs")
		return [](std::vector<Branch> p) { return makeDfsStrategy(std::move(p)); };
	if (name == "sleepset")
		return [](std::vector<Branch> p) { return makeSleepSetStrategy(std::move(p)); };
	if (name == "dpor")
		return [](std::vector<Branch> p) { return makeDporStrategy(std::move(p)); };
	if (name == "optimal")
		return [](std::vector<Branch> p) { return makeOptimalDporStrategy(std::move(p)); };
	if (name == "random" || name == "pct")
		return nullptr;
	throw std::invalid_argument("unknown strategy \"" + name + "\"; allowed: dpor, optimal, dfs, sleepset, random, pct");
}

bool isLockdepFinding(const std::string &invariant)
{
	return invariant == "lock-order" || invariant == "lock-recursion";
}

std::vector<traces::LockEdge> toTrace(const std::vector<checker::LockDepEdge> &edges)
{
	std::vector<traces::LockEdge> out;
	for (const auto &e : edges)
		out.push_back({e.from, e.to, e.task, e.fromName, e.toName, e.fromLabel, e.toLabel,
			       e.execution});
	return out;
}

std::vector<checker::LockDepEdge> fromTrace(const std::vector<traces::LockEdge> &edges)
{
	std::vector<checker::LockDepEdge> out;
	for (const auto &e : edges)
		out.push_back({e.from, e.to, e.task, e.fromName, e.toName, e.fromLabel, e.toLabel,
			       e.execution, 0});
	return out;
}

struct Rerun {
	ExploreResult result;
	std::string divergence;
	std::vector<checker::StepInfo> steps;
	std::vector<std::string> threads;
};

/*
 * One execution of `choices` with full tracing. A lockdep finding re-runs
 * from the graph it was found against (`edges`); any other with lockdep off.
 */
Rerun rerun(const scenarios::Scenario &sc, const model::GuardSet &guards, const ChoiceLog &choices,
	    const std::string &invariant, const std::vector<checker::LockDepEdge> &edges,
	    std::uint64_t maxSteps)
{
	checker::MmProgram program(sc, guards);
	if (isLockdepFinding(invariant))
		program.lockdep().importEdges(edges);
	else
		program.setLockdep(false);
	program.setTracing(true);
	ReplayStrategy replay(choices);
	ExploreOptions opts;
	opts.limits.maxSteps = maxSteps;
	Rerun r;
	r.result = explore(program, replay, opts);
	r.divergence = replay.finish();
	r.steps = program.stepLog();
	r.threads = program.taskNames();
	return r;
}

const Counterexample *findSame(const ExploreResult &r, const Finding &f)
{
	if (r.harmful && r.harmful->finding.invariant == f.invariant && r.harmful->finding.title == f.title)
		return &*r.harmful;
	for (const auto &c : r.benign)
		if (c.finding.invariant == f.invariant && c.finding.title == f.title)
			return &c;
	return nullptr;
}

traces::Trace makeTrace(const scenarios::Scenario &sc, const ScenarioRun &run, const Rerun &r,
			const Counterexample &cx, const std::vector<checker::LockDepEdge> &edges)
{
	traces::Trace t;
	t.scenarioFile = sc.file;
	t.scenarioName = sc.name;
	t.scenarioJson = sc.json;
	t.preset = run.preset;
	t.guardsOff = run.guards.offNames();
	t.strategy = run.strategy;
	t.seed = run.seed;
	t.execution = cx.execution;
	t.maxSteps = run.maxSteps;
	t.outcome = std::string(outcomeName(cx.outcome));
	t.choices = cx.choices;
	t.threads = r.threads;
	for (const auto &s : r.steps)
		t.steps.push_back({s.index, r.threads[s.task], s.function, s.what, s.access, s.locks});
	t.violation.invariant = cx.finding.invariant;
	t.violation.severity = std::string(severityName(cx.finding.severity));
	t.violation.title = cx.finding.title;
	t.violation.message = cx.finding.message;
	for (const StepRef &s : cx.finding.steps)
		t.violation.steps.push_back({s.step, s.task < r.threads.size() ? r.threads[s.task] : "",
					     s.what});
	t.lockdep = toTrace(edges);
	if (run.strategy != "replay") {
		t.coverage.recorded = true;
		t.coverage.guardsOffReached = run.coverage.offReached;
		t.coverage.guardsOffNotReached = run.coverage.offNotReached;
		t.coverage.executions = run.result.stats.executions;
		t.coverage.endStatesChecked = run.coverage.endStatesChecked;
	}
	return t;
}

/*
 * Where a replay that found the recorded violation still tells a different
 * story: the threads, every step, and the violation's severity, message and
 * steps must all be the recorded ones. Empty when they are.
 */
std::string recordedDifference(const traces::Trace &rec, const traces::Trace &got)
{
	auto list = [](const std::vector<std::string> &v) {
		return fmt::format("[{}]", fmt::join(v, ", "));
	};
	if (rec.threads != got.threads)
		return fmt::format("the recorded threads are {}, the replay's {}",
				   list(rec.threads), list(got.threads));
	for (std::size_t i = 0; i < std::max(rec.steps.size(), got.steps.size()); ++i) {
		if (i >= rec.steps.size() || i >= got.steps.size())
			return fmt::format("the recorded run has {} steps, the replay {}",
					   rec.steps.size(), got.steps.size());
		const auto &a = rec.steps[i], &b = got.steps[i];
		if (a.index != b.index || a.thread != b.thread || a.function != b.function ||
		    a.what != b.what || a.access != b.access || a.locks != b.locks)
			return fmt::format(
			    "first difference at step {}: recorded {} \"{}: {}\" ({}; locks {}), "
			    "replayed {} \"{}: {}\" ({}; locks {})",
			    i, a.thread, a.function, a.what, a.access, list(a.locks), b.thread,
			    b.function, b.what, b.access, list(b.locks));
	}
	const auto &v = rec.violation, &w = got.violation;
	if (v.severity != w.severity)
		return fmt::format("the recorded violation is {}, the replayed one {}", v.severity,
				   w.severity);
	if (v.message != w.message)
		return fmt::format(
		    "the violation's message differs: recorded \"{}\", replayed \"{}\"", v.message,
		    w.message);
	auto refs = [](const traces::TraceFinding &f) {
		std::vector<std::string> out;
		for (const auto &r : f.steps)
			out.push_back(fmt::format("step {} {} {}", r.step, r.thread, r.what));
		return out;
	};
	if (refs(v) != refs(w))
		return fmt::format("the steps involved differ: recorded {}, replayed {}",
				   list(refs(v)), list(refs(w)));
	return {};
}

} // namespace

ScenarioRun runScenario(const scenarios::Scenario &sc, const RunOptions &opt)
{
	ScenarioRun run;
	run.strategy = !opt.strategy.empty()		? opt.strategy
		       : !sc.explore.strategy.empty()	? sc.explore.strategy
							: kDefaultStrategy;
	run.seed = opt.seed.value_or(sc.explore.seed.value_or(1));
	run.maxSteps = opt.maxSteps.value_or(sc.explore.maxSteps.value_or(kDefaultMaxSteps));
	std::vector<std::string> off;
	if (opt.preset || opt.guardsOff) {
		run.preset = opt.preset.value_or("mainline");
		off = opt.guardsOff.value_or(std::vector<std::string>{});
	} else {
		run.preset = sc.preset;
		off = sc.guardsOff;
	}
	if (std::string err = model::GuardSet::build(run.preset, off, run.guards); !err.empty())
		throw std::invalid_argument(err);
	auto subtree = exhaustiveStrategy(run.strategy);
	auto lockdep = std::make_shared<checker::LockDep>();
	auto coverage = std::make_shared<checker::RunCoverage>();
	ProgramFactory factory = [&] {
		auto p = std::make_unique<checker::MmProgram>(sc, run.guards, lockdep);
		p->setCoverage(coverage);
		return p;
	};
	ExploreOptions eo;
	eo.maxExecutions = opt.maxExecutions.value_or(sc.explore.maxExecutions.value_or(0));
	eo.timeBudgetSeconds = opt.timeBudgetSeconds;
	eo.limits.maxSteps = run.maxSteps;
	eo.progress = opt.progress;
	eo.interrupt = opt.interrupt;
	eo.shardIndex = opt.shardIndex;
	eo.shardCount = opt.shardCount;
	unsigned jobs = opt.jobs ? opt.jobs : std::max(1u, std::thread::hardware_concurrency());
	/* The scenario's bound applies where it can; --strategy optimal,
	 * sleepset, random or pct explore the unbounded space. */
	std::optional<unsigned> bound = opt.preemptionBound;
	if (!bound && (run.strategy == "dfs" || run.strategy == "dpor"))
		bound = sc.explore.preemptionBound;
	if (opt.preemptionBound && run.strategy != "dfs" && run.strategy != "dpor")
		throw std::invalid_argument("--preemption-bound works with --strategy dpor (bounded "
					    "partial-order reduction) and dfs");
	std::unique_ptr<Strategy> sequential;
	if (run.strategy == "pct") {
		/* PCT learns k from earlier executions: one worker. */
		sequential = makePctStrategy(run.seed, opt.depth);
		run.strategy = fmt::format("pct(depth {})", opt.depth);
	} else if (bound) {
		bool por = run.strategy == "dpor";
		sequential = por ? makeBoundedPorStrategy(*bound) : makeIterativeBoundingStrategy(*bound);
		run.strategy = fmt::format("{}(preemption bound 0..{})", por ? "bounded-por" : "dfs",
					   *bound);
	}
	if (sequential && opt.shardCount > 1)
		throw std::invalid_argument("--shard splits dpor, optimal, dfs, sleepset and random runs; "
					    "not pct or --preemption-bound");
	if (sequential) {
		jobs = 1;
		auto program = factory();
		run.result = explore(*program, *sequential, eo);
	} else {
		run.result = subtree ? exploreExhaustiveParallel(factory, subtree, run.strategy == "dfs", eo, jobs)
				     : exploreRandomParallel(factory, run.seed, eo, jobs);
	}
	run.jobs = jobs;
	/* every program is gone now: each merged its last execution */
	{
		const std::bitset<64> reached(coverage->guardsReached.load());
		run.coverage.reached = model::GuardSet::namesOf(reached);
		run.coverage.offReached = model::GuardSet::namesOf(reached & run.guards.offBits());
		run.coverage.offNotReached = model::GuardSet::namesOf(~reached & run.guards.offBits());
		run.coverage.endStatesChecked = coverage->endStates.load();
	}

	auto traceOf = [&](const Counterexample &cx) {
		std::vector<checker::LockDepEdge> before;
		if (isLockdepFinding(cx.finding.invariant) && cx.finding.context.size() == 2)
			before = lockdep->edgesBefore(cx.finding.context[0], cx.finding.context[1]);
		Rerun r = rerun(sc, run.guards, cx.choices, cx.finding.invariant, before, run.maxSteps);
		if (!r.divergence.empty() || !findSame(r.result, cx.finding))
			throw std::logic_error(fmt::format(
				"nondeterministic model: re-running execution {} ({}) did not reproduce "
				"[{}] {}{}",
				cx.execution, encodeSchedule(cx.choices), cx.finding.invariant,
				cx.finding.title, r.divergence.empty() ? "" : ": " + r.divergence));
		return makeTrace(sc, run, r, cx, before);
	};
	if (run.result.harmful)
		run.harmfulTrace = traceOf(*run.result.harmful);
	for (const auto &cx : run.result.benign)
		run.benignTraces.push_back(traceOf(cx));
	return run;
}

ReplayResult replayTrace(const traces::Trace &trace)
{
	ReplayResult out;
	auto loaded = scenarios::loadScenarioText(trace.scenarioJson, trace.scenarioFile + " (embedded)");
	if (auto *err = std::get_if<scenarios::LoadError>(&loaded)) {
		out.divergence = "the embedded scenario does not load: " + err->format();
		return out;
	}
	const auto &sc = std::get<scenarios::Scenario>(loaded);
	if (!trace.scenarioName.empty() && sc.name != trace.scenarioName) {
		out.divergence = fmt::format("the embedded scenario is \"{}\", the trace's \"{}\"",
					     sc.name, trace.scenarioName);
		return out;
	}
	model::GuardSet guards;
	if (std::string err = model::GuardSet::build("", trace.guardsOff, guards); !err.empty()) {
		out.divergence = "the trace's guards are not known to this mmrace: " + err;
		return out;
	}
	Rerun r = rerun(sc, guards, trace.choices, trace.violation.invariant, fromTrace(trace.lockdep),
			trace.maxSteps ? trace.maxSteps : kDefaultMaxSteps);
	Finding want;
	want.invariant = trace.violation.invariant;
	want.title = trace.violation.title;
	const Counterexample *same = findSame(r.result, want);

	ScenarioRun shape;
	shape.guards = guards;
	shape.preset = trace.preset;
	shape.strategy = "replay";
	shape.maxSteps = trace.maxSteps;
	Counterexample cx;
	cx.choices = trace.choices;
	cx.execution = trace.execution;
	if (same)
		cx = *same;
	else if (r.result.harmful)
		cx = *r.result.harmful;
	out.rerun = makeTrace(sc, shape, r, cx, fromTrace(trace.lockdep));
	out.rerun.execution = trace.execution;

	if (same && r.divergence.empty()) {
		out.divergence = recordedDifference(trace, out.rerun);
		if (!out.divergence.empty())
			out.divergence = "the replay found [" + want.invariant + "] " + want.title +
					 " but not as recorded: " + out.divergence;
		out.reproduced = out.divergence.empty();
		return out;
	}
	if (!r.divergence.empty()) {
		out.divergence = r.divergence;
	} else if (r.result.harmful) {
		out.divergence = fmt::format("the replay found a different violation: [{}] {}",
					     r.result.harmful->finding.invariant,
					     r.result.harmful->finding.title);
	} else {
		out.divergence = "the schedule ran to its end without the recorded violation";
	}
	/* Point at the first step that differs from the recorded story. */
	std::size_t n = std::min(trace.steps.size(), out.rerun.steps.size());
	for (std::size_t i = 0; i <= n; ++i) {
		if (i == n) {
			if (trace.steps.size() != out.rerun.steps.size())
				out.divergence += fmt::format("; the recorded run has {} steps, the replay {}",
							      trace.steps.size(), out.rerun.steps.size());
			break;
		}
		const auto &a = trace.steps[i], &b = out.rerun.steps[i];
		if (a.thread != b.thread || a.function != b.function || a.what != b.what) {
			out.divergence += fmt::format("; first difference at step {}: recorded {} \"{}: {}\", "
						      "replayed {} \"{}: {}\"",
						      i, a.thread, a.function, a.what, b.thread, b.function,
						      b.what);
			break;
		}
	}
	return out;
}

std::string replayCommand(const std::string &path)
{
	std::string quoted = "'";
	for (char c : path)
		quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return "mmrace replay " + quoted + "'";
}

} // namespace mmrace::cli
