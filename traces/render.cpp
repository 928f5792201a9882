/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text renderings of a trace: the race diagram kernel developers draw in
 * patch review (one column per CPU/thread, time going down), with the steps
 * the violation names marked, and the violation report itself.
 */
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "trace.hpp"

namespace mmrace::traces {

namespace {

std::vector<std::string> wrap(const std::string &text, std::size_t width)
{
	std::vector<std::string> lines;
	std::string rest = text;
	while (rest.size() > width) {
		/* Break after a space, else after '(' or ',', else hard. */
		std::size_t cut = rest.rfind(' ', width);
		bool space = cut != std::string::npos && cut >= width / 2;
		if (!space) {
			cut = rest.find_last_of("(,", width - 1);
			cut = cut != std::string::npos && cut >= width / 2 ? cut + 1 : width;
		}
		lines.push_back(rest.substr(0, cut));
		rest = rest.substr(space ? cut + 1 : cut);
	}
	lines.push_back(rest);
	return lines;
}

} // namespace

std::string renderRaceDiagram(const Trace &t)
{
	const std::size_t n = std::max<std::size_t>(t.threads.size(), 1);
	const std::size_t width = n <= 2 ? 56 : n == 3 ? 40 : 30;
	std::set<std::uint64_t> marked;
	for (const TraceStepRef &r : t.violation.steps)
		marked.insert(r.step);

	std::string out;
	auto row = [&](const std::string &left, std::size_t col, const std::vector<std::string> &cells) {
		std::string line = left;
		for (std::size_t c = 0; c < n; ++c) {
			const std::string &cell = c == col ? cells.front() : std::string();
			line += fmt::format(" {:<{}} |", cell, width);
		}
		while (!line.empty() && (line.back() == ' ' || line.back() == '|'))
			line.pop_back();
		out += line + "\n";
	};
	std::string head = "   step |";
	std::string rule = "--------+";
	for (const std::string &name : t.threads) {
		head += fmt::format(" {:<{}} |", name, width);
		rule += std::string(width + 2, '-') + "+";
	}
	head.pop_back();
	while (head.back() == ' ')
		head.pop_back();
	rule.pop_back();
	out += head + "\n" + rule + "\n";
	for (const TraceStep &s : t.steps) {
		std::size_t col = std::find(t.threads.begin(), t.threads.end(), s.thread) - t.threads.begin();
		std::string text = s.what.empty() ? s.function : s.function + ": " + s.what;
		/* Lock operations name their lock instance: "spin_lock(ptl) [ptl(0x0)]". */
		for (const char *kind : {"acquire", "release", "trylock"}) {
			if (s.access.rfind(kind, 0) == 0) {
				auto space = s.access.find(' ');
				if (space != std::string::npos)
					text += " [" + s.access.substr(space + 1) + "]";
				break;
			}
		}
		auto lines = wrap(text, width);
		bool mark = marked.count(s.index) > 0;
		for (std::size_t i = 0; i < lines.size(); ++i) {
			std::string left = i == 0 ? fmt::format("{}{:>5} |", mark ? ">>" : "  ", s.index)
						  : std::string("        |");
			row(left, col, {lines[i]});
		}
	}
	out += rule + "\n";
	out += ">> marks the steps the violation names\n";
	return out;
}

std::string minimizedLine(const Trace &t)
{
	if (!t.minimized)
		return {};
	return fmt::format("minimised: {} -> {} steps, {} -> {} preemptions (the schedule exploration "
			   "found is kept in the trace as minimized.original_schedule)",
			   t.originalSteps, t.minimizedSteps, t.originalPreemptions, t.minimizedPreemptions);
}

std::string renderViolation(const TraceFinding &f)
{
	std::string out = fmt::format("{} violation [{}]: {}\n", f.severity, f.invariant, f.title);
	if (!f.message.empty())
		out += f.message;
	if (!out.empty() && out.back() != '\n')
		out += '\n';
	if (!f.steps.empty()) {
		out += "steps involved:\n";
		for (const TraceStepRef &r : f.steps)
			out += fmt::format("  step {:>4}  {:<10} {}\n", r.step, r.thread, r.what);
	}
	return out;
}

} // namespace mmrace::traces
