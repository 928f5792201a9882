/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lost-write oracle judged by linearisability (docs/checking.md) and
 * the RCU readers of pte_free_defer() with either TLB flush (docs/model.md):
 * library scenarios that once gave false alarms, and the real races the
 * same paths must still report.
 */
#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "checker/mm_program.hpp"
#include "scenarios/scenario.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
namespace fs = std::filesystem;

namespace
{

fs::path library(const std::string &name)
{
	const char *root = std::getenv("MMRACE_SOURCE_ROOT");
	return fs::path(root ? root : ".") / "scenarios" / "library" / (name + ".json");
}

scenarios::Scenario load(const std::string &name)
{
	auto r = scenarios::loadScenarioFile(library(name).string());
	if (auto *err = std::get_if<scenarios::LoadError>(&r))
		FAIL(err->format());
	return std::get<scenarios::Scenario>(std::move(r));
}

/* DPOR with the scenario's own guards (its preset and guards_off). */
ExploreResult run(const scenarios::Scenario &s)
{
	model::GuardSet guards;
	REQUIRE(
	    model::GuardSet::build(s.preset.empty() ? "mainline" : s.preset, s.guardsOff, guards)
		.empty());
	checker::MmProgram program(s, guards);
	auto strat = makeDporStrategy();
	return explore(program, *strat, {});
}

std::string harmful(const ExploreResult &r)
{
	return r.harmful ? r.harmful->finding.invariant + ": " + r.harmful->finding.title : "";
}

} // namespace

TEST_CASE("lost-write: a store through a stale translation of a move's source is linearised "
	  "before the move",
	  "[oracle][lost-write]")
{
	/* Reclaim's deferred flush leaves the user's translation of 0x100000
	 * alive while mremap moves G's swap entry to 0x300000: the store lands
	 * in G after the move's ghost point and 0x300000 reads it. The oracle
	 * that put the move before the store reported a lost-write here. */
	auto r = run(load("lost-write-mremap-stale-tlb-store-mainline"));
	INFO(harmful(r));
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.stats.exhausted);
}

TEST_CASE("lost-write: a store forwarded to a move's destination is still checked",
	  "[oracle][lost-write]")
{
	/* Without the flush before pageout() the forwarded store reaches G
	 * after its data went to the device: 0x300000 reads the old data. */
	auto r = run(load("lost-write-mremap-stale-tlb-store-flush-before-io-off"));
	REQUIRE(r.harmful.has_value());
	CHECK(r.harmful->finding.invariant == "lost-write");
	CHECK_THAT(r.harmful->finding.title, Catch::Contains("0x300000"));
}
