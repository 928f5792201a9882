/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrate: one thread doing what migrate_pages() does to one small anon
 * folio, checked against the kernel's outcome, and each migrate guard's
 * necessity on a small race.
 */
#include <catch2/catch.hpp>

#include <variant>

#include "checker/mm_program.hpp"
#include "scheduler/explorer.hpp"
#include "scheduler/strategies/strategies.hpp"

using namespace mmrace;

namespace
{

/* VMA v at 0x100000 (anon_vma A), folio F mapped there; thread "m" migrates F. */
scenarios::Scenario migrateOne(bool writable = true)
{
	scenarios::Scenario s;
	s.name = "migrate-one";
	s.anonVmas = {{"A", "A"}};
	s.vmas = {{"v", 0x100000, 1, "A", {}}};
	scenarios::PageSpec pg;
	pg.at = 0x100000;
	pg.folio = "F";
	pg.writable = writable;
	pg.content = 0x1234;
	s.pages = {pg};
	scenarios::OpSpec op{"migrate", {{"folio", 0, "F", {}}}};
	s.threads = {{"m", {op}}};
	return s;
}

struct Alone {
	ExploreResult result;
	std::unique_ptr<checker::MmProgram> program;
	const model::World &world() const { return *program->world(); }
};

Alone runAlone(const scenarios::Scenario &s, std::vector<std::string> off = {})
{
	static model::GuardSet guards;
	guards = {};
	REQUIRE(model::GuardSet::build("", off, guards).empty());
	Alone a;
	a.program = std::make_unique<checker::MmProgram>(s, guards);
	auto strat = makeDfsStrategy();
	a.result = explore(*a.program, *strat, {});
	REQUIRE(a.result.stats.complete == 1);
	return a;
}

ExploreResult check(const scenarios::Scenario &s, std::vector<std::string> off = {})
{
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build("", off, guards).empty());
	checker::MmProgram program(s, guards);
	auto strat = makeSleepSetStrategy();
	return explore(program, *strat, {});
}

bool harmful(const ExploreResult &r, const char *id)
{
	return r.harmful && r.harmful->finding.invariant == id;
}

bool noMigrationEntry(const model::World &w)
{
	for (const auto &t : w.tables)
		for (const auto &e : t.entries)
			if (e.isMigration())
				return false;
	return true;
}

} // namespace

TEST_CASE("migrate alone moves the contents to a new folio and maps it",
	  "[model][migrate][sequential]")
{
	auto a = runAlone(migrateOne());
	CHECK_FALSE(a.result.harmful.has_value());
	CHECK(a.result.benign.empty());
	const model::World &w = a.world();
	REQUIRE(w.results.size() == 1);
	CHECK(w.results[0].value == 0);
	const model::Folio &src = w.folios.at(0);
	REQUIRE(w.folios.size() == 2);
	const model::Folio &dst = w.folios.at(1);
	CHECK(dst.name == "new0");
	/* src: unmapped, its last reference dropped, freed */
	CHECK(src.freed);
	CHECK(src.refcount == 0);
	CHECK(src.mapcount == 0);
	CHECK_FALSE(src.lock->heldBy(0));
	/* dst: mapped where src was, same writability, PAE preserved */
	const model::Pte &pte = w.pte(w.pteFor(0x100000));
	CHECK(pte.mapsFolio(1));
	CHECK(pte.writable);
	CHECK(dst.pae);
	CHECK(dst.content == 0x1234);
	CHECK(dst.mapping == w.findAnonVma("A"));
	CHECK(dst.index == 0x100000 / 4096);
	CHECK(dst.refcount == 1);
	CHECK(dst.mapcount == 1);
	CHECK(dst.lru);
	CHECK_FALSE(dst.freed);
	CHECK_FALSE(dst.lock->heldBy(0));
	CHECK(noMigrationEntry(w));
	/* the anon_vma reference of folio_get_anon_vma() was put back */
	CHECK(w.anonVmas.at(0).refcount == 1);
	/* try_to_migrate walked src, remove_migration_ptes walked dst for src's entry */
	REQUIRE(w.walks.size() == 2);
	CHECK(w.walks[0].folio == 0);
	CHECK(w.walks[0].visited.size() == 1);
	CHECK(w.walks[1].folio == 1);
	CHECK(w.walks[1].migrationOf == 0);
	CHECK(w.walks[1].visited.size() == 1);
}

TEST_CASE("migrate keeps a read-only exclusive page read-only and exclusive",
	  "[model][migrate][sequential]")
{
	auto a = runAlone(migrateOne(false));
	CHECK_FALSE(a.result.harmful.has_value());
	const model::World &w = a.world();
	CHECK(w.results.at(0).value == 0);
	const model::Pte &pte = w.pte(w.pteFor(0x100000));
	CHECK(pte.mapsFolio(1));
	CHECK_FALSE(pte.writable);
	/* make_readable_exclusive_migration_entry() -> RMAP_EXCLUSIVE */
	CHECK(w.folios.at(1).pae);
	CHECK(noMigrationEntry(w));
}

TEST_CASE("migrate backs off from a pinned folio and leaves it mapped",
	  "[model][migrate][sequential]")
{
	auto s = migrateOne();
	s.pages[0].gup = "pin";
	auto a = runAlone(s);
	CHECK_FALSE(a.result.harmful.has_value());
	const model::World &w = a.world();
	CHECK(w.results.at(0).value == -11);
	const model::Folio &src = w.folios.at(0);
	const model::Pte &pte = w.pte(w.pteFor(0x100000));
	CHECK(pte.mapsFolio(0));
	CHECK(pte.writable);
	CHECK(src.pae);
	CHECK(src.mapcount == 1);
	CHECK(src.refcount == 1 + model::kGupPinCountingBias);
	CHECK(src.lru);
	CHECK_FALSE(src.freed);
	CHECK_FALSE(src.lock->heldBy(0));
	/* the new folio went back to the allocator */
	CHECK(w.folios.at(1).freed);
	CHECK(noMigrationEntry(w));
}

TEST_CASE("migrate with an extra reference undoes the unmap (-EAGAIN)",
	  "[model][migrate][sequential]")
{
	auto s = migrateOne();
	s.pages[0].gup = "get";
	auto a = runAlone(s);
	CHECK_FALSE(a.result.harmful.has_value());
	const model::World &w = a.world();
	CHECK(w.results.at(0).value == -11);
	const model::Folio &src = w.folios.at(0);
	const model::Pte &pte = w.pte(w.pteFor(0x100000));
	/* remove_migration_ptes(src, src) restored the writable, exclusive PTE */
	CHECK(pte.mapsFolio(0));
	CHECK(pte.writable);
	CHECK(src.pae);
	CHECK(src.mapcount == 1);
	CHECK(src.refcount == 2);
	CHECK(src.lru);
	CHECK(w.folios.at(1).freed);
	CHECK(noMigrationEntry(w));
}

TEST_CASE("migrate of a folio another migration isolated is -EBUSY", "[model][migrate][sequential]")
{
	auto s = migrateOne();
	s.threads[0].ops.push_back(s.threads[0].ops[0]);
	auto a = runAlone(s);
	CHECK_FALSE(a.result.harmful.has_value());
	const model::World &w = a.world();
	REQUIRE(w.results.size() == 2);
	CHECK(w.results[0].value == 0);
	/* F was freed: folio_get_nontail_page() fails */
	CHECK(w.results[1].value == -16);
}

TEST_CASE("migrate guards: each one is needed", "[model][migrate]")
{
	/* A FOLL_GET reference held across the migration: only the refcount check sees it. */
	auto get = migrateOne();
	get.pages[0].gup = "get";
	CHECK_FALSE(check(get).harmful.has_value());
	/* Without the check the copy goes ahead; a FOLL_GET reference promises
	 * no mapping (I-6 is FOLL_PIN's), so the harm shows only when the holder
	 * writes through it: scenarios/library/migrate-expected_refcount-off.json
	 * (a DMA write lost in the old folio). */
	CHECK_FALSE(check(get, {"migrate.expected_refcount"}).harmful.has_value());

	/* A pin: without the share check, PageAnonExclusive is cleared under it. */
	auto pin = migrateOne();
	pin.pages[0].gup = "pin";
	CHECK_FALSE(check(pin).harmful.has_value());
	CHECK(harmful(check(pin, {"try_to_migrate_one.pinned_check"}), "pae"));

	/* Another CPU caches the translation: without the flush, src is freed under it. */
	auto tlb = migrateOne();
	tlb.threads.push_back({"user", {}});
	tlb.pages[0].tlb = {"user"};
	CHECK_FALSE(check(tlb).harmful.has_value());
	CHECK(harmful(check(tlb, {"try_to_migrate_one.flush"}), "folio-use-after-free"));
}

TEST_CASE("two migrations of one folio and migrate vs folio_referenced are clean",
	  "[model][migrate]")
{
	auto two = migrateOne();
	two.threads.push_back({"m2", two.threads[0].ops});
	auto r = check(two);
	CHECK(r.stats.exhausted);
	CHECK_FALSE(r.harmful.has_value());

	auto ref = migrateOne();
	ref.threads.push_back({"reclaim", {{"folio_referenced", {{"folio", 0, "F", {}}}}}});
	auto q = check(ref);
	CHECK(q.stats.exhausted);
	CHECK_FALSE(q.harmful.has_value());
}

TEST_CASE("scenario state: gup and tlb on a page are checked", "[model][migrate][loader]")
{
	auto text = [](const char *page) {
		return std::string(R"({"name": "x", "state": {"anon_vmas": ["A"],
			"vmas": [{"name": "v", "start": "0x100000", "pages": 1, "anon_vma": "A"}],
			"pages": [)") + page + R"(]},
			"threads": [{"name": "m", "ops": [{"op": "migrate", "folio": "F"}]}]})";
	};
	auto ok = scenarios::loadScenarioText(
		text(R"({"at": "0x100000", "folio": "F", "gup": "pin", "tlb": ["m"]})"), "ok.json");
	REQUIRE(std::holds_alternative<scenarios::Scenario>(ok));
	const auto &s = std::get<scenarios::Scenario>(ok);
	CHECK(s.pages.at(0).gup == "pin");
	CHECK(s.pages.at(0).tlb == std::vector<std::string>{"m"});

	auto badGup = scenarios::loadScenarioText(
		text(R"({"at": "0x100000", "folio": "F", "gup": "longterm"})"), "bad.json");
	REQUIRE(std::holds_alternative<scenarios::LoadError>(badGup));
	CHECK(std::get<scenarios::LoadError>(badGup).path == "$.state.pages[0].gup");

	auto badTlb = scenarios::loadScenarioText(
		text(R"({"at": "0x100000", "folio": "F", "tlb": ["nobody"]})"), "bad.json");
	REQUIRE(std::holds_alternative<scenarios::LoadError>(badTlb));
	const auto &e = std::get<scenarios::LoadError>(badTlb);
	CHECK(e.path == "$.state.pages[0].tlb[0]");
	CHECK(e.message.find("not a thread") != std::string::npos);
}

TEST_CASE("migrate of a folio under writeback waits for the environment's I/O completion",
	  "[model][migrate][io-completion]")
{
	/* A swap cache folio whose write-out is in flight: migrate sleeps in
	 * folio_wait_writeback() until end_swap_bio_write() (the environment)
	 * ends it, then migrates it. Without the environment's completion
	 * nothing ends the write-out and every execution deadlocks. */
	scenarios::Scenario s = migrateOne();
	s.pages[0].state = scenarios::PageSpec::State::Swapcache;
	s.pages[0].writeback = true;
	s.pages[0].writable = true;
	model::GuardSet guards;
	REQUIRE(model::GuardSet::build("mainline", {}, guards).empty());
	checker::MmProgram program(s, guards);
	auto strat = makeDporStrategy();
	ExploreResult r = explore(program, *strat, {});
	CHECK(r.stats.exhausted);
	CHECK_FALSE(r.harmful.has_value());
	CHECK(r.stats.complete == 2); /* completion before the check, or during the wait */
	const model::World &w = *program.world();
	REQUIRE(w.results.size() == 1);
	/* past the wait: a swap cache folio's migration is not modelled, it is
	 * put back (-EBUSY) */
	CHECK(w.results[0].value == -16);
	CHECK_FALSE(w.folios.at(0).writeback);
	CHECK(program.taskNames().back() == "bio F");
}
