/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MREMAP_RELOCATE_ANON one thread at a time: the folios move to the new
 * VMA's fresh anon_vma (mapping, index) and rmap still finds them; a failed
 * forward pass (a large folio) is undone and the move falls back to a plain
 * one; a VMA whose anon_vma a fork shares is not relocated.
 */
#include <catch2/catch.hpp>

#include "model_fixtures.hpp"
#include "op_builders.hpp"
#include "checker/mm_program.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
using namespace mmrace::testing;

namespace
{

scenarios::OpSpec relocateOp(std::uint64_t old, std::uint64_t len, std::uint64_t to)
{
	return op("mremap",
		  {num("old", old), num("old_len", len), num("new_len", len), flag("maymove", true),
		   flag("fixed", true), num("new_addr", to), flag("relocate_anon", true)});
}

scenarios::PageSpec largePage(std::uint64_t at, const char *folio)
{
	scenarios::PageSpec p = page(at, folio);
	p.large = true;
	return p;
}

} // namespace

TEST_CASE("RELOCATE_ANON moves the data and re-homes the folios on a fresh anon_vma",
	  "[relocate][sequential]")
{
	for (const char *preset : {"", "relocate_anon:v1-posted"}) {
		INFO("preset " << preset);
		scenarios::Scenario s;
		s.name = "relocate-sequential";
		s.anonVmas = {{"A", "A"}};
		s.vmas = {{"v", 0x100000, 2, "A", {}}};
		s.pages = {page(0x100000, "F"), page(0x101000, "G")};
		s.threads = {{"t",
			      {relocateOp(0x100000, 0x2000, 0x303000),
			       op("folio_referenced", {text("folio", "F")}),
			       op("migrate", {text("folio", "G")})}}};
		ExploreResult r;
		auto p = runAlone(s, r, preset);
		if (*preset) {
			/* the posted folio_lock() under the PTL */
			REQUIRE(r.harmful.has_value());
			CHECK(r.harmful->finding.invariant == "sleep-in-atomic");
			continue;
		}
		REQUIRE(r.stats.complete == 1);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		CHECK(w.results.at(0).value == 0x303000);
		CHECK(w.results.at(1).value == 1); /* folio_referenced found F's PTE */
		CHECK(w.results.at(2).value == 0); /* migrated: rmap found G and restored it */
		REQUIRE(w.vmas.size() == 2);
		const model::Vma &nv = w.vmas.at(1);
		CHECK(w.vmas.at(0).detached);
		CHECK(nv.start == 0x303000);
		CHECK(nv.pgoff == 0x303); /* a fresh mapping's pgoff: addr >> PAGE_SHIFT */
		REQUIRE(w.anonVmas.size() == 2);
		CHECK(nv.anonVma == 1);
		CHECK(w.anonVmas.at(1).root == 1);
		CHECK(w.anonVmas.at(1).vmas == std::vector<model::VmaIdx>{1});
		CHECK(w.anonVmas.at(0).vmas.empty()); /* the old VMA left A */
		const model::Folio &f = w.folios.at(0);
		CHECK(f.mapping == 1);
		CHECK(f.index == 0x303);
		CHECK(pteAt(w, 0x303000).mapsFolio(0));
		/* G was migrated after the move: its replacement has the new identity */
		const model::Pte &g = pteAt(w, 0x304000);
		REQUIRE(g.present());
		CHECK(w.folios.at(g.folio).mapping == 1);
		CHECK(w.folios.at(g.folio).index == 0x304);
		CHECK(w.memory.at(0x303000) == f.content);
		CHECK(w.memory.count(0x100000) == 0);
	}
}

TEST_CASE("RELOCATE_ANON: a large folio fails the forward pass; the undo restores the folios and "
	  "a plain move follows",
	  "[relocate][sequential]")
{
	/* mainline, and the posted undo (its folio_lock() aside, which the
	 * first test shows) */
	const std::vector<std::string> posted = {
	    "relocate_anon_pte.wait_migration_entry", "relocate_anon_pte.relocate_swapcache",
	    "relocate_anon_pte.clear_then_check_pinned", "relocate_anon_pte.no_pae_warning",
	    "relocate_anon_pte.undo_relocates_pinned"};
	const std::vector<std::string> unlockEach = {"relocate_anon_folios.hold_folio_locks"};
	for (int variant : {0, 1, 2}) {
		INFO("variant " << variant << " (0 mainline, 1 posted undo, 2 folios unlocked at once)");
		scenarios::Scenario s;
		s.name = "relocate-undo";
		s.anonVmas = {{"A", "A"}};
		s.vmas = {{"v", 0x100000, 2, "A", {}}};
		s.pages = {page(0x100000, "F"), largePage(0x101000, "G")};
		s.threads = {{"t",
			      {relocateOp(0x100000, 0x2000, 0x303000),
			       op("folio_referenced", {text("folio", "F")}),
			       op("folio_referenced", {text("folio", "G")})}}};
		ExploreResult r;
		auto p = runAlone(s, r, "",
				  variant == 1	 ? posted
				  : variant == 2 ? unlockEach
						 : std::vector<std::string>{});
		REQUIRE(r.stats.complete == 1);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		CHECK(w.results.at(0).value == 0x303000);
		CHECK(w.results.at(1).value == 1);
		CHECK(w.results.at(2).value == 1);
		/* v (0), the relocation target v' (1, unmapped again), the plain
		 * move's v' (2) on A, with the old linear pgoff */
		REQUIRE(w.vmas.size() == 3);
		CHECK(w.vmas.at(0).detached);
		CHECK(w.vmas.at(1).detached);
		CHECK_FALSE(w.vmas.at(2).detached);
		CHECK(w.vmas.at(2).anonVma == 0);
		CHECK(w.vmas.at(2).pgoff == 0x100);
		CHECK(w.anonVmas.at(1).vmas.empty()); /* A' lost its only VMA */
		CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{2});
		for (int i : {0, 1}) {
			CHECK(w.folios.at(i).mapping == 0);
			CHECK(w.folios.at(i).index == 0x100u + i);
			/* held re-homed folios are all unlocked again */
			CHECK(w.folios.at(i).lock->free());
		}
		CHECK(pteAt(w, 0x303000).mapsFolio(0));
		CHECK(pteAt(w, 0x304000).mapsFolio(1));
	}
}

TEST_CASE("RELOCATE_ANON relocates the swap cache folio behind a swap entry (the review's fix)",
	  "[relocate][sequential]")
{
	scenarios::Scenario s;
	s.name = "relocate-swapcache";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", 0x100000, 1, "A", {}}};
	scenarios::PageSpec pg = page(0x100000, "F");
	pg.state = scenarios::PageSpec::State::Swapcache;
	s.pages = {pg};
	s.swap.slots = 1;
	s.threads = {{"t", {relocateOp(0x100000, 0x1000, 0x303000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(pteAt(w, 0x303000).isSwap());
	CHECK(w.folios.at(0).mapping == 1);
	CHECK(w.folios.at(0).index == 0x303);
}

TEST_CASE("RELOCATE_ANON leaves a VMA on a forked (child) anon_vma alone: a plain move",
	  "[relocate][sequential]")
{
	scenarios::Scenario s;
	s.name = "relocate-forked";
	s.anonVmas = {{"A", "A"}, {"B", "A"}};
	s.vmas = {{"v", 0x100000, 1, "B", {}}};
	s.pages = {page(0x100000, "F")};
	s.threads = {{"t", {relocateOp(0x100000, 0x1000, 0x303000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.anonVmas.size() == 2); /* no __anon_vma_prepare() */
	CHECK(w.vmas.at(1).anonVma == 1);
	CHECK(w.folios.at(0).mapping == 1);
	CHECK(w.folios.at(0).index == 0x100);
	CHECK(pteAt(w, 0x303000).mapsFolio(0));
}

TEST_CASE("MREMAP_MUST_RELOCATE_ANON fails with -EFAULT instead of falling back, the VMA left in "
	  "place",
	  "[relocate][sequential]")
{
	auto mustOp = [](std::uint64_t old, std::uint64_t len, std::uint64_t to) {
		return op("mremap", {num("old", old), num("old_len", len), num("new_len", len),
				     flag("maymove", true), flag("fixed", true),
				     num("new_addr", to), flag("must_relocate_anon", true)});
	};
	SECTION("a large folio fails the forward pass: undone, new VMA unmapped, -EFAULT")
	{
		scenarios::Scenario s;
		s.name = "must-relocate-large";
		s.anonVmas = {{"A", "A"}};
		s.vmas = {{"v", 0x100000, 2, "A", {}}};
		s.pages = {page(0x100000, "F"), largePage(0x101000, "G")};
		s.threads = {{"t",
			      {mustOp(0x100000, 0x2000, 0x303000),
			       op("folio_referenced", {text("folio", "F")})}}};
		ExploreResult r;
		auto p = runAlone(s, r);
		REQUIRE(r.stats.complete == 1);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		CHECK(static_cast<long>(w.results.at(0).value) == -14);
		CHECK(w.results.at(1).value == 1);
		CHECK_FALSE(w.vmas.at(0).detached);
		CHECK(w.vmas.at(1).detached);
		CHECK(w.folios.at(0).mapping == 0);
		CHECK(w.folios.at(0).index == 0x100);
		CHECK(pteAt(w, 0x100000).mapsFolio(0));
		CHECK(pteAt(w, 0x101000).mapsFolio(1));
	}
	SECTION("a forked (child) anon_vma: -EFAULT before anything is copied")
	{
		scenarios::Scenario s;
		s.name = "must-relocate-forked";
		s.anonVmas = {{"A", "A"}, {"B", "A"}};
		s.vmas = {{"v", 0x100000, 1, "B", {}}};
		s.pages = {page(0x100000, "F")};
		s.threads = {{"t", {mustOp(0x100000, 0x1000, 0x303000)}}};
		ExploreResult r;
		auto p = runAlone(s, r);
		REQUIRE(r.stats.complete == 1);
		CHECK_FALSE(r.harmful.has_value());
		const model::World &w = *p->world();
		CHECK(static_cast<long>(w.results.at(0).value) == -14);
		CHECK(w.vmas.size() == 1);
		CHECK(pteAt(w, 0x100000).mapsFolio(0));
	}
}
