/* SPDX-License-Identifier: GPL-2.0 */
/*
 * madvise(MADV_DONTNEED) alone (one thread, one execution), and the
 * "reclaim at an address" form: what the zap leaves behind, including
 * free_swap_and_cache_nr() taking an unmapped swap cache folio out of the
 * cache, and the ABA of do_swap_page()'s swapcache recheck as a sequence.
 */
#include <catch2/catch.hpp>

#include "model/ops/ops.hpp"
#include "model_fixtures.hpp"
#include "op_builders.hpp"

using namespace mmrace;
using namespace mmrace::testing;

namespace {

constexpr std::uint64_t kAddr = 0x100000;

scenarios::OpSpec dontneed()
{
	return op("madvise_dontneed", {num("addr", kAddr), num("len", 4096)});
}

scenarios::OpSpec store(std::uint64_t value)
{
	return op("access", {num("addr", kAddr), flag("write", true), num("value", value)});
}

scenarios::OpSpec load()
{
	return op("access", {num("addr", kAddr)});
}

/* One writable anon VMA at kAddr with one page in the given state. */
scenarios::Scenario onePage(std::vector<scenarios::OpSpec> ops,
			    scenarios::PageSpec::State state = scenarios::PageSpec::State::Present)
{
	scenarios::Scenario s;
	s.name = "madvise";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", kAddr, 1, "A", {}}};
	scenarios::PageSpec p = page(kAddr, state == scenarios::PageSpec::State::Swapped ? "" : "F");
	p.state = state;
	p.content = 0x5a5a;
	s.pages = {p};
	s.swap.slots = 1;
	s.threads = {{"t", std::move(ops)}};
	return s;
}

long resultOf(const model::World &w, const char *op, std::size_t nth = 0)
{
	for (const auto &r : w.results)
		if (r.op == std::string(op) && nth-- == 0)
			return r.value;
	FAIL("no result for " << op);
	return 0;
}

} // namespace

TEST_CASE("madvise: MADV_DONTNEED zaps a present page and frees it; the VMA and table stay",
	  "[madvise]")
{
	ExploreResult r;
	auto p = runAlone(onePage({dontneed(), load()}), r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(resultOf(w, "madvise_dontneed") == 0);
	const model::Folio &f = w.folios[w.findFolio("F")];
	CHECK(f.freed);
	CHECK(f.mapcount == 0);
	/* the load faulted in a fresh zeroed page */
	const model::Pte &pte = pteAt(w, kAddr);
	REQUIRE(pte.present());
	CHECK(pte.folio != w.findFolio("F"));
	CHECK(w.folios[pte.folio].content == 0);
	CHECK(w.findVma(kAddr) != model::kNone);
}

TEST_CASE("madvise: zapping a swap entry frees the slot and drops its unmapped swap cache folio",
	  "[madvise]")
{
	ExploreResult r;
	auto p = runAlone(onePage({dontneed()}, scenarios::PageSpec::State::Swapcache), r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(pteAt(w, kAddr).none());
	const model::Folio &f = w.folios[w.findFolio("F")];
	/* __try_to_reclaim_swap(): out of the swap cache, and its last
	 * reference (the cache's) gone */
	CHECK_FALSE(f.swapcache);
	CHECK(f.freed);
	CHECK_FALSE(w.swap.slots[0].allocated);
	CHECK(w.swap.slots[0].cache == model::kNone);
}

TEST_CASE("madvise: a swapped-out page's slot is freed", "[madvise]")
{
	ExploreResult r;
	auto p = runAlone(onePage({dontneed()}, scenarios::PageSpec::State::Swapped), r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(pteAt(w, kAddr).none());
	CHECK_FALSE(w.swap.slots[0].allocated);
}

TEST_CASE("madvise: the freed slot is reused for the next folio swapped out at the same address",
	  "[madvise][reclaim]")
{
	/* The sequence behind the swapcache recheck's witness: zap, fault a
	 * new page in, reclaim it twice (the first pass clears the young
	 * bit); the PTE holds the same swap entry as before, for another
	 * folio. */
	ExploreResult r;
	auto p = runAlone(onePage({dontneed(), store(7), op("reclaim", {num("addr", kAddr)}),
				   op("reclaim", {num("addr", kAddr)}), load()},
				  scenarios::PageSpec::State::Swapcache),
			  r);
	CHECK_FALSE(r.harmful.has_value());
	const model::World &w = *p->world();
	CHECK(resultOf(w, "reclaim", 0) == model::kReclaimKept);
	CHECK(resultOf(w, "reclaim", 1) == model::kReclaimWriteback);
	/* the final load swapped the new folio back in from the cache: 7 */
	const model::Pte &pte = pteAt(w, kAddr);
	REQUIRE(pte.present());
	CHECK(pte.folio != w.findFolio("F"));
	CHECK(w.folios[pte.folio].content == 7);
}

TEST_CASE("reclaim at an address whose folio MADV_DONTNEED freed isolates nothing", "[reclaim]")
{
	/* reclaim at an address takes the LRU's folio for it (World::lruAt),
	 * not the PTE: the folio zapped and freed there fails
	 * isolate_lru_folios()' folio_try_get(), and the pass keeps nothing */
	ExploreResult r;
	auto p = runAlone(onePage({dontneed(), op("reclaim", {num("addr", kAddr)})}), r);
	CHECK(resultOf(*p->world(), "reclaim") == model::kReclaimKept);
	CHECK(p->world()->folios.at(0).freed);
}

TEST_CASE("reclaim at an address nothing was ever put on the LRU for returns -1", "[reclaim]")
{
	ExploreResult r;
	auto p = runAlone(onePage({op("reclaim", {num("addr", kAddr + 0x1000)})}), r);
	CHECK(resultOf(*p->world(), "reclaim") == -1);
}
