/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer harness: load a scenario and, when it loads, explore it the way
 * `mmrace run` does, bounded so each input stays fast: random strategy, two
 * executions of at most 300 steps, one worker, at most 2048 pages. What the model may not
 * do on any loadable scenario: crash, trip a sanitizer, throw anything but
 * std::invalid_argument (bad options, reported as exit 2), or turn
 * nondeterministic (runScenario throws std::logic_error when re-running a
 * counterexample does not reproduce it: that escapes and is reported).
 */
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cli/runner.hpp"
#include "scenarios/scenario.hpp"

namespace
{
constexpr std::uint64_t kMaxRunPages = 2048;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	auto loaded = mmrace::scenarios::loadScenarioText(text, "fuzz.json");
	auto *sc = std::get_if<mmrace::scenarios::Scenario>(&loaded);
	if (!sc)
		return 0;
	/* Page tables for the loader's largest mm (2 GiB) take a while to
	 * build under ASan; the scenario-loader harness covers large inputs,
	 * here they only slow the search down. */
	std::uint64_t pages = 0;
	for (const auto &v : sc->vmas)
		pages += v.pages;
	if (pages > kMaxRunPages)
		return 0;
	mmrace::cli::RunOptions opt;
	opt.strategy = "random";
	opt.seed = 1;
	opt.maxExecutions = 2;
	opt.maxSteps = 300;
	opt.jobs = 1;
	try {
		(void)mmrace::cli::runScenario(*sc, opt);
	} catch (const std::invalid_argument &) {
		/* an option the scenario's settings reject: exit 2 in the CLI */
	}
	return 0;
}
