/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cross-checks the exhaustive strategies on random programs (not a test):
 * for each seed, the traces that dpor and optimal reach against those of
 * sleep sets (and, with --dfs, sleep sets against plain DFS; with --split,
 * dpor and optimal also through the parallel split of the CLI; with
 * --bounded B, bounded POR against iterative bounding at every bound 0..B).
 * Usage: mmrace-random-probe FIRST LAST [threads T] [mutexes M] [rwsems R]
 *        [ops N] [interleavings I] [--dfs] [--split] [--bounded B]
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "probe_util.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/parallel.hpp"
#include "scheduler/programs/random_program.hpp"
#include "scheduler/programs/trace_classes.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
using namespace mmrace::programs;

namespace
{

struct Run {
	ExploreStats stats;
	std::set<std::string> traces, finals;
	std::map<std::string, std::string> schedules;
};

Run runWith(RandomProgram &p, std::unique_ptr<Strategy> s)
{
	p.clearFinalStates();
	TraceClasses classes(p);
	Probe probe(classes);
	ExploreResult r = explore(probe, *s, {});
	return {r.stats, classes.traces(), p.finalStates(), probe.traces};
}

/* The same, through the parallel split (one worker) as the CLI runs it. */
Run runSplit(RandomProgram &p, SubtreeStrategyFactory make)
{
	p.clearFinalStates();
	TraceClasses classes(p);
	Probe probe(classes);
	ExploreResult r = exploreExhaustiveParallel(
	    [&] { return std::make_unique<Forward>(probe); }, make, false, {}, 1);
	return {r.stats, classes.traces(), p.finalStates(), probe.traces};
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	std::uint64_t first = std::strtoull(argv[1], nullptr, 10);
	std::uint64_t last = std::strtoull(argv[2], nullptr, 10);
	RandomProgramOptions o;
	o.maxInterleavings = 20000;
	bool withDfs = false, withSplit = false;
	int bounded = -1;
	for (int i = 3; i < argc; ++i) {
		std::string a = argv[i];
		auto next = [&] { return std::atoi(argv[++i]); };
		if (a == "threads")
			o.minThreads = o.maxThreads = next();
		else if (a == "mutexes")
			o.minMutexes = o.maxMutexes = next();
		else if (a == "rwsems")
			o.minRwsems = o.maxRwsems = next();
		else if (a == "ops")
			o.maxOps = next();
		else if (a == "interleavings")
			o.maxInterleavings = static_cast<std::uint64_t>(next());
		else if (a == "--dfs")
			withDfs = true;
		else if (a == "--split")
			withSplit = true;
		else if (a == "--bounded")
			bounded = next();
	}
	int bad = 0;
	std::uint64_t optimalPruned = 0, dporPruned = 0, sleepPruned = 0;
	std::uint64_t dfsExecutions = 0, porExecutions = 0;
	for (std::uint64_t seed = first; seed <= last && bounded >= 0; ++seed) {
		auto p = makeRandomProgram(seed, o);
		for (int b = 0; b <= bounded; ++b) {
			Run ref = runWith(*p, makeIterativeBoundingStrategy(static_cast<unsigned>(b)));
			Run por = runWith(*p, makeBoundedPorStrategy(static_cast<unsigned>(b)));
			dfsExecutions += ref.stats.executions;
			porExecutions += por.stats.executions;
			if (por.traces == ref.traces && por.finals == ref.finals &&
			    por.stats.executions <= ref.stats.executions)
				continue;
			++bad;
			std::printf("seed %llu bound %d: bounded dfs %llu executions, %zu traces; "
				    "bounded por %llu executions, %zu traces, finals %s\n%s\n",
				    static_cast<unsigned long long>(seed), b,
				    static_cast<unsigned long long>(ref.stats.executions),
				    ref.traces.size(),
				    static_cast<unsigned long long>(por.stats.executions),
				    por.traces.size(), por.finals == ref.finals ? "same" : "DIFFER",
				    describe(p->spec()).c_str());
		}
	}
	if (bounded >= 0) {
		std::printf("executions: bounded dfs %llu, bounded por %llu\n%d mismatches\n",
			    static_cast<unsigned long long>(dfsExecutions),
			    static_cast<unsigned long long>(porExecutions), bad);
		return bad != 0;
	}
	for (std::uint64_t seed = first; seed <= last; ++seed) {
		auto p = makeRandomProgram(seed, o);
		Run ref = runWith(*p, makeSleepSetStrategy());
		auto report = [&](const char *name, const Run &r) {
			if (r.traces == ref.traces && r.finals == ref.finals &&
			    (r.stats.complete == r.traces.size() || !std::strcmp(name, "dfs")))
				return;
			++bad;
			std::size_t missing = 0;
			for (const auto &t : ref.traces)
				missing += !r.traces.count(t);
			for (const auto &[form, schedule] : ref.schedules)
				if (!r.schedules.count(form))
					std::printf("  missing %s\n", schedule.c_str());
			std::printf(
			    "seed %llu: %s complete %llu traces %zu (sleepset %zu), missing %zu, "
			    "finals %s\n%s\n",
			    static_cast<unsigned long long>(seed), name,
			    static_cast<unsigned long long>(r.stats.complete), r.traces.size(),
			    ref.traces.size(), missing, r.finals == ref.finals ? "same" : "DIFFER",
			    describe(p->spec()).c_str());
		};
		if (withDfs)
			report("dfs", runWith(*p, makeDfsStrategy()));
		sleepPruned += ref.stats.pruned;
		Run dpor = runWith(*p, makeDporStrategy());
		dporPruned += dpor.stats.pruned;
		report("dpor", dpor);
		Run optimal = runWith(*p, makeOptimalDporStrategy());
		optimalPruned += optimal.stats.pruned;
		report("optimal", optimal);
		if (withSplit) {
			report("dpor/split", runSplit(*p, [](std::vector<Branch> b) {
				       return makeDporStrategy(std::move(b));
			       }));
			report("optimal/split", runSplit(*p, [](std::vector<Branch> b) {
				       return makeOptimalDporStrategy(std::move(b));
			       }));
		}
	}
	std::printf("pruned executions: sleepset %llu, dpor %llu, optimal %llu\n",
		    static_cast<unsigned long long>(sleepPruned),
		    static_cast<unsigned long long>(dporPruned),
		    static_cast<unsigned long long>(optimalPruned));
	std::printf("%d mismatches\n", bad);
	return bad != 0;
}
