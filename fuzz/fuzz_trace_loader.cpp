/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer harness: traceFromJson() on arbitrary bytes, and for every trace
 * it accepts, what `mmrace show` does with it (the race diagram and the
 * violation report) and a round trip: the trace written back out loads
 * again and writes out the same text.
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "traces/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	using namespace mmrace::traces;
	std::string text(reinterpret_cast<const char *>(data), size);
	auto loaded = traceFromJson(text, "fuzz.trace.json");
	if (auto *err = std::get_if<std::string>(&loaded)) {
		if (err->empty())
			std::abort();
		return 0;
	}
	const Trace &trace = std::get<Trace>(loaded);
	(void)renderRaceDiagram(trace);
	(void)renderViolation(trace.violation);
	std::string out = traceToJson(trace);
	auto again = traceFromJson(out, "fuzz-roundtrip.trace.json");
	if (!std::holds_alternative<Trace>(again))
		std::abort(); /* we wrote a trace we cannot read */
	if (traceToJson(std::get<Trace>(again)) != out)
		std::abort(); /* the round trip lost or changed something */
	return 0;
}
