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
#include <set>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "cli/runner.hpp"
#include "model/registry.hpp"
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

/* Scenarios whose sleep-set (or, bounded, dpor) exploration takes 10^6-10^7
 * steps or more. */
bool large(const fs::path &p)
{
	return p.stem() == "seed-e-two-folios" || p.stem() == "uffd-move-two-movers-reclaim" ||
	       p.stem() == "seed-a1p-undo-held-folios-vs-migrate-reclaim-mainline" ||
	       p.stem() == "dma-vs-gup-migrate-munmap-mainline";
}

std::vector<fs::path> library()
{
	std::vector<fs::path> files;
	for (const auto &e : fs::directory_iterator(sourceRoot() / "scenarios" / "library"))
		if (e.path().extension() == ".json" && (kLargeCases || !large(e.path())))
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

TEST_CASE("corpus: every violation's trace replays to the same report", "[corpus][replay]")
{
	int replayed = 0;
	for (const auto &file : library()) {
		auto sc = load(file);
		if (sc.expect.kind != scenarios::ExpectSpec::Kind::Violation)
			continue;
		std::string name = file.stem().string();
		auto run = cli::runScenario(sc, {});
		REQUIRE((run.harmfulTrace || !run.benignTraces.empty()));
		++replayed;
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
	CHECK(replayed >= 35);
}

TEST_CASE("corpus: a minimised trace is no larger than the original and replays to the same "
	  "violation",
	  "[corpus][minimize]")
{
	int n = 0, smaller = 0;
	for (const auto &file : library()) {
		auto sc = load(file);
		if (sc.expect.kind != scenarios::ExpectSpec::Kind::Violation)
			continue;
		std::string name = file.stem().string();
		INFO(name);
		cli::RunOptions plain;
		plain.minimize = false;
		auto a = cli::runScenario(sc, plain);
		auto b = cli::runScenario(sc, {});
		REQUIRE((a.harmfulTrace || !a.benignTraces.empty()));
		REQUIRE((b.harmfulTrace || !b.benignTraces.empty()));
		const traces::Trace &ta = a.harmfulTrace ? *a.harmfulTrace : a.benignTraces.at(0);
		const traces::Trace &tb = b.harmfulTrace ? *b.harmfulTrace : b.benignTraces.at(0);
		CHECK_FALSE(ta.minimized);
		REQUIRE(tb.minimized);
		CHECK(tb.originalChoices == ta.choices);
		CHECK(tb.originalSteps == ta.steps.size());
		CHECK(tb.minimizedSteps == tb.steps.size());
		CHECK(tb.minimizedSteps <= tb.originalSteps);
		CHECK(tb.minimizedPreemptions <= tb.originalPreemptions);
		CHECK(tb.violation.invariant == ta.violation.invariant);
		CHECK(tb.violation.severity == ta.violation.severity);
		auto replay = cli::replayTrace(tb);
		INFO(replay.divergence);
		CHECK(replay.reproduced);
		CHECK(replay.rerun.violation.invariant == ta.violation.invariant);
		++n;
		smaller += tb.minimizedSteps < tb.originalSteps ||
			   tb.minimizedPreemptions < tb.originalPreemptions;
	}
	CHECK(n >= 35);
	CHECK(smaller > 0);
}

TEST_CASE("trace: a trace written before minimisation existed still loads", "[minimize]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "seed-e-unprotected.json");
	auto run = cli::runScenario(sc, {});
	REQUIRE(run.harmfulTrace);
	std::string text = traces::traceToJson(*run.harmfulTrace);
	auto j = nlohmann::json::parse(text);
	REQUIRE(j.contains("minimized"));
	j.erase("minimized");
	auto old = traces::traceFromJson(j.dump(), "old.trace.json");
	REQUIRE(std::holds_alternative<traces::Trace>(old));
	CHECK_FALSE(std::get<traces::Trace>(old).minimized);
	CHECK(cli::replayTrace(std::get<traces::Trace>(old)).reproduced);
}

TEST_CASE("corpus: every rendering of every violation trace names its objects and fits 100 "
	  "columns",
	  "[corpus][render]")
{
	::setenv("COLUMNS", "100", 1);
	int n = 0;
	for (const auto &file : library()) {
		auto sc = load(file);
		if (sc.expect.kind != scenarios::ExpectSpec::Kind::Violation)
			continue;
		INFO(file.stem().string());
		auto run = cli::runScenario(sc, {});
		std::vector<traces::Trace> all = run.benignTraces;
		if (run.harmfulTrace)
			all.push_back(*run.harmfulTrace);
		REQUIRE_FALSE(all.empty());
		for (const traces::Trace &t : all) {
			std::string report = traces::renderReport(t);
			std::string diagram = traces::renderRaceDiagram(t);
			std::string locks = traces::renderLocks(t);
			CHECK(report.find('?') == std::string::npos);
			CHECK(diagram.find('?') == std::string::npos);
			CHECK(locks.find('?') == std::string::npos);
			CHECK(report.find("CPU0 (") != std::string::npos);
			CHECK(report.find("initial state:") != std::string::npos);
			CHECK_FALSE(traces::raceSteps(t).empty());
			std::string fitted =
			    traces::renderRaceSummary(t) + traces::renderInitialState(t) + diagram;
			std::size_t from = 0;
			while (from < fitted.size()) {
				std::size_t nl = fitted.find('\n', from);
				std::string line = fitted.substr(from, nl - from);
				INFO(line);
				CHECK(line.size() <= 100);
				from = nl + 1;
			}
			++n;
		}
	}
	::unsetenv("COLUMNS");
	CHECK(n >= 35);
}

TEST_CASE("render: the diagram wraps at word boundaries and never splits an identifier", "[render]")
{
	traces::Trace t;
	t.threads = {"a", "b", "c"};
	t.steps.push_back({0,
			   "a",
			   "move_page_tables_with_a_long_name",
			   "pte_offset_map_rw_nolock(new_pmd) then some words of explanation",
			   "read pte(0x1000)",
			   {}});
	t.steps.push_back({1, "c", "f", "x", "write pte(0x1000)", {}});
	::setenv("COLUMNS", "80", 1);
	std::string d = traces::renderRaceDiagram(t);
	::unsetenv("COLUMNS");
	for (const char *word :
	     {"move_page_tables_with_a_long_name:", "pte_offset_map_rw_nolock(", "explanation"})
		CHECK(d.find(word) != std::string::npos);
	std::size_t from = 0;
	while (from < d.size()) {
		std::size_t nl = d.find('\n', from);
		std::string line = d.substr(from, nl - from);
		/* only the identifier longer than a column may overflow */
		if (line.find("move_page_tables_with_a_long_name") == std::string::npos)
			CHECK(line.size() <= 80);
		from = nl + 1;
	}
}

TEST_CASE("corpus: max-executions N runs N executions on 1 or 2 workers",
	  "[corpus][parallel]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "seed-e-mainline.json");
	for (unsigned jobs : {1u, 2u}) {
		cli::RunOptions o;
		o.maxExecutions = 5;
		o.jobs = jobs;
		auto r = cli::runScenario(sc, o);
		INFO(jobs << " jobs");
		CHECK(r.result.stats.executions == 5);
		CHECK(r.result.stats.complete + r.result.stats.pruned <= r.result.stats.executions);
	}
}

TEST_CASE("corpus: keep-going reports each distinct race once, with a trace that replays",
	  "[corpus][keep-going]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "seed-e-unprotected.json");
	CHECK(cli::runScenario(sc, {}).moreHarmfulTraces.empty());
	std::size_t count = 0;
	for (unsigned jobs : {1u, 2u}) {
		cli::RunOptions o;
		o.keepGoing = true;
		o.jobs = jobs;
		auto r = cli::runScenario(sc, o);
		INFO(jobs << " jobs");
		REQUIRE(r.harmfulTrace);
		CHECK(r.result.stats.exhausted);
		std::vector<traces::Trace> all{*r.harmfulTrace};
		all.insert(all.end(), r.moreHarmfulTraces.begin(), r.moreHarmfulTraces.end());
		CHECK(all.size() == 3);
		if (jobs == 1)
			count = all.size();
		CHECK(all.size() == count);
		std::set<std::vector<std::string>> races;
		for (const traces::Trace &t : all) {
			std::vector<std::string> labels;
			for (const auto &ref : t.violation.steps)
				labels.push_back(ref.what);
			std::sort(labels.begin(), labels.end());
			races.insert(labels);
			CHECK(t.violation.invariant == "rmap-walk-lock");
			CHECK(cli::replayTrace(t).reproduced);
		}
		CHECK(races.size() == all.size());
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


/*
 * Sleep sets' complete executions (one per trace) on the scenarios where
 * they take seconds (large()), pinned. Before race analysis handled
 * blocking, dpor found 7335 of the two movers' traces, optimal 21687 and
 * 23374 of seed-e-two-folios' under seed-e and mainline.
 */
struct PinnedTraces {
	const char *file;
	const char *preset;
	std::uint64_t traces;
};
constexpr PinnedTraces kPinnedTraces[] = {
    {"uffd-move-two-movers-reclaim", "mainline", 7410},
    {"seed-e-two-folios", "mainline", 23482},
    {"seed-e-two-folios", "seed-e", 21750},
};

} // namespace

TEST_CASE("corpus: dpor, dpor on 2 workers, optimal and sleep sets give the same verdicts",
	  "[corpus][parallel]")
{
	for (const auto &file : library()) {
		auto sc = load(file);
		cli::RunOptions dpor1, dpor2, optimal, sleep;
		dpor1.strategy = dpor2.strategy = "dpor";
		dpor1.jobs = 1;
		dpor2.jobs = 2;
		optimal.strategy = "optimal";
		optimal.jobs = 2;
		sleep.strategy = "sleepset";
		sleep.jobs = 1;
		auto a = cli::runScenario(sc, dpor1);
		auto b = cli::runScenario(sc, dpor2);
		INFO(file.filename().string());
		CHECK(verdict(a) == verdict(b));
		if (sc.explore.preemptionBound) {
			/* Bounded POR runs on one worker; optimal and sleep sets
			 * would explore the unbounded space. Bounded POR against
			 * bounded DFS is tested on random programs
			 * (test_strategies) and below. */
			CHECK(a.strategy.rfind("bounded-por", 0) == 0);
			CHECK(a.result.stats.executions == b.result.stats.executions);
			continue;
		}
		auto d = cli::runScenario(sc, optimal);
		CHECK(verdict(a) == verdict(d));
		/* Exhaustive counts do not depend on the number of workers. */
		CHECK(a.result.stats.executions == b.result.stats.executions);
		CHECK(a.result.stats.complete == b.result.stats.complete);
		/* One complete execution per trace, whichever the reduction. */
		if (a.result.stats.exhausted)
			CHECK(a.result.stats.complete == d.result.stats.complete);
		if (large(file)) {
			/* Sleep sets take seconds here: their count is pinned. */
			for (const PinnedTraces &p : kPinnedTraces)
				if (file.stem() == p.file && sc.preset == p.preset)
					CHECK(a.result.stats.complete == p.traces);
			continue;
		}
		auto c = cli::runScenario(sc, sleep);
		CHECK(verdict(a) == verdict(c));
		if (a.result.stats.exhausted)
			CHECK(a.result.stats.complete == c.result.stats.complete);
	}
}

/*
 * Every guard earns its place: some library scenario switches it off (with
 * whatever else it needs off) and finds a harmful violation (its expectation,
 * checked above), and the same scenario with only that guard back on is
 * clean. A guard nothing can witness would be a protective step the model
 * never needs, or a race the library does not show.
 */
TEST_CASE("registry: every guard names the kernel file and function it sits in",
	  "[corpus][registry]")
{
	for (const model::GuardInfo &g : model::allGuards()) {
		INFO("guard " << g.name);
		REQUIRE(g.file != nullptr);
		const std::string file = g.file, where = g.where;
		CHECK((file.rfind("mm/", 0) == 0 || file.rfind("include/linux/", 0) == 0));
		REQUIRE(file.size() > 2);
		const std::string ext = file.substr(file.size() - 2);
		CHECK((ext == ".c" || ext == ".h"));
		CHECK(where.find('(') != std::string::npos);
	}
}

TEST_CASE("corpus: every guard has a witness pair", "[corpus][witness]")
{
	std::vector<std::pair<fs::path, scenarios::Scenario>> witnesses;
	for (const auto &file : library()) {
		auto sc = load(file);
		if (!sc.guardsOff.empty() && sc.expect.kind == scenarios::ExpectSpec::Kind::Violation &&
		    sc.expect.severity != "benign")
			witnesses.emplace_back(file, std::move(sc));
	}
	int guards = 0;
	for (const model::GuardInfo &g : model::allGuards()) {
		INFO("guard " << g.name);
		auto it = std::find_if(witnesses.begin(), witnesses.end(), [&](const auto &w) {
			const auto &off = w.second.guardsOff;
			return std::find(off.begin(), off.end(), g.name) != off.end();
		});
		REQUIRE(it != witnesses.end());
		const scenarios::Scenario &sc = it->second;
		INFO("witness " << it->first.filename().string());
		cli::RunOptions on;
		on.preset = sc.preset.empty() ? "mainline" : sc.preset;
		std::vector<std::string> off;
		for (const std::string &o : sc.guardsOff)
			if (o != g.name)
				off.push_back(o);
		on.guardsOff = off;
		auto run = cli::runScenario(sc, on);
		CHECK(run.result.stats.exhausted);
		CHECK_FALSE(run.result.harmful.has_value());
		/* and the clean run is clean because the check ran, not vacuously */
		const auto &reached = run.coverage.reached;
		CHECK(std::find(reached.begin(), reached.end(), g.name) != reached.end());
		++guards;
	}
	CHECK(guards == static_cast<int>(model::allGuards().size()));
}

/*
 * Plain DFS is exponential and exhausts only the smallest scenarios; where it
 * does, or where it finds a violation within its budget, its verdict must be
 * dpor's. (Sleep sets above cover the rest: they explore every trace too.)
 */
TEST_CASE("corpus: where plain DFS finishes, it gives dpor's verdict", "[corpus][dfs]")
{
	const std::uint64_t budget = kLargeCases ? 3000 : 300;
	int compared = 0;
	for (const auto &file : library()) {
		auto sc = load(file);
		cli::RunOptions dfs, dpor;
		dfs.strategy = "dfs";
		dfs.jobs = 1;
		dfs.maxExecutions = budget;
		dpor.strategy = "dpor";
		dpor.jobs = 1;
		auto a = cli::runScenario(sc, dfs);
		if (!a.result.stats.exhausted && !a.result.harmful)
			continue;
		auto b = cli::runScenario(sc, dpor);
		INFO(file.filename().string());
		if (a.result.harmful) {
			/* DFS stops at the first harmful violation; benign ones may
			 * not have been reached yet. */
			REQUIRE(b.result.harmful.has_value());
			CHECK(a.result.harmful->finding.invariant == b.result.harmful->finding.invariant);
		} else {
			CHECK(verdict(a) == verdict(b));
		}
		++compared;
	}
	/* Witnesses DFS reaches quickly plus the tiny scenarios. */
	CHECK(compared >= (kLargeCases ? 15 : 8));
}

TEST_CASE("corpus: dpor and optimal explore every trace, where they once missed some",
	  "[corpus][dpor][optimal]")
{
	if (!kLargeCases)
		return; /* 10^6 steps a run */
	for (const PinnedTraces &c : kPinnedTraces) {
		auto sc = load(sourceRoot() / "scenarios" / "library" / (std::string(c.file) + ".json"));
		if (sc.preset == c.preset)
			continue; /* the test above ran it */
		for (const char *strategy : {"dpor", "optimal"}) {
			cli::RunOptions o;
			o.strategy = strategy;
			o.preset = c.preset;
			o.jobs = 2;
			auto r = cli::runScenario(sc, o);
			INFO(c.file << " (" << c.preset << "), " << strategy);
			CHECK(r.result.stats.exhausted);
			CHECK(r.result.stats.complete == c.traces);
		}
	}
	/* The pins are sleep sets' counts (checked on the smallest). */
	const PinnedTraces &c = kPinnedTraces[0];
	auto sc = load(sourceRoot() / "scenarios" / "library" / (std::string(c.file) + ".json"));
	cli::RunOptions sleep;
	sleep.strategy = "sleepset";
	sleep.preset = c.preset;
	CHECK(cli::runScenario(sc, sleep).result.stats.complete == c.traces);
}

TEST_CASE("corpus: bound 2 (bounded DFS and bounded POR) and PCT depth 2 find Seed E",
	  "[corpus][bounded][pct]")
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

	/* Bounded POR (dpor with a bound) finds it too, in no more executions. */
	cli::RunOptions por;
	por.strategy = "dpor";
	por.preemptionBound = 2;
	auto pr = cli::runScenario(sc, por);
	REQUIRE(pr.result.harmful.has_value());
	CHECK(pr.result.harmful->finding.invariant == "rmap-walk-lock");
	CHECK(pr.result.stats.executions <= r.result.stats.executions);
	CHECK(pr.strategy == "bounded-por(preemption bound 0..2)");
	CHECK(cli::replayTrace(*pr.harmfulTrace).reproduced);
	por.preemptionBound = 0;
	CHECK_FALSE(cli::runScenario(sc, por).result.harmful.has_value());
	/* Bound 2 on the mainline twin: clean, with fewer executions than bounded DFS. */
	auto mainline = load(sourceRoot() / "scenarios" / "library" / "seed-e-mainline.json");
	por.preemptionBound = bounded.preemptionBound = 2;
	auto pm = cli::runScenario(mainline, por);
	auto dm = cli::runScenario(mainline, bounded);
	CHECK(pm.result.stats.exhausted);
	CHECK_FALSE(pm.result.harmful.has_value());
	CHECK(pm.result.stats.executions < dm.result.stats.executions);

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

/* guards-audit: the coverage a run records */
TEST_CASE("coverage: a run names the switched-off guards it never reached", "[corpus][coverage]")
{
	auto sc = load(sourceRoot() / "scenarios" / "library" / "gup-pte-recheck-off.json");
	auto witness = cli::runScenario(sc, {});
	REQUIRE(witness.result.harmful);
	CHECK(witness.coverage.offReached == std::vector<std::string>{"gup_fast.pte_recheck"});
	CHECK(witness.coverage.offNotReached.empty());
	CHECK(witness.coverage.endStatesChecked >= 1);
	REQUIRE(witness.harmfulTrace);
	CHECK(witness.harmfulTrace->coverage.recorded);
	CHECK(witness.harmfulTrace->coverage.guardsOffReached == witness.coverage.offReached);

	cli::RunOptions o;
	o.guardsOff = std::vector<std::string>{"gup_fast.pte_recheck", "migrate.expected_refcount",
					       "uffd_move.pte_same"};
	for (unsigned jobs : {1u, 2u}) {
		o.jobs = jobs;
		auto run = cli::runScenario(sc, o);
		INFO(jobs << " jobs");
		/* uffd_move.pte_same is reached (the mover runs), migration never */
		CHECK(run.coverage.offReached ==
		      std::vector<std::string>{"uffd_move.pte_same", "gup_fast.pte_recheck"});
		CHECK(run.coverage.offNotReached == std::vector<std::string>{"migrate.expected_refcount"});
		REQUIRE(run.harmfulTrace);
		CHECK(run.harmfulTrace->coverage.guardsOffNotReached ==
		      std::vector<std::string>{"migrate.expected_refcount"});
	}
}
