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

std::vector<fs::path> library()
{
	std::vector<fs::path> files;
	for (const auto &e : fs::directory_iterator(sourceRoot() / "scenarios" / "library"))
		if (e.path().extension() == ".json")
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
		if (sc.threads.size() == 2 && sc.threads[0].ops[0].op == "lock_sequence")
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
