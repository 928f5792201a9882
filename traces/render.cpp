/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text renderings of a trace: the violation report; the race told short (the
 * steps that matter as a CPU0/CPU1 table, lockdep's "Possible unsafe locking
 * scenario" style, with the rest folded); the initial state; the full race
 * diagram kernel developers draw in patch review (one column per
 * CPU/thread, time going down); and every step's locks. Everything fits
 * $COLUMNS (default 100) and wraps at spaces, never inside an identifier.
 */
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "trace.hpp"

namespace mmrace::traces
{

namespace
{

/*
 * Breaks `text` into lines of at most `width` columns at spaces; a word
 * longer than that is broken after a '(' or ',' if it has one early enough,
 * else it stays whole (and overflows): identifiers are never split.
 */
std::vector<std::string> wrap(const std::string &text, std::size_t width)
{
	std::vector<std::string> words;
	for (std::size_t i = 0; i < text.size();) {
		std::size_t j = text.find(' ', i);
		if (j == std::string::npos)
			j = text.size();
		if (j > i)
			words.push_back(text.substr(i, j - i));
		i = j + 1;
	}
	std::vector<std::string> pieces;
	for (std::string w : words) {
		while (w.size() > width) {
			std::size_t cut = w.find_last_of("(,", width - 1);
			if (cut == std::string::npos || cut == 0)
				break;
			pieces.push_back(w.substr(0, cut + 1));
			w = w.substr(cut + 1);
		}
		pieces.push_back(w);
	}
	std::vector<std::string> lines;
	std::string line;
	for (const std::string &p : pieces) {
		if (line.empty())
			line = p;
		else if (line.size() + 1 + p.size() <= width)
			line += " " + p;
		else {
			lines.push_back(line);
			line = p;
		}
	}
	lines.push_back(line);
	return lines;
}

std::string trimRight(std::string s)
{
	while (!s.empty() && s.back() == ' ')
		s.pop_back();
	return s;
}

std::string stepText(const TraceStep &s)
{
	std::string text = s.what.empty() ? s.function : s.function + ": " + s.what;
	/* Lock operations name their lock instance: "spin_lock(ptl) [ptl(...)]". */
	for (const char *kind : {"acquire", "release", "trylock", "wait"}) {
		if (s.access.rfind(kind, 0) == 0) {
			auto space = s.access.find(' ');
			if (space != std::string::npos)
				text += " [" + s.access.substr(space + 1) + "]";
			break;
		}
	}
	return text;
}

/* What a step touches, and whether it writes: from its access string. */
struct Touch {
	std::string kind;
	std::vector<std::string> objects;
	bool writes = false;
	bool shared = false;
};

Touch touchOf(const TraceStep &s)
{
	Touch t;
	auto space = s.access.find(' ');
	t.kind = s.access.substr(0, space);
	if (space != std::string::npos)
		t.objects.push_back(s.access.substr(space + 1));
	for (const std::string &o : s.touches)
		t.objects.push_back(o);
	t.writes = t.kind != "read" && t.kind != "local";
	t.shared = t.kind.find("shared") != std::string::npos;
	return t;
}

bool conflict(const Touch &a, const Touch &b)
{
	if (a.kind == "local" || b.kind == "local" || (a.shared && b.shared) ||
	    !(a.writes || b.writes))
		return false;
	for (const std::string &o : a.objects)
		if (std::find(b.objects.begin(), b.objects.end(), o) != b.objects.end())
			return true;
	return false;
}

std::size_t columnOf(const Trace &t, const std::string &thread)
{
	return static_cast<std::size_t>(std::find(t.threads.begin(), t.threads.end(), thread) -
					t.threads.begin());
}

} // namespace

std::size_t terminalColumns()
{
	if (const char *c = std::getenv("COLUMNS")) {
		char *end = nullptr;
		long n = std::strtol(c, &end, 10);
		if (end != c && *end == '\0' && n >= 40 && n <= 1000)
			return static_cast<std::size_t>(n);
	}
	return 100;
}

std::vector<std::uint64_t> raceSteps(const Trace &t)
{
	std::vector<Touch> touch;
	for (const TraceStep &s : t.steps)
		touch.push_back(touchOf(s));
	auto at = [&](std::uint64_t index) -> std::size_t {
		for (std::size_t i = 0; i < t.steps.size(); ++i)
			if (t.steps[i].index == index)
				return i;
		return t.steps.size();
	};
	std::set<std::size_t> core;
	for (const TraceStepRef &r : t.violation.steps)
		if (std::size_t i = at(r.step); i < t.steps.size())
			core.insert(i);
	if (core.empty()) {
		/* An end-of-execution finding names no step: the last two pairs
		 * of conflicting steps of different threads stand for the race. */
		int pairs = 0;
		for (std::size_t j = t.steps.size(); j-- > 0 && pairs < 2;) {
			for (std::size_t i = j; i-- > 0;) {
				if (t.steps[i].thread != t.steps[j].thread &&
				    conflict(touch[i], touch[j])) {
					core.insert(i);
					core.insert(j);
					++pairs;
					break;
				}
			}
		}
	}
	/*
	 * Happens-before over the trace (program order plus conflicting
	 * accesses): clock[k][c] is the last step of thread column c that
	 * happens before step k (-1: none). Per object the last writer and
	 * the readers since; shared lock operations count as reads.
	 */
	const std::size_t n = t.threads.size();
	std::vector<std::vector<long>> clock(t.steps.size(), std::vector<long>(n, -1));
	std::vector<long> last(n, -1);
	struct ObjState {
		long writer = -1;
		std::vector<long> readers;
	};
	std::map<std::string, ObjState> objs;
	for (std::size_t k = 0; k < t.steps.size(); ++k) {
		std::size_t me = columnOf(t, t.steps[k].thread);
		if (me >= n)
			continue;
		std::vector<long> &ck = clock[k];
		auto join = [&](long i) {
			if (i < 0)
				return;
			for (std::size_t c = 0; c < n; ++c)
				ck[c] = std::max(ck[c], clock[static_cast<std::size_t>(i)][c]);
		};
		join(last[me]);
		const Touch &tk = touch[k];
		bool writes = tk.writes && !tk.shared;
		if (tk.kind != "local") {
			for (const std::string &o : tk.objects) {
				ObjState &st = objs[o];
				join(st.writer);
				if (writes) {
					for (long r : st.readers)
						join(r);
					st.writer = static_cast<long>(k);
					st.readers.clear();
				} else {
					st.readers.push_back(static_cast<long>(k));
				}
			}
		}
		ck[me] = static_cast<long>(k);
		last[me] = static_cast<long>(k);
	}
	if (core.empty()) {
		/* Nothing conflicts across threads (one thread, or the threads
		 * meet only at the end): each thread's last step. */
		std::map<std::string, std::size_t> lastOf;
		for (std::size_t i = 0; i < t.steps.size(); ++i)
			lastOf[t.steps[i].thread] = i;
		for (const auto &[who, i] : lastOf)
			core.insert(i);
	}
	/* Each core step with, for every other thread, the last step of it
	 * that happens before the core step, and the first step of the core
	 * step's thread that it happens before (where the threads met). */
	std::set<std::size_t> shown = core;
	for (std::size_t j : core) {
		std::size_t me = columnOf(t, t.steps[j].thread);
		for (std::size_t c = 0; c < n; ++c) {
			long i = clock[j][c];
			if (c == me || i < 0)
				continue;
			shown.insert(static_cast<std::size_t>(i));
			for (std::size_t r = 0; r <= j; ++r) {
				if (columnOf(t, t.steps[r].thread) == me && clock[r][c] >= i) {
					shown.insert(r);
					break;
				}
			}
		}
	}
	std::vector<std::uint64_t> out;
	for (std::size_t i : shown)
		out.push_back(t.steps[i].index);
	return out;
}

std::string renderInitialState(const Trace &t)
{
	if (t.initialState.empty())
		return {};
	std::string out = "initial state:\n";
	const std::size_t width = terminalColumns() - 4;
	for (const std::string &line : t.initialState) {
		auto lines = wrap(line, width);
		for (std::size_t i = 0; i < lines.size(); ++i)
			out += (i ? "      " : "  ") + lines[i] + "\n";
	}
	return out;
}

std::string renderRaceSummary(const Trace &t)
{
	const std::size_t n = std::max<std::size_t>(t.threads.size(), 1);
	const std::size_t left = 8; /* ">> 1234 " */
	const std::size_t cols = terminalColumns();
	const std::size_t width = std::max<std::size_t>(16, (cols - left) / n - 2);
	const std::vector<std::uint64_t> race = raceSteps(t);
	std::set<std::uint64_t> marked;
	for (const TraceStepRef &r : t.violation.steps)
		marked.insert(r.step);

	std::string out = fmt::format("the race in {} of {} steps (>> the violation):\n\n",
				      race.size(), t.steps.size());
	auto line = [&](const std::string &lead, std::size_t col, const std::string &cell) {
		std::string l = lead;
		for (std::size_t c = 0; c < col; ++c)
			l += std::string(width + 2, ' ');
		l += cell;
		out += trimRight(l) + "\n";
	};
	{
		std::string head(left, ' '), rule(left, ' ');
		for (std::size_t c = 0; c < t.threads.size(); ++c) {
			std::string name = fmt::format("CPU{} ({})", c, t.threads[c]);
			head += fmt::format("{:<{}}", name, width + 2);
			rule += fmt::format(
			    "{:<{}}", std::string(std::min(name.size(), width), '-'), width + 2);
		}
		out += trimRight(head) + "\n" + trimRight(rule) + "\n";
	}
	/* Folded steps between two shown ones, per thread. */
	std::map<std::string, std::uint64_t> skipped;
	auto flush = [&] {
		for (const std::string &who : t.threads) {
			auto it = skipped.find(who);
			if (it == skipped.end() || it->second == 0)
				continue;
			line(std::string(left, ' '), columnOf(t, who),
			     fmt::format("... {} step{} of {} ...", it->second,
					 it->second == 1 ? "" : "s", who));
		}
		skipped.clear();
	};
	for (const TraceStep &s : t.steps) {
		if (!std::binary_search(race.begin(), race.end(), s.index)) {
			++skipped[s.thread];
			continue;
		}
		flush();
		std::string text = stepText(s);
		if (s.access.rfind("read ", 0) == 0 || s.access.rfind("write ", 0) == 0 ||
		    s.access.rfind("rmw ", 0) == 0)
			text += " [" + s.access + "]";
		auto lines = wrap(text, width);
		for (std::size_t i = 0; i < lines.size(); ++i)
			line(i ? std::string(left, ' ')
			       : fmt::format("{}{:>5} ", marked.count(s.index) ? ">>" : "  ",
					     s.index),
			     columnOf(t, s.thread), lines[i]);
	}
	flush();
	return out;
}

std::string renderRaceDiagram(const Trace &t)
{
	const std::size_t n = std::max<std::size_t>(t.threads.size(), 1);
	/* "   step |" then " cell |" per thread. */
	const std::size_t width = std::max<std::size_t>(16, (terminalColumns() - 9) / n - 3);
	std::set<std::uint64_t> marked;
	for (const TraceStepRef &r : t.violation.steps)
		marked.insert(r.step);

	std::string out;
	auto row = [&](const std::string &left, std::size_t col, const std::string &cell) {
		std::string line = left;
		for (std::size_t c = 0; c < n; ++c) {
			const std::string &text = c == col ? cell : std::string();
			line += fmt::format(" {:<{}} |", text, width);
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
	out += trimRight(head) + "\n";
	rule.pop_back();
	out += rule + "\n";
	for (const TraceStep &s : t.steps) {
		auto lines = wrap(stepText(s), width);
		bool mark = marked.count(s.index) > 0;
		for (std::size_t i = 0; i < lines.size(); ++i) {
			std::string left =
			    i == 0 ? fmt::format("{}{:>5} |", mark ? ">>" : "  ", s.index)
				   : std::string("        |");
			row(left, columnOf(t, s.thread), lines[i]);
		}
	}
	out += rule + "\n";
	out += marked.empty()
		   ? "the violation was found at the end of the execution: it names no step\n"
		   : ">> marks the steps the violation names\n";
	return out;
}

std::string renderLocks(const Trace &t)
{
	std::string out = "steps with locks held after each:\n";
	const std::size_t cols = terminalColumns();
	for (const auto &s : t.steps) {
		std::string head =
		    fmt::format("  {:>4} {:<10} {:<40} ", s.index, s.thread, s.access);
		std::string locks =
		    s.locks.empty() ? "-" : fmt::format("{}", fmt::join(s.locks, ", "));
		std::size_t width = cols > head.size() + 20 ? cols - head.size() : 20;
		auto lines = wrap(locks, width);
		for (std::size_t i = 0; i < lines.size(); ++i)
			out += (i ? std::string(head.size(), ' ') : head) + lines[i] + "\n";
	}
	return out;
}

std::string minimizedLine(const Trace &t)
{
	if (!t.minimized)
		return {};
	return fmt::format(
	    "minimised: {} -> {} steps, {} -> {} preemptions (original kept in trace)",
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

std::string renderReport(const Trace &t)
{
	std::string out = renderViolation(t.violation);
	out += "\n" + renderRaceSummary(t);
	if (!t.initialState.empty())
		out += "\n" + renderInitialState(t);
	return out;
}

} // namespace mmrace::traces
