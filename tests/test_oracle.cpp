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
#include "model/kernel.hpp"
#include "model/ops/rmap.hpp"
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
	auto r = run(load("reclaim-flush-before-io-vs-mremap-off"));
	REQUIRE(r.harmful.has_value());
	CHECK(r.harmful->finding.invariant == "lost-write");
	CHECK_THAT(r.harmful->finding.title, Catch::Contains("0x300000"));
}

TEST_CASE("broadcast flush: a hardware walk in flight finishes before the flush completes",
	  "[oracle][broadcast]")
{
	/* The walk read the old PTE (PMD) before mremap's move (retract's
	 * clear): its fill must not outlive the broadcast flush. */
	for (const char *name :
	     {"broadcast-flush-vs-hw-walk-mremap", "broadcast-flush-vs-hw-walk-retract"}) {
		INFO(name);
		auto r = run(load(name));
		INFO(harmful(r));
		CHECK_FALSE(r.harmful.has_value());
		CHECK(r.stats.exhausted);
	}
}

TEST_CASE("pte_free_defer: GUP-fast's IRQs-off section is an RCU reader", "[oracle][rcu]")
{
	auto on = run(load("pte-free-defer-irqs-off-readers-mainline"));
	INFO(harmful(on));
	CHECK_FALSE(on.harmful.has_value());
	CHECK(on.stats.exhausted);
	auto off = run(load("pte-free-defer-irqs-off-readers-off"));
	REQUIRE(off.harmful.has_value());
	CHECK(off.harmful->finding.invariant == "pgtable-use-after-free");
	/* With the IPI flush the flush already waits for GUP-fast. */
	auto ipi = run(load("gup-fast-and-hw-walk-vs-retract-ipi-mainline"));
	INFO(harmful(ipi));
	CHECK_FALSE(ipi.harmful.has_value());
	CHECK(ipi.stats.exhausted);
}

TEST_CASE("pte_free_defer: page_vma_mapped_walk()'s lockless map_pte() is an RCU reader",
	  "[oracle][rcu]")
{
	/* One anon VMA, no page: the walker's lockless look at 0x100000 finds
	 * none and leaves (pte_unmap()). The freer detaches the table under
	 * the PMD lock and hands it to pte_free_defer(): a walker that read
	 * the PMD before the clear must have left before the table is freed. */
	scenarios::Scenario s;
	s.name = "map-pte-vs-pte-free-defer";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", 0x100000, 1, "A", {}}};
	s.threads = {{"walker", {{"walk", {}}}}, {"freer", {{"free", {}}}}};
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build("mainline", {}, guards).empty());
	checker::MmProgram program(s, guards);
	program.addTestOp("walk", [](model::Kernel &k) {
		model::Pte pte;
		model::pageVmaMappedWalk(k, model::kNone, 0x100000, false, -1, pte);
	});
	program.addTestOp("free", [](model::Kernel &k) {
		model::World &w = k.world();
		model::PmdIdx p = w.pmdFor(0x100000);
		k.lock(*w.pmdLock, "test: pmd_lock()");
		model::Pmd pmd = k.readPmd(p, "test: pmd = *pmdp");
		k.writePmd(p, model::Pmd{}, "test: pmd_clear()");
		k.unlock(*w.pmdLock, "test: spin_unlock()");
		k.pteFreeDefer(pmd.table, "test: pte_free_defer(): pte_free_now()");
	});
	auto strat = makeDporStrategy();
	auto r = explore(program, *strat, {});
	INFO(harmful(r));
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.stats.exhausted);
}
