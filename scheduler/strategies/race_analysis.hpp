/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Race analysis over one executed sequence, shared by the DPOR strategies:
 * happens-before as vector clocks over raceDependent(), the races e < e'
 * (dependent, different tasks, nothing happening in between) and, for each,
 * v = notdep(e, E).e' with its initials.
 */

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../access.hpp"
#include "../path.hpp"
#include "strategies.hpp"

namespace mmrace {

struct TraceEvent {
	TaskId task;
	Access access;
	std::size_t branch;	/* the path branch that chose it */
};

class HappensBefore {
public:
	explicit HappensBefore(const std::vector<TraceEvent> &events) : events_(events)
	{
		const std::size_t n = events.size();
		for (const TraceEvent &e : events)
			tasks_ = std::max<std::size_t>(tasks_, e.task + 1);
		clock_.assign(n * tasks_, 0);
		local_.resize(n);
		std::vector<std::size_t> lastOf(tasks_, n);
		for (std::size_t j = 0; j < n; ++j) {
			std::uint32_t *cj = &clock_[j * tasks_];
			TaskId t = events[j].task;
			if (lastOf[t] != n) {
				const std::uint32_t *cp = &clock_[lastOf[t] * tasks_];
				std::copy(cp, cp + tasks_, cj);
			}
			local_[j] = cj[t] + 1;
			cj[t] = local_[j];
			for (std::size_t i = 0; i < j; ++i) {
				if (events[i].task == t || !raceDependent(events[i].access, events[j].access))
					continue;
				const std::uint32_t *ci = &clock_[i * tasks_];
				for (std::size_t u = 0; u < tasks_; ++u)
					cj[u] = std::max(cj[u], ci[u]);
			}
			lastOf[t] = j;
		}
	}

	/* Event i happens before (or is) event j. */
	bool operator()(std::size_t i, std::size_t j) const
	{
		return clock_[j * tasks_ + events_[i].task] >= local_[i];
	}

	/* Tasks whose first event in v has no predecessor in v. */
	TaskMask initials(const std::vector<std::size_t> &v) const
	{
		TaskMask initials = 0, seen = 0;
		for (std::size_t a = 0; a < v.size(); ++a) {
			TaskId t = events_[v[a]].task;
			if (seen & bit(t))
				continue;
			seen |= bit(t);
			bool initial = true;
			for (std::size_t b = 0; b < a && initial; ++b)
				initial = !(*this)(v[b], v[a]);
			if (initial)
				initials |= bit(t);
		}
		return initials;
	}

	/* Calls onRace(i, j, v) for every race e_i < e_j, v = notdep(e_i).e_j. */
	template<typename F>
	void forEachRace(F onRace) const
	{
		const std::size_t n = events_.size();
		std::vector<std::size_t> v;
		for (std::size_t j = 1; j < n; ++j) {
			for (std::size_t i = 0; i < j; ++i) {
				if (events_[i].task == events_[j].task ||
				    !raceDependent(events_[i].access, events_[j].access))
					continue;
				bool immediate = true;
				for (std::size_t k = i + 1; k < j && immediate; ++k)
					immediate = !((*this)(i, k) && (*this)(k, j));
				if (!immediate)
					continue;
				v.clear();
				for (std::size_t k = i + 1; k < j; ++k)
					if (!(*this)(i, k))
						v.push_back(k);
				v.push_back(j);
				onRace(i, j, v);
			}
		}
	}

private:
	const std::vector<TraceEvent> &events_;
	std::size_t tasks_ = 0;
	std::vector<std::uint32_t> clock_;
	std::vector<std::uint32_t> local_;
};

} // namespace mmrace
