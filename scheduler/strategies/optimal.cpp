/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Optimal DPOR (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 2):
 * source-DPOR's backtrack sets become wakeup trees. Race analysis inserts
 * the whole reversing sequence v = notdep(e, E).e' into the wakeup tree of
 * E' = pre(E, e), unless a sleeping task is a weak initial of v or the tree
 * already has a branch that covers v; a later execution then follows that
 * sequence from E' before choosing freely. No execution ends blocked by its
 * sleep set, so every execution explored is a new trace.
 *
 * Races and sequences come from race_analysis.hpp, with v over the whole
 * execution as in the paper; only reversible races are inserted, so every
 * sequence can be followed. An execution cut short anyway (a blocked task
 * can leave every enabled one asleep) has its blocked tasks' pending steps
 * analysed too. Wait steps, whose condition the analysis does not know, can
 * still yield a sequence whose next task is blocked: then every enabled task
 * is scheduled there instead, as source-DPOR's fallback does.
 *
 * Below a fixed prefix (parallel exploration), tasks put to sleep in the
 * prefix only prune a sequence of which they are an initial, as in
 * source-DPOR: their own exploration ran in another instance, and the
 * sequences it inserted for later siblings (what makes the weak-initial test
 * of the paper enough) never reach this one. Exploration there can end
 * sleep-set blocked.
 */
#include <map>

#include "../execution.hpp"
#include "../path.hpp"
#include "race_analysis.hpp"
#include "strategies.hpp"

namespace mmrace {

namespace {

struct WakeupNode {
	TaskId task = kNoTask;
	Access access;	/* the event this edge stands for */
	std::vector<WakeupNode> children;	/* in order: leftmost first */
};

struct SeqEvent {
	TaskId task;
	Access access;
};

/* In the sequence w: does w[k] happen before w[f] (transitively)? */
bool happensBefore(const std::vector<SeqEvent> &w, std::size_t k, std::size_t f)
{
	std::vector<char> reaches(f + 1, 0);
	reaches[f] = 1;
	for (std::size_t m = f; m-- > k;) {
		for (std::size_t n = m + 1; n <= f && !reaches[m]; ++n)
			if (reaches[n] && (w[m].task == w[n].task || dependent(w[m].access, w[n].access)))
				reaches[m] = 1;
	}
	return reaches[k];
}

/* p's first event in w has no predecessor in w (p is an initial of w). */
bool initial(TaskId p, const std::vector<SeqEvent> &w)
{
	for (std::size_t f = 0; f < w.size(); ++f) {
		if (w[f].task != p)
			continue;
		for (std::size_t k = 0; k < f; ++k)
			if (happensBefore(w, k, f))
				return false;
		return true;
	}
	return false;
}

/* p (whose next event is `next`) is a weak initial of w. */
bool weakInitial(TaskId p, const Access &next, const std::vector<SeqEvent> &w)
{
	for (std::size_t f = 0; f < w.size(); ++f) {
		if (w[f].task != p)
			continue;
		for (std::size_t k = 0; k < f; ++k)
			if (happensBefore(w, k, f))
				return false;
		return true;
	}
	/*
	 * Independence of a task's next step from a whole sequence is what
	 * sleep sets rely on: use the full dependency here (a release is
	 * independent of a blocked acquisition for races, not for this).
	 */
	for (const SeqEvent &e : w)
		if (dependent(next, e.access))
			return false;
	return true;
}

/* Inserts w into the tree under root unless a branch covers it. */
void insert(WakeupNode &root, std::vector<SeqEvent> w)
{
	WakeupNode *n = &root;
	bool descended = false;
	for (;;) {
		if (descended && n->children.empty())
			return;	/* an existing branch already covers w */
		WakeupNode *next = nullptr;
		for (WakeupNode &c : n->children) {
			if (weakInitial(c.task, c.access, w)) {
				for (auto it = w.begin(); it != w.end(); ++it) {
					if (it->task == c.task) {
						w.erase(it);
						break;
					}
				}
				next = &c;
				break;
			}
		}
		if (!next)
			break;
		n = next;
		descended = true;
		if (w.empty())
			return;
	}
	WakeupNode *tail = n;
	for (const SeqEvent &e : w) {
		tail->children.push_back({e.task, e.access, {}});
		tail = &tail->children.back();
	}
}

class OptimalDporStrategy : public Strategy {
public:
	explicit OptimalDporStrategy(std::vector<Branch> prefix) : path_(std::move(prefix)) {}

	bool beginExecution() override
	{
		if (started_) {
			analyzeRaces();
			WakeupNode chosen;
			std::size_t at = 0;
			bool more = path_.backtrackWith([&](std::size_t b, TaskMask alt) {
				at = b;
				auto &kids = wakeup_[b].children;
				for (auto it = kids.begin(); it != kids.end(); ++it) {
					if (alt & bit(it->task)) {
						chosen = std::move(*it);
						kids.erase(it);
						return chosen.task;
					}
				}
				chosen = {};
				return static_cast<TaskId>(std::countr_zero(alt));
			});
			if (!more)
				return false;
			wakeup_.erase(wakeup_.upper_bound(at), wakeup_.end());
			pendingAt_.erase(pendingAt_.upper_bound(at), pendingAt_.end());
			foreignAt_.erase(foreignAt_.upper_bound(at), foreignAt_.end());
			inherited_ = std::move(chosen);
		}
		started_ = true;
		path_.beginExecution();
		sleep_ = 0;
		foreign_ = 0;
		events_.clear();
		blocked_.clear();
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		const auto pending = [&](TaskId t) -> const Access & { return view.execution.pending(t); };
		TaskMask enabled = 0;
		for (TaskId t : view.enabled)
			enabled |= bit(t);
		if (path_.replaying()) {
			TaskId pick = *path_.branchTask(enabled, sleep_, view.current);
			events_.push_back({pick, pending(pick), path_.lastIndex()});
			sleep_ = sleepAfter(path_.last(), pick, pending);
			foreign_ = path_.lastIndex() < path_.fixedPrefix() ? sleep_ : foreign_ & sleep_;
			return pick;
		}
		TaskMask awake = enabled & ~sleep_;
		if (!awake) {
			blocked_ = blockedSteps(view, enabled);
			return kNoTask;
		}
		TaskId forced = kNoTask;
		bool fallback = false;
		if (!inherited_.children.empty()) {
			TaskId want = inherited_.children.front().task;
			if (awake & bit(want))
				forced = want;
			else
				fallback = true;
		}
		TaskId pick = forced != kNoTask ? forced
			      : (view.current != kNoTask && (awake & bit(view.current)))
				      ? view.current
				      : static_cast<TaskId>(std::countr_zero(awake));
		path_.branchTask(enabled, sleep_, view.current, bit(pick));
		std::size_t idx = path_.lastIndex();
		foreignAt_[idx] = foreign_;
		std::vector<Access> &accesses = pendingAt_[idx];
		accesses.clear();
		for (TaskId t = 0; t < view.execution.taskCount(); ++t)
			accesses.push_back(pending(t));
		WakeupNode &here = wakeup_[idx];
		here = {};
		if (forced != kNoTask) {
			WakeupNode next = std::move(inherited_.children.front());
			inherited_.children.erase(inherited_.children.begin());
			here.children = std::move(inherited_.children);
			inherited_ = std::move(next);
		} else {
			if (fallback)
				for (TaskMask m = awake & ~bit(pick); m; m &= m - 1) {
					auto t = static_cast<TaskId>(std::countr_zero(m));
					here.children.push_back({t, pending(t), {}});
				}
			inherited_ = {};
		}
		for (const WakeupNode &c : here.children)
			path_.addBacktrack(idx, bit(c.task));
		events_.push_back({pick, pending(pick), idx});
		sleep_ = sleepAfter(path_.last(), pick, pending);
		foreign_ &= sleep_;
		return pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override { return path_.branchValue(n); }
	std::string stopReason() const override { return "sleep-set blocked"; }
	bool stopIsPrune() const override { return true; }
	std::string name() const override { return "optimal-dpor"; }

private:
	void analyzeRaces();

	Path path_;
	TaskMask sleep_ = 0;
	bool started_ = false;
	std::vector<TraceEvent> events_;
	/* Blocked tasks' pending steps when the execution was cut short. */
	std::vector<TraceEvent> blocked_;
	std::map<std::size_t, WakeupNode> wakeup_;	/* per task branch: branches still to explore */
	std::map<std::size_t, std::vector<Access>> pendingAt_;	/* every task's next step there */
	WakeupNode inherited_;	/* the sequence the next new branches follow */
	/*
	 * Sleeping tasks put to sleep in the fixed prefix, whose siblings other
	 * instances explore: now, and per branch at entry.
	 */
	TaskMask foreign_ = 0;
	std::map<std::size_t, TaskMask> foreignAt_;
};

void OptimalDporStrategy::analyzeRaces()
{
	auto onRace = [&](std::size_t i, std::size_t, const std::vector<std::size_t> &v) {
		std::size_t node = events_[i].branch;
		if (node >= path_.depth() || !pendingAt_.count(node))
			return;	/* inside a fixed prefix */
		const Branch &b = path_.branches()[node];
		std::vector<SeqEvent> w;
		for (std::size_t k : v)
			w.push_back({events_[k].task, events_[k].access});
		const std::vector<Access> &next = pendingAt_[node];
		TaskMask asleep = b.sleep | (b.done & ~bit(b.chosen));
		/*
		 * A sleeping weak initial means that the rest is reached through
		 * the sequences its own exploration inserted for its later
		 * siblings; a task put to sleep in the fixed prefix was explored
		 * by another instance, whose sequences never reach this one, so
		 * only a sleeping initial (E'.v is then a trace it explored) is
		 * proof enough.
		 */
		const TaskMask foreign = foreignAt_[node];
		for (TaskMask m = asleep; m; m &= m - 1) {
			auto q = static_cast<TaskId>(std::countr_zero(m));
			if ((foreign & bit(q)) ? initial(q, w) : weakInitial(q, next[q], w))
				return;	/* explored from here already */
		}
		WakeupNode &tree = wakeup_[node];
		if (!(b.enabled & bit(w.front().task))) {
			/* The sequence starts with a blocked task: schedule everyone. */
			for (TaskMask m = b.enabled & ~asleep & ~b.done; m; m &= m - 1) {
				auto t = static_cast<TaskId>(std::countr_zero(m));
				insert(tree, {{t, next[t]}});
			}
		} else {
			insert(tree, std::move(w));
		}
		for (const WakeupNode &c : tree.children)
			if (!(b.done & bit(c.task)))
				path_.addBacktrack(node, bit(c.task));
	};
	const std::size_t n = events_.size();
	if (n >= 2) {
		HappensBefore hb(events_);
		hb.forEachRace(onRace, 1, true);
	}
	for (const TraceEvent &b : blocked_) {
		events_.push_back(b);
		HappensBefore hb(events_);
		hb.forEachRace(onRace, n, true);
		events_.pop_back();
	}
}

} // namespace

std::unique_ptr<Strategy> makeOptimalDporStrategy(std::vector<Branch> prefix)
{
	return std::make_unique<OptimalDporStrategy>(std::move(prefix));
}

} // namespace mmrace
