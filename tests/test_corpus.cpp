/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scenario corpus end to end, through the same runner the CLI uses:
 * every scenario meets its expectation; with every guard on (mainline) none
 * shows a harmful violation; a violation's trace replays to the same report.
 */
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "cli/runner.hpp"
#include "scenarios/scenario.hpp"

using namespace mmrace;
namespace fs = std::filesystem;

namespace {

fs::path sourceRoot()
{
	const char *root = std::getenv("MMRACE_SOURCE_ROOT");
	return root ? fs::path(root) : fs::current_path();
}

/*
 * ASan builds switch fibers through ucontext (a system call a switch, tens of
 * microseconds a step): the large scenarios run there only through the
 * check-library test, once.
 */
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kLargeCases = false;
#else
constexpr bool kLargeCases = true;
#endif

std::vector<fs::path> library()
{
	std::vector<fs::path> files;
	for (const auto &e : fs::directory_iterator(sourceRoot() / "scenarios" / "library"))
		if (e.path().extension() == ".json" &&
		    (kLargeCases || e.path().stem() != "seed-e-two-folios"))
			files.push_back(e.path());
	std::sort(files.begin(), files.end());
	return files;
}

scenarios::Scenario load(const fs::path &p)
{
	auto r = scenarios::loadScenarioFile(p.string());
	if (auto *err = std::get_if<scenarios::LoadError>(&r))
		FAIL(err->format());
	return std::get<scenarios::Scenario>(std::move(r));
}

} // namespace

TEST_CASE("corpus: the library has the seed scenarios", "[corpus]")
{
	auto files = library();
	CHECK(files.size() >= 4);
	for (const char *name : {"seed-e-unprotected", "seed-e-pre-mainline", "seed-e-scheme",
				 "abba-folio-anon-vma"})
		CHECK(std::any_of(files.begin(), files.end(),
				  [&](const fs::path &p) { return p.stem() == name; }));
}

TEST_CASE("corpus: mainline (every guard on) shows no harmful violation anywhere", "[corpus][mainline]")
{
	for (const auto &file : library()) {
		auto sc = load(file);
		bool selftest = std::all_of(sc.threads.begin(), sc.threads.end(), [](const auto &t) {
			return std::all_of(t.ops.begin(), t.ops.end(),
					   [](const auto &op) { return op.op == "lock_sequence"; });
		});
		if (selftest)
			continue;	/* lockdep selftest threads: no kernel operation, no guard */
		cli::RunOptions o;
		o.preset = "mainline";
		auto run = cli::runScenario(sc, o);
		INFO(file.filename().string() << ": " << run.result.stats.executions << " executions");
		CHECK(run.result.stats.exhausted);
		CHECK_FALSE(run.result.harmful.has_value());
	}
}

TEST_CASE("corpus: a violation's trace replays to the same report", "[corpus][replay]")
{
	for (const char *name : {"seed-e-unprotected", "abba-folio-anon-vma", "seed-e-pre-mainline"}) {
		auto sc = load(sourceRoot() / "scenarios" / "library" / (std::string(name) + ".json"));
		auto run = cli::runScenario(sc, {});
		const traces::Trace &t = run.harmfulTrace ? *run.harmfulTrace : run.benignTraces.at(0);
		fs::path tmp = fs::temp_directory_path() / (std::string("mmrace-test-") + name + ".trace.json");
		REQUIRE(traces::saveTrace(t, tmp.string()).empty());
		auto loaded = traces::loadTrace(tmp.string());
		REQUIRE(std::holds_alternative<traces::Trace>(loaded));
		const auto &back = std::get<traces::Trace>(loaded);
		CHECK(traces::traceToJson(back) == traces::traceToJson(t));
		auto replay = cli::replayTrace(back);
		INFO(name << ": " << replay.divergence);
		CHECK(replay.reproduced);
		CHECK(traces::renderViolation(replay.rerun.violation) == traces::renderViolation(t.violation));
		CHECK(traces::renderRaceDiagram(replay.rerun) == traces::renderRaceDiagram(t));
		fs::remove(tmp);
	}
}

TEST_CASE("replay: a tampered schedule is reported as a divergence, not a pass", "[replay]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "seed-e-unprotected.json");
	auto run = cli::runScenario(sc, {});
	REQUIRE(run.harmfulTrace);
	traces::Trace t = *run.harmfulTrace;
	/* Let the mover run first: the recorded interleaving cannot happen. */
	for (Choice &c : t.choices)
		if (c.kind == Choice::Kind::Task)
			c.value = 0;
	auto replay = cli::replayTrace(t);
	CHECK_FALSE(replay.reproduced);
	CHECK_FALSE(replay.divergence.empty());
}

namespace {

std::string verdict(const cli::ScenarioRun &r)
{
	std::string v = r.result.harmful ? "harmful " + r.result.harmful->finding.invariant : "clean";
	for (const auto &b : r.result.benign)
		v += " benign " + b.finding.invariant;
	return v;
}

} // namespace

TEST_CASE("corpus: dpor, dpor on 2 workers and sleep sets give the same verdicts", "[corpus][parallel]")
{
	for (const auto &file : library()) {
		auto sc = load(file);
		cli::RunOptions dpor1, dpor2, sleep;
		dpor1.strategy = dpor2.strategy = "dpor";
		dpor1.jobs = 1;
		dpor2.jobs = 2;
		sleep.strategy = "sleepset";
		sleep.jobs = 1;
		auto a = cli::runScenario(sc, dpor1);
		auto b = cli::runScenario(sc, dpor2);
		auto c = cli::runScenario(sc, sleep);
		INFO(file.filename().string());
		CHECK(verdict(a) == verdict(b));
		CHECK(verdict(a) == verdict(c));
		/* Exhaustive counts do not depend on the number of workers. */
		CHECK(a.result.stats.executions == b.result.stats.executions);
		CHECK(a.result.stats.complete == b.result.stats.complete);
		if (a.result.stats.exhausted)
			CHECK(a.result.stats.complete == c.result.stats.complete);
	}
}

TEST_CASE("corpus: bound 2 and PCT depth 2 find Seed E", "[corpus][bounded][pct]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "seed-e-unprotected.json");
	cli::RunOptions bounded;
	bounded.strategy = "dfs";
	bounded.preemptionBound = 2;
	auto r = cli::runScenario(sc, bounded);
	REQUIRE(r.result.harmful.has_value());
	CHECK(r.result.harmful->finding.invariant == "rmap-walk-lock");
	/* Bound 0 runs each thread alone: no race. */
	bounded.preemptionBound = 0;
	CHECK_FALSE(cli::runScenario(sc, bounded).result.harmful.has_value());

	for (std::uint64_t seed = 1; seed <= 20; ++seed) {
		cli::RunOptions pct;
		pct.strategy = "pct";
		pct.depth = 2;
		pct.seed = seed;
		pct.maxExecutions = 1000;
		auto p = cli::runScenario(sc, pct);
		INFO("seed " << seed);
		REQUIRE(p.result.harmful.has_value());
		CHECK(p.result.harmful->finding.invariant == "rmap-walk-lock");
		/* Its trace replays. */
		CHECK(cli::replayTrace(*p.harmfulTrace).reproduced);
	}
}

TEST_CASE("corpus: --shard K/N splits a run into shares that add up", "[corpus][parallel]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "seed-e-pre-mainline.json");
	cli::RunOptions whole;
	whole.jobs = 1;
	auto all = cli::runScenario(sc, whole);
	REQUIRE(all.result.stats.exhausted);
	std::uint64_t executions = 0, complete = 0;
	for (unsigned k = 0; k < 3; ++k) {
		cli::RunOptions part;
		part.jobs = 2;
		part.shardIndex = k;
		part.shardCount = 3;
		auto r = cli::runScenario(sc, part);
		CHECK(r.result.stats.exhausted);
		CHECK_FALSE(r.result.harmful.has_value());
		executions += r.result.stats.executions;
		complete += r.result.stats.complete;
	}
	CHECK(executions == all.result.stats.executions);
	CHECK(complete == all.result.stats.complete);
}
