/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Swap-out (the reclaim and writeback_done operations): what one pass of
 * shrink_folio_list() does to one anon folio on its own, and, for each
 * reclaim guard, a witness: with the guard off the checkers find the race,
 * with every guard on the same program is clean. The guards need a user
 * access through a TLB or a GUP-fast grab, which are not scenario
 * operations of this area: those fibers are test ops (MmProgram::addTestOp)
 * calling the Kernel's user-access and refcount primitives directly.
 */
#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "checker/mm_program.hpp"
#include "model/kernel.hpp"
#include "model/ops/ops.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;
using model::Kernel;

namespace {

constexpr std::uint64_t kAddr = 0x100000;

/* Folio F mapped at 0x100000 (VMA v, anon_vma A), not young. */
scenarios::Scenario base(bool writable = true, bool young = false, bool syncIo = false)
{
	scenarios::Scenario s;
	s.name = "reclaim";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", kAddr, 1, "A", {}}};
	scenarios::PageSpec p{kAddr, "F", writable, 0};
	p.young = young;
	s.pages = {p};
	s.swap.synchronousIo = syncIo;
	return s;
}

scenarios::OpSpec op(const char *name)
{
	return {name, {{"folio", 0, "F", {}}}};
}

struct Run {
	ExploreResult result;
	std::unique_ptr<checker::MmProgram> program;
	const model::World &world() const { return *program->world(); }
	bool harmful(const char *id) const
	{
		return result.harmful && result.harmful->finding.invariant == id;
	}
};

using TestOps = std::vector<std::pair<std::string, std::function<void(Kernel &)>>>;

/* envIo false: write-outs stay in flight (MmProgram::setEnvironmentIo) */
Run run(const scenarios::Scenario &s, std::vector<std::string> off = {}, const TestOps &ops = {},
	bool envIo = true)
{
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build("mainline", off, guards).empty());
	Run r;
	r.program = std::make_unique<checker::MmProgram>(s, guards);
	r.program->setEnvironmentIo(envIo);
	for (const auto &[name, fn] : ops)
		r.program->addTestOp(name, fn);
	auto strat = makeSleepSetStrategy();
	r.result = explore(*r.program, *strat, {});
	if (std::getenv("MMRACE_TEST_VERBOSE")) {
		const ExploreStats &st = r.result.stats;
		std::printf("%s [%s]: %llu executions, %.3fs, %s%s%s\n", s.name.c_str(),
			    off.empty() ? "mainline" : off[0].c_str(),
			    static_cast<unsigned long long>(st.executions), st.seconds,
			    st.stoppedBy.c_str(), r.result.harmful ? ": " : "",
			    r.result.harmful ? r.result.harmful->finding.title.c_str() : "");
	}
	return r;
}

/* get_user_pages_fast(FOLL_PIN | FOLL_WRITE) of one page, kept pinned. */
void gupFastPin(Kernel &k)
{
	model::World &w = k.world();
	model::PteRef r = w.pteFor(kAddr);
	k.localIrqDisable("gup_fast: local_irq_save()");
	model::Pte pte = k.readPte(r, "gup_fast_pte_range: ptep_get_lockless()");
	if (pte.present() && pte.writable &&
	    k.tryGetFolio(pte.folio, model::kGupPinCountingBias,
			  "try_grab_folio_fast: folio_ref_try_add(GUP_PIN_COUNTING_BIAS)")) {
		if (k.readPte(r, "gup_fast_pte_range: pte_val(pte) != pte_val(ptep_get(ptep))") ==
		    pte)
			k.recordGupRef(pte.folio, kAddr, true, true);
		else
			k.folioPut(pte.folio, model::kGupPinCountingBias, "gup_put_folio()");
	}
	k.localIrqEnable("gup_fast: local_irq_restore()");
}

/*
 * do_swap_page()'s swap cache lookup (swap_cache_get_folio(): a lockless
 * lookup and folio_try_get()), folio_lock() and the recheck that the folio
 * is still the swap cache's folio for the entry; then the reference is
 * dropped (mapping the folio is the fault engineer's op).
 */
void swapCacheLookup(Kernel &k)
{
	model::World &w = k.world();
	model::PteRef r = w.pteFor(kAddr);
	model::Pte pte = k.readPte(r, "do_swap_page: orig_pte = ptep_get()");
	if (!pte.isSwap())
		return;
	model::FolioIdx f = k.swapCacheGet(pte.swap, "swap_cache_get_folio: xa_load()");
	if (f == model::kNone || !k.tryGetFolio(f, 1, "swap_cache_get_folio: folio_try_get()"))
		return;
	k.lock(*w.folios[f].lock, "do_swap_page: folio_lock_or_retry()");
	k.readFlag(f, Kernel::Flag::Swapcache, "do_swap_page: folio_test_swapcache() recheck");
	k.unlock(*w.folios[f].lock, "do_swap_page: folio_unlock()");
	k.folioPut(f, 1, "do_swap_page: folio_put()");
}

/* A user store that fills this CPU's TLB, then a second store through it. */
void userWriteTwice(Kernel &k)
{
	std::uint64_t v = 0x1111;
	if (!k.hwWalk(kAddr, true, v, "user store: hardware walk"))
		return;
	v = 0x2222;
	k.tlbAccess(kAddr, true, v, "user store: TLB hit");
}

/* A user load that fills this CPU's TLB. */
void userRead(Kernel &k)
{
	std::uint64_t v = 0;
	k.hwWalk(kAddr, false, v, "user load: hardware walk");
}

} // namespace

TEST_CASE("reclaim of a clean, mapped, not-young folio writes it out", "[reclaim][sequential]")
{
	auto s = base();
	s.threads = {{"kswapd", {op("reclaim")}}};
	auto r = run(s, {}, {}, false); /* the state the pass leaves, I/O in flight */
	REQUIRE(r.result.stats.executions == 1);
	CHECK_FALSE(r.result.harmful.has_value());
	const model::World &w = r.world();
	REQUIRE(w.results.size() == 1);
	CHECK(w.results[0].value == model::kReclaimWriteback);
	const model::Folio &f = w.folios.at(0);
	const model::Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.isSwap());
	CHECK(pte.exclusive); /* it was PageAnonExclusive */
	CHECK_FALSE(f.pae);
	const model::SwapSlot &slot = w.swap.slots.at(pte.swap);
	CHECK(slot.allocated);
	CHECK(slot.count == 1);
	CHECK(slot.cache == 0);
	CHECK(slot.written);
	CHECK(slot.data == f.content);
	CHECK(f.swapcache);
	CHECK(f.swap == pte.swap);
	CHECK(f.writeback);
	CHECK_FALSE(f.dirty);
	CHECK(f.lru);
	CHECK(f.mapcount == 0);
	CHECK(f.refcount == 1); /* the swap cache's */
	CHECK_FALSE(f.freed);
	CHECK_FALSE(f.lock->heldBy(0));
}

TEST_CASE("writeback_done, then a second pass frees the folio and keeps the slot",
	  "[reclaim][sequential]")
{
	auto s = base();
	s.threads = {{"kswapd", {op("reclaim"), op("writeback_done"), op("reclaim")}}};
	/* writeback_done pins the completion; the environment's task for the
	 * bio (it only wakes to find it done) would add a second, pruned
	 * execution whose World this test would read */
	auto r = run(s, {}, {}, false);
	CHECK_FALSE(r.result.harmful.has_value());
	const model::World &w = r.world();
	REQUIRE(w.results.size() == 3);
	CHECK(w.results[0].value == model::kReclaimWriteback);
	CHECK(w.results[1].value == 0);
	CHECK(w.results[2].value == model::kReclaimFreed);
	const model::Folio &f = w.folios.at(0);
	CHECK(f.freed);
	CHECK(f.refcount == 0);
	CHECK_FALSE(f.swapcache);
	const model::Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.isSwap());
	const model::SwapSlot &slot = w.swap.slots.at(pte.swap);
	CHECK(slot.allocated);
	CHECK(slot.count == 1); /* the swap PTE */
	CHECK(slot.cache == model::kNone);
	CHECK(slot.data == w.memory.at(kAddr));
}

TEST_CASE("writeback_done without writeback in flight does nothing", "[reclaim][sequential]")
{
	auto s = base();
	s.threads = {{"io", {op("writeback_done")}}};
	auto r = run(s);
	CHECK(r.world().results.at(0).value == -1);
}

TEST_CASE("a synchronous swap device frees the folio in the same pass", "[reclaim][sequential]")
{
	auto s = base(true, false, true);
	s.threads = {{"kswapd", {op("reclaim")}}};
	auto r = run(s);
	CHECK_FALSE(r.result.harmful.has_value());
	const model::World &w = r.world();
	CHECK(w.results.at(0).value == model::kReclaimFreed);
	CHECK(w.folios.at(0).freed);
	const model::Pte &pte = w.pte(w.pteFor(kAddr));
	REQUIRE(pte.isSwap());
	CHECK(w.swap.slots.at(pte.swap).count == 1);
}

TEST_CASE("a young folio is kept once, its young bit cleared, then written out",
	  "[reclaim][sequential]")
{
	auto s = base(true, true);
	s.threads = {{"kswapd", {op("reclaim"), op("reclaim")}}};
	auto r = run(s, {}, {}, false);
	CHECK_FALSE(r.result.harmful.has_value());
	const model::World &w = r.world();
	CHECK(w.results.at(0).value == model::kReclaimKept);
	CHECK(w.results.at(1).value == model::kReclaimWriteback);
	CHECK(w.pte(w.pteFor(kAddr)).isSwap());
}

TEST_CASE("a pinned folio is kept mapped", "[reclaim][sequential]")
{
	auto s = base();
	s.threads = {{"kswapd", {{"pin", {}}, op("reclaim")}}};
	auto r = run(s, {}, {{"pin", gupFastPin}});
	CHECK_FALSE(r.result.harmful.has_value());
	const model::World &w = r.world();
	CHECK(w.results.at(0).value == model::kReclaimKept);
	const model::Folio &f = w.folios.at(0);
	CHECK(w.pte(w.pteFor(kAddr)).mapsFolio(0));
	CHECK_FALSE(f.swapcache); /* no swap slot wasted on it */
	CHECK(f.pae);
	CHECK(f.mapcount == 1);
	CHECK(f.refcount == 1 + model::kGupPinCountingBias);
	CHECK(f.lru);
}

TEST_CASE("try_to_unmap_one.pinned_check: GUP-fast pinning during the unmap", "[reclaim][witness]")
{
	auto s = base();
	s.name = "reclaim-vs-gup-fast-pin";
	s.threads = {{"kswapd", {op("reclaim")}}, {"gup", {{"pin", {}}}}};
	TestOps ops = {{"pin", gupFastPin}};
	auto on = run(s, {}, ops);
	CHECK(on.result.stats.exhausted);
	CHECK_FALSE(on.result.harmful.has_value());
	auto off = run(s, {"try_to_unmap_one.pinned_check"}, ops);
	REQUIRE(off.result.harmful.has_value());
	/* PageAnonExclusive cleared under the pin (I-5c), before the unmap completes */
	CHECK(off.harmful("pae"));
}

TEST_CASE("__remove_mapping.ref_freeze: a swap cache lookup during the free", "[reclaim][witness]")
{
	auto s = base(true, false, true);
	s.name = "reclaim-vs-swap-cache-lookup";
	s.threads = {{"kswapd", {op("reclaim")}}, {"fault", {{"lookup", {}}}}};
	TestOps ops = {{"lookup", swapCacheLookup}};
	auto on = run(s, {}, ops);
	CHECK(on.result.stats.exhausted);
	CHECK_FALSE(on.result.harmful.has_value());
	auto off = run(s, {"__remove_mapping.ref_freeze"}, ops);
	REQUIRE(off.result.harmful.has_value());
	CHECK(off.harmful("kernel-warning")); /* folio_put() of a freed folio */
}

TEST_CASE("shrink_folio_list.flush_before_io: a store through a stale TLB entry after "
	  "the write-out is lost",
	  "[reclaim][witness]")
{
	/* The user's store makes the PTE young; the aging pass
	 * (folio_referenced, no TLB flush) clears it before reclaim. */
	auto s = base(true, false, true);
	s.name = "reclaim-vs-user-store";
	s.threads = {{"kswapd", {{"folio_referenced", {{"folio", 0, "F", {}}}}, op("reclaim")}},
		     {"user", {{"store", {}}}}};
	TestOps ops = {{"store", userWriteTwice}};
	auto on = run(s, {}, ops);
	CHECK(on.result.stats.exhausted);
	CHECK_FALSE(on.result.harmful.has_value());
	auto off = run(s, {"shrink_folio_list.flush_before_io"}, ops);
	CHECK(off.harmful("lost-write"));
}

TEST_CASE("shrink_folio_list.flush_before_free: a folio freed while a CPU still caches it",
	  "[reclaim][witness]")
{
	/* A read-only PTE: try_to_unmap_flush_dirty() has nothing to do. */
	auto s = base(false, false, true);
	s.name = "reclaim-vs-user-load";
	s.threads = {{"kswapd", {{"folio_referenced", {{"folio", 0, "F", {}}}}, op("reclaim")}},
		     {"user", {{"load", {}}}}};
	TestOps ops = {{"load", userRead}};
	auto on = run(s, {}, ops);
	CHECK(on.result.stats.exhausted);
	CHECK_FALSE(on.result.harmful.has_value());
	auto off = run(s, {"shrink_folio_list.flush_before_free"}, ops);
	CHECK(off.harmful("folio-use-after-free"));
}

TEST_CASE("loader: a page's \"young\" bit", "[reclaim][loader]")
{
	auto load = [](const std::string &page) {
		return scenarios::loadScenarioText(
		    R"({"name": "t", "state": {"anon_vmas": ["A"], "vmas": [{"name": "v", "start": )"
		    R"("0x100000", "pages": 1, "anon_vma": "A"}], "pages": [)" +
			page +
			R"(]}, "threads": [{"name": "a", "ops": [{"op": "reclaim", "folio": "F"}]}]})",
		    "t.json");
	};
	auto ok = load(R"({"at": "0x100000", "folio": "F", "young": false})");
	REQUIRE(std::holds_alternative<scenarios::Scenario>(ok));
	CHECK_FALSE(std::get<scenarios::Scenario>(ok).pages.at(0).young);
	auto bad =
	    load(R"({"at": "0x100000", "folio": "F", "state": "swapcache", "young": false})");
	REQUIRE(std::holds_alternative<scenarios::LoadError>(bad));
	CHECK_THAT(std::get<scenarios::LoadError>(bad).message,
		   Catch::Contains("\"young\" is the present PTE's accessed bit"));
}

TEST_CASE("reclaim of an unmapped swap cache folio frees it unless under writeback",
	  "[reclaim][sequential]")
{
	for (bool writeback : {false, true}) {
		auto s = base();
		s.pages[0].state = scenarios::PageSpec::State::Swapcache;
		s.pages[0].writeback = writeback;
		s.threads = {{"kswapd", {op("reclaim")}}};
		auto r = run(s, {}, {}, false);
		CHECK_FALSE(r.result.harmful.has_value());
		const model::World &w = r.world();
		CHECK(w.results.at(0).value ==
		      (writeback ? model::kReclaimKept : model::kReclaimFreed));
		CHECK(w.folios.at(0).freed == !writeback);
		const model::SwapSlot &slot = w.swap.slots.at(0);
		CHECK(slot.allocated);
		CHECK(slot.count == 1);
		CHECK(slot.cache == (writeback ? 0 : model::kNone));
	}
}

namespace
{

scenarios::Scenario loadText(const std::string &text)
{
	auto r = scenarios::loadScenarioText(text, "t.json");
	if (auto *e = std::get_if<scenarios::LoadError>(&r))
		FAIL(e->format());
	return std::get<scenarios::Scenario>(r);
}

} // namespace

TEST_CASE("reclaim at an address takes the LRU's folio, never walking the page table",
	  "[reclaim][lru]")
{
	/* munmap frees the PTE table while reclaim picks its folio: the pick
	 * must not read the table (it used to, and was reported as a
	 * page-table use-after-free). */
	auto s = loadText(
	    R"({"name": "reclaim-addr-vs-munmap", "state": {"anon_vmas": ["A"], "vmas": [)"
	    R"({"name": "v", "start": "0x100000", "pages": 1, "anon_vma": "A"}], )"
	    R"("pages": [{"at": "0x100000", "folio": "F", "young": false}]}, "threads": [)"
	    R"({"name": "kswapd", "ops": [{"op": "reclaim", "addr": "0x100000"}]}, )"
	    R"({"name": "t1", "ops": [{"op": "munmap", "addr": "0x100000", "len": 2097152}]}]})");
	auto r = run(s);
	CHECK(r.result.stats.exhausted);
	CHECK_FALSE(r.result.harmful.has_value());
	for (const model::OpResult &res : r.world().results)
		if (std::string(res.op) == "reclaim")
			CHECK(res.value != -1); /* F is on the LRU whatever munmap did */
}

TEST_CASE("reclaim at an address finds the folio a fault put on the LRU", "[reclaim][lru]")
{
	auto s = loadText(
	    R"({"name": "fault-then-reclaim", "state": {"anon_vmas": ["A"], "vmas": [)"
	    R"({"name": "v", "start": "0x100000", "pages": 1, "anon_vma": "A"}]}, "threads": [)"
	    R"({"name": "t", "ops": [{"op": "reclaim", "addr": "0x100000"}, )"
	    R"({"op": "access", "addr": "0x100000", "write": true, "value": 5}, )"
	    R"({"op": "reclaim", "addr": "0x100000"}, {"op": "reclaim", "addr": "0x100000"}]}]})");
	auto r = run(s, {}, {}, false);
	CHECK_FALSE(r.result.harmful.has_value());
	const auto &res = r.world().results;
	REQUIRE(res.size() == 4);
	CHECK(res[0].value == -1); /* nothing on the LRU yet */
	CHECK(res[1].value == 0);
	CHECK(res[2].value == model::kReclaimKept); /* young: kept, young cleared */
	CHECK(res[3].value == model::kReclaimWriteback);
}
