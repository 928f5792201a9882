/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `access` operation alone (one thread, one execution): what the fault
 * paths leave behind, as the kernel would.
 */
#include <catch2/catch.hpp>

#include "checker/mm_program.hpp"
#include "model/ops/ops.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
using model::Pte;

namespace {

constexpr std::uint64_t kAddr = 0x100000;

scenarios::OpSpec access(bool write, std::uint64_t value = 0)
{
	scenarios::OpSpec op{"access", {}};
	op.args.push_back({"addr", kAddr, "", {}, false});
	if (write) {
		op.args.push_back({"write", 0, "", {}, true});
		op.args.push_back({"value", value, "", {}, false});
	}
	return op;
}

/* One anon VMA at kAddr (anon_vma A), one thread running `ops`. */
scenarios::Scenario oneVma(std::vector<scenarios::OpSpec> ops, bool writable = true)
{
	scenarios::Scenario s;
	s.name = "fault";
	s.anonVmas = {{"A", "A"}};
	scenarios::VmaSpec v{"v", kAddr, 1, "A", {}};
	v.writable = writable;
	s.vmas = {v};
	s.threads = {{"t", std::move(ops)}};
	return s;
}

/* kAddr holds a swap PTE; with a folio F in the swap cache unless swapped. */
scenarios::Scenario swapPage(std::vector<scenarios::OpSpec> ops, scenarios::PageSpec::State state,
			     bool exclusive, bool writeback = false, bool stableWrites = false,
			     bool synchronousIo = false)
{
	scenarios::Scenario s = oneVma(std::move(ops));
	scenarios::PageSpec p;
	p.at = kAddr;
	p.folio = state == scenarios::PageSpec::State::Swapped ? "" : "F";
	p.state = state;
	p.exclusive = exclusive;
	p.writeback = writeback;
	p.content = 0x5a5a;
	s.pages = {p};
	s.swap.stableWrites = stableWrites;
	s.swap.synchronousIo = synchronousIo;
	return s;
}

struct Alone {
	std::unique_ptr<checker::MmProgram> program;
	ExploreResult result;
	const model::World &world() const { return *program->world(); }
};

Alone runAlone(const scenarios::Scenario &s)
{
	static model::GuardSet mainline;
	Alone a;
	a.program = std::make_unique<checker::MmProgram>(s, mainline);
	a.program->setEnvironmentIo(false); /* one execution: I/O stays in flight */
	auto strat = makeDfsStrategy();
	a.result = explore(*a.program, *strat, {});
	REQUIRE(a.result.stats.complete == 1);
	CHECK_FALSE(a.result.harmful.has_value());
	CHECK(a.result.benign.empty());
	return a;
}

} // namespace

TEST_CASE("access: a read fault maps a fresh zeroed page", "[fault][sequential]")
{
	auto a = runAlone(oneVma({access(false)}));
	const model::World &w = a.world();
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.present());
	const model::Folio &f = w.folios.at(pte.folio);
	CHECK(f.content == 0);
	CHECK(f.pae);
	CHECK(f.mapcount == 1);
	CHECK(f.refcount == 1);
	CHECK(f.mapping == w.findAnonVma("A"));
	CHECK(f.index == kAddr / 4096);
	CHECK(pte.writable);	/* VM_WRITE: the new page is mapped writable */
	CHECK(w.memory.at(kAddr) == 0);	/* the oracle knows it reads 0 */
	REQUIRE(w.results.size() == 1);
	CHECK(w.results[0].value == 0);
	CHECK(w.tlb.at(0).size() == 1);	/* the retried load filled the TLB */
}

TEST_CASE("access: a write fault, then a read returns the value", "[fault][sequential]")
{
	auto a = runAlone(oneVma({access(true, 0x77), access(false)}));
	const model::World &w = a.world();
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.present());
	CHECK(pte.writable);
	CHECK(pte.dirty);
	CHECK(w.folios.at(pte.folio).content == 0x77);
	CHECK(w.memory.at(kAddr) == 0x77);
	REQUIRE(w.results.size() == 2);
	CHECK(w.results[0].value == 0);
	CHECK(w.results[1].value == 0);
}

TEST_CASE("access: no VMA, or a write to a read-only VMA, is SIGSEGV", "[fault][sequential]")
{
	scenarios::OpSpec outside = access(false);
	outside.args[0].number = 0x300000;
	auto a = runAlone(oneVma({outside}));
	CHECK(a.world().results.at(0).value == -14);
	auto b = runAlone(oneVma({access(true, 1), access(false)}, false));
	const model::World &w = b.world();
	CHECK(w.results.at(0).value == -14);
	CHECK(w.results.at(1).value == 0);
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.present());
	CHECK_FALSE(pte.writable);
}

TEST_CASE("access: swapin of a swapped page restores the content; exclusive -> PAE, writable",
	  "[fault][sequential]")
{
	using State = scenarios::PageSpec::State;
	SECTION("read fault, swap cache path") {
		auto a = runAlone(swapPage({access(false)}, State::Swapped, true));
		const model::World &w = a.world();
		const Pte &pte = w.pte(w.pteFor(kAddr));
		REQUIRE(pte.present());
		const model::Folio &f = w.folios.at(pte.folio);
		CHECK(f.content == 0x5a5a);
		CHECK(f.pae);
		CHECK(pte.writable);	/* exclusive and VM_WRITE */
		CHECK_FALSE(pte.dirty);
		CHECK(f.swapcache);	/* a read fault keeps the swap cache copy */
		CHECK(f.refcount == 2);
		CHECK(f.mapcount == 1);
		CHECK(f.mapping == w.findAnonVma("A"));
		CHECK(w.swap.slots.at(0).count == 0);
	}
	SECTION("write fault frees the swap cache (should_try_to_free_swap)") {
		auto a = runAlone(swapPage({access(true, 9), access(false)}, State::Swapped, true));
		const model::World &w = a.world();
		const Pte &pte = w.pte(w.pteFor(kAddr));
		REQUIRE(pte.present());
		const model::Folio &f = w.folios.at(pte.folio);
		CHECK(f.content == 9);
		CHECK(f.pae);
		CHECK(pte.writable);
		CHECK(pte.dirty);
		CHECK_FALSE(f.swapcache);
		CHECK(f.refcount == 1);
		CHECK_FALSE(w.swap.slots.at(0).allocated);
	}
	SECTION("SWP_SYNCHRONOUS_IO: a private folio, never in the swap cache") {
		auto a = runAlone(swapPage({access(false)}, State::Swapped, false, false, false, true));
		const model::World &w = a.world();
		const Pte &pte = w.pte(w.pteFor(kAddr));
		REQUIRE(pte.present());
		const model::Folio &f = w.folios.at(pte.folio);
		CHECK(f.content == 0x5a5a);
		CHECK(f.pae);	/* a fresh folio is exclusive even if the PTE was not */
		CHECK(pte.writable);
		CHECK_FALSE(f.swapcache);
		CHECK(f.refcount == 1);
		CHECK_FALSE(f.lock->heldBy(0));
		CHECK_FALSE(w.swap.slots.at(0).allocated);
	}
	SECTION("not exclusive: mapped read-only without PAE") {
		auto a = runAlone(swapPage({access(false)}, State::Swapcache, false));
		const model::World &w = a.world();
		const Pte &pte = w.pte(w.pteFor(kAddr));
		REQUIRE(pte.mapsFolio(w.findFolio("F")));
		CHECK_FALSE(pte.writable);
		CHECK_FALSE(w.folios.at(pte.folio).pae);
		CHECK(w.folios.at(pte.folio).refcount == 2);
	}
}

TEST_CASE("access: a write to a non-PAE read-only page copies (CoW)", "[fault][sequential]")
{
	using State = scenarios::PageSpec::State;
	/* Under writeback the swap cache cannot be freed, so the folio stays
	 * shared with the swap cache and the write fault must copy. */
	auto a = runAlone(swapPage({access(false), access(true, 0x33), access(false)},
				   State::Swapcache, false, true));
	const model::World &w = a.world();
	model::FolioIdx F = w.findFolio("F");
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.present());
	REQUIRE(pte.folio != F);
	const model::Folio &n = w.folios.at(pte.folio);
	CHECK(n.content == 0x33);
	CHECK(n.pae);
	CHECK(n.mapcount == 1);
	CHECK(n.refcount == 1);
	CHECK(pte.writable);
	const model::Folio &old = w.folios.at(F);
	CHECK(old.content == 0x5a5a);	/* the copy, not the original, was written */
	CHECK(old.mapcount == 0);
	CHECK(old.refcount == 1);	/* the swap cache's */
	CHECK(old.swapcache);
}

TEST_CASE("access: a stable-writes page under writeback is mapped read-only without PAE",
	  "[fault][sequential]")
{
	using State = scenarios::PageSpec::State;
	auto a = runAlone(swapPage({access(false)}, State::Swapcache, true, true, true));
	const model::World &w = a.world();
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.mapsFolio(w.findFolio("F")));
	CHECK_FALSE(pte.writable);
	CHECK_FALSE(w.folios.at(pte.folio).pae);
	/* without stable writes the same page is exclusive and writable */
	auto b = runAlone(swapPage({access(false)}, State::Swapcache, true, true, false));
	const model::World &v = b.world();
	const Pte &q = v.pte(v.pteFor(kAddr));
	CHECK(q.writable);
	CHECK(v.folios.at(q.folio).pae);
}

TEST_CASE("access: a write to a non-PAE page nobody else holds reuses it", "[fault][sequential]")
{
	scenarios::Scenario s = oneVma({access(true, 0x44)});
	scenarios::PageSpec p;
	p.at = kAddr;
	p.folio = "F";
	p.writable = false;
	p.exclusive = false;	/* PageAnonExclusive clear */
	p.content = 0x5a5a;
	s.pages = {p};
	auto a = runAlone(s);
	const model::World &w = a.world();
	model::FolioIdx F = w.findFolio("F");
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.mapsFolio(F));	/* wp_can_reuse_anon_folio(): ref 1, reused */
	CHECK(pte.writable);
	CHECK(pte.dirty);
	const model::Folio &f = w.folios.at(F);
	CHECK(f.pae);
	CHECK(f.content == 0x44);
	CHECK(f.refcount == 1);
	CHECK(f.mapcount == 1);
	CHECK(w.folios.size() == 1);	/* nothing was copied */
}

TEST_CASE("loader: a present page without PageAnonExclusive must be read-only", "[fault][loader]")
{
	const char *text = R"({"name": "x",
		"state": {"anon_vmas": ["A"],
			  "vmas": [{"name": "v", "start": "0x100000", "pages": 1, "anon_vma": "A"}],
			  "pages": [{"at": "0x100000", "folio": "F", "exclusive": false}]},
		"threads": [{"name": "t", "ops": [{"op": "access", "addr": "0x100000"}]}]})";
	auto r = scenarios::loadScenarioText(text, "x.json");
	auto *err = std::get_if<scenarios::LoadError>(&r);
	REQUIRE(err);
	CHECK(err->path == "$.state.pages[0].exclusive");
	CHECK(err->message.find("read-only") != std::string::npos);
	std::string ok = text;
	ok.replace(ok.find("\"exclusive\": false"), 18, "\"exclusive\": false, \"writable\": false");
	auto r2 = scenarios::loadScenarioText(ok, "x.json");
	REQUIRE(std::holds_alternative<scenarios::Scenario>(r2));
	CHECK_FALSE(std::get<scenarios::Scenario>(r2).pages.at(0).exclusive);
}

TEST_CASE("access: a store through a clean, writable TLB entry sets the PTE's dirty bit (x86)",
	  "[fault][sequential][tlb-dirty]")
{
	using State = scenarios::PageSpec::State;
	/* The read fault maps the exclusive swap cache folio writable but
	 * clean, and the load fills the TLB from that PTE; the store hits
	 * the clean entry and its locked walk sets D. */
	auto a = runAlone(swapPage({access(false), access(true, 9)}, State::Swapcache, true));
	const model::World &w = a.world();
	const Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.mapsFolio(w.findFolio("F")));
	CHECK(pte.writable);
	CHECK(pte.dirty);
	CHECK(pte.young);
	REQUIRE(w.tlb.at(0).size() == 1);
	CHECK(w.tlb[0][0].dirty);
	CHECK(w.folios.at(pte.folio).content == 9);
}

TEST_CASE("access: reclaim after a store through a clean TLB entry writes the data out",
	  "[fault][tlb-dirty]")
{
	/* load, store, two reclaim passes (the first finds the PTE young),
	 * load: try_to_unmap_one() takes the D bit into folio_mark_dirty(),
	 * so pageout() writes the new value and the last load reads it. */
	using State = scenarios::PageSpec::State;
	scenarios::OpSpec reclaim{"reclaim", {{"folio", 0, "F", {}, false}}};
	auto s = swapPage({access(false), access(true, 9), reclaim, reclaim, access(false)},
			  State::Swapcache, true);
	s.swap.slots = 1;
	static model::GuardSet mainline;
	checker::MmProgram program(s, mainline);
	auto strat = makeDporStrategy();
	ExploreResult r = explore(program, *strat, {});
	CHECK(r.stats.exhausted);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *program.world();
	REQUIRE(w.results.size() == 5);
	/* written out, and freed in the same pass if the I/O completed already */
	CHECK((w.results[3].value == model::kReclaimWriteback ||
	       w.results[3].value == model::kReclaimFreed));
	CHECK(w.swap.slots.at(0).data == 9);
}
