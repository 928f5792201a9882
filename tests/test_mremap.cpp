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

/* VMA x [0x201000, 0x400000): from one page past a PMD boundary to the
 * next, its first page mapped (folio X) */
scenarios::Scenario x511(const char *name)
{
	scenarios::Scenario s;
	s.name = name;
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x201000, 511, "A", {}}};
	s.pages = {page(0x201000, "X")};
	return s;
}

TEST_CASE("mremap: page-table allocation failure undoes the move (-ENOMEM); no FIXED: no move",
	  "[mremap][sequential]")
{
	scenarios::Scenario s = x511("mremap-enomem");
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

/* mremap-shapes: partial ranges, resizing, merging moves, partial munmap */
namespace
{

scenarios::OpSpec mremapResize(std::uint64_t old, std::uint64_t oldLen, std::uint64_t newLen,
			       bool mayMove, std::uint64_t fixedAt = 0)
{
	std::vector<scenarios::OpArg> a = {num("old", old), num("old_len", oldLen),
					   num("new_len", newLen)};
	if (mayMove)
		a.push_back(flag("maymove", true));
	if (fixedAt) {
		a.push_back(flag("fixed", true));
		a.push_back(num("new_addr", fixedAt));
	}
	return op("mremap", std::move(a));
}

scenarios::Scenario threePages(std::vector<scenarios::OpSpec> ops)
{
	scenarios::Scenario s;
	s.name = "mremap-shapes";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x100000, 3, "A", {}}};
	s.pages = {page(0x100000, "F"), page(0x101000, "G"), page(0x102000, "H")};
	s.threads = {{"t", std::move(ops)}};
	return s;
}

} // namespace

TEST_CASE("mremap of the middle of a VMA splits it; the moved page keeps its data and rmap",
	  "[mremap][sequential]")
{
	auto s = threePages({mremapResize(0x101000, 0x1000, 0x1000, true, 0x305000),
			     op("folio_referenced", {text("folio", "G")}),
			     op("folio_referenced", {text("folio", "F")}),
			     op("folio_referenced", {text("folio", "H")})});
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x305000);
	CHECK(w.results.at(1).value == 1);
	CHECK(w.results.at(2).value == 1);
	CHECK(w.results.at(3).value == 1);
	/* x' is the copy; unmap_source_vma() split x into x< and x>, then
	 * unmapped x = [0x101000, 0x102000) */
	REQUIRE(w.vmas.size() == 4);
	const model::Vma &moved = w.vmas.at(1), &lo = w.vmas.at(2), &hi = w.vmas.at(3);
	CHECK(w.vmas.at(0).detached);
	CHECK((moved.start == 0x305000 && moved.end == 0x306000 && moved.pgoff == 0x101));
	CHECK((lo.start == 0x100000 && lo.end == 0x101000 && lo.pgoff == 0x100));
	CHECK((hi.start == 0x102000 && hi.end == 0x103000 && hi.pgoff == 0x102));
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{2, 1, 3});
	CHECK(pteAt(w, 0x305000).mapsFolio(1));
	CHECK(pteAt(w, 0x100000).mapsFolio(0));
	CHECK(pteAt(w, 0x102000).mapsFolio(2));
	CHECK(noneAt(w, 0x101000));
	CHECK(w.findVma(0x101000) == model::kNone);
	CHECK(w.memory.at(0x305000) == w.folios.at(1).content);
	CHECK_FALSE(w.tables.at(0).freed); /* x< and x> still use it */
	CHECK_FALSE(w.remaps.at(0).needRmapLocks);
}

TEST_CASE("munmap of part of a VMA splits it and unmaps only the range", "[mremap][sequential]")
{
	auto s = threePages({op("munmap", {num("addr", 0x101000), num("len", 0x1000)}),
			     op("munmap", {num("addr", 0x100000), num("len", 0x1000)}),
			     op("folio_referenced", {text("folio", "H")})});
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0);
	CHECK(w.results.at(1).value == 0);
	CHECK(w.results.at(2).value == 1);
	CHECK(noneAt(w, 0x100000));
	CHECK(noneAt(w, 0x101000));
	CHECK(pteAt(w, 0x102000).mapsFolio(2));
	CHECK(w.folios.at(0).freed);
	CHECK(w.folios.at(1).freed);
	const model::VmaIdx v = w.findVma(0x102000);
	REQUIRE(v != model::kNone);
	CHECK((w.vmas.at(v).start == 0x102000 && w.vmas.at(v).pgoff == 0x102));
	CHECK(w.findVma(0x100000) == model::kNone);
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{v});
	CHECK(w.memory.count(0x101000) == 0);
	CHECK(w.memory.at(0x102000) == w.folios.at(2).content);
}

TEST_CASE("mremap shrink unmaps the tail in place", "[mremap][sequential]")
{
	auto s = threePages({mremapResize(0x100000, 0x3000, 0x1000, false)});
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x100000);
	const model::VmaIdx v = w.findVma(0x100000);
	REQUIRE(v != model::kNone);
	CHECK(w.vmas.at(v).end == 0x101000);
	CHECK(w.findVma(0x101000) == model::kNone);
	CHECK(pteAt(w, 0x100000).mapsFolio(0));
	CHECK(noneAt(w, 0x101000));
	CHECK(noneAt(w, 0x102000));
	CHECK(w.folios.at(1).freed);
	CHECK(w.folios.at(2).freed);
}

TEST_CASE("mremap grows in place when the space after is free; else moves with MAYMOVE",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-grow";
	s.anonVmas = {{"A", "A"}, {"B", "B"}};
	s.vmas = {{"x", 0x100000, 1, "A", {}}, {"y", 0x103000, 1, "B", {}}};
	s.pages = {page(0x100000, "F"), page(0x103000, "Y")};
	s.threads = {{"t",
		      {mremapResize(0x100000, 0x1000, 0x3000, false),
		       op("access", {num("addr", 0x102000), flag("write", true)}),
		       mremapResize(0x100000, 0x3000, 0x4000, false),
		       mremapResize(0x100000, 0x3000, 0x4000, true),
		       op("folio_referenced", {text("folio", "F")})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	/* in place: vma_merge_extend() expands x to [0x100000, 0x103000) */
	CHECK(w.results.at(0).value == 0x100000);
	CHECK(w.results.at(1).value == 0); /* the grown part faults in */
	/* y is in the way: no MAYMOVE -ENOMEM, with it a move to a free area */
	CHECK(w.results.at(2).value == -12);
	const std::uint64_t to = 0x400000; /* the model's get_unmapped_area() */
	CHECK(w.results.at(3).value == static_cast<long>(to));
	CHECK(w.results.at(4).value == 1);
	const model::VmaIdx v = w.findVma(to);
	REQUIRE(v != model::kNone);
	CHECK((w.vmas.at(v).start == to && w.vmas.at(v).end == to + 0x4000));
	CHECK(w.vmas.at(v).pgoff == 0x100);
	CHECK(w.findVma(0x100000) == model::kNone);
	CHECK(pteAt(w, to).mapsFolio(0));
	CHECK(pteAt(w, to + 0x2000).present());
	CHECK(noneAt(w, to + 0x3000));
	CHECK(pteAt(w, 0x103000).mapsFolio(1)); /* y untouched */
	CHECK(w.memory.at(to) == w.folios.at(0).content);
}

TEST_CASE("mremap back next to the lower neighbour merges; need_rmap_locks as copy_vma() sets it",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-merge";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x100000, 2, "A", {}}};
	s.pages = {page(0x101000, "F")};
	s.threads = {{"t",
		      {mremapResize(0x101000, 0x1000, 0x1000, true, 0x105000),
		       mremapResize(0x105000, 0x1000, 0x1000, true, 0x101000),
		       op("folio_referenced", {text("folio", "F")})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x105000);
	CHECK(w.results.at(1).value == 0x101000);
	CHECK(w.results.at(2).value == 1);
	CHECK_FALSE(w.remaps.at(0).needRmapLocks); /* a new VMA */
	/* merged into x< (pgoff 0x100 <= x' pgoff 0x101): rmap locks needed */
	CHECK(w.remaps.at(1).needRmapLocks);
	const model::VmaIdx v = w.findVma(0x101000);
	REQUIRE(v != model::kNone);
	CHECK(w.findVma(0x100000) == v);
	CHECK((w.vmas.at(v).start == 0x100000 && w.vmas.at(v).end == 0x102000));
	CHECK(w.vmas.at(v).pgoff == 0x100);
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{v});
	CHECK(pteAt(w, 0x101000).mapsFolio(0));
	CHECK(w.memory.at(0x101000) == w.folios.at(0).content);
}

TEST_CASE("mremap FIXED onto part of another VMA unmaps that part first (do_munmap of the "
	  "destination)",
	  "[mremap][sequential]")
{
	scenarios::Scenario s = threePages({mremapResize(0x300000, 0x1000, 0x1000, true, 0x101000),
					    op("folio_referenced", {text("folio", "K")})});
	s.anonVmas.push_back({"B", "B"});
	s.vmas.push_back({"y", 0x300000, 1, "B", {}});
	s.pages.push_back(page(0x300000, "K"));
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x101000);
	CHECK(w.results.at(1).value == 1);
	CHECK(pteAt(w, 0x101000).mapsFolio(3));
	CHECK(w.folios.at(1).freed); /* G was unmapped by the destination's munmap */
	CHECK(pteAt(w, 0x100000).mapsFolio(0));
	CHECK(pteAt(w, 0x102000).mapsFolio(2));
	CHECK(w.findVma(0x300000) == model::kNone);
	CHECK(w.vmas.at(w.findVma(0x101000)).anonVma == 1);
}

TEST_CASE("mremap of the middle page out and back merges with both neighbours (vma_expand "
	  "removes next)",
	  "[mremap][sequential]")
{
	auto s = threePages({mremapResize(0x101000, 0x1000, 0x1000, true, 0x305000),
			     mremapResize(0x305000, 0x1000, 0x1000, true, 0x101000),
			     op("folio_referenced", {text("folio", "F")}),
			     op("folio_referenced", {text("folio", "G")}),
			     op("folio_referenced", {text("folio", "H")})});
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty());
	const model::World &w = *p->world();
	CHECK(w.results.at(1).value == 0x101000);
	CHECK(w.results.at(2).value == 1);
	CHECK(w.results.at(3).value == 1);
	CHECK(w.results.at(4).value == 1);
	CHECK(w.remaps.at(1).needRmapLocks);
	const model::VmaIdx v = w.findVma(0x100000);
	REQUIRE(v != model::kNone);
	CHECK(w.findVma(0x101000) == v);
	CHECK(w.findVma(0x102000) == v);
	CHECK((w.vmas.at(v).start == 0x100000 && w.vmas.at(v).end == 0x103000));
	CHECK(w.vmas.at(v).pgoff == 0x100);
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{v});
	CHECK(pteAt(w, 0x101000).mapsFolio(1));
	CHECK(w.findVma(0x305000) == model::kNone);
}

TEST_CASE("mremap back below the upper neighbour merges into it (next's vm_start and pgoff move "
	  "down)",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-merge-next";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x100000, 2, "A", {}}};
	s.pages = {page(0x100000, "F"), page(0x101000, "G")};
	s.threads = {{"t",
		      {mremapResize(0x100000, 0x1000, 0x1000, true, 0x305000),
		       mremapResize(0x305000, 0x1000, 0x1000, true, 0x100000),
		       op("folio_referenced", {text("folio", "F")})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(1).value == 0x100000);
	CHECK(w.results.at(2).value == 1);
	/* x> (pgoff 0x101) became [0x100000, 0x102000) pgoff 0x100; 0x100 <= the
	 * source's 0x100: the kernel asks for the rmap locks on equality too */
	CHECK(w.remaps.at(1).needRmapLocks);
	const model::VmaIdx v = w.findVma(0x100000);
	REQUIRE(v != model::kNone);
	CHECK(w.findVma(0x101000) == v);
	CHECK(w.vmas.at(v).pgoff == 0x100);
	CHECK(w.anonVmas.at(0).vmas == std::vector<model::VmaIdx>{v});
}

TEST_CASE("mremap of an unfaulted VMA's tail just past its end: copy_vma() merges the source "
	  "into itself (pgoff reset), then the old range is split off",
	  "[mremap][sequential]")
{
	scenarios::Scenario s;
	s.name = "mremap-self-merge";
	s.vmas = {{"x", 0x100000, 2, "", {}}};
	s.threads = {{"t", {mremapResize(0x101000, 0x1000, 0x1000, true, 0x102000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty()); /* no VM_BUG_ON_VMA(faulted_in_anon_vma) */
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x102000);
	CHECK(w.remaps.at(0).needRmapLocks); /* x.pgoff <= x.pgoff */
	CHECK(w.findVma(0x101000) == model::kNone);
	const model::VmaIdx lo = w.findVma(0x100000), hi = w.findVma(0x102000);
	REQUIRE(lo != model::kNone);
	REQUIRE(hi != model::kNone);
	CHECK(lo != hi);
	CHECK((w.vmas.at(hi).start == 0x102000 && w.vmas.at(hi).end == 0x103000));
	CHECK(w.vmas.at(hi).pgoff == 0x102);
	CHECK(w.vmas.at(lo).end == 0x101000);
}

TEST_CASE("mremap: pmd_alloc() cannot fail where a PMD page already covers the destination",
	  "[mremap][sequential]")
{
	/* The same move as the -ENOMEM test, but to 0x801000, in the 1 GiB
	 * region x is in: pud_none() is false, pmd_alloc() returns the slot,
	 * and the realigned PMD-level move needs no allocation, so it
	 * succeeds despite the injected allocation failure. */
	scenarios::Scenario s = x511("mremap-pud-present");
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

TEST_CASE("mremap without resize returns addr even past the VMA's end; mremap-result demands "
	  "no VMA there",
	  "[mremap][sequential][mremap-result]")
{
	/* mremap_at(): old_len == new_len returns addr before any check of the
	 * range; here [0x100000, 0x102000) runs one page past the VMA */
	scenarios::Scenario s;
	s.name = "mremap-noresize-past-end";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"x", 0x100000, 1, "A", {}}};
	s.pages = {page(0x100000, "F")};
	s.threads = {{"t", {mremapResize(0x100000, 0x2000, 0x2000, false)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x100000);
	CHECK(pteAt(w, 0x100000).mapsFolio(0));
	CHECK(w.findVma(0x101000) == model::kNone);
	REQUIRE(w.remaps.size() == 1);
	CHECK(w.remaps[0].noResize);
	CHECK_FALSE(w.remaps[0].snapshotTaken);
}

TEST_CASE("mremap-result judges the entries when mremap write-locks the VMA, after a racing "
	  "MADV_DONTNEED",
	  "[mremap][mremap-result]")
{
	/* The page at 0x402000 grows in place (vma_merge_extend()); a
	 * MADV_DONTNEED of the VMA may zap it between mremap's mmap_write_lock()
	 * and vma_expand()'s vma_start_write(), which then waits for the
	 * madvise's per-VMA read lock. The page legally never arrives. */
	scenarios::Scenario s;
	s.name = "mremap-vs-madvise";
	s.anonVmas = {{"B", "B"}};
	s.vmas = {{"y", 0x400000, 3, "B", {}}};
	s.pages = {page(0x402000, "K")};
	s.threads = {{"t0", {mremapResize(0x402000, 0x1000, 0x8000, false)}},
		     {"t1", {op("madvise_dontneed", {num("addr", 0x400000), num("len", 0x3000)})}}};
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build("mainline", {}, guards).empty());
	checker::MmProgram program(s, guards);
	auto strat = makeDporStrategy();
	ExploreResult r = explore(program, *strat, {});
	CHECK(r.stats.stoppedBy == "exhausted");
	CHECK(r.stats.complete >= 2);
	CHECK_FALSE(r.harmful.has_value());
}

TEST_CASE("pmd_alloc() makes a PMD slot on demand where no slot was made at load",
	  "[mremap][sequential][pmd_alloc]")
{
	/* The load-time slots cover the VMAs and, for moves without FIXED, a
	 * window above the highest address the scenario names (here the
	 * failing FIXED destination at 1 GiB). The FIXED mremap fails
	 * (-EFAULT: nothing at 0x1000000), so get_unmapped_area() places the
	 * last move at 0x600000, below that window: pmd_alloc() must make the
	 * slot there (it used to end the run with an internal error). */
	scenarios::Scenario s;
	s.name = "pmd-alloc-on-demand";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"y", 0x207000, 2, "A", {}}};
	s.pages = {page(0x207000, "F")};
	s.threads = {{"t",
		      {mremapResize(0x1000000, 0x2000, 0x2000, true, 0x40000000),
		       mremapResize(0x208000, 0x1000, 0x3000, false),
		       mremapResize(0x207000, 0x2000, 0x3000, true)}}};
	model::World before(s, model::GuardSet{}, {"t"});
	CHECK(before.pmdFor(0x600000) == model::kNone);
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == -14);
	CHECK(w.results.at(1).value == 0x208000);
	CHECK(w.results.at(2).value == 0x600000);
	model::PmdIdx d = w.pmdFor(0x600000);
	REQUIRE(d != model::kNone);
	CHECK(w.pmds.at(d).entry.isTable());
	CHECK_FALSE(w.pmds.at(d).pudNone); /* the region's PMD page existed */
	CHECK(pteAt(w, 0x600000).mapsFolio(0));
}

TEST_CASE("mremap of a private file range keeps its file pages (copy_vma() pgoff)",
	  "[mremap][sequential]")
{
	/* copy_vma() (mm/vma.c) resets the new VMA's pgoff to addr >>
	 * PAGE_SHIFT only when vma_is_anonymous(vma) && !vma->anon_vma; a
	 * file VMA without an anon_vma keeps vm_pgoff + offset, so the moved
	 * range maps the same file pages (found by mmrace sweep) */
	scenarios::Scenario s;
	s.name = "copy-vma-file-pgoff";
	s.anonVmas = {{"A", "A"}};
	s.files = {"S"};
	scenarios::VmaSpec f{"f", 0x400000, 512, "", {}};
	f.file = "S";
	s.vmas = {f};
	s.threads = {{"t", {mremapOp(0x53e000, 0x2000, 0x601000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x601000);
	model::VmaIdx nv = w.findVma(0x601000);
	REQUIRE(nv != model::kNone);
	CHECK(w.vmas[nv].file == w.findFile("S"));
	CHECK(w.vmas[nv].anonVma == model::kNone);
	/* file page (0x53e000 - 0x400000) / 4096 = 318 */
	CHECK(w.vmas[nv].pageIndex(0x601000) == 318);
	CHECK(w.vmas[nv].pageIndex(0x602000) == 319);
}

TEST_CASE("an anon range moved next to a file VMA does not merge into it (is_mergeable_vma())",
	  "[mremap][sequential]")
{
	/* mremap(MREMAP_FIXED) of an anon VMA into a file VMA that shares its
	 * anon_vma, at a pgoff contiguous with the file VMA's lower piece:
	 * is_mergeable_vma() (mm/vma.c) refuses a different vm_file, so the
	 * moved range stays an anon VMA of its own (found by mmrace sweep) */
	scenarios::Scenario s;
	s.name = "vma-merge-vm-file";
	s.anonVmas = {{"A", "A"}, {"B", "A"}};
	s.files = {"S"};
	scenarios::VmaSpec f{"f", 0x400000, 512, "A", {}};
	f.file = "S";
	s.vmas = {{"a", 0x100000, 2, "A", {}}, f};
	s.pages = {page(0x100000, "F")};
	/* a's pgoff is 0x100000 >> 12 = 256 = f's lower piece's end (0x500000) */
	s.threads = {{"t", {mremapOp(0x100000, 0x2000, 0x500000)}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0x500000);
	model::VmaIdx lower = w.findVma(0x4ff000), moved = w.findVma(0x500000);
	REQUIRE(lower != model::kNone);
	REQUIRE(moved != model::kNone);
	CHECK(lower != moved);
	CHECK(w.vmas[lower].file == w.findFile("S"));
	CHECK(w.vmas[lower].end == 0x500000);
	CHECK(w.vmas[moved].file == model::kNone);
	CHECK(w.vmas[moved].start == 0x500000);
	CHECK(w.vmas[moved].end == 0x502000);
	CHECK(pteAt(w, 0x500000).mapsFolio(w.findFolio("F")));
}
