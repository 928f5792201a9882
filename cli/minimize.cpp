/* SPDX-License-Identifier: GPL-2.0 */
#include "minimize.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "checker/mm_program.hpp"
#include "scheduler/strategies/replay.hpp"
#include "scheduler/strategies/strategies.hpp"

namespace mmrace::cli
{

namespace
{

bool isEnabled(const SchedulingView &view, TaskId t)
{
	return std::find(view.enabled.begin(), view.enabled.end(), t) != view.enabled.end();
}

bool isPreemption(const SchedulingView &view, TaskId pick)
{
	return pick != kNoTask && view.current != kNoTask && pick != view.current &&
	       isEnabled(view, view.current);
}

/* Replays a log exactly and counts its preemptions. */
class CountingReplay : public Strategy
{
public:
	explicit CountingReplay(ChoiceLog log) : inner_(std::move(log)) {}
	bool beginExecution() override { return inner_.beginExecution(); }
	TaskId pickTask(const SchedulingView &view) override
	{
		TaskId t = inner_.pickTask(view);
		preemptions_ += isPreemption(view, t);
		return t;
	}
	std::uint32_t pickValue(std::uint32_t n) override { return inner_.pickValue(n); }
	std::string stopReason() const override { return inner_.stopReason(); }
	std::string name() const override { return "replay"; }
	std::uint64_t preemptions() const { return preemptions_; }

private:
	ReplayStrategy inner_;
	std::uint64_t preemptions_ = 0;
};

/* A schedule as runs of one task, and each task's data choices in order. */
struct Segment {
	TaskId task;
	std::uint64_t count;
};
struct Guide {
	std::vector<Segment> segments;
	std::map<TaskId, std::vector<std::uint32_t>> values;
};

Guide guideOf(const ChoiceLog &log)
{
	Guide g;
	TaskId cur = kNoTask;
	for (const Choice &c : log) {
		if (c.kind == Choice::Kind::Value) {
			g.values[cur].push_back(c.value);
			continue;
		}
		cur = c.value;
		if (!g.segments.empty() && g.segments.back().task == cur)
			++g.segments.back().count;
		else
			g.segments.push_back({cur, 1});
	}
	return g;
}

/*
 * Follows a guide as far as the execution lets it: a run whose task has
 * finished is dropped; while its task is blocked a later run's task goes
 * first (without using up its own run). Past the guide's end the running
 * task goes on, else the lowest enabled one: no preemption. Data choices
 * are taken from the choosing task's own list; a value out of range, or
 * past the list's end, is 0.
 */
class GuidedStrategy : public Strategy
{
public:
	explicit GuidedStrategy(Guide guide) : g_(std::move(guide)) {}
	bool beginExecution() override
	{
		if (started_)
			return false;
		started_ = true;
		return true;
	}
	TaskId pickTask(const SchedulingView &view) override
	{
		TaskId pick = kNoTask;
		while (seg_ < g_.segments.size()) {
			const Segment &s = g_.segments[seg_];
			if (used_ >= s.count || view.execution.finished(s.task)) {
				++seg_;
				used_ = 0;
				continue;
			}
			if (isEnabled(view, s.task)) {
				pick = s.task;
				++used_;
				break;
			}
			for (std::size_t k = seg_ + 1; k < g_.segments.size() && pick == kNoTask;
			     ++k)
				if (isEnabled(view, g_.segments[k].task))
					pick = g_.segments[k].task;
			break;
		}
		if (pick == kNoTask)
			pick = view.current != kNoTask && isEnabled(view, view.current)
				   ? view.current
				   : view.enabled.front();
		last_ = pick;
		return pick;
	}
	std::uint32_t pickValue(std::uint32_t n) override
	{
		auto &list = g_.values[last_];
		std::size_t &pos = valuePos_[last_];
		std::uint32_t v = pos < list.size() ? list[pos] : 0;
		++pos;
		return v < n ? v : 0;
	}
	std::string name() const override { return "guided"; }

private:
	Guide g_;
	std::size_t seg_ = 0;
	std::uint64_t used_ = 0;
	TaskId last_ = kNoTask;
	std::map<TaskId, std::size_t> valuePos_;
	bool started_ = false;
};

/* Forwards to the checker and notes when the wanted finding appears. */
class HitProgram : public Program
{
public:
	HitProgram(Program &inner, const Finding &want, bool sameSteps)
	    : inner_(inner), want_(want), sameSteps_(sameSteps)
	{
	}
	void setUp(Execution &exec) override { inner_.setUp(exec); }
	void afterStep(Execution &exec, const Step &step) override
	{
		inner_.afterStep(exec, step);
		look(exec);
	}
	void atEnd(Execution &exec) override
	{
		inner_.atEnd(exec);
		look(exec);
	}
	bool hit = false;

private:
	void look(const Execution &exec)
	{
		for (const Finding &f : exec.findings())
			hit |= f.invariant == want_.invariant && f.severity == want_.severity &&
			       (!sameSteps_ || sameRace(f, want_));
	}
	Program &inner_;
	const Finding &want_;
	bool sameSteps_;
};

bool isLockdepInvariant(const std::string &inv)
{
	return inv == "lock-order" || inv == "lock-recursion";
}

} // namespace

MinimizeResult minimizeCounterexample(const scenarios::Scenario &sc, const model::GuardSet &guards,
				      const Counterexample &cx,
				      const std::vector<checker::LockDepEdge> &lockdepBefore,
				      std::uint64_t maxSteps, double seconds, bool sameSteps)
{
	using Clock = std::chrono::steady_clock;
	const auto start = Clock::now();
	const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
					  std::chrono::duration<double>(seconds));
	const bool lockdep = isLockdepInvariant(cx.finding.invariant);
	const Finding &want = cx.finding;
	MinimizeResult out;
	out.best = cx;

	/* Lockdep findings run each candidate from the graph they were found
	 * against; the others share one program with lockdep off. */
	checker::MmProgram shared(sc, guards);
	shared.setLockdep(false);
	auto withProgram = [&](auto &&fn) {
		if (!lockdep)
			return fn(static_cast<Program &>(shared));
		checker::MmProgram p(sc, guards);
		p.lockdep().importEdges(lockdepBefore);
		return fn(static_cast<Program &>(p));
	};
	auto same = [&](const Finding &f) {
		return f.invariant == want.invariant && f.severity == want.severity &&
		       (!sameSteps || sameRace(f, want));
	};
	auto match = [&](const ExploreResult &r) -> const Counterexample * {
		if (r.harmful)
			return same(r.harmful->finding) ? &*r.harmful : nullptr;
		for (const auto &c : r.benign)
			if (same(c.finding))
				return &c;
		return nullptr;
	};
	ExploreOptions one;
	one.maxExecutions = 1;
	one.limits.maxSteps = maxSteps;

	/* The exact replay of a log: its size, if it shows the violation. */
	auto measure =
	    [&](const ChoiceLog &log) -> std::optional<std::pair<Counterexample, ScheduleSize>> {
		return withProgram(
		    [&](Program &p) -> std::optional<std::pair<Counterexample, ScheduleSize>> {
			    CountingReplay replay(log);
			    ExploreResult r = explore(p, replay, one);
			    ++out.candidates;
			    const Counterexample *c = match(r);
			    if (!c || !r.divergence.empty())
				    return std::nullopt;
			    return std::pair{*c, ScheduleSize{replay.preemptions(), r.stats.steps}};
		    });
	};
	auto original = measure(cx.choices);
	if (!original) {
		/* Cannot happen for a deterministic model; keep the original. */
		out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
		return out;
	}
	out.before = out.after = original->second;
	auto expired = [&] { return Clock::now() >= deadline; };
	struct Candidate {
		Counterexample cx;
		ScheduleSize size;
	};

	/* Phase 2 from `cur`: drop, merge and halve runs while it keeps the
	 * violation and gets smaller (fewer preemptions, then fewer steps). */
	auto shrink = [&](Candidate cur) {
		for (bool improved = true; improved && !expired();) {
			improved = false;
			const Guide g = guideOf(cur.cx.choices);
			const auto &segs = g.segments;
			std::vector<Guide> cands;
			auto with = [&](std::vector<Segment> s) {
				Guide c = g;
				c.segments = std::move(s);
				cands.push_back(std::move(c));
			};
			for (std::size_t i = 1; i < segs.size(); ++i) {
				/* Merge run i into its task's previous run: steps earlier. */
				for (std::size_t j = i; j-- > 0;) {
					if (segs[j].task != segs[i].task)
						continue;
					auto s = segs;
					s[j].count += s[i].count;
					s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
					with(std::move(s));
					break;
				}
			}
			for (std::size_t i = 0; i < segs.size(); ++i) {
				/* Drop run i: its steps happen later. */
				auto s = segs;
				s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
				with(std::move(s));
			}
			for (std::size_t i = 0; i < segs.size(); ++i) {
				if (segs[i].count < 2)
					continue;
				auto s = segs;
				s[i].count /= 2;
				with(std::move(s));
			}
			for (const Guide &c : cands) {
				if (expired())
					break;
				std::optional<Counterexample> hit =
				    withProgram([&](Program &p) -> std::optional<Counterexample> {
					    GuidedStrategy guided(c);
					    ExploreResult r = explore(p, guided, one);
					    ++out.candidates;
					    const Counterexample *m = match(r);
					    if (!m)
						    return std::nullopt;
					    return *m;
				    });
				if (!hit)
					continue;
				/* The exact replay of what the guided run did. */
				auto m = measure(hit->choices);
				if (m && m->second < cur.size) {
					cur = {m->first, m->second};
					improved = true;
					break;
				}
			}
		}
		return cur;
	};

	/* Phase 1: fewer preemptions, by a bounded search (not for lockdep
	 * findings: their graph grows with every execution of a search). */
	std::vector<Candidate> results;
	if (!lockdep && out.before.preemptions > 0 && seconds > 0) {
		HitProgram hits(shared, want, sameSteps);
		auto strategy =
		    makeBoundedPorStrategy(static_cast<unsigned>(out.before.preemptions - 1));
		ExploreOptions eo;
		eo.limits.maxSteps = maxSteps;
		eo.timeBudgetSeconds = seconds / 2;
		eo.stop = [&] { return hits.hit; };
		ExploreResult r = explore(hits, *strategy, eo);
		out.candidates += r.stats.executions;
		if (const Counterexample *c = match(r))
			if (auto m = measure(c->choices))
				results.push_back(shrink({m->first, m->second}));
	}
	results.push_back(shrink({original->first, original->second}));

	/* The smallest result that has no more preemptions and no more steps
	 * than the original (a bounded-search hit can be longer). */
	for (const Candidate &c : results) {
		if (c.size.preemptions > out.before.preemptions ||
		    c.size.steps > out.before.steps || !(c.size < out.after))
			continue;
		out.best = c.cx;
		out.best.execution = cx.execution;
		out.after = c.size;
	}
	out.timedOut = expired();
	out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
	return out;
}

ScheduleSize measureSchedule(const scenarios::Scenario &sc, const model::GuardSet &guards,
			     const ChoiceLog &choices, std::uint64_t maxSteps)
{
	checker::MmProgram p(sc, guards);
	p.setLockdep(false);
	CountingReplay replay(choices);
	ExploreOptions one;
	one.maxExecutions = 1;
	one.limits.maxSteps = maxSteps;
	ExploreResult r = explore(p, replay, one);
	return {replay.preemptions(), r.stats.steps};
}

} // namespace mmrace::cli
