/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cross-checks the exhaustive strategies on one scenario (not a test): runs
 * each on one worker, groups its complete executions into Mazurkiewicz
 * traces of the declared accesses (access.hpp's dependent()) and prints, per
 * strategy, the counts and the traces that sleep sets reach and it misses.
 * Usage: mmrace-dpor-probe SCENARIO [PRESET] [strategy...]
 */
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "checker/mm_program.hpp"
#include "model/guards.hpp"
#include "probe_util.hpp"
#include "scenarios/scenario.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: %s SCENARIO [PRESET] [strategy...]\n", argv[0]);
		return 2;
	}
	auto loaded = scenarios::loadScenarioFile(argv[1]);
	if (auto *err = std::get_if<scenarios::LoadError>(&loaded)) {
		std::fprintf(stderr, "%s\n", err->format().c_str());
		return 2;
	}
	const auto &sc = std::get<scenarios::Scenario>(loaded);
	std::string preset = argc > 2 ? argv[2] : sc.preset;
	model::GuardSet guards;
	if (std::string err = model::GuardSet::build(
		preset, argc > 2 ? std::vector<std::string>{} : sc.guardsOff, guards);
	    !err.empty()) {
		std::fprintf(stderr, "%s\n", err.c_str());
		return 2;
	}
	std::vector<std::string> names;
	for (int i = 3; i < argc; ++i)
		names.push_back(argv[i]);
	if (names.empty())
		names = {"sleepset", "dpor", "optimal"};
	std::map<std::string, std::string> reference;
	for (const std::string &name : names) {
		checker::MmProgram mm(sc, guards);
		Probe probe(mm);
		auto s = name == "dfs"	      ? makeDfsStrategy()
			 : name == "sleepset" ? makeSleepSetStrategy()
			 : name == "dpor"     ? makeDporStrategy()
					      : makeOptimalDporStrategy();
		ExploreResult r = explore(probe, *s, {});
		std::printf("%-9s executions %llu complete %llu pruned %llu traces %zu%s\n",
			    name.c_str(), static_cast<unsigned long long>(r.stats.executions),
			    static_cast<unsigned long long>(r.stats.complete),
			    static_cast<unsigned long long>(r.stats.pruned), probe.traces.size(),
			    r.harmful ? " HARMFUL" : "");
		if (reference.empty()) {
			reference = probe.traces;
			continue;
		}
		int shown = 0;
		std::size_t missing = 0, extra = 0;
		for (const auto &[form, schedule] : reference)
			if (!probe.traces.count(form) && ++missing && shown++ < 5)
				std::printf("  missing %s\n", schedule.c_str());
		for (const auto &[form, schedule] : probe.traces)
			if (!reference.count(form) && ++extra && shown++ < 10)
				std::printf("  extra   %s\n", schedule.c_str());
		std::printf("  %zu missing, %zu extra\n", missing, extra);
	}
	return 0;
}
