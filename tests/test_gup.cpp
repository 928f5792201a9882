/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gup area one thread at a time: what GUP-fast, DMA, unpin and munmap
 * do to the mm when nothing races with them.
 */
#include <catch2/catch.hpp>

#include "op_builders.hpp"
#include "checker/mm_program.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
using namespace mmrace::testing;

namespace {

/* VMA v [0x100000, +pages) with anon_vma A; folio F at 0x100000. */
scenarios::Scenario oneVma(std::vector<scenarios::OpSpec> ops, std::uint64_t pages = 1,
			   bool writable = true)
{
	scenarios::Scenario s;
	s.name = "gup-sequential";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", 0x100000, pages, "A", {}}};
	scenarios::PageSpec p;
	p.at = 0x100000;
	p.folio = "F";
	p.writable = writable;
	s.pages = {p};
	s.threads = {{"t", std::move(ops)}};
	return s;
}

/* An MmProgram whose initial state is edited after the World is built. */
class EditedProgram : public checker::MmProgram {
public:
	EditedProgram(const scenarios::Scenario &s, const model::GuardSet &g,
		      std::function<void(model::World &)> edit)
		: MmProgram(s, g), edit_(std::move(edit))
	{
	}
	void setUp(Execution &exec) override
	{
		MmProgram::setUp(exec);
		edit_(*const_cast<model::World *>(world()));
	}

private:
	std::function<void(model::World &)> edit_;
};

std::unique_ptr<checker::MmProgram> runAlone(const scenarios::Scenario &s, ExploreResult &out,
					     std::function<void(model::World &)> edit = {})
{
	static model::GuardSet mainline;
	std::unique_ptr<checker::MmProgram> p;
	if (edit)
		p = std::make_unique<EditedProgram>(s, mainline, edit);
	else
		p = std::make_unique<checker::MmProgram>(s, mainline);
	auto strat = makeDfsStrategy();
	out = explore(*p, *strat, {});
	return p;
}

} // namespace

TEST_CASE("gup_fast pins a present page, DMA writes it, unpin restores the refcount",
	  "[gup][sequential]")
{
	auto s = oneVma({op("gup_fast", {num("addr", 0x100000), flag("write", true)}),
			 op("dma_write", {num("value", 0x77)}), op("unpin")});
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty());
	const model::World &w = *p->world();
	REQUIRE(w.results.size() == 3);
	CHECK(w.results[0].value == 1);
	CHECK(w.results[1].value == 0);
	CHECK(w.results[2].value == 0);
	REQUIRE(w.gupRefs.size() == 1);
	CHECK(w.gupRefs[0].pin);
	CHECK(w.gupRefs[0].write);
	CHECK(w.gupRefs[0].addr == 0x100000);
	CHECK(w.gupRefs[0].released);
	const model::Folio &f = w.folios.at(0);
	CHECK(f.content == 0x77);
	CHECK(w.memory.at(0x100000) == 0x77);
	CHECK(f.refcount == 1);
	CHECK(f.mapcount == 1);
	CHECK_FALSE(w.irqOff[0]);
}

TEST_CASE("gup_fast holds GUP_PIN_COUNTING_BIAS while pinned, 1 for FOLL_GET", "[gup][sequential]")
{
	ExploreResult r;
	auto p = runAlone(oneVma({op("gup_fast", {num("addr", 0x100000)})}), r);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(p->world()->folios.at(0).refcount == 1 + model::kGupPinCountingBias);
	CHECK(p->world()->folios.at(0).maybeDmaPinned());
	CHECK(p->world()->gupRefs.at(0).pin);

	auto q = runAlone(oneVma({op("gup_fast", {num("addr", 0x100000), flag("pin", false)}),
				  op("dma_read")}),
			  r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *q->world();
	CHECK(w.folios.at(0).refcount == 2);
	CHECK_FALSE(w.gupRefs.at(0).pin);
	CHECK(w.results.at(1).value == static_cast<long>(w.folios.at(0).content));
}

TEST_CASE("gup_fast fails on a none PTE and FOLL_WRITE fails on a R/O PTE", "[gup][sequential]")
{
	ExploreResult r;
	auto p = runAlone(oneVma({op("gup_fast", {num("addr", 0x101000)}), op("dma_write"),
				  op("unpin")},
				 2),
			  r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0);
	CHECK(w.results.at(1).value == -22); /* no reference held: -EINVAL */
	CHECK(w.results.at(2).value == -22);
	CHECK(w.gupRefs.empty());

	auto q = runAlone(oneVma({op("gup_fast", {num("addr", 0x100000), flag("write", true)})}, 1,
				 false),
			  r);
	CHECK(q->world()->results.at(0).value == 0);
	CHECK(q->world()->folios.at(0).refcount == 1);
}

TEST_CASE("gup_fast refuses a R/O pin of a page that is not PageAnonExclusive",
	  "[gup][sequential]")
{
	/* A R/O PTE of a page shared with a child after fork: PAE clear. */
	auto s = oneVma({op("gup_fast", {num("addr", 0x100000)})}, 1, false);
	ExploreResult r;
	auto p = runAlone(s, r, [](model::World &w) { w.folios[0].pae = false; });
	CHECK_FALSE(r.harmful.has_value()); /* no "pae" finding: gup_must_unshare() refused */
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0);
	CHECK(w.folios.at(0).refcount == 1);
	CHECK(w.gupRefs.empty());

	/* FOLL_GET is not subject to it, and neither is a PAE page. */
	auto q = runAlone(oneVma({op("gup_fast", {num("addr", 0x100000), flag("pin", false)})}, 1,
				 false),
			  r, [](model::World &w) { w.folios[0].pae = false; });
	CHECK(q->world()->results.at(0).value == 1);
	auto e = runAlone(oneVma({op("gup_fast", {num("addr", 0x100000)})}, 1, false), r);
	CHECK(e->world()->results.at(0).value == 1);
}

TEST_CASE("munmap clears the PTEs, frees folio and table, forgets the memory", "[gup][sequential]")
{
	auto s = oneVma({op("munmap", {num("addr", 0x100000), num("len", 2 * 4096)})}, 2);
	scenarios::PageSpec swapped;
	swapped.at = 0x101000;
	swapped.state = scenarios::PageSpec::State::Swapped;
	s.pages.push_back(swapped);
	ExploreResult r;
	auto p = runAlone(s, r);
	REQUIRE(r.stats.complete == 1);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.benign.empty());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0);
	CHECK(w.vmas.at(0).detached);
	CHECK(w.anonVmas.at(0).vmas.empty());
	CHECK(w.pmds.at(0).entry.kind == model::Pmd::Kind::None);
	const model::PteTable &t = w.tables.at(0);
	CHECK(t.freed);
	CHECK(t.installedAt == model::kNone);
	CHECK(t.entries[0].none());
	CHECK(t.entries[1].none());
	CHECK(w.folios.at(0).freed);
	CHECK(w.folios.at(0).mapcount == 0);
	CHECK_FALSE(w.swap.slots.at(0).allocated);
	CHECK(w.memory.empty());
	CHECK_FALSE(w.mmapLock->heldBy(0));
}

TEST_CASE("munmap keeps the table while another VMA uses its PMD range", "[gup][sequential]")
{
	auto s = oneVma({op("munmap", {num("addr", 0x100000), num("len", 4096)})});
	s.vmas.push_back({"next", 0x104000, 1, "A", {}});
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.pmds.at(0).entry.isTable());
	CHECK_FALSE(w.tables.at(0).freed);
	CHECK(w.tables.at(0).entries[0].none());
	CHECK(w.folios.at(0).freed);
	REQUIRE(w.anonVmas.at(0).vmas.size() == 1);
	CHECK(w.anonVmas.at(0).vmas[0] == 1);
}

TEST_CASE("a pin taken before munmap keeps the folio until unpin", "[gup][sequential]")
{
	auto s = oneVma({op("gup_fast", {num("addr", 0x100000), flag("write", true)}),
			 op("munmap", {num("addr", 0x100000), num("len", 4096)}), op("dma_write"),
			 op("unpin")});
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 1);
	CHECK(w.results.at(2).value == 0);
	CHECK(w.folios.at(0).freed); /* by the unpin */
	CHECK(w.tables.at(0).freed);
}

TEST_CASE("access: a user store fills the TLB; munmap flushes it", "[gup][sequential]")
{
	auto s = oneVma({op("access", {num("addr", 0x100000), flag("write", true), num("value", 5)}),
			 op("access", {num("addr", 0x100000)}),
			 op("munmap", {num("addr", 0x100000), num("len", 4096)}),
			 op("access", {num("addr", 0x100000)})});
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value()); /* the load saw the store (lost-write checks it) */
	const model::World &w = *p->world();
	CHECK(w.results.at(0).value == 0);
	CHECK(w.results.at(1).value == 0);
	CHECK(w.results.at(3).value == -14); /* no VMA any more: SIGSEGV */
	CHECK(w.tlb.at(0).empty());
	CHECK(w.memory.count(0x100000) == 0); /* the user unmapped it */
}

TEST_CASE("munmap of a VMA across a PMD boundary zaps and frees both tables", "[gup][sequential]")
{
	scenarios::Scenario s;
	s.name = "gup-two-pmds";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", 0x1ff000, 2, "A", {}}};
	scenarios::PageSpec a, b;
	a.at = 0x1ff000;
	a.folio = "F";
	b.at = 0x200000;
	b.folio = "G";
	s.pages = {a, b};
	s.threads = {{"t", {op("munmap", {num("addr", 0x1ff000), num("len", 2 * 4096)})}}};
	ExploreResult r;
	auto p = runAlone(s, r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	REQUIRE(w.tables.size() == 2);
	CHECK(w.tables[0].freed);
	CHECK(w.tables[1].freed);
	CHECK(w.folios.at(0).freed);
	CHECK(w.folios.at(1).freed);
}
