/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace benchmarks (not tests): prints, in one run,
 *   - a bare Boost.Context switch next to one scheduling step, same process:
 *     tasks alternating (one switch per step), the same task going on (no
 *     switch) and random picks;
 *   - executions/s and steps/s per strategy on every library scenario;
 *   - how many steps of Seed E switch fibers;
 *   - the classic DPOR benchmarks, and --jobs 1 against --jobs 2.
 * Usage: mmrace-bench [SOURCE_ROOT] [--quick] [--scheduling-only]
 */
#include <boost/context/fiber.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "checker/mm_program.hpp"
#include "cli/runner.hpp"
#include "model/guards.hpp"
#include "scheduler/execution.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/programs/classic.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
namespace ctx = boost::context;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double seconds(Clock::time_point a, Clock::time_point b)
{
	return std::chrono::duration<double>(b - a).count();
}

/* Ping-pong between the main context and one fiber: ns per one-way switch. */
static double bareSwitchNs(long rounds)
{
	ctx::fiber f{std::allocator_arg, ctx::pooled_fixedsize_stack(64 * 1024),
		     [rounds](ctx::fiber &&sink) {
			     for (long i = 0; i < rounds; ++i)
				     sink = std::move(sink).resume();
			     return std::move(sink);
		     }};
	auto t0 = Clock::now();
	for (long i = 0; i < rounds; ++i)
		f = std::move(f).resume();
	f = std::move(f).resume();
	auto t1 = Clock::now();
	return seconds(t0, t1) * 1e9 / static_cast<double>(2 * rounds);
}

/* Two tasks of `n` points each, each on its own object (no blocking). */
struct PingProgram : Program {
	long n = 0;
	void setUp(Execution &e) override
	{
		for (int t = 0; t < 2; ++t)
			e.spawn("t", [&e, t, this] {
				for (long i = 0; i < n; ++i)
					e.point({ObjectId(1 + t), kNoObject, AccessKind::Write,
						 "bench: step", nullptr});
			});
	}
};

/* Picks the next enabled task after the one that ran last: every step switches. */
class AlternateStrategy : public Strategy {
public:
	bool beginExecution() override { return true; }
	TaskId pickTask(const SchedulingView &view) override
	{
		for (TaskId t : view.enabled)
			if (t > view.current || view.current == kNoTask)
				return t;
		return view.enabled[0];
	}
	std::uint32_t pickValue(std::uint32_t) override { return 0; }
	std::string name() const override { return "alternate"; }
};

/* Picks the task that ran last while it can: it runs to its end. */
class StayStrategy : public Strategy {
public:
	bool beginExecution() override { return true; }
	TaskId pickTask(const SchedulingView &view) override
	{
		for (TaskId t : view.enabled)
			if (t == view.current)
				return t;
		return view.enabled[0];
	}
	std::uint32_t pickValue(std::uint32_t) override { return 0; }
	std::string name() const override { return "stay"; }
};

struct StepCost {
	double ns = 0;
	double switchShare = 0;	/* steps that needed a fiber switch */
};

/*
 * Full scheduling steps of PingProgram: point(), the strategy's pickTask,
 * the choice log, afterStep, and a fiber switch whenever the picked task is
 * not the one that ran last; `executions` executions of 2n steps, timed
 * together (setup included).
 */
static StepCost stepCost(Strategy &s, long n, long executions)
{
	PingProgram p;
	p.n = n;
	StackPool stacks(kFiberStackSize);
	ExecutionLimits limits;
	limits.maxSteps = static_cast<std::uint64_t>(4 * n);
	std::uint64_t steps = 0, switches = 0;
	auto t0 = Clock::now();
	for (long i = 0; i < executions; ++i) {
		s.beginExecution();
		Execution exec(s, stacks, limits);
		exec.run(p);
		steps += exec.steps();
		switches += exec.switches();
	}
	auto t1 = Clock::now();
	return {seconds(t0, t1) * 1e9 / static_cast<double>(steps),
		static_cast<double>(switches) / static_cast<double>(steps)};
}

/* Steps of the first `limit` executions of a scenario that switch fibers. */
static double switchShare(const scenarios::Scenario &sc, Strategy &s, std::uint64_t limit)
{
	model::GuardSet guards;
	if (!model::GuardSet::build(sc.preset, sc.guardsOff, guards).empty())
		return 0;
	checker::MmProgram program(sc, guards);
	StackPool stacks(kFiberStackSize);
	ExecutionLimits limits;
	limits.maxSteps = sc.explore.maxSteps.value_or(cli::kDefaultMaxSteps);
	std::uint64_t steps = 0, switches = 0;
	for (std::uint64_t i = 0; i < limit && s.beginExecution(); ++i) {
		Execution exec(s, stacks, limits);
		exec.run(program);
		steps += exec.steps();
		switches += exec.switches();
	}
	return steps ? static_cast<double>(switches) / static_cast<double>(steps) : 0;
}

static double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

int main(int argc, char **argv)
{
	fs::path root = ".";
	bool quick = false, schedulingOnly = false;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		if (a == "--quick")
			quick = true;
		else if (a == "--scheduling-only")
			schedulingOnly = true;
		else
			root = a;
	}

	/*
	 * Every figure is the median of 15 short rounds, interleaved so that a
	 * noisy neighbour hits them all alike.
	 */
	const long n = 1000, executions = quick ? 50 : 500;
	const long longN = quick ? 50000 : 500000;
	std::vector<double> sw, alt, stay, rnd, rndShare, lng, lngShare;
	for (int i = 0; i < 15; ++i) {
		sw.push_back(bareSwitchNs(quick ? 100000 : 1000000));
		AlternateStrategy a;
		alt.push_back(stepCost(a, n, executions).ns);
		StayStrategy st;
		stay.push_back(stepCost(st, n, executions).ns);
		auto r = makeRandomStrategy(1);
		StepCost c = stepCost(*r, n, executions);
		rnd.push_back(c.ns);
		rndShare.push_back(c.switchShare);
		auto r1 = makeRandomStrategy(1);
		c = stepCost(*r1, longN, 1);
		lng.push_back(c.ns);
		lngShare.push_back(c.switchShare);
	}
	double bare = median(sw), step = median(alt);
	std::printf("== scheduling cost (median of 15)\n");
	std::printf("bare boost::context switch (one way)        %6.1f ns\n", bare);
	std::printf("scheduling step, tasks alternate            %6.1f ns = %.1f bare switches\n"
		    "  (point + strategy pick + choice log + afterStep + 1 switch)\n", step,
		    step / bare);
	std::printf("scheduling step, same task goes on          %6.1f ns = %.1f bare switches\n"
		    "  (no switch)\n", median(stay), median(stay) / bare);
	std::printf("scheduling step, random picks               %6.1f ns = %.1f bare switches\n"
		    "  (%.0f%% of the steps switch)\n", median(rnd), median(rnd) / bare,
		    100 * median(rndShare));
	std::string label = "  same, one execution of " + std::to_string(2 * longN) + " steps";
	std::printf("%-44s%6.1f ns (choice log growth included)\n", label.c_str(), median(lng));
	std::printf("(2 tasks, executions of %ld steps but the last line)\n", 2 * n);

	if (schedulingOnly)
		return 0;
	std::printf("\n== library scenarios, one worker (each strategy bounded to %s)\n",
		    quick ? "2 s" : "20 s");
	std::printf("%-32s %-9s %10s %10s %10s %12s %8s %s\n", "scenario", "strategy", "executions",
		    "pruned", "steps", "steps/s", "exec/s", "verdict");
	std::vector<fs::path> files;
	for (const auto &e : fs::directory_iterator(root / "scenarios" / "library"))
		if (e.path().extension() == ".json")
			files.push_back(e.path());
	std::sort(files.begin(), files.end());
	for (const auto &file : files) {
		auto loaded = scenarios::loadScenarioFile(file.string());
		if (!std::holds_alternative<scenarios::Scenario>(loaded))
			continue;
		const auto &sc = std::get<scenarios::Scenario>(loaded);
		for (const char *strategy : {"dpor", "optimal", "sleepset", "dfs"}) {
			cli::RunOptions o;
			o.strategy = strategy;
			o.jobs = 1;
			o.timeBudgetSeconds = quick ? 2 : 20;
			auto r = cli::runScenario(sc, o);
			const auto &s = r.result.stats;
			std::string verdict = r.result.harmful ? "harmful " + r.result.harmful->finding.invariant
							       : "no harmful";
			if (!s.exhausted)
				verdict += " (" + s.stoppedBy + ")";
			std::printf("%-32s %-9s %10llu %10llu %10llu %12.0f %8.0f %s\n", sc.name.c_str(),
				    strategy, static_cast<unsigned long long>(s.executions),
				    static_cast<unsigned long long>(s.pruned),
				    static_cast<unsigned long long>(s.steps),
				    s.seconds > 0 ? static_cast<double>(s.steps) / s.seconds : 0.0,
				    s.seconds > 0 ? static_cast<double>(s.executions) / s.seconds : 0.0,
				    verdict.c_str());
		}
	}

	std::printf("\n== steps that switch fibers (the rest go on on the running task), "
		    "first 10000 executions\n");
	for (const char *name : {"seed-e-mainline", "seed-e-two-folios"}) {
		auto loaded = scenarios::loadScenarioFile(
			(root / "scenarios/library" / (std::string(name) + ".json")).string());
		if (!std::holds_alternative<scenarios::Scenario>(loaded))
			continue;
		const auto &sc = std::get<scenarios::Scenario>(loaded);
		std::printf("%-32s", name);
		for (auto make : {makeDfsStrategy, makeSleepSetStrategy, makeDporStrategy}) {
			auto s = make({});
			std::printf(" %s %4.1f%%", s->name().c_str(), 100 * switchShare(sc, *s, 10000));
		}
		std::printf("\n");
	}

	/* Classic DPOR benchmarks: DFS (bounded) against sleep sets and DPOR. */
	std::printf("\n== classic benchmarks: executions (complete/total), each bounded to %s\n",
		    quick ? "5 s" : "60 s");
	std::printf("%-16s %10s %24s %24s %24s %24s\n", "program", "traces", "dfs", "sleepset", "dpor",
		    "optimal");
	struct Case {
		const char *name;
		std::function<std::unique_ptr<programs::ClassicProgram>()> make;
	};
	std::vector<Case> cases;
	for (int n : {1, 2, 3, 4, 5, 6, 8})
		cases.push_back({"lastzero", [n] { return programs::makeLastZero(n); }});
	for (int n : {2, 4, 8, 10})
		cases.push_back({"readers", [n] { return programs::makeReaders(n); }});
	for (int n : {12, 15})
		cases.push_back({"indexer", [n] { return programs::makeIndexer(n); }});
	for (int n : {14, 16})
		cases.push_back({"filesystem", [n] { return programs::makeFilesystem(n); }});
	for (int n : {1, 2, 3})
		cases.push_back({"opt_lock", [n] { return programs::makeOptLock(n); }});
	for (const Case &c : cases) {
		std::string cells[4];
		std::string label;
		std::uint64_t known = 0;
		int i = 0;
		for (auto make : {makeDfsStrategy, makeSleepSetStrategy, makeDporStrategy,
				  makeOptimalDporStrategy}) {
			auto p = c.make();
			label = p->name();
			known = p->knownTraces().value_or(0);
			auto s = make({});
			ExploreOptions o;
			o.timeBudgetSeconds = quick ? 5 : 60;
			auto r = explore(*p, *s, o);
			cells[i++] = std::to_string(r.stats.complete) + "/" + std::to_string(r.stats.executions) +
				     (r.stats.exhausted ? "" : "+") +
				     (r.stats.seconds >= 0.01 ? " " + std::to_string(static_cast<int>(r.stats.seconds * 1000)) + "ms" : "");
		}
		std::printf("%-16s %10llu %24s %24s %24s %24s\n", label.c_str(),
			    static_cast<unsigned long long>(known), cells[0].c_str(), cells[1].c_str(),
			    cells[2].c_str(), cells[3].c_str());
	}
	std::printf("(\"+\": stopped by the time bound)\n");

	/* The largest exhaustive run in the library, on 1 and 2 workers. */
	std::printf("\n== parallel exploration: seed-e-two-folios, dpor (median of 3)\n");
	auto loaded = scenarios::loadScenarioFile((root / "scenarios/library/seed-e-two-folios.json").string());
	if (std::holds_alternative<scenarios::Scenario>(loaded)) {
		const auto &sc = std::get<scenarios::Scenario>(loaded);
		double wall[3] = {0, 0, 0};
		for (unsigned jobs : {1u, 2u}) {
			std::vector<double> t;
			std::uint64_t executions = 0;
			for (int i = 0; i < 3; ++i) {
				cli::RunOptions o;
				o.jobs = jobs;
				auto t0 = Clock::now();
				auto r = cli::runScenario(sc, o);
				t.push_back(seconds(t0, Clock::now()));
				executions = r.result.stats.executions;
			}
			std::sort(t.begin(), t.end());
			wall[jobs] = t[1];
			std::printf("--jobs %u  %8.3f s  %llu executions\n", jobs, t[1],
				    static_cast<unsigned long long>(executions));
		}
		std::printf("speedup   %8.2f x\n", wall[1] / wall[2]);
	}
	return 0;
}
