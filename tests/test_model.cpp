/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The first model slice under the checkers: Seed E both ways, each guard's
 * necessity, and lock discipline. Counts are exact so that a change in the
 * model's steps or in the reduction is noticed.
 */
#include <catch2/catch.hpp>

#include "checker/mm_program.hpp"
#include "model_fixtures.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/dfs.hpp"

using namespace mmrace;

namespace {

struct Run {
	ExploreResult result;
	bool harmful(const char *id) const
	{
		return result.harmful && result.harmful->finding.invariant == id;
	}
	bool benign(const char *id) const
	{
		for (const auto &c : result.benign)
			if (c.finding.invariant == id)
				return true;
		return false;
	}
};

Run check(const scenarios::Scenario &s, const std::string &preset,
	  std::vector<std::string> off = {}, const char *strategy = "sleepset")
{
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build(preset, off, guards).empty());
	checker::MmProgram program(s, guards);
	auto strat = std::string(strategy) == "dfs" ? makeDfsStrategy() : makeSleepSetStrategy();
	Run r{explore(program, *strat, {})};
	if (r.result.harmful)
		WARN(r.result.harmful->finding.title << "\n" << r.result.harmful->finding.message);
	return r;
}

} // namespace

TEST_CASE("seed E: every guard on is clean", "[model][seed-e]")
{
	auto r = check(testing::seedE(), "mainline");
	CHECK(r.result.stats.exhausted);
	CHECK_FALSE(r.result.harmful.has_value());
	CHECK(r.result.benign.empty());
}

TEST_CASE("seed E: the Seed E scheme (folio lock, no anon_vma lock, no recheck) is clean",
	  "[model][seed-e]")
{
	auto r = check(testing::seedE(), "seed-e");
	CHECK(r.result.stats.exhausted);
	CHECK_FALSE(r.result.harmful.has_value());
	CHECK(r.result.benign.empty());
}

TEST_CASE("seed E: the pre-Seed-E scheme has only the benign index window", "[model][seed-e]")
{
	auto r = check(testing::seedE(), "pre-seed-e");
	CHECK(r.result.stats.exhausted);
	CHECK_FALSE(r.result.harmful.has_value());
	CHECK(r.benign("rmap-walk-stable"));
}

TEST_CASE("seed E: without the anon_vma write lock and the recheck, the walk is unprotected",
	  "[model][seed-e]")
{
	auto both = check(testing::seedE(), "pre-seed-e",
			  {"uffd_move.anon_vma_write_lock", "folio_lock_anon_vma_read.recheck_mapping"});
	CHECK(both.harmful("rmap-walk-lock"));
	/* Each of the two is needed on its own. */
	CHECK(check(testing::seedE(), "pre-seed-e", {"uffd_move.anon_vma_write_lock"})
		      .harmful("rmap-walk-lock"));
	CHECK(check(testing::seedE(), "pre-seed-e", {"folio_lock_anon_vma_read.recheck_mapping"})
		      .harmful("rmap-walk-lock"));
}

TEST_CASE("uffdio_move: lock discipline guards", "[model][discipline]")
{
	CHECK(check(testing::seedE(), "mainline", {"uffd_move.folio_lock"})
		      .harmful("folio-mapping-unlocked"));
	CHECK(check(testing::seedE(), "mainline", {"uffd_move.double_pt_lock"})
		      .harmful("pte-unlocked"));
	CHECK(check(testing::seedE(), "mainline", {"uffd_move.trylock_under_ptl"})
		      .harmful("sleep-in-atomic"));
}
