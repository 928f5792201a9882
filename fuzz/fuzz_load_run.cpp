/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer harness: load a scenario and, when it loads, explore it the way
 * `mmrace run` does, bounded so each input stays fast: random strategy, a
 * few executions, a small step budget, one worker. What the model may not
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	auto loaded = mmrace::scenarios::loadScenarioText(text, "fuzz.json");
	auto *sc = std::get_if<mmrace::scenarios::Scenario>(&loaded);
	if (!sc)
		return 0;
	mmrace::cli::RunOptions opt;
	opt.strategy = "random";
	opt.seed = 1;
	opt.maxExecutions = 4;
	opt.maxSteps = 400;
	opt.jobs = 1;
	try {
		(void)mmrace::cli::runScenario(*sc, opt);
	} catch (const std::invalid_argument &) {
		/* an option the scenario's settings reject: exit 2 in the CLI */
	}
	return 0;
}
