/* SPDX-License-Identifier: GPL-2.0 */
#pragma once

/*
 * Race analysis over one executed sequence E, shared by the DPOR strategies
 * (Abdulla, Aronis, Jonsson, Sagonas, "Source sets", JACM 2017), with locks
 * handled as Nidhugg does: the races to reverse are found with a relaxed
 * relation, everything else uses the happens-before of the traces.
 *
 * Happens-before (happensBefore()) is the Mazurkiewicz order of E: program
 * order and access.hpp's dependent(), transitively. It decides notdep(e, E),
 * the events after e that can be moved before it, and the initials of a
 * reversing sequence, so that E' = pre(E, e) followed by notdep(e, E) is
 * always a feasible execution equivalent to a reordering of E.
 *
 * Races use raceDependent(): a release never races with a blocking
 * acquisition of its lock (the acquisition waited for it and cannot move
 * before it), and the relaxed order built from raceDependent() alone is the
 * one in which a race must be immediate (no event in between). So two
 * acquisitions of a lock race although the first holder's release comes
 * between them: reversing them is how DPOR explores acquisition orders.
 *
 * Such a race e < e' is only reversed if it is reversible: e' can run right
 * after E'.notdep(e, E). Two things can prevent it, and reversible() checks
 * both: an earlier step of e''s own task happens after e (the task cannot
 * reach e' without it), or e' is a blocking acquisition and some critical
 * section that excludes it is still open after E'.notdep(e, E) because its
 * release happens after e while its acquisition does not (for instance the
 * holder that made a trylock e fail). Reversing a race that is not
 * reversible is not needed: the order it asks for is reached by reversing
 * the race that keeps the lock held. Feeding such a sequence to a wakeup tree
 * is harmful (it cannot be followed, and a replacement would hide the
 * sequences inserted after it), and to source-DPOR useless.
 *
 * A blocked task's pending step is analysed too when an execution is cut
 * short (sleep-set blocked): a task that never got the lock in E has no
 * event in it, yet its acquisition races with the event that took the lock
 * (TraceEvent::holders says who held it at the end).
 */

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "../access.hpp"
#include "../execution.hpp"
#include "../path.hpp"

namespace mmrace
{

struct TraceEvent {
	TaskId task;
	Access access;
	std::size_t branch; /* the path branch that chose it */
	/*
	 * Set only for a blocked task's pending step appended at the end of a
	 * cut-short execution: the tasks holding the lock it waits for.
	 */
	TaskMask holders = 0;
};

constexpr bool isBlockingAcquire(AccessKind k)
{
	return k == AccessKind::Acquire || k == AccessKind::AcquireShared || k == AccessKind::Wait;
}

constexpr bool isReleaseOp(AccessKind k)
{
	return k == AccessKind::Release || k == AccessKind::ReleaseShared;
}

/*
 * The race relation: dependent(), except that a release never races with a
 * blocking acquisition (the acquisition can only ever come after it) nor
 * with another release (two releases of one lock by different tasks always
 * have an acquisition between them).
 */
constexpr bool raceDependent(const Access &a, const Access &b)
{
	if (!dependent(a, b))
		return false;
	if ((isReleaseOp(a.kind) && isBlockingAcquire(b.kind)) ||
	    (isReleaseOp(b.kind) && isBlockingAcquire(a.kind)))
		return false;
	return !(isReleaseOp(a.kind) && isReleaseOp(b.kind));
}

/* The pending steps of the tasks that are blocked (neither finished nor enabled). */
inline std::vector<TraceEvent> blockedSteps(const SchedulingView &view, TaskMask enabled)
{
	std::vector<TraceEvent> out;
	const Execution &exec = view.execution;
	for (TaskId t = 0; t < exec.taskCount(); ++t) {
		if (exec.finished(t) || (enabled & bit(t)))
			continue;
		TraceEvent e{t, exec.pending(t), 0, 0};
		if (e.access.sync)
			e.access.sync->holders(
			    [](void *arg, TaskId h) { *static_cast<TaskMask *>(arg) |= bit(h); },
			    &e.holders);
		out.push_back(e);
	}
	return out;
}

class HappensBefore
{
public:
	static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

	explicit HappensBefore(const std::vector<TraceEvent> &events) : events_(events)
	{
		const std::size_t n = events.size();
		for (const TraceEvent &e : events)
			tasks_ = std::max<std::size_t>(tasks_, e.task + 1);
		full_.assign(n * tasks_, 0);
		race_.assign(n * tasks_, 0);
		local_.resize(n);
		std::vector<std::size_t> lastOf(tasks_, n);
		for (std::size_t j = 0; j < n; ++j) {
			std::uint32_t *fj = &full_[j * tasks_];
			std::uint32_t *rj = &race_[j * tasks_];
			TaskId t = events[j].task;
			if (lastOf[t] != n) {
				std::copy_n(&full_[lastOf[t] * tasks_], tasks_, fj);
				std::copy_n(&race_[lastOf[t] * tasks_], tasks_, rj);
			}
			local_[j] = fj[t] + 1;
			fj[t] = rj[t] = local_[j];
			for (std::size_t i = 0; i < j; ++i) {
				if (events[i].task == t ||
				    !dependent(events[i].access, events[j].access))
					continue;
				join(fj, &full_[i * tasks_]);
				if (raceDependent(events[i].access, events[j].access))
					join(rj, &race_[i * tasks_]);
			}
			lastOf[t] = j;
		}
	}

	/* Event i happens before (or is) event j. */
	bool operator()(std::size_t i, std::size_t j) const
	{
		return full_[j * tasks_ + events_[i].task] >= local_[i];
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

	/*
	 * Calls onRace(i, j, v) for every reversible race e_i < e_j with
	 * j >= from, where v = notdep(e_i).e_j: with `wholeNotdep` the events
	 * of all of E after e_i that do not happen after it (optimal DPOR,
	 * which analyses complete executions), else only those before e_j
	 * (source-DPOR, which looks at e_j as it is about to run).
	 */
	template<typename F>
	void forEachRace(F onRace, std::size_t from = 1, bool wholeNotdep = false) const
	{
		const std::size_t n = events_.size();
		std::vector<std::size_t> v;
		for (std::size_t j = std::max<std::size_t>(from, 1); j < n; ++j) {
			for (std::size_t i = 0; i < j; ++i) {
				if (events_[i].task == events_[j].task ||
				    !raceDependent(events_[i].access, events_[j].access))
					continue;
				bool immediate = true;
				for (std::size_t k = i + 1; k < j && immediate; ++k)
					immediate = !(raceBefore(i, k) && raceBefore(k, j));
				if (!immediate || !reversible(i, j))
					continue;
				v.clear();
				for (std::size_t k = i + 1; k < (wholeNotdep ? n : j); ++k)
					if (k != j && !(*this)(i, k))
						v.push_back(k);
				v.push_back(j);
				onRace(i, j, v);
			}
		}
	}

private:
	static void join(std::uint32_t *to, const std::uint32_t *from, std::size_t n)
	{
		for (std::size_t u = 0; u < n; ++u)
			to[u] = std::max(to[u], from[u]);
	}
	void join(std::uint32_t *to, const std::uint32_t *from) const { join(to, from, tasks_); }

	/* i before j in the relaxed order of raceDependent(). */
	bool raceBefore(std::size_t i, std::size_t j) const
	{
		return race_[j * tasks_ + events_[i].task] >= local_[i];
	}

	/* After E' = pre(E, e_i): is event x in E' or in notdep(e_i)? */
	bool kept(std::size_t i, std::size_t x) const
	{
		return x == kNone || x < i || (x > i && !(*this)(i, x));
	}

	/* The acquisition that the release k ends: the task's last one before it. */
	std::size_t holdStart(std::size_t k) const
	{
		const TraceEvent &r = events_[k];
		bool shared = r.access.kind == AccessKind::ReleaseShared;
		for (std::size_t a = k; a-- > 0;) {
			const TraceEvent &e = events_[a];
			if (e.task != r.task || e.access.object != r.access.object)
				continue;
			if (shared ? e.access.kind == AccessKind::AcquireShared ||
					 e.access.kind == AccessKind::TryAcquireShared
				   : e.access.kind == AccessKind::Acquire ||
					 e.access.kind == AccessKind::TryAcquire)
				return a;
		}
		return kNone;
	}

	/* Task h's last acquisition of `lock` before j (kNone: none). */
	std::size_t lastAcquisition(TaskId h, ObjectId lock, std::size_t j) const
	{
		for (std::size_t a = j; a-- > 0;) {
			const TraceEvent &e = events_[a];
			if (e.task == h && e.access.object == lock &&
			    (e.access.kind == AccessKind::Acquire ||
			     e.access.kind == AccessKind::AcquireShared ||
			     e.access.kind == AccessKind::TryAcquire ||
			     e.access.kind == AccessKind::TryAcquireShared))
				return a;
		}
		return kNone;
	}

	/* Can e_j run right after E'.notdep(e_i)? See the top of the file. */
	bool reversible(std::size_t i, std::size_t j) const
	{
		const TraceEvent &ej = events_[j];
		for (std::size_t k = j; k-- > i + 1;) {
			if (events_[k].task == ej.task) {
				if ((*this)(i, k))
					return false;
				break;
			}
		}
		const AccessKind kind = ej.access.kind;
		if (kind != AccessKind::Acquire && kind != AccessKind::AcquireShared)
			return true;
		const bool exclusive = kind == AccessKind::Acquire;
		const ObjectId lock = ej.access.object;
		/* Critical sections closed in E before e_j but not after E'.notdep. */
		for (std::size_t k = i + 1; k < j; ++k) {
			const TraceEvent &r = events_[k];
			if (r.task == ej.task || r.access.object != lock)
				continue;
			bool excludes = r.access.kind == AccessKind::Release ||
					(exclusive && r.access.kind == AccessKind::ReleaseShared);
			if (excludes && !kept(i, k) && kept(i, holdStart(k)))
				return false;
		}
		/* Those still open at the end of a cut-short execution. */
		for (TaskMask m = ej.holders; m; m &= m - 1) {
			auto h = static_cast<TaskId>(std::countr_zero(m));
			std::size_t a = lastAcquisition(h, lock, j);
			bool sharedHold =
			    a != kNone && (events_[a].access.kind == AccessKind::AcquireShared ||
					   events_[a].access.kind == AccessKind::TryAcquireShared);
			if (h != ej.task && (exclusive || !sharedHold) && kept(i, a))
				return false;
		}
		return true;
	}

	const std::vector<TraceEvent> &events_;
	std::size_t tasks_ = 0;
	std::vector<std::uint32_t> full_; /* happens-before clocks */
	std::vector<std::uint32_t> race_; /* clocks of the relaxed race order */
	std::vector<std::uint32_t> local_;
};

} // namespace mmrace
