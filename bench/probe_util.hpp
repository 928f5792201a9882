/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/* Trace canonical forms with a replayable schedule each, for the probes. */

#include <map>
#include <string>
#include <vector>

#include "scheduler/execution.hpp"

namespace mmrace
{

struct Event {
	TaskId task;
	Access access;
};

/*
 * The lexicographically least linearisation (by task id) of the partial
 * order that the dependency induces on the events: equal for exactly the
 * equivalent executions.
 */
inline std::string canonical(const std::vector<Event> &events)
{
	const std::size_t n = events.size();
	std::vector<std::vector<std::size_t>> preds(n);
	for (std::size_t j = 0; j < n; ++j)
		for (std::size_t i = 0; i < j; ++i)
			if (events[i].task == events[j].task ||
			    dependent(events[i].access, events[j].access))
				preds[j].push_back(i);
	std::vector<char> done(n, 0);
	std::string out;
	for (std::size_t k = 0; k < n; ++k) {
		std::size_t best = n;
		for (std::size_t j = 0; j < n; ++j) {
			if (done[j])
				continue;
			bool ready = true;
			for (std::size_t i : preds[j])
				ready = ready && done[i];
			if (ready && (best == n || events[j].task < events[best].task))
				best = j;
		}
		done[best] = 1;
		out += std::to_string(events[best].task) + ",";
	}
	return out;
}

class Probe : public Program
{
public:
	explicit Probe(Program &inner) : inner_(inner) {}
	void setUp(Execution &e) override
	{
		events_.clear();
		inner_.setUp(e);
	}
	void afterStep(Execution &e, const Step &s) override
	{
		events_.push_back({s.task, s.access});
		inner_.afterStep(e, s);
	}
	void atEnd(Execution &e) override
	{
		inner_.atEnd(e);
		traces.emplace(canonical(events_), encodeSchedule(e.choices()));
	}
	std::map<std::string, std::string> traces;

private:
	Program &inner_;
	std::vector<Event> events_;
};

/* Forwards to a program owned elsewhere (one worker: no concurrency). */
class Forward : public Program
{
public:
	explicit Forward(Program &inner) : inner_(inner) {}
	void setUp(Execution &e) override { inner_.setUp(e); }
	void afterStep(Execution &e, const Step &s) override { inner_.afterStep(e, s); }
	void atEnd(Execution &e) override { inner_.atEnd(e); }

private:
	Program &inner_;
};

} // namespace mmrace
