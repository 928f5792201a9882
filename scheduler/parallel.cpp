/* SPDX-License-Identifier: GPL-2.0 */
#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "strategies/strategies.hpp"

namespace mmrace
{

namespace
{

/* DFS (with sleep sets unless plain) that stops every execution at a depth. */
class SplitStrategy : public Strategy
{
public:
	SplitStrategy(std::size_t depth, std::size_t maxDiscrepancies, bool useSleep)
	    : depth_(depth), maxDiscrepancies_(maxDiscrepancies), useSleep_(useSleep)
	{
	}

	bool beginExecution() override
	{
		if (started_ && !path_.backtrack())
			return false;
		started_ = true;
		path_.beginExecution();
		sleep_ = 0;
		taskBranches_ = 0;
		discrepancies_ = 0;
		atDepth_ = false;
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		if (taskBranches_ == depth_ || discrepancies_ > maxDiscrepancies_) {
			atDepth_ = true;
			return kNoTask;
		}
		TaskMask enabled = 0;
		for (TaskId t : view.enabled)
			enabled |= bit(t);
		auto pick = path_.branchTask(enabled, sleep_, view.current);
		if (!pick)
			return kNoTask;
		++taskBranches_;
		if (std::popcount(path_.last().done) > 1)
			++discrepancies_;
		if (useSleep_) {
			const auto pending = [&](TaskId t) -> const Access & {
				return view.execution.pending(t);
			};
			sleep_ = sleepAfter(path_.last(), *pick, pending);
		}
		return *pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override { return path_.branchValue(n); }
	std::string name() const override { return "split"; }

	bool atDepth() const { return atDepth_; }
	std::vector<Branch> prefix() const { return path_.branches(); }

private:
	Path path_;
	std::size_t depth_;
	std::size_t maxDiscrepancies_;
	bool useSleep_;
	std::size_t discrepancies_ = 0;
	bool started_ = false;
	TaskMask sleep_ = 0;
	std::size_t taskBranches_ = 0;
	bool atDepth_ = false;
};

/*
 * One random walk below a prefix (Knuth's estimator): replays the prefix as
 * the splitter made it, then picks a random awake task (or value) at every
 * choice and multiplies the number of alternatives it had. The mean over a
 * few walks estimates the size of the subtree, to deal subtrees out to
 * shares by work instead of by count.
 */
class ProbeStrategy : public Strategy
{
public:
	ProbeStrategy(std::vector<Branch> prefix, std::uint64_t seed, bool useSleep)
	    : path_(std::move(prefix)), rng_(seed), useSleep_(useSleep)
	{
	}

	bool beginExecution() override
	{
		if (started_)
			return false;
		started_ = true;
		path_.beginExecution();
		return true;
	}

	TaskId pickTask(const SchedulingView &view) override
	{
		TaskMask enabled = 0;
		for (TaskId t : view.enabled)
			enabled |= bit(t);
		const auto pending = [&](TaskId t) -> const Access & {
			return view.execution.pending(t);
		};
		if (path_.replaying()) {
			auto pick = path_.branchTask(enabled, sleep_, view.current);
			if (!pick)
				return kNoTask;
			if (useSleep_)
				sleep_ = sleepAfter(path_.last(), *pick, pending);
			return *pick;
		}
		TaskMask awake = enabled & ~sleep_;
		if (!awake)
			return kNoTask;
		auto n = static_cast<unsigned>(std::popcount(awake));
		unsigned r = static_cast<unsigned>(rng_() % n);
		TaskMask rest = awake;
		while (r--)
			rest &= rest - 1;
		auto pick = static_cast<TaskId>(std::countr_zero(rest));
		/* DPOR branches only where steps race: count the awake tasks
		 * whose step conflicts with the chosen one. */
		unsigned racing = 1;
		for (TaskMask m = awake & ~bit(pick); m; m &= m - 1)
			if (dependent(pending(static_cast<TaskId>(std::countr_zero(m))),
				      pending(pick)))
				++racing;
		estimate_ *= racing;
		if (useSleep_) {
			Branch b;
			b.sleep = sleep_;
			b.done = bit(pick);
			sleep_ = sleepAfter(b, pick, pending);
		}
		return pick;
	}

	std::uint32_t pickValue(std::uint32_t n) override
	{
		if (path_.replaying())
			return path_.branchValue(n);
		estimate_ *= n;
		return n ? static_cast<std::uint32_t>(rng_() % n) : 0;
	}

	std::string name() const override { return "probe"; }
	double estimate() const { return estimate_; }

private:
	Path path_;
	std::mt19937_64 rng_;
	bool useSleep_;
	bool started_ = false;
	TaskMask sleep_ = 0;
	double estimate_ = 1;
};

/*
 * Which share explores each subtree, by work, the same in every process: a
 * subtree is measured by exploring it with its own strategy up to
 * kShareProbeExecutions executions (most are smaller: their exact size); a
 * larger one weighs 1.5 times that, plus the log of its random-walk
 * estimate to order the large ones (the walks alone mislead: they see
 * every race, DPOR's sleep sets and happens-before fewer). Then the
 * heaviest first to the least loaded share (ties: lowest index). The
 * measuring is repeated by every share: at most kShareProbeExecutions per
 * subtree, a few thousand executions, noise in a run worth sharding.
 */
std::vector<unsigned> assignShares(const ProgramFactory &makeProgram,
				   const SubtreeStrategyFactory &makeStrategy,
				   const std::vector<std::vector<Branch>> &prefixes, bool plainDfs,
				   const ExecutionLimits &limits, unsigned shares)
{
	const std::size_t n = prefixes.size();
	std::vector<double> weight(n, 0);
	auto program = makeProgram();
	StackPool stacks(kFiberStackSize);
	for (std::size_t k = 0; k < n; ++k) {
		/* Small subtrees (most of them) are measured: the subtree's own
		 * strategy, at most kShareProbeExecutions executions. */
		ExploreOptions o;
		o.limits = limits;
		o.maxExecutions = kShareProbeExecutions;
		auto strategy = makeStrategy(prefixes[k]);
		ExploreResult r = explore(*program, *strategy, o);
		if (r.stats.exhausted) {
			weight[k] = static_cast<double>(r.stats.executions);
			continue;
		}
		/* Larger ones are estimated, and weigh at least that much. */
		double sum = 0;
		for (unsigned p = 0; p < kShareProbes; ++p) {
			ProbeStrategy s(prefixes[k], (std::uint64_t{k} << 8) | p, !plainDfs);
			s.beginExecution();
			Execution exec(s, stacks, limits);
			exec.run(*program);
			sum += s.estimate();
		}
		weight[k] = 1.5 * kShareProbeExecutions + std::log2(1 + sum / kShareProbes);
	}
	std::vector<std::size_t> order(n);
	for (std::size_t k = 0; k < n; ++k)
		order[k] = k;
	std::stable_sort(order.begin(), order.end(),
			 [&](std::size_t a, std::size_t b) { return weight[a] > weight[b]; });
	std::vector<double> load(shares, 0);
	std::vector<unsigned> owner(n, 0);
	for (std::size_t k : order) {
		unsigned best = 0;
		for (unsigned s = 1; s < shares; ++s)
			if (load[s] < load[best])
				best = s;
		owner[k] = best;
		load[best] += weight[k];
	}
	return owner;
}

void addStats(ExploreStats &to, const ExploreStats &from)
{
	to.executions += from.executions;
	to.complete += from.complete;
	to.pruned += from.pruned;
	to.steps += from.steps;
	to.benignFindings += from.benignFindings;
	to.maxDepth = std::max(to.maxDepth, from.maxDepth);
}

void atomicMin(std::atomic<std::size_t> &a, std::size_t v)
{
	std::size_t cur = a.load();
	while (v < cur && !a.compare_exchange_weak(cur, v)) {
	}
}

/* Runs `work(worker)` on `jobs` threads (the caller's included). */
template<typename Work> void runWorkers(unsigned jobs, Work work)
{
	std::vector<std::thread> threads;
	for (unsigned w = 1; w < jobs; ++w)
		threads.emplace_back(work, w);
	work(0u);
	for (auto &t : threads)
		t.join();
}

} // namespace

/*
 * maxExecutions (--max-executions, 0: none): a deeper round is kept only if
 * its own executions (pruned ones plus at least one per subtree) stay within
 * it, so a small budget still runs exactly that many executions.
 */
SplitResult splitTree(const ProgramFactory &makeProgram, bool plainDfs,
		      const ExecutionLimits &limits, std::uint64_t maxExecutions)
{
	SplitResult result;
	auto program = makeProgram();
	StackPool stacks(kFiberStackSize);
	/* Round d: every path down to kSplitMaxDepth task branches, cut
	 * after its d-th discrepancy (a choice other than a node's first). */
	for (std::size_t round = 0; round <= kSplitMaxDiscrepancies; ++round) {
		SplitResult r;
		r.depth = round;
		bool reachedDepth = false;
		SplitStrategy s(kSplitMaxDepth, round, !plainDfs);
		while (s.beginExecution()) {
			Execution exec(s, stacks, limits);
			Outcome o = exec.run(*program);
			if (o == Outcome::Stopped && !s.atDepth()) {
				++r.pruned; /* every enabled task asleep */
				continue;
			}
			reachedDepth |= s.atDepth();
			r.prefixes.push_back(s.prefix());
		}
		if (round > 0 && maxExecutions && r.pruned + r.prefixes.size() > maxExecutions)
			break; /* keep the shallower split */
		result = std::move(r);
		if (result.prefixes.size() >= kSplitTarget || !reachedDepth)
			break;
	}
	return result;
}

ExploreResult exploreExhaustiveParallel(const ProgramFactory &makeProgram,
					const SubtreeStrategyFactory &makeStrategy, bool plainDfs,
					const ExploreOptions &options, unsigned jobs)
{
	using Clock = std::chrono::steady_clock;
	const auto start = Clock::now();
	SplitResult split = splitTree(makeProgram, plainDfs, options.limits, options.maxExecutions);
	/* The whole run's subtree index of each of ours. */
	std::vector<std::size_t> shareSubtrees;
	const std::size_t total = split.prefixes.size();
	if (options.shardCount > 1) {
		std::vector<std::vector<Branch>> mine;
		std::vector<unsigned> owner =
		    assignShares(makeProgram, makeStrategy, split.prefixes, plainDfs,
				 options.limits, options.shardCount);
		for (std::size_t k = 0; k < split.prefixes.size(); ++k)
			if (owner[k] == options.shardIndex) {
				mine.push_back(std::move(split.prefixes[k]));
				shareSubtrees.push_back(k);
			}
		split.prefixes = std::move(mine);
		/* The top's pruned executions are counted once, by shard 0. */
		if (options.shardIndex != 0)
			split.pruned = 0;
	}
	const std::size_t n = split.prefixes.size();
	std::vector<ExploreResult> results(n);
	std::vector<char> ran(n, 0);
	std::atomic<std::size_t> next{0};
	std::atomic<std::size_t> firstViolation{std::numeric_limits<std::size_t>::max()};
	/* The split's executions count against --max-executions too. */
	std::atomic<std::uint64_t> started{split.pruned};
	std::atomic<bool> outOfBudget{false};

	/* Progress: completed subtrees plus what each worker reports of its current one. */
	std::mutex progressMutex;
	ExploreStats finished;
	std::vector<ExploreStats> live(std::max(1u, jobs));
	auto lastReport = start;
	auto report = [&](unsigned w, const ExploreStats *current, const ExploreStats *done) {
		if (!options.progress)
			return;
		std::lock_guard lock(progressMutex);
		if (done) {
			addStats(finished, *done);
			live[w] = {};
		}
		if (current)
			live[w] = *current;
		auto now = Clock::now();
		if (now - lastReport < std::chrono::seconds(1))
			return;
		lastReport = now;
		ExploreStats sum = finished;
		for (const ExploreStats &l : live)
			addStats(sum, l);
		sum.seconds = std::chrono::duration<double>(now - start).count();
		options.progress(sum);
	};

	runWorkers(std::max(1u, jobs), [&](unsigned w) {
		auto program = makeProgram();
		for (;;) {
			std::size_t k = next.fetch_add(1);
			if (k >= n)
				break;
			if (k > firstViolation.load() || outOfBudget.load())
				continue;
			ExploreOptions o = options;
			o.progress = [&, w](const ExploreStats &st) { report(w, &st, nullptr); };
			o.maxExecutions = 0;
			o.timeBudgetSeconds = 0;
			o.stop = [&, k] {
				if (firstViolation.load() < k)
					return true;
				if ((options.stop && options.stop()) ||
				    (options.interrupt && options.interrupt->load()))
					return outOfBudget.store(true), true;
				if (options.maxExecutions && started.load() >= options.maxExecutions)
					return outOfBudget.store(true), true;
				if (options.timeBudgetSeconds > 0 &&
				    std::chrono::duration<double>(Clock::now() - start).count() >=
					options.timeBudgetSeconds)
					return outOfBudget.store(true), true;
				return false;
			};
			if (options.maxExecutions) {
				o.sharedExecutions = &started;
				o.sharedExecutionsMax = options.maxExecutions;
			}
			auto strategy = makeStrategy(split.prefixes[k]);
			results[k] = explore(*program, *strategy, o);
			ran[k] = 1;
			if (!results[k].stats.exhausted && options.maxExecutions &&
			    started.load() >= options.maxExecutions)
				outOfBudget.store(true);
			report(w, nullptr, &results[k].stats);
			if (results[k].harmful && !options.keepGoing)
				atomicMin(firstViolation, k);
		}
	});

	/* Merge in subtree order, up to and including the first violation. */
	ExploreResult out;
	out.subtreeCount = total;
	out.topPruned = split.pruned;
	for (std::size_t k = 0; k < n; ++k) {
		SubtreeResult sr;
		sr.index = shareSubtrees.empty() ? k : shareSubtrees[k];
		sr.ran = ran[k];
		if (ran[k]) {
			sr.stats = results[k].stats;
			sr.harmful = results[k].harmful;
			sr.benign = results[k].benign;
		}
		out.subtrees.push_back(std::move(sr));
	}
	ExploreStats &st = out.stats;
	st.pruned = split.pruned;
	st.executions = split.pruned;
	bool all = true;
	for (std::size_t k = 0; k < n; ++k) {
		if (!ran[k]) {
			all = false;
			break;
		}
		const ExploreResult &r = results[k];
		std::uint64_t offset = st.executions;
		addStats(st, r.stats);
		for (const Counterexample &c : r.benign) {
			bool seen = std::any_of(
			    out.benign.begin(), out.benign.end(), [&](const Counterexample &b) {
				    return b.finding.invariant == c.finding.invariant;
			    });
			if (!seen) {
				out.benign.push_back(c);
				out.benign.back().execution += offset;
			}
		}
		if (r.harmful && options.keepGoing) {
			/* Every subtree's, in subtree order, each distinct race once. */
			std::vector<Counterexample> found{*r.harmful};
			found.insert(found.end(), r.moreHarmful.begin(), r.moreHarmful.end());
			for (Counterexample c : found) {
				c.execution += offset;
				addHarmful(out, c);
			}
		} else if (r.harmful) {
			out.harmful = *r.harmful;
			out.harmful->execution += offset;
			st.stoppedBy = "violation";
			break;
		}
		if (!r.divergence.empty())
			out.divergence = r.divergence;
		if (!r.stats.exhausted) {
			all = false;
			st.stoppedBy = r.stats.stoppedBy;
			/* A budget stopped the run: what the other workers ran of
			 * later subtrees was run too (--max-executions N runs N). */
			for (std::size_t later = k + 1; later < n; ++later)
				if (ran[later] && !results[later].harmful)
					addStats(st, results[later].stats);
			break;
		}
	}
	st.exhausted = all && (!out.harmful || options.keepGoing);
	if (st.exhausted)
		st.stoppedBy = "exhausted";
	else if (st.stoppedBy.empty() || st.stoppedBy == "stopped")
		st.stoppedBy =
		    options.interrupt && options.interrupt->load() ? "interrupt" : "budget";
	st.seconds = std::chrono::duration<double>(Clock::now() - start).count();
	return out;
}

ExploreResult exploreRandomParallel(const ProgramFactory &makeProgram, std::uint64_t seed,
				    const ExploreOptions &options, unsigned jobs)
{
	using Clock = std::chrono::steady_clock;
	const auto start = Clock::now();
	struct Done {
		std::uint64_t index;
		ExploreResult result;
	};
	std::mutex mutex;
	std::vector<Done> done;
	std::atomic<std::uint64_t> next{0};
	std::atomic<std::uint64_t> firstViolation{std::numeric_limits<std::uint64_t>::max()};

	runWorkers(std::max(1u, jobs), [&](unsigned) {
		auto program = makeProgram();
		for (;;) {
			std::uint64_t i =
			    next.fetch_add(1) * options.shardCount + options.shardIndex;
			if ((options.maxExecutions && i >= options.maxExecutions) ||
			    i > firstViolation.load())
				break;
			if ((options.interrupt && options.interrupt->load()) ||
			    (options.stop && options.stop()))
				break;
			if (options.timeBudgetSeconds > 0 &&
			    std::chrono::duration<double>(Clock::now() - start).count() >=
				options.timeBudgetSeconds)
				break;
			ExploreOptions o;
			o.limits = options.limits;
			o.maxExecutions = 1;
			auto strategy = makeRandomStrategy(seed, i);
			ExploreResult r = explore(*program, *strategy, o);
			if (r.harmful)
				firstViolation.store(std::min(firstViolation.load(), i));
			std::lock_guard lock(mutex);
			done.push_back({i, std::move(r)});
		}
	});

	std::sort(done.begin(), done.end(),
		  [](const Done &a, const Done &b) { return a.index < b.index; });
	ExploreResult out;
	ExploreStats &st = out.stats;
	std::uint64_t expect = options.shardIndex;
	for (Done &d : done) {
		if (d.index != expect)
			break; /* a gap: later executions raced past a stop */
		expect += options.shardCount;
		addStats(st, d.result.stats);
		for (Counterexample &c : d.result.benign) {
			c.execution = d.index + 1;
			bool seen = std::any_of(
			    out.benign.begin(), out.benign.end(), [&](const Counterexample &b) {
				    return b.finding.invariant == c.finding.invariant;
			    });
			if (!seen)
				out.benign.push_back(c);
		}
		if (d.result.harmful) {
			out.harmful = *d.result.harmful;
			out.harmful->execution = d.index + 1;
			break;
		}
	}
	st.stoppedBy = out.harmful						  ? "violation"
		       : options.maxExecutions && expect >= options.maxExecutions ? "max-executions"
		       : options.interrupt && options.interrupt->load()		  ? "interrupt"
										  : "time-budget";
	st.seconds = std::chrono::duration<double>(Clock::now() - start).count();
	return out;
}

} // namespace mmrace
