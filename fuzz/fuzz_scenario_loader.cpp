/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer harness: the scenario loader on arbitrary bytes. Every input
 * must give a Scenario or a LoadError with a message; a crash, a sanitizer
 * report, an exception or a hang is a bug in scenarios/.
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scenarios/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	auto loaded = mmrace::scenarios::loadScenarioText(text, "fuzz.json");
	if (auto *err = std::get_if<mmrace::scenarios::LoadError>(&loaded)) {
		/* An error always says what is wrong. */
		if (err->format().empty() || err->message.empty())
			std::abort();
	}
	return 0;
}
