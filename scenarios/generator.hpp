/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Random valid scenarios for `mmrace sweep` (docs/sweep.md): an initial mm
 * (anon and file VMAs, uffd registrations, pages present, in the swap
 * cache, under writeback, swapped out, pinned, cached in TLBs) and 1-4
 * threads running ops of the catalogue (`mmrace list ops`) with valid
 * parameters. Scenario i of seed S depends on (S, i) only, so a finding is
 * reproducible on its own. The result is a scenario JSON document: it goes
 * through the normal loader, whose errors are therefore bugs of the
 * generator.
 */

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mmrace::scenarios
{

struct GeneratorOptions {
	unsigned minThreads = 1, maxThreads = 4;
	unsigned minPages = 1, maxPages = 4; /* pages placed in state.pages */
	unsigned maxOpsPerThread = 3;
	std::uint64_t maxExecutions = 2000; /* the scenario's explore.max_executions */
};

/* Scenario `index` of `seed`: a document the loader accepts. */
nlohmann::ordered_json generateScenario(std::uint64_t seed, std::uint64_t index,
					const GeneratorOptions &options);

/* The ops the generator draws from (every op of the catalogue). */
const std::vector<std::string> &generatedOps();

} // namespace mmrace::scenarios
