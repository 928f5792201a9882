/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The classic DPOR benchmarks and random programs against the exhaustive
 * strategies: sleep sets must explore exactly one complete execution per
 * Mazurkiewicz trace (the published optimal-DPOR counts, and the count that
 * plain DFS gives once its executions are grouped into traces), and reach
 * the same final states as plain DFS.
 */
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "scheduler/explorer.hpp"
#include "scheduler/parallel.hpp"
#include "scheduler/programs/classic.hpp"
#include "scheduler/programs/random_program.hpp"
#include "scheduler/programs/shared.hpp"
#include "scheduler/programs/trace_classes.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
using namespace mmrace::programs;

namespace
{

/*
 * ASan builds switch fibers through ucontext, which costs a system call a
 * switch: the largest cases (about 10^5 executions) stay in the plain build.
 */
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kLargeCases = false;
#else
constexpr bool kLargeCases = true;
#endif

struct Run {
	ExploreStats stats;
	bool harmful = false;
	std::set<std::string> finals;
	std::set<std::string> traces;
	std::set<std::string> readsFrom;
};

Run runWith(ObservedProgram &p, std::unique_ptr<Strategy> strategy)
{
	p.clearFinalStates();
	TraceClasses classes(p);
	ExploreResult r = explore(classes, *strategy, {});
	return {r.stats, r.harmful.has_value(), p.finalStates(), classes.traces(),
		classes.readsFromClasses()};
}

/* Sleep sets on p: exhaustive, clean, one complete execution per trace. */
Run sleepSets(ObservedProgram &p)
{
	Run r = runWith(p, makeSleepSetStrategy());
	INFO(p.name());
	CHECK(r.stats.exhausted);
	CHECK_FALSE(r.harmful);
	CHECK(r.stats.complete + r.stats.pruned == r.stats.executions);
	/* No two complete executions are the same trace. */
	CHECK(r.traces.size() == r.stats.complete);
	return r;
}

Run dfs(ObservedProgram &p)
{
	Run r = runWith(p, makeDfsStrategy());
	INFO(p.name());
	CHECK(r.stats.exhausted);
	CHECK_FALSE(r.harmful);
	CHECK(r.stats.pruned == 0);
	return r;
}

/* Both strategies agree on final states and traces. */
void compareWithDfs(ObservedProgram &p)
{
	Run full = dfs(p);
	Run reduced = sleepSets(p);
	INFO(p.name());
	CHECK(reduced.finals == full.finals);
	CHECK(reduced.traces == full.traces);
	CHECK(reduced.stats.complete == full.traces.size());
}

std::uint64_t factorial(int n)
{
	return n <= 1 ? 1 : static_cast<std::uint64_t>(n) * factorial(n - 1);
}

} // namespace

TEST_CASE("lastzero: sleep sets explore the optimal 2, 5, 12, 28, 64 executions", "[classic]")
{
	const std::uint64_t expected[] = {2, 5, 12, 28, 64};
	for (int n = 1; n <= 5; ++n) {
		auto p = makeLastZero(n);
		Run r = sleepSets(*p);
		INFO(p->name());
		CHECK(r.stats.complete == expected[n - 1]);
		CHECK(p->knownTraces() == expected[n - 1]);
		/* Every trace ends differently here (the reader's stop index and
		 * the array tell the write/read orders apart). */
		CHECK(r.finals.size() == expected[n - 1]);
	}
}

TEST_CASE("readers: sleep sets explore 2^n executions", "[classic]")
{
	for (int n = 1; n <= 8; ++n) {
		auto p = makeReaders(n);
		Run r = sleepSets(*p);
		INFO(p->name());
		CHECK(r.stats.complete == std::uint64_t{1} << n);
		CHECK(p->knownTraces() == std::uint64_t{1} << n);
		CHECK(r.finals.size() == std::uint64_t{1} << n);
	}
}

TEST_CASE("indexer: no collisions below 12 threads, 8 traces per colliding pair", "[classic]")
{
	for (int n = 1; n <= 5; ++n) {
		auto p = makeIndexer(n);
		Run r = sleepSets(*p);
		INFO(p->name());
		CHECK(r.stats.complete == 1);
		CHECK(p->knownTraces() == 1u);
	}
	/*
	 * indexer(12..14) with the threads that collide no others dropped
	 * (they are independent of everything): 8, 64, 512 as published for
	 * the full programs. Thread 1 alongside 0 and 11 changes nothing.
	 */
	CHECK(makeIndexer(12)->knownTraces() == 8u);
	CHECK(makeIndexer(15)->knownTraces() == 4096u);
	auto pair = makeIndexerThreads({0, 11});
	CHECK(sleepSets(*pair).stats.complete == 8);
	auto pairAndOne = makeIndexerThreads({0, 1, 11});
	CHECK(sleepSets(*pairAndOne).stats.complete == 8);
	auto two = makeIndexerThreads({0, 1, 11, 12});
	CHECK(sleepSets(*two).stats.complete == 64);
	if (kLargeCases) {
		auto three = makeIndexerThreads({0, 1, 2, 11, 12, 13});
		CHECK(sleepSets(*three).stats.complete == 512);
	}
}

TEST_CASE("filesystem: one trace below 14 threads, doubling per colliding pair", "[classic]")
{
	for (int n = 1; n <= 4; ++n) {
		auto p = makeFilesystem(n);
		Run r = sleepSets(*p);
		INFO(p->name());
		CHECK(r.stats.complete == 1);
		CHECK(p->knownTraces() == 1u);
	}
	/* filesystem(14), (15), (16) reduced to their colliding threads. */
	CHECK(makeFilesystem(14)->knownTraces() == 2u);
	CHECK(makeFilesystem(16)->knownTraces() == 8u);
	CHECK(makeFilesystem(19)->knownTraces() == 64u);
	auto pair = makeFilesystemThreads({0, 13});
	Run r = sleepSets(*pair);
	CHECK(r.stats.complete == 2);
	CHECK(r.finals ==
	      std::set<std::string>{"inode: 0=1 13=2 busy: 0 1", "inode: 0=2 13=1 busy: 0 1"});
	CHECK(sleepSets(*makeFilesystemThreads({0, 1, 13})).stats.complete == 2);
	CHECK(sleepSets(*makeFilesystemThreads({0, 1, 13, 14})).stats.complete == 4);
	if (kLargeCases)
		CHECK(sleepSets(*makeFilesystemThreads({0, 1, 2, 13, 14, 15})).stats.complete == 8);
}

TEST_CASE("opt_lock: Mazurkiewicz traces, and Nidhugg's reads-from counts 19 and 31", "[classic]")
{
	/*
	 * Nidhugg's reference results (19 for n = 2, 31 for n = 3) come from
	 * its --rf mode, which counts reads-from classes; both threads write x
	 * and y, so there are more traces than that.
	 */
	const std::uint64_t traces[] = {10, 42, 126};
	const std::uint64_t readsFrom[] = {7, 19, 31};
	for (int n = 1; n <= 3; ++n) {
		auto p = makeOptLock(n);
		Run full = dfs(*p);
		Run reduced = sleepSets(*p);
		INFO(p->name());
		CHECK(full.traces.size() == traces[n - 1]);
		CHECK(full.readsFrom.size() == readsFrom[n - 1]);
		CHECK(reduced.stats.complete == traces[n - 1]);
		CHECK(p->knownTraces() == traces[n - 1]);
		CHECK(reduced.finals == full.finals);
		CHECK(reduced.readsFrom == full.readsFrom);
	}
}

TEST_CASE("dfs: interleaving counts derived by hand", "[classic][dfs]")
{
	/* readers(n): n + 1 single-step threads, all orders. */
	for (int n = 1; n <= 4; ++n) {
		auto p = makeReaders(n);
		INFO(p->name());
		CHECK(dfs(*p).stats.complete == factorial(n + 1));
	}
	/*
	 * lastzero(1): the writer reads array[0] then writes array[1]. The
	 * reader's read of array[1] comes before the write (2 slots: 1 step,
	 * stops) or after it (then it also reads array[0]: 1 order).
	 */
	CHECK(dfs(*makeLastZero(1)).stats.complete == 3);
	/* One thread: one execution. */
	CHECK(dfs(*makeIndexer(1)).stats.complete == 1);
	CHECK(dfs(*makeFilesystem(1)).stats.complete == 1);
	/*
	 * Threads that share nothing (and never block): every merge of their
	 * step sequences. indexer: 4 CASes a thread, no retries below 12
	 * threads; filesystem: lock inode, read it, lock block, read busy,
	 * mark busy, set inode, unlock block, unlock inode (8 steps).
	 */
	CHECK(dfs(*makeIndexer(2)).stats.complete == 70); /* 8!/(4!4!) */
	if (kLargeCases)
		CHECK(dfs(*makeIndexer(3)).stats.complete == 34650); /* 12!/(4!4!4!) */
	CHECK(dfs(*makeFilesystem(2)).stats.complete == 12870);	     /* 16!/(8!8!) */
}

TEST_CASE("dfs and sleep sets reach the same final states on the classics", "[classic]")
{
	for (int n = 1; n <= 3; ++n)
		compareWithDfs(*makeLastZero(n));
	for (int n = 1; n <= 4; ++n)
		compareWithDfs(*makeReaders(n));
	for (int n = 1; n <= 2; ++n)
		compareWithDfs(*makeOptLock(n));
	compareWithDfs(*makeIndexer(2));
	compareWithDfs(*makeIndexerThreads({0, 11}));
	compareWithDfs(*makeFilesystem(2));
	compareWithDfs(*makeFilesystemThreads({0, 13}));
}

TEST_CASE("random programs: dfs and sleep sets agree on 200 programs", "[random-program]")
{
	RandomProgramOptions options;
	options.maxInterleavings = kLargeCases ? 5000 : 1000;
	std::uint64_t withLocks = 0, withBranches = 0, multiTrace = 0;
	for (std::uint64_t seed = 1; seed <= 200; ++seed) {
		auto p = makeRandomProgram(seed, options);
		INFO(describe(p->spec()));
		REQUIRE(interleavingBound(p->spec()) <= options.maxInterleavings);
		Run full = dfs(*p);
		Run reduced = sleepSets(*p);
		CHECK(full.stats.complete <= interleavingBound(p->spec()));
		CHECK(reduced.finals == full.finals);
		CHECK(reduced.traces == full.traces);
		CHECK(reduced.stats.complete == full.traces.size());
		std::string text = describe(p->spec());
		withLocks += p->spec().mutexes > 0 && text.find("lock(") != std::string::npos;
		withBranches += text.find("if (r ==") != std::string::npos;
		multiTrace += full.traces.size() > 1;
	}
	/* The property is only as good as the programs exercise it. */
	CHECK(withLocks >= 40);
	CHECK(withBranches >= 40);
	CHECK(multiTrace >= 150);
}

TEST_CASE("random programs: a seed determines the program; options are respected",
	  "[random-program]")
{
	RandomProgramOptions options;
	CHECK(describe(generateRandomProgram(5, options)) ==
	      describe(generateRandomProgram(5, options)));
	CHECK(describe(generateRandomProgram(5, options)) !=
	      describe(generateRandomProgram(6, options)));
	for (std::uint64_t seed = 0; seed < 500; ++seed) {
		RandomProgramSpec s = generateRandomProgram(seed, options);
		INFO(describe(s));
		CHECK(s.threads.size() >= 2);
		CHECK(s.threads.size() <= 4);
		CHECK(s.vars >= 2);
		CHECK(s.vars <= 3);
		CHECK(s.mutexes >= 0);
		CHECK(s.mutexes <= 2);
		for (const auto &t : s.threads) {
			CHECK(maxSteps(t) >= 2);
			CHECK(maxSteps(t) <= 6);
		}
	}
	options.maxInterleavings = 100;
	for (std::uint64_t seed = 0; seed < 100; ++seed)
		CHECK(interleavingBound(generateRandomProgram(seed, options)) <= 100);
}

TEST_CASE("random programs with locks never deadlock, even unreduced", "[random-program]")
{
	RandomProgramOptions options;
	options.minMutexes = 2;
	options.maxInterleavings = kLargeCases ? 3000 : 1000;
	for (std::uint64_t seed = 1000; seed < 1040; ++seed) {
		auto p = makeRandomProgram(seed, options);
		INFO(describe(p->spec()));
		Run r = dfs(*p);
		CHECK(r.stats.complete == r.stats.executions);
	}
}

namespace
{

/* Records every step's access. */
struct Recorder : ObservedProgram {
	std::function<void(Execution &, ObjectIds &)> body;
	std::vector<Access> steps;
	ObjectIds ids;
	void setUp(Execution &e) override
	{
		ids.reset();
		steps.clear();
		body(e, ids);
	}
	void afterStep(Execution &, const Step &step) override { steps.push_back(step.access); }
	std::string name() const override { return "recorder"; }
};

} // namespace

TEST_CASE("shared blocks: one point per operation with the right access kind", "[shared]")
{
	Recorder p;
	std::vector<ObjectId> seen;
	std::vector<int> results;
	std::unique_ptr<Mutex> m;
	p.body = [&](Execution &e, ObjectIds &ids) {
		seen.clear();
		results.clear();
		auto x = std::make_shared<SharedInt>(ids, 5);
		m = std::make_unique<Mutex>(ids, "m");
		seen = {x->id(), m->id()};
		e.spawn("t", [&e, x, &results, &m] {
			results.push_back(x->load(e));
			x->store(e, 7);
			results.push_back(x->fetchAdd(e, 3));
			int expected = 0;
			results.push_back(x->compareExchange(e, expected, 1)); /* fails */
			results.push_back(expected);
			expected = 10;
			results.push_back(x->compareExchange(e, expected, 11));
			m->lock(e);
			results.push_back(m->tryLock(e)); /* held: fails */
			m->unlock(e);
			results.push_back(m->tryLock(e));
			m->unlock(e);
			results.push_back(x->peek());
		});
	};
	auto s = makeDfsStrategy();
	auto r = explore(p, *s, {});
	CHECK(r.stats.complete == 1);
	CHECK(seen == std::vector<ObjectId>{1, 2});
	CHECK(results == std::vector<int>{5, 7, 0, 10, 1, 0, 1, 11});
	using K = AccessKind;
	std::vector<K> kinds;
	for (const Access &a : p.steps)
		kinds.push_back(a.kind);
	CHECK(kinds == std::vector<K>{K::Read, K::Write, K::ReadModifyWrite, K::ReadModifyWrite,
				      K::ReadModifyWrite, K::Acquire, K::TryAcquire, K::Release,
				      K::TryAcquire, K::Release});
	REQUIRE(p.steps.size() == 10);
	CHECK(p.steps[5].sync == m.get());
	CHECK(p.steps[6].sync == nullptr);
	CHECK(p.steps[0].object == 1);
	CHECK(p.steps[5].object == 2);
}

TEST_CASE("shared blocks: a held mutex blocks; unlocking another's mutex throws", "[shared]")
{
	Recorder p;
	std::unique_ptr<Mutex> m;
	std::unique_ptr<SharedInt> x;
	p.body = [&](Execution &e, ObjectIds &ids) {
		m = std::make_unique<Mutex>(ids, "m");
		x = std::make_unique<SharedInt>(ids, 0);
		for (int t = 0; t < 2; ++t)
			e.spawn("t" + std::to_string(t), [&] {
				m->lock(e);
				int v = x->load(e);
				x->store(e, v + 1);
				m->unlock(e);
			});
	};
	auto s = makeDfsStrategy();
	auto r = explore(p, *s, {});
	/* Lock sections never interleave: x always ends at 2. Of the 8!/(4!4!)
	 * orders only the 2 with whole sections survive blocking. */
	CHECK(r.stats.complete == 2);
	CHECK(x->peek() == 2);

	Recorder bad;
	std::unique_ptr<Mutex> owned;
	bad.body = [&](Execution &e, ObjectIds &ids) {
		owned = std::make_unique<Mutex>(ids, "m");
		e.spawn("a", [&] { owned->unlock(e); });
	};
	auto s2 = makeDfsStrategy();
	CHECK_THROWS_WITH(explore(bad, *s2, {}), Catch::Contains("does not hold it"));
}

namespace
{

/* DPOR on p: exhaustive, clean, one complete execution per trace. */
Run dpor(ObservedProgram &p)
{
	Run r = runWith(p, makeDporStrategy());
	INFO(p.name());
	CHECK(r.stats.exhausted);
	CHECK_FALSE(r.harmful);
	CHECK(r.traces.size() == r.stats.complete);
	return r;
}

} // namespace

TEST_CASE("dpor: lastzero explores exactly 2, 5, 12, 28, 64 complete executions", "[classic][dpor]")
{
	const std::uint64_t expected[] = {2, 5, 12, 28, 64};
	for (int n = 1; n <= 5; ++n) {
		auto p = makeLastZero(n);
		Run r = dpor(*p);
		INFO("lastzero(" << n << ")");
		CHECK(r.stats.complete == expected[n - 1]);
		/* Fewer executions than sleep sets alone. */
		Run s = sleepSets(*p);
		CHECK(r.stats.executions <= s.stats.executions);
		CHECK(r.finals == s.finals);
	}
}

TEST_CASE("dpor: readers(n) explores exactly 2^n complete executions, none pruned", "[classic][dpor]")
{
	for (int n = 1; n <= 8; ++n) {
		auto p = makeReaders(n);
		Run r = dpor(*p);
		INFO("readers(" << n << ")");
		CHECK(r.stats.complete == (std::uint64_t{1} << n));
		CHECK(r.stats.pruned == 0);
	}
}

TEST_CASE("dpor: the colliding indexer and filesystem threads", "[classic][dpor]")
{
	auto a = makeIndexerThreads({0, 11});
	CHECK(dpor(*a).stats.complete == 8);
	auto b = makeIndexerThreads({0, 1, 11, 12});
	CHECK(dpor(*b).stats.complete == 64);
	auto c = makeFilesystemThreads({0, 13});
	CHECK(dpor(*c).stats.complete == 2);
	auto d = makeFilesystemThreads({0, 1, 13, 14});
	CHECK(dpor(*d).stats.complete == 4);
	auto e = makeOptLock(2);
	CHECK(dpor(*e).stats.complete == 42);
}

TEST_CASE("random programs: dpor reaches DFS's final states and traces on 200 programs",
	  "[random-program][dpor]")
{
	RandomProgramOptions o;
	o.maxInterleavings = kLargeCases ? 20000 : 2000;
	for (std::uint64_t seed = 1; seed <= 200; ++seed) {
		auto p = makeRandomProgram(seed, o);
		Run full = dfs(*p);
		Run reduced = dpor(*p);
		INFO("seed " << seed << "\n" << describe(p->spec()));
		CHECK(reduced.finals == full.finals);
		CHECK(reduced.traces == full.traces);
	}
}

TEST_CASE("optimal dpor: one execution per trace, nothing pruned", "[classic][optimal]")
{
	const std::uint64_t lastzero[] = {2, 5, 12, 28, 64};
	for (int n = 1; n <= 5; ++n) {
		auto p = makeLastZero(n);
		Run r = runWith(*p, makeOptimalDporStrategy());
		INFO("lastzero(" << n << ")");
		CHECK(r.stats.exhausted);
		CHECK(r.stats.complete == lastzero[n - 1]);
		CHECK(r.stats.executions == lastzero[n - 1]);
		CHECK(r.traces.size() == r.stats.complete);
	}
	for (int n = 1; n <= 6; ++n) {
		auto p = makeReaders(n);
		Run r = runWith(*p, makeOptimalDporStrategy());
		CHECK(r.stats.complete == (std::uint64_t{1} << n));
		CHECK(r.stats.executions == r.stats.complete);
	}
	auto o = makeOptLock(2);
	Run r = runWith(*o, makeOptimalDporStrategy());
	CHECK(r.stats.complete == 42);
	CHECK(r.stats.executions == 42);
}

TEST_CASE("random programs: optimal dpor reaches DFS's final states and traces",
	  "[random-program][optimal]")
{
	RandomProgramOptions o;
	o.maxInterleavings = kLargeCases ? 20000 : 2000;
	for (std::uint64_t seed = 1; seed <= 200; ++seed) {
		auto p = makeRandomProgram(seed, o);
		Run full = dfs(*p);
		Run reduced = runWith(*p, makeOptimalDporStrategy());
		INFO("seed " << seed << "\n" << describe(p->spec()));
		CHECK(reduced.stats.exhausted);
		CHECK(reduced.finals == full.finals);
		CHECK(reduced.traces == full.traces);
		CHECK(reduced.traces.size() == reduced.stats.complete);
	}
}

namespace
{

/*
 * As runWith(), through the parallel split the CLI uses (results do not
 * depend on jobs). Each worker runs its own copy of the program, which
 * hands what it saw over when the worker is done with it.
 */
Run runSplit(const RandomProgram &p, SubtreeStrategyFactory make, unsigned jobs)
{
	Run run;
	std::mutex mutex;
	struct Copy : Program {
		RandomProgram program;
		TraceClasses classes{program};
		Run &into;
		std::mutex &mutex;
		Copy(const RandomProgramSpec &spec, Run &r, std::mutex &m)
		    : program(spec), into(r), mutex(m)
		{
		}
		~Copy() override
		{
			std::lock_guard lock(mutex);
			into.traces.insert(classes.traces().begin(), classes.traces().end());
			into.finals.insert(program.finalStates().begin(),
					   program.finalStates().end());
		}
		void setUp(Execution &e) override { classes.setUp(e); }
		void afterStep(Execution &e, const Step &s) override { classes.afterStep(e, s); }
		void atEnd(Execution &e) override { classes.atEnd(e); }
	};
	ExploreResult r = exploreExhaustiveParallel(
	    [&] { return std::make_unique<Copy>(p.spec(), run, mutex); }, make, false, {}, jobs);
	run.stats = r.stats;
	run.harmful = r.harmful.has_value();
	return run;
}

RandomOp op(RandomOp::Kind kind, int var = 0, int value = 0)
{
	RandomOp o;
	o.kind = kind;
	o.var = var;
	o.value = value;
	return o;
}

RandomOp locked(RandomOp::Kind kind, int lock, std::vector<RandomOp> body)
{
	RandomOp o;
	o.kind = kind;
	o.mutex = o.rwsem = lock;
	o.body = std::move(body);
	return o;
}

using K = RandomOp::Kind;

/*
 * The smallest programs found (by bench/random_probe.cpp) on which the
 * strategies missed traces, before race analysis handled blocking soundly.
 */
std::vector<RandomProgramSpec> missedTraceSpecs()
{
	std::vector<RandomProgramSpec> specs;
	/*
	 * source-DPOR: after t1's trylock takes m0, t1 blocks on m1 (held by
	 * t0, asleep): the execution is cut short before t2's lock(m0) runs,
	 * and the race between that lock and the trylock went unseen.
	 */
	RandomProgramSpec a;
	a.seed = 1608;
	a.vars = 2;
	a.mutexes = 2;
	a.threads = {
	    {op(K::FetchAdd, 0, 2), locked(K::Locked, 1, {op(K::Load, 0)})},
	    {op(K::Load, 0), locked(K::TryLocked, 0, {locked(K::Locked, 1, {})})},
	    {locked(K::Locked, 0, {op(K::FetchAdd, 1, 1), op(K::Store, 0, 0)})},
	};
	a.threads[2][0].body[1].fromRegister = true;
	specs.push_back(a);
	/*
	 * optimal DPOR: a reversal whose sequence started with an acquisition
	 * of a rwsem still held (relaxed happens-before) was replaced by "every
	 * enabled task", whose wakeup-tree leaf then covered the real reversal.
	 */
	RandomProgramSpec b;
	b.seed = 529;
	b.vars = 2;
	b.mutexes = 1;
	b.rwsems = 1;
	RandomOp cas = op(K::CompareExchange, 1, 1);
	cas.expected = 0;
	RandomOp tryWrite = locked(K::TryWriteLocked, 0, {});
	b.threads = {
	    {locked(K::WriteLocked, 0, {cas}), op(K::FetchAdd, 1, 1)},
	    {locked(K::WriteLocked, 0, {op(K::FetchAdd, 0, 1)}), tryWrite},
	    {op(K::Store, 0, 0), op(K::Load, 1), op(K::FetchAdd, 0, 1)},
	};
	b.threads[2][0].fromRegister = true;
	specs.push_back(b);
	/*
	 * optimal DPOR under the parallel split, no lock at all: a task put to
	 * sleep in the fixed prefix pruned sequences as a mere weak initial,
	 * although the sequences its own exploration inserted (in another
	 * instance) could never reach this one.
	 */
	RandomProgramSpec c;
	c.seed = 36;
	c.vars = 3;
	RandomOp ifZero = op(K::IfEquals, 0, 0);
	ifZero.body = {op(K::Load, 0)};
	RandomOp ifTwo = op(K::IfEquals, 0, 2);
	ifTwo.body = {op(K::FetchAdd, 0, 1)};
	RandomOp cas2 = op(K::CompareExchange, 1, 3);
	cas2.expected = 2;
	ifTwo.orElse = {cas2};
	c.threads = {
	    {op(K::FetchAdd, 2, 2), op(K::Load, 2), op(K::Store, 2, 1)},
	    {op(K::Store, 0, 1), op(K::Load, 1), op(K::Store, 1, 3), ifZero},
	    {op(K::Load, 0), op(K::Load, 0), ifTwo, op(K::Store, 2, 2)},
	};
	c.threads[0][2].fromRegister = true;
	specs.push_back(c);
	return specs;
}

SubtreeStrategyFactory dporFactory()
{
	return [](std::vector<Branch> prefix) { return makeDporStrategy(std::move(prefix)); };
}

SubtreeStrategyFactory optimalFactory()
{
	return
	    [](std::vector<Branch> prefix) { return makeOptimalDporStrategy(std::move(prefix)); };
}

/* dpor and optimal, alone and split, reach exactly `ref`'s traces and final states. */
void compareDporWith(RandomProgram &p, const Run &ref, unsigned jobs)
{
	INFO(describe(p.spec()));
	Run runs[] = {runWith(p, makeDporStrategy()), runWith(p, makeOptimalDporStrategy()),
		      runSplit(p, dporFactory(), jobs), runSplit(p, optimalFactory(), jobs)};
	const char *names[] = {"dpor", "optimal", "dpor (split)", "optimal (split)"};
	for (int k = 0; k < 4; ++k) {
		INFO(names[k]);
		CHECK(runs[k].stats.exhausted);
		std::size_t missing = 0;
		for (const std::string &t : ref.traces)
			missing += !runs[k].traces.count(t);
		CHECK(missing == 0);
		CHECK(runs[k].traces.size() == ref.traces.size());
		CHECK(runs[k].finals == ref.finals);
		CHECK(runs[k].stats.complete == runs[k].traces.size());
	}
	/* Optimal DPOR on its own explores one execution per trace. */
	CHECK(runs[1].stats.executions == runs[1].stats.complete);
}

} // namespace

TEST_CASE("dpor and optimal: the programs where they used to miss traces",
	  "[random-program][dpor][optimal]")
{
	for (const RandomProgramSpec &spec : missedTraceSpecs()) {
		RandomProgram p(spec);
		Run reduced = sleepSets(p);
		if (kLargeCases) /* DFS runs thousands of executions here */
			CHECK(reduced.traces == dfs(p).traces);
		compareDporWith(p, reduced, 2);
	}
}

TEST_CASE("three-task random programs with trylocks and rwsems: dfs and sleep sets agree",
	  "[random-program]")
{
	RandomProgramOptions o;
	o.minThreads = o.maxThreads = 3;
	o.minRwsems = 1;
	o.maxRwsems = 2;
	o.maxOps = 8;
	o.maxInterleavings = kLargeCases ? 5000 : 1000;
	for (std::uint64_t seed = 1; seed <= 60; ++seed) {
		auto p = makeRandomProgram(seed, o);
		INFO(describe(p->spec()));
		Run full = dfs(*p);
		Run reduced = sleepSets(*p);
		CHECK(reduced.finals == full.finals);
		CHECK(reduced.traces == full.traces);
	}
}

TEST_CASE("three-task random programs with trylocks and rwsems: dpor and optimal reach "
	  "sleep sets' traces alone and split",
	  "[random-program][dpor][optimal]")
{
	RandomProgramOptions o;
	o.minThreads = o.maxThreads = 3;
	o.minRwsems = 1;
	o.maxRwsems = 2;
	o.maxOps = 8;
	o.maxInterleavings = kLargeCases ? 20000 : 2000;
	std::uint64_t withTrylock = 0, withReaders = 0;
	for (std::uint64_t seed = 1; seed <= (kLargeCases ? 300 : 40); ++seed) {
		auto p = makeRandomProgram(seed, o);
		Run ref = sleepSets(*p);
		compareDporWith(*p, ref, seed % 2 + 1);
		std::string text = describe(p->spec());
		withTrylock += text.find("trylock(") != std::string::npos;
		withReaders += text.find("down_read") != std::string::npos;
	}
	CHECK(withTrylock >= (kLargeCases ? 100 : 12));
	CHECK(withReaders >= (kLargeCases ? 100 : 12));
}

TEST_CASE("bounded por: every trace and final state of bounded dfs at bounds 0 to 2, in no more "
	  "executions",
	  "[random-program][bounded]")
{
	RandomProgramOptions mutexes, rwsems;
	mutexes.maxInterleavings = rwsems.maxInterleavings = kLargeCases ? 5000 : 1000;
	rwsems.minThreads = rwsems.maxThreads = 3;
	rwsems.minRwsems = 1;
	rwsems.maxRwsems = 2;
	rwsems.maxOps = 8;
	std::uint64_t dfsExecutions = 0, porExecutions = 0;
	for (const RandomProgramOptions &o : {mutexes, rwsems}) {
		for (std::uint64_t seed = 1; seed <= (kLargeCases ? 100 : 25); ++seed) {
			auto p = makeRandomProgram(seed, o);
			INFO(describe(p->spec()));
			for (unsigned bound = 0; bound <= 2; ++bound) {
				INFO("bound " << bound);
				Run dfs = runWith(*p, makeBoundedDfsStrategy(bound));
				Run por = runWith(*p, makeBoundedPorStrategy(bound));
				CHECK(por.stats.exhausted);
				CHECK(por.traces == dfs.traces);
				CHECK(por.finals == dfs.finals);
				CHECK(por.stats.executions <= dfs.stats.executions);
				dfsExecutions += dfs.stats.executions;
				porExecutions += por.stats.executions;
			}
		}
	}
	/* And it does reduce. */
	CHECK(porExecutions * 3 < dfsExecutions * 2);
}
