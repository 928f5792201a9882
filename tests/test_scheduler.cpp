/* SPDX-License-Identifier: GPL-2.0 */
/* The mm-agnostic scheduler on small fiber programs with exact counts. */
#include <catch2/catch.hpp>

#include <functional>
#include <set>

#include "scheduler/execution.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/parallel.hpp"
#include "scheduler/strategies/strategies.hpp"
#include "scheduler/strategies/replay.hpp"
#include "fiber_programs.hpp"

using namespace mmrace;
using namespace mmrace::testing;

namespace {

ExploreResult run(Program &p, std::unique_ptr<Strategy> s, ExploreOptions o = {})
{
	return explore(p, *s, o);
}

} // namespace

TEST_CASE("dfs: two tasks of k independent steps give C(2k, k) executions", "[dfs]")
{
	const std::uint64_t expected[] = {2, 6, 20, 70, 252};
	for (int k = 1; k <= 5; ++k) {
		FnProgram p([k](Execution &e) { independentSteps(e, k); });
		auto r = run(p, makeDfsStrategy());
		INFO("k = " << k);
		CHECK(r.stats.exhausted);
		CHECK(r.stats.complete == expected[k - 1]);
		CHECK(r.stats.executions == expected[k - 1]);
		CHECK(r.stats.steps == expected[k - 1] * 2 * k);
	}
}

TEST_CASE("sleep sets: independent tasks collapse to one complete execution", "[sleepset]")
{
	for (int k = 1; k <= 5; ++k) {
		FnProgram p([k](Execution &e) { independentSteps(e, k); });
		auto r = run(p, makeSleepSetStrategy());
		INFO("k = " << k);
		CHECK(r.stats.exhausted);
		CHECK(r.stats.complete == 1);
		/* Each later first-step choice runs until the sleeping task is all
		 * that is left: k blocked executions. */
		CHECK(r.stats.pruned == static_cast<std::uint64_t>(k));
	}
}

namespace {

/*
 * Each task writes its own variable, then takes the lock around `inner`
 * steps on a shared counter. Sequences allowed: task A's lock section ends
 * before B acquires, or the reverse. With inner = 0, A = a1 a2 a3 and
 * B = b1 b2 b3 (write, acquire, release): a3 < b2 leaves b1 free among the
 * 4 slots around a1 a2 a3 (4 schedules), and symmetrically (4): 8. With
 * inner = 1 (a1 a2 a3 a4), b1 has 5 slots: 10.
 */
struct LockProgram : Program {
	int inner;
	std::unique_ptr<TestLock> lock;
	int counter = 0;
	std::set<int> finals;

	explicit LockProgram(int n) : inner(n) {}
	void setUp(Execution &e) override
	{
		lock = std::make_unique<TestLock>(1, "L");
		counter = 0;
		for (int t = 0; t < 2; ++t)
			e.spawn("t" + std::to_string(t), [this, &e, t] {
				e.point({ObjectId(100 + t), kNoObject, AccessKind::Write, "own", nullptr});
				lock->lock(e, "lock");
				for (int i = 0; i < inner; ++i) {
					e.point({2, kNoObject, AccessKind::ReadModifyWrite, "inc", nullptr});
					++counter;
				}
				lock->unlock(e, "unlock");
			});
	}
	void atEnd(Execution &) override { finals.insert(counter); }
};

} // namespace

TEST_CASE("dfs: two tasks and one lock explore exactly the mutual-exclusion schedules", "[dfs]")
{
	LockProgram p0(0);
	auto r0 = run(p0, makeDfsStrategy());
	CHECK(r0.stats.complete == 8);
	LockProgram p1(1);
	auto r1 = run(p1, makeDfsStrategy());
	CHECK(r1.stats.complete == 10);
	CHECK(p1.finals == std::set<int>{2});
	CHECK_FALSE(r1.harmful.has_value());
}

TEST_CASE("sleep sets: one lock leaves two traces (who acquires first)", "[sleepset]")
{
	LockProgram p(1);
	auto r = run(p, makeSleepSetStrategy());
	CHECK(r.stats.exhausted);
	CHECK(r.stats.complete == 2);
}

TEST_CASE("dfs: ABBA deadlock is found and names both waiters", "[dfs][deadlock]")
{
	auto abba = makeAbba();
	Program &p = *abba;
	auto r = run(p, makeDfsStrategy());
	REQUIRE(r.harmful.has_value());
	CHECK(r.harmful->outcome == Outcome::Deadlock);
	CHECK(r.harmful->finding.invariant == "deadlock");
	CHECK_THAT(r.harmful->finding.message, Catch::Contains("cpu0 waits in lock B"));
	CHECK_THAT(r.harmful->finding.message, Catch::Contains("cpu1 waits in lock A"));
	/*
	 * DFS runs cpu0 to completion first, then backtracks from the deepest
	 * branch: preempting cpu0 after "unlock B" (no deadlock), then after
	 * "lock A", where cpu1 takes B: the third execution deadlocks.
	 */
	CHECK(r.stats.executions == 3);

	/* The saved schedule replays to the same deadlock. */
	ReplayStrategy replay(r.harmful->choices);
	auto rr = explore(p, replay, {});
	REQUIRE(rr.harmful.has_value());
	CHECK(rr.harmful->finding.message == r.harmful->finding.message);
	CHECK(replay.finish().empty());
}

TEST_CASE("step bound: a spin that never ends is reported as a possible livelock", "[bounds]")
{
	FnProgram p([](Execution &e) {
		e.spawn("spinner", [&e] {
			for (;;)
				e.point({7, kNoObject, AccessKind::Read, "spin: READ_ONCE(flag)", nullptr});
		});
	});
	ExploreOptions o;
	o.limits.maxSteps = 50;
	auto r = run(p, makeDfsStrategy(), o);
	REQUIRE(r.harmful.has_value());
	CHECK(r.harmful->outcome == Outcome::StepBound);
	CHECK(r.harmful->finding.invariant == "step-bound");
	CHECK_THAT(r.harmful->finding.message, Catch::Contains("spinner is at spin: READ_ONCE(flag)"));
}

TEST_CASE("choices: data choices are explored by DFS and logged", "[dfs]")
{
	std::set<std::uint32_t> seen;
	FnProgram p([&](Execution &e) {
		e.spawn("chooser", [&] {
			e.point({1, kNoObject, AccessKind::Write, "a", nullptr});
			seen.insert(e.choose(3));
			e.point({1, kNoObject, AccessKind::Write, "b", nullptr});
		});
	});
	auto r = run(p, makeDfsStrategy());
	CHECK(r.stats.complete == 3);
	CHECK(seen == std::set<std::uint32_t>{0, 1, 2});
}

namespace {

std::vector<ChoiceLog> randomLogs(std::uint64_t seed, int executions)
{
	std::vector<ChoiceLog> logs;
	struct Rec : Program {
		std::vector<ChoiceLog> *logs;
		void setUp(Execution &e) override
		{
			for (int t = 0; t < 3; ++t)
				e.spawn("t" + std::to_string(t), [&e, t] {
					for (int i = 0; i < 4; ++i)
						e.point({ObjectId(10 + t), kNoObject, AccessKind::Write, "w", nullptr});
					e.choose(5);
				});
		}
		void atEnd(Execution &e) override { logs->push_back(e.choices()); }
	} p;
	p.logs = &logs;
	auto s = makeRandomStrategy(seed);
	ExploreOptions o;
	o.maxExecutions = static_cast<std::uint64_t>(executions);
	explore(p, *s, o);
	return logs;
}

} // namespace

TEST_CASE("random: the same seed gives the same schedules", "[random]")
{
	auto a = randomLogs(42, 20);
	auto b = randomLogs(42, 20);
	REQUIRE(a.size() == 20);
	CHECK(a == b);
	auto c = randomLogs(43, 20);
	CHECK(a != c);
	/* Executions of one run differ from each other. */
	CHECK(std::set<ChoiceLog>(a.begin(), a.end()).size() > 10);
}

TEST_CASE("replay: a recorded schedule replays identically; a wrong one diverges", "[replay]")
{
	std::vector<ChoiceLog> logs;
	std::vector<int> finals;
	int x = 0;
	struct P : Program {
		int *x;
		std::vector<ChoiceLog> *logs;
		std::vector<int> *finals;
		void setUp(Execution &e) override
		{
			*x = 0;
			e.spawn("a", [this, &e] {
				e.point({1, kNoObject, AccessKind::Read, "read x", nullptr});
				int v = *x;
				e.point({1, kNoObject, AccessKind::Write, "write x", nullptr});
				*x = v + 1;
			});
			e.spawn("b", [this, &e] {
				e.point({1, kNoObject, AccessKind::Write, "x = 10", nullptr});
				*x = 10;
			});
		}
		void atEnd(Execution &e) override
		{
			logs->push_back(e.choices());
			finals->push_back(*x);
		}
	} p;
	p.x = &x;
	p.logs = &logs;
	p.finals = &finals;
	auto dfs = makeDfsStrategy();
	explore(p, *dfs, {});
	REQUIRE(logs.size() == 3);
	CHECK(std::set<int>(finals.begin(), finals.end()) == std::set<int>{1, 10, 11});

	const std::size_t recorded = logs.size();
	for (std::size_t i = 0; i < recorded; ++i) {
		std::string sched = encodeSchedule(logs[i]);
		std::string err;
		auto decoded = decodeSchedule(sched, &err);
		REQUIRE(decoded.has_value());
		ReplayStrategy replay(*decoded);
		std::size_t before = finals.size();
		explore(p, replay, {});
		CHECK(replay.finish().empty());
		REQUIRE(finals.size() == before + 1);
		CHECK(finals.back() == finals[i]);
		CHECK(logs.back() == logs[i]);
	}

	ReplayStrategy bad({{Choice::Kind::Task, 1, 0}, {Choice::Kind::Task, 1, 0}});
	auto r = explore(p, bad, {});
	CHECK(r.stats.stoppedBy == "diverged");
	CHECK_THAT(r.divergence, Catch::Contains("choice #1"));
	CHECK_THAT(r.divergence, Catch::Contains("recorded b but it is not enabled"));
}

TEST_CASE("schedule strings: encoding is compact and decoding rejects garbage", "[replay]")
{
	ChoiceLog log = {{Choice::Kind::Task, 0, 2}, {Choice::Kind::Task, 0, 2},
			 {Choice::Kind::Task, 1, 2}, {Choice::Kind::Value, 2, 3},
			 {Choice::Kind::Task, 0, 1}};
	CHECK(encodeSchedule(log) == "1:t0*2,t1,v2/3,t0");
	std::string err;
	auto back = decodeSchedule("1:t0*2,t1,v2/3,t0", &err);
	REQUIRE(back.has_value());
	REQUIRE(back->size() == 5);
	CHECK((*back)[3] == Choice{Choice::Kind::Value, 2, 3});
	CHECK_FALSE(decodeSchedule("2:t0", &err).has_value());
	CHECK_FALSE(decodeSchedule("1:x3", &err).has_value());
	CHECK_THAT(err, Catch::Contains("allowed"));
	CHECK_FALSE(decodeSchedule("1:v3/2", &err).has_value());
}

TEST_CASE("dpor: independent tasks need one execution, nothing pruned", "[dpor]")
{
	for (int k = 1; k <= 5; ++k) {
		FnProgram p([k](Execution &e) { independentSteps(e, k); });
		auto r = run(p, makeDporStrategy());
		INFO("k = " << k);
		CHECK(r.stats.exhausted);
		CHECK(r.stats.executions == 1);
		CHECK(r.stats.complete == 1);
	}
}

TEST_CASE("dpor: one lock gives both acquisition orders and the same final states as DFS",
	  "[dpor]")
{
	LockProgram p(1);
	auto r = run(p, makeDporStrategy());
	CHECK(r.stats.exhausted);
	CHECK(r.stats.complete == 2);
	/*
	 * Nothing pruned: the two increments conflict, but t1's increment comes
	 * after its acquisition, which happens after t0's release; that race
	 * is not reversible, the acquisitions' race is.
	 */
	CHECK(r.stats.pruned == 0);
	CHECK(p.finals == std::set<int>{2});
}

TEST_CASE("dpor: a lost update is found; final states match DFS", "[dpor]")
{
	/* Two unlocked increments: read then write each. Final x is 1 or 2. */
	struct Inc : Program {
		int x = 0;
		std::set<int> finals;
		void setUp(Execution &e) override
		{
			x = 0;
			for (int t = 0; t < 2; ++t)
				e.spawn("t" + std::to_string(t), [this, &e] {
					e.point({1, kNoObject, AccessKind::Read, "read x", nullptr});
					int v = x;
					e.point({1, kNoObject, AccessKind::Write, "write x", nullptr});
					x = v + 1;
				});
		}
		void atEnd(Execution &) override { finals.insert(x); }
	};
	Inc dfs, dpor;
	auto rd = run(dfs, makeDfsStrategy());
	auto rp = run(dpor, makeDporStrategy());
	CHECK(rd.stats.complete == 6);
	/* Traces: the order of the two reads does not matter, the rest does. */
	CHECK(rp.stats.complete == 4);
	CHECK(dpor.finals == dfs.finals);
	CHECK(dpor.finals == std::set<int>{1, 2});
}

TEST_CASE("dpor: ABBA deadlock is found", "[dpor][deadlock]")
{
	auto p = makeAbba();
	auto r = run(*p, makeDporStrategy());
	REQUIRE(r.harmful.has_value());
	CHECK(r.harmful->finding.invariant == "deadlock");
}

TEST_CASE("parallel: counts do not depend on the number of workers", "[parallel]")
{
	ProgramFactory indep = [] {
		return std::make_unique<FnProgram>([](Execution &e) { independentSteps(e, 4); });
	};
	ProgramFactory locked = [] { return std::make_unique<LockProgram>(1); };
	SubtreeStrategyFactory dfs = [](std::vector<Branch> p) { return makeDfsStrategy(std::move(p)); };
	SubtreeStrategyFactory sleep = [](std::vector<Branch> p) { return makeSleepSetStrategy(std::move(p)); };
	SubtreeStrategyFactory dpor = [](std::vector<Branch> p) { return makeDporStrategy(std::move(p)); };
	for (unsigned jobs : {1u, 2u, 3u}) {
		INFO("jobs " << jobs);
		/* Plain DFS split into subtrees still visits every interleaving. */
		auto d = exploreExhaustiveParallel(indep, dfs, true, {}, jobs);
		CHECK(d.stats.exhausted);
		CHECK(d.stats.complete == 70);
		CHECK(d.stats.executions == 70);
		/* Sleep sets and DPOR: one complete execution per trace. */
		auto s = exploreExhaustiveParallel(indep, sleep, false, {}, jobs);
		CHECK(s.stats.complete == 1);
		auto p = exploreExhaustiveParallel(locked, dpor, false, {}, jobs);
		CHECK(p.stats.exhausted);
		CHECK(p.stats.complete == 2);
		auto l = exploreExhaustiveParallel(locked, dfs, true, {}, jobs);
		CHECK(l.stats.complete == 10);
	}
}


TEST_CASE("parallel: the reported deadlock is the same for any number of workers", "[parallel]")
{
	ProgramFactory abba = makeAbba;
	SubtreeStrategyFactory dpor = [](std::vector<Branch> p) { return makeDporStrategy(std::move(p)); };
	auto one = exploreExhaustiveParallel(abba, dpor, false, {}, 1);
	REQUIRE(one.harmful.has_value());
	for (unsigned jobs : {2u, 3u}) {
		auto r = exploreExhaustiveParallel(abba, dpor, false, {}, jobs);
		REQUIRE(r.harmful.has_value());
		CHECK(r.harmful->choices == one.harmful->choices);
		CHECK(r.harmful->execution == one.harmful->execution);
		CHECK(r.stats.executions == one.stats.executions);
	}
}

TEST_CASE("parallel: random runs the same executions for any number of workers", "[parallel]")
{
	ProgramFactory indep = [] {
		return std::make_unique<FnProgram>([](Execution &e) { independentSteps(e, 3); });
	};
	ExploreOptions o;
	o.maxExecutions = 50;
	auto a = exploreRandomParallel(indep, 9, o, 1);
	auto b = exploreRandomParallel(indep, 9, o, 2);
	CHECK(a.stats.executions == 50);
	CHECK(b.stats.executions == 50);
	CHECK(a.stats.steps == b.stats.steps);
	/* The first deadlock (lowest execution index) and its schedule agree. */
	for (std::uint64_t seed : {1u, 2u, 3u}) {
		auto x = exploreRandomParallel(makeAbba, seed, o, 1);
		auto y = exploreRandomParallel(makeAbba, seed, o, 2);
		REQUIRE(x.harmful.has_value());
		REQUIRE(y.harmful.has_value());
		CHECK(x.harmful->execution == y.harmful->execution);
		CHECK(x.harmful->choices == y.harmful->choices);
		CHECK(x.stats.executions == y.stats.executions);
	}
}
