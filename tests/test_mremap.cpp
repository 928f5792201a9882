/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mremap one thread at a time: what move_vma() does to the mm when nothing
 * races with it (PTE-level, PMD-level after realignment, failure undo).
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

scenarios::OpSpec mremapOp(std::uint64_t old, std::uint64_t len, std::uint64_t to,
			   bool fixed = true, bool allocFails = false)
{
	std::vector<scenarios::OpArg> a = {num("old", old), num("old_len", len),
					   num("new_len", len), flag("maymove", true)};
	if (fixed) {
		a.push_back(flag("fixed", true));
		a.push_back(num("new_addr", to));
	}
	if (allocFails)
		a.push_back(flag("pgtable_alloc_fails", true));
	return op("mremap", std::move(a));
}

bool noneAt(const model::World &w, std::uint64_t addr)
{
	model::PteRef r = w.pteFor(addr);
	return r.table == model::kNone || w.pte(r).none();
}

} // namespace

TEST_CASE("mremap FIXED moves the PTEs, the VMA and the data; rmap still finds the folios",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-sequential";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", 0x100000, 2, "A", {}}};
	s.pages = {page(0x100000, "F"), page(0x101000, "G")};
	s.threads = {
	    {"t",
	     {mremapOp(0x100000, 0x2000, 0x303000), op("folio_referenced", {text("folio", "F")}),
	      op("folio_referenced", {text("folio", "G")})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x303000);
	/* rmap reachability: each walk found its young PTE at the new address */
	CHECK(w.results.at(1).value == 1);
	CHECK(w.results.at(2).value == 1);
	CHECK(w.vmas.at(0).detached);
	REQUIRE(w.vmas.size() == 2);
	const model::Vma &nv = w.vmas.at(1);
	CHECK_FALSE(nv.detached);
	CHECK(nv.start == 0x303000);
	CHECK(nv.end == 0x305000);
	CHECK(nv.pgoff == w.vmas.at(0).pgoff); /* anon: linear with the folios' index */
	CHECK(nv.anonVma == w.vmas.at(0).anonVma);
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{1});
	CHECK(pteAt(w, 0x303000).mapsFolio(0));
	CHECK(pteAt(w, 0x304000).mapsFolio(1));
	CHECK(noneAt(w, 0x100000));
	CHECK(noneAt(w, 0x101000));
	CHECK(w.findVma(0x100000) == model::kNone);
	CHECK(w.folios.at(0).mapcount == 1);
	CHECK(w.folios.at(0).refcount == 1);
	CHECK(w.memory.count(0x100000) == 0);
	CHECK(w.memory.at(0x303000) == w.folios.at(0).content);
	/* the old table was freed with the old VMA, the new one built by pte_alloc */
	CHECK(w.tables.at(0).freed);
	CHECK(w.pmds.at(w.pmdFor(0x303000)).entry.isTable());
}

TEST_CASE("mremap realigned to the PMD boundary moves the whole PTE table (move_normal_pmd)",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-realign";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x201000, 511, "A", {}}};
	s.pages = {page(0x201000, "X"), page(0x3ff000, "Z")};
	s.threads = {
	    {"t",
	     {mremapOp(0x201000, 511 * 4096, 0x801000),
	      op("folio_referenced", {text("folio", "X")}), op("migrate", {text("folio", "Z")})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x801000);
	CHECK(w.results.at(1).value == 1);
	CHECK(w.results.at(2).value == 0); /* migrated: rmap found and restored it */
	/* the table itself moved: PMD 0x200000 is none, PMD 0x800000 holds table 0 */
	CHECK(w.pmds.at(w.pmdFor(0x200000)).entry.kind == model::Pmd::Kind::None);
	const model::Pmd &np = w.pmds.at(w.pmdFor(0x800000)).entry;
	REQUIRE(np.isTable());
	CHECK(np.table == 0);
	CHECK_FALSE(w.tables.at(0).freed);
	CHECK(w.tables.at(0).base == 0x800000);
	CHECK(pteAt(w, 0x801000).mapsFolio(0));
	CHECK(pteAt(w, 0x9ff000).present());
	CHECK(w.remaps.at(0).movedLen == 511 * 4096);
}

TEST_CASE("mremap does not realign over a neighbouring VMA: PTE-level move, neighbour intact",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-neighbour";
	s.anonVmas = {{"A", "A"}, {"B", "B"}};
	s.vmas = {{"y", 0x200000, 1, "B", {}}, {"x", 0x201000, 511, "A", {}}};
	s.pages = {page(0x200000, "Y"), page(0x201000, "X")};
	s.threads = {{"t", {mremapOp(0x201000, 511 * 4096, 0x801000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x801000);
	CHECK(pteAt(w, 0x200000).mapsFolio(0));
	CHECK(pteAt(w, 0x801000).mapsFolio(1));
	CHECK(w.pmds.at(w.pmdFor(0x800000)).entry.table != 0);
	CHECK_FALSE(w.tables.at(0).freed); /* y still uses it */
}

TEST_CASE("mremap: page-table allocation failure undoes the move (-ENOMEM); no FIXED: no move",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-enomem";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x201000, 511, "A", {}}};
	s.pages = {page(0x201000, "X")};
	/* 0x40001000: another 1 GiB region, so pmd_alloc() must allocate a
	 * PMD page there (and fails); in x's region the PMD page exists */
	s.threads = {{"t",
		      {mremapOp(0x201000, 511 * 4096, 0x40001000, true, true),
		       mremapOp(0x201000, 511 * 4096, 0, false),
		       op("mremap", {num("old", 0x201000), num("old_len", 511 * 4096),
				     num("new_len", 511 * 4096), flag("fixed", true),
				     num("new_addr", 0x40001000)})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == -12);
	CHECK(w.remaps.at(0).movedLen == 0);	  /* the realign return guard */
	CHECK(w.results.at(1).value == 0x201000); /* MREMAP_NO_RESIZE: nothing to do */
	CHECK(w.results.at(2).value == -22);	  /* MREMAP_FIXED without MREMAP_MAYMOVE */
	CHECK(pteAt(w, 0x201000).mapsFolio(0));
	CHECK_FALSE(w.vmas.at(0).detached);
	REQUIRE(w.vmas.size() == 2);
	CHECK(w.vmas.at(1).detached); /* the new VMA was unmapped */
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{0});
	CHECK(w.memory.at(0x201000) == w.folios.at(0).content);
}

TEST_CASE("copy_vma inserts the new VMA in interval-tree order: after equal pgoffs, before larger",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-tree-order";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"a", 0x100000, 1, "A", {}}, {"b", 0x500000, 1, "A", {}}};
	s.pages = {page(0x100000, "F"), page(0x500000, "G")};
	s.threads = {{"t", {mremapOp(0x100000, 0x1000, 0x700000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x700000);
	/* [a, b] -> [a, a', b] -> a unmapped: [a', b], although a' lies above b */
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{2, 1});
	CHECK(w.vmas.at(2).pgoff == 0x100);
}

TEST_CASE("mremap: pmd_alloc() cannot fail where a PMD page already covers the destination",
	  "[mremap][sequential]")
{
	/* The same move as above, but to 0x801000, in the 1 GiB region x is
	 * in: pud_none() is false, pmd_alloc() returns the slot, and the
	 * realigned PMD-level move needs no allocation, so it succeeds. */
	scenarios::Scenario s;
	s.name = "mremap-pud-present";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x201000, 511, "A", {}}};
	s.pages = {page(0x201000, "X")};
	s.threads = {{"t", {mremapOp(0x201000, 511 * 4096, 0x801000, true, true)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x801000);
	CHECK(pteAt(w, 0x801000).mapsFolio(0));
	/* the destination slot was made at load time, in a mapped region */
	model::PmdIdx d = w.pmdFor(0x800000);
	REQUIRE(d != model::kNone);
	CHECK_FALSE(w.pmds.at(d).pudNoneAtStart);
}
